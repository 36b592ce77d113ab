package lint

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kmslint/kmslint/internal/authz"
	"github.com/kmslint/kmslint/internal/policy"
)

// callerKeys are the condition keys that describe the caller (or the key's
// organization) and that nothing in a key policy reveals. A perimeter such
// as AWS's data-perimeter Deny ("StringNotEqualsIfExists":
// {"aws:PrincipalOrgID": "o-..."}) tests them; a caller modelled without
// them would be denied by every such perimeter.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgid
// https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html
func isCallerKey(k string) bool {
	l := strings.ToLower(k)
	switch l {
	case "aws:principalorgid", "aws:principalorgpaths", "aws:resourceorgid":
		return true
	}
	return strings.HasPrefix(l, "aws:principaltag/")
}

// orgAssumption is what lint takes the callers' organization keys to be,
// and the one note that says so.
type orgAssumption struct {
	keys map[string]string // canonical key -> value ("\x00" joins multivalues)
	note string
}

// assumeOrg decides the values of the caller keys for the workflow's
// callers: org (--org, .kmslint.yaml) for the organization keys, else what
// the policy's own perimeter demands of the callers (the value a Deny's
// negated condition spares). The note is "" when the policy tests none of
// these keys.
func assumeOrg(p *policy.Policy, org string) orgAssumption {
	type demand struct {
		key, value, sid string
	}
	var ds []demand
	tested := false
	for _, st := range p.Statements {
		for _, c := range st.Conditions {
			if !isCallerKey(c.Key) || len(c.Values) == 0 {
				continue
			}
			tested = true
			op := authz.ParseOperator(c.Operator)
			if !op.Known() || op.IsNull() {
				continue
			}
			// A perimeter is a Deny that spares what its negated
			// condition names. An Allow's condition is no demand: taking
			// the callers to meet it would invent access (a "*" narrowed
			// by aws:PrincipalOrgID "o-*" is not the callers' unless
			// --org says they are in an organization).
			if st.Effect != policy.Deny || !op.Negated {
				continue
			}
			ds = append(ds, demand{key: c.Key, value: instantiateCallerValue(c.Key, c.Values[0], op), sid: st.Label()})
		}
	}
	if !tested {
		return orgAssumption{}
	}
	keys := map[string]string{}
	var from []string
	if org != "" {
		keys["aws:PrincipalOrgID"] = org
		keys["aws:ResourceOrgID"] = org
	}
	for _, d := range ds {
		canon := canonicalCallerKey(d.key)
		if _, set := keys[canon]; set {
			continue
		}
		if org != "" && strings.Contains(strings.ToLower(canon), "orgid") {
			continue
		}
		if strings.EqualFold(canon, "aws:PrincipalOrgPaths") && org != "" && !strings.HasPrefix(d.value, org+"/") {
			continue
		}
		keys[canon] = d.value
		from = append(from, fmt.Sprintf("%s %q (statement %s)", canon, d.value, d.sid))
	}
	const why = "the policy tests the caller by keys a key policy cannot reveal (organization, principal tags): "
	var note string
	switch {
	case org != "" && len(from) > 0:
		note = why + fmt.Sprintf("the callers are taken to be in organization %s (--org), with %s as this policy demands", org, joinSorted(from))
	case org != "":
		note = why + fmt.Sprintf("the callers are taken to be in organization %s (--org)", org)
	case len(from) > 0:
		note = why + fmt.Sprintf("the callers are taken to carry %s, as this policy demands; pass --org ID (or org: in .kmslint.yaml) to check them as members of another organization", joinSorted(from))
	default:
		note = why + "the callers are modelled without them; pass --org ID (or org: in .kmslint.yaml) to give their organization"
	}
	return orgAssumption{keys: keys, note: note}
}

// canonicalCallerKey spells a caller key as AWS documents it (condition
// keys are case-insensitive; the tag name keeps its case).
func canonicalCallerKey(k string) string {
	switch strings.ToLower(k) {
	case "aws:principalorgid":
		return "aws:PrincipalOrgID"
	case "aws:principalorgpaths":
		return "aws:PrincipalOrgPaths"
	case "aws:resourceorgid":
		return "aws:ResourceOrgID"
	}
	return "aws:PrincipalTag/" + k[len("aws:principaltag/"):]
}

// instantiateCallerValue is a concrete value that the condition value v
// matches: wildcards of the Like operators are filled, an organization
// path's "*" ends the path (paths end with "/").
func instantiateCallerValue(key, v string, op authz.Operator) string {
	if op.IsStringEqualsFamily() {
		return v
	}
	if strings.EqualFold(key, "aws:principalorgpaths") {
		v = strings.ReplaceAll(v, "*", "")
		return strings.ReplaceAll(v, "?", "x")
	}
	return strings.NewReplacer("*", "x", "?", "x").Replace(v)
}

func joinSorted(s []string) string {
	sort.Strings(s)
	return strings.Join(s, ", ")
}
