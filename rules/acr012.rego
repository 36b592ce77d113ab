# METADATA
# title: Caller's access comes only through the account-root statement
# description: >-
#   The key policy does not grant the caller the workflow's requests itself; only the statement that
#   allows the account root (root delegation) can, so the caller's IAM policies decide and kmslint cannot
#   see them. The workflow works only if those IAM policies allow kms:DescribeKey, kms:GenerateDataKey and
#   kms:Decrypt on this key.
# custom:
#   id: ACR012
#   severity: info
#   profile: agentcore-recommendation
#   fix: >-
#     Pass the caller's IAM policies with --identity-policy FILE for an exact answer, or grant the caller in
#     the key policy (AllowCallerAccess and AllowCallerCryptoOps statements).
#   example: >-
#     {"Sid": "EnableIAMUserPermissions", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
#     "Action": "kms:*", "Resource": "*"} with no statement naming the caller
package kmslint.rules.acr012

import rego.v1

applies if {
	"agentcore-recommendation" in input.env.profiles
	not invalid
	count(object.get(input, "identity_policies", [])) == 0
}

invalid if {
	some p in input.problems
	p.rule == "KMS001"
}

# Requests the key policy alone denies but root delegation would allow.
root_only contains [caller, r.action, r, d, root] if {
	applies
	profile := kmslint.profile_requests(input.env)
	some caller in input.env.callers
	some s in profile.callers[caller]
	r := s.request
	kmslint.decision_as(input.policy, r, "none") == "ImplicitDeny"
	kmslint.decision_as(input.policy, r, "allow-all") == "Allow"
	d := kmslint.decide_as(input.policy, r, "allow-all")
	root := [st.index |
		some st in d.statements
		st.via == "account"
		st.matched
		st.policy == ""
	][0]
}

findings contains f if {
	some [caller, _, _, _, root] in root_only
	actions := sort({a | some [c, a, _, _, _] in root_only; c == caller})
	[_, _, r0, d0, _] := [x | some x in root_only; x[0] == caller][0]
	label := input.statements[root].sid
	f := {
		"message": sprintf("%s gets %s on this key only through statement %s (the account root), so its IAM policies decide and kmslint cannot see them. Pass them with --identity-policy FILE for an exact check, or grant the caller in the key policy as the documented AllowCallerAccess and AllowCallerCryptoOps statements do.", [caller, concat(", ", actions), label]),
		"statement": root,
		"evidence": {
			"principal": r0.principal, "action": r0.action, "context": r0.context,
			"decision": "ImplicitDeny", "statements": d0.deciding,
		},
	}
}
