package audit

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/kmslint/kmslint/internal/agentcore"
	"github.com/kmslint/kmslint/internal/arn"
	"github.com/kmslint/kmslint/internal/input"
	"github.com/kmslint/kmslint/internal/lint"
	"github.com/kmslint/kmslint/internal/policy"
	"github.com/kmslint/kmslint/internal/report"
)

// recContext is the encryption context of the rule examples.
const recContext = `"encryptionContext": {"aws:bedrock-agentcore:recommendationArn": "arn:aws:bedrock-agentcore:us-east-1:111122223333:recommendation/MyPromptRec-AB1CD2EF3G"}`

// Docs documents AUD001-AUD007 with an example of the CloudTrail records
// each flags: the audit rules' half of the catalogue that `kmslint rules`
// and `kmslint explain` show beside the lint rules.
func Docs() []lint.RuleDoc {
	return []lint.RuleDoc{
		{RuleMeta: report.RuleMeta{ID: "AUD001", Severity: report.SeverityError, Profile: "audit",
			Title:       "Recommendation KMS call denied",
			Description: "A KMS call of the workflow was denied with AccessDenied: a caller's or the service principal's call for a recommendation of the key's account (it carries the encryption context aws:bedrock-agentcore:recommendationArn), or a caller's key validation (DescribeKey through AgentCore) that stopped StartRecommendation. With --policy the request is replayed through the authorization engine to name the statement that denied it or the grant that is missing. Refusals of anyone else (AUD002) or of another account's recommendation (AUD003) are the key policy doing its job and are reported there.",
			Fix:         "Add a key-policy statement that allows the principal the action, scoped to the key's own recommendations (encryption context for callers, aws:SourceAccount and aws:SourceArn for the service principal), or remove the Deny that matched (see `kmslint generate`)."},
			Example: `{"eventName": "Decrypt", "errorCode": "AccessDenied", "userIdentity": {"type": "AWSService", "invokedBy": "bedrock-agentcore.amazonaws.com"}, "requestParameters": {` + recContext + `}}`},
		{RuleMeta: report.RuleMeta{ID: "AUD002", Severity: report.SeverityError, Profile: "audit",
			Title:       "Recommendation context used by an unexpected principal",
			Description: "A KMS call carried a recommendation's encryption context, or asked AgentCore to validate the key, but came neither from a caller through AgentCore (userIdentity.invokedBy bedrock-agentcore.amazonaws.com; of the key's account, and one of --caller when given) nor from the AgentCore service principal: someone used, or tried to use, the key for recommendations. An error when a call got through; a warning when the key policy refused every call (a blocked attempt), unless the --policy given would let it in now.",
			Fix:         "When a call got through, find who the principal is and narrow the key policy so that only the callers through the service (kms:ViaService) and the service principal get the recommendation context. A blocked attempt needs no change to the key policy."},
			Example: `{"eventName": "Decrypt", "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/Mallory"}, "requestParameters": {` + recContext + `}}   (no invokedBy)`},
		{RuleMeta: report.RuleMeta{ID: "AUD003", Severity: report.SeverityError, Profile: "audit",
			Title:       "Encryption context names a foreign recommendation",
			Description: "The encryption context names a recommendation of another account or region than the key's, or a value that is no recommendation ARN: someone points another account's recommendations at the key (a confused-deputy attempt when the service principal makes the call). An error when a call got through: the key serves requests it was not meant for. A warning when the key policy refused every call (a blocked attempt), unless the --policy given would let it in now.",
			Fix:         "When a call got through, pin the callers' kms:EncryptionContext:aws:bedrock-agentcore:recommendationArn and the service principal's aws:SourceAccount and aws:SourceArn to the key's account and region (arn:aws:bedrock-agentcore:REGION:ACCOUNT:recommendation/*). A blocked attempt needs no change to the key policy."},
			Example: `key arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab used with "encryptionContext": {"aws:bedrock-agentcore:recommendationArn": "arn:aws:bedrock-agentcore:us-east-1:444455556666:recommendation/TheirRec-AB1CD2EF3G"}`},
		{RuleMeta: report.RuleMeta{ID: "AUD004", Severity: report.SeverityWarning, Profile: "audit",
			Title:       "Key disabled or scheduled for deletion while in use",
			Description: "DisableKey or ScheduleKeyDeletion ran on a key recommendations were using, and their later KMS calls failed.",
			Fix:         "EnableKey or CancelKeyDeletion, then rerun the failed recommendations; retire keys only after their recommendations are deleted."},
			Example: `{"eventName": "DisableKey"}, then {"eventName": "Decrypt", "errorCode": "DisabledException", "requestParameters": {` + recContext + `}}`},
		{RuleMeta: report.RuleMeta{ID: "AUD005", Severity: report.SeverityWarning, Profile: "audit",
			Title:       "Recommendation workflow never completed",
			Description: "The caller's GenerateDataKey (StartRecommendation encrypting its configuration) was followed by no GenerateDataKey of the service principal (the workflow writing its result) and by no failed call explaining why, within the audited window.",
			Fix:         "Check that the service principal may use the key (kmslint lint) and the recommendation's status; widen --until if the workflow may still be running."},
			Example: `{"eventName": "GenerateDataKey", "userIdentity": {"type": "AssumedRole", "invokedBy": "bedrock-agentcore.amazonaws.com"}, "requestParameters": {` + recContext + `}}, and no GenerateDataKey by the service principal after it`},
		{RuleMeta: report.RuleMeta{ID: "AUD006", Severity: report.SeverityWarning, Profile: "audit",
			Title:       "Key policy changed",
			Description: "PutKeyPolicy replaced the policy of a key recommendations use. The new policy is linted with the lint rules; its findings are reported with the PutKeyPolicy event as their file.",
			Fix:         "Review the change; fix the nested lint findings, or restore the previous policy."},
			Example: `{"eventName": "PutKeyPolicy", "requestParameters": {"keyId": "...", "policyName": "default", "policy": "{\"Version\": \"2012-10-17\", ...}"}}`},
		{RuleMeta: report.RuleMeta{ID: "AUD007", Severity: report.SeverityInfo, Profile: "audit",
			Title:       "DryRun permission checks",
			Description: "DryRun calls answered DryRunOperationException, which means the real call would have been allowed. StartRecommendation checks the caller's access this way.",
			Fix:         "Nothing to fix: this is a record of permission checks."},
			Example: `{"eventName": "GenerateDataKey", "errorCode": "DryRunOperationException", "requestParameters": {"dryRun": true, ` + recContext + `}}`},
	}
}

