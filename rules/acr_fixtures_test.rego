# Shared fixtures of the ACR rule tests: the documented policy (seed
# document) and the environment of its example. Tests build variants with
# json.patch or by replacing statements.
package kmslint.rules.acr_fixtures_test

import rego.v1

account := "111122223333"

region := "us-east-1"

role := "arn:aws:iam::111122223333:role/MyRecommendationRole"

rec_pattern := "arn:aws:bedrock-agentcore:us-east-1:111122223333:recommendation/*"

key_arn := "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"

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

root_access := {
	"Sid": "EnableIAMUserPermissions",
	"Effect": "Allow",
	"Principal": {"AWS": "arn:aws:iam::111122223333:root"},
	"Action": "kms:*",
	"Resource": "*",
}

canonical_statements := [caller_access, caller_crypto, service_access]

policy_of(stmts) := {"Version": "2012-10-17", "Statement": stmts}

env := {
	"account": account,
	"region": region,
	"key_arn": key_arn,
	"callers": [role],
	"callers_inferred": true,
	"profiles": ["agentcore-recommendation"],
}

# input_of is the lint input document for a list of statements.
input_of(stmts) := {
	"file": "policy.json",
	"resource": "",
	"format": "policy",
	"policy": policy_of(stmts),
	"statements": [{"index": i, "sid": object.get(s, "Sid", sprintf("Statement[%d]", [i])), "line": 1, "column": 1} | some i, s in stmts],
	"problems": [],
	"size": 1000,
	"env": env,
	"identity_policies": [],
}

# with_identity adds --identity-policy documents.
with_identity(inp, pols) := object.union(inp, {"identity_policies": pols})

allow_all_identity := {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}

deny_all_identity := {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}

# with_others adds the accounts and regions lint finds named in the policy
# besides the environment's own (input.env.other_accounts/other_regions).
with_others(inp, accounts, regions) := object.union(inp, {"env": object.union(inp.env, {"other_accounts": accounts, "other_regions": regions})})
