# METADATA
# title: Live key is disabled, pending deletion or otherwise unusable
# description: >-
#   With the key disabled or scheduled for deletion, StartRecommendation fails validation and
#   GetRecommendation fails with ValidationException; existing recommendations cannot be read.
#   KMS refuses cryptographic operations in every state but Enabled
#   (https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html): a key waiting for
#   imported key material (PendingImport), one whose custom key store is disconnected
#   (Unavailable) and a replica being deleted (PendingReplicaDeletion) fail the same way.
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
	"PendingImport": "Import its key material with ImportKeyMaterial, or use a key with AWS_KMS origin.",
	"PendingReplicaDeletion": "Use the primary key or another replica; this replica is being deleted.",
	"Unavailable": "Reconnect its custom key store (ConnectCustomKeyStore).",
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
