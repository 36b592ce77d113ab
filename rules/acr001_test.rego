package kmslint.rules.acr001_test

import rego.v1

import data.kmslint.rules.acr001
import data.kmslint.rules.acr_fixtures_test as fx

test_canonical_policy_passes if {
	count(acr001.findings) == 0 with input as fx.input_of(fx.canonical_statements)
}

test_missing_describe_statement_fires if {
	fs := acr001.findings with input as fx.input_of([fx.caller_crypto, fx.service_access])
	count(fs) == 1
	some f in fs
	f.statement == -1
	f.evidence.action == "kms:DescribeKey"
	f.evidence.decision == "ImplicitDeny"
	contains(f.message, `"Action":"kms:DescribeKey"`)
	contains(f.message, fx.role)
}

# DescribeKey carries no encryption context: a grant of it under an
# encryption-context condition never applies, although it names the action.
test_describe_under_encryption_context_fires if {
	merged := object.union(fx.caller_crypto, {"Action": ["kms:DescribeKey", "kms:GenerateDataKey", "kms:Decrypt"]})
	fs := acr001.findings with input as fx.input_of([merged, fx.service_access])
	count(fs) == 1
	some f in fs
	f.statement == 0
	contains(f.message, "no encryption context")
}

test_explicit_deny_fires_and_points_at_deny if {
	deny := {
		"Sid": "DenyViaServices", "Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*",
		"Condition": {"Bool": {"aws:ViaAWSService": "true"}},
	}
	fs := acr001.findings with input as fx.input_of(array.concat(fx.canonical_statements, [deny]))
	some f in fs
	f.statement == 3
	f.evidence.decision == "ExplicitDeny"
}

# Root delegation only: ACR012 reports it, not ACR001.
test_root_delegation_only_is_not_an_error if {
	count(acr001.findings) == 0 with input as fx.input_of([fx.root_access, fx.caller_crypto, fx.service_access])
}

# With identity policies given the answer is exact.
test_root_delegation_with_denying_identity_policy_fires if {
	inp := fx.with_identity(fx.input_of([fx.root_access, fx.caller_crypto, fx.service_access]), [fx.deny_all_identity])
	count(acr001.findings) == 1 with input as inp
}

test_root_delegation_with_allowing_identity_policy_passes if {
	inp := fx.with_identity(fx.input_of([fx.root_access, fx.caller_crypto, fx.service_access]), [fx.allow_all_identity])
	count(acr001.findings) == 0 with input as inp
}

test_other_profile_is_silent if {
	inp := json.patch(fx.input_of([fx.service_access]), [{"op": "replace", "path": "/env/profiles", "value": []}])
	count(acr001.findings) == 0 with input as inp
}

test_invalid_policy_is_skipped if {
	inp := json.patch(fx.input_of([fx.service_access]), [{"op": "replace", "path": "/problems", "value": [{"rule": "KMS001", "message": "x", "line": 1, "column": 1, "statement": -1}]}])
	count(acr001.findings) == 0 with input as inp
}

# A role with an IAM path: its sessions' aws:PrincipalArn is the role's ARN
# with the path, so a "Principal": "*" statement pinned to it by
# aws:PrincipalArn lets the caller in.
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn
test_role_with_path_matched_by_principal_arn_passes if {
	pathed := "arn:aws:iam::111122223333:role/app/MyRecommendationRole"
	star := {
		"Sid": "AllowCallerAccess", "Effect": "Allow", "Principal": "*", "Action": "kms:DescribeKey", "Resource": "*",
		"Condition": {"ArnEquals": {"aws:PrincipalArn": pathed}},
	}
	inp := fx.input_of([star, fx.caller_crypto, fx.service_access])
	count(acr001.findings) == 0 with input as object.union(inp, {"env": object.union(inp.env, {"callers": [pathed]})})
}

# The same statement pinned to the role's ARN without its path does not
# match: ACR001 fires.
test_role_path_is_part_of_principal_arn if {
	star := {
		"Sid": "AllowCallerAccess", "Effect": "Allow", "Principal": "*", "Action": "kms:DescribeKey", "Resource": "*",
		"Condition": {"ArnEquals": {"aws:PrincipalArn": fx.role}},
	}
	inp := fx.input_of([star, fx.caller_crypto, fx.service_access])
	count(acr001.findings) == 1 with input as object.union(inp, {"env": object.union(inp.env, {"callers": ["arn:aws:iam::111122223333:role/app/MyRecommendationRole"]})})
}

# A Deny with NotPrincipal naming the caller's role and account still denies
# the role's sessions, which make the requests: NotPrincipal takes sessions
# one by one, with no wildcard.
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
test_deny_notprincipal_naming_only_the_role_fires if {
	deny := {
		"Sid": "DenyOthers", "Effect": "Deny", "Action": "kms:*", "Resource": "*",
		"NotPrincipal": {"AWS": [fx.role, "arn:aws:iam::111122223333:root"], "Service": "bedrock-agentcore.amazonaws.com"},
	}
	fs := acr001.findings with input as fx.input_of(array.concat(fx.canonical_statements, [deny]))
	count(fs) == 1
	some f in fs
	f.statement == 3
	f.evidence.decision == "ExplicitDeny"
}

# A failed condition on something else than the encryption context is
# reported as such, not blamed on the missing context.
test_other_failed_condition_is_named_as_such if {
	cond := object.union(fx.caller_access, {"Condition": {"StringEquals": {"aws:PrincipalTag/team": "recs"}}})
	fs := acr001.findings with input as fx.input_of([cond, fx.caller_crypto, fx.service_access])
	count(fs) == 1
	some f in fs
	contains(f.message, "its condition does not hold")
	not contains(f.message, "carries no encryption context")
}
