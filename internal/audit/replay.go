package audit

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kmslint/kmslint/internal/agentcore"
	"github.com/kmslint/kmslint/internal/authz"
	"github.com/kmslint/kmslint/internal/report"
)

// replay asks the engine the denied request again, rebuilt from the record
// with the context AWS would have set, and says what decided it.
func (a *Auditor) replay(t *Timeline, e *Entry) (string, *report.Evidence) {
	region, account := a.keyHome(t)
	if r, _, ok := arnParts(t.Key); ok && r != "" {
		region = r
	}
	// The request as it was made: at its own time (aws:CurrentTime).
	env := agentcore.Env{Account: account, Region: region, Now: e.Time}
	if isARN(t.Key) {
		env.KeyARN = t.Key
	}
	u := e.ev.identity
	var (
		p   authz.Principal
		ctx *authz.Context
		err error
	)
	switch {
	case u.Type == "AWSService":
		svc := u.InvokedBy
		if svc == "" {
			svc = agentcore.ServicePrincipal
		}
		p, err = authz.ParsePrincipal("service:" + svc)
		_, _, recAccount, _, _ := agentcore.ParseRecommendationARN(t.RecommendationARN)
		ctx = agentcore.ServiceContext(env, recAccount, t.RecommendationARN)
	default:
		p, err = authz.ParsePrincipal(u.ARN)
		if err == nil {
			if u.InvokedBy == agentcore.ServicePrincipal {
				ctx = agentcore.FASContext(env, p)
			} else {
				ctx = agentcore.DirectContext(env, p)
			}
		}
	}
	if err != nil {
		return fmt.Sprintf("cannot replay: the principal %q is not one the engine knows (%v)", principalOf(u), err), nil
	}
	setEncryptionContext(ctx, e.ev.encContext)
	req := authz.Request{Principal: p, Action: "kms:" + e.Operation, Resource: env.Key(), Context: ctx}
	res := a.opts.Policy.Decide(&req)
	ev := &report.Evidence{
		Principal: p.String(), Action: req.Action, Context: contextMap(ctx),
		Decision: res.Decision.String(), Statements: res.Deciding(),
	}
	switch res.Decision {
	case authz.ExplicitDeny:
		return fmt.Sprintf("the key policy denies it explicitly in %s", strings.Join(res.Deciding(), ", ")), ev
	case authz.Allow:
		if p.Kind == authz.ServicePrincipal {
			// CloudTrail records no aws:SourceAccount or aws:SourceArn for
			// a service principal's call, so the replay had to assume the
			// recommendation's own. IAM policies and SCPs do not apply to
			// service principals: the likelier cause is a request for
			// another resource, which the policy rightly refused.
			// https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html
			return fmt.Sprintf("the given key policy allows it when aws:SourceAccount and aws:SourceArn name this recommendation (%s), but CloudTrail does not record the values the service sent: it most likely acted for another resource (a confused-deputy attempt the policy refused), or the policy at the time differed", strings.Join(res.Deciding(), ", ")), ev
		}
		return fmt.Sprintf("the given key policy allows it now (%s): the policy at the time differed, or an IAM policy, grant or SCP denied it", strings.Join(res.Deciding(), ", ")), ev
	}
	msg := fmt.Sprintf("no statement of the key policy allows it: add a statement that allows %s %s with this encryption context", p.String(), req.Action)
	var near []string
	for _, s := range res.Statements {
		// Statements that name the principal and action but whose
		// condition failed are the ones to fix; the rest never applied.
		if s.Effect == "Allow" && (s.Failed == authz.ConditionMismatch || s.Failed == authz.ResourceMismatch) {
			label := s.Sid
			if label == "" {
				label = fmt.Sprintf("Statement[%d]", s.Index)
			}
			near = append(near, label+": "+s.Reason)
		}
	}
	if len(near) > 0 {
		msg += " (closest: " + strings.Join(near, "; ") + ")"
	}
	return msg, ev
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