// Rules describes AUD001-AUD007 for SARIF and JUnit.
func Rules() []report.RuleMeta {
	docs := Docs()
	out := make([]report.RuleMeta, len(docs))
	for i, d := range docs {
		out[i] = d.RuleMeta
	}
	return out
}

var ruleTitles = func() map[string]report.RuleMeta {
	m := map[string]report.RuleMeta{}
	for _, r := range Rules() {
		m[r.ID] = r
	}
	return m
}()

func finding(rule string, t *Timeline, msg string, ids []string) report.Finding {
	r := ruleTitles[rule]
	return report.Finding{
		Rule: rule, Severity: r.Severity, Title: r.Title, Message: msg,
		Resource: cmp.Or(t.RecommendationARN, t.Key), RecommendationARN: t.RecommendationARN, EventIDs: ids,
	}
}

// group collects entries by a label, in first-seen order.
type group struct {
	label   string
	entries []*Entry
}

func groupBy(es []Entry, keep func(*Entry) bool, label func(*Entry) string) []group {
	var gs []group
	idx := map[string]int{}
	for i := range es {
		e := &es[i]
		if !keep(e) {
			continue
		}
		l := label(e)
		j, ok := idx[l]
		if !ok {
			j = len(gs)
			idx[l] = j
			gs = append(gs, group{label: l})
		}
		gs[j].entries = append(gs[j].entries, e)
	}
	return gs
}

func ids(es []*Entry) []string {
	out := make([]string, 0, len(es))
	for _, e := range es {
		out = append(out, e.EventID)
	}
	return out
}

func times(n int) string {
	if n == 1 {
		return "once"
	}
	return fmt.Sprintf("%d times", n)
}

// denied is AUD001: one finding per principal and operation, for the calls
// of this account's recommendations by a caller or the service principal:
// the workflow's own calls, which a denial breaks. Denials of anyone else
// (AUD002) and of another account's recommendation (AUD003) are the key
// policy keeping them out, and a fix would let them in.
func (a *Auditor) denied(t *Timeline) []report.Finding {
	if a.isForeign(t) {
		return nil
	}
	var out []report.Finding
	keep := func(e *Entry) bool { return e.Denied() && e.Who != WhoOther }
	for _, g := range groupBy(t.Events, keep, func(e *Entry) string { return e.Operation + "\x00" + e.Principal }) {
		e := g.entries[0]
		msg := fmt.Sprintf("%s by %s (%s) was denied with %s %s, first at %s",
			e.Operation, e.Principal, e.Who, e.Outcome, times(len(g.entries)), e.Time.UTC().Format("2006-01-02T15:04:05Z"))
		if t.RecommendationARN == "" {
			msg += " (the key validation of StartRecommendation: no recommendation was created)"
		}
		f := finding("AUD001", t, msg, ids(g.entries))
		if a.opts.Policy != nil && e.ev != nil {
			explain, ev := a.failure(t, e)
			f.Message += ": " + explain
			f.Evidence = ev
			if ev != nil && len(ev.Statements) > 0 {
				f.Statement = ev.Statements[0]
			}
		}
		out = append(out, f)
	}
	return out
}

