package kmslint.rules.acr012_test

import rego.v1

import data.kmslint.rules.acr012 as rule
import data.kmslint.rules.acr_fixtures_test as fx

test_canonical_policy_passes if {
	count(rule.findings) == 0 with input as fx.input_of(fx.canonical_statements)
}

test_canonical_with_root_statement_passes if {
	count(rule.findings) == 0 with input as fx.input_of(array.concat([fx.root_access], fx.canonical_statements))
}

test_root_only_caller_fires_once if {
	fs := rule.findings with input as fx.input_of([fx.root_access, fx.service_access])
	count(fs) == 1
	some f in fs
	f.statement == 0
	contains(f.message, "kms:Decrypt, kms:DescribeKey, kms:GenerateDataKey")
	contains(f.message, "--identity-policy")
}

test_partly_root_only_names_the_missing_action if {
	fs := rule.findings with input as fx.input_of([fx.root_access, fx.caller_crypto, fx.service_access])
	some f in fs
	contains(f.message, "gets kms:DescribeKey on this key only")
}

test_identity_policies_make_it_exact if {
	inp := fx.with_identity(fx.input_of([fx.root_access, fx.service_access]), [fx.allow_all_identity])
	count(rule.findings) == 0 with input as inp
}

# A missing grant without a root statement is ACR001-003's error, not this notice.
test_no_root_statement_is_silent if {
	count(rule.findings) == 0 with input as fx.input_of([fx.service_access])
}
