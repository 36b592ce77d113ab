# METADATA
# title: Live key is not a symmetric encryption key
# description: >-
#   AgentCore recommendations support only symmetric encryption KMS keys (KeySpec SYMMETRIC_DEFAULT,
#   KeyUsage ENCRYPT_DECRYPT): the AWS Encryption SDK generates data keys with GenerateDataKey, which
#   asymmetric and HMAC keys do not support.
# custom:
#   id: ACR009
#   severity: error
#   profile: agentcore-recommendation
#   fix: Create a symmetric encryption key (KeySpec SYMMETRIC_DEFAULT, KeyUsage ENCRYPT_DECRYPT) for recommendations.
#   example: 'kmslint lint --key-arn arn:aws:kms:us-east-1:111122223333:key/... on an RSA_2048 SIGN_VERIFY key'
package kmslint.rules.acr009

import rego.v1

applies if {
	"agentcore-recommendation" in input.env.profiles
	input.key
}

findings contains f if {
	applies
	not symmetric
	f := {
		"message": sprintf("key %s has KeySpec %s and KeyUsage %s; AgentCore recommendations need a symmetric encryption key (SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT). Create one and pass its ARN as kmsKeyArn.", [input.key.arn, input.key.key_spec, input.key.key_usage]),
		"statement": -1,
	}
}

symmetric if {
	input.key.key_spec == "SYMMETRIC_DEFAULT"
	input.key.key_usage == "ENCRYPT_DECRYPT"
}
