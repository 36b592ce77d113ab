package prove

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/kmslint/kmslint/internal/authz"
	"github.com/kmslint/kmslint/internal/policy"
	"github.com/kmslint/kmslint/internal/world"
)

// Region is a set of requests: the question "is any of these allowed?".
// Every field narrows it; the zero value of a field leaves it open.
type Region struct {
	// Resource is the key ARN the requests are on (required).
	Resource string
	// Actions the requests make (required), e.g. "kms:Decrypt".
	Actions []string
	// Kinds of principal; empty: every kind that calls KMS (world.Kinds).
	Kinds []authz.PrincipalKind
	// Principals, as a Principal element names them ({"AWS": ARN or
	// account}, {"Service": name}); empty: anyone. An account names every
	// principal of the account, a role every session of the role.
	Principals []policy.PrincipalEntry
	// Via is "direct" (the principal calls KMS itself), "fas" (a service
	// calls with the principal's identity) or "" (either).
	Via string
	// Conditions, with IAM's semantics, all of which the requests meet:
	// e.g. StringNotEquals aws:SourceAccount ACCOUNT, or Null
	// kms:EncryptionContextKeys true. Any key, including the ones AWS sets
	// from the principal (aws:PrincipalAccount, aws:PrincipalOrgID, ...).
	Conditions []policy.Condition
}

// kindNames are the region's spellings of principal kinds.
var kindNames = map[string]authz.PrincipalKind{
	"assumed-role": authz.AssumedRole, "user": authz.IAMUser, "root": authz.AccountRoot,
	"federated-user": authz.FederatedUser, "service": authz.ServicePrincipal, "anonymous": authz.Anonymous,
}

// KindName is the region spelling of a principal kind.
func KindName(k authz.PrincipalKind) string {
	for n, x := range kindNames {
		if x == k {
			return n
		}
	}
	return k.String()
}

// regionJSON is a region as data (a Rego built-in's argument):
//
//	{"resource": KEY_ARN, "actions": ["kms:Decrypt"],
//	 "principal": {"kinds": ["assumed-role", "user", "root", "federated-user", "service", "anonymous"],
//	               "AWS": [ARN or account], "Service": [name]},
//	 "via": "direct" | "fas",
//	 "condition": {OPERATOR: {KEY: VALUE or [VALUES]}}}
type regionJSON struct {
	Resource  string          `json:"resource"`
	Actions   stringOrList    `json:"actions"`
	Principal *principalJSON  `json:"principal"`
	Via       string          `json:"via"`
	Condition json.RawMessage `json:"condition"`
}

type principalJSON struct {
	Kinds   stringOrList `json:"kinds"`
	AWS     stringOrList `json:"AWS"`
	Service stringOrList `json:"Service"`
}

type stringOrList []string

func (s *stringOrList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("want a string or a list of strings")
	}
	*s = many
	return nil
}

// ParseRegion reads a region from JSON.
func ParseRegion(data []byte) (Region, error) {
	var rj regionJSON
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rj); err != nil {
		return Region{}, fmt.Errorf("region: %w", err)
	}
	r := Region{Resource: rj.Resource, Actions: rj.Actions, Via: rj.Via}
	if rj.Principal != nil {
		for _, k := range rj.Principal.Kinds {
			kind, ok := kindNames[k]
			if !ok {
				return Region{}, fmt.Errorf("region: principal kind %q: want one of %s", k, strings.Join(sortedKindNames(), ", "))
			}
			r.Kinds = append(r.Kinds, kind)
		}
		for _, a := range rj.Principal.AWS {
			r.Principals = append(r.Principals, policy.PrincipalEntry{Type: policy.PrincipalAWS, Value: a})
		}
		for _, sv := range rj.Principal.Service {
			r.Principals = append(r.Principals, policy.PrincipalEntry{Type: policy.PrincipalService, Value: sv})
		}
	}
	if len(rj.Condition) > 0 {
		conds, err := parseConditions(rj.Condition)
		if err != nil {
			return Region{}, err
		}
		r.Conditions = conds
	}
	return r, r.check()
}

// RegionFromValue reads a region from decoded JSON (a Rego built-in's
// argument as Go values).
func RegionFromValue(v any) (Region, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return Region{}, fmt.Errorf("region: %w", err)
	}
	return ParseRegion(b)
}

