# METADATA
# title: Statement that can never apply
# description: >-
#   Some statements cannot match any request to this key, so the access (or the protection) they express
#   does not exist: no Action or no Resource at all; a Resource that cannot be a KMS key ARN (or NotResource "*"); actions none of which is
#   a KMS action; a Null "true" test and a condition that needs the same key present; an Allow for service
#   principals only whose conditions require aws:PrincipalArn, aws:PrincipalAccount or aws:PrincipalOrgID,
#   which are never set for service principals; and a statement whose only actions (such as
#   kms:DescribeKey) carry no encryption context but whose conditions require one.
#   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn
#   https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-encryption-context
# custom:
#   id: KMS014
#   severity: warning
#   profile: hygiene
#   fix: >-
#     Correct the element named in the message (Resource "*", KMS actions, consistent conditions,
#     aws:SourceAccount/aws:SourceArn for service principals), or delete the statement.
#   example: '{"Effect": "Allow", "Principal": {"Service": "bedrock-agentcore.amazonaws.com"}, "Action": "kms:Decrypt", "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalAccount": "111122223333"}}}'
package kmslint.rules.kms014

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

conditions(st) := c if {
	c := st.Condition
	is_object(c)
} else := {}

findings contains finding(i, st, why) if {
	not invalid
	some i, st in statements
	why := resource_reason(st)
}

findings contains finding(i, st, why) if {
	not invalid
	some i, st in statements
	why := action_reason(st)
}

# The remaining reasons are about conditions: a statement without any needs
# no further look.
findings contains finding(i, st, why) if {
	not invalid
	some i, st in statements
	st.Condition
	why := null_reason(st)
}

findings contains finding(i, st, why) if {
	not invalid
	some i, st in statements
	st.Condition
	why := service_reason(st)
}

findings contains finding(i, st, why) if {
	not invalid
	some i, st in statements
	st.Condition
	why := context_reason(st)
}

# KMS accepts a statement without Action or without Resource, and the
# statement has no effect.
# https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html
findings contains finding(i, st, why) if {
	not invalid
	some i, st in statements
	some el in [["Action", "NotAction", `"Action": ["kms:Decrypt", ...]`], ["Resource", "NotResource", `"Resource": "*"`]]
	not el[0] in object.keys(st)
	not el[1] in object.keys(st)
	why := sprintf(`it has no %s (nor %s): KMS accepts the policy, but such a statement has no effect. Add %s.`, el)
}

finding(i, st, why) := {"message": sprintf("Statement %s can never apply: %s", [label(i, st), why]), "statement": i}

# --- Resource ---

# The literal part of a pattern before its first wildcard.
literal_prefix(p) := substring(p, 0, i) if {
	idx := [j | some j, c in split(p, ""); c in {"*", "?"}]
	count(idx) > 0
	i := idx[0]
} else := p

# Whether a pattern (with * and ?) can match some string starting with s, or
# s itself: compare the literal prefixes. Exact for the usual patterns.
may_match_prefix(pattern, s) if {
	lp := lower(literal_prefix(pattern))
	startswith(s, lp)
}

may_match_prefix(pattern, s) if {
	lp := lower(literal_prefix(pattern))
	startswith(lp, s)
}

can_be_key(r) if r == "*"

can_be_key(r) if {
	a := kmslint.parse_arn(r)
	glob.match(lower(a.service), [], "kms")
	may_match_prefix(a.resource, "key/")
}

# A pattern whose service part holds a wildcard spanning colons, e.g. "arn:*".
can_be_key(r) if {
	startswith(r, "arn:")
	not kmslint.parse_arn(r)
	contains(r, "*")
}

resource_reason(st) := sprintf(`its Resource %s cannot be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/KEY-ID), the only resource a key policy is evaluated against. Use "Resource": "*".`, [json.marshal(st.Resource)]) if {
	"Resource" in object.keys(st)
	every r in as_list(st.Resource) {
		not can_be_key(r)
	}
} else := `"NotResource": "*" excludes every resource, the key included. Use "Resource": "*".` if {
	"*" in as_list(st.NotResource)
}

