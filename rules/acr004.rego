# METADATA
# title: Caller's data-key access not scoped to this account's recommendations
# description: >-
#   The caller needs kms:GenerateDataKey and kms:Decrypt only with the encryption context of a
#   recommendation of this account and region. A grant that also works without that context, or for a
#   recommendation of another account or region, or for another resource, lets the caller (or anything
#   acting as the caller) use the key far beyond the recommendation workflow.
# custom:
#   id: ACR004
#   severity: warning
#   profile: agentcore-recommendation
#   fix: >-
#     Add a StringLike condition on kms:EncryptionContext:aws:bedrock-agentcore:recommendationArn with
#     arn:aws:bedrock-agentcore:REGION:ACCOUNT:recommendation/* to the statement that grants the caller
#     kms:GenerateDataKey and kms:Decrypt.
#   example: >-
#     {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/MyRecommendationRole"},
#     "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": "*"}
package kmslint.rules.acr004

import rego.v1

applies if {
	"agentcore-recommendation" in input.env.profiles
	not invalid
}

invalid if {
	some p in input.problems
	p.rule == "KMS001"
}

partition := kmslint.parse_arn(input.env.key_arn).partition

rec_pattern := sprintf("arn:%s:bedrock-agentcore:%s:%s:recommendation/*", [partition, input.env.region, input.env.account])

# Must-not checks look at what the key policy itself grants (identity
# "none"): root delegation is the account's IAM business. probe_groups
# groups the caller's allowed probes by the statement that allows them.
findings contains f if {
	applies
	profile := kmslint.profile_requests(input.env)
	some caller in input.env.callers
	some g in kmslint.probe_groups(input.policy, profile.caller_probes[caller], "caller-context")
	stmt := g.statement
	p0 := g.probe
	d0 := g.decision
	label := input.statements[stmt].sid
	f := {
		"message": sprintf("%s can %s: statement %s grants it without scoping the encryption context to this account's recommendations. Add to statement %s: %s", [caller, concat("; ", g.abouts), label, label, json.marshal({"StringLike": {"kms:EncryptionContext:aws:bedrock-agentcore:recommendationArn": rec_pattern}})]),
		"statement": stmt,
		"evidence": {
			"principal": p0.request.principal, "action": p0.request.action, "context": p0.request.context,
			"decision": d0.decision, "statements": d0.deciding,
		},
	}
}
