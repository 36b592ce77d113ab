package kmslint.rules.acr010_test

import rego.v1

import data.kmslint.rules.acr010 as rule
import data.kmslint.rules.acr_fixtures_test as fx

live(region) := object.union(fx.input_of(fx.canonical_statements), {"key": {"arn": fx.key_arn, "key_spec": "SYMMETRIC_DEFAULT", "key_usage": "ENCRYPT_DECRYPT", "key_state": "Enabled", "region": region}})

test_same_region_passes if {
	count(rule.findings) == 0 with input as live("us-east-1")
}

test_other_region_fires if {
	fs := rule.findings with input as live("eu-west-1")
	count(fs) == 1
	some f in fs
	contains(f.message, "eu-west-1")
}

test_file_without_live_key_is_silent if {
	count(rule.findings) == 0 with input as fx.input_of(fx.canonical_statements)
}
