package main

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	auditTrails  = "../../internal/audit/testdata/trails/"
	auditExports = "../../internal/audit/sqlexport/testdata/"
	auditKey     = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
)

func TestAuditCLI(t *testing.T) {
	tests := []struct {
		name     string
		stdin    string
		args     []string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{"healthy passes", "", []string{"audit", auditTrails + "healthy.json"}, 0, "1 info in 1 file (7 records, 7 KMS events, 1 recommendation)", ""},
		{"healthy fails on info", "", []string{"audit", "--fail-on", "info", auditTrails + "healthy.json"}, 1, "AUD007", ""},
		{"intruder is an error", "", []string{"audit", auditTrails + "intruder.json"}, 1, "AUD002", ""},
		{"denial explained", "", []string{"audit", "--policy", "../../internal/audit/testdata/no-service-statement.json", auditTrails + "denied-service.json"}, 1, "no statement of the key policy allows it", ""},
		{"disabled key warns", "", []string{"audit", "--fail-on", "warning", auditTrails + "disabled.json"}, 1, "AUD004", ""},
		{"stdin", readTrail("healthy.json"), []string{"audit", "-"}, 0, "1 info in 1 file (7 records, 7 KMS events, 1 recommendation)", ""},
		{"truncated file reported, rest audited", "", []string{"audit", auditTrails + "truncated"}, 0, "1 input error(s), the rest was audited", "cut.json.gz"},
		{"since after the trail", "", []string{"audit", "--since", "2026-01-06", auditTrails + "healthy.json"}, 0, "0 KMS events", ""},
		{"sarif", "", []string{"audit", "--format", "sarif", auditTrails + "intruder.json"}, 1, `"AUD002"`, ""},
		{"no input", "", []string{"audit"}, 2, "", "audit needs CloudTrail input"},
		{"bad format", "", []string{"audit", "--format", "junit", auditTrails + "healthy.json"}, 2, "", "--format"},
		{"bad since", "", []string{"audit", "--since", "yesterday", auditTrails + "healthy.json"}, 2, "", "--since"},
		{"bad key arn", "", []string{"audit", "--key-arn", "1234", auditTrails + "healthy.json"}, 2, "", "--key-arn"},
		{"bad caller", "", []string{"audit", "--caller", "Bob", auditTrails + "healthy.json"}, 2, "", "--caller"},
		{"missing path", "", []string{"audit", "/nonexistent/trail"}, 2, "", "/nonexistent/trail"},
		{"emit athena", "", []string{"audit", "--emit-sql", "athena", "--athena-table", "logs.trail", "--since", "2026-01-05", "--key-arn", auditKey}, 0,
			"FROM \"logs\".\"trail\"\nWHERE eventsource = 'kms.amazonaws.com'\n  AND \"timestamp\" >= '2026/01/04'", ""},
		{"emit lake", "", []string{"audit", "--emit-sql", "cloudtrail-lake", "--event-data-store", "EXAMPLE-eds", "--until", "2026-01-06"}, 0,
			"FROM EXAMPLE-eds\nWHERE eventsource = 'kms.amazonaws.com'\n  AND eventtime <= '2026-01-06 00:00:00'", ""},
		{"emit lake needs a store", "", []string{"audit", "--emit-sql", "cloudtrail-lake"}, 2, "", "--event-data-store"},
		{"emit reads no input", "", []string{"audit", "--emit-sql", "athena", auditTrails + "healthy.json"}, 2, "", "reads no input"},
		{"emit unknown engine", "", []string{"audit", "--emit-sql", "bigquery"}, 2, "", "--emit-sql"},
		{"from athena export", "", []string{"audit", "--from", "athena", auditExports + "intruder.athena.csv"}, 1, "AUD002", ""},
		{"from lake export", "", []string{"audit", "--from", "cloudtrail-lake", "--fail-on", "warning", auditExports + "disabled.lake.json"}, 1, "AUD004", ""},
		{"from export via stdin", readFile(auditExports + "intruder.athena.csv"), []string{"audit", "--from", "athena", "-"}, 1, "AUD002", ""},
		{"from a log file is not an export", "", []string{"audit", "--from", "athena", auditTrails + "healthy.json"}, 2, "", "not a result of the kmslint audit query"},
		{"from with s3 refused", "", []string{"audit", "--from", "athena", "--s3", "s3://b/p"}, 2, "", "--from athena reads result files"},
		{"from unknown", "", []string{"audit", "--from", "splunk", auditTrails + "healthy.json"}, 2, "", "--from"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tc.stdin, tc.args...)
			if code != tc.wantCode {
				t.Fatalf("exit = %d, want %d\nstdout: %s\nstderr: %s", code, tc.wantCode, out, errOut)
			}
			if !strings.Contains(out, tc.wantOut) {
				t.Errorf("stdout lacks %q:\n%s", tc.wantOut, out)
			}
			if !strings.Contains(errOut, tc.wantErr) {
				t.Errorf("stderr lacks %q:\n%s", tc.wantErr, errOut)
			}
			if strings.Contains(errOut, "goroutine ") {
				t.Errorf("stack trace on stderr: %s", errOut)
			}
		})
	}
}

