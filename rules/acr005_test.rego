package kmslint.rules.acr005_test

import rego.v1

import data.kmslint.rules.acr005 as rule
import data.kmslint.rules.acr_fixtures_test as fx

service_with(cond) := object.union(object.remove(fx.service_access, ["Condition"]), {"Condition": cond})

test_canonical_policy_passes if {
	count(rule.findings) == 0 with input as fx.input_of(fx.canonical_statements)
}

test_missing_service_statement_fires if {
	fs := rule.findings with input as fx.input_of([fx.caller_access, fx.caller_crypto])
	count(fs) == 1
	some f in fs
	f.statement == -1
	f.evidence.principal == "service:bedrock-agentcore.amazonaws.com"
	contains(f.message, `"Principal":{"Service":"bedrock-agentcore.amazonaws.com"}`)
	contains(f.message, `"aws:SourceAccount":"111122223333"`)
}

# Service principals never come through root delegation.
test_root_statement_does_not_help if {
	count(rule.findings) == 1 with input as fx.input_of([fx.root_access, fx.caller_access, fx.caller_crypto])
}

# The service principal's request has no aws:PrincipalAccount.
test_principal_account_condition_fires if {
	s := service_with({"StringEquals": {"aws:PrincipalAccount": fx.account}})
	fs := rule.findings with input as fx.input_of([fx.caller_access, fx.caller_crypto, s])
	some f in fs
	f.statement == 2
}

test_only_decrypt_fires if {
	s := object.union(fx.service_access, {"Action": "kms:Decrypt"})
	fs := rule.findings with input as fx.input_of([fx.caller_access, fx.caller_crypto, s])
	some f in fs
	f.evidence.action == "kms:GenerateDataKey"
}

test_string_equals_source_arn_wildcard_fires if {
	s := service_with({"StringEquals": {"aws:SourceAccount": fx.account, "aws:SourceArn": fx.rec_pattern}})
	count(rule.findings) == 1 with input as fx.input_of([fx.caller_access, fx.caller_crypto, s])
}

# A service principal calling with its own identity carries
# aws:ViaAWSService false, so a Deny on it blocks the async workflow.
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-viaawsservice
test_deny_not_via_service_blocks_the_service_principal if {
	deny := {
		"Sid": "DenyDirectUse", "Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*",
		"Condition": {"Bool": {"aws:ViaAWSService": "false"}},
	}
	fs := rule.findings with input as fx.input_of(array.concat(fx.canonical_statements, [deny]))
	count(fs) > 0
	some f in fs
	f.statement == 3
}

# Exempting service principals (aws:PrincipalIsAWSService) keeps it working.
test_deny_not_via_service_with_service_exemption_passes if {
	deny := {
		"Sid": "DenyDirectUse", "Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*",
		"Condition": {"Bool": {"aws:ViaAWSService": "false", "aws:PrincipalIsAWSService": "false"}},
	}
	count(rule.findings) == 0 with input as fx.input_of(array.concat(fx.canonical_statements, [deny]))
}
