# METADATA
# title: Nobody can administer the key
# description: >-
#   If no principal can call kms:PutKeyPolicy, nobody can ever change the key policy again: the key becomes
#   unmanageable and only AWS Support can help. An account-root statement counts (it lets IAM policies of
#   the account grant administration), as does any named role or user allowed kms:PutKeyPolicy. kmslint
#   asks the engine whether any principal named in an Allow statement, or an IAM identity of the account
#   (through root delegation, with an IAM policy that allows everything), can call kms:PutKeyPolicy.
#   https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#prevent-unmanageable-key
# custom:
#   id: KMS005
#   severity: warning
#   profile: hygiene
#   fix: >-
#     Keep the account-root statement ({"Principal": {"AWS": "arn:aws:iam::ACCOUNT:root"}, "Action": "kms:*"}),
#     or allow a key administrator role kms:PutKeyPolicy and the other administrative actions.
#   example: a policy with only the three AgentCore statements and no administrator
package kmslint.rules.kms005

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

# The key's ARN, and the key ARNs that statements name: in a file the real
# key id is unknown, so a statement naming one specific key is taken to
# name this key.
resources contains input.env.key_arn

resources contains r if {
	some st in statements
	some v in as_list(object.get(st, "Resource", []))
	is_string(v)
	a := kmslint.parse_arn(v)
	a.service == "kms"
	startswith(a.resource, "key/")
	r := regex.replace(v, `[*?]`, "x")
}

conditions(st) := c if {
	c := st.Condition
	is_object(c)
} else := {}

account := input.env.account if object.get(input.env, "account", "") != ""

# An administrator role in an account: reaches the key through root
# delegation, its IAM policy allowing everything.
admin_role(acct) := sprintf("arn:%s:iam::%s:role/kmslint-admin", [partition, acct])

# The partition of the key: account principals name an account in one
# partition only.
partition := p if {
	p := kmslint.parse_arn(input.env.key_arn).partition
} else := "aws"

# Who might administer: principals named in Allow statements (accounts as a
# role of theirs) and a role of the key's account.
principal_candidates contains admin_role(account)

principal_candidates contains p if {
	some st in statements
	st.Effect == "Allow"
	may_grant_put_key_policy(st)
	some v in as_list(object.get(object.get(st, "Principal", {}), "AWS", []))
	p := named(v)
}

# Only statements whose actions can include kms:PutKeyPolicy name
# administrators; this keeps a policy listing hundreds of readers cheap.
# Principals a condition names by aws:PrincipalArn: a Deny of "everyone but
# KeyAdmin" names its administrator there, not in an Allow.
principal_candidates contains p if {
	some st in statements
	some _, keys in conditions(st)
	is_object(keys)
	some k, v in keys
	lower(k) == "aws:principalarn"
	some x in as_list(v)
	is_string(x)
	not regex.match(`[*?]`, x)
	p := named(x)
}

may_grant_put_key_policy(st) if "NotAction" in object.keys(st)

may_grant_put_key_policy(st) if {
	some a in as_list(object.get(st, "Action", []))
	is_string(a)
	may_match_put(a)
}

may_match_put("*")

may_match_put(a) if "kms:PutKeyPolicy" in kmslint.kms_action(a).matches

named(v) := admin_role(v) if regex.match(`^[0-9]{12}$`, v)

else := admin_role(a.account) if {
	a := kmslint.parse_arn(v)
	a.resource == "root"
} else := v if {
	a := kmslint.parse_arn(v)
	a.service in {"iam", "sts"}
	regex.match(`^[0-9]{12}$`, a.account)
}

account_of(p) := kmslint.parse_arn(p).account

role_arn(p) := sprintf("arn:%s:iam::%s:role/%s", [a.partition, a.account, split(a.resource, "/")[1]]) if {
	a := kmslint.parse_arn(p)
	startswith(a.resource, "assumed-role/")
} else := p

base_ctx(p) := {
	"kms:calleraccount": account_of(p),
	"aws:principalaccount": account_of(p),
	"aws:principalarn": role_arn(p),
	"aws:principalisawsservice": "false",
	"aws:securetransport": "true",
	"aws:viaawsservice": "false",
	"aws:multifactorauthpresent": "true",
}

identity_keys := {"kms:calleraccount", "aws:principalaccount", "aws:principalarn"}

instantiate(v) := regex.replace(s, `[*?]`, "x") if {
	s := value_string(v)
}

value_string(v) := v if is_string(v)

else := json.marshal(v)

fill(op, vals) := x if {
	o := kmslint.operator(op)
	not o.negated
	not o.null
	v := instantiate(as_list(vals)[0])
	x := wrap(o, v)
}

wrap(o, v) := [v] if o.set != ""

else := v

# Values an administrator would send to satisfy statement st's conditions
# (MFA, tags, network...), keeping its own identity keys truthful.
satisfying(st) := {k: vals[0] |
	some k in {lower(key) |
		some _, keys in conditions(st)
		is_object(keys)
		some key, _ in keys
	}
	not k in identity_keys
	vals := [x |
		some op, keys in conditions(st)
		is_object(keys)
		some key, v in keys
		lower(key) == k
		x := fill(op, v)
	]
	count(vals) > 0
}

contexts contains {}

contexts contains satisfying(st) if {
	some st in statements
	st.Effect == "Allow"
}

# A request that a Deny's negated condition lets through: a perimeter such as
# StringNotEquals aws:PrincipalOrgID spares principals with that value.
contexts contains escaping(st) if {
	some st in statements
	st.Effect == "Deny"
	count(escaping(st)) > 0
}

escaping(st) := {k: vals[0] |
	some k in {lower(key) |
		some _, keys in conditions(st)
		is_object(keys)
		some key, _ in keys
	}
	not k in identity_keys
	vals := [x |
		some op, keys in conditions(st)
		is_object(keys)
		some key, v in keys
		lower(key) == k
		x := unfill(op, v)
	]
	count(vals) > 0
}

# unfill is fill for negated operators: a value the condition excepts.
unfill(op, vals) := x if {
	o := kmslint.operator(op)
	o.negated
	not o.null
	v := instantiate(as_list(vals)[0])
	x := wrap(o, v)
}

# The common case first: the account's IAM identities through root
# delegation, with no particular condition values.
can_administer if {
	kmslint.decision(input.policy, {
		"principal": admin_role(account),
		"action": "kms:PutKeyPolicy",
		"resource": input.env.key_arn,
		"context": base_ctx(admin_role(account)),
		"identity": "allow-all",
	}) == "Allow"
}

can_administer if {
	some p in principal_candidates
	some extra in contexts
	some res in resources
	kmslint.decision(input.policy, {
		"principal": p,
		"action": "kms:PutKeyPolicy",
		"resource": res,
		"context": object.union(base_ctx(p), extra),
		"identity": "allow-all",
	}) == "Allow"
}

findings contains f if {
	not invalid
	count(statements) > 0
	not can_administer
	f := {
		"message": sprintf(`No principal can call kms:PutKeyPolicy on this key (neither a principal named here nor, through root delegation, an IAM identity of the account), so once this policy is set nobody can change it again: the key becomes unmanageable. Add a statement such as %s, or allow a key administrator role kms:PutKeyPolicy.`, [json.marshal(root_statement)]),
		"statement": -1,
	}
}

root_statement := {
	"Sid": "EnableIAMUserPermissions",
	"Effect": "Allow",
	"Principal": {"AWS": sprintf("arn:%s:iam::%s:root", [partition, object.get(input.env, "account", "ACCOUNT-ID")])},
	"Action": "kms:*",
	"Resource": "*",
}