func readTrail(name string) string { return readFile(auditTrails + name) }

func readFile(name string) string {
	data, err := os.ReadFile(name)
	if err != nil {
		return ""
	}
	return string(data)
}

func TestAuditJSON(t *testing.T) {
	out := filepath.Join(t.TempDir(), "report.json")
	code, _, errOut := runCLI(t, "", "audit", "--format", "json", "-o", out, auditTrails+"truncated", auditTrails+"unfinished.json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Findings []struct {
			Rule              string   `json:"rule"`
			RecommendationARN string   `json:"recommendationArn"`
			EventIDs          []string `json:"eventIds"`
		} `json:"findings"`
		Timelines []struct {
			RecommendationARN string `json:"recommendationArn"`
			Events            []struct {
				Who     string    `json:"who"`
				Outcome string    `json:"outcome"`
				Time    time.Time `json:"time"`
			} `json:"events"`
		} `json:"timelines"`
		InputErrors []struct {
			File   string `json:"file"`
			Record int    `json:"record"`
		} `json:"inputErrors"`
		Summary map[string]int `json:"summary"`
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.InputErrors) != 1 || !strings.HasSuffix(rep.InputErrors[0].File, "cut.json.gz") {
		t.Errorf("inputErrors %+v", rep.InputErrors)
	}
	if rep.Summary["files"] != 3 || rep.Summary["recommendations"] != 2 || rep.Summary["warning"] != 1 {
		t.Errorf("summary %v", rep.Summary)
	}
	found := false
	for _, f := range rep.Findings {
		if f.Rule == "AUD005" && strings.HasSuffix(f.RecommendationARN, "StuckRec-EEEEEEEEEE") && len(f.EventIDs) == 1 {
			found = true
		}
	}
	if !found {
		t.Errorf("no AUD005 on StuckRec: %+v", rep.Findings)
	}
}

func TestParseWhen(t *testing.T) {
	now := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"":                     {},
		"2026-01-02":           time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC),
		"2026-01-02T03:04:05Z": time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		"24h":                  time.Date(2026, 1, 9, 0, 0, 0, 0, time.UTC),
	} {
		got, err := parseWhen(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseWhen(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := parseWhen("-5h", now); err == nil {
		t.Error("a negative duration was accepted")
	}
}

// Against AWS, --s3 and --lookup go through the SDK's whole stack: default
// credential chain, endpoint resolution, SigV4, paging, retries. The fake
// below answers on 127.0.0.1 as S3 (path-style REST/XML) and CloudTrail
// (JSON 1.1, LookupEvents) do, so the test runs that stack unchanged.

const auditTestAccessKey = "AKIAKMSLINTCLITEST01"

type fakeAWS struct {
	t         *testing.T
	accessKey string // default auditTestAccessKey
	bucket    string
	objects   map[string][]byte
	lookup    [][]json.RawMessage // pages of CloudTrail records

	mu       sync.Mutex
	listings []string // prefixes listed
	lookups  []string // NextTokens received
}

func (f *fakeAWS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 Credential="+cmp.Or(f.accessKey, auditTestAccessKey)+"/") {
		http.Error(w, "not signed with the test credentials", http.StatusForbidden)
		return
	}
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		f.serveLookup(w, r, target)
		return
	}
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if bucket != f.bucket {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `<Error><Code>NoSuchBucket</Code><Message>no bucket</Message></Error>`)
		return
	}
	if key == "" && r.URL.Query().Get("list-type") == "2" {
		f.serveList(w, r)
		return
	}
	data, ok := f.objects[key]
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `<Error><Code>NoSuchKey</Code><Message>no key</Message></Error>`)
		return
	}
	w.Header().Set("Content-Length", fmt.Sprint(len(data)))
	w.Write(data)
}

