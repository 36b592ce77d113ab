package audit

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/kmslint/kmslint/internal/agentcore"
	"github.com/kmslint/kmslint/internal/arn"
	"github.com/kmslint/kmslint/internal/authz"
	"github.com/kmslint/kmslint/internal/cloudtrail"
	"github.com/kmslint/kmslint/internal/lint"
	"github.com/kmslint/kmslint/internal/report"
)

// Options configure an Auditor. The zero value audits every key with no
// known callers, no policy to replay denials against and no nested lint.
type Options struct {
	// Account and Region are the key's, used when a key ARN does not say.
	Account, Region string
	// KeyARN restricts the audit to one key.
	KeyARN string
	// Callers are the IAM role or user ARNs that call StartRecommendation;
	// when set, a call through the service by anyone else is AUD002.
	Callers []string
	// Policy, when set, is the key policy AUD001 replays denials against.
	Policy *authz.Engine
	// Linter, when set, lints every policy PutKeyPolicy set (AUD006).
	Linter *lint.Linter
}

// Auditor collects the events of a trail. Memory grows with the
// recommendations and their KMS calls, and with key lifecycle events; other
// events are only counted.
type Auditor struct {
	opts    Options
	callers map[string]bool
	recs    map[string]*Timeline
	keys    map[string][]Entry // key ARN (or id) -> lifecycle events
	// validations are AgentCore's DescribeKey calls (key ARN or id -> calls),
	// which carry no encryption context: Finish gives each to the
	// recommendation it started, where the trail shows one.
	validations map[string][]Entry
	// policies holds the policy text of each PutKeyPolicy by event id.
	policies map[string]string
	// allowAll is opts.Policy with an allow-all IAM policy, built on first
	// use (see replay).
	allowAll *authz.Engine
	// strs interns the strings that repeat across entries (principals,
	// operations, outcomes, sources): a large trail has a few dozen distinct
	// ones over millions of events, and each event brings its own copy.
	strs map[string]string
}

// New returns an Auditor.
func New(opts Options) *Auditor {
	a := &Auditor{
		opts:     opts,
		callers:  map[string]bool{},
		recs:     map[string]*Timeline{},
		keys:     map[string][]Entry{},
		policies: map[string]string{},

		validations: map[string][]Entry{},
		strs:        map[string]string{},
	}
	for _, c := range opts.Callers {
		a.callers[c] = true
	}
	return a
}

// Add records one event; events may come in any order. It is not safe for
// concurrent use (cloudtrail.Read serialises its callback).
func (a *Auditor) Add(ev *cloudtrail.Event) {
	if ev == nil || ev.EventSource != cloudtrail.KMSEventSource {
		return
	}
	p := parseParams(ev.RequestParameters)
	key := keyOf(ev, p)
	if a.opts.KeyARN != "" && !sameKey(key, a.opts.KeyARN) {
		return
	}
	e := Entry{
		EventID:   ev.EventID,
		Time:      ev.EventTime,
		Operation: a.intern(ev.EventName),
		Principal: a.intern(principalOf(ev.UserIdentity)),
		InvokedBy: a.intern(ev.UserIdentity.InvokedBy),
		Outcome:   OutcomeOK,
		source:    a.intern(ev.Source),
		record:    ev.Record,
	}
	if ev.ErrorCode != "" {
		e.Outcome = a.intern(ev.ErrorCode)
	}
	if lifecycleEvents[ev.EventName] {
		e.Who = classify(ev.UserIdentity, nil, "")
		a.keys[key] = append(a.keys[key], e)
		if ev.EventName == "PutKeyPolicy" && e.Outcome == OutcomeOK && p.Policy != "" {
			a.policies[ev.EventID] = p.Policy
		}
		return
	}
	rec, ok := p.EncryptionContext[agentcore.ContextKey]
	e.Who = classify(ev.UserIdentity, a.callers, a.keyAccount(key))
	if e.Denied() {
		e.ev = &request{identity: ev.UserIdentity, encContext: p.EncryptionContext}
	}
	if !ok {
		// StartRecommendation validates the key with DescribeKey, the one
		// call of the workflow without an encryption context (DESIGN.md's
		// request model; "DescribeKey — When validating the key at
		// recommendation creation time" in AgentCore's guide).
		if ev.EventName == "DescribeKey" && len(p.EncryptionContext) == 0 && ev.UserIdentity.InvokedBy == agentcore.ServicePrincipal {
			a.validations[key] = append(a.validations[key], e)
		}
		return
	}
	t := a.recs[rec]
	if t == nil {
		t = &Timeline{RecommendationARN: rec, Key: key}
		a.recs[rec] = t
	}
	if t.Key == "" || (!isARN(t.Key) && isARN(key)) {
		t.Key = key
	}
	t.Events = append(t.Events, e)
}

func (a *Auditor) intern(s string) string {
	if v, ok := a.strs[s]; ok {
		return v
	}
	// Bounded: past this many distinct values (a trail of ever-new session
	// names) interning stops paying and the map would only grow.
	if len(a.strs) < 1<<16 {
		a.strs[s] = s
	}
	return s
}

func isARN(s string) bool { return len(s) > 4 && s[:4] == "arn:" }

// keyAccount is the account of a key: from its ARN, else --account.
func (a *Auditor) keyAccount(key string) string {
	if k, ok := arn.Parse(key); ok {
		return k.AccountID
	}
	return a.opts.Account
}

// Result is the outcome of an audit.
type Result struct {
	// Timelines are one per recommendation, sorted by ARN, then the
	// timelines of AgentCore calls that belong to no recommendation, one per
	// key.
	Timelines Timelines
	// Recommendations is the number of recommendation timelines.
	Recommendations int
	Findings        []report.Finding
}