// intruders is AUD002: one finding per unexpected principal.
func (a *Auditor) intruders(t *Timeline) []report.Finding {
	var out []report.Finding
	_, keyAccount := a.keyHome(t)
	for _, g := range groupBy(t.Events, func(e *Entry) bool { return e.Who == WhoOther }, func(e *Entry) string { return e.Principal }) {
		first := g.entries[0]
		who, why := g.label, "is neither a caller through "+agentcore.ServicePrincipal+" nor the service principal"
		if w, ok := arn.Parse(who); ok && w.AccountID != "" && keyAccount != "" && w.AccountID != keyAccount {
			who += fmt.Sprintf(" (account %s, not the key's %s)", w.AccountID, keyAccount)
			if first.InvokedBy == agentcore.ServicePrincipal {
				why = "is no caller of this key's recommendations, which live in the key's account"
			}
		} else if len(a.callers) > 0 && first.InvokedBy == agentcore.ServicePrincipal {
			why = "is not one of the callers (--caller)"
		}
		var msg string
		if t.RecommendationARN == "" {
			msg = fmt.Sprintf("%s asked %s to use this key (%s, %s; the key validation of StartRecommendation) and %s",
				who, first.InvokedBy, operations(g.entries), times(len(g.entries)), why)
		} else {
			how := "directly"
			if inv := first.InvokedBy; inv != "" {
				how = "through " + inv
			}
			msg = fmt.Sprintf("%s used this recommendation's encryption context %s (%s, %s) and %s",
				who, how, operations(g.entries), times(len(g.entries)), why)
		}
		f := finding("AUD002", t, msg, ids(g.entries))
		a.settle(&f, t, g.entries)
		out = append(out, f)
	}
	return out
}

// operations lists the distinct operations of es in first-seen order.
func operations(es []*Entry) string {
	var ops []string
	for _, e := range es {
		if !slices.Contains(ops, e.Operation) {
			ops = append(ops, e.Operation)
		}
	}
	return strings.Join(ops, ", ")
}

// settle words what came of an attempt to use the key (AUD002, AUD003) and
// sets its severity. A call that got through is an error. When none did, the
// key policy kept the attempt out, which is what it is for: a warning,
// worth knowing about, with nothing to change, unless the given policy
// (--policy) would let the same calls in now, which is an error again.
func (a *Auditor) settle(f *report.Finding, t *Timeline, es []*Entry) {
	var allowed int
	var refused []*Entry
	var codes []string
	for _, e := range es {
		switch {
		case e.Allowed():
			allowed++
		case e.Denied():
			refused = append(refused, e)
		}
		if !e.Allowed() && !slices.Contains(codes, e.Outcome) {
			codes = append(codes, e.Outcome)
		}
	}
	if allowed > 0 {
		f.Message += fmt.Sprintf("; %d of %d call(s) were allowed", allowed, len(es))
		return
	}
	outcome := fmt.Sprintf("the key policy refused %s", every(len(es)))
	if len(refused) < len(es) {
		outcome = fmt.Sprintf("none of the %d call(s) got through (%s)", len(es), strings.Join(codes, ", "))
	}
	var note string
	var ev *report.Evidence
	if a.opts.Policy != nil {
		seen := map[string]bool{}
		for _, e := range refused {
			if e.ev == nil || seen[e.Operation] {
				continue
			}
			seen[e.Operation] = true
			msg, rev, escalate := a.refusal(t, e)
			if escalate {
				f.Message += "; " + outcome + " then, but " + msg
				f.Evidence = rev
				return
			}
			if note == "" {
				note, ev = msg, rev
			}
		}
	}
	f.Severity = report.SeverityWarning
	f.Message += "; " + outcome + ": a blocked attempt, nothing to change in the key policy"
	if note != "" {
		f.Message += "; " + note
		f.Evidence = ev
	}
}

func every(n int) string {
	if n == 1 {
		return "the call"
	}
	if n == 2 {
		return "both calls"
	}
	return fmt.Sprintf("all %d calls", n)
}

// keyHome is the account and region of a timeline's key.
func (a *Auditor) keyHome(t *Timeline) (region, account string) {
	if k, ok := arn.Parse(t.Key); ok {
		return k.Region, k.AccountID
	}
	return a.opts.Region, a.opts.Account
}

