package cloudtrail

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// readAll runs Read and returns the events ordered by source and record.
func readAll(t testing.TB, in Inputs, opts Options) ([]*Event, Result, error) {
	t.Helper()
	var events []*Event
	res, err := Read(context.Background(), in, opts, func(ev *Event) error {
		events = append(events, ev) // calls are serialised, so no lock
		return nil
	})
	sortEvents(events)
	return events, res, err
}

func sortEvents(events []*Event) {
	slices.SortFunc(events, func(a, b *Event) int {
		if c := strings.Compare(a.Source, b.Source); c != 0 {
			return c
		}
		return a.Record - b.Record
	})
}

func eventIDs(events []*Event) []string {
	ids := []string{}
	for _, ev := range events {
		ids = append(ids, ev.EventID)
	}
	return ids
}

// rec builds a small record; source "kms" means kms.amazonaws.com.
func rec(id, source string) string {
	if source == "kms" {
		source = KMSEventSource
	}
	return fmt.Sprintf(`{"eventVersion":"1.08","eventTime":"2024-01-02T03:04:05Z","eventSource":%q,"eventName":"Decrypt","eventID":%q}`, source, id)
}

func TestReadFormats(t *testing.T) {
	k1, s1, k2, k3 := rec("k1", "kms"), rec("s1", "s3.amazonaws.com"), rec("k2", "kms"), rec("k3", "kms")
	records := func(rs ...string) string { return `{"Records":[` + strings.Join(rs, ",") + `]}` }
	pretty, _ := json.MarshalIndent(json.RawMessage(k1), "", "  ")
	lookupOut, _ := json.Marshal(map[string]any{
		"Events": []any{
			map[string]any{"EventId": "k1", "EventName": "Decrypt", "EventSource": KMSEventSource, "CloudTrailEvent": k1},
			map[string]any{"EventId": "s1", "EventName": "Decrypt", "EventSource": "s3.amazonaws.com", "CloudTrailEvent": s1},
		},
		"NextToken": "abc",
	})
	full := records(k1, k2, k3)
	type wantErr struct {
		record int
		line   int
		msg    string
	}
	tests := []struct {
		name    string
		in      string
		ids     []string
		records int
		errs    []wantErr
	}{
		{name: "S3 delivery", in: records(k1, s1, k2), ids: []string{"k1", "k2"}, records: 3},
		{name: "JSON lines", in: k1 + "\n" + s1 + "\n" + k2 + "\n", ids: []string{"k1", "k2"}, records: 3},
		{name: "JSON lines with a bad line", in: k1 + "\n" + `{"eventVersion":"1.08" "eventSource":"kms.amazonaws.com"}` + "\n" + k2,
			ids: []string{"k1", "k2"}, records: 3, errs: []wantErr{{1, 2, "invalid character '\"' after object key:value pair"}}},
		{name: "single pretty-printed event", in: string(pretty), ids: []string{"k1"}, records: 1},
		{name: "lookup-events output", in: string(lookupOut), ids: []string{"k1"}, records: 2},
		{name: "bare array", in: "[" + k1 + "," + s1 + "]", ids: []string{"k1"}, records: 2},
		{name: "record that is not an object", in: records(k1, "42", k2), ids: []string{"k1", "k2"}, records: 3,
			errs: []wantErr{{1, 1, "record is a number, not an object"}}},
		{name: "broken record, the next one still read",
			in:  records(k1, `{"eventVersion":"1.08","eventSource":"kms.amazonaws.com","eventName":}`, k2),
			ids: []string{"k1", "k2"}, records: 3, errs: []wantErr{{1, 1, "looking for beginning of value"}}},
		{name: "truncated", in: full[:len(full)-len(k3)/2], ids: []string{"k1", "k2"}, records: 3,
			errs: []wantErr{{2, 1, "unexpected end of input"}}},
		{name: "empty", in: "", ids: []string{}},
		{name: "record whose members do not decode",
			in:  records(k1, `{"eventSource":"kms.amazonaws.com","eventTime":"yesterday","eventID":"bad"}`, `{"eventSource":"s3.amazonaws.com","eventTime":5}`),
			ids: []string{"k1"}, records: 3, errs: []wantErr{{1, 1, "cannot decode event: eventTime: parsing time"}}},
		{name: "eventSource only nested", in: `{"eventSource":"cloudtrail.amazonaws.com","requestParameters":{"eventSource":"kms.amazonaws.com"},"eventID":"n"}`,
			ids: []string{}, records: 1},
		{name: "escaped eventSource", in: `{"eventSource":"kms\u002eamazonaws.com","eventTime":"2024-01-02T03:04:05Z","eventID":"esc"}`, ids: []string{"esc"}, records: 1},
	}
	for _, tt := range tests {
		for _, gz := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/gzip=%v", tt.name, gz), func(t *testing.T) {
				// The names lie about the compression: content decides.
				path := filepath.Join(t.TempDir(), "trail.json.gz")
				data := []byte(tt.in)
				if gz {
					path = strings.TrimSuffix(path, ".gz")
					data = gzipBytes(t, data)
				}
				writeFile(t, path, data)
				events, res, err := readAll(t, Inputs{Paths: []string{path}}, Options{})
				if err != nil {
					t.Fatal(err)
				}
				if got := eventIDs(events); !reflect.DeepEqual(got, tt.ids) {
					t.Errorf("events %v, want %v", got, tt.ids)
				}
				want := Stats{Files: 1, Records: tt.records, Matched: len(tt.ids), Bytes: int64(len(data))}
				if res.Stats != want {
					t.Errorf("stats %+v, want %+v", res.Stats, want)
				}
				if len(res.Errors) != len(tt.errs) {
					t.Fatalf("errors %v, want %v", res.Errors, tt.errs)
				}
				for i, e := range res.Errors {
					w := tt.errs[i]
					if e.Source != path || e.Record != w.record || e.Line != w.line || e.Col <= 0 ||
						!strings.Contains(e.Err.Error(), w.msg) || e.Unreadable {
						t.Errorf("error %d = %+v (%v), want %+v", i, e, e.Err, w)
					}
				}
				for _, ev := range events {
					if ev.Source != path || ev.EventTime.IsZero() {
						t.Errorf("event %+v", ev)
					}
				}
			})
		}
	}
}

