package kmslint.rules.kms003_test

import rego.v1

import data.kmslint.rules.kms003
import data.kmslint.rules.kms_fixtures_test as fx

test_current_version_passes if {
	count(kms003.findings) == 0 with input as fx.input_of(fx.good)
}

test_missing_version_fires if {
	fs := kms003.findings with input as fx.input_of_policy({"Statement": fx.good})
	count(fs) == 1
	some f in fs
	contains(f.message, `no "Version"`)
}

test_old_version_fires if {
	fs := kms003.findings with input as fx.input_of_policy({"Version": "2008-10-17", "Statement": fx.good})
	count(fs) == 1
	some f in fs
	contains(f.message, "2008-10-17")
}

# An unknown version is a grammar error (KMS001), reported there only.
test_invalid_policy_skipped if {
	doc := fx.with_problem(fx.input_of_policy({"Version": "2012-10-18", "Statement": fx.good}), fx.invalid_problem)
	count(kms003.findings) == 0 with input as doc
}
