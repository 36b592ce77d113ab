package kmslint.rules.acr008_test

import rego.v1

import data.kmslint.rules.acr008 as rule
import data.kmslint.rules.acr_fixtures_test as fx

test_canonical_policy_passes if {
	count(rule.findings) == 0 with input as fx.input_of(fx.canonical_statements)
}

test_caller_with_kms_star_fires if {
	s := object.union(fx.caller_crypto, {"Action": "kms:*"})
	fs := rule.findings with input as fx.input_of([fx.caller_access, s, fx.service_access])
	count(fs) == 1
	some f in fs
	f.statement == 1
	contains(f.message, "kms:PutKeyPolicy")
	contains(f.message, fx.role)
}

test_service_with_generate_star_fires if {
	s := object.union(fx.service_access, {"Action": ["kms:GenerateDataKey*", "kms:Decrypt"]})
	fs := rule.findings with input as fx.input_of([fx.caller_access, fx.caller_crypto, s])
	some f in fs
	contains(f.message, "bedrock-agentcore.amazonaws.com is also allowed kms:GenerateDataKeyPair")
}

# Root delegation is not the key policy granting it.
test_root_statement_is_not_counted if {
	count(rule.findings) == 0 with input as fx.input_of(array.concat([fx.root_access], fx.canonical_statements))
}
