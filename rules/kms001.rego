# METADATA
# title: Not a valid key policy
# description: >-
#   KMS rejects a key policy with a grammar error (PutKeyPolicy and CreateKey fail with
#   MalformedPolicyDocumentException): duplicate JSON keys, an unknown or missing element, a value of the
#   wrong type, an Effect other than exactly "Allow" or "Deny", or an invalid principal. No other rule can
#   judge such a policy, because AWS would never evaluate it.
#   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
# custom:
#   id: KMS001
#   severity: error
#   profile: hygiene
#   fix: Correct the element named in the message; the policy must follow the IAM policy grammar.
#   example: '{"Version": "2012-10-17", "Statement": [{"Effect": "allow", "Principal": "*", "Action": "kms:*"}]}'
package kmslint.rules.kms001

import rego.v1

# The parser (internal/policy) already found every violation with its exact
# position; this rule turns them into findings. "line"/"column" are the
# problem's own position, finer than the statement's.
findings contains f if {
	some p in input.problems
	p.rule == "KMS001"
	f := {
		"message": sprintf("%s. KMS rejects this policy (MalformedPolicyDocumentException); fix this element so the policy follows the IAM policy grammar.", [trim_right(p.message, ".")]),
		"statement": p.statement,
		"line": p.line,
		"column": p.column,
	}
}
