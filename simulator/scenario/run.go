package scenario

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/kmslint/kmslint/internal/agentcore"
	"github.com/kmslint/kmslint/internal/audit"
	"github.com/kmslint/kmslint/internal/cloudtrail"
	"github.com/kmslint/kmslint/simulator/kms/trail"
)

// Scenario is one named situation with the outcome a correct key policy
// gives.
type Scenario struct {
	Name        string
	Expectation string
	run         func(*runner)
}

// All returns the scenarios in the order `--scenario all` runs them.
func All() []Scenario { return scenarios() }

// Names lists the scenario names.
func Names() []string {
	var out []string
	for _, s := range scenarios() {
		out = append(out, s.Name)
	}
	return out
}

// Run runs the named scenarios ("all" for every one) and audits each
// scenario's trail.
func Run(ctx context.Context, names []string, opts Options) (*Report, error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	if _, err := opts.policy(); err != nil {
		return nil, err
	}
	var chosen []Scenario
	for _, n := range names {
		if n == "all" {
			chosen = append(chosen, scenarios()...)
			continue
		}
		found := false
		for _, s := range scenarios() {
			if s.Name == n {
				chosen, found = append(chosen, s), true
			}
		}
		if !found {
			return nil, fmt.Errorf("unknown scenario %q (scenarios: %s, all)", n, strings.Join(Names(), ", "))
		}
	}
	rep := &Report{Version: 1, Scenarios: []*Result{}}
	for _, s := range chosen {
		res, err := runOne(ctx, &opts, s)
		if err != nil {
			return nil, fmt.Errorf("scenario %s: %w", s.Name, err)
		}
		rep.Scenarios = append(rep.Scenarios, res)
		rep.Summary.Scenarios++
		if res.Met {
			rep.Summary.Met++
		}
	}
	return rep, nil
}

// runner drives one scenario and builds its timeline.
type runner struct {
	*world
	res *Result
	// used holds the event ids already assigned to steps. The workflow runs
	// concurrently with the caller's requests, so records are assigned by
	// who made them, not by when: the service principal's to workflow
	// steps, everyone else's to API steps.
	used map[string]bool
}

func runOne(ctx context.Context, o *Options, s Scenario) (*Result, error) {
	spec := ""
	if s.Name == "asymmetric-key" {
		spec = "RSA_2048"
	}
	w, err := newWorld(ctx, o, s.Name, kmsSpec(spec))
	if err != nil {
		return nil, err
	}
	r := &runner{world: w, res: &Result{Name: s.Name, Expectation: s.Expectation, Met: true, Steps: []Step{}}, used: map[string]bool{}}
	for _, rec := range w.trail() {
		r.used[rec.EventID] = true // the key's creation is setup, not a step
	}
	s.run(r)
	records := w.trail()
	if err := w.close(); err != nil {
		return nil, err
	}
	findings, err := r.audit(ctx, records)
	if err != nil {
		return nil, err
	}
	r.res.Findings = findings
	return r.res, nil
}

// step runs fn as one timeline step and collects the KMS records it made:
// the service principal's when the step is the service's, the others'
// otherwise.
func (r *runner) step(operation, principal string, fn func() error) error {
	err := fn()
	st := Step{Operation: operation, Principal: principal, Outcome: code(err), Message: message(err), KMSCalls: []KMSCall{}}
	service := principal == agentcore.ServicePrincipal
	for _, rec := range r.trail() {
		if r.used[rec.EventID] || (rec.UserIdentity.Type == "AWSService") != service {
			continue
		}
		r.used[rec.EventID] = true
		st.KMSCalls = append(st.KMSCalls, kmsCall(rec))
	}
	r.res.Steps = append(r.res.Steps, st)
	return err
}

func kmsCall(rec trail.Record) KMSCall {
	c := KMSCall{EventName: rec.EventName, InvokedBy: rec.UserIdentity.InvokedBy, Outcome: rec.ErrorCode, EventID: rec.EventID}
	if c.Outcome == "" {
		c.Outcome = "ok"
	}
	switch {
	case rec.UserIdentity.Type == "AWSService":
		c.Principal = rec.UserIdentity.InvokedBy
		c.InvokedBy = ""
	case rec.UserIdentity.ARN != "":
		c.Principal = rec.UserIdentity.ARN
	default:
		c.Principal = rec.UserIdentity.Type
	}
	var p struct {
		EncryptionContext map[string]string `json:"encryptionContext"`
		DryRun            bool              `json:"dryRun"`
	}
	_ = json.Unmarshal(rec.RequestParameters, &p)
	c.EncryptionContext, c.DryRun = p.EncryptionContext[agentcore.ContextKey], p.DryRun
	return c
}

// miss records that the scenario did not go as expected, and what to
// change; the first miss is the one reported.
func (r *runner) miss(h hint, format string, args ...any) {
	if !r.res.Met {
		return
	}
	r.res.Met = false
	r.res.Missed = fmt.Sprintf(format, args...)
	r.res.Statement, r.res.Fix = h.Statement, h.Fix
}

// audit reads the scenario's trail back through the CloudTrail decoder
// and audits it with the policy under test.
func (r *runner) audit(ctx context.Context, records []trail.Record) ([]auditFinding, error) {
	body, err := json.Marshal(struct {
		Records []trail.Record `json:"Records"`
	}{records})
	if err != nil {
		return nil, err
	}
	a := audit.New(audit.Options{Account: r.opts.Account, Region: r.opts.Region, KeyARN: r.key, Callers: []string{r.opts.Caller}, Policy: &r.fix.eng})
	var input io.Reader = bytes.NewReader(body)
	res, err := cloudtrail.Read(ctx, cloudtrail.Inputs{Paths: []string{cloudtrail.StdinName}}, cloudtrail.Options{Stdin: input, Workers: 1},
		func(ev *cloudtrail.Event) error { a.Add(ev); return nil })
	if err != nil {
		return nil, fmt.Errorf("read the trail back: %w", err)
	}
	if len(res.Errors) > 0 {
		return nil, fmt.Errorf("the simulator's trail does not decode: %s record %d: %s", res.Errors[0].Source, res.Errors[0].Record, res.Errors[0].Err)
	}
	out, err := a.Finish(ctx)
	if err != nil {
		return nil, err
	}
	f := out.Findings
	sort.SliceStable(f, func(i, j int) bool { return f[i].Rule < f[j].Rule })
	if f == nil {
		f = []auditFinding{}
	}
	return f, nil
}
