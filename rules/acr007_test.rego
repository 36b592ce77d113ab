package kmslint.rules.acr007_test

import rego.v1

import data.kmslint.rules.acr007 as rule
import data.kmslint.rules.acr_fixtures_test as fx

service_with(cond) := object.union(object.remove(fx.service_access, ["Condition"]), {"Condition": cond})

input_with_service(s) := fx.input_of([fx.caller_access, fx.caller_crypto, s])

test_canonical_policy_passes if {
	count(rule.findings) == 0 with input as fx.input_of(fx.canonical_statements)
}

# Account only lets the service act for other resources of the account:
# ACR006's error, no extra warning.
test_source_account_only_is_left_to_acr006 if {
	count(rule.findings) == 0 with input as input_with_service(service_with({"StringEquals": {"aws:SourceAccount": fx.account}}))
}

# IfExists on aws:SourceArn: a request without it gets in, but nothing
# foreign does.
test_source_arn_if_exists_fires if {
	s := service_with({
		"StringEquals": {"aws:SourceAccount": fx.account},
		"ArnLikeIfExists": {"aws:SourceArn": fx.rec_pattern},
	})
	fs := rule.findings with input as input_with_service(s)
	count(fs) == 1
	some f in fs
	f.statement == 2
	contains(f.message, "no aws:SourceArn")
	contains(f.message, `"ArnLike":{"aws:SourceArn":"arn:aws:bedrock-agentcore:us-east-1:111122223333:recommendation/*"}`)
}

test_source_arn_only_fires if {
	fs := rule.findings with input as input_with_service(service_with({"ArnLike": {"aws:SourceArn": fx.rec_pattern}}))
	count(fs) == 1
	some f in fs
	contains(f.message, "no aws:SourceAccount")
}

# A confused deputy is ACR006's error; no extra warning.
test_deputy_is_left_to_acr006 if {
	count(rule.findings) == 0 with input as input_with_service(object.remove(fx.service_access, ["Condition"]))
}

test_any_resource_of_account_is_left_to_acr006 if {
	s := service_with({
		"StringEquals": {"aws:SourceAccount": fx.account},
		"ArnLike": {"aws:SourceArn": "arn:aws:bedrock-agentcore:us-east-1:111122223333:*"},
	})
	count(rule.findings) == 0 with input as input_with_service(s)
}
