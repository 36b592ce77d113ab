# METADATA
# title: Key usable by any principal of any account
# description: >-
#   A statement with Principal "*" (or an Allow with NotPrincipal) grants every identity of every AWS account
#   unless its conditions narrow the caller, e.g. kms:CallerAccount, aws:PrincipalAccount,
#   aws:PrincipalOrgID or aws:SourceAccount. Conditions the caller chooses itself (the encryption context,
#   kms:ViaService, its own principal tags) do not narrow anything. kmslint asks the authorization engine
#   whether an outsider, an identity of an account named nowhere in the policy whose own IAM policy allows
#   everything, or an anonymous caller, with every caller-chosen condition satisfied, can use the key; it
#   reports only when the engine allows it, so a "*" narrowed by kms:CallerAccount is not reported.
#   https://docs.aws.amazon.com/kms/latest/developerguide/determining-access-key-policy.html
#   https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-caller-account
# custom:
#   id: KMS004
#   severity: error
#   profile: hygiene
#   fix: >-
#     Name the principals, or add a condition on the caller's identity such as
#     {"StringEquals": {"kms:CallerAccount": "111122223333"}} or {"StringEquals": {"aws:PrincipalOrgID": "o-..."}}.
#   example: '{"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*", "Condition": {"StringLike": {"kms:EncryptionContext:aws:bedrock-agentcore:recommendationArn": "arn:aws:bedrock-agentcore:us-east-1:111122223333:recommendation/*"}}}'
package kmslint.rules.kms004

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

# The outsider's account: one the policy does not mention, so that no
# statement names it.
policy_text := json.marshal(input.policy)

foreign := [a |
	some a in ["999988887777", "210987654321", "135792468024"]
	not contains(policy_text, a)
	a != object.get(input.env, "account", "")
][0]

# The key's partition: principals of other partitions never match its
# account principals.
partition := p if {
	p := kmslint.parse_arn(input.env.key_arn).partition
} else := "aws"

outsider_role := sprintf("arn:%s:iam::%s:role/kmslint-outsider", [partition, foreign])

outsider := sprintf("arn:%s:sts::%s:assumed-role/kmslint-outsider/kmslint", [partition, foreign])

# What a request from the outsider carries and cannot choose. The org id is
# a foreign organization's (a pattern such as o-* in the policy lets it in);
# the second variant has none (the outsider's account is in no organization).
identity_ctx := {
	"kms:calleraccount": foreign,
	"aws:principalaccount": foreign,
	"aws:principalarn": outsider_role,
	"aws:principaltype": "AssumedRole",
	"aws:principalisawsservice": "false",
	"aws:userid": "AROAKMSLINTOUTSIDER00:kmslint",
	"aws:securetransport": "true",
	"aws:viaawsservice": "false",
	"aws:requestedregion": object.get(input.env, "region", "us-east-1"),
	"aws:principalorgid": "o-kmslintforeign",
}

# Keys bound to the caller's identity or network position: the outsider
# cannot choose their values. Every other key is the caller's choice (the
# encryption context, kms:ViaService, algorithms, its own tags...) or a
# property of the key that the outsider's request meets like anyone's.
bound := {
	"kms:calleraccount", "aws:principalaccount", "aws:principalorgid", "aws:principalorgpaths",
	"aws:principalarn", "aws:userid", "aws:sourceaccount", "aws:sourcearn", "aws:sourceorgid",
	"aws:sourceorgpaths", "aws:sourceip", "aws:sourcevpc", "aws:sourcevpce", "aws:sourcevpcarn",
	"aws:vpcsourceip", "aws:vpceaccount", "aws:vpceorgid", "aws:vpceorgpaths",
	"aws:ec2instancesourcevpc", "aws:ec2instancesourceprivateipv4", "aws:principalservicename",
	"aws:principalservicenameslist", "aws:principalisawsservice", "aws:resourceaccount",
	"aws:resourceorgid", "aws:resourceorgpaths",
}

# A concrete value that a pattern matches.
instantiate(v) := regex.replace(s, `[*?]`, "x") if {
	s := value_string(v)
}

value_string(v) := v if is_string(v)

else := json.marshal(v)

# The value an outsider sends to satisfy one condition, or undefined when it
# should leave the key out (negated operators and Null "true" are met by an
# absent key).
fill(op, vals) := x if {
	o := kmslint.operator(op)
	not o.negated
	not o.null
	v := instantiate(as_list(vals)[0])
	x := wrap(o, v)
} else := "x" if {
	o := kmslint.operator(op)
	o.null
	lower(value_string(as_list(vals)[0])) == "false"
}

wrap(o, v) := [v] if o.set != ""

else := v

