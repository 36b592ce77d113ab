# METADATA
# title: IfExists on a confused-deputy or encryption-context key
# description: >-
#   An ...IfExists operator evaluates to true when the key is absent from the request. In an Allow,
#   StringEqualsIfExists on aws:SourceAccount or ArnLikeIfExists on aws:SourceArn therefore lets a service
#   principal in when it acts without a source (or for a caller that omits it), undoing the confused-deputy
#   protection; on kms:EncryptionContext:<k> or kms:EncryptionContextKeys it allows requests that carry no
#   encryption context at all. In a Deny, IfExists makes the Deny stricter and is not reported.
#   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IfExists
#   https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html
# custom:
#   id: KMS009
#   severity: warning
#   profile: hygiene
#   fix: >-
#     Drop IfExists (StringEquals, ArnLike, StringLike) so that the key must be present and match.
#   example: '"Condition": {"StringEqualsIfExists": {"aws:SourceAccount": "111122223333"}, "ArnLikeIfExists": {"aws:SourceArn": "arn:aws:bedrock-agentcore:us-east-1:111122223333:recommendation/*"}}'
package kmslint.rules.kms009

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

protective(key) := "confused-deputy protection: a service request without a source account passes" if {
	lower(key) == "aws:sourceaccount"
} else := "confused-deputy protection: a service request without a source ARN passes" if {
	lower(key) == "aws:sourcearn"
} else := "encryption-context scoping: a request with no encryption context passes" if {
	startswith(lower(key), "kms:encryptioncontext:")
} else := "encryption-context scoping: a request with no encryption context passes" if {
	lower(key) == "kms:encryptioncontextkeys"
}

findings contains f if {
	not invalid
	some i, st in statements
	st.Effect == "Allow"
	some op, keys in conditions(st)
	o := kmslint.operator(op)
	o.known
	o.if_exists
	is_object(keys)
	some key, _ in keys
	why := protective(key)
	f := {
		"message": sprintf(`Statement %s allows under %s on %s, which is true when %s is absent, defeating its %s. Use %q so the key must be present and match.`, [label(i, st), op, key, key, why, trim_suffix(op, "IfExists")]),
		"statement": i,
	}
}

label(i, st) := json.marshal(st.Sid) if is_string(st.Sid)

else := sprintf("Statement[%d]", [i])
