package kmslint.rules.kms009_test

import rego.v1

import data.kmslint.rules.kms009
import data.kmslint.rules.kms_fixtures_test as fx

test_canonical_passes if {
	count(kms009.findings) == 0 with input as fx.input_of(fx.good)
}

test_source_arn_if_exists_fires if {
	st := object.union(fx.service_access, {"Condition": {
		"StringEquals": {"aws:SourceAccount": fx.account},
		"ArnLikeIfExists": {"aws:SourceArn": fx.rec_pattern},
	}})
	fs := kms009.findings with input as fx.input_of([fx.root_access, st])
	count(fs) == 1
	some f in fs
	f.statement == 1
	contains(f.message, "aws:SourceArn")
	contains(f.message, `"ArnLike"`)
}

test_source_account_and_context_fire if {
	svc := object.union(fx.service_access, {"Condition": {"StringEqualsIfExists": {"aws:SourceAccount": fx.account}, "ArnLike": {"aws:SourceArn": fx.rec_pattern}}})
	caller := object.union(fx.caller_crypto, {"Condition": {"StringLikeIfExists": {"kms:EncryptionContext:aws:bedrock-agentcore:recommendationArn": fx.rec_pattern}}})
	count(kms009.findings) == 2 with input as fx.input_of([caller, svc])
}

test_other_key_if_exists_passes if {
	st := object.union(fx.caller_crypto, {"Condition": {"StringEqualsIfExists": {"aws:PrincipalTag/team": "ml"}}})
	count(kms009.findings) == 0 with input as fx.input_of([st])
}

# In a Deny, IfExists makes the Deny apply when the key is absent: stricter.
test_deny_if_exists_passes if {
	deny := {
		"Sid": "DenyForeignSource", "Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*",
		"Condition": {"StringNotEqualsIfExists": {"aws:SourceAccount": fx.account}},
	}
	count(kms009.findings) == 0 with input as fx.input_of([fx.root_access, deny])
}

# An operator IAM does not know (IfExists cannot be added to Null) is
# KMS007's; KMS009 does not read meaning into it.
test_unknown_ifexists_operator_is_not_reported if {
	st := object.union(object.remove(fx.service_access, ["Condition"]), {"Condition": {"NullIfExists": {"aws:SourceArn": "false"}}})
	count(kms009.findings) == 0 with input as fx.input_of([st])
}
