package kmslint.rules.acr006_test

import rego.v1

import data.kmslint.rules.acr006 as rule
import data.kmslint.rules.acr_fixtures_test as fx

service_with(cond) := object.union(object.remove(fx.service_access, ["Condition"]), {"Condition": cond})

input_with_service(s) := fx.input_of([fx.caller_access, fx.caller_crypto, s])

test_canonical_policy_passes if {
	count(rule.findings) == 0 with input as fx.input_of(fx.canonical_statements)
}

test_unconditioned_service_fires if {
	fs := rule.findings with input as input_with_service(object.remove(fx.service_access, ["Condition"]))
	count(fs) == 1
	some f in fs
	f.statement == 2
	f.evidence.decision == "Allow"
	contains(f.message, "444455556666")
	contains(f.message, `"aws:SourceAccount":"111122223333"`)
}

# Pinned by account only: the service may act for any resource of the
# account, not just its recommendations.
test_source_account_only_lets_other_resources_in if {
	fs := rule.findings with input as input_with_service(service_with({"StringEquals": {"aws:SourceAccount": fx.account}}))
	count(fs) == 1
	some f in fs
	contains(f.message, "non-recommendation")
	not contains(f.message, "444455556666")
	contains(f.message, "one of your resources that is not a recommendation")
	not contains(f.message, "another account's")
}

# Any recommendation of any account: foreign SourceArn gets in.
test_any_account_source_arn_fires if {
	fs := rule.findings with input as input_with_service(service_with({"ArnLike": {"aws:SourceArn": "arn:aws:bedrock-agentcore:us-east-1:*:recommendation/*"}}))
	count(fs) == 1
}

# IfExists lets a request without the key through.
test_if_exists_fires if {
	s := service_with({
		"StringEqualsIfExists": {"aws:SourceAccount": fx.account},
		"ArnLikeIfExists": {"aws:SourceArn": fx.rec_pattern},
	})
	fs := rule.findings with input as input_with_service(s)
	some f in fs
	contains(f.message, "neither aws:SourceAccount nor aws:SourceArn")
}

# Any AgentCore resource of this account, not only recommendations.
test_any_resource_of_account_fires if {
	s := service_with({
		"StringEquals": {"aws:SourceAccount": fx.account},
		"ArnLike": {"aws:SourceArn": "arn:aws:bedrock-agentcore:us-east-1:111122223333:*"},
	})
	fs := rule.findings with input as input_with_service(s)
	count(fs) == 1
	some f in fs
	contains(f.message, "non-recommendation")
}

# ArnEquals matches wildcards too: this is as good as ArnLike.
test_arn_equals_scoped_passes if {
	s := service_with({
		"StringEquals": {"aws:SourceAccount": fx.account},
		"ArnEquals": {"aws:SourceArn": fx.rec_pattern},
	})
	count(rule.findings) == 0 with input as input_with_service(s)
}

# A second account in aws:SourceAccount lets that account's requests in;
# lint passes the accounts a policy names, and the probes act for them.
test_second_source_account_fires if {
	svc := service_with({
		"StringEquals": {"aws:SourceAccount": [fx.account, "777788889999"]},
		"ArnLike": {"aws:SourceArn": "arn:aws:bedrock-agentcore:us-east-1:*:recommendation/*"},
	})
	fs := rule.findings with input as fx.with_others(input_with_service(svc), ["777788889999"], [])
	count(fs) == 1
	some f in fs
	contains(f.message, "777788889999")
}
