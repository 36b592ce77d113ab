package audit

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kmslint/kmslint/internal/agentcore"
	"github.com/kmslint/kmslint/internal/authz"
	"github.com/kmslint/kmslint/internal/policy"
	"github.com/kmslint/kmslint/internal/report"
)

// replayed is a recorded call asked of the engine again.
type replayed struct {
	p   authz.Principal
	req authz.Request
	res authz.Result
	ev  *report.Evidence
	// assumedIAM: the principal is of another account and was given an
	// allow-all IAM policy.
	assumedIAM bool
}

// replay asks the engine the call again, rebuilt from the record with the
// context AWS would have set. A principal of another account is given an
// IAM policy that allows everything, as the lint's must-not checks do
// (DESIGN.md): that account's owner writes it, so only the key policy can
// be relied on to keep it out. ok is false, with the reason, when the
// principal is not one the engine can name.
func (a *Auditor) replay(t *Timeline, e *Entry) (r replayed, why string, ok bool) {
	region, account := a.keyHome(t)
	// The request as it was made: at its own time (aws:CurrentTime).
	env := agentcore.Env{Account: account, Region: region, Now: e.Time}
	if isARN(t.Key) {
		env.KeyARN = t.Key
	}
	u := e.ev.identity
	var (
		ctx *authz.Context
		err error
	)
	switch {
	case u.Type == "AWSService":
		svc := u.InvokedBy
		if svc == "" {
			svc = agentcore.ServicePrincipal
		}
		r.p, err = authz.ParsePrincipal("service:" + svc)
		_, _, recAccount, _, _ := agentcore.ParseRecommendationARN(t.RecommendationARN)
		ctx = agentcore.ServiceContext(env, recAccount, t.RecommendationARN)
	default:
		r.p, err = authz.ParsePrincipal(u.ARN)
		if err == nil {
			if u.InvokedBy == agentcore.ServicePrincipal {
				ctx = agentcore.FASContext(env, r.p)
			} else {
				ctx = agentcore.DirectContext(env, r.p)
			}
		}
	}
	if err != nil {
		return r, fmt.Sprintf("cannot replay: the principal %q is not one the engine knows (%v)", principalOf(u), err), false
	}
	if len(e.ev.encContext) > 0 {
		setEncryptionContext(ctx, e.ev.encContext)
	}
	r.req = authz.Request{Principal: r.p, Action: "kms:" + e.Operation, Resource: env.Key(), Context: ctx}
	eng := a.opts.Policy
	if r.p.Account != "" && account != "" && r.p.Account != account {
		eng, r.assumedIAM = a.withAllowAll(), true
	}
	r.res = eng.Decide(&r.req)
	r.ev = &report.Evidence{
		Principal: r.p.String(), Action: r.req.Action, Context: contextMap(ctx),
		Decision: r.res.Decision.String(), Statements: r.res.Deciding(),
	}
	return r, "", true
}

// withAllowAll is the given policy with an identity policy that allows
// everything.
func (a *Auditor) withAllowAll() *authz.Engine {
	if a.allowAll == nil {
		eng := *a.opts.Policy
		// The policy is a constant and always compiles; were it not to, the
		// replay would stay exact (no IAM policy), which errs only towards
		// "refused".
		if cp, err := allowAllPolicy(); err == nil {
			eng.Identity = []*authz.Policy{cp}
		}
		a.allowAll = &eng
	}
	return a.allowAll
}