func sortedKindNames() []string {
	var out []string
	for n := range kindNames {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// parseConditions reads a Condition block with the policy grammar (it is
// one, in a statement of its own).
func parseConditions(block json.RawMessage) ([]policy.Condition, error) {
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":` + string(block) + `}]}`
	p, err := policy.ParseIdentityPolicy("region", []byte(doc))
	if err != nil {
		return nil, fmt.Errorf("region condition: %w", err)
	}
	for _, pr := range p.Problems {
		if pr.Rule == policy.RuleInvalid {
			return nil, fmt.Errorf("region condition: %s", pr.Message)
		}
	}
	if len(p.Statements) != 1 {
		return nil, errors.New("region condition: not a condition block")
	}
	return p.Statements[0].Conditions, nil
}

func (r Region) check() error {
	if world.Partition(r.Resource) == "" || world.Account(r.Resource) == "" {
		return fmt.Errorf("region: resource %q is not a key ARN", r.Resource)
	}
	if len(r.Actions) == 0 {
		return errors.New("region: no actions")
	}
	switch r.Via {
	case "", "direct", "fas":
	default:
		return fmt.Errorf("region: via %q: want direct or fas", r.Via)
	}
	for _, k := range r.Kinds {
		if !world.Admits(k) {
			return fmt.Errorf("region: a %s does not call KMS", k)
		}
	}
	for _, c := range r.Conditions {
		if !authz.ParseOperator(c.Operator).Known() {
			return fmt.Errorf("region: unknown condition operator %q", c.Operator)
		}
	}
	return nil
}

// kinds are the principal kinds the region admits: its own list (all of
// world.Kinds when empty), narrowed by its principals (a Service entry
// names a service principal, an AWS entry an IAM one).
func (r Region) kinds() []authz.PrincipalKind {
	want := r.Kinds
	if len(want) == 0 {
		want = world.Kinds
	}
	svc, iam := len(r.Principals) == 0, len(r.Principals) == 0
	for _, e := range r.Principals {
		switch {
		case e.Type == policy.PrincipalService:
			svc = true
		case e.Type == policy.PrincipalAWS && e.Value == "*":
			svc, iam = true, true
		case e.Type == policy.PrincipalAWS:
			iam = true
		}
	}
	var out []authz.PrincipalKind
	for _, k := range world.Kinds {
		if !slices.Contains(want, k) {
			continue
		}
		if k == authz.ServicePrincipal && !svc || world.IAM(k) && !iam || k == authz.Anonymous && len(r.Principals) > 0 && !(svc && iam) {
			continue
		}
		out = append(out, k)
	}
	return out
}

// statement is the region as one statement: it applies exactly to the
// region's principals, under its conditions.
func (r Region) statement() *policy.Statement {
	pr := &policy.Principals{Wildcard: true}
	if len(r.Principals) > 0 {
		pr = &policy.Principals{Entries: r.Principals}
	}
	return &policy.Statement{Effect: policy.Allow, Principal: pr,
		Action: &policy.StringList{Values: []string{"*"}}, Resource: &policy.StringList{Values: []string{"*"}},
		Conditions: r.Conditions}
}

// contains decides concretely whether req is in the region, with the
// engine: the region's statement allows req when its principal and
// conditions hold (the principal's IAM policy taken to allow everything).
type regionCheck struct {
	r     Region
	eng   *authz.Engine
	kinds []authz.PrincipalKind
}

func newRegionCheck(r Region) (*regionCheck, error) {
	cp, err := authz.Compile("region", &policy.Policy{Version: "2012-10-17", Statements: []*policy.Statement{r.statement()}})
	if err != nil {
		return nil, err
	}
	return &regionCheck{r: r, eng: &authz.Engine{Key: cp, Identity: []*authz.Policy{allowAllPolicy}}, kinds: r.kinds()}, nil
}

func (rc *regionCheck) contains(req *authz.Request) bool {
	kindOK := false
	for _, k := range rc.kinds {
		kindOK = kindOK || k == req.Principal.Kind
	}
	actOK := false
	for _, a := range rc.r.Actions {
		actOK = actOK || a == req.Action
	}
	if !kindOK || !actOK || req.Resource != rc.r.Resource {
		return false
	}
	via := false
	if v, ok := req.Context.Get("aws:ViaAWSService"); ok && len(v.Values) == 1 && v.Values[0] == "true" {
		via = true
	}
	if rc.r.Via == "direct" && via || rc.r.Via == "fas" && !via {
		return false
	}
	return rc.eng.Allowed(req) == authz.Allow
}

// allowAllPolicy is an IAM policy that allows everything: Access
// Analyzer's assumption about principals of other accounts.
var allowAllPolicy = func() *authz.Policy {
	p, err := policy.ParseIdentityPolicy("allow-all", []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`))
	if err != nil {
		panic(err)
	}
	cp, err := authz.Compile("allow-all", p)
	if err != nil {
		panic(err)
	}
	return cp
}()