// serveList answers ListObjectsV2 one key per page, so paging is exercised.
func (f *fakeAWS) serveList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.mu.Lock()
	f.listings = append(f.listings, q.Get("prefix"))
	f.mu.Unlock()
	var keys []string
	for k := range f.objects {
		if strings.HasPrefix(k, q.Get("prefix")) && k > q.Get("continuation-token") {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>%s</Name><Prefix>%s</Prefix><MaxKeys>1</MaxKeys>`, f.bucket, q.Get("prefix"))
	if len(keys) > 1 {
		fmt.Fprintf(&b, `<IsTruncated>true</IsTruncated><NextContinuationToken>%s</NextContinuationToken>`, keys[0])
		keys = keys[:1]
	} else {
		b.WriteString(`<IsTruncated>false</IsTruncated>`)
	}
	fmt.Fprintf(&b, `<KeyCount>%d</KeyCount>`, len(keys))
	for _, k := range keys {
		fmt.Fprintf(&b, `<Contents><Key>%s</Key><Size>%d</Size><StorageClass>STANDARD</StorageClass></Contents>`, k, len(f.objects[k]))
	}
	b.WriteString(`</ListBucketResult>`)
	w.Header().Set("Content-Type", "application/xml")
	io.WriteString(w, b.String())
}

func (f *fakeAWS) serveLookup(w http.ResponseWriter, r *http.Request, target string) {
	var req struct {
		LookupAttributes []struct{ AttributeKey, AttributeValue string }
		MaxResults       int
		NextToken        string
	}
	if !strings.HasSuffix(target, "CloudTrail_20131101.LookupEvents") || json.NewDecoder(r.Body).Decode(&req) != nil {
		http.Error(w, "unexpected request", http.StatusBadRequest)
		return
	}
	// The reader must ask for KMS events in pages of at most 50.
	if req.MaxResults != 50 || len(req.LookupAttributes) != 1 || req.LookupAttributes[0].AttributeKey != "EventSource" ||
		req.LookupAttributes[0].AttributeValue != "kms.amazonaws.com" {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"__type":"InvalidLookupAttributesException","message":"unexpected %+v"}`, req)
		return
	}
	f.mu.Lock()
	f.lookups = append(f.lookups, req.NextToken)
	f.mu.Unlock()
	page := 0
	fmt.Sscanf(req.NextToken, "page-%d", &page)
	var events []map[string]any
	for _, rec := range f.lookup[page] {
		var head struct {
			EventID, EventName string
			EventTime          time.Time
		}
		json.Unmarshal(rec, &head)
		events = append(events, map[string]any{"EventId": head.EventID, "EventName": head.EventName,
			"EventSource": "kms.amazonaws.com", "EventTime": head.EventTime.Unix(), "CloudTrailEvent": string(rec)})
	}
	out := map[string]any{"Events": events}
	if page+1 < len(f.lookup) {
		out["NextToken"] = fmt.Sprintf("page-%d", page+1)
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(out)
}

// trailRecords returns a test trail's records.
func trailRecords(t *testing.T, name string) []json.RawMessage {
	t.Helper()
	var file struct{ Records []json.RawMessage }
	if err := json.Unmarshal([]byte(readTrail(name)), &file); err != nil || len(file.Records) == 0 {
		t.Fatalf("%s: %v", name, err)
	}
	return file.Records
}

func gzipped(t *testing.T, data string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(data))
	zw.Close()
	return b.Bytes()
}

// awsTestEnv gives the SDK's default chain static credentials and nothing
// else: no shared files, no instance metadata.
func awsTestEnv(t *testing.T) {
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": auditTestAccessKey, "AWS_SECRET_ACCESS_KEY": "test-secret", "AWS_SESSION_TOKEN": "",
		"AWS_REGION": "us-east-1", "AWS_PROFILE": "", "AWS_ENDPOINT_URL": "", "AWS_ENDPOINT_URL_S3": "",
		"AWS_ENDPOINT_URL_CLOUDTRAIL": "", "AWS_EC2_METADATA_DISABLED": "true", "AWS_MAX_ATTEMPTS": "1",
		"AWS_CONFIG_FILE": filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
	} {
		t.Setenv(k, v)
	}
}

type auditReport struct {
	Findings []struct {
		Rule              string `json:"rule"`
		RecommendationARN string `json:"recommendationArn"`
	} `json:"findings"`
	InputErrors []struct {
		File string `json:"file"`
	} `json:"inputErrors"`
	Summary map[string]int `json:"summary"`
}

