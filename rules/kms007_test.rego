package kmslint.rules.kms007_test

import rego.v1

import data.kmslint.rules.kms007
import data.kmslint.rules.kms_fixtures_test as fx

test_known_operators_and_keys_pass if {
	st := object.union(fx.caller_crypto, {"Condition": {
		"StringLike": {"kms:EncryptionContext:aws:bedrock-agentcore:recommendationArn": fx.rec_pattern},
		"ForAllValues:StringEquals": {"kms:EncryptionContextKeys": ["aws:bedrock-agentcore:recommendationArn"]},
		"StringEqualsIfExists": {"aws:PrincipalTag/team": "ml"},
		"Bool": {"aws:SecureTransport": "true"},
		"Null": {"kms:CallerAccount": "false"},
	}})
	count(kms007.findings) == 0 with input as fx.input_of([fx.root_access, st, fx.service_access])
}

test_unknown_operator_fires if {
	st := object.union(fx.caller_crypto, {"Condition": {"StringEqual": {"kms:CallerAccount": fx.account}}})
	fs := kms007.findings with input as fx.input_of([fx.root_access, st])
	count(fs) == 1
	some f in fs
	f.statement == 1
	contains(f.message, `"StringEqual"`)
}

test_null_if_exists_is_unknown if {
	st := object.union(fx.caller_crypto, {"Condition": {"NullIfExists": {"kms:CallerAccount": "false"}}})
	count(kms007.findings) == 1 with input as fx.input_of([st])
}

test_other_service_key_fires if {
	st := object.union(fx.caller_crypto, {"Condition": {"StringEquals": {"s3:prefix": "home/"}}})
	fs := kms007.findings with input as fx.input_of([st])
	count(fs) == 1
	some f in fs
	contains(f.message, "s3:prefix")
	contains(f.message, "never applies")
}

test_encryption_context_without_name_fires if {
	st := object.union(fx.caller_crypto, {"Condition": {"StringNotEquals": {"kms:EncryptionContext": "x"}}})
	fs := kms007.findings with input as fx.input_of([st])
	some f in fs
	contains(f.message, "always true")
	contains(f.message, "kms:EncryptionContext:<context key>")
}

test_invalid_policy_skipped if {
	st := object.union(fx.caller_crypto, {"Condition": {"StringEqual": {"kms:CallerAccount": fx.account}}})
	count(kms007.findings) == 0 with input as fx.with_problem(fx.input_of([st]), fx.invalid_problem)
}
