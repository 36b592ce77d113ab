package profile

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kmslint/kmslint/internal/agentcore"
	"github.com/kmslint/kmslint/internal/authz"
	"github.com/kmslint/kmslint/internal/policy"
)

// Input is what a check is about, as plain data (JSON, or a Rego object):
// the profile and the environment of its resources.
type Input struct {
	Profile string `json:"profile"`
	Account string `json:"account"`
	Region  string `json:"region"`
	KeyARN  string `json:"key_arn,omitempty"`
	// Callers call the feature's API; ExecutionRoles are the roles the
	// feature's service assumes (payments, gateway).
	Callers        []string `json:"callers,omitempty"`
	ExecutionRoles []string `json:"execution_roles,omitempty"`
	// OtherAccounts and OtherRegions: accounts and regions the policy
	// names besides its own, probed too (agentcore.Env).
	OtherAccounts []string `json:"other_accounts,omitempty"`
	OtherRegions  []string `json:"other_regions,omitempty"`
	// Resource is the resource ARN of the required requests. Empty: the
	// first concrete ARN of this account's and region's resources the
	// policy's conditions name (a policy pinned to one evaluator is
	// checked for that evaluator), else one with the profile's sample id.
	Resource string `json:"resource,omitempty"`
	// Now is the time of the requests, RFC 3339; empty: none.
	Now string `json:"now,omitempty"`
}

// PlainRequest is a request in the form `kmslint eval --requests` reads.
type PlainRequest struct {
	Principal string         `json:"principal"`
	Action    string         `json:"action"`
	Resource  string         `json:"resource"`
	Context   map[string]any `json:"context"`
}

// Statement names a statement that decided, or failed to decide, a request.
type Statement struct {
	Label  string `json:"statement"`
	Index  int    `json:"index"`
	Reason string `json:"reason"`
}

// LegResult is the verdict on one required request.
type LegResult struct {
	Leg       string `json:"leg"`
	Who       string `json:"who"`
	Principal string `json:"principal"`
	Action    string `json:"action"`
	// Decision is authz's decision, or "Grant" for a request a grant
	// authorizes (the key policy is not asked).
	Decision string `json:"decision"`
	// Delegated: only the account-root statement allows it, so the
	// principal's IAM policies decide (ACR012's notice); counted as met.
	Delegated bool `json:"delegated,omitempty"`
	OK        bool `json:"ok"`
	// BlockedBy: the Deny statements that decided, or the Allow statements
	// that name the principal and action but whose condition (or resource)
	// failed, with why.
	BlockedBy []Statement  `json:"blocked_by,omitempty"`
	Summary   string       `json:"summary"`
	Request   PlainRequest `json:"request"`
}

// ProbeResult is the verdict on one must-not request.
type ProbeResult struct {
	ID        string       `json:"id"`
	About     string       `json:"about"`
	Family    string       `json:"family"`
	Who       string       `json:"who"`
	Principal string       `json:"principal"`
	Action    string       `json:"action"`
	Allowed   bool         `json:"allowed"`
	AllowedBy []string     `json:"allowed_by,omitempty"`
	Request   PlainRequest `json:"request"`
}

// Report is a check's answer, as plain data.
type Report struct {
	Profile  string        `json:"profile"`
	Resource string        `json:"resource"`
	OK       bool          `json:"ok"`
	Legs     []LegResult   `json:"legs"`
	MustNot  []ProbeResult `json:"must_not"`
	Problems []string      `json:"problems,omitempty"`
}

// Failures are the report's failed legs (by name and action) and allowed
// probes (by id and action), sorted as found.
func (r *Report) Failures() []string {
	var out []string
	for _, l := range r.Legs {
		if !l.OK {
			out = append(out, "leg: "+l.Leg+" "+l.Principal)
		}
	}
	seen := map[string]bool{}
	for _, p := range r.MustNot {
		if p.Allowed && !seen[p.ID] {
			seen[p.ID] = true
			out = append(out, "must-not: "+p.ID)
		}
	}
	return append(out, r.Problems...)
}

// CheckJSON parses and compiles a key policy and checks it.
func CheckJSON(file string, policyJSON []byte, in Input) (Report, error) {
	p, err := policy.ParseKeyPolicy(file, policyJSON)
	if err != nil {
		return Report{}, err
	}
	if !p.Valid() {
		return Report{}, fmt.Errorf("%s: not a valid key policy: %s", file, p.Problems[0].Message)
	}
	cp, err := authz.Compile(file, p)
	if err != nil {
		return Report{}, err
	}
	return Check(cp, nil, in)
}

