# METADATA
# title: Action that is no KMS action
# description: >-
#   A key policy controls only AWS KMS operations on its key. An action of another service (s3:GetObject),
#   a misspelt KMS action (kms:Decrpyt) or a pattern that matches no KMS action grants or denies nothing,
#   so the intended access is silently missing (or an intended Deny does not protect).
#   https://docs.aws.amazon.com/service-authorization/latest/reference/list_awskeymanagementservice.html
# custom:
#   id: KMS012
#   severity: error
#   profile: hygiene
#   fix: >-
#     Use the KMS action names of the service authorization reference (kms:Decrypt, kms:GenerateDataKey,
#     kms:DescribeKey...); move permissions of other services to those services' policies.
#   example: '"Action": ["kms:Decrpyt", "s3:GetObject"]'
package kmslint.rules.kms012

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
	some elem in ["Action", "NotAction"]
	some a in as_list(object.get(st, elem, []))
	is_string(a)
	a != "*"
	not kmslint.kms_action(a).valid
	f := {
		"message": sprintf(`Statement %s lists %q in %s, which is no KMS action, so it %s. %s`, [label(i, st), a, elem, consequence(st), hint(a)]),
		"statement": i,
	}
}

consequence(st) := "grants nothing on this key" if st.Effect == "Allow"

else := "denies nothing on this key"

hint(a) := sprintf(`Check the spelling against the KMS action list (for example %s).`, [concat(", ", close(a))]) if {
	startswith(lower(a), "kms:")
	count(close(a)) > 0
} else := `Check the spelling against the KMS actions (kms:Decrypt, kms:GenerateDataKey, kms:DescribeKey, ...).` if {
	startswith(lower(a), "kms:")
} else := `Key policies control only KMS operations; grant other services' actions in their own policies and remove it here.`

# KMS actions sharing the first five letters of the misspelt name.
close(a) := [m |
	some m in kmslint.kms_action("kms:*").matches
	n := trim_prefix(lower(a), "kms:")
	count(n) >= 5
	startswith(lower(m), concat("", ["kms:", substring(n, 0, 5)]))
]

label(i, st) := json.marshal(st.Sid) if is_string(st.Sid)

else := sprintf("Statement[%d]", [i])
