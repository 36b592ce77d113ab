package kmslint.rules.kms010_test

import rego.v1

import data.kmslint.rules.kms010
import data.kmslint.rules.kms_fixtures_test as fx

ec_keys := "kms:EncryptionContextKeys"

test_canonical_passes if {
	count(kms010.findings) == 0 with input as fx.input_of(fx.good)
}

test_for_all_values_on_single_valued_fires if {
	st := object.union(fx.caller_crypto, {"Condition": {"ForAllValues:StringEquals": {"kms:CallerAccount": fx.account}}})
	fs := kms010.findings with input as fx.input_of([fx.root_access, st])
	count(fs) == 1
	some f in fs
	f.statement == 1
	contains(f.message, "single-valued")
	contains(f.message, `"StringEquals"`)
}

test_for_any_value_on_context_value_fires if {
	st := object.union(fx.caller_crypto, {"Condition": {"ForAnyValue:StringLike": {"kms:EncryptionContext:aws:bedrock-agentcore:recommendationArn": fx.rec_pattern}}})
	count(kms010.findings) == 1 with input as fx.input_of([st])
}

# ForAllValues passes when the request has no encryption context at all.
test_for_all_values_alone_in_allow_fires if {
	st := object.union(fx.caller_crypto, {"Condition": {"ForAllValues:StringEquals": {ec_keys: ["aws:bedrock-agentcore:recommendationArn"]}}})
	fs := kms010.findings with input as fx.input_of([st])
	count(fs) == 1
	some f in fs
	contains(f.message, `"Null": {"kms:EncryptionContextKeys": "false"}`)
}

test_for_all_values_with_null_check_passes if {
	st := object.union(fx.caller_crypto, {"Condition": {
		"ForAllValues:StringEquals": {ec_keys: ["aws:bedrock-agentcore:recommendationArn"]},
		"Null": {ec_keys: "false"},
	}})
	count(kms010.findings) == 0 with input as fx.input_of([st])
}

test_for_all_values_with_any_value_passes if {
	st := object.union(fx.caller_crypto, {"Condition": {
		"ForAllValues:StringEquals": {ec_keys: ["aws:bedrock-agentcore:recommendationArn"]},
		"ForAnyValue:StringEquals": {ec_keys: "aws:bedrock-agentcore:recommendationArn"},
	}})
	count(kms010.findings) == 0 with input as fx.input_of([st])
}

# In a Deny, the absent-key case makes the Deny apply: not reported.
test_for_all_values_in_deny_passes if {
	deny := {"Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*", "Condition": {"ForAllValues:StringNotEquals": {ec_keys: ["a"]}}}
	count(kms010.findings) == 0 with input as fx.input_of([fx.root_access, deny])
}

test_multivalued_without_set_operator_fires if {
	st := object.union(fx.caller_crypto, {"Condition": {"StringEquals": {"aws:CalledVia": "bedrock-agentcore.amazonaws.com"}}})
	fs := kms010.findings with input as fx.input_of([st])
	some f in fs
	contains(f.message, "ForAnyValue:StringEquals")
}

test_null_on_multivalued_passes if {
	st := object.union(fx.caller_crypto, {"Condition": {"Null": {ec_keys: "false"}}})
	count(kms010.findings) == 0 with input as fx.input_of([st])
}
