package kmslint.rules.kms014_test

import rego.v1

import data.kmslint.rules.kms014
import data.kmslint.rules.kms_fixtures_test as fx

test_canonical_passes if {
	count(kms014.findings) == 0 with input as fx.input_of(fx.good)
}

test_key_arn_resources_pass if {
	a := object.union(fx.root_access, {"Resource": fx.key_arn})
	b := object.union(fx.caller_access, {"Resource": ["arn:aws:kms:*:111122223333:key/*"]})
	c := object.union(fx.caller_crypto, {"Resource": "arn:aws:kms:us-east-1:111122223333:*"})
	count(kms014.findings) == 0 with input as fx.input_of([a, b, c])
}

test_s3_resource_fires if {
	st := object.union(fx.caller_access, {"Resource": "arn:aws:s3:::my-bucket/*"})
	fs := kms014.findings with input as fx.input_of([fx.root_access, st])
	count(fs) == 1
	some f in fs
	f.statement == 1
	contains(f.message, "cannot be a KMS key ARN")
}

test_alias_resource_fires if {
	st := object.union(fx.caller_access, {"Resource": "arn:aws:kms:us-east-1:111122223333:alias/my-key"})
	count(kms014.findings) == 1 with input as fx.input_of([st])
}

test_non_kms_actions_fire if {
	st := object.union(fx.caller_access, {"Action": ["s3:GetObject", "s3:PutObject"]})
	fs := kms014.findings with input as fx.input_of([st])
	some f in fs
	contains(f.message, "none of its actions")
}

test_one_kms_action_passes if {
	st := object.union(fx.caller_access, {"Action": ["s3:GetObject", "kms:DescribeKey"]})
	count(kms014.findings) == 0 with input as fx.input_of([st])
}

test_null_true_and_value_fire if {
	st := object.union(fx.caller_crypto, {"Condition": {
		"Null": {"kms:EncryptionContext:aws:bedrock-agentcore:recommendationArn": "true"},
		"StringLike": {"kms:EncryptionContext:aws:bedrock-agentcore:recommendationArn": fx.rec_pattern},
	}})
	fs := kms014.findings with input as fx.input_of([st])
	count(fs) == 1
	some f in fs
	contains(f.message, `"Null"`)
}

test_null_false_and_value_pass if {
	st := object.union(fx.caller_crypto, {"Condition": {
		"Null": {"kms:EncryptionContext:aws:bedrock-agentcore:recommendationArn": "false"},
		"StringLike": {"kms:EncryptionContext:aws:bedrock-agentcore:recommendationArn": fx.rec_pattern},
	}})
	count(kms014.findings) == 0 with input as fx.input_of([st])
}

test_service_with_principal_account_fires if {
	st := object.union(fx.service_access, {"Condition": {"StringEquals": {"aws:PrincipalAccount": fx.account}}})
	fs := kms014.findings with input as fx.input_of([st])
	count(fs) == 1
	some f in fs
	contains(f.message, "aws:SourceAccount")
}

test_service_with_negated_principal_key_passes if {
	st := object.union(fx.service_access, {"Condition": {"StringNotEquals": {"aws:PrincipalAccount": "444455556666"}, "StringEquals": {"aws:SourceAccount": fx.account}}})
	count(kms014.findings) == 0 with input as fx.input_of([st])
}

# kms:DescribeKey carries no encryption context: under such a condition the
# statement never applies.
test_describe_key_under_context_fires if {
	st := object.union(fx.caller_crypto, {"Action": "kms:DescribeKey"})
	fs := kms014.findings with input as fx.input_of([st])
	count(fs) == 1
	some f in fs
	contains(f.message, "kms:describekey")
}

test_describe_key_with_crypto_under_context_passes if {
	st := object.union(fx.caller_crypto, {"Action": ["kms:DescribeKey", "kms:Decrypt"]})
	count(kms014.findings) == 0 with input as fx.input_of([st])
}

# KMS accepts these statements (no MalformedPolicyDocumentException), but
# they have no effect.
# https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html
test_statement_without_resource_fires if {
	st := {"Sid": "NoResource", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/R"}, "Action": "kms:Decrypt"}
	fs := kms014.findings with input as fx.input_of([st])
	count(fs) == 1
	some f in fs
	contains(f.message, "no Resource")
}

test_statement_without_action_fires if {
	st := {"Sid": "NoAction", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/R"}, "Resource": "*"}
	fs := kms014.findings with input as fx.input_of([st])
	count(fs) == 1
	some f in fs
	contains(f.message, "no Action")
}