func TestReadTruncatedGzip(t *testing.T) {
	recs := genRecords(3, 0, 400)
	data := recordsFile(recs)
	gz := gzipBytes(t, data)
	path := filepath.Join(t.TempDir(), "cut.json.gz")
	writeFile(t, path, gz[:len(gz)*6/10])
	events, res, err := readAll(t, Inputs{Paths: []string{path}}, Options{Filter: &Filter{}})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) == 0 || len(events) >= len(recs) {
		t.Fatalf("%d events from a file cut at 60%%, want some but not all %d", len(events), len(recs))
	}
	for i, ev := range events {
		if ev.Record != i {
			t.Fatalf("event %d is record %d: the records before the break must all be read", i, ev.Record)
		}
	}
	if len(res.Errors) != 1 {
		t.Fatalf("errors %v", res.Errors)
	}
	e := res.Errors[0]
	if !errors.Is(e.Err, io.ErrUnexpectedEOF) || e.Record != len(events) || e.Line != 1 || e.Unreadable {
		t.Errorf("error %+v (%v): want the unexpected EOF at record %d", e, e.Err, len(events))
	}
	if res.Stats.Records != len(events)+1 {
		t.Errorf("%d records seen, want %d (the cut one counts)", res.Stats.Records, len(events)+1)
	}
}

