# METADATA
# title: Policy Version missing or not 2012-10-17
# description: >-
#   Without "Version": "2012-10-17" IAM evaluates the policy with the obsolete 2008-10-17 language, in
#   which policy variables such as ${aws:PrincipalAccount} are not replaced but compared as literal text,
#   so conditions that use them silently stop matching.
#   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_version.html
# custom:
#   id: KMS003
#   severity: warning
#   profile: hygiene
#   fix: >-
#     Add "Version": "2012-10-17" at the top level of the policy.
#   example: '{"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"}]}'
package kmslint.rules.kms003

import rego.v1

invalid if {
	some p in input.problems
	p.rule == "KMS001"
}

findings contains f if {
	not invalid
	is_object(input.policy)
	not "Version" in object.keys(input.policy)
	f := {
		"message": `The policy has no "Version" element, so IAM uses the 2008-10-17 policy language, where policy variables such as ${aws:PrincipalAccount} are compared literally. Add "Version": "2012-10-17" at the top of the policy.`,
		"statement": -1,
	}
}

findings contains f if {
	not invalid
	v := input.policy.Version
	v != "2012-10-17"
	f := {
		"message": sprintf(`The policy says "Version": %s, the obsolete policy language in which policy variables such as ${aws:PrincipalAccount} are compared literally. Change it to "Version": "2012-10-17".`, [json.marshal(v)]),
		"statement": -1,
	}
}
