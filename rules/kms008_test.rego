package kmslint.rules.kms008_test

import rego.v1

import data.kmslint.rules.kms008
import data.kmslint.rules.kms_fixtures_test as fx

test_canonical_passes if {
	count(kms008.findings) == 0 with input as fx.input_of(fx.good)
}

test_string_equals_with_star_fires if {
	st := object.union(fx.caller_crypto, {"Condition": {"StringEquals": {"kms:EncryptionContext:aws:bedrock-agentcore:recommendationArn": fx.rec_pattern}}})
	fs := kms008.findings with input as fx.input_of([fx.root_access, st])
	count(fs) == 1
	some f in fs
	f.statement == 1
	contains(f.message, `"StringLike"`)
	contains(f.message, "never holds")
}

test_ignore_case_and_negated_fire if {
	st := object.union(fx.caller_crypto, {"Condition": {
		"StringEqualsIgnoreCase": {"aws:PrincipalTag/team": "ml-*"},
		"StringNotEquals": {"aws:SourceArn": "arn:aws:bedrock-agentcore:*:111122223333:recommendation/*"},
	}})
	fs := kms008.findings with input as fx.input_of([st])
	count(fs) == 2
	some f in fs
	contains(f.message, `"ArnNotLike"`)
}

test_set_operator_kept if {
	st := object.union(fx.caller_crypto, {"Condition": {"ForAnyValue:StringEquals": {"kms:EncryptionContextKeys": ["aws:*"]}}})
	fs := kms008.findings with input as fx.input_of([st])
	some f in fs
	contains(f.message, `"ForAnyValue:StringLike"`)
}

# ArnEquals matches wildcards per ARN component: not a finding.
test_arn_equals_with_star_passes if {
	st := object.union(fx.service_access, {"Condition": {"ArnEquals": {"aws:SourceArn": fx.rec_pattern}, "StringEquals": {"aws:SourceAccount": fx.account}}})
	count(kms008.findings) == 0 with input as fx.input_of([fx.root_access, st])
}

test_string_like_passes if {
	count(kms008.findings) == 0 with input as fx.input_of([fx.caller_crypto])
}

test_escaped_star_passes if {
	st := object.union(fx.caller_crypto, {"Condition": {"StringEquals": {"aws:PrincipalTag/x": "a${*}b"}}})
	count(kms008.findings) == 0 with input as fx.input_of([st])
}