func TestReadNamedInputErrors(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	writeFile(t, good, []byte(rec("k1", "kms")))
	notJSON := filepath.Join(dir, "notes.json")
	writeFile(t, notJSON, []byte("these are notes\n"))
	badGzip := filepath.Join(dir, "bad.json.gz")
	writeFile(t, badGzip, []byte{0x1f, 0x8b, 1, 2, 3})
	missing := filepath.Join(dir, "missing.json")
	keyPolicy := filepath.Join(dir, "key.json")
	writeFile(t, keyPolicy, []byte(`{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}]}`))
	otherJSON := filepath.Join(dir, "other.jsonl")
	writeFile(t, otherJSON, []byte("{\"name\": \"x\"}\n"+rec("k2", "kms")+"\n"))

	events, res, err := readAll(t, Inputs{Paths: []string{missing, notJSON, good, badGzip, keyPolicy, otherJSON}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(eventIDs(events), []string{"k1"}) {
		t.Errorf("events %v: the readable file must still be read", eventIDs(events))
	}
	if len(res.Errors) != 5 {
		t.Fatalf("errors %v", res.Errors)
	}
	for i, want := range []struct {
		source string
		is     error
		msg    string
	}{{missing, fs.ErrNotExist, "no such file"}, {notJSON, nil, "not a CloudTrail log"}, {badGzip, nil, "gzip"},
		{keyPolicy, nil, "key.json:1:1: not a CloudTrail log but a policy (it has a Statement); to explain denials with it, pass it as --policy FILE"},
		{otherJSON, nil, "other.jsonl:1:1: not a CloudTrail log: a JSON object with no Records and no eventSource or eventName"}} {
		e := res.Errors[i]
		if e.Source != want.source || !e.Unreadable || e.Record != -1 || !strings.Contains(e.Error(), want.msg) ||
			want.is != nil && !errors.Is(&e, want.is) {
			t.Errorf("error %d = %+v (%v), want an unreadable %s", i, e, e.Err, want.source)
		}
	}
	if res.Stats.Files != 5 {
		t.Errorf("%d files opened, want 5", res.Stats.Files)
	}

	// The same files found in a directory are data problems, not usage errors.
	_, res, err = readAll(t, Inputs{Paths: []string{dir}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range res.Errors {
		if e.Unreadable {
			t.Errorf("%v: found in a directory, so not Unreadable", &e)
		}
	}
}

func TestReadStdin(t *testing.T) {
	data := gzipBytes(t, []byte(`{"Records":[`+rec("k1", "kms")+`]}`))
	events, res, err := readAll(t, Inputs{Paths: []string{StdinName}}, Options{Stdin: bytes.NewReader(data)})
	if err != nil || len(res.Errors) > 0 {
		t.Fatal(err, res.Errors)
	}
	if len(events) != 1 || events[0].Source != StdinName || events[0].Record != 0 || res.Stats.Files != 1 {
		t.Errorf("events %+v stats %+v", events, res.Stats)
	}
	if _, err := Read(context.Background(), Inputs{Paths: []string{"-", "-"}}, Options{}, nil); err == nil {
		t.Error("standard input named twice: want an error")
	}
}

// trailDir lays out a trail bucket the way CloudTrail writes it, with the
// things that share it and must not be read.
func trailDir(t *testing.T) (root string, kms int, brokenA, brokenB string) {
	root = t.TempDir()
	put := func(rel string, data []byte) string {
		p := filepath.Join(root, filepath.FromSlash(rel))
		writeFile(t, p, data)
		return p
	}
	for i, rel := range []string{
		trailObjectKey("111122223333", 0),
		trailObjectKey("111122223333", 1),
		"AWSLogs/o-abc123def4/444455556666/CloudTrail/us-east-1/2024/01/02/444455556666_CloudTrail_us-east-1_20240102T0000Z_0123456789abcdef.json.gz",
	} {
		recs := genRecords(5, i*50, 50)
		put(rel, gzipBytes(t, recordsFile(recs)))
		for _, r := range recs {
			if bytes.Contains(r, []byte(`"eventSource":"kms.amazonaws.com"`)) {
				kms++
			}
		}
	}
	brokenA = put("AWSLogs/111122223333/CloudTrail/eu-west-1/2024/01/03/111122223333_CloudTrail_eu-west-1_20240103T0000Z_aaaaaaaaaaaaaaaa.json.gz",
		gzipBytes(t, []byte(`{"Records":[42]}`)))
	brokenB = put("AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/03/111122223333_CloudTrail_us-east-1_20240103T0000Z_bbbbbbbbbbbbbbbb.json",
		[]byte(`{"Records":[{"eventVersion":"1.08",`))
	put("AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/01/02/111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20240102T000000Z.json.gz",
		gzipBytes(t, []byte(`{"awsAccountId":"111122223333","logFiles":[]}`)))
	put("AWSLogs/111122223333/Config/us-east-1/2024/1/2/ConfigSnapshot/111122223333_Config_us-east-1_ConfigSnapshot_x.json.gz",
		gzipBytes(t, []byte(`{"fileVersion":"1.0","configurationItems":[]}`)))
	put("AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/02/notes.txt", []byte("hello"))
	put(".cache/x.json", []byte(rec("hidden", "kms")))
	put("README.md", []byte("# trail"))
	return root, kms, brokenA, brokenB
}

func TestReadTrailDirectory(t *testing.T) {
	root, kms, brokenA, brokenB := trailDir(t)
	var first Result
	var firstEvents []*Event
	for run, workers := range []int{1, 4, 4, 2} {
		skipped := map[string]string{}
		events, res, err := readAll(t, Inputs{Paths: []string{root}}, Options{Workers: workers,
			Skipped: func(name, reason string) {
				skipped[strings.TrimPrefix(filepath.ToSlash(name), filepath.ToSlash(root)+"/")] = reason
			}})
		if err != nil {
			t.Fatal(err)
		}
		if run == 0 {
			first, firstEvents = res, events
			wantSkipped := map[string]string{
				".cache":                                 "hidden",
				"README.md":                              "not a .json, .jsonl or .ndjson file (optionally .gz)",
				"AWSLogs/111122223333/CloudTrail-Digest": "CloudTrail digest files",
				"AWSLogs/111122223333/Config":            "not CloudTrail logs (AWSLogs/.../Config)",
				"AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/02/notes.txt": "not a .json, .jsonl or .ndjson file (optionally .gz)",
			}
			if !reflect.DeepEqual(skipped, wantSkipped) {
				t.Errorf("skipped %v\nwant    %v", skipped, wantSkipped)
			}
			if res.Stats.Files != 5 || res.Stats.Records != 152 || res.Stats.Matched != kms || res.Stats.Skipped != 5 {
				t.Errorf("stats %+v, want 5 files, 152 records, %d matched, 5 skipped", res.Stats, kms)
			}
			if len(events) != kms {
				t.Errorf("%d events, want %d", len(events), kms)
			}
			// Lexical walk order: eu-west-1 before us-east-1.
			if len(res.Errors) != 2 || res.Errors[0].Source != brokenA || res.Errors[1].Source != brokenB ||
				res.Errors[0].Record != 0 || res.Errors[1].Record != 0 {
				t.Errorf("errors %v, want one in %s then one in %s", res.Errors, brokenA, brokenB)
			}
			continue
		}
		if !reflect.DeepEqual(res, first) || !reflect.DeepEqual(events, firstEvents) {
			t.Errorf("workers=%d: result differs from the first run:\n%+v\n%+v", workers, res, first)
		}
	}
}

// moduleRoot finds the directory of go.mod above the test's directory.
func moduleRoot(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
}

// TestReadInvictusDataset reads real CloudTrail (invictus-ir/aws_dataset,
// shared next to the repository, absent from fresh clones) and checks every
// event against encoding/json's reading of the same record.
func TestReadInvictusDataset(t *testing.T) {
	dir := filepath.Join(moduleRoot(t), "..", "shared", "data", "cloudtrail", "invictus-aws_dataset", "CloudTrail")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("dataset not available: %v", err)
	}
	reference := map[string][]json.RawMessage{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var file struct{ Records []json.RawMessage }
		if err := json.Unmarshal(data, &file); err != nil {
			t.Fatal(err)
		}
		reference[p] = file.Records
	}

	for _, tt := range []struct {
		filter  *Filter
		matched int
	}{{nil, 240}, {&Filter{}, 2900}} {
		events, res, err := readAll(t, Inputs{Paths: []string{dir}}, Options{Filter: tt.filter})
		if err != nil || len(res.Errors) > 0 {
			t.Fatal(err, res.Errors)
		}
		if want := (Stats{Files: 55, Records: 2900, Matched: tt.matched, Bytes: res.Stats.Bytes}); res.Stats != want {
			t.Errorf("stats %+v, want %+v", res.Stats, want)
		}
		names := map[string]int{}
		for _, ev := range events {
			want, err := referenceDecode(reference[ev.Source][ev.Record])
			if err != nil {
				t.Fatal(err)
			}
			want.Source, want.Record = ev.Source, ev.Record
			if !reflect.DeepEqual(ev, want) {
				t.Fatalf("%s record %d:\n got %+v\nwant %+v", ev.Source, ev.Record, ev, want)
			}
			if ev.EventSource == KMSEventSource {
				names[ev.EventName]++
			}
		}
		if want := map[string]int{"Decrypt": 178, "Encrypt": 42, "GenerateDataKey": 20}; !reflect.DeepEqual(names, want) {
			t.Errorf("KMS events by name %v, want %v", names, want)
		}
	}
}

func TestReadFilter(t *testing.T) {
	lines := []string{
		`{"eventSource":"kms.amazonaws.com","eventName":"Decrypt","eventTime":"2024-01-01T00:00:00Z","eventID":"a"}`,
		`{"eventSource":"kms.amazonaws.com","eventName":"GenerateDataKey","eventTime":"2024-01-02T00:00:00Z","eventID":"b"}`,
		`{"eventSource":"kms.amazonaws.com","eventName":"Decrypt","eventTime":"2024-01-03T00:00:00Z","eventID":"c"}`,
		`{"eventSource":"sts.amazonaws.com","eventName":"AssumeRole","eventTime":"2024-01-02T00:00:00Z","eventID":"d"}`,
	}
	path := filepath.Join(t.TempDir(), "events.jsonl")
	writeFile(t, path, []byte(strings.Join(lines, "\n")))
	day := func(d int) time.Time { return time.Date(2024, 1, d, 0, 0, 0, 0, time.UTC) }
	for _, tt := range []struct {
		name   string
		filter *Filter
		ids    []string
	}{
		{"default is KMS", nil, []string{"a", "b", "c"}},
		{"everything", &Filter{}, []string{"a", "b", "c", "d"}},
		{"by name", &Filter{EventNames: []string{"Decrypt", "AssumeRole"}}, []string{"a", "c", "d"}},
		{"by source and name", &Filter{EventSources: []string{KMSEventSource}, EventNames: []string{"Decrypt"}}, []string{"a", "c"}},
		{"inclusive window", &Filter{Since: day(2), Until: day(3)}, []string{"b", "c", "d"}},
		{"since only", &Filter{EventSources: []string{KMSEventSource}, Since: day(3)}, []string{"c"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			events, res, err := readAll(t, Inputs{Paths: []string{path}}, Options{Filter: tt.filter})
			if err != nil || len(res.Errors) > 0 {
				t.Fatal(err, res.Errors)
			}
			if got := eventIDs(events); !reflect.DeepEqual(got, tt.ids) || res.Stats.Matched != len(tt.ids) || res.Stats.Records != 4 {
				t.Errorf("events %v (stats %+v), want %v", got, res.Stats, tt.ids)
			}
		})
	}
}

func TestReadProgress(t *testing.T) {
	root, _, _, _ := trailDir(t)
	var mu sync.Mutex
	var calls int
	var last, lastTotal int64
	inCall := false
	_, res, err := readAll(t, Inputs{Paths: []string{root}}, Options{Workers: 3, Progress: func(read, total int64) {
		mu.Lock()
		if inCall {
			t.Error("Progress called concurrently")
		}
		inCall = true
		mu.Unlock()
		if read < last {
			t.Errorf("bytes read went back from %d to %d", last, read)
		}
		calls++
		last, lastTotal = read, total
		mu.Lock()
		inCall = false
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	var size int64
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && skipReason(filepath.ToSlash(p), filepath.ToSlash(strings.TrimPrefix(p, root)), false) == "" {
			info, _ := d.Info()
			size += info.Size()
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls == 0 || last != size || lastTotal != size || res.Stats.Bytes != size {
		t.Errorf("%d calls, last %d of %d, stats %d bytes; want all %d bytes", calls, last, lastTotal, res.Stats.Bytes, size)
	}
}

func TestReadStops(t *testing.T) {
	root, kms, _, _ := trailDir(t)
	stop := errors.New("enough")
	calls := 0
	res, err := Read(context.Background(), Inputs{Paths: []string{root}}, Options{}, func(*Event) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) || calls != 1 || res.Stats.Matched != 0 {
		t.Errorf("err %v after %d calls (%d matched): want the callback's error after one call", err, calls, res.Stats.Matched)
	}

	ctx, cancel := context.WithCancel(context.Background())
	calls = 0
	_, err = Read(ctx, Inputs{Paths: []string{root}}, Options{Workers: 1}, func(*Event) error {
		calls++
		cancel()
		return nil
	})
	if !errors.Is(err, context.Canceled) || calls == 0 || calls >= kms {
		t.Errorf("err %v after %d of %d events: want context.Canceled, early", err, calls, kms)
	}

	_, err = Read(ctx, Inputs{Paths: []string{root}}, Options{}, func(*Event) error {
		t.Error("event delivered after cancellation")
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err %v, want context.Canceled", err)
	}
}

// FuzzReadFile reads arbitrary bytes as a file, plain and gzip'd, and holds
// the result to the splitter and encoding/json: every record the splitter
// finds is delivered exactly when encoding/json can decode it.
func FuzzReadFile(f *testing.F) {
	f.Add([]byte(`{"Records":[` + rec("k1", "kms") + `,` + rec("s1", "s3.amazonaws.com") + `]}`))
	f.Add([]byte(rec("k1", "kms") + "\n{\"eventTime\":5}\nnot json\n" + rec("k2", "kms")))
	f.Add([]byte(`{"Events":[{"EventId":"1","CloudTrailEvent":"{\"eventID\":\"x\",\"readOnly\":\"yes\"}"}]}`))
	f.Add([]byte(`[{"resources":[{"ARN":"a"}],"userIdentity":{"sessionContext":{"attributes":{"creationDate":"2024-01-02T00:00:00Z"}}}},3]`))
	f.Add(genRecords(9, 0, 1)[0])
	f.Fuzz(func(t *testing.T, data []byte) {
		if bytes.Count(data, []byte("[")) > 1000 {
			return
		}
		dir := t.TempDir()
		plain, packed := filepath.Join(dir, "plain.json"), filepath.Join(dir, "packed.json.gz")
		writeFile(t, plain, data)
		writeFile(t, packed, gzipBytes(t, data))
		var results [2]Result
		var streams [2][]*Event
		for i, p := range []string{plain, packed} {
			events, res, err := readAll(t, Inputs{Paths: []string{p}}, Options{Workers: 1, Filter: &Filter{}})
			if err != nil {
				t.Fatal(err)
			}
			for _, ev := range events {
				ev.Source = ""
			}
			for k := range res.Errors {
				if res.Errors[k].Source != p {
					t.Fatalf("error source %q, want %q", res.Errors[k].Source, p)
				}
				res.Errors[k].Source = ""
			}
			res.Stats.Bytes = 0
			results[i], streams[i] = res, events
		}
		if !reflect.DeepEqual(results[0], results[1]) || !reflect.DeepEqual(streams[0], streams[1]) {
			t.Fatalf("gzip changes the result:\n%+v\n%+v", results[0], results[1])
		}
		res, events := results[0], streams[0]
		if res.Stats.Matched != len(events) || res.Stats.Records < len(events) {
			t.Fatalf("stats %+v with %d events", res.Stats, len(events))
		}
		// Every record the splitter finds is delivered exactly when it decodes.
		c, _ := split(data, false, DefaultMaxRecordBytes)
		byIndex := map[int]*Event{}
		for _, ev := range events {
			byIndex[ev.Record] = ev
		}
		for i, r := range c.records {
			ev, delivered := byIndex[c.indexes[i]]
			want, err := referenceDecode([]byte(r))
			if hasDuplicateKeys([]byte(r)) {
				continue
			}
			if delivered != (err == nil) {
				t.Fatalf("record %d %q: delivered %v, encoding/json error %v", c.indexes[i], r, delivered, err)
			}
			if delivered {
				want.Record = ev.Record
				if !reflect.DeepEqual(ev, want) {
					t.Fatalf("record %d:\n got %+v\nwant %+v", ev.Record, ev, want)
				}
			}
		}
	})
}
