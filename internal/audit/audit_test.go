package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/kmslint/kmslint/internal/authz"
	"github.com/kmslint/kmslint/internal/cloudtrail"
	"github.com/kmslint/kmslint/internal/lint"
	"github.com/kmslint/kmslint/internal/policy"
	"github.com/kmslint/kmslint/internal/report"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

const (
	keyARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	recPfx = "arn:aws:bedrock-agentcore:us-east-1:111122223333:recommendation/"
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
		where := strings.TrimPrefix(f.RecommendationARN, recPfx)
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
		name    string
		path    string
		opts    Options
		want    []string
		recs    int
		inErrs  int
		message map[string]string // rule -> substring of its message
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
		{name: "denied service principal, policy that allows the recommendation's source", path: "denied-service.json", recs: 1,
			opts:    Options{Policy: engine(t, "../../../policies/canonical.json")},
			want:    []string{"AUD001 DeniedRec-FFFFFFFFFF"},
			message: map[string]string{"AUD001": "CloudTrail does not record the values the service sent"}},
		{name: "denied service principal, policy with a Deny", path: "denied-service.json", recs: 1,
			opts:    Options{Policy: engine(t, "deny-service.json")},
			want:    []string{"AUD001 DeniedRec-FFFFFFFFFF"},
			message: map[string]string{"AUD001": "denies it explicitly in DenyServiceDecrypt"}},
		{name: "caller's own direct call denied, condition missing", path: "denied-direct.json", recs: 1,
			opts:    Options{Policy: engine(t, "no-service-statement.json")},
			want:    []string{"AUD001 DeniedRec-FFFFFFFFFF", "AUD002 DeniedRec-FFFFFFFFFF"},
			message: map[string]string{"AUD001": "(closest: AllowCallerThroughAgentCore: ", "AUD002": "directly (Decrypt, once)"}},
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
			if len(res.Timelines) != tt.recs {
				t.Errorf("%d timelines, want %d", len(res.Timelines), tt.recs)
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
func TestOrderIndependent(t *testing.T) {
	data, err := os.ReadFile("testdata/trails/disabled.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Records []json.RawMessage }
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var evs []*cloudtrail.Event
	for _, r := range doc.Records {
		var ev cloudtrail.Event
		if err := json.Unmarshal(r, &ev); err != nil {
			t.Fatal(err)
		}
		evs = append(evs, &ev)
	}
	audit := func(order []*cloudtrail.Event) []byte {
		a := New(Options{})
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
		want    Who
	}{
		{"service principal", cloudtrail.UserIdentity{Type: "AWSService", InvokedBy: "bedrock-agentcore.amazonaws.com"}, nil, WhoService},
		{"another service", cloudtrail.UserIdentity{Type: "AWSService", InvokedBy: "s3.amazonaws.com"}, nil, WhoOther},
		{"caller through the service", session, nil, WhoCaller},
		{"known caller, role derived from the session ARN", session, map[string]bool{"arn:aws:iam::111122223333:role/R": true}, WhoCaller},
		{"unknown caller", session, map[string]bool{"arn:aws:iam::111122223333:role/X": true}, WhoOther},
		{"direct call", cloudtrail.UserIdentity{Type: "IAMUser", ARN: "arn:aws:iam::111122223333:user/u"}, nil, WhoOther},
		{"through another service", cloudtrail.UserIdentity{Type: "IAMUser", ARN: "arn:aws:iam::111122223333:user/u", InvokedBy: "AWS Internal"}, nil, WhoOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := classify(tt.u, tt.callers); got != tt.want {
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
	for _, name := range []string{"healthy.json", "disabled.json", "putkeypolicy.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", "trails", name))
		if err != nil {
			f.Fatal(err)
		}
		var doc struct{ Records []json.RawMessage }
		if err := json.Unmarshal(data, &doc); err != nil {
			f.Fatal(err)
		}
		for _, r := range doc.Records {
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
