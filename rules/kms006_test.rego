package kmslint.rules.kms006_test

import rego.v1

import data.kmslint.rules.kms006
import data.kmslint.rules.kms_fixtures_test as fx

test_star_passes if {
	count(kms006.findings) == 0 with input as fx.input_of(fx.good)
}

test_key_arn_fires if {
	st := object.union(fx.root_access, {"Resource": fx.key_arn})
	fs := kms006.findings with input as fx.input_of([st, fx.caller_access])
	count(fs) == 1
	some f in fs
	f.statement == 0
	contains(f.message, fx.key_arn)
}

test_list_with_star_and_arn_fires if {
	st := object.union(fx.caller_access, {"Resource": ["*", "arn:aws:s3:::bucket"]})
	count(kms006.findings) == 1 with input as fx.input_of([fx.root_access, st])
}

test_not_resource_fires if {
	st := object.remove(object.union(fx.caller_access, {"NotResource": "arn:aws:kms:*:*:alias/*"}), ["Resource"])
	fs := kms006.findings with input as fx.input_of([fx.root_access, st])
	some f in fs
	contains(f.message, "NotResource")
}

test_single_statement_object if {
	p := {"Version": "2012-10-17", "Statement": object.union(fx.root_access, {"Resource": fx.key_arn})}
	count(kms006.findings) == 1 with input as fx.input_of_policy(p)
}