// Finish orders the timelines and runs the rules. ctx bounds the nested
// lint of AUD006.
func (a *Auditor) Finish(ctx context.Context) (*Result, error) {
	res := &Result{Timelines: Timelines{}}
	for _, t := range a.recs {
		sortEntries(t.Events)
		res.Timelines = append(res.Timelines, *t)
	}
	slices.SortFunc(res.Timelines, func(x, y Timeline) int {
		return cmp.Compare(x.RecommendationARN, y.RecommendationARN)
	})
	res.Recommendations = len(res.Timelines)
	res.Timelines = append(res.Timelines, a.attribute(res.Timelines)...)
	for i := range res.Timelines {
		t := &res.Timelines[i]
		for k, evs := range a.keys {
			if sameKey(k, t.Key) {
				t.KeyEvents = append(t.KeyEvents, evs...)
			}
		}
		sortEntries(t.KeyEvents)
		if t.KeyEvents == nil {
			t.KeyEvents = []Entry{} // [] rather than null in JSON
		}
	}
	for i := range res.Timelines {
		t := &res.Timelines[i]
		res.Findings = append(res.Findings, a.denied(t)...)
		foreign := a.foreign(t)
		if len(foreign) == 0 {
			// In another account's recommendation nobody is an expected
			// principal; AUD003 says who made its calls.
			res.Findings = append(res.Findings, a.intruders(t)...)
		}
		res.Findings = append(res.Findings, foreign...)
		res.Findings = append(res.Findings, keyStopped(t)...)
		if len(foreign) == 0 {
			// Another account's recommendation has no workflow here to
			// complete; AUD003 already says what is wrong with it.
			res.Findings = append(res.Findings, unfinished(t)...)
		}
		res.Findings = append(res.Findings, dryRuns(t)...)
	}
	policyFindings, err := a.policyChanges(ctx, res.Timelines[:res.Recommendations])
	if err != nil {
		return nil, err
	}
	res.Findings = append(res.Findings, policyFindings...)
	return res, nil
}

// startWindow bounds how long before a recommendation's first call its
// key validation may be: StartRecommendation makes DescribeKey and the
// dry runs one after the other within one API call.
const startWindow = time.Minute

// attribute gives each allowed key validation (DescribeKey through
// AgentCore) to the recommendation whose first call, by the same principal
// on the same key, follows it within startWindow: of several, the latest
// one (see likelier), since a Start that made a recommendation validated
// the key just before. A denied validation ends StartRecommendation before any
// recommendation exists, and the rest match no recommendation: they are
// returned as one timeline per key, without a recommendation ARN.
func (a *Auditor) attribute(ts Timelines) Timelines {
	if len(a.validations) == 0 {
		return nil
	}
	type start struct {
		t     *Timeline
		first *Entry
	}
	var starts []start
	for i := range ts {
		t := &ts[i]
		for j := range t.Events {
			if e := &t.Events[j]; e.InvokedBy == agentcore.ServicePrincipal && e.Who != WhoService {
				starts = append(starts, start{t, e})
				break
			}
		}
	}
	slices.SortFunc(starts, func(x, y start) int {
		return cmp.Or(x.first.Time.Compare(y.first.Time), cmp.Compare(x.t.RecommendationARN, y.t.RecommendationARN))
	})
	keys := make([]string, 0, len(a.validations))
	for k, evs := range a.validations {
		sortEntries(evs)
		keys = append(keys, k)
	}
	slices.Sort(keys)
	claimed := map[*Entry]bool{}
	for _, s := range starts {
		var best *Entry
		for _, k := range keys {
			if !sameKey(k, s.t.Key) {
				continue
			}
			evs := a.validations[k]
			for i := range evs {
				v := &evs[i]
				if claimed[v] || !v.Allowed() || v.Principal != s.first.Principal ||
					v.Time.After(s.first.Time) || s.first.Time.Sub(v.Time) > startWindow {
					continue
				}
				if best == nil || likelier(v, best, s.first) {
					best = v
				}
			}
		}
		if best != nil {
			claimed[best] = true
			s.t.Events = append(s.t.Events, *best)
			sortEntries(s.t.Events)
		}
	}
	var out Timelines
	for _, k := range keys {
		t := Timeline{Key: k}
		for i := range a.validations[k] {
			if v := &a.validations[k][i]; !claimed[v] {
				t.Events = append(t.Events, *v)
			}
		}
		if len(t.Events) > 0 {
			out = append(out, t)
		}
	}
	return out
}
func sortEntries(es []Entry) {
	slices.SortStableFunc(es, func(x, y Entry) int { return compareEntries(&x, &y) })
}

// likelier reports whether validation v is likelier than w to have started
// the recommendation whose first call is first: the nearer in time. Times
// are to the second, so within one the records' order decides: one read
// before first wins over one read after it (logs keep the calls' order; a
// query export sorted by event id does not, hence one after is still a
// candidate), then the nearer to first.
func likelier(v, w, first *Entry) bool {
	if c := v.Time.Compare(w.Time); c != 0 {
		return c > 0
	}
	vb, wb := compareEntries(v, first) < 0, compareEntries(w, first) < 0
	if vb != wb {
		return vb
	}
	if vb {
		return compareEntries(v, w) > 0
	}
	return compareEntries(v, w) < 0
}

// compareEntries orders entries by time, then by where they were read.
func compareEntries(x, y *Entry) int {
	return cmp.Or(x.Time.Compare(y.Time), cmp.Compare(x.source, y.source),
		cmp.Compare(x.record, y.record), cmp.Compare(x.EventID, y.EventID))
}

// Recommendations is the number of recommendations seen so far.
func (a *Auditor) Recommendations() int { return len(a.recs) }
