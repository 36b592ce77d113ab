package kmslint.rules.kms004_test

import rego.v1

import data.kmslint.rules.kms004
import data.kmslint.rules.kms_fixtures_test as fx

star(cond) := {
	"Sid": "AllowEveryone",
	"Effect": "Allow",
	"Principal": "*",
	"Action": ["kms:Decrypt", "kms:GenerateDataKey"],
	"Resource": "*",
	"Condition": cond,
}

ec := {"StringLike": {"kms:EncryptionContext:aws:bedrock-agentcore:recommendationArn": fx.rec_pattern}}

test_canonical_passes if {
	count(kms004.findings) == 0 with input as fx.input_of(fx.good)
}

test_unconditioned_star_fires if {
	st := object.remove(star({}), ["Condition"])
	fs := kms004.findings with input as fx.input_of([fx.root_access, st])
	count(fs) == 1
	some f in fs
	f.statement == 1
	f.evidence.decision == "Allow"
	contains(f.evidence.principal, "999988887777")
	contains(f.message, "kms:CallerAccount")
}

test_aws_star_fires if {
	st := object.union(object.remove(star({}), ["Condition"]), {"Principal": {"AWS": ["*"]}})
	count(kms004.findings) == 1 with input as fx.input_of([fx.root_access, st])
}

# The classic false positive of text-matching linters: "*" narrowed by the
# caller's account is not public.
test_star_narrowed_by_caller_account_passes if {
	st := star({"StringEquals": {"kms:CallerAccount": fx.account, "kms:ViaService": "bedrock-agentcore.us-east-1.amazonaws.com"}})
	count(kms004.findings) == 0 with input as fx.input_of([fx.root_access, st])
}

test_star_narrowed_by_principal_account_passes if {
	st := star({"StringEquals": {"aws:PrincipalAccount": fx.account}})
	count(kms004.findings) == 0 with input as fx.input_of([fx.root_access, st])
}

test_star_narrowed_by_org_passes if {
	st := star({"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}})
	count(kms004.findings) == 0 with input as fx.input_of([fx.root_access, st])
}

test_star_narrowed_by_source_account_passes if {
	st := star({"StringEquals": {"aws:SourceAccount": fx.account}})
	count(kms004.findings) == 0 with input as fx.input_of([fx.root_access, st])
}

# An org pattern that any organization matches narrows nothing.
test_star_with_org_wildcard_fires if {
	st := star({"StringLike": {"aws:PrincipalOrgID": "o-*"}})
	count(kms004.findings) == 1 with input as fx.input_of([fx.root_access, st])
}

# The caller chooses its encryption context: scoping by it is not narrowing.
test_star_with_only_encryption_context_fires if {
	fs := kms004.findings with input as fx.input_of([fx.root_access, star(ec)])
	count(fs) == 1
	some f in fs
	f.evidence.context["kms:encryptioncontext:aws:bedrock-agentcore:recommendationarn"] == "arn:aws:bedrock-agentcore:us-east-1:111122223333:recommendation/x"
}

test_star_with_only_via_service_fires if {
	st := star({"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}})
	count(kms004.findings) == 1 with input as fx.input_of([fx.root_access, st])
}

test_star_with_principal_arn_any_account_fires if {
	st := star({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/Admin"}})
	count(kms004.findings) == 1 with input as fx.input_of([fx.root_access, st])
}

test_star_with_principal_arn_own_account_passes if {
	st := star({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/*"}})
	count(kms004.findings) == 0 with input as fx.input_of([fx.root_access, st])
}

# A Deny of every other account closes an open Allow.
test_star_with_deny_of_other_accounts_passes if {
	deny := {
		"Sid": "DenyOtherAccounts", "Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*",
		"Condition": {"StringNotEquals": {"kms:CallerAccount": fx.account}},
	}
	count(kms004.findings) == 0 with input as fx.input_of([fx.root_access, star(ec), deny])
}

test_not_principal_allow_fires if {
	st := {"Sid": "AllButOne", "Effect": "Allow", "NotPrincipal": {"AWS": fx.role}, "Action": "kms:Decrypt", "Resource": "*"}
	count(kms004.findings) == 1 with input as fx.input_of([fx.root_access, st])
}

# Naming another account is cross-account access, not public access.
test_named_foreign_account_passes if {
	st := object.union(fx.caller_access, {"Principal": {"AWS": "arn:aws:iam::444455556666:root"}})
	count(kms004.findings) == 0 with input as fx.input_of([fx.root_access, st])
}

test_invalid_policy_skipped if {
	st := object.remove(star({}), ["Condition"])
	count(kms004.findings) == 0 with input as fx.with_problem(fx.input_of([st]), fx.invalid_problem)
}

test_star_naming_a_key_arn_fires if {
	st := object.union(object.remove(star({}), ["Condition"]), {"Resource": "arn:aws:kms:us-east-1:111122223333:key/0000aaaa-11bb-22cc-33dd-444444eeeeee"})
	count(kms004.findings) == 1 with input as fx.input_of([fx.root_access, st])
}