func allowAllPolicy() (*authz.Policy, error) {
	p, err := policy.ParseIdentityPolicy("allow-all", []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`))
	if err != nil {
		return nil, err
	}
	return authz.Compile("allow-all", p)
}

// failure explains a denial that broke the workflow (AUD001) and says what
// to add, scoped to the key's own recommendations so that the fix lets in
// nothing else.
func (a *Auditor) failure(t *Timeline, e *Entry) (string, *report.Evidence) {
	r, why, ok := a.replay(t, e)
	if !ok {
		return why, nil
	}
	switch r.res.Decision {
	case authz.ExplicitDeny:
		return fmt.Sprintf("the key policy denies it explicitly in %s", strings.Join(r.res.Deciding(), ", ")), r.ev
	case authz.Allow:
		if r.p.Kind == authz.ServicePrincipal {
			// CloudTrail records no aws:SourceAccount or aws:SourceArn for
			// a service principal's call, so the replay had to assume the
			// recommendation's own. IAM policies and SCPs do not apply to
			// service principals: when a caller started this recommendation
			// the service worked for it and the policy was another; else the
			// likelier cause is a request for another resource, which the
			// policy rightly refused.
			// https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html
			if start := startedBy(t); start != nil {
				return fmt.Sprintf("the given key policy allows it (%s), and %s started this recommendation at %s, so the service acted for it: the key policy at the time did not allow it", strings.Join(r.res.Deciding(), ", "), start.Principal, start.Time.UTC().Format("2006-01-02T15:04:05Z")), r.ev
			}
			return fmt.Sprintf("the given key policy allows it when aws:SourceAccount and aws:SourceArn name this recommendation (%s), but CloudTrail does not record the values the service sent: it most likely acted for another resource (a confused-deputy attempt the policy refused), or the policy at the time differed", strings.Join(r.res.Deciding(), ", ")), r.ev
		}
		return fmt.Sprintf("the given key policy allows it now (%s): the policy at the time differed, or an IAM policy, grant or SCP denied it", strings.Join(r.res.Deciding(), ", ")), r.ev
	}
	if stmt, ok := viaAccount(&r.res); ok {
		return fmt.Sprintf("the key policy allows it only through the account's IAM policies (%s), which did not allow it: %s", stmt,
			a.grantHint(t, e, r.p, r.req.Action, "allow it in the principal's IAM policy, or ")), r.ev
	}
	msg := "no statement of the key policy allows it: " + a.grantHint(t, e, r.p, r.req.Action, "")
	if near := nearMisses(&r.res); near != "" {
		msg += " (closest: " + near + ")"
	}
	return msg, r.ev
}

// startedBy is the caller's call that started a recommendation
// (GenerateDataKey through AgentCore, dry run or not), or nil.
func startedBy(t *Timeline) *Entry {
	for i := range t.Events {
		if e := &t.Events[i]; e.Who == WhoCaller && e.Operation == "GenerateDataKey" && e.Allowed() {
			return e
		}
	}
	return nil
}

// grantHint is the statement to add for a denied call of the workflow,
// after the alternative or.
func (a *Auditor) grantHint(t *Timeline, e *Entry, p authz.Principal, action, or string) string {
	region, account := a.keyHome(t)
	recs := agentcore.RecommendationARN("", region, account, "*")
	if p.Kind == authz.ServicePrincipal {
		return fmt.Sprintf("add a statement that allows %s %s with aws:SourceAccount %s and aws:SourceArn like %s, as `kmslint generate` writes it", p, action, account, recs)
	}
	who := identityARN(e.ev.identity)
	hint := fmt.Sprintf("%sadd a key-policy statement that allows %s %s", or, who, action)
	if e.Operation != "DescribeKey" {
		hint += fmt.Sprintf(" with %s like %s", agentcore.ConditionKey, recs)
	}
	hint += ", as `kmslint generate --caller` writes it"
	if len(a.callers) == 0 {
		// Without --caller nothing says this principal should start
		// recommendations at all; if it should not, the refusal is right.
		hint = fmt.Sprintf("if %s is meant to start recommendations, %s; if not, the refusal is right (name the callers with --caller)", who, hint)
	}
	return hint
}

// refusal says, for a call the key policy was right to refuse, what the
// given policy does with it now; escalate is set when the policy would let
// it in.
func (a *Auditor) refusal(t *Timeline, e *Entry) (msg string, ev *report.Evidence, escalate bool) {
	r, why, ok := a.replay(t, e)
	if !ok {
		return why, nil, false
	}
	switch r.res.Decision {
	case authz.Allow:
		msg = fmt.Sprintf("the given key policy allows %s (%s)", e.Operation, strings.Join(keyDeciding(&r.res), ", "))
		if r.assumedIAM {
			msg += " to any principal of that account whose own IAM policy allows it"
		}
		return msg + ": the key is open to this attempt now; run kmslint lint on the policy", r.ev, true
	case authz.ExplicitDeny:
		return fmt.Sprintf("the given key policy denies it (%s)", strings.Join(r.res.Deciding(), ", ")), r.ev, false
	}
	if stmt, ok := viaAccount(&r.res); ok {
		return fmt.Sprintf("the given key policy grants it only through the account's IAM policies (%s)", stmt), r.ev, false
	}
	msg = "no statement of the given key policy allows it"
	if near := nearMisses(&r.res); near != "" {
		msg += " (" + near + ")"
	}
	return msg, r.ev, false
}

// keyDeciding are the decisive statements of the key policy (not of the
// assumed IAM policy).
func keyDeciding(res *authz.Result) []string {
	var out []string
	for _, s := range res.Statements {
		if s.Decisive && s.Policy == "" {
			out = append(out, s.Label())
		}
	}
	return out
}

// viaAccount names the statement that matched through the account
// principal (root delegation) when nothing else allowed the request.
func viaAccount(res *authz.Result) (string, bool) {
	for _, s := range res.Statements {
		if s.Matched && s.Via == "account" {
			return s.Label(), true
		}
	}
	return "", false
}

// nearMisses are the Allow statements that name the principal and action
// but whose condition or resource failed, with why.
func nearMisses(res *authz.Result) string {
	var near []string
	for _, s := range res.Statements {
		if s.Effect == "Allow" && (s.Failed == authz.ConditionMismatch || s.Failed == authz.ResourceMismatch) {
			near = append(near, s.Label()+": "+s.Reason)
		}
	}
	return strings.Join(near, "; ")
}

// setEncryptionContext sets the kms:EncryptionContext keys of the whole
// context the call carried, not just the recommendation's key.
func setEncryptionContext(c *authz.Context, ec map[string]string) {
	keys := make([]string, 0, len(ec))
	for k := range ec {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	c.SetMulti("kms:EncryptionContextKeys", keys...)
	for _, k := range keys {
		c.Set("kms:EncryptionContext:"+k, ec[k])
	}
}

func contextMap(c *authz.Context) map[string]report.ContextValue {
	m := map[string]report.ContextValue{}
	c.Each(func(k string, v authz.Value) {
		m[k] = report.ContextValue{Values: slices.Clone(v.Values), Multi: v.Multi}
	})
	return m
}
