# METADATA
# title: Duplicate Sid
# description: >-
#   Statement ids identify statements in reports, in CloudFormation and CDK updates that merge policies,
#   and in kmslint's own findings. Two statements with the same Sid make them ambiguous, and tools that
#   key statements by Sid may drop or overwrite one of them.
#   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_sid.html
# custom:
#   id: KMS013
#   severity: warning
#   profile: hygiene
#   fix: >-
#     Give every statement a unique Sid.
#   example: '[{"Sid": "AllowCallerAccess", ...}, {"Sid": "AllowCallerAccess", ...}]'
package kmslint.rules.kms013

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

# Each repeat is reported at the later statement, naming the first.
findings contains f if {
	not invalid
	some i, st in statements
	is_string(st.Sid)
	st.Sid != ""
	earlier := [j | some j, o in statements; j < i; o.Sid == st.Sid]
	count(earlier) > 0
	f := {
		"message": sprintf(`Statement[%d] repeats the Sid %q of Statement[%d]; statement ids must be unique within the policy. Rename one of them.`, [i, st.Sid, earlier[0]]),
		"statement": i,
	}
}
