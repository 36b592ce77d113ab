package kmslint.rules.acr009_test

import rego.v1

import data.kmslint.rules.acr009 as rule
import data.kmslint.rules.acr_fixtures_test as fx

live(spec, usage) := object.union(fx.input_of(fx.canonical_statements), {"key": {"arn": fx.key_arn, "key_spec": spec, "key_usage": usage, "key_state": "Enabled", "region": "us-east-1"}})

test_symmetric_passes if {
	count(rule.findings) == 0 with input as live("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT")
}

test_asymmetric_fires if {
	fs := rule.findings with input as live("RSA_2048", "ENCRYPT_DECRYPT")
	count(fs) == 1
	some f in fs
	contains(f.message, "RSA_2048")
}

test_hmac_fires if {
	count(rule.findings) == 1 with input as live("HMAC_256", "GENERATE_VERIFY_MAC")
}

test_file_without_live_key_is_silent if {
	count(rule.findings) == 0 with input as fx.input_of(fx.canonical_statements)
}
