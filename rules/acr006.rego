# METADATA
# title: Service principal open to confused deputy
# description: >-
#   A statement that lets bedrock-agentcore.amazonaws.com use the key without pinning aws:SourceAccount
#   to this account and aws:SourceArn to this account's recommendations lets anyone's recommendation make
#   AgentCore encrypt or decrypt with your key: the service acts as a confused deputy. AWS sets both keys
#   on the service's requests for a recommendation; a request with them foreign, pointing at another kind
#   of resource, or absent must be denied.
# custom:
#   id: ACR006
#   severity: error
#   profile: agentcore-recommendation
#   fix: >-
#     Add StringEquals aws:SourceAccount ACCOUNT and ArnLike aws:SourceArn
#     arn:aws:bedrock-agentcore:REGION:ACCOUNT:recommendation/* to every statement that grants the service principal.
#   example: >-
#     {"Effect": "Allow", "Principal": {"Service": "bedrock-agentcore.amazonaws.com"},
#     "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": "*"}
package kmslint.rules.acr006

import rego.v1

applies if {
	"agentcore-recommendation" in input.env.profiles
	not invalid
}

invalid if {
	some p in input.problems
	p.rule == "KMS001"
}

# CONTRACT.md's ACR006 includes "a foreign or non-recommendation
# aws:SourceArn": the service acting for another resource of this account
# (another AgentCore resource type) is a confused deputy too, and the
# service-deputy probes include it.
family := "service-deputy"

partition := kmslint.parse_arn(input.env.key_arn).partition

rec_pattern := sprintf("arn:%s:bedrock-agentcore:%s:%s:recommendation/*", [partition, input.env.region, input.env.account])

scope := json.marshal({
	"StringEquals": {"aws:SourceAccount": input.env.account},
	"ArnLike": {"aws:SourceArn": rec_pattern},
})

findings contains f if {
	applies
	some g in kmslint.probe_groups(input.policy, kmslint.profile_requests(input.env).service_probes, family)
	stmt := g.statement
	abouts := g.abouts
	p0 := g.probe
	d0 := g.decision
	label := input.statements[stmt].sid
	f := {
		"message": sprintf("bedrock-agentcore.amazonaws.com may use this key on behalf of others (%s) because statement %s allows it: %s. Add to statement %s the conditions %s", [concat("; ", abouts), label, risk(abouts), label, scope]),
		"statement": stmt,
		"evidence": {
			"principal": p0.request.principal, "action": p0.request.action, "context": p0.request.context,
			"decision": d0.decision, "statements": d0.deciding,
		},
	}
}

# What the probes that got in put at risk: another account's requests, or
# only requests for a resource of this account that is not a recommendation.
risk(abouts) := "AgentCore acting for one of your resources that is not a recommendation could use the key" if {
	every a in abouts {
		contains(a, "non-recommendation")
	}
} else := "another account's recommendation could make AgentCore use your key"