// foreignTo says how a timeline's recommendation differs from the key's
// account and region; notRec is set when the context value is no
// recommendation ARN. A key-level timeline names no recommendation and is
// neither.
func (a *Auditor) foreignTo(t *Timeline) (diffs []string, notRec bool) {
	if t.RecommendationARN == "" {
		return nil, false
	}
	_, region, account, _, ok := agentcore.ParseRecommendationARN(t.RecommendationARN)
	if !ok {
		return nil, true
	}
	keyRegion, keyAccount := a.keyHome(t)
	if keyAccount != "" && account != keyAccount {
		diffs = append(diffs, fmt.Sprintf("account %s, not the key's %s", account, keyAccount))
	}
	if keyRegion != "" && region != keyRegion {
		diffs = append(diffs, fmt.Sprintf("region %s, not the key's %s", region, keyRegion))
	}
	return diffs, false
}

func (a *Auditor) isForeign(t *Timeline) bool {
	diffs, notRec := a.foreignTo(t)
	return notRec || len(diffs) > 0
}

// foreign is AUD003.
func (a *Auditor) foreign(t *Timeline) []report.Finding {
	diffs, notRec := a.foreignTo(t)
	if !notRec && len(diffs) == 0 {
		return nil
	}
	all := make([]*Entry, len(t.Events))
	for i := range t.Events {
		all[i] = &t.Events[i]
	}
	var msg string
	if notRec {
		msg = fmt.Sprintf("the encryption context value %q is not a recommendation ARN", t.RecommendationARN)
	} else {
		msg = "the encryption context names a recommendation of " + strings.Join(diffs, " and ")
	}
	var calls []string
	for _, g := range groupBy(t.Events, func(*Entry) bool { return true }, func(e *Entry) string { return e.Principal }) {
		calls = append(calls, operations(g.entries)+" by "+g.label)
	}
	msg += " (" + strings.Join(calls, "; ") + ")"
	f := finding("AUD003", t, msg, ids(all))
	a.settle(&f, t, all)
	return []report.Finding{f}
}

// keyStopped is AUD004: a DisableKey or ScheduleKeyDeletion followed, before
// the key came back, by failed calls of the recommendation.
func keyStopped(t *Timeline) []report.Finding {
	var out []report.Finding
	for i := range t.KeyEvents {
		stop := &t.KeyEvents[i]
		if stop.Outcome != OutcomeOK || (stop.Operation != "DisableKey" && stop.Operation != "ScheduleKeyDeletion") {
			continue
		}
		until := stop.Time
		back := false
		for j := i + 1; j < len(t.KeyEvents); j++ {
			k := &t.KeyEvents[j]
			if k.Outcome == OutcomeOK && (k.Operation == "EnableKey" || k.Operation == "CancelKeyDeletion") {
				until, back = k.Time, true
				break
			}
		}
		var failed []*Entry
		for j := range t.Events {
			e := &t.Events[j]
			if e.Allowed() || e.Time.Before(stop.Time) || (back && !e.Time.Before(until)) {
				continue
			}
			failed = append(failed, e)
		}
		if len(failed) == 0 {
			continue
		}
		var codes []string
		for _, e := range failed {
			if !slices.Contains(codes, e.Outcome) {
				codes = append(codes, e.Outcome)
			}
		}
		msg := fmt.Sprintf("%s by %s at %s; %d later call(s) of this recommendation failed (%s)",
			stop.Operation, stop.Principal, stop.Time.UTC().Format("2006-01-02T15:04:05Z"), len(failed), strings.Join(codes, ", "))
		out = append(out, finding("AUD004", t, msg, append([]string{stop.EventID}, ids(failed)...)))
	}
	return out
}

// unfinished is AUD005: the caller's GenerateDataKey started the workflow
// and nothing followed, neither the service's GenerateDataKey nor a
// failure (failures have their own rules).
func unfinished(t *Timeline) []report.Finding {
	start := -1
	for i := range t.Events {
		e := &t.Events[i]
		if e.Who == WhoCaller && e.Operation == "GenerateDataKey" && e.Outcome == OutcomeOK {
			start = i
		}
	}
	if start < 0 {
		return nil
	}
	for _, e := range t.Events[start+1:] {
		if (e.Who == WhoService && e.Operation == "GenerateDataKey") || !e.Allowed() {
			return nil
		}
	}
	s := &t.Events[start]
	msg := fmt.Sprintf("the caller %s started the recommendation (GenerateDataKey at %s) but the service principal never wrote a result (no GenerateDataKey by %s follows in the audited window)",
		s.Principal, s.Time.UTC().Format("2006-01-02T15:04:05Z"), agentcore.ServicePrincipal)
	return []report.Finding{finding("AUD005", t, msg, []string{s.EventID})}
}

