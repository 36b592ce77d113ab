# METADATA
# title: Wildcard in a StringEquals-family value
# description: >-
#   StringEquals, StringNotEquals, StringEqualsIgnoreCase and StringNotEqualsIgnoreCase compare exactly:
#   a * or ? in their values is a literal character, not a wildcard, so a value such as
#   arn:aws:bedrock-agentcore:us-east-1:111122223333:recommendation/* matches no real request (an Allow
#   never applies, a negated Deny always applies). StringLike and the ARN operators (ArnLike, and also
#   ArnEquals, which matches * and ? per ARN component) are the ones that take wildcards.
#   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_String
#   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN
# custom:
#   id: KMS008
#   severity: error
#   profile: hygiene
#   fix: >-
#     Use StringLike (StringNotLike for the negated forms), or ArnLike for ARN-valued keys, when the value
#     is a pattern; keep StringEquals for exact values.
#   example: '"Condition": {"StringEquals": {"kms:EncryptionContext:aws:bedrock-agentcore:recommendationArn": "arn:aws:bedrock-agentcore:us-east-1:111122223333:recommendation/*"}}'
package kmslint.rules.kms008

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

conditions(st) := c if {
	c := st.Condition
	is_object(c)
} else := {}

# ${*} ${?} ${$} are the escapes for literal characters; they are not
# wildcards in any operator.
has_wildcard(v) if {
	is_string(v)
	s := replace(replace(replace(v, "${*}", ""), "${?}", ""), "${$}", "")
	regex.match(`[*?]`, s)
}

findings contains f if {
	not invalid
	some i, st in statements
	some op, keys in conditions(st)
	o := kmslint.operator(op)
	o.string_equals_family
	is_object(keys)
	some key, vals in keys
	bad := [v | some v in as_list(vals); has_wildcard(v)]
	count(bad) > 0
	f := {
		"message": sprintf(`Statement %s: %s treats * and ? literally, so %s %s never matches a real %s value; the condition %s. Write it as %q instead.`, [label(i, st), op, key_phrase(key), json.marshal(bad[0]), key, consequence(o), replacement(op, o, key, bad[0])]),
		"statement": i,
	}
}

key_phrase(key) := sprintf("the value for %s", [key])

consequence(o) := "always holds for an existing key (the negation of a literal that never occurs)" if o.negated

else := "never holds, so the statement never applies"

# ARN-valued keys get the ARN operator, others StringLike; the set and
# IfExists parts of the operator are kept.
replacement(op, o, key, v) := sprintf("%s%s%s", [prefix(o), base(o, key, v), suffix(o)])

prefix(o) := concat("", [o.set, ":"]) if o.set != ""

else := ""

suffix(o) := "IfExists" if o.if_exists

else := ""

base(o, key, v) := "ArnNotLike" if {
	o.negated
	arn_valued(key, v)
} else := "ArnLike" if {
	arn_valued(key, v)
} else := "StringNotLike" if {
	o.negated
} else := "StringLike"

arn_valued(key, v) if {
	lower(key) in {"aws:sourcearn", "aws:principalarn"}
	startswith(v, "arn:")
}

label(i, st) := json.marshal(st.Sid) if is_string(st.Sid)

else := sprintf("Statement[%d]", [i])
