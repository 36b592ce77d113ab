// Package authz is kmslint's IAM/KMS authorization engine: given a key policy,
// optional identity policies of the principal, and a request {principal,
// action, resource, context}, it answers Allow, ExplicitDeny or ImplicitDeny
// and says, for every statement, whether it applied and why not.
//
// The linter, the fake KMS and the auditor all ask this one engine, so a policy
// that lints clean is one the simulator accepts, and a denial in a trail is
// explained by the logic that would have predicted it.
//
// Semantics follow AWS's documentation:
//   - policy evaluation logic: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
//   - condition operators: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
//   - KMS key policies and access: https://docs.aws.amazon.com/kms/latest/developerguide/determining-access.html
//
// Policies are compiled once (patterns prepared, keys lower-cased) so that a
// decision is a few map lookups and string comparisons.
package authz
