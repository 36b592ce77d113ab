# METADATA
# title: External access
# description: >-
#   Principals outside the zone of trust can use the key: identities of other accounts (or, with --org, of
#   accounts outside the organization), anonymous callers, or an AWS service acting for another account's
#   resource. kmslint proves this over every request, not a sample: it asks the prover for the requests from
#   outside the zone that the key policy allows, with every other account's IAM policy taken to allow
#   everything (the other account's owner writes it), and reports them as a few merged regions ("which
#   principals can do what"), each with a concrete request that the authorization engine allows, the way IAM
#   Access Analyzer's external-access findings read. Grants are not key policy: a live key's grants are
#   listed beside the findings instead. The zone of trust is the key's account unless --org (or org in
#   .kmslint.yaml) names the organization.
#   https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-resources.html#access-analyzer-kms-key
#   https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html
#   https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html
# custom:
#   id: KMS015
#   severity: warning
#   profile: hygiene
#   fix: >-
#     If the access is not intended, narrow the statement: name the principals of your account, or add
#     {"StringEquals": {"aws:PrincipalAccount": "111122223333"}} (or {"aws:PrincipalOrgID": "o-..."} and
#     --org o-... when the organization is trusted); for a service principal add
#     {"StringEquals": {"aws:SourceAccount": "111122223333"}}. If it is intended, suppress it with
#     --ignore KMS015:RESOURCE.
#   example: '{"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}}'
package kmslint.rules.kms015

import rego.v1

invalid if {
	some p in input.problems
	p.rule == "KMS001"
}

statements := s if {
	s := input.policy.Statement
	is_array(s)
} else := [s] if {
	s := input.policy.Statement
	is_object(s)
} else := []

as_list(x) := x if is_array(x)

else := [x]

account := input.env.account

# The organization that is the zone of trust: --org or the config's org.
org := o if {
	o := input.org
	is_string(o)
	o != ""
} else := o if {
	o := input.env.org
	is_string(o)
	o != ""
} else := ""

zone := sprintf("account %s", [account]) if org == ""

else := sprintf("organization %s (and account %s)", [org, account])

applies if {
	not invalid
	account != ""
	input.env.key_arn != ""
}

# Every KMS action: external access is whatever an outsider may do.
actions := kmslint.kms_action("kms:*").matches

# Which allow statements could let an outsider in; the prover is asked only
# when one could (a statement naming only this account's principals never
# does, so most policies cost nothing here).
open_principal(st) if st.Principal == "*"

open_principal(st) if "*" in as_list(st.Principal.AWS)

open_principal(st) if "NotPrincipal" in object.keys(st)

open_principal(st) if {
	is_object(st.Principal)
	some k, _ in st.Principal
	not k in {"AWS", "Service"}
}

foreign_principal(st) if open_principal(st)

foreign_principal(st) if {
	some p in as_list(st.Principal.AWS)
	not own(p)
}

own(p) if p == account

own(p) if kmslint.parse_arn(p).account == account

service_principal(st) if open_principal(st)

service_principal(st) if count(as_list(object.get(st.Principal, "Service", []))) > 0

allows(st) if st.Effect == "Allow"

ask_iam if {
	some st in statements
	allows(st)
	foreign_principal(st)
}

ask_service if {
	some st in statements
	allows(st)
	service_principal(st)
}

property := sprintf("no principal outside %s can use the key", [zone])

base := {"resource": input.env.key_arn, "actions": actions, "identity": "allow-all", "property": property}

org_cond(key) := {} if org == ""

else := {key: org}

# IAM identities outside the zone. Anonymous callers are left out: KMS
# takes signed requests only, and KMS004 reports a statement open to any
# principal.
regions contains object.union(base, {
	"principal": {"kinds": ["assumed-role", "user", "root", "federated-user"]},
	"condition": {"StringNotEquals": object.union({"aws:PrincipalAccount": account}, org_cond("aws:PrincipalOrgID"))},
}) if ask_iam

# A service principal acting for a resource outside the zone: the source
# account, in whichever of aws:SourceAccount and aws:SourceArn names it,
# is not this account (or names none).
regions contains object.union(base, {
	"principal": {"kinds": ["service"]},
	"condition": {
		"StringNotEqualsIfExists": object.union({"aws:SourceAccount": account}, org_cond("aws:SourceOrgID")),
		"ArnNotLikeIfExists": {"aws:SourceArn": sprintf("arn:*:*:*:%s:*", [account])},
	},
}) if ask_service

answers contains a if {
	applies
	some r in regions
	some a in kmslint.find_requests(input.policy, r, 200)
	a.verdict == "violated"
}

group(a) := "service" if startswith(a.counterexample.principal, "service:")

else := "iam"

# The prover's regions, merged per statement and kind of principal (IAM
# identities, or services acting for others): one finding each, its
# evidence the first counterexample in a fixed order.
findings contains f if {
	some k in {[a.statement, group(a)] | some a in answers}
	[i, g] := k
	grp := [a | some a in answers; a.statement == i; group(a) == g]
	a := sort([[json.marshal(x.counterexample), x] | some x in grp])[0][1]
	st := statements[i]
	c := a.counterexample
	acts := {x | some y in grp; some x in alternatives(y, "action")}
	f := {
		"message": sprintf("Statement %s lets %s use this key: %s. For example %s may call %s%s. If this is not intended, narrow the statement to principals of your zone of trust (aws:PrincipalAccount, aws:PrincipalOrgID, aws:SourceAccount) or name them.", [label(i, st), who(g, grp), what(acts), c.principal, c.action, context_note(c.context)]),
		"statement": i,
		"evidence": {
			"principal": c.principal, "action": c.action, "context": c.context,
			"decision": c.decision, "statements": c.statements,
		},
	}
}

# The alternatives a region's constraint on what lists.
alternatives(a, w) := {x |
	some c in a.region
	c.what == w
	some x in split(trim_prefix(c.is, "= "), " or ")
}

who("iam", grp) := sprintf("%s of accounts outside %s", [concat(", ", sort({plural(x) | some y in grp; some x in alternatives(y, "principal")})), zone])

who("service", grp) := sprintf("%s acting for resources outside %s", [svc, zone]) if {
	names := {x | some y in grp; some x in alternatives(y, "service principal")}
	count(names) > 0
	svc := concat(", ", sort(names))
} else := sprintf("any AWS service acting for resources outside %s", [zone])

plural("assumed-role") := "assumed-role sessions"

plural("user") := "IAM users"

plural("root") := "account roots"

plural("federated-user") := "federated users"

what(acts) := "every KMS action (kms:*)" if count(acts) == count(actions)

else := concat(", ", sort(acts))

# The keys of the counterexample that say who is outside and why it gets in.
shown := {
	"aws:principalorgid", "aws:sourceaccount", "aws:sourcearn", "aws:sourceorgid", "kms:viaservice",
}

context_note(ctx) := sprintf(" with %s", [concat(", ", sort(pairs))]) if {
	pairs := [sprintf("%s=%s", [k, json.marshal(v)]) |
		some k, v in ctx
		shown_key(k)
	]
	count(pairs) > 0
} else := ""

shown_key(k) if lower(k) in shown

shown_key(k) if startswith(lower(k), "kms:encryptioncontext:")

label(i, st) := json.marshal(st.Sid) if is_string(st.Sid)

else := sprintf("Statement[%d]", [i])
