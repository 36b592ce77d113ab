# METADATA
# title: Unknown condition operator or key
# description: >-
#   IAM rejects a condition operator it does not know, and a condition key that requests to KMS never
#   carry (a misspelling such as kms:EncryptionContext without a key name, a key of another service such
#   as s3:prefix, or an invented aws: key) is simply absent: a positive condition on it never matches and
#   a negated one always does, so the statement does something other than intended.
#   Operators: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
#   Keys: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html and
#   https://docs.aws.amazon.com/kms/latest/developerguide/policy-conditions.html
# custom:
#   id: KMS007
#   severity: error
#   profile: hygiene
#   fix: >-
#     Use an operator of the IAM condition-operator reference and a global aws: key or a kms: key that KMS
#     requests carry; check the spelling of the key.
#   example: '"Condition": {"StringEqual": {"kms:EncryptionContext:aws:bedrock-agentcore:recommendationArn": "..."}, "StringEquals": {"s3:x-amz-acl": "private"}}'
package kmslint.rules.kms007

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

findings contains f if {
	not invalid
	some i, st in statements
	some op, _ in conditions(st)
	not kmslint.operator(op).known
	f := {
		"message": sprintf(`Statement %s uses the condition operator %q, which IAM does not know, so KMS rejects the policy. Use a documented operator such as StringEquals, StringLike, ArnLike, Bool, Null, NumericLessThan, optionally with ForAnyValue:/ForAllValues: or ...IfExists.`, [label(i, st), op]),
		"statement": i,
	}
}

findings contains f if {
	not invalid
	some i, st in statements
	some op, keys in conditions(st)
	kmslint.operator(op).known
	is_object(keys)
	some key, _ in keys
	not kmslint.condition_key(key).known
	f := {
		"message": sprintf(`Statement %s tests the condition key %q under %s, but requests to KMS never carry that key, so the condition %s. %s`, [label(i, st), key, op, effect_of(op), hint(key)]),
		"statement": i,
	}
}

effect_of(op) := "is always true (a negated operator matches an absent key)" if {
	kmslint.operator(op).negated
} else := "always passes when the key is absent (IfExists)" if {
	kmslint.operator(op).if_exists
} else := "is always true when the key is absent (ForAllValues)" if {
	kmslint.operator(op).set == "ForAllValues"
} else := "is always true for a \"true\" Null test and false otherwise" if {
	kmslint.operator(op).null
} else := "never matches and the statement never applies"

hint(key) := `An encryption-context key is written kms:EncryptionContext:<context key>, e.g. kms:EncryptionContext:aws:bedrock-agentcore:recommendationArn.` if {
	startswith(lower(key), "kms:encryptioncontext")
} else := `Use a global aws: condition key or a kms: condition key (check its spelling); keys of other services are never set on KMS requests.`

label(i, st) := json.marshal(st.Sid) if is_string(st.Sid)

else := sprintf("Statement[%d]", [i])
