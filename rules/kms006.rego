# METADATA
# title: Resource other than "*"
# description: >-
#   In a key policy, "Resource": "*" means "this KMS key"; a key policy cannot grant access to any other
#   resource. A specific ARN there is at best redundant and at worst a typo or another key's ARN, which
#   makes the statement never apply (a copied policy then silently grants nothing). NotResource inverts the
#   match and is equally confusing.
#   https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html#key-policy-elements
# custom:
#   id: KMS006
#   severity: warning
#   profile: hygiene
#   fix: >-
#     Use "Resource": "*" in every key policy statement.
#   example: '{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}'
package kmslint.rules.kms006

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

as_list(x) := x if is_array(x)

else := [x]

findings contains f if {
	not invalid
	some i, st in statements
	others := [r | some r in as_list(st.Resource); r != "*"]
	count(others) > 0
	f := {
		"message": sprintf(`Statement %s has "Resource": %s. In a key policy the only resource is the key itself, written "*"; a specific ARN is redundant at best and, if it is not exactly this key's ARN, makes the statement never apply. Replace it with "Resource": "*".`, [label(i, st), json.marshal(st.Resource)]),
		"statement": i,
	}
}

findings contains f if {
	not invalid
	some i, st in statements
	"NotResource" in object.keys(st)
	f := {
		"message": sprintf(`Statement %s uses "NotResource": %s. A key policy applies only to its own key, so NotResource either excludes the key (the statement never applies) or is meaningless. Replace it with "Resource": "*".`, [label(i, st), json.marshal(st.NotResource)]),
		"statement": i,
	}
}

label(i, st) := json.marshal(st.Sid) if is_string(st.Sid)

else := sprintf("Statement[%d]", [i])
