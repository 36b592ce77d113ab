# METADATA
# title: ForAllValues/ForAnyValue misuse
# description: >-
#   The set operators are for multivalued keys (kms:EncryptionContextKeys, kms:GrantOperations,
#   aws:CalledVia, aws:TagKeys...); on a single-valued key such as kms:CallerAccount or
#   kms:EncryptionContext:<k> they can make a policy more permissive than it reads, and a multivalued key
#   tested without one is compared against only part of the request. ForAllValues is also true when the key
#   is absent from the request, so an Allow that relies on it alone also allows requests that carry no
#   such key (for example no encryption context at all).
#   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
# custom:
#   id: KMS010
#   severity: warning
#   profile: hygiene
#   fix: >-
#     Drop the set operator on single-valued keys; use one on multivalued keys; next to ForAllValues in an
#     Allow, add "Null": {"<key>": "false"} so that the key must be present.
#   example: '"Condition": {"ForAllValues:StringEquals": {"kms:EncryptionContextKeys": ["aws:bedrock-agentcore:recommendationArn"]}}'
package kmslint.rules.kms010

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

conditions(st) := c if {
	c := st.Condition
	is_object(c)
} else := {}

# One finding per condition (statement, operator, key), with the first
# problem that applies.
findings contains f if {
	not invalid
	some i, st in statements
	some op, keys in conditions(st)
	o := kmslint.operator(op)
	o.known
	is_object(keys)
	some key, _ in keys
	k := kmslint.condition_key(key)
	k.known
	m := problem(st, o, op, key, k)
	f := {"message": sprintf("Statement %s: %s", [label(i, st), m]), "statement": i}
}

problem(st, o, op, key, k) := sprintf(`%s uses a set operator on %s, a single-valued key; set operators are for multivalued keys and can make the condition more permissive than it reads (%s). Use %q.`, [op, key, single_why(o), plain(op, o)]) if {
	o.set != ""
	not k.multivalued
} else := sprintf(`%s tests %s, a multivalued key, without ForAnyValue: or ForAllValues:, so it is unclear whether any or all of the request's values must match. Use "ForAnyValue:%s" (any value) or "ForAllValues:%s" (every value, plus a Null check).`, [op, key, op, op]) if {
	o.set == ""
	not o.null
	k.multivalued
} else := sprintf(`the Allow relies on %s on %s, which is also true when the request carries no %s at all, so requests without it are allowed too. Add "Null": {%q: "false"} (or a ForAnyValue condition) so the key must be present.`, [op, key, key, key]) if {
	st.Effect == "Allow"
	o.set == "ForAllValues"
	not requires_presence(st, key)
}

single_why(o) := "ForAllValues is true even when the key is absent" if o.set == "ForAllValues"

else := "ForAnyValue with a negated operator is true when any single value differs"

plain(op, o) := trim_prefix(trim_prefix(op, "ForAllValues:"), "ForAnyValue:")

# Another condition of the statement that fails when the key is absent.
requires_presence(st, key) if {
	some op, keys in conditions(st)
	o := kmslint.operator(op)
	o.null
	some k2, v in keys
	lower(k2) == lower(key)
	lower(sprintf("%v", [v])) == "false"
}

requires_presence(st, key) if {
	some op, keys in conditions(st)
	o := kmslint.operator(op)
	o.known
	not o.null
	not o.negated
	not o.if_exists
	o.set != "ForAllValues"
	some k2, _ in keys
	lower(k2) == lower(key)
}

label(i, st) := json.marshal(st.Sid) if is_string(st.Sid)

else := sprintf("Statement[%d]", [i])
