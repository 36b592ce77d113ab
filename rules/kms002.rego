# METADATA
# title: Key policy larger than 32 KB
# description: >-
#   A key policy document can be at most 32 KB (32,768 bytes); PutKeyPolicy rejects a larger one, so the
#   key keeps its previous policy. kmslint measures the policy as compact JSON, the form CloudFormation,
#   CDK and Terraform's jsonencode send; a file uploaded as it is (put-key-policy --policy file://...)
#   counts its whitespace too, so keep such files compact or well under the limit.
#   https://docs.aws.amazon.com/kms/latest/developerguide/resource-limits.html#key-policy-document-size
# custom:
#   id: KMS002
#   severity: error
#   profile: hygiene
#   fix: >-
#     Merge statements that grant the same actions, list principals in one statement, drop whitespace, or
#     move per-principal grants into IAM policies behind the account-root statement.
#   example: a generated policy with one statement per role, 40 KB long
package kmslint.rules.kms002

import rego.v1

max_bytes := 32768

reported if {
	some p in input.problems
	p.rule == "KMS002"
}

findings contains f if {
	some p in input.problems
	p.rule == "KMS002"
	f := {"message": msg(p.message), "statement": -1}
}

# Loaders that did not add the problem still pass the size.
findings contains f if {
	not reported
	input.size > max_bytes
	f := {"message": msg(sprintf("key policy is %d bytes; KMS allows at most %d", [input.size, max_bytes])), "statement": -1}
}

msg(m) := sprintf("%s. PutKeyPolicy would reject it; shorten the policy below 32,768 bytes (merge statements granting the same actions, list several principals in one statement, remove whitespace).", [trim_right(m, ".")])
