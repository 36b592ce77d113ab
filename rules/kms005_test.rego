package kmslint.rules.kms005_test

import rego.v1

import data.kmslint.rules.kms005
import data.kmslint.rules.kms_fixtures_test as fx

test_root_statement_passes if {
	count(kms005.findings) == 0 with input as fx.input_of(fx.good)
}

test_root_as_account_id_passes if {
	root := object.union(fx.root_access, {"Principal": {"AWS": fx.account}})
	count(kms005.findings) == 0 with input as fx.input_of(array.concat([root], fx.canonical))
}

test_canonical_without_admin_fires if {
	fs := kms005.findings with input as fx.input_of(fx.canonical)
	count(fs) == 1
	some f in fs
	f.statement == -1
	contains(f.message, `"Principal":{"AWS":"arn:aws:iam::111122223333:root"}`)
}

test_admin_role_passes if {
	admin := {
		"Sid": "KeyAdministrators", "Effect": "Allow",
		"Principal": {"AWS": "arn:aws:iam::111122223333:role/KeyAdmin"},
		"Action": ["kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*", "kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion"],
		"Resource": "*",
	}
	count(kms005.findings) == 0 with input as fx.input_of(array.concat([admin], fx.canonical))
}

# An admin statement under an MFA condition still gives an administrator.
test_admin_with_mfa_passes if {
	root := object.union(fx.root_access, {"Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}})
	count(kms005.findings) == 0 with input as fx.input_of(array.concat([root], fx.canonical))
}

# Root delegation without PutKeyPolicy: nobody can administer.
test_root_without_put_key_policy_fires if {
	root := object.union(fx.root_access, {"Action": ["kms:Describe*", "kms:Get*", "kms:List*"]})
	count(kms005.findings) == 1 with input as fx.input_of(array.concat([root], fx.canonical))
}

# A Deny of PutKeyPolicy to everyone locks the key whatever the Allows say.
test_deny_put_key_policy_fires if {
	deny := {"Sid": "NoPolicyChanges", "Effect": "Deny", "Principal": "*", "Action": "kms:PutKeyPolicy", "Resource": "*"}
	count(kms005.findings) == 1 with input as fx.input_of(array.concat([fx.root_access, deny], fx.canonical))
}

# A service principal allowed kms:* is no administrator.
test_service_with_all_actions_fires if {
	svc := object.union(fx.service_access, {"Action": "kms:*"})
	count(kms005.findings) == 1 with input as fx.input_of([fx.caller_access, svc])
}

test_invalid_policy_skipped if {
	count(kms005.findings) == 0 with input as fx.with_problem(fx.input_of(fx.canonical), fx.invalid_problem)
}

# In a file the key id is unknown: a root statement naming one key is taken
# to name this key (KMS006 reports the ARN).
test_root_naming_a_key_arn_passes if {
	root := object.union(fx.root_access, {"Resource": "arn:aws:kms:us-east-1:111122223333:key/0000aaaa-11bb-22cc-33dd-444444eeeeee"})
	count(kms005.findings) == 0 with input as fx.input_of(array.concat([root], fx.canonical))
}

test_root_naming_a_bucket_fires if {
	root := object.union(fx.root_access, {"Resource": "arn:aws:s3:::my-bucket"})
	count(kms005.findings) == 1 with input as fx.input_of(array.concat([root], fx.canonical))
}

# A Deny of "everyone but KeyAdmin" names the administrator only in its
# condition: KeyAdmin, an IAM role of the account, still administers the key
# through the root statement.
test_deny_all_but_named_admin_passes if {
	deny := {
		"Sid": "OnlyKeyAdmin", "Effect": "Deny", "Principal": {"AWS": "*"},
		"Action": ["kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"], "Resource": "*",
		"Condition": {"ArnNotEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/KeyAdmin"}},
	}
	count(kms005.findings) == 0 with input as fx.input_of(array.concat(fx.good, [deny]))
}

# A perimeter Deny spares the principals of its organization.
test_deny_outside_organization_passes if {
	deny := {
		"Sid": "DenyOutsideOrg", "Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*",
		"Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
	}
	count(kms005.findings) == 0 with input as fx.input_of(array.concat(fx.good, [deny]))
}

# A Deny of PutKeyPolicy to everyone, without exception, still locks out.
test_deny_put_key_policy_to_all_fires if {
	deny := {"Sid": "NoChanges", "Effect": "Deny", "Principal": "*", "Action": "kms:PutKeyPolicy", "Resource": "*"}
	count(kms005.findings) == 1 with input as fx.input_of(array.concat(fx.good, [deny]))
}
