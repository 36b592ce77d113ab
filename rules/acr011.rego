# METADATA
# title: Live key is disabled or pending deletion
# description: >-
#   With the key disabled or scheduled for deletion, StartRecommendation fails validation and
#   GetRecommendation fails with ValidationException; existing recommendations cannot be read.
# custom:
#   id: ACR011
#   severity: error
#   profile: agentcore-recommendation
#   fix: Enable the key (EnableKey) or cancel its deletion (CancelKeyDeletion, then EnableKey).
#   example: 'a key in state PendingDeletion'
package kmslint.rules.acr011

import rego.v1

fix := {
	"Disabled": "Enable it with EnableKey.",
	"PendingDeletion": "Cancel the deletion with CancelKeyDeletion, then enable it with EnableKey.",
}

findings contains f if {
	"agentcore-recommendation" in input.env.profiles
	some state, how in fix
	input.key.key_state == state
	f := {
		"message": sprintf("key %s is %s, so StartRecommendation fails validation and GetRecommendation cannot decrypt results. %s", [input.key.arn, state, how]),
		"statement": -1,
	}
}
