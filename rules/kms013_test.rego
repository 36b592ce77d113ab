package kmslint.rules.kms013_test

import rego.v1

import data.kmslint.rules.kms013
import data.kmslint.rules.kms_fixtures_test as fx

test_unique_sids_pass if {
	count(kms013.findings) == 0 with input as fx.input_of(fx.good)
}

test_statements_without_sid_pass if {
	a := object.remove(fx.caller_access, ["Sid"])
	b := object.remove(fx.root_access, ["Sid"])
	count(kms013.findings) == 0 with input as fx.input_of([a, b])
}

test_duplicate_fires_at_later_statement if {
	dup := object.union(fx.caller_crypto, {"Sid": "AllowCallerAccess"})
	fs := kms013.findings with input as fx.input_of([fx.root_access, fx.caller_access, dup])
	count(fs) == 1
	some f in fs
	f.statement == 2
	contains(f.message, "Statement[1]")
}

test_sid_case_differs_passes if {
	other := object.union(fx.caller_crypto, {"Sid": "allowcalleraccess"})
	count(kms013.findings) == 0 with input as fx.input_of([fx.caller_access, other])
}