func (r *auditReport) rules() []string {
	var rules []string
	for _, f := range r.Findings {
		rules = append(rules, f.Rule+" "+f.RecommendationARN[strings.LastIndex(f.RecommendationARN, "/")+1:])
	}
	slices.Sort(rules)
	return slices.Compact(rules)
}

func TestAuditAWS(t *testing.T) {
	prefix := "trails/AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/05/"
	fake := &fakeAWS{t: t, bucket: "audit-bucket", objects: map[string][]byte{
		prefix + "111122223333_CloudTrail_us-east-1_20260105T1000Z_aaaaaaaaaaaaaaaa.json.gz": gzipped(t, readTrail("healthy.json")),
		prefix + "111122223333_CloudTrail_us-east-1_20260105T1005Z_bbbbbbbbbbbbbbbb.json.gz": gzipped(t, readTrail("disabled.json")),
		"trails/AWSLogs/111122223333/Config/us-east-1/2026/1/5/config.json.gz":               []byte("not CloudTrail"),
		"elsewhere/111122223333_CloudTrail_us-east-1_20260105T1000Z_cccccccccccccccc.json":   []byte(readTrail("intruder.json")),
	}}
	recs := trailRecords(t, "intruder.json")
	fake.lookup = [][]json.RawMessage{recs[:len(recs)/2], recs[len(recs)/2:]}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") {
		t.Fatalf("test server on %s, not loopback", srv.URL)
	}
	healthyDisabled := []string{"AUD004 DisabledRec-DDDDDDDDDD", "AUD007 DisabledRec-DDDDDDDDDD", "AUD007 HealthyRec-AAAAAAAAAA"}
	tests := []struct {
		name      string
		env       map[string]string
		args      []string
		wantRules []string
		wantFiles int
		lookups   int
	}{
		{"s3 and lookup through --endpoint-url", nil,
			[]string{"--endpoint-url", srv.URL, "--s3", "s3://audit-bucket/trails/", "--lookup"},
			append([]string{"AUD002 TargetRec-BBBBBBBBBB", "AUD007 TargetRec-BBBBBBBBBB"}, healthyDisabled...), 3, 2},
		{"s3 through AWS_ENDPOINT_URL", map[string]string{"AWS_ENDPOINT_URL": srv.URL},
			[]string{"--s3", "s3://audit-bucket/trails"}, healthyDisabled, 2, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			awsTestEnv(t)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			fake.mu.Lock()
			fake.listings, fake.lookups = nil, nil
			fake.mu.Unlock()
			out := filepath.Join(t.TempDir(), "report.json")
			args := append([]string{"audit", "--format", "json", "-o", out, "--fail-on", "never"}, tc.args...)
			code, _, errOut := runCLI(t, "", args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			var rep auditReport
			if err := json.Unmarshal([]byte(readFile(out)), &rep); err != nil {
				t.Fatal(err)
			}
			rules := rep.rules()
			if !reflect.DeepEqual(rules, sortedCopy(tc.wantRules)) {
				t.Errorf("findings %q, want %q", rules, sortedCopy(tc.wantRules))
			}
			if rep.Summary["files"] != tc.wantFiles || len(rep.InputErrors) != 0 {
				t.Errorf("summary %v, input errors %v", rep.Summary, rep.InputErrors)
			}
			fake.mu.Lock()
			defer fake.mu.Unlock()
			// One listing per page of one key: the two log files and the
			// Config object (skipped), under the prefix only.
			if len(fake.listings) != 3 || fake.listings[0] != "trails/" && fake.listings[0] != "trails" {
				t.Errorf("listings %q", fake.listings)
			}
			if len(fake.lookups) != tc.lookups {
				t.Errorf("LookupEvents requests %q, want %d", fake.lookups, tc.lookups)
			}
		})
	}
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

func TestAuditAWSErrors(t *testing.T) {
	srv := httptest.NewServer(&fakeAWS{t: t, bucket: "audit-bucket", objects: map[string][]byte{}})
	defer srv.Close()
	awsTestEnv(t)
	for _, tc := range []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"no such bucket", []string{"--endpoint-url", srv.URL, "--s3", "s3://other-bucket/x"}, "NoSuchBucket"},
		{"bad endpoint", []string{"--endpoint-url", "127.0.0.1:1", "--s3", "s3://audit-bucket/x"}, "--endpoint-url"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runCLI(t, "", append([]string{"audit"}, tc.args...)...)
			if code != 2 || !strings.Contains(errOut, tc.wantErr) || strings.Contains(errOut, "goroutine ") {
				t.Errorf("exit %d, stderr %s", code, errOut)
			}
		})
	}
}
