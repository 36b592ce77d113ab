# METADATA
# title: Service principal cannot use the key for recommendations
# description: >-
#   The asynchronous recommendation workflow runs as the service principal bedrock-agentcore.amazonaws.com:
#   it decrypts the configuration and encrypts the result with kms:Decrypt and kms:GenerateDataKey, with
#   aws:SourceAccount and aws:SourceArn set to the recommendation. Service principals never get access
#   through the account-root statement, so the key policy must grant them directly, or every
#   recommendation fails after it started.
# custom:
#   id: ACR005
#   severity: error
#   profile: agentcore-recommendation
#   fix: >-
#     Allow bedrock-agentcore.amazonaws.com kms:GenerateDataKey and kms:Decrypt with StringEquals
#     aws:SourceAccount ACCOUNT and ArnLike aws:SourceArn arn:aws:bedrock-agentcore:REGION:ACCOUNT:recommendation/*
#     (the AllowServicePrincipalAccess statement).
#   example: >-
#     {"Sid": "AllowServicePrincipalAccess", "Effect": "Allow", "Principal": {"Service": "bedrock-agentcore.amazonaws.com"},
#     "Action": "kms:Decrypt", "Resource": "*", "Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"}}}
package kmslint.rules.acr005

import rego.v1

applies if {
	"agentcore-recommendation" in input.env.profiles
	not invalid
}

invalid if {
	some p in input.problems
	p.rule == "KMS001"
}

partition := kmslint.parse_arn(input.env.key_arn).partition

rec_pattern := sprintf("arn:%s:bedrock-agentcore:%s:%s:recommendation/*", [partition, input.env.region, input.env.account])

denied := [[s, d] |
	applies
	profile := kmslint.profile_requests(input.env)
	some s in profile.service
	kmslint.decision_as(input.policy, s.request, "none") != "Allow"
	d := kmslint.decide_as(input.policy, s.request, "none")
	not d.error
	d.decision != "Allow"
]

statement_to_add := json.marshal({
	"Sid": "AllowServicePrincipalAccess",
	"Effect": "Allow",
	"Principal": {"Service": "bedrock-agentcore.amazonaws.com"},
	"Action": ["kms:GenerateDataKey", "kms:Decrypt"],
	"Resource": "*",
	"Condition": {
		"StringEquals": {"aws:SourceAccount": input.env.account},
		"ArnLike": {"aws:SourceArn": rec_pattern},
	},
})

culprit(d) := i if {
	d.decision == "ExplicitDeny"
	i := [s.index |
		some s in d.statements
		s.decisive
		s.effect == "Deny"
	][0]
} else := i if {
	i := [s.index |
		some s in d.statements
		s.effect == "Allow"
		s.failed == "condition"
	][0]
} else := -1

why(d) := sprintf("statement %s denies it explicitly; exclude the service principal's recommendation requests from that Deny.", [concat(", ", d.deciding)]) if {
	d.decision == "ExplicitDeny"
} else := sprintf("statement %s names the service and the action, but its condition does not match the workflow's request (%s).", [s.sid, s.reason]) if {
	s := [s |
		some s in d.statements
		s.effect == "Allow"
		s.failed == "condition"
	][0]
} else := "no statement grants the service principal (the account-root statement never does)."

# Offered only when it works: never a statement already there, nor one an
# explicit Deny cancels.
fix_text(r) := sprintf(" Add this statement: %s", [statement_to_add]) if {
	kmslint.decision_as(object.union(input.policy, {"Statement": array.concat(policy_statements, [json.unmarshal(statement_to_add)])}), r, "none") == "Allow"
} else := ""

policy_statements := s if {
	s := input.policy.Statement
	is_array(s)
} else := [s] if {
	s := input.policy.Statement
	is_object(s)
} else := []

findings contains f if {
	count(denied) > 0
	[s0, d0] := denied[0]
	steps := concat("; ", [s.step | some [s, _] in denied])
	f := {
		"message": sprintf("bedrock-agentcore.amazonaws.com cannot use this key for a recommendation of account %s (%s), so the asynchronous workflow fails: %s %s%s", [input.env.account, steps, d0.decision, why(d0), fix_text(s0.request)]),
		"statement": culprit(d0),
		"evidence": {
			"principal": s0.request.principal, "action": s0.request.action, "context": s0.request.context,
			"decision": d0.decision, "statements": d0.deciding,
		},
	}
}
