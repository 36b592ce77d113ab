package audit

import (
	"cmp"
	"context"
	"slices"

	"github.com/kmslint/kmslint/internal/agentcore"
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
	// policies holds the policy text of each PutKeyPolicy by event id.
	policies map[string]string
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
		strs:     map[string]string{},
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
		e.Who = classify(ev.UserIdentity, nil)
		a.keys[key] = append(a.keys[key], e)
		if ev.EventName == "PutKeyPolicy" && e.Outcome == OutcomeOK && p.Policy != "" {
			a.policies[ev.EventID] = p.Policy
		}
		return
	}
	rec, ok := p.EncryptionContext[agentcore.ContextKey]
	if !ok {
		return
	}
	e.Who = classify(ev.UserIdentity, a.callers)
	if e.Denied() {
		e.ev = &request{identity: ev.UserIdentity, encContext: p.EncryptionContext}
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

// Result is the outcome of an audit.
type Result struct {
	Timelines Timelines
	Findings  []report.Finding
}

// Finish orders the timelines and runs the rules. ctx bounds the nested
// lint of AUD006.
func (a *Auditor) Finish(ctx context.Context) (*Result, error) {
	res := &Result{Timelines: Timelines{}}
	for _, t := range a.recs {
		sortEntries(t.Events)
		for k, evs := range a.keys {
			if sameKey(k, t.Key) {
				t.KeyEvents = append(t.KeyEvents, evs...)
			}
		}
		sortEntries(t.KeyEvents)
		if t.KeyEvents == nil {
			t.KeyEvents = []Entry{} // [] rather than null in JSON
		}
		res.Timelines = append(res.Timelines, *t)
	}
	slices.SortFunc(res.Timelines, func(x, y Timeline) int {
		return cmp.Compare(x.RecommendationARN, y.RecommendationARN)
	})
	for i := range res.Timelines {
		t := &res.Timelines[i]
		res.Findings = append(res.Findings, a.denied(t)...)
		res.Findings = append(res.Findings, intruders(t)...)
		foreign := a.foreign(t)
		res.Findings = append(res.Findings, foreign...)
		res.Findings = append(res.Findings, keyStopped(t)...)
		if len(foreign) == 0 {
			// Another account's recommendation has no workflow here to
			// complete; AUD003 already says what is wrong with it.
			res.Findings = append(res.Findings, unfinished(t)...)
		}
		res.Findings = append(res.Findings, dryRuns(t)...)
	}
	policyFindings, err := a.policyChanges(ctx, res.Timelines)
	if err != nil {
		return nil, err
	}
	res.Findings = append(res.Findings, policyFindings...)
	return res, nil
}

func sortEntries(es []Entry) {
	slices.SortStableFunc(es, func(x, y Entry) int {
		return cmp.Or(x.Time.Compare(y.Time), cmp.Compare(x.source, y.source),
			cmp.Compare(x.record, y.record), cmp.Compare(x.EventID, y.EventID))
	})
}

// Recommendations is the number of recommendations seen so far.
func (a *Auditor) Recommendations() int { return len(a.recs) }
