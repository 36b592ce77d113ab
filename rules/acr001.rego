# METADATA
# title: Caller cannot describe the key
# description: >-
#   StartRecommendation validates the customer managed key by calling kms:DescribeKey with the caller's
#   identity through the service (a forward access session). When the key policy does not allow it,
#   StartRecommendation fails with ValidationException before any recommendation exists. DescribeKey
#   carries no encryption context, so a grant scoped by an encryption-context condition never allows it.
# custom:
#   id: ACR001
#   severity: error
#   profile: agentcore-recommendation
#   fix: >-
#     Allow the caller kms:DescribeKey in a statement of its own, without encryption-context conditions
#     (the AllowCallerAccess statement of the documented policy).
#   example: >-
#     {"Sid": "AllowCallerCryptoOps", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/MyRecommendationRole"},
#     "Action": ["kms:DescribeKey", "kms:GenerateDataKey", "kms:Decrypt"], "Resource": "*",
#     "Condition": {"StringLike": {"kms:EncryptionContext:aws:bedrock-agentcore:recommendationArn": "arn:aws:bedrock-agentcore:us-east-1:111122223333:recommendation/*"}}}
package kmslint.rules.acr001

import rego.v1

applies if {
	"agentcore-recommendation" in input.env.profiles
	not invalid
}

invalid if {
	some p in input.problems
	p.rule == "KMS001"
}

# With --identity-policy the answer is exact; without, root delegation is
# reported by ACR012 instead of this error.
given := count(object.get(input, "identity_policies", [])) > 0

identity := "given" if given
else := "none"

decide(req, mode) := kmslint.decide_as(input.policy, req, {"identity": mode, "identity_policies": object.get(input, "identity_policies", [])})

# The decision alone, cheap: decide explains, which only a finding needs.
decision(req, mode) := kmslint.decision_as(input.policy, req, {"identity": mode, "identity_policies": object.get(input, "identity_policies", [])})

# The first DescribeKey request of each caller that the policy denies.
denied[caller] := {"req": r, "d": d} if {
	applies
	profile := kmslint.profile_requests(input.env)
	some caller in input.env.callers
	rs := [s.request |
		some s in profile.callers[caller]
		s.request.action == "kms:DescribeKey"
	]
	r := rs[0]
	decision(r, identity) != "Allow"
	d := decide(r, identity)
	not d.error
	d.decision != "Allow"
	not root_only(r)
}

# Root delegation alone would allow it: ACR012's notice, not this error.
root_only(r) if {
	not given
	decision(r, "allow-all") == "Allow"
}

statement_to_add(caller) := json.marshal({
	"Sid": "AllowCallerAccess",
	"Effect": "Allow",
	"Principal": {"AWS": caller},
	"Action": "kms:DescribeKey",
	"Resource": "*",
})

# The statement to point at: a Deny that decided, else an Allow naming the
# caller and the action whose condition failed, else none (-1).
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

why(d) := sprintf("statement %s denies it explicitly; narrow that Deny so it does not match DescribeKey through bedrock-agentcore.", [concat(", ", d.deciding)]) if {
	d.decision == "ExplicitDeny"
} else := sprintf("statement %s grants it only under a condition DescribeKey cannot meet (%s): DescribeKey carries no encryption context, so put it in a statement without encryption-context conditions.", [s.sid, s.reason]) if {
	s := failed_allow(d)
	contains(lower(s.reason), "kms:encryptioncontext")
} else := sprintf("statement %s names the caller and the action, but its condition does not hold for the caller's DescribeKey through bedrock-agentcore (%s).", [s.sid, s.reason]) if {
	s := failed_allow(d)
} else := "no statement allows it."

# The first Allow of the key policy that matched but for its condition.
failed_allow(d) := [s |
	some s in d.statements
	s.effect == "Allow"
	s.failed == "condition"
	s.policy == ""
][0]

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
		"message": sprintf("%s cannot call kms:DescribeKey on this key (%s), so StartRecommendation fails key validation with ValidationException: %s%s", [caller, x.d.decision, why(x.d), fix_text(statement_to_add(caller), x.req)]),
		"statement": culprit(x.d),
		"evidence": {
			"principal": x.req.principal, "action": x.req.action, "context": x.req.context,
			"decision": x.d.decision, "statements": x.d.deciding,
		},
	}
}
