package audit

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kmslint/kmslint/internal/authz"
	"github.com/kmslint/kmslint/internal/cloudtrail"
	"github.com/kmslint/kmslint/internal/lint"
	"github.com/kmslint/kmslint/internal/policy"
	"github.com/kmslint/kmslint/internal/report"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

const (
	keyARN     = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	recPfx     = "arn:aws:bedrock-agentcore:us-east-1:111122223333:recommendation/"
	foreignRec = "arn:aws:bedrock-agentcore:us-east-1:444455556666:recommendation/OutsiderRec-GGGGGGGGGG"
)

var (
	linterOnce sync.Once
	linter     *lint.Linter
	linterErr  error
)

func testLinter(t testing.TB) *lint.Linter {
	t.Helper()
	linterOnce.Do(func() { linter, linterErr = lint.New(lint.Options{}) })
	if linterErr != nil {
		t.Fatal(linterErr)
	}
	return linter
}

func engine(t testing.TB, file string) *authz.Engine {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	p, err := policy.ParseKeyPolicy(file, data)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := authz.Compile("key policy", p)
	if err != nil {
		t.Fatal(err)
	}
	return &authz.Engine{Key: cp}
}

// run audits paths as the CLI does.
func run(t testing.TB, opts Options, paths ...string) (*Result, cloudtrail.Result) {
	t.Helper()
	a := New(opts)
	rr, err := cloudtrail.Read(context.Background(), cloudtrail.Inputs{Paths: paths}, cloudtrail.Options{}, func(ev *cloudtrail.Event) error {
		a.Add(ev)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := a.Finish(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return res, rr
}

// short is "RULE recommendation-id" (or "RULE file" for nested lint
// findings), the identity a scenario's expectation is written in.
func short(fs []report.Finding) []string {
	var out []string
	for _, f := range fs {
		where := cmp.Or(strings.TrimPrefix(f.RecommendationARN, recPfx), "key")
		if f.File != "" {
			where = "lint"
		}
		out = append(out, f.Rule+" "+where)
	}
	slices.Sort(out)
	return out
}

func TestScenarios(t *testing.T) {
	tests := []struct {
		name string
		path string
		opts Options
		want []string
		recs int
		// keyLevel counts the timelines of calls that name no
		// recommendation.
		keyLevel int
		inErrs   int
		message  map[string]string // rule -> substring of its message
		// severity is the rule's severity where it is not the catalogue's.
		severity map[string]report.Severity
	}{
		{name: "healthy lifecycle", path: "healthy.json", recs: 1,
			want: []string{"AUD007 HealthyRec-AAAAAAAAAA"}},
		{name: "healthy with the known caller", path: "healthy.json", recs: 1,
			opts: Options{Callers: []string{"arn:aws:iam::111122223333:role/MyRecommendationRole"}},
			want: []string{"AUD007 HealthyRec-AAAAAAAAAA"}},
		{name: "a caller that is not the known one", path: "healthy.json", recs: 1,
			opts:    Options{Callers: []string{"arn:aws:iam::111122223333:role/SomeoneElse"}},
			want:    []string{"AUD002 HealthyRec-AAAAAAAAAA", "AUD007 HealthyRec-AAAAAAAAAA"},
			message: map[string]string{"AUD002": "through bedrock-agentcore.amazonaws.com"}},
		{name: "intruder using a recommendation's context", path: "intruder.json", recs: 1,
			want:    []string{"AUD002 TargetRec-BBBBBBBBBB", "AUD007 TargetRec-BBBBBBBBBB"},
			message: map[string]string{"AUD002": "assumed-role/Intruder/x used this recommendation's encryption context directly (Decrypt, once)"}},
		{name: "foreign account context", path: "foreign.json", recs: 2,
			want:    []string{"AUD003 arn:aws:bedrock-agentcore:us-east-1:444455556666:recommendation/ForeignRec-CCCCCCCCCC", "AUD007 HealthyRec-AAAAAAAAAA"},
			message: map[string]string{"AUD003": "account 444455556666, not the key's 111122223333"}},
		{name: "key disabled mid-way", path: "disabled.json", recs: 2,
			want:    []string{"AUD004 DisabledRec-DDDDDDDDDD", "AUD007 DisabledRec-DDDDDDDDDD", "AUD007 HealthyRec-AAAAAAAAAA"},
			message: map[string]string{"AUD004": "DisableKey by arn:aws:sts::111122223333:assumed-role/KeyAdmin/ops at 2026-01-05T10:00:30Z; 2 later call(s) of this recommendation failed (DisabledException)"}},
		{name: "workflow never completed", path: "unfinished.json", recs: 2,
			want:    []string{"AUD005 StuckRec-EEEEEEEEEE", "AUD007 HealthyRec-AAAAAAAAAA", "AUD007 StuckRec-EEEEEEEEEE"},
			message: map[string]string{"AUD005": "GenerateDataKey at 2026-01-05T10:00:03Z"}},
		{name: "bad PutKeyPolicy", path: "putkeypolicy.json", recs: 1,
			opts: Options{Linter: nil},
			want: []string{"AUD006 HealthyRec-AAAAAAAAAA", "AUD007 HealthyRec-AAAAAAAAAA"}},
		{name: "denied service principal", path: "denied-service.json", recs: 1,
			want:    []string{"AUD001 DeniedRec-FFFFFFFFFF"},
			message: map[string]string{"AUD001": "Decrypt by bedrock-agentcore.amazonaws.com (service) was denied with AccessDenied 2 times"}},
		{name: "denied service principal, policy without its statement", path: "denied-service.json", recs: 1,
			opts:    Options{Policy: engine(t, "no-service-statement.json")},
			want:    []string{"AUD001 DeniedRec-FFFFFFFFFF"},
			message: map[string]string{"AUD001": "no statement of the key policy allows it: add a statement that allows service:bedrock-agentcore.amazonaws.com kms:Decrypt"}},
		// The caller started the recommendation, so the service worked for
		// it: the policy then was not the one given.
		{name: "denied service principal, policy that allows the recommendation's source", path: "denied-service.json", recs: 1,
			opts:    Options{Policy: engine(t, "../../../policies/canonical.json")},
			want:    []string{"AUD001 DeniedRec-FFFFFFFFFF"},
			message: map[string]string{"AUD001": "the given key policy allows it (AllowServicePrincipalAccess), and arn:aws:sts::111122223333:assumed-role/MyRecommendationRole/kmslint started this recommendation at 2026-01-05T10:00:03Z, so the service acted for it: the key policy at the time did not allow it"}},
		{name: "denied service principal, policy with a Deny", path: "denied-service.json", recs: 1,
			opts:    Options{Policy: engine(t, "deny-service.json")},
			want:    []string{"AUD001 DeniedRec-FFFFFFFFFF"},
			message: map[string]string{"AUD001": "denies it explicitly in DenyServiceDecrypt"}},
		// The policy requires calls through AgentCore: refusing the role's
		// own direct call is right, and loosening kms:ViaService is no fix.
		{name: "caller's own direct call refused", path: "denied-direct.json", recs: 1,
			opts:     Options{Policy: engine(t, "no-service-statement.json")},
			want:     []string{"AUD002 DeniedRec-FFFFFFFFFF"},
			severity: map[string]report.Severity{"AUD002": report.SeverityWarning},
			message:  map[string]string{"AUD002": "directly (Decrypt, once) and is neither a caller through bedrock-agentcore.amazonaws.com nor the service principal; the key policy refused the call: a blocked attempt, nothing to change in the key policy; no statement of the given key policy allows it (AllowCallerThroughAgentCore: condition StringEquals kms:ViaService: key is absent from the request)"}},
		// Another account's recommendation names the key (the simulator's
		// confused-deputy scenario): the policy refusing the service and the
		// outsider is right, so it is a blocked attempt, not a denial to
		// fix.
		{name: "confused deputy refused", path: "confused-deputy.json", recs: 1, keyLevel: 1,
			want:     []string{"AUD002 key", "AUD003 " + foreignRec},
			severity: map[string]report.Severity{"AUD002": report.SeverityWarning, "AUD003": report.SeverityWarning},
			message: map[string]string{
				"AUD002": "arn:aws:sts::444455556666:assumed-role/Outsider/kmslint (account 444455556666, not the key's 111122223333) asked bedrock-agentcore.amazonaws.com to use this key (DescribeKey, once; the key validation of StartRecommendation)",
				"AUD003": "(GenerateDataKey, Decrypt by bedrock-agentcore.amazonaws.com); the key policy refused both calls: a blocked attempt, nothing to change in the key policy"}},
		{name: "confused deputy refused, the policy agrees", path: "confused-deputy.json", recs: 1, keyLevel: 1,
			opts:     Options{Policy: engine(t, "../../../policies/canonical.json")},
			want:     []string{"AUD002 key", "AUD003 " + foreignRec},
			severity: map[string]report.Severity{"AUD002": report.SeverityWarning, "AUD003": report.SeverityWarning},
			message: map[string]string{
				"AUD002": "; no statement of the given key policy allows it",
				"AUD003": `no statement of the given key policy allows it (AllowServicePrincipalAccess: condition StringEquals aws:SourceAccount: request value "444455556666" does not match "111122223333")`}},
		{name: "confused deputy refused then, the given policy lets it in", path: "confused-deputy.json", recs: 1, keyLevel: 1,
			opts: Options{Policy: engine(t, "open-policy.json")},
			want: []string{"AUD002 key", "AUD003 " + foreignRec},
			message: map[string]string{
				"AUD002": "; the key policy refused the call then, but the given key policy allows DescribeKey (DescribeThroughAgentCore) to any principal of that account whose own IAM policy allows it: the key is open to this attempt now; run kmslint lint on the policy",
				"AUD003": "; the key policy refused both calls then, but the given key policy allows GenerateDataKey (AllowServiceAnywhere): the key is open to this attempt now"}},
		// StartRecommendation stops at a denied DescribeKey: no
		// recommendation, so the call is the key's. An allowed one belongs
		// to the recommendation it started.
		{name: "key validation denied to a role that is no caller", path: "caller-denied.json", recs: 1, keyLevel: 1,
			opts:     Options{Callers: []string{"arn:aws:iam::111122223333:role/MyRecommendationRole"}, Policy: engine(t, "../../../policies/canonical.json")},
			want:     []string{"AUD001 key", "AUD002 key", "AUD007 RetryRec-HHHHHHHHHH"},
			severity: map[string]report.Severity{"AUD002": report.SeverityWarning},
			message: map[string]string{
				"AUD001": "DescribeKey by arn:aws:sts::111122223333:assumed-role/MyRecommendationRole/kmslint (caller) was denied with AccessDeniedException once, first at 2026-02-01T10:00:10Z (the key validation of StartRecommendation: no recommendation was created): the given key policy allows it now (AllowCallerAccess)",
				"AUD002": "UnlistedRole/kmslint asked bedrock-agentcore.amazonaws.com to use this key (DescribeKey, once; the key validation of StartRecommendation) and is not one of the callers (--caller); the key policy refused the call: a blocked attempt, nothing to change in the key policy"}},
		{name: "key validation denied, callers unknown", path: "caller-denied.json", recs: 1, keyLevel: 1,
			opts: Options{Policy: engine(t, "deny-service.json")},
			want: []string{"AUD001 key", "AUD001 key", "AUD007 RetryRec-HHHHHHHHHH"},
			message: map[string]string{
				"AUD001": "UnlistedRole/kmslint (caller) was denied with AccessDeniedException once, first at 2026-02-01T10:00:00Z (the key validation of StartRecommendation: no recommendation was created): the key policy allows it only through the account's IAM policies (EnableRootAccess), which did not allow it: if arn:aws:iam::111122223333:role/UnlistedRole is meant to start recommendations, allow it in the principal's IAM policy, or add a key-policy statement that allows arn:aws:iam::111122223333:role/UnlistedRole kms:DescribeKey, as `kmslint generate --caller` writes it; if not, the refusal is right (name the callers with --caller)"}},
		{name: "truncated gzip beside a good file", path: "truncated", recs: 1, inErrs: 1,
			want: []string{"AUD007 HealthyRec-AAAAAAAAAA"}},
		{name: "another key only", path: "healthy.json", recs: 0,
			opts: Options{KeyARN: "arn:aws:kms:us-east-1:111122223333:key/ffffffff-0000-0000-0000-000000000000"}},
		{name: "the key by bare id", path: "healthy.json", recs: 1,
			opts: Options{KeyARN: "1234abcd-12ab-34cd-56ef-1234567890ab"},
			want: []string{"AUD007 HealthyRec-AAAAAAAAAA"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, rr := run(t, tt.opts, filepath.Join("testdata", "trails", tt.path))
			if got := short(res.Findings); !slices.Equal(got, tt.want) {
				t.Errorf("findings:\n got %q\nwant %q", got, tt.want)
			}
			if res.Recommendations != tt.recs || len(res.Timelines) != tt.recs+tt.keyLevel {
				t.Errorf("%d timelines, %d of recommendations; want %d and %d", len(res.Timelines), res.Recommendations, tt.recs+tt.keyLevel, tt.recs)
			}
			if len(rr.Errors) != tt.inErrs {
				t.Errorf("%d input errors, want %d: %v", len(rr.Errors), tt.inErrs, rr.Errors)
			}
			for rule, sub := range tt.message {
				found := false
				for _, f := range res.Findings {
					found = found || (f.Rule == rule && strings.Contains(f.Message, sub))
				}
				if !found {
					t.Errorf("no %s finding says %q: %+v", rule, sub, res.Findings)
				}
			}
			for _, f := range res.Findings {
				if len(f.EventIDs) == 0 {
					t.Errorf("%s has no event ids", f.Rule)
				}
				want, ok := tt.severity[f.Rule]
				if !ok {
					want = ruleTitles[f.Rule].Severity
				}
				if f.Severity != want {
					t.Errorf("%s is %s, want %s: %s", f.Rule, f.Severity, want, f.Message)
				}
				// What the key policy was right to refuse gets no fix that
				// would let it in.
				if (f.Rule == "AUD002" || f.Rule == "AUD003") && f.Severity != report.SeverityError && strings.Contains(f.Message, "add a") {
					t.Errorf("%s suggests a grant for a refused attempt: %s", f.Rule, f.Message)
				}
			}
		})
	}
}

func TestPutKeyPolicyLinted(t *testing.T) {
	res, _ := run(t, Options{Linter: testLinter(t)}, "testdata/trails/putkeypolicy.json")
	var aud006 *report.Finding
	nested := map[string]bool{}
	for i, f := range res.Findings {
		if f.Rule == "AUD006" {
			aud006 = &res.Findings[i]
		}
		if strings.HasPrefix(f.File, "PutKeyPolicy ") {
			nested[f.Rule] = true
			if len(f.EventIDs) != 1 || f.EventIDs[0] != strings.TrimPrefix(f.File, "PutKeyPolicy ") {
				t.Errorf("nested %s: event ids %v, file %q", f.Rule, f.EventIDs, f.File)
			}
		}
	}
	if aud006 == nil || !strings.Contains(aud006.Message, "lint of the new policy: 2 error(s)") {
		t.Fatalf("AUD006 = %+v", aud006)
	}
	// Principal "*" with kms:* is open to every account.
	if !nested["KMS004"] {
		t.Errorf("nested findings %v lack KMS004", nested)
	}
}

func TestTimelineOrderAndWho(t *testing.T) {
	res, _ := run(t, Options{}, "testdata/trails/disabled.json")
	var tl *Timeline
	for i := range res.Timelines {
		if strings.HasSuffix(res.Timelines[i].RecommendationARN, "DisabledRec-DDDDDDDDDD") {
			tl = &res.Timelines[i]
		}
	}
	if tl == nil {
		t.Fatal("no timeline for DisabledRec")
	}
	var got []string
	for _, e := range tl.Events {
		got = append(got, e.Operation+"/"+string(e.Who)+"/"+e.Outcome)
	}
	want := []string{"GenerateDataKey/caller/DryRunOperationException", "GenerateDataKey/caller/ok",
		"Decrypt/service/DisabledException", "Decrypt/service/DisabledException"}
	if !slices.Equal(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
	if tl.Key != keyARN || len(tl.KeyEvents) != 1 || tl.KeyEvents[0].Operation != "DisableKey" {
		t.Errorf("key %s, key events %+v", tl.Key, tl.KeyEvents)
	}
	var buf bytes.Buffer
	if err := res.Timelines.WriteText(&buf, report.Options{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "DisableKey           key      ok") {
		t.Errorf("text timeline lacks the key event:\n%s", buf.String())
	}
}

// Events arrive in any order across files; the result must not depend on it.
// records are the records of a test trail.
func records(t testing.TB, name string) []json.RawMessage {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "trails", name))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Records []json.RawMessage }
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Records
}

func TestOrderIndependent(t *testing.T) {
	for _, name := range []string{"disabled.json", "caller-denied.json", "confused-deputy.json"} {
		t.Run(name, func(t *testing.T) {
			var evs []*cloudtrail.Event
			for _, r := range records(t, name) {
				var ev cloudtrail.Event
				if err := json.Unmarshal(r, &ev); err != nil {
					t.Fatal(err)
				}
				evs = append(evs, &ev)
			}
			audit := func(order []*cloudtrail.Event) []byte {
				a := New(Options{Callers: []string{"arn:aws:iam::111122223333:role/MyRecommendationRole"}})
				for _, ev := range order {
					a.Add(ev)
				}
				res, err := a.Finish(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				out, _ := json.Marshal(res)
				return out
			}
			fwd := audit(evs)
			rev := slices.Clone(evs)
			slices.Reverse(rev)
			if got := audit(rev); !bytes.Equal(got, fwd) {
				t.Errorf("reversed input gives another result:\n%s\n%s", got, fwd)
			}
		})
	}
}

// A key validation (DescribeKey through AgentCore) joins the recommendation
// it started; the rest stay with the key, and the text report shows both.
func TestKeyValidationsAttributed(t *testing.T) {
	res, _ := run(t, Options{}, "testdata/trails/caller-denied.json", "testdata/trails/healthy.json")
	byRec := map[string][]string{}
	for _, tl := range res.Timelines {
		var evs []string
		for _, e := range tl.Events {
			evs = append(evs, e.Operation+"/"+e.Outcome+"/"+strings.TrimPrefix(e.EventID, "00000000-0000-4000-8000-"))
		}
		byRec[cmp.Or(strings.TrimPrefix(tl.RecommendationARN, recPfx), "key "+tl.Key)] = evs
	}
	want := map[string][]string{
		"HealthyRec-AAAAAAAAAA": {"DescribeKey/ok/000000000001", "GenerateDataKey/DryRunOperationException/000000000002",
			"Decrypt/DryRunOperationException/000000000003", "GenerateDataKey/ok/000000000004", "Decrypt/ok/000000000005",
			"GenerateDataKey/ok/000000000006", "Decrypt/ok/000000000007"},
		"RetryRec-HHHHHHHHHH": {"DescribeKey/ok/000000000303", "GenerateDataKey/DryRunOperationException/000000000304",
			"Decrypt/DryRunOperationException/000000000305", "GenerateDataKey/ok/000000000306", "Decrypt/ok/000000000307",
			"GenerateDataKey/ok/000000000308"},
		// The denied validations stopped their Start; the last one was
		// followed by nothing.
		"key " + keyARN: {"DescribeKey/AccessDeniedException/000000000301", "DescribeKey/AccessDeniedException/000000000302",
			"DescribeKey/ok/000000000309"},
	}
	if len(byRec) != len(want) {
		t.Errorf("timelines %v", byRec)
	}
	for k, w := range want {
		if !slices.Equal(byRec[k], w) {
			t.Errorf("%s: %q, want %q", k, byRec[k], w)
		}
	}
	if res.Recommendations != 2 || res.Timelines[2].RecommendationARN != "" {
		t.Errorf("%d recommendations, last timeline %q", res.Recommendations, res.Timelines[len(res.Timelines)-1].RecommendationARN)
	}
	var buf bytes.Buffer
	if err := res.Timelines.WriteText(&buf, report.Options{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "key "+keyARN+"\n  AgentCore calls of no recommendation in the trail\n  2026-02-01T10:00:00Z  DescribeKey          caller   AccessDeniedException") {
		t.Errorf("text:\n%s", buf.String())
	}
	out, err := json.Marshal(res.Timelines[2])
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "recommendationArn") {
		t.Errorf("a key's timeline names a recommendation: %s", out)
	}
}

// Which validation starts which recommendation: the latest allowed one by
// the same principal on the same key within startWindow before its first
// call.
func TestAttributionWindow(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	const (
		alice = "arn:aws:sts::111122223333:assumed-role/MyRecommendationRole/alice"
		bob   = "arn:aws:sts::111122223333:assumed-role/MyRecommendationRole/bob"
		carol = "arn:aws:sts::111122223333:assumed-role/MyRecommendationRole/carol"
	)
	record := 0
	ev := func(id string, at time.Duration, who, op, rec, code string) *cloudtrail.Event {
		record++
		e := &cloudtrail.Event{
			EventID: id, EventTime: t0.Add(at), EventSource: cloudtrail.KMSEventSource, EventName: op, ErrorCode: code,
			Source: "trail.json", Record: record,
			UserIdentity: cloudtrail.UserIdentity{Type: "AssumedRole", ARN: who, AccountID: "111122223333", InvokedBy: "bedrock-agentcore.amazonaws.com"},
			Resources:    []cloudtrail.Resource{{Type: "AWS::KMS::Key", ARN: keyARN}},
		}
		if rec != "" {
			e.RequestParameters = json.RawMessage(`{"encryptionContext":{"aws:bedrock-agentcore:recommendationArn":"` + recPfx + rec + `"}}`)
		}
		return e
	}
	a := New(Options{})
	for _, e := range []*cloudtrail.Event{
		// A Start that failed after validating the key (say, a name
		// already taken), then one that made A1.
		ev("dk-a0", -30*time.Second, alice, "DescribeKey", "", ""),
		ev("dk-a1", 0, alice, "DescribeKey", "", ""),
		ev("gdk-a1", time.Second, alice, "GenerateDataKey", "A1-AAAAAAAAAA", ""),
		ev("dk-b", 2*time.Second, bob, "DescribeKey", "", ""),
		ev("dk-a2", 20*time.Second, alice, "DescribeKey", "", ""),
		ev("gdk-a2", 21*time.Second, alice, "GenerateDataKey", "A2-AAAAAAAAAA", ""),
		// Bob's recommendation begins after his validation by more than
		// the window: it is not the validation of this Start.
		ev("gdk-b", 2*time.Minute+3*time.Second, bob, "GenerateDataKey", "B1-BBBBBBBBBB", ""),
		// Within one second the file's order tells: the validation after
		// C1's first call is another Start's (one that failed later).
		ev("dk-c1", 5*time.Minute, carol, "DescribeKey", "", ""),
		ev("gdk-c1", 5*time.Minute, carol, "GenerateDataKey", "C1-CCCCCCCCCC", ""),
		ev("dk-c2", 5*time.Minute, carol, "DescribeKey", "", ""),
		// A query export orders one second's records by event id: the
		// only validation is still the Start's.
		ev("gdk-d1", 6*time.Minute, carol, "GenerateDataKey", "D1-DDDDDDDDDD", ""),
		ev("dk-d1", 6*time.Minute, carol, "DescribeKey", "", ""),
	} {
		a.Add(e)
	}
	res, err := a.Finish(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, tl := range res.Timelines {
		for _, e := range tl.Events {
			k := cmp.Or(strings.TrimPrefix(tl.RecommendationARN, recPfx), "key")
			got[k] = append(got[k], e.EventID)
		}
	}
	want := map[string][]string{
		"A1-AAAAAAAAAA": {"dk-a1", "gdk-a1"},
		"A2-AAAAAAAAAA": {"dk-a2", "gdk-a2"},
		"B1-BBBBBBBBBB": {"gdk-b"},
		"C1-CCCCCCCCCC": {"dk-c1", "gdk-c1"},
		"D1-DDDDDDDDDD": {"gdk-d1", "dk-d1"},
		"key":           {"dk-a0", "dk-b", "dk-c2"},
	}
	for k, w := range want {
		if !slices.Equal(got[k], w) {
			t.Errorf("%s: %q, want %q", k, got[k], w)
		}
	}
}

func TestGoldenJSON(t *testing.T) {
	res, rr := run(t, Options{Policy: engine(t, "deny-service.json")}, "testdata/trails/denied-service.json")
	rep := report.New(report.KindAudit, "test")
	rep.Findings = res.Findings
	rep.Timelines = res.Timelines
	rep.InputErrors = NewInputErrors(rr.Errors)
	rep.Summary = report.Summary{Files: rr.Stats.Files, Records: rr.Stats.Records, KMSEvents: rr.Stats.Matched, Recommendations: len(res.Timelines)}
	var buf bytes.Buffer
	if err := report.Write(&buf, report.FormatJSON, rep, report.Options{}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "golden", "denied-service.json")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./internal/audit -update writes it)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("differs from %s (-update rewrites it):\n%s", path, buf.Bytes())
	}
}

func TestInputErrorsReported(t *testing.T) {
	_, rr := run(t, Options{}, "testdata/trails/truncated")
	ie := NewInputErrors(rr.Errors)
	if len(ie) != 1 || !strings.HasSuffix(ie[0].File, "cut.json.gz") || ie[0].Error == "" {
		t.Fatalf("input errors %+v", ie)
	}
	var buf bytes.Buffer
	if err := ie.WriteText(&buf, report.Options{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "cut.json.gz") || !strings.Contains(buf.String(), "the rest was audited") {
		t.Errorf("text: %s", buf.String())
	}
}

// The real dataset has no AgentCore events; it must be read whole.
func TestRealDataset(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "data", "cloudtrail")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("dataset absent: %v", err)
	}
	res, rr := run(t, Options{}, dir)
	if rr.Stats.Files != 55 || rr.Stats.Records != 2900 || rr.Stats.Matched != 240 {
		t.Errorf("stats %+v, want 55 files, 2900 records, 240 KMS events", rr.Stats)
	}
	if len(rr.Errors) != 0 || len(res.Timelines) != 0 || len(res.Findings) != 0 {
		t.Errorf("errors %v, %d timelines, findings %v", rr.Errors, len(res.Timelines), res.Findings)
	}
}

func TestClassify(t *testing.T) {
	session := cloudtrail.UserIdentity{Type: "AssumedRole", ARN: "arn:aws:sts::111122223333:assumed-role/R/s", InvokedBy: "bedrock-agentcore.amazonaws.com"}
	tests := []struct {
		name    string
		u       cloudtrail.UserIdentity
		callers map[string]bool
		account string
		want    Who
	}{
		{"service principal", cloudtrail.UserIdentity{Type: "AWSService", InvokedBy: "bedrock-agentcore.amazonaws.com"}, nil, "111122223333", WhoService},
		{"another service", cloudtrail.UserIdentity{Type: "AWSService", InvokedBy: "s3.amazonaws.com"}, nil, "", WhoOther},
		{"caller through the service", session, nil, "111122223333", WhoCaller},
		{"caller, key account unknown", session, nil, "", WhoCaller},
		{"known caller, role derived from the session ARN", session, map[string]bool{"arn:aws:iam::111122223333:role/R": true}, "", WhoCaller},
		{"unknown caller", session, map[string]bool{"arn:aws:iam::111122223333:role/X": true}, "", WhoOther},
		{"another account's role through the service", session, nil, "444455556666", WhoOther},
		{"another account by accountId", cloudtrail.UserIdentity{Type: "AssumedRole", ARN: "arn:aws:sts::111122223333:assumed-role/R/s", AccountID: "444455556666", InvokedBy: "bedrock-agentcore.amazonaws.com"}, nil, "111122223333", WhoOther},
		{"direct call", cloudtrail.UserIdentity{Type: "IAMUser", ARN: "arn:aws:iam::111122223333:user/u"}, nil, "", WhoOther},
		{"through another service", cloudtrail.UserIdentity{Type: "IAMUser", ARN: "arn:aws:iam::111122223333:user/u", InvokedBy: "AWS Internal"}, nil, "", WhoOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := classify(tt.u, tt.callers, tt.account); got != tt.want {
				t.Errorf("classify = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestCompactSize(t *testing.T) {
	for in, want := range map[string]int{
		`{ "a" : "b c" }`:   11,
		"{\n \"a\\\"\": 1}": 9,
		``:                  0,
	} {
		if got := compactSize(in); got != want {
			t.Errorf("compactSize(%q) = %d, want %d", in, got, want)
		}
	}
}

func FuzzAdd(f *testing.F) {
	for _, name := range []string{"healthy.json", "disabled.json", "putkeypolicy.json", "caller-denied.json", "confused-deputy.json"} {
		for _, r := range records(f, name) {
			f.Add([]byte(r))
		}
	}
	f.Add([]byte(`{"eventSource":"kms.amazonaws.com","requestParameters":{"encryptionContext":{"aws:bedrock-agentcore:recommendationArn":7}}}`))
	f.Add([]byte(`{"eventSource":"kms.amazonaws.com","eventName":"PutKeyPolicy","requestParameters":{"policy":"{"}}`))
	eng := engine(f, "deny-service.json")
	lnt := testLinter(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var ev cloudtrail.Event
		if json.Unmarshal(data, &ev) != nil {
			return
		}
		a := New(Options{Policy: eng, Linter: lnt, Callers: []string{"arn:aws:iam::111122223333:role/R"}})
		a.Add(&ev)
		a.Add(&ev)
		res, err := a.Finish(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, fd := range res.Findings {
			if !fd.Severity.Valid() || fd.Rule == "" {
				t.Fatalf("bad finding %+v", fd)
			}
		}
	})
}

func BenchmarkAdd(b *testing.B) {
	data, err := os.ReadFile("testdata/trails/disabled.json")
	if err != nil {
		b.Fatal(err)
	}
	var doc struct{ Records []*cloudtrail.Event }
	if err := json.Unmarshal(data, &doc); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		a := New(Options{})
		for _, ev := range doc.Records {
			a.Add(ev)
		}
		if _, err := a.Finish(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(doc.Records)), "events/op")
}
