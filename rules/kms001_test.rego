package kmslint.rules.kms001_test

import rego.v1

import data.kmslint.rules.kms001
import data.kmslint.rules.kms_fixtures_test as fx

test_valid_policy_has_no_finding if {
	count(kms001.findings) == 0 with input as fx.input_of(fx.good)
}

test_each_problem_is_a_finding if {
	doc := object.union(fx.input_of(fx.good), {"problems": [
		{"rule": "KMS001", "message": `"Effect" must be exactly "Allow" or "Deny" (case-sensitive), got "allow"`, "line": 5, "column": 17, "statement": 1},
		{"rule": "KMS001", "message": `duplicate key "Action"`, "line": 9, "column": 7, "statement": 2},
	]})
	fs := kms001.findings with input as doc
	count(fs) == 2
	some f in fs
	f.statement == 1
	f.line == 5
	contains(f.message, `got "allow"`)
	contains(f.message, "MalformedPolicyDocumentException")
}

test_size_problem_is_not_kms001 if {
	doc := object.union(fx.input_of(fx.good), {"problems": [{"rule": "KMS002", "message": "too big", "line": 1, "column": 1, "statement": -1}]})
	count(kms001.findings) == 0 with input as doc
}
