# METADATA
# title: More access than the recommendation workflow needs
# description: >-
#   The recommendation workflow needs kms:DescribeKey, kms:GenerateDataKey and kms:Decrypt for the caller
#   and kms:GenerateDataKey and kms:Decrypt for the service principal. Other actions the key policy grants
#   them (Encrypt, ReEncrypt, CreateGrant, key administration...) are not used by it; least privilege says
#   remove them.
# custom:
#   id: ACR008
#   severity: info
#   profile: agentcore-recommendation
#   fix: >-
#     Replace broad actions such as kms:* or kms:GenerateDataKey* with the exact actions of the documented
#     policy, and move other needs to statements of their own principals.
#   example: >-
#     {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/MyRecommendationRole"},
#     "Action": "kms:*", "Resource": "*"}
package kmslint.rules.acr008

import rego.v1

applies if {
	"agentcore-recommendation" in input.env.profiles
	not invalid
}

invalid if {
	some p in input.problems
	p.rule == "KMS001"
}

needed := {"kms:DescribeKey", "kms:GenerateDataKey", "kms:Decrypt"}

profile := kmslint.profile_requests(input.env)

# The workflow's own requests are the legitimate contexts to probe with.
requests[who] := [s.request | some s in profile.callers[who]] if {
	applies
	some who in input.env.callers
}

requests["bedrock-agentcore.amazonaws.com"] := [s.request | some s in profile.service] if applies

extra(r) := {a |
	some a in kmslint.allowed_actions_as(input.policy, r, "none")
	not a in needed
}

allowed[who] := {a |
	some r in reqs
	some a in extra(r)
} if {
	some who, reqs in requests
}

findings contains f if {
	some who, extras in allowed
	count(extras) > 0
	actions := sort(extras)
	# The smallest request that proves the first action: any would do, this
	# one keeps the evidence stable from run to run.
	r0 := min({r | some r in requests[who]; actions[0] in extra(r)})
	req := object.union(r0, {"action": actions[0], "identity": "none"})
	d := kmslint.decide(input.policy, req)
	stmt := [s.index |
		some s in d.statements
		s.decisive
		s.effect == "Allow"
		s.policy == ""
	][0]
	label := input.statements[stmt].sid
	f := {
		"message": sprintf("%s is also allowed %s on this key, which the recommendation workflow never uses (statement %s grants %s). Narrow the Action of statement %s to what the workflow needs: kms:DescribeKey, kms:GenerateDataKey and kms:Decrypt for a caller, kms:GenerateDataKey and kms:Decrypt for the service principal.", [who, concat(", ", actions), label, actions[0], label]),
		"statement": stmt,
		"evidence": {
			"principal": req.principal, "action": req.action, "context": req.context,
			"decision": d.decision, "statements": d.deciding,
		},
	}
}
