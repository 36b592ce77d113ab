# METADATA
# title: Live key is in another region than the recommendations
# description: >-
#   The KMS key must be in the same AWS Region as the recommendation; StartRecommendation rejects a key of
#   another region.
# custom:
#   id: ACR010
#   severity: error
#   profile: agentcore-recommendation
#   fix: Use a key in the recommendations' region (a multi-Region replica there works too).
#   example: 'a key in eu-west-1 for recommendations in us-east-1'
package kmslint.rules.acr010

import rego.v1

findings contains f if {
	"agentcore-recommendation" in input.env.profiles
	input.key
	input.key.region != ""
	input.env.region != ""
	input.key.region != input.env.region
	f := {
		"message": sprintf("key %s is in %s but the recommendations are in %s; the key must be in the recommendation's region. Use a key (or a multi-Region replica) in %s.", [input.key.arn, input.key.region, input.env.region, input.env.region]),
		"statement": -1,
	}
}
