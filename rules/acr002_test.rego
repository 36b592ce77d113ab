package kmslint.rules.acr002_test

import rego.v1

import data.kmslint.rules.acr002 as rule
import data.kmslint.rules.acr_fixtures_test as fx

ec_key := "kms:EncryptionContext:aws:bedrock-agentcore:recommendationArn"

crypto_with(cond) := object.union(object.remove(fx.caller_crypto, ["Condition"]), {"Condition": cond})

test_canonical_policy_passes if {
	count(rule.findings) == 0 with input as fx.input_of(fx.canonical_statements)
}

test_missing_crypto_statement_fires if {
	fs := rule.findings with input as fx.input_of([fx.caller_access, fx.service_access])
	count(fs) == 1
	some f in fs
	f.statement == -1
	f.evidence.action == "kms:GenerateDataKey"
	f.evidence.decision == "ImplicitDeny"
	contains(f.message, `"Sid":"AllowCallerCryptoOps"`)
	contains(f.message, `"arn:aws:bedrock-agentcore:us-east-1:111122223333:recommendation/*"`)
	contains(f.message, fx.role)
}

# StringEquals treats * literally: the documented pattern under StringEquals
# matches no real recommendation ARN.
test_string_equals_with_wildcard_fires if {
	s := crypto_with({"StringEquals": {ec_key: fx.rec_pattern}})
	fs := rule.findings with input as fx.input_of([fx.caller_access, s, fx.service_access])
	count(fs) == 1
	some f in fs
	f.statement == 1
}

# ArnLike (and ArnEquals) do match wildcards, per ARN component.
test_arn_like_passes if {
	s := crypto_with({"ArnLike": {ec_key: fx.rec_pattern}})
	count(rule.findings) == 0 with input as fx.input_of([fx.caller_access, s, fx.service_access])
}

test_arn_equals_with_wildcard_passes if {
	s := crypto_with({"ArnEquals": {ec_key: fx.rec_pattern}})
	count(rule.findings) == 0 with input as fx.input_of([fx.caller_access, s, fx.service_access])
}

test_wrong_region_fires if {
	s := crypto_with({"StringLike": {ec_key: "arn:aws:bedrock-agentcore:eu-west-1:111122223333:recommendation/*"}})
	count(rule.findings) == 1 with input as fx.input_of([fx.caller_access, s, fx.service_access])
}

test_only_other_action_fires if {
	s := object.union(fx.caller_crypto, {"Action": "kms:Decrypt"})
	count(rule.findings) == 1 with input as fx.input_of([fx.caller_access, s, fx.service_access])
}

test_root_delegation_only_is_left_to_acr012 if {
	count(rule.findings) == 0 with input as fx.input_of([fx.root_access, fx.caller_access, fx.service_access])
}

test_root_delegation_with_identity_policy_is_exact if {
	inp := fx.with_identity(fx.input_of([fx.root_access, fx.caller_access, fx.service_access]), [fx.deny_all_identity])
	count(rule.findings) == 1 with input as inp
	inp2 := fx.with_identity(fx.input_of([fx.root_access, fx.caller_access, fx.service_access]), [fx.allow_all_identity])
	count(rule.findings) == 0 with input as inp2
}

test_hygiene_only_is_silent if {
	inp := json.patch(fx.input_of([fx.service_access]), [{"op": "replace", "path": "/env/profiles", "value": []}])
	count(rule.findings) == 0 with input as inp
}

# Requests carry the time they are made at (input.env.now, set by lint to
# the time of the run): a grant that ends in the future holds, one that has
# ended or not begun does not.
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-currenttime
dated(op, when) := object.union(fx.caller_crypto, {"Condition": object.union(fx.caller_crypto.Condition, {op: {"aws:CurrentTime": when}})})

at(inp, now) := object.union(inp, {"env": object.union(inp.env, {"now": now})})

test_grant_until_a_later_date_holds if {
	inp := at(fx.input_of([fx.caller_access, dated("DateLessThan", "2030-01-01T00:00:00Z"), fx.service_access]), "2026-11-30T05:00:00Z")
	count(rule.findings) == 0 with input as inp
}

test_grant_that_has_ended_fires if {
	inp := at(fx.input_of([fx.caller_access, dated("DateLessThan", "2026-01-01T00:00:00Z"), fx.service_access]), "2026-11-30T05:00:00Z")
	count(rule.findings) == 1 with input as inp
}

test_grant_not_yet_begun_fires if {
	inp := at(fx.input_of([fx.caller_access, dated("DateGreaterThan", "2027-01-01T00:00:00Z"), fx.service_access]), "2026-11-30T05:00:00Z")
	count(rule.findings) == 1 with input as inp
}