# --- Action ---

action_reason(st) := sprintf(`none of its actions %s is a KMS action, and a key policy authorizes only KMS operations. List KMS actions such as kms:Decrypt (see KMS012).`, [json.marshal(st.Action)]) if {
	acts := as_list(st.Action)
	count(acts) > 0
	every a in acts {
		is_string(a)
		a != "*"
		not kmslint.kms_action(a).valid
	}
}

# --- Null "true" and a condition that needs the key present ---

null_true(st) := {lower(k) |
	some op, keys in conditions(st)
	kmslint.operator(op).null
	is_object(keys)
	some k, v in keys
	every x in as_list(v) {
		lower(sprintf("%v", [x])) == "true"
	}
}

# A condition that is false when its key is absent.
needs_present(op) if {
	o := kmslint.operator(op)
	o.known
	not o.null
	not o.negated
	not o.if_exists
	o.set != "ForAllValues"
}

null_reason(st) := [m |
	some op, keys in conditions(st)
	needs_present(op)
	is_object(keys)
	some k, _ in keys
	lower(k) in null_true(st)
	m := sprintf(`"Null": {%q: "true"} requires %s to be absent while %s on the same key requires it present. Keep one of the two conditions.`, [k, k, op])
][0]

# --- Service principals and principal keys ---

service_only(st) if {
	p := st.Principal
	is_object(p)
	object.keys(p) == {"Service"}
}

principal_keys := {"aws:principalarn", "aws:principalaccount", "aws:principalorgid", "aws:principalorgpaths", "aws:principaltype", "aws:userid", "aws:username"}

service_reason(st) := [m |
	st.Effect == "Allow"
	service_only(st)
	some op, keys in conditions(st)
	needs_present(op)
	is_object(keys)
	some k, _ in keys
	lower(k) in principal_keys
	m := sprintf(`its Principal is a service (%s), but its condition %s on %s needs a key that requests from service principals never carry. Scope service principals with aws:SourceAccount and aws:SourceArn instead, e.g. {"StringEquals": {"aws:SourceAccount": "%s"}}.`, [json.marshal(st.Principal.Service), op, k, account])
][0]

account := input.env.account if input.env.account != ""

else := "ACCOUNT-ID"

# --- Encryption-context conditions on actions without a context ---

# KMS operations whose requests can carry an encryption context (and
# CreateGrant, whose grant constraints the context keys test).
# https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-encryption-context
context_actions := {
	"kms:encrypt", "kms:decrypt", "kms:generatedatakey", "kms:generatedatakeywithoutplaintext",
	"kms:generatedatakeypair", "kms:generatedatakeypairwithoutplaintext", "kms:reencryptfrom",
	"kms:reencryptto", "kms:creategrant",
}

expanded(st) := {lower(m) |
	some a in as_list(st.Action)
	is_string(a)
	some m in kmslint.kms_action(a).matches
}

# The action test comes after the condition loop although it does not
# depend on it: expanding "kms:*" is the costly part, and most statements
# have no encryption-context condition to test it for. The order of the
# results is the loop's either way.
context_reason(st) := [m |
	st.Effect == "Allow"
	some op, keys in conditions(st)
	needs_present(op)
	is_object(keys)
	some k, _ in keys
	ec_key(k)
	count(expanded(st)) > 0
	every a in expanded(st) {
		not a in context_actions
	}
	m := sprintf(`its actions (%s) never carry an encryption context, but its condition %s on %s requires one. Put these actions in a statement without encryption-context conditions.`, [concat(", ", sort(expanded(st))), op, k])
][0]

ec_key(k) if startswith(lower(k), "kms:encryptioncontext:")

ec_key(k) if lower(k) == "kms:encryptioncontextkeys"

label(i, st) := json.marshal(st.Sid) if is_string(st.Sid)

else := sprintf("Statement[%d]", [i])
