# METADATA
# title: Caller cannot generate data keys for a recommendation
# description: >-
#   StartRecommendation checks (dry run) and then encrypts the recommendation configuration with
#   kms:GenerateDataKey, using the caller's identity through the service (a forward access session) and
#   the encryption context {"aws:bedrock-agentcore:recommendationArn": <recommendation ARN>}. When the key
#   policy does not allow that request, StartRecommendation fails immediately.
# custom:
#   id: ACR002
#   severity: error
#   profile: agentcore-recommendation
#   fix: >-
#     Allow the caller kms:GenerateDataKey and kms:Decrypt, scoped with StringLike on
#     kms:EncryptionContext:aws:bedrock-agentcore:recommendationArn to
#     arn:aws:bedrock-agentcore:REGION:ACCOUNT:recommendation/* (the AllowCallerCryptoOps statement).
#   example: >-
#     {"Sid": "AllowCallerCryptoOps", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/MyRecommendationRole"},
#     "Action": "kms:Decrypt", "Resource": "*"}
package kmslint.rules.acr002

import rego.v1

action := "kms:GenerateDataKey"

step_about := "StartRecommendation cannot encrypt the recommendation configuration and fails"

applies if {
	"agentcore-recommendation" in input.env.profiles
	not invalid
}

invalid if {
	some p in input.problems
	p.rule == "KMS001"
}

given := count(object.get(input, "identity_policies", [])) > 0

identity := "given" if given
else := "none"

decide(req, mode) := kmslint.decide_as(input.policy, req, {"identity": mode, "identity_policies": object.get(input, "identity_policies", [])})

# The decision alone, cheap: decide explains, which only a finding needs.
decision(req, mode) := kmslint.decision_as(input.policy, req, {"identity": mode, "identity_policies": object.get(input, "identity_policies", [])})

denied[caller] := {"req": r, "d": d} if {
	applies
	profile := kmslint.profile_requests(input.env)
	some caller in input.env.callers
	rs := [s.request |
		some s in profile.callers[caller]
		s.request.action == action
	]
	r := rs[0]
	decision(r, identity) != "Allow"
	d := decide(r, identity)
	not d.error
	d.decision != "Allow"
	not root_only(r)
}

root_only(r) if {
	not given
	decision(r, "allow-all") == "Allow"
}

statement_to_add(caller) := json.marshal({
	"Sid": "AllowCallerCryptoOps",
	"Effect": "Allow",
	"Principal": {"AWS": caller},
	"Action": ["kms:GenerateDataKey", "kms:Decrypt"],
	"Resource": "*",
	"Condition": {"StringLike": {"kms:EncryptionContext:aws:bedrock-agentcore:recommendationArn": sprintf("arn:%s:bedrock-agentcore:%s:%s:recommendation/*", [partition, input.env.region, input.env.account])}},
})

partition := kmslint.parse_arn(input.env.key_arn).partition

culprit(d) := i if {
	d.decision == "ExplicitDeny"
	i := [s.index |
		some s in d.statements
		s.decisive
		s.effect == "Deny"
		s.policy == ""
	][0]
} else := i if {
	i := [s.index |
		some s in d.statements
		s.effect == "Allow"
		s.failed == "condition"
		s.policy == ""
	][0]
} else := -1

why(d) := sprintf("statement %s denies it explicitly; narrow that Deny so it does not match requests made through bedrock-agentcore with a recommendation's encryption context.", [concat(", ", d.deciding)]) if {
	d.decision == "ExplicitDeny"
} else := sprintf("statement %s names the caller and the action, but its condition does not match a recommendation's request (%s).", [s.sid, s.reason]) if {
	s := [s |
		some s in d.statements
		s.effect == "Allow"
		s.failed == "condition"
		s.policy == ""
	][0]
} else := "no statement allows it."

# The statement to add is offered only when adding it makes the request
# allowed: never one already in the policy, nor one an explicit Deny cancels.
with_statement(s) := object.union(input.policy, {"Statement": array.concat(policy_statements, [s])})

policy_statements := s if {
	s := input.policy.Statement
	is_array(s)
} else := [s] if {
	s := input.policy.Statement
	is_object(s)
} else := []

fix_text(stmt, r) := sprintf(" Add this statement: %s", [stmt]) if {
	decision_in(with_statement(json.unmarshal(stmt)), r, identity) == "Allow"
} else := ""

decision_in(pol, req, mode) := kmslint.decision_as(pol, req, {"identity": mode, "identity_policies": object.get(input, "identity_policies", [])})

findings contains f if {
	some caller, x in denied
	f := {
		"message": sprintf("%s cannot call %s on this key with a recommendation's encryption context (%s: %s), so %s: %s%s", [caller, action, x.d.decision, x.req.context["kms:EncryptionContext:aws:bedrock-agentcore:recommendationArn"], step_about, why(x.d), fix_text(statement_to_add(caller), x.req)]),
		"statement": culprit(x.d),
		"evidence": {
			"principal": x.req.principal, "action": x.req.action, "context": x.req.context,
			"decision": x.d.decision, "statements": x.d.deciding,
		},
	}
}
