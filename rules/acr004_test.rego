package kmslint.rules.acr004_test

import rego.v1

import data.kmslint.rules.acr004 as rule
import data.kmslint.rules.acr_fixtures_test as fx

ec_key := "kms:EncryptionContext:aws:bedrock-agentcore:recommendationArn"

# object.union merges nested objects, so the old Condition goes first.
crypto_with(cond) := object.union(object.remove(fx.caller_crypto, ["Condition"]), {"Condition": cond})

test_canonical_policy_passes if {
	count(rule.findings) == 0 with input as fx.input_of(fx.canonical_statements)
}

test_unscoped_crypto_fires_once_per_statement if {
	s := object.remove(fx.caller_crypto, ["Condition"])
	fs := rule.findings with input as fx.input_of([fx.caller_access, s, fx.service_access])
	count(fs) == 1
	some f in fs
	f.statement == 1
	contains(f.message, "with no encryption context")
	contains(f.message, "for a recommendation of account 444455556666")
	contains(f.message, `"StringLike":{"kms:EncryptionContext:aws:bedrock-agentcore:recommendationArn":"arn:aws:bedrock-agentcore:us-east-1:111122223333:recommendation/*"}`)
	f.evidence.decision == "Allow"
}

test_any_account_pattern_fires if {
	s := crypto_with({"StringLike": {ec_key: "arn:aws:bedrock-agentcore:us-east-1:*:recommendation/*"}})
	fs := rule.findings with input as fx.input_of([fx.caller_access, s, fx.service_access])
	some f in fs
	contains(f.message, "444455556666")
	not contains(f.message, "no encryption context")
}

test_any_region_pattern_fires if {
	s := crypto_with({"StringLike": {ec_key: "arn:aws:bedrock-agentcore:*:111122223333:recommendation/*"}})
	fs := rule.findings with input as fx.input_of([fx.caller_access, s, fx.service_access])
	some f in fs
	contains(f.message, "us-west-2")
}

# ForAllValues passes on an absent key: "only recommendation keys" also
# allows a request with no encryption context at all.
test_for_all_values_on_context_keys_fires if {
	s := crypto_with({"ForAllValues:StringEquals": {"kms:EncryptionContextKeys": ["aws:bedrock-agentcore:recommendationArn"]}})
	fs := rule.findings with input as fx.input_of([fx.caller_access, s, fx.service_access])
	some f in fs
	contains(f.message, "no encryption context")
}

# Root delegation is not the key policy granting it.
test_root_delegation_is_not_a_grant if {
	count(rule.findings) == 0 with input as fx.input_of([fx.root_access, fx.caller_access, fx.caller_crypto, fx.service_access])
}

# A pattern list that adds a second account's or region's recommendations
# lets the caller use them: found when lint passes what the policy names.
test_second_account_in_pattern_list_fires if {
	s := crypto_with({"StringLike": {ec_key: [fx.rec_pattern, "arn:aws:bedrock-agentcore:us-east-1:777788889999:recommendation/*"]}})
	fs := rule.findings with input as fx.with_others(fx.input_of([fx.caller_access, s, fx.service_access]), ["777788889999"], [])
	count(fs) == 1
	some f in fs
	contains(f.message, "for a recommendation of account 777788889999")
}

test_second_region_in_pattern_list_fires if {
	s := crypto_with({"StringLike": {ec_key: [fx.rec_pattern, "arn:aws:bedrock-agentcore:eu-west-1:111122223333:recommendation/*"]}})
	fs := rule.findings with input as fx.with_others(fx.input_of([fx.caller_access, s, fx.service_access]), [], ["eu-west-1"])
	count(fs) == 1
	some f in fs
	contains(f.message, "for a recommendation in eu-west-1")
}

# Naming other accounts elsewhere (an auditor role) changes nothing for a
# policy scoped to this account's recommendations.
test_other_accounts_do_not_flag_a_scoped_policy if {
	count(rule.findings) == 0 with input as fx.with_others(fx.input_of(fx.canonical_statements), ["777788889999", "444455556666"], ["eu-west-1"])
}
