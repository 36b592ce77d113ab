package kmslint.rules.kms002_test

import rego.v1

import data.kmslint.rules.kms002
import data.kmslint.rules.kms_fixtures_test as fx

test_small_policy_passes if {
	count(kms002.findings) == 0 with input as fx.input_of(fx.good)
}

test_problem_fires_once if {
	doc := object.union(fx.input_of(fx.good), {"size": 40000, "problems": [{"rule": "KMS002", "message": "key policy is 40000 bytes; KMS allows at most 32768", "line": 1, "column": 1, "statement": -1}]})
	fs := kms002.findings with input as doc
	count(fs) == 1
	some f in fs
	contains(f.message, "40000 bytes")
	f.statement == -1
}

test_size_alone_fires if {
	fs := kms002.findings with input as object.union(fx.input_of(fx.good), {"size": 32769})
	count(fs) == 1
}

test_exactly_limit_passes if {
	count(kms002.findings) == 0 with input as object.union(fx.input_of(fx.good), {"size": 32768})
}
