package kmslint.rules.kms015_test

import rego.v1

import data.kmslint.rules.kms015
import data.kmslint.rules.kms_fixtures_test as fx

org_decrypt := {
	"Sid": "OrgDecrypt",
	"Effect": "Allow",
	"Principal": "*",
	"Action": "kms:Decrypt",
	"Resource": "*",
	"Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}},
}

# AWS's default key policy: the account alone, IAM decides.
test_default_key_policy_passes if {
	count(kms015.findings) == 0 with input as fx.input_of([fx.root_access])
}

test_recommended_policy_passes if {
	count(kms015.findings) == 0 with input as fx.input_of(fx.good)
}

# Principal "*" under aws:PrincipalOrgID: every account of the organization
# can decrypt, and the account is the zone.
test_organization_statement_fires if {
	fs := kms015.findings with input as fx.input_of(array.concat(fx.good, [org_decrypt]))
	count(fs) == 1
	some f in fs
	f.statement == 4
	f.evidence.action == "kms:Decrypt"
	f.evidence.decision == "Allow"
	f.evidence.context["aws:PrincipalOrgID"] == "o-abc123"
	f.evidence.context["aws:PrincipalAccount"] != fx.account
	contains(f.message, "aws:PrincipalOrgID")
	contains(f.message, "outside account 111122223333")
}

# With the organization as the zone of trust, the same statement is fine.
test_organization_zone_passes if {
	count(kms015.findings) == 0 with input as object.union(fx.input_of(array.concat(fx.good, [org_decrypt])), {"org": "o-abc123"})
}

# ...but another organization's is not.
test_other_organization_fires_in_organization_zone if {
	doc := object.union(fx.input_of(array.concat(fx.good, [org_decrypt])), {"org": "o-zzz999"})
	count(kms015.findings) == 1 with input as doc
}

# A partner account's role: one region, every action it is given.
test_partner_role_fires if {
	partner := {"Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:role/Partner"}, "Action": ["kms:Decrypt", "kms:DescribeKey"], "Resource": "*"}
	fs := kms015.findings with input as fx.input_of([fx.root_access, partner])
	count(fs) == 1
	some f in fs
	f.statement == 1
	contains(f.evidence.principal, "444455556666:assumed-role/Partner/")
	contains(f.message, "kms:Decrypt")
	contains(f.message, "kms:DescribeKey")
}

test_other_account_root_fires if {
	other := {"Effect": "Allow", "Principal": {"AWS": "444455556666"}, "Action": "kms:Decrypt", "Resource": "*"}
	count(kms015.findings) == 1 with input as fx.input_of([fx.root_access, other])
}

# "*" narrowed by the caller's account stays inside.
test_star_narrowed_by_caller_account_passes if {
	st := object.union(object.remove(org_decrypt, ["Condition"]), {"Condition": {"StringEquals": {"kms:CallerAccount": fx.account}}})
	count(kms015.findings) == 0 with input as fx.input_of([fx.root_access, st])
}

# A service principal scoped by aws:SourceAccount acts only for this account.
test_service_scoped_by_source_account_passes if {
	svc := {"Effect": "Allow", "Principal": {"Service": "logs.amazonaws.com"}, "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": "*", "Condition": {"StringEquals": {"aws:SourceAccount": fx.account}}}
	count(kms015.findings) == 0 with input as fx.input_of([fx.root_access, svc])
}

# A pattern that admits other accounts' resources lets the service act for
# them: the confused deputy, found between any probes.
test_service_source_account_pattern_fires if {
	svc := object.union(object.remove(fx.service_access, ["Condition"]), {"Condition": {
		"StringLike": {"aws:SourceAccount": "1111222233?3"},
		"ArnLike": {"aws:SourceArn": "arn:aws:bedrock-agentcore:us-east-1:*:recommendation/*"},
	}})
	fs := kms015.findings with input as fx.input_of([fx.root_access, svc])
	count(fs) >= 1
	every f in fs {
		f.statement == 1
		startswith(f.evidence.context["aws:SourceAccount"], "1111222233")
		f.evidence.context["aws:SourceAccount"] != fx.account
	}
}

test_unscoped_service_fires if {
	svc := object.remove(fx.service_access, ["Condition"])
	fs := kms015.findings with input as fx.input_of([fx.root_access, svc])
	count(fs) >= 1
	some f in fs
	f.evidence.principal == "service:bedrock-agentcore.amazonaws.com"
}

# A deny of everything outside the account closes the open statement.
test_deny_outside_account_passes if {
	deny := {"Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*", "Condition": {"StringNotEquals": {"aws:PrincipalAccount": fx.account}}}
	count(kms015.findings) == 0 with input as fx.input_of([fx.root_access, object.remove(org_decrypt, ["Condition"]), deny])
}

test_invalid_policy_is_skipped if {
	doc := fx.with_problem(fx.input_of([fx.root_access, org_decrypt]), {"rule": "KMS001", "message": "x", "line": 1, "column": 1, "statement": 0})
	count(kms015.findings) == 0 with input as doc
}