// dryRuns is AUD007.
func dryRuns(t *Timeline) []report.Finding {
	var checks []*Entry
	var ops []string
	for i := range t.Events {
		if e := &t.Events[i]; e.DryRun() {
			checks = append(checks, e)
			if !slices.Contains(ops, e.Operation) {
				ops = append(ops, e.Operation)
			}
		}
	}
	if len(checks) == 0 {
		return nil
	}
	msg := fmt.Sprintf("%d DryRun permission check(s) (%s) answered DryRunOperationException: allowed", len(checks), strings.Join(ops, ", "))
	return []report.Finding{finding("AUD007", t, msg, ids(checks))}
}

// policyChanges is AUD006, for the keys the recommendations used (or the
// --key-arn key): one finding per PutKeyPolicy, plus the lint findings of
// the policy it set, filed under the event.
func (a *Auditor) policyChanges(ctx context.Context, ts Timelines) ([]report.Finding, error) {
	var out []report.Finding
	var keys []string
	for k := range a.keys {
		used := a.opts.KeyARN != ""
		for i := range ts {
			used = used || sameKey(k, ts[i].Key)
		}
		if used {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		evs := slices.Clone(a.keys[k])
		sortEntries(evs)
		var recs []string
		for i := range ts {
			if sameKey(k, ts[i].Key) {
				recs = append(recs, ts[i].RecommendationARN)
			}
		}
		for i := range evs {
			e := &evs[i]
			if e.Operation != "PutKeyPolicy" || e.Outcome != OutcomeOK {
				continue
			}
			t := &Timeline{Key: k}
			if len(recs) == 1 {
				t.RecommendationARN = recs[0]
			}
			nested, note, err := a.lintPolicy(ctx, k, e)
			if err != nil {
				return nil, err
			}
			msg := fmt.Sprintf("PutKeyPolicy by %s at %s changed the key policy (used by %d recommendation(s)); %s",
				e.Principal, e.Time.UTC().Format("2006-01-02T15:04:05Z"), len(recs), note)
			out = append(out, finding("AUD006", t, msg, []string{e.EventID}))
			out = append(out, nested...)
		}
	}
	return out, nil
}

// lintPolicy lints the policy a PutKeyPolicy set.
func (a *Auditor) lintPolicy(ctx context.Context, key string, e *Entry) ([]report.Finding, string, error) {
	text, ok := a.policies[e.EventID]
	if !ok {
		return nil, "the trail does not record the new policy", nil
	}
	if a.opts.Linter == nil {
		return nil, "the new policy was not linted", nil
	}
	file := "PutKeyPolicy " + e.EventID
	node, err := policy.ParseJSON(file, []byte(text))
	if err != nil {
		return nil, fmt.Sprintf("the new policy is not JSON (%v)", err), nil
	}
	region, account := a.opts.Region, a.opts.Account
	if k, ok := arn.Parse(key); ok {
		region, account = k.Region, k.AccountID
	}
	env := lint.Env{Account: account, Region: region, Callers: a.opts.Callers}
	if isARN(key) {
		env.KeyARN = key
	}
	doc := input.Document{File: file, Format: input.FormatPolicy, Resource: key, Policy: node, Size: compactSize(text)}
	fs, err := a.opts.Linter.Lint(ctx, []input.Document{doc}, env)
	if err != nil {
		// A policy the linter cannot place (say, no account to infer) is
		// still a changed policy: say so rather than stop the audit.
		return nil, fmt.Sprintf("the new policy could not be linted: %v", err), nil
	}
	var n [4]int
	for i := range fs {
		fs[i].EventIDs = []string{e.EventID}
		if s := fs[i].Severity; s.Valid() {
			n[s]++
		}
	}
	slices.SortFunc(fs, func(x, y report.Finding) int { return cmp.Compare(x.Rule, y.Rule) })
	return fs, fmt.Sprintf("lint of the new policy: %d error(s), %d warning(s), %d info", n[report.SeverityError], n[report.SeverityWarning], n[report.SeverityInfo]), nil
}

// compactSize is the policy's length without insignificant whitespace, the
// form KMS's 32 KB limit applies to.
func compactSize(text string) int {
	n, inString, escaped := 0, false, false
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case inString:
			n++
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == ' ' || c == '\n' || c == '\r' || c == '\t':
		default:
			n++
			inString = c == '"'
		}
	}
	return n
}
