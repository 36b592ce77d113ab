# Shared fixtures of the KMS (hygiene) rule tests: an input document in the
# shape internal/lint builds, around a list of statements.
package kmslint.rules.kms_fixtures_test

import rego.v1

account := "111122223333"

role := "arn:aws:iam::111122223333:role/MyRecommendationRole"

key_arn := "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"

rec_pattern := "arn:aws:bedrock-agentcore:us-east-1:111122223333:recommendation/*"

root_access := {
	"Sid": "EnableIAMUserPermissions",
	"Effect": "Allow",
	"Principal": {"AWS": "arn:aws:iam::111122223333:root"},
	"Action": "kms:*",
	"Resource": "*",
}

caller_access := {
	"Sid": "AllowCallerAccess",
	"Effect": "Allow",
	"Principal": {"AWS": role},
	"Action": "kms:DescribeKey",
	"Resource": "*",
}

caller_crypto := {
	"Sid": "AllowCallerCryptoOps",
	"Effect": "Allow",
	"Principal": {"AWS": role},
	"Action": ["kms:GenerateDataKey", "kms:Decrypt"],
	"Resource": "*",
	"Condition": {"StringLike": {"kms:EncryptionContext:aws:bedrock-agentcore:recommendationArn": rec_pattern}},
}

service_access := {
	"Sid": "AllowServicePrincipalAccess",
	"Effect": "Allow",
	"Principal": {"Service": "bedrock-agentcore.amazonaws.com"},
	"Action": ["kms:GenerateDataKey", "kms:Decrypt"],
	"Resource": "*",
	"Condition": {
		"StringEquals": {"aws:SourceAccount": account},
		"ArnLike": {"aws:SourceArn": rec_pattern},
	},
}

canonical := [caller_access, caller_crypto, service_access]

good := [root_access, caller_access, caller_crypto, service_access]

env := {
	"account": account,
	"region": "us-east-1",
	"key_arn": key_arn,
	"callers": [role],
	"callers_inferred": true,
	"profiles": [],
}

input_of(stmts) := input_of_policy({"Version": "2012-10-17", "Statement": stmts})

input_of_policy(p) := {
	"file": "policy.json",
	"resource": "",
	"format": "json",
	"policy": p,
	"statements": [],
	"problems": [],
	"size": 1000,
	"env": env,
	"identity_policies": [],
}

with_problem(doc, p) := object.union(doc, {"problems": [p]})

invalid_problem := {"rule": "KMS001", "message": "bad", "line": 1, "column": 1, "statement": -1}
