package sqlexport

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kmslint/kmslint/internal/audit"
	"github.com/kmslint/kmslint/internal/cloudtrail"
	"github.com/kmslint/kmslint/internal/report"
)

const trails = "../testdata/trails/"

// trailEvents reads a test trail the way `kmslint audit FILE` does.
func trailEvents(t testing.TB, name string) []*cloudtrail.Event {
	t.Helper()
	var evs []*cloudtrail.Event
	res, err := cloudtrail.Read(context.Background(), cloudtrail.Inputs{Paths: []string{trails + name}}, cloudtrail.Options{Workers: 1},
		func(ev *cloudtrail.Event) error { evs = append(evs, ev); return nil })
	if err != nil || len(res.Errors) > 0 {
		t.Fatalf("read %s: %v %v", name, err, res.Errors)
	}
	return evs
}

// engineRow renders an event as the engine returns it for the query's
// columns: Athena keeps requestparameters as the record's JSON text and
// eventtime as CloudTrail's string; CloudTrail Lake splits the parameters
// out of its map and prints eventTime as a SQL timestamp.
func engineRow(t testing.TB, ev *cloudtrail.Event, d Dialect) map[string]string {
	u := ev.UserIdentity
	r := map[string]string{
		"eventversion": ev.EventVersion, "eventid": ev.EventID, "eventsource": ev.EventSource,
		"eventname": ev.EventName, "awsregion": ev.AWSRegion, "sourceipaddress": ev.SourceIPAddress,
		"useragent": ev.UserAgent, "errorcode": ev.ErrorCode, "errormessage": ev.ErrorMessage,
		"readonly": fmt.Sprint(ev.ReadOnly), "eventtype": ev.EventType, "recipientaccountid": ev.RecipientAccountID,
		"requestid": ev.RequestID, "sharedeventid": ev.SharedEventID, "eventcategory": ev.EventCategory,
		"useridentity_type": u.Type, "useridentity_principalid": u.PrincipalID, "useridentity_arn": u.ARN,
		"useridentity_accountid": u.AccountID, "useridentity_accesskeyid": u.AccessKeyID,
		"useridentity_username": u.UserName, "useridentity_invokedby": u.InvokedBy,
	}
	if sc := u.SessionContext; sc != nil {
		r["sessionissuer_type"], r["sessionissuer_principalid"] = sc.SessionIssuer.Type, sc.SessionIssuer.PrincipalID
		r["sessionissuer_arn"], r["sessionissuer_accountid"] = sc.SessionIssuer.ARN, sc.SessionIssuer.AccountID
		r["sessionissuer_username"], r["session_mfaauthenticated"] = sc.SessionIssuer.UserName, sc.Attributes.MFAAuthenticated
		if !sc.Attributes.CreationDate.IsZero() {
			r["session_creationdate"] = sc.Attributes.CreationDate.Format(time.RFC3339)
		}
	}
	for _, res := range ev.Resources {
		if res.Type == "AWS::KMS::Key" {
			r["kmskeyarn"] = res.ARN
			break
		}
	}
	if d == Athena {
		r["eventtime"] = ev.EventTime.UTC().Format("2006-01-02T15:04:05Z")
		r["requestparameters"] = string(ev.RequestParameters)
		return r
	}
	r["eventtime"] = ev.EventTime.UTC().Format("2006-01-02 15:04:05.000")
	var p map[string]json.RawMessage
	_ = json.Unmarshal(ev.RequestParameters, &p)
	for col, member := range map[string]string{"keyid": "keyId", "encryptioncontext": "encryptionContext", "policy": "policy"} {
		if v, ok := p[member]; ok {
			r[col] = scalar(v)
		}
	}
	return r
}

// athenaCSV writes rows as Athena writes a result: every value in double
// quotes (quotes inside doubled), NULL as an empty unquoted field.
func athenaCSV(t testing.TB, rows []map[string]string) []byte {
	var b bytes.Buffer
	line := func(vals []string) {
		for i, v := range vals {
			if i > 0 {
				b.WriteByte(',')
			}
			if v != "" {
				b.WriteString(`"` + strings.ReplaceAll(v, `"`, `""`) + `"`)
			}
		}
		b.WriteByte('\n')
	}
	line(Columns)
	for _, r := range rows {
		rec := make([]string, len(Columns))
		for i, c := range Columns {
			rec[i] = r[c]
		}
		line(rec)
	}
	return b.Bytes()
}