// Check decides every request of the profile's workflow (each must be
// allowed: by the key policy, or through the account root and identity,
// the IAM policies given) and every probe (each must be denied by the key
// policy alone: must-not checks look at what the key policy grants, as
// shared/DESIGN.md says).
func Check(key *authz.Policy, identity []*authz.Policy, in Input) (Report, error) {
	prof, ok := Lookup(in.Profile)
	if !ok {
		return Report{}, fmt.Errorf("unknown profile %q (want one of %s)", in.Profile, strings.Join(Names(), ", "))
	}
	if in.Account == "" || in.Region == "" {
		return Report{}, errors.New("a check needs account and region")
	}
	env := Env{Account: in.Account, Region: in.Region, KeyARN: in.KeyARN, OtherAccounts: in.OtherAccounts, OtherRegions: in.OtherRegions}
	if in.Now != "" {
		t, err := time.Parse(time.RFC3339, in.Now)
		if err != nil {
			return Report{}, fmt.Errorf("now: %w", err)
		}
		env.Now = t
	}
	res := in.Resource
	if res == "" && key != nil {
		res = prof.resourceIn(key.Source, env)
	}
	if res == "" {
		res = prof.ResourceARN(env.Region, env.Account, prof.SampleID)
	}
	rep := Report{Profile: prof.Name, Resource: res, Legs: []LegResult{}, MustNot: []ProbeResult{}}
	full := &authz.Engine{Key: key, Identity: identity}
	alone := &authz.Engine{Key: key}

	sessions := func(what string, arns []string, w Who) []authz.Principal {
		if !prof.Needs(w) {
			return nil
		}
		if len(arns) == 0 {
			rep.Problems = append(rep.Problems, fmt.Sprintf("no %s given: the %s legs are not checked", what, w))
		}
		var out []authz.Principal
		for _, a := range arns {
			p, err := authz.ParsePrincipal(a)
			if err != nil {
				rep.Problems = append(rep.Problems, fmt.Sprintf("%s %q: %v", what, a, err))
				continue
			}
			out = append(out, agentcore.CallerSession(p, "kmslint"))
		}
		return out
	}
	type actor struct {
		w  Who
		ps []authz.Principal
	}
	svc := []authz.Principal{prof.servicePrincipal()}
	actors := []actor{
		{Caller, sessions("caller", in.Callers, Caller)},
		{ExecutionRole, sessions("execution role", in.ExecutionRoles, ExecutionRole)},
		{Service, svc}, {ServiceViaS3, svc}, {Grantee, svc},
	}
	for _, a := range actors {
		for _, pr := range a.ps {
			for _, r := range prof.Requests(env, a.w, pr, res) {
				rep.Legs = append(rep.Legs, legResult(full, r))
			}
			for _, pb := range prof.Probes(env, a.w, pr) {
				d := alone.Decide(&pb.Request)
				rep.MustNot = append(rep.MustNot, ProbeResult{ID: pb.ID, About: pb.About, Family: pb.Family, Who: pb.Who.String(),
					Principal: pb.Request.Principal.String(), Action: pb.Request.Action,
					Allowed: d.Decision == authz.Allow, AllowedBy: allowedBy(&d), Request: Plain(pb.Request)})
			}
		}
	}
	rep.OK = len(rep.Problems) == 0
	for _, l := range rep.Legs {
		rep.OK = rep.OK && l.OK
	}
	for _, p := range rep.MustNot {
		rep.OK = rep.OK && !p.Allowed
	}
	return rep, nil
}

func legResult(e *authz.Engine, r Request) LegResult {
	lr := LegResult{Leg: r.Leg, Who: r.Who.String(), Principal: r.Request.Principal.String(), Action: r.Request.Action, Request: Plain(r.Request)}
	if r.Granted {
		lr.Decision, lr.OK = "Grant", true
		lr.Summary = "a grant the workflow created authorizes it; the key policy is not asked"
		return lr
	}
	d := e.Decide(&r.Request)
	lr.Decision, lr.Summary = d.Decision.String(), d.Summary
	switch d.Decision {
	case authz.Allow:
		lr.OK = true
	case authz.ExplicitDeny:
		for _, s := range d.Statements {
			if s.Decisive {
				lr.BlockedBy = append(lr.BlockedBy, Statement{s.Label(), s.Index, s.Reason})
			}
		}
	default:
		for _, s := range d.Statements {
			if s.Via == "account" && s.Matched && s.Policy == "" {
				lr.Delegated = true
			}
			if s.Effect == "Allow" && (s.Failed == authz.ConditionMismatch || s.Failed == authz.ResourceMismatch) {
				lr.BlockedBy = append(lr.BlockedBy, Statement{s.Label(), s.Index, s.Reason})
			}
		}
		lr.OK = lr.Delegated
	}
	return lr
}

func allowedBy(d *authz.Result) []string {
	if d.Decision != authz.Allow {
		return nil
	}
	return d.Deciding()
}

// Plain converts a request to plain data.
func Plain(r authz.Request) PlainRequest {
	ctx := map[string]any{}
	r.Context.Each(func(k string, v authz.Value) {
		if v.Multi {
			ctx[k] = append([]string{}, v.Values...)
		} else if len(v.Values) == 1 {
			ctx[k] = v.Values[0]
		}
	})
	return PlainRequest{Principal: r.Principal.String(), Action: r.Action, Resource: r.Resource, Context: ctx}
}

// resourceIn is the first concrete ARN of this account's and region's
// resources of the profile's type that the policy's conditions name.
func (p *Profile) resourceIn(pol *policy.Policy, env Env) string {
	if pol == nil {
		return ""
	}
	for _, st := range pol.Statements {
		for _, c := range st.Conditions {
			for _, v := range c.Values {
				if p.ownResource(v, env) {
					return v
				}
			}
		}
	}
	return ""
}

func (p *Profile) ownResource(v string, env Env) bool {
	parts := strings.SplitN(v, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != p.ARNService || parts[3] != env.Region || parts[4] != env.Account {
		return false
	}
	id, ok := strings.CutPrefix(parts[5], p.ResourceType+"/")
	return ok && id != "" && !strings.ContainsAny(v, "*?$") && !strings.Contains(id, "/")
}