# The caller-chosen part of a context that satisfies statement st: the
# first satisfiable condition per key wins.
chosen(st) := {k: vals[0] |
	some k in {lower(key) |
		some _, keys in conditions(st)
		is_object(keys)
		some key, _ in keys
	}
	not k in bound
	vals := [x |
		some op, keys in conditions(st)
		is_object(keys)
		some key, v in keys
		lower(key) == k
		x := fill(op, v)
	]
	count(vals) > 0
}

# aws:PrincipalArn patterns whose account part is a wildcard: the outsider
# names its role to match.
chosen_arn(st) := {"aws:principalarn": arns[0]} if {
	arns := [sprintf("arn:%s:%s::%s:%s", [instantiate(a.partition), instantiate(a.service), foreign, instantiate(a.resource)]) |
		some op, keys in conditions(st)
		not kmslint.operator(op).negated
		is_object(keys)
		some key, v in keys
		lower(key) == "aws:principalarn"
		some pat in as_list(v)
		a := kmslint.parse_arn(pat)
		glob.match(a.account, [], foreign)
	]
	count(arns) > 0
} else := {}

open_principal(st) if st.Principal == "*"

open_principal(st) if "*" in as_list(st.Principal.AWS)

open_principal(st) if "NotPrincipal" in object.keys(st)

# Statements that could admit an unnamed principal; only their conditions
# feed the probes (a statement naming principals admits no outsider).
candidates := [i |
	some i, st in statements
	st.Effect == "Allow"
	open_principal(st)
]

contexts contains ctx if {
	some i in candidates
	base := object.union(identity_ctx, chosen(statements[i]))
	some with_org in [true, false]
	ctx := org(object.union(base, chosen_arn(statements[i])), with_org)
}

org(ctx, true) := ctx

org(ctx, false) := object.remove(ctx, ["aws:principalorgid"])

principals := {outsider, "anonymous"}

request(p, ctx, res) := {
	"principal": p,
	"action": "kms:Decrypt",
	"resource": res,
	"context": anon_ctx(p, ctx),
	"identity": "allow-all",
}

# Anonymous requests carry no identity keys at all.
anon_ctx(p, ctx) := object.remove(ctx, ["kms:calleraccount", "aws:principalaccount", "aws:principalarn", "aws:principaltype", "aws:userid", "aws:principalorgid"]) if p == "anonymous"

else := ctx

hits contains h if {
	not invalid
	count(candidates) > 0
	some p in principals
	some ctx in contexts
	some res in resources
	req := request(p, ctx, res)
	acts := kmslint.allowed_actions(input.policy, req)
	is_array(acts)
	count(acts) > 0
	d := kmslint.decide(input.policy, object.union(req, {"action": acts[0]}))
	some s in d.statements
	s.decisive
	s.effect == "Allow"
	s.policy == ""
	h := {"index": s.index, "principal": p, "actions": acts, "request": object.union(req, {"action": acts[0]}), "decision": d}
}

findings contains f if {
	some i in {h.index | some h in hits}

	# Prefer the outsider's evidence over the anonymous one, then the most actions.
	hs := [[p_rank(h.principal), 0 - count(h.actions), h] | some h in hits; h.index == i]
	h := sort(hs)[0][2]
	st := statements[i]
	f := {
		"message": sprintf(`Statement %s lets any principal of any AWS account use this key: %s is allowed %s%s. %s Add a condition on the caller's identity, e.g. "StringEquals": {"kms:CallerAccount": "%s"} or {"aws:PrincipalOrgID": "o-..."}, or name the principals.`, [label(i, st), who(h.principal), concat(", ", h.actions), context_note(h.request.context, st), principal_note(st), account]),
		"statement": i,
		"evidence": {
			"principal": h.request.principal,
			"action": h.request.action,
			"context": h.request.context,
			"decision": h.decision.decision,
			"statements": h.decision.deciding,
		},
	}
}

p_rank("anonymous") := 1

p_rank(p) := 0 if p != "anonymous"

who("anonymous") := "an anonymous caller"

who(p) := sprintf("%s (an identity of account %s, named nowhere in this policy)", [p, foreign]) if p != "anonymous"

context_note(ctx, st) := sprintf(" when it sends %s", [json.marshal(chosen(st))]) if count(chosen(st)) > 0

else := ""

principal_note(st) := `Its "NotPrincipal" admits everyone not listed.` if "NotPrincipal" in object.keys(st)

else := `Its conditions, if any, test only what the caller chooses (encryption context, kms:ViaService, tags), not who the caller is.`

account := input.env.account if input.env.account != ""

else := "ACCOUNT-ID"

label(i, st) := json.marshal(st.Sid) if is_string(st.Sid)

else := sprintf("Statement[%d]", [i])