// lakeResults is `aws cloudtrail get-query-results` output: each row a
// list of one-member objects in column order, values strings, NULLs absent.
func lakeResults(t testing.TB, rows []map[string]string, pages int) []byte {
	var b bytes.Buffer
	per := (len(rows) + pages - 1) / max(pages, 1)
	for p := 0; p < pages; p++ {
		page := [][]map[string]string{}
		for _, r := range rows[min(p*per, len(rows)):min((p+1)*per, len(rows))] {
			var cells []map[string]string
			for _, c := range Columns {
				if v := r[c]; v != "" {
					cells = append(cells, map[string]string{c: v})
				}
			}
			page = append(page, cells)
		}
		out, _ := json.MarshalIndent(map[string]any{"QueryStatus": "FINISHED", "QueryResultRows": page,
			"QueryStatistics": map[string]int{"ResultsCount": len(page), "TotalResultsCount": len(rows)}}, "", "  ")
		b.Write(out)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func readExport(t testing.TB, d Dialect, data []byte) ([]*cloudtrail.Event, Stats, []cloudtrail.InputError) {
	t.Helper()
	var evs []*cloudtrail.Event
	fn := func(ev *cloudtrail.Event) error { evs = append(evs, ev); return nil }
	var (
		st   Stats
		errs []cloudtrail.InputError
		err  error
	)
	if d == Athena {
		st, errs, err = ReadAthenaCSV(bytes.NewReader(data), "result", nil, fn)
	} else {
		st, errs, err = ReadLakeJSON(bytes.NewReader(data), "result", nil, fn)
	}
	if err != nil {
		t.Fatal(err)
	}
	return evs, st, errs
}

// TestRoundTrip renders every test trail as each engine's result and
// checks that the audit finds the same on the export as on the logs.
func TestRoundTrip(t *testing.T) {
	names := []string{"healthy.json", "intruder.json", "foreign.json", "disabled.json", "unfinished.json",
		"putkeypolicy.json", "denied-service.json", "denied-direct.json", "caller-denied.json", "confused-deputy.json"}
	for _, name := range names {
		orig := trailEvents(t, name)
		want := auditJSON(t, orig)
		for _, d := range []Dialect{Athena, CloudTrailLake} {
			t.Run(name+"/"+string(d), func(t *testing.T) {
				rows := make([]map[string]string, len(orig))
				for i, ev := range orig {
					rows[i] = engineRow(t, ev, d)
				}
				var data []byte
				if d == Athena {
					data = athenaCSV(t, rows)
				} else {
					data = lakeResults(t, rows, 2)
				}
				got, st, errs := readExport(t, d, data)
				if len(errs) > 0 || st.Records != len(orig) || st.Matched != len(orig) || len(got) != len(orig) {
					t.Fatalf("stats %+v, %d events of %d, errors %v", st, len(got), len(orig), errs)
				}
				for i := range got {
					if got[i].Record != i || got[i].Source != "result" {
						t.Errorf("event %d: source %q record %d", i, got[i].Source, got[i].Record)
					}
					sameEvent(t, orig[i], got[i], d)
				}
				if g := auditJSON(t, got); g != want {
					t.Errorf("audit differs:\n--- export\n%s\n--- logs\n%s", g, want)
				}
			})
		}
	}
}

// sameEvent compares what the audit reads of an event.
func sameEvent(t *testing.T, want, got *cloudtrail.Event, d Dialect) {
	t.Helper()
	if !got.EventTime.Equal(want.EventTime) || got.EventID != want.EventID || got.EventName != want.EventName ||
		got.ErrorCode != want.ErrorCode || got.ReadOnly != want.ReadOnly {
		t.Errorf("event %s: got %+v", want.EventID, got)
	}
	if !reflect.DeepEqual(got.UserIdentity, want.UserIdentity) {
		t.Errorf("event %s identity:\n got %+v\nwant %+v", want.EventID, got.UserIdentity, want.UserIdentity)
	}
	var wp, gp map[string]any
	_ = json.Unmarshal(want.RequestParameters, &wp)
	_ = json.Unmarshal(got.RequestParameters, &gp)
	if d == CloudTrailLake {
		// Only the members the Lake query selects survive.
		for k := range wp {
			if k != "keyId" && k != "encryptionContext" && k != "policy" {
				delete(wp, k)
			}
		}
		if len(wp) == 0 {
			wp = nil
		}
	}
	if !reflect.DeepEqual(gp, wp) {
		t.Errorf("event %s params: got %v want %v", want.EventID, gp, wp)
	}
}

func auditJSON(t testing.TB, evs []*cloudtrail.Event) string {
	t.Helper()
	a := audit.New(audit.Options{})
	for _, ev := range evs {
		a.Add(ev)
	}
	res, err := a.Finish(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for i := range res.Findings {
		res.Findings[i].File = "" // findings name the source file
	}
	slices.SortFunc(res.Findings, func(x, y report.Finding) int { return strings.Compare(x.Rule+x.Message, y.Rule+y.Message) })
	out, err := json.MarshalIndent(res, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func TestReadAthenaCSVErrors(t *testing.T) {
	header := string(athenaCSV(t, nil))
	good := engineRow(t, trailEvents(t, "healthy.json")[0], Athena)
	line := func(mod func(map[string]string)) string {
		r := map[string]string{}
		for k, v := range good {
			r[k] = v
		}
		mod(r)
		return string(athenaCSV(t, []map[string]string{r})[len(header):])
	}
	ok := line(func(map[string]string) {})
	tests := []struct {
		name        string
		data        string
		wantMatched int
		wantErrs    []string // "record:line:substring"
	}{
		{"empty", "", 0, []string{"-1:1:no header row"}},
		{"not our query", "a,b\n1,2\n", 0, []string{"-1:1:no column eventsource, eventname, eventtime"}},
		{"header only", header, 0, nil},
		{"bad time", header + line(func(r map[string]string) { r["eventtime"] = "yesterday" }) + ok, 1, []string{"0:2:eventtime"}},
		{"params not JSON", header + ok + line(func(r map[string]string) { r["requestparameters"] = `{"keyId":` }), 1, []string{"1:5:requestparameters is not JSON"}},
		{"short row", header + "x,y\n" + ok, 1, []string{"0:2:wrong number of fields"}},
		{"bare quote", header + `a"b,c` + "\n" + ok, 1, []string{`0:2:bare "`}},
		{"other service filtered", header + line(func(r map[string]string) { r["eventsource"] = "s3.amazonaws.com" }) + ok, 1, nil},
		{"whole useridentity JSON", strings.Replace(header, "useridentity_type", "useridentity", 1) +
			line(func(r map[string]string) {
				r["useridentity_type"] = `{"type":"AWSService","invokedBy":"bedrock-agentcore.amazonaws.com"}`
			}), 1, nil},
		{"useridentity struct rendering", strings.Replace(header, "useridentity_type", "useridentity", 1) +
			line(func(r map[string]string) { r["useridentity_type"] = `{type=AWSService, invokedby=x}` }), 0, []string{"0:2:useridentity is not a JSON object"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, st, errs := readExport(t, Athena, []byte(tc.data))
			if st.Matched != tc.wantMatched {
				t.Errorf("matched %d, want %d", st.Matched, tc.wantMatched)
			}
			checkErrs(t, errs, tc.wantErrs)
		})
	}
}

func checkErrs(t *testing.T, errs []cloudtrail.InputError, want []string) {
	t.Helper()
	var got []string
	for _, e := range errs {
		got = append(got, fmt.Sprintf("%d:%d:%v", e.Record, e.Line, e.Err))
		if e.Source != "result" {
			t.Errorf("error source %q", e.Source)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("errors %q, want %q", got, want)
	}
	for i := range want {
		parts := strings.SplitN(want[i], ":", 3)
		if !strings.HasPrefix(got[i], parts[0]+":"+parts[1]+":") || !strings.Contains(got[i], parts[2]) {
			t.Errorf("error %d = %q, want %q", i, got[i], want[i])
		}
	}
}

func TestReadLakeJSONShapes(t *testing.T) {
	ev := trailEvents(t, "healthy.json")[0]
	r := engineRow(t, ev, CloudTrailLake)
	obj, _ := json.Marshal(r)
	cells := string(lakeResults(t, []map[string]string{r}, 1))
	var resp struct{ QueryResultRows []json.RawMessage }
	_ = json.Unmarshal([]byte(cells), &resp)
	rowJSON := string(resp.QueryResultRows[0])
	tests := []struct {
		name        string
		data        string
		wantRecords int
		wantMatched int
		wantErrs    []string
	}{
		{"response", cells, 1, 1, nil},
		{"two pages", cells + cells, 2, 2, nil},
		{"bare rows", "[" + rowJSON + "," + rowJSON + "]", 2, 2, nil},
		{"json lines of objects", string(obj) + "\n" + string(obj) + "\n", 2, 2, nil},
		{"response without rows", `{"QueryStatus":"FINISHED","QueryResultRows":[]}`, 0, 0, nil},
		{"null rows", `{"QueryStatus":"FAILED","QueryResultRows":null}`, 0, 0, nil},
		{"empty", "", 0, 0, []string{"-1:0:empty"}},
		{"truncated", cells[:len(cells)/2], 1, 0, []string{"0:0:unexpected EOF"}},
		{"row not a list", `[[{"eventid":"x"}], 7, ` + rowJSON + `]`, 3, 1, []string{"0:0:no eventsource", "1:0:not a list or an object"}},
		{"cell not an object", `[[["eventid"]]]`, 1, 0, []string{"0:0:not a list of {column: value} objects"}},
		{"scalar top level", `42`, 1, 0, []string{"0:0:unexpected 42"}},
		{"map rendering of the context",
			`[[{"eventsource":"kms.amazonaws.com"},{"eventname":"Decrypt"},{"eventtime":"2025-06-01 10:00:00.000"},{"encryptioncontext":"{aws:bedrock-agentcore:recommendationArn=arn:aws:bedrock-agentcore:us-east-1:111122223333:recommendation/R-1, purpose=a, b=c}"}]]`, 1, 1, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, st, errs := readExport(t, CloudTrailLake, []byte(tc.data))
			if st.Records != tc.wantRecords || st.Matched != tc.wantMatched {
				t.Errorf("stats %+v, want %d records %d matched", st, tc.wantRecords, tc.wantMatched)
			}
			checkErrs(t, errs, tc.wantErrs)
		})
	}
}

func TestParseContext(t *testing.T) {
	rec := "arn:aws:bedrock-agentcore:us-east-1:111122223333:recommendation/R-1"
	tests := []struct {
		in   string
		want map[string]string
		err  bool
	}{
		{`{"aws:bedrock-agentcore:recommendationArn":"` + rec + `"}`, map[string]string{"aws:bedrock-agentcore:recommendationArn": rec}, false},
		{"{aws:bedrock-agentcore:recommendationArn=" + rec + "}", map[string]string{"aws:bedrock-agentcore:recommendationArn": rec}, false},
		{"{a=1, b=x, y, c=3}", map[string]string{"a": "1", "b": "x, y", "c": "3"}, false},
		{"{}", map[string]string{}, false},
		{"{novalue}", nil, true},
		{"plain", nil, true},
	}
	for _, tc := range tests {
		got, err := parseContext(tc.in)
		if (err != nil) != tc.err || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("parseContext(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestReadFiles(t *testing.T) {
	dir := t.TempDir()
	evs := trailEvents(t, "unfinished.json")
	rows := make([]map[string]string, len(evs))
	for i, ev := range evs {
		rows[i] = engineRow(t, ev, Athena)
	}
	data := athenaCSV(t, rows)
	mustWrite(t, filepath.Join(dir, "q1.csv"), data)
	mustWrite(t, filepath.Join(dir, "q1.csv.metadata"), []byte("binary"))
	mustWrite(t, filepath.Join(dir, "sub", "q2.csv.gz"), gz(t, data))
	mustWrite(t, filepath.Join(dir, "notes.txt"), []byte("x"))
	n := 0
	res, err := ReadFiles(Athena, []string{dir, "-", filepath.Join(dir, "missing.csv")}, bytes.NewReader(data), nil,
		func(*cloudtrail.Event) error { n++; return nil })
	if err != nil {
		t.Fatal(err)
	}
	if res.Stats.Files != 3 || res.Stats.Records != 3*len(evs) || n != 3*len(evs) || res.Stats.Matched != n {
		t.Errorf("stats %+v, %d events", res.Stats, n)
	}
	if len(res.Errors) != 1 || !res.Errors[0].Unreadable || !strings.HasSuffix(res.Errors[0].Source, "missing.csv") {
		t.Errorf("errors %+v", res.Errors)
	}
	// The filter applies to exports as to logs.
	f := cloudtrail.DefaultFilter()
	f.Since = evs[len(evs)-1].EventTime
	res, _ = ReadFiles(Athena, []string{filepath.Join(dir, "q1.csv")}, nil, f, func(*cloudtrail.Event) error { return nil })
	if res.Stats.Matched != 1 {
		t.Errorf("since the last event: matched %d", res.Stats.Matched)
	}
	// fn's error stops the read.
	stop := fmt.Errorf("stop")
	if _, err := ReadFiles(Athena, []string{dir}, nil, nil, func(*cloudtrail.Event) error { return stop }); err != stop {
		t.Errorf("err = %v", err)
	}
}

func mustWrite(t *testing.T, name string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

var update = flag.Bool("update", false, "rewrite the export fixtures in testdata")

// TestFixtures keeps the exports in testdata, which the CLI tests audit,
// equal to the rendering of the trails they come from.
func TestFixtures(t *testing.T) {
	for _, fx := range []struct {
		trail, file string
		d           Dialect
	}{
		{"intruder.json", "intruder.athena.csv", Athena},
		{"disabled.json", "disabled.lake.json", CloudTrailLake},
	} {
		evs := trailEvents(t, fx.trail)
		rows := make([]map[string]string, len(evs))
		for i, ev := range evs {
			rows[i] = engineRow(t, ev, fx.d)
		}
		data := lakeResults(t, rows, 1)
		if fx.d == Athena {
			data = athenaCSV(t, rows)
		}
		path := filepath.Join("testdata", fx.file)
		if *update {
			mustWrite(t, path, data)
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(data, want) {
			t.Errorf("%s is stale (go test ./internal/audit/sqlexport -run TestFixtures -update): %v", path, err)
		}
	}
}
