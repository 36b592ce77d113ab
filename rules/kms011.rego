# METADATA
# title: Allow with NotPrincipal or NotAction
# description: >-
#   "Effect": "Allow" with NotPrincipal grants the statement to every principal except those listed,
#   including other accounts and anonymous callers; AWS does not support NotPrincipal with Allow. Allow
#   with NotAction grants every action except those listed, including actions added to KMS later (for
#   example key administration or grant creation).
#   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
#   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html
# custom:
#   id: KMS011
#   severity: warning
#   profile: hygiene
#   fix: >-
#     Name the principals in Principal and the actions in Action; to exclude principals, use a Deny with an
#     aws:PrincipalArn condition.
#   example: '{"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:role/Untrusted"}, "NotAction": "kms:ScheduleKeyDeletion", "Resource": "*"}'
package kmslint.rules.kms011

import rego.v1

invalid if {
	some p in input.problems
	p.rule == "KMS001"
}

statements := s if {
	s := input.policy.Statement
	is_array(s)
} else := [s] if {
	s := input.policy.Statement
	is_object(s)
} else := []

findings contains f if {
	not invalid
	some i, st in statements
	st.Effect == "Allow"
	"NotPrincipal" in object.keys(st)
	f := {
		"message": sprintf(`Statement %s allows with "NotPrincipal": %s, i.e. every principal except those listed, including other accounts and anonymous callers (AWS does not support NotPrincipal with Allow). Name the principals to allow in "Principal" instead.`, [label(i, st), json.marshal(st.NotPrincipal)]),
		"statement": i,
	}
}

findings contains f if {
	not invalid
	some i, st in statements
	st.Effect == "Allow"
	"NotAction" in object.keys(st)
	f := {
		"message": sprintf(`Statement %s allows with "NotAction": %s, i.e. every KMS action except those listed, including key administration and any action KMS adds later. List the actions to allow in "Action" instead.`, [label(i, st), json.marshal(st.NotAction)]),
		"statement": i,
	}
}

label(i, st) := json.marshal(st.Sid) if is_string(st.Sid)

else := sprintf("Statement[%d]", [i])
