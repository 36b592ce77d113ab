package kmslint.rules.acr011_test

import rego.v1

import data.kmslint.rules.acr011 as rule
import data.kmslint.rules.acr_fixtures_test as fx

live(state) := object.union(fx.input_of(fx.canonical_statements), {"key": {"arn": fx.key_arn, "key_spec": "SYMMETRIC_DEFAULT", "key_usage": "ENCRYPT_DECRYPT", "key_state": state, "region": "us-east-1"}})

test_enabled_passes if {
	count(rule.findings) == 0 with input as live("Enabled")
}

test_disabled_fires if {
	count(rule.findings) == 1 with input as live("Disabled")
}

test_pending_deletion_fires if {
	fs := rule.findings with input as live("PendingDeletion")
	some f in fs
	contains(f.message, "CancelKeyDeletion")
}

test_file_without_live_key_is_silent if {
	count(rule.findings) == 0 with input as fx.input_of(fx.canonical_statements)
}

test_pending_import_fires if {
	fs := rule.findings with input as live("PendingImport")
	some f in fs
	contains(f.message, "ImportKeyMaterial")
}

test_unavailable_and_replica_deletion_fire if {
	count(rule.findings) == 1 with input as live("Unavailable")
	count(rule.findings) == 1 with input as live("PendingReplicaDeletion")
}

test_updating_and_creating_are_not_reported if {
	# Transient states of a healthy key: nothing to fix.
	count(rule.findings) == 0 with input as live("Creating")
	count(rule.findings) == 0 with input as live("Updating")
}
