package scenario

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/kmslint/kmslint/internal/agentcore"
	"github.com/kmslint/kmslint/internal/authz"
	"github.com/kmslint/kmslint/internal/generate"
	"github.com/kmslint/kmslint/internal/policy"
)

// hint is what a missed scenario says to change in the policy under test:
// a statement of that policy (Statement, its label) and what to do with
// it, or a whole statement to add (Statement empty). It never names a
// statement the policy does not have.
type hint struct {
	Statement string
	Fix       string
}

// fixer explains outcomes against the policy under test, by asking the
// engine the request again: the statement that denied it or should have
// allowed it, or the one that allowed what should have been refused.
type fixer struct {
	eng  authz.Engine
	pol  *policy.Policy
	file string // where the policy is written, "" when it is the default one
	env  agentcore.Env
	key  string
	// canonical holds the statements of `kmslint generate`'s policy for
	// the run's account, region and caller, by Sid.
	canonical map[string]json.RawMessage
}

func newFixer(o *Options, key string) (*fixer, error) {
	pol, err := o.policy()
	if err != nil {
		return nil, err
	}
	eng := authz.Engine{KeyAccount: o.Account}
	if eng.Key, err = authz.Compile("key policy", pol); err != nil {
		return nil, err
	}
	f := &fixer{eng: eng, pol: pol, file: o.PolicyFile, key: key,
		env: agentcore.Env{Account: o.Account, Region: o.Region, KeyARN: key}}
	b, err := generate.JSON(generate.Options{Account: o.Account, Region: o.Region, Callers: []string{o.Caller}})
	if err != nil {
		return nil, err
	}
	var doc struct {
		Statement []json.RawMessage
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	f.canonical = map[string]json.RawMessage{}
	for _, st := range doc.Statement {
		var s struct{ Sid string }
		var c bytes.Buffer
		if json.Unmarshal(st, &s) == nil && json.Compact(&c, st) == nil {
			f.canonical[s.Sid] = c.Bytes()
		}
	}
	return f, nil
}

// ref names statement i of the policy under test: its Sid (or
// Statement[i]) and, for a file, where it is written.
func (f *fixer) ref(i int) string {
	if i < 0 || i >= len(f.pol.Statements) {
		return "Statement[" + strconv.Itoa(i) + "]"
	}
	st := f.pol.Statements[i]
	if f.file == "" {
		return st.Label()
	}
	return fmt.Sprintf("%s (%s:%d)", st.Label(), f.file, st.Pos.Line)
}

func (f *fixer) label(i int) string {
	if i < 0 || i >= len(f.pol.Statements) {
		return ""
	}
	return f.pol.Statements[i].Label()
}

// request rebuilds the KMS request of a recorded call with the context
// AWS sets for it: the service principal's with the recommendation's
// source keys, a caller's through the service (FAS) or direct.
func (f *fixer) request(c KMSCall) (*authz.Request, error) {
	return f.requestWith(c, "", "")
}

// requestWith is request with the service principal's source keys given
// (a confused-deputy attempt's): CloudTrail does not record them.
func (f *fixer) requestWith(c KMSCall, sourceAccount, sourceArn string) (*authz.Request, error) {
	recARN := c.EncryptionContext
	action := "kms:" + c.EventName
	var p authz.Principal
	var ctx *authz.Context
	var err error
	switch {
	case c.Principal == agentcore.ServicePrincipal:
		p, err = authz.ParsePrincipal("service:" + agentcore.ServicePrincipal)
		if err == nil {
			if sourceAccount == "" && sourceArn == "" {
				_, _, sourceAccount, _, _ = agentcore.ParseRecommendationARN(recARN)
				sourceArn = recARN
			}
			ctx = agentcore.ServiceContext(f.env, sourceAccount, sourceArn)
		}
	default:
		p, err = authz.ParsePrincipal(c.Principal)
		if err == nil {
			if c.InvokedBy == agentcore.ServicePrincipal {
				ctx = agentcore.FASContext(f.env, p)
			} else {
				ctx = agentcore.DirectContext(f.env, p)
			}
		}
	}
	if err != nil {
		return nil, err
	}
	if recARN != "" && c.EventName != "DescribeKey" {
		ctx = agentcore.WithEncryptionContext(ctx, recARN)
	}
	return &authz.Request{Principal: p, Action: action, Resource: f.key, Context: ctx}, nil
}

// denied says what to change so that a denied request is allowed.
func (f *fixer) denied(req *authz.Request) hint {
	res := f.eng.Decide(req)
	who := req.Principal.String()
	switch res.Decision {
	case authz.Allow:
		return hint{}
	case authz.ExplicitDeny:
		for _, s := range res.Statements {
			if s.Decisive && s.Policy == "" {
				return hint{Statement: f.label(s.Index), Fix: fmt.Sprintf("statement %s denies %s %s: narrow it so that it does not match the workflow's request", f.ref(s.Index), who, req.Action)}
			}
		}
	}
	// The statement that names the principal and the action but whose
	// condition or resource keeps it from applying is the one to change.
	for _, s := range res.Statements {
		if s.Policy == "" && s.Effect == "Allow" && (s.Failed == authz.ConditionMismatch || s.Failed == authz.ResourceMismatch) {
			return hint{Statement: f.label(s.Index), Fix: fmt.Sprintf("statement %s grants %s %s, but not for the workflow's request: %s", f.ref(s.Index), who, req.Action, s.Reason)}
		}
	}
	for _, s := range res.Statements {
		if s.Policy == "" && s.Effect == "Allow" && s.Failed == authz.ActionMismatch {
			return hint{Statement: f.label(s.Index), Fix: fmt.Sprintf("statement %s names %s but not %s: add the action to it", f.ref(s.Index), who, req.Action)}
		}
	}
	sid := "AllowCallerCryptoOps"
	switch {
	case req.Principal.Kind == authz.ServicePrincipal:
		sid = "AllowServicePrincipalAccess"
	case strings.EqualFold(req.Action, "kms:DescribeKey"):
		sid = "AllowCallerAccess"
	}
	return hint{Fix: fmt.Sprintf("no statement allows %s %s: add this statement: %s", who, req.Action, f.canonical[sid])}
}

// allowed names the statements that allowed a request that should have
// been refused, with what to do about them.
func (f *fixer) allowed(req *authz.Request, advice string) hint {
	res := f.eng.Decide(req)
	if res.Decision != authz.Allow {
		return hint{Fix: advice}
	}
	var refs []string
	first := -1
	for _, s := range res.Statements {
		if s.Decisive && s.Policy == "" {
			refs = append(refs, f.ref(s.Index))
			if first < 0 {
				first = s.Index
			}
		}
	}
	if first < 0 {
		return hint{Fix: advice}
	}
	return hint{Statement: f.label(first), Fix: fmt.Sprintf("statement %s allows %s %s: %s", strings.Join(refs, ", "), req.Principal.String(), req.Action, advice)}
}
