package kmslint.rules.kms011_test

import rego.v1

import data.kmslint.rules.kms011
import data.kmslint.rules.kms_fixtures_test as fx

test_canonical_passes if {
	count(kms011.findings) == 0 with input as fx.input_of(fx.good)
}

test_allow_not_principal_fires if {
	st := object.remove(object.union(fx.caller_access, {"NotPrincipal": {"AWS": fx.role}}), ["Principal"])
	fs := kms011.findings with input as fx.input_of([fx.root_access, st])
	count(fs) == 1
	some f in fs
	f.statement == 1
	contains(f.message, "NotPrincipal")
}

test_allow_not_action_fires if {
	st := object.remove(object.union(fx.caller_access, {"NotAction": ["kms:ScheduleKeyDeletion", "kms:PutKeyPolicy"]}), ["Action"])
	fs := kms011.findings with input as fx.input_of([fx.root_access, st])
	count(fs) == 1
	some f in fs
	contains(f.message, "NotAction")
}

# Deny with NotPrincipal/NotAction is the documented use: not reported.
test_deny_with_not_elements_passes if {
	deny := {"Effect": "Deny", "NotPrincipal": {"AWS": fx.role}, "NotAction": "kms:Decrypt", "Resource": "*"}
	count(kms011.findings) == 0 with input as fx.input_of([fx.root_access, deny])
}
