package kmslint.rules.kms012_test

import rego.v1

import data.kmslint.rules.kms012
import data.kmslint.rules.kms_fixtures_test as fx

test_canonical_passes if {
	count(kms012.findings) == 0 with input as fx.input_of(fx.good)
}

test_wildcards_pass if {
	st := object.union(fx.caller_access, {"Action": ["kms:Describe*", "kms:Get*", "*", "KMS:decrypt", "kms:GenerateDataKey?ithoutPlaintext"]})
	count(kms012.findings) == 0 with input as fx.input_of([st])
}

test_misspelt_action_fires if {
	st := object.union(fx.caller_crypto, {"Action": ["kms:GenerateDataKey", "kms:Decrpyt"]})
	fs := kms012.findings with input as fx.input_of([fx.root_access, st])
	count(fs) == 1
	some f in fs
	f.statement == 1
	contains(f.message, "kms:Decrpyt")
	contains(f.message, "kms:Decrypt")
}

test_other_service_fires if {
	st := object.union(fx.caller_access, {"Action": "s3:GetObject"})
	fs := kms012.findings with input as fx.input_of([st])
	some f in fs
	contains(f.message, "other services")
}

test_not_action_fires if {
	st := object.remove(object.union(fx.caller_access, {"Effect": "Deny", "NotAction": "kms:Decryptt"}), ["Action"])
	count(kms012.findings) == 1 with input as fx.input_of([fx.root_access, st])
}
