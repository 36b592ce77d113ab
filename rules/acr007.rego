# METADATA
# title: Service principal not scoped by both aws:SourceAccount and aws:SourceArn
# description: >-
#   No foreign account gets in, but the service principal's access holds with one of aws:SourceAccount or
#   aws:SourceArn missing. AWS recommends pinning both: aws:SourceArn to this account's recommendations and
#   aws:SourceAccount to this account, so the grant stays closed if one of them is absent from a request or
#   a condition is later edited.
# custom:
#   id: ACR007
#   severity: warning
#   profile: agentcore-recommendation
#   fix: >-
#     Use both StringEquals aws:SourceAccount ACCOUNT and ArnLike aws:SourceArn
#     arn:aws:bedrock-agentcore:REGION:ACCOUNT:recommendation/* in the service principal's statement.
#   example: >-
#     {"Effect": "Allow", "Principal": {"Service": "bedrock-agentcore.amazonaws.com"}, "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
#     "Resource": "*", "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:bedrock-agentcore:us-east-1:111122223333:recommendation/*"}}}
package kmslint.rules.acr007

import rego.v1

applies if {
	"agentcore-recommendation" in input.env.profiles
	not invalid
}

invalid if {
	some p in input.problems
	p.rule == "KMS001"
}

family := "service-scope"

partition := kmslint.parse_arn(input.env.key_arn).partition

rec_pattern := sprintf("arn:%s:bedrock-agentcore:%s:%s:recommendation/*", [partition, input.env.region, input.env.account])

scope := json.marshal({
	"StringEquals": {"aws:SourceAccount": input.env.account},
	"ArnLike": {"aws:SourceArn": rec_pattern},
})

# ACR006 already reports a confused deputy, which covers this.
deputy if {
	some p in kmslint.profile_requests(input.env).service_probes
	p.family == "service-deputy"
	kmslint.decision_as(input.policy, p.request, "none") == "Allow"
}

findings contains f if {
	applies
	not deputy
	some g in kmslint.probe_groups(input.policy, kmslint.profile_requests(input.env).service_probes, family)
	stmt := g.statement
	abouts := g.abouts
	p0 := g.probe
	d0 := g.decision
	label := input.statements[stmt].sid
	f := {
		"message": sprintf("bedrock-agentcore.amazonaws.com may use this key %s (statement %s): its access is not pinned by both aws:SourceAccount and aws:SourceArn. Make the conditions of statement %s %s", [concat("; ", abouts), label, label, scope]),
		"statement": stmt,
		"evidence": {
			"principal": p0.request.principal, "action": p0.request.action, "context": p0.request.context,
			"decision": d0.decision, "statements": d0.deciding,
		},
	}
}
