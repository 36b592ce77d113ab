package trail

import (
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

func rec(account string, t time.Time, i int) *Record {
	return &Record{
		EventVersion: EventVersion, EventTime: t.UTC().Format(TimeFormat), EventSource: "kms.amazonaws.com",
		EventName: "Decrypt", AWSRegion: "us-east-1", EventID: fmt.Sprintf("id-%s-%d", account, i),
		RecipientAccountID: account, UserIdentity: UserIdentity{Type: "AWSService", InvokedBy: "x.amazonaws.com"},
		EventType: "AwsApiCall", EventCategory: "Management",
	}
}

// files reads every log file under dir: name -> event ids.
func files(t *testing.T, dir string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		if strings.HasPrefix(info.Name(), ".") {
			// A file being written (".tmp-*", renamed when complete);
			// readers such as kmslint audit skip hidden files too.
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		b, _ := io.ReadAll(zr)
		var doc struct{ Records []Record }
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		for _, r := range doc.Records {
			out[filepath.ToSlash(rel)] = append(out[filepath.ToSlash(rel)], r.EventID)
		}
		return nil
	})
	return out
}

func TestS3Dir(t *testing.T) {
	dir := t.TempDir()
	d, err := NewS3Dir(dir, S3DirOptions{MaxRecords: 3, FlushEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 7, 10, 11, 47, 30, 0, time.UTC)
	// Four records in one window of one account (a full file of 3, then 1),
	// one in the next window, one of another account.
	for i := 0; i < 4; i++ {
		if err := d.Write(rec("111122223333", t0, i)); err != nil {
			t.Fatal(err)
		}
	}
	d.Write(rec("111122223333", t0.Add(5*time.Minute), 4))
	d.Write(rec("444455556666", t0, 5))
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
	got := files(t, dir)
	nameRE := regexp.MustCompile(`^AWSLogs/(\d{12})/CloudTrail/us-east-1/2026/07/10/(\d{12})_CloudTrail_us-east-1_20260710T(\d{4})Z_[A-Za-z0-9]{16}\.json\.gz$`)
	var summary []string
	for name, ids := range got {
		m := nameRE.FindStringSubmatch(name)
		if m == nil || m[1] != m[2] {
			t.Errorf("file name %s", name)
			continue
		}
		summary = append(summary, fmt.Sprintf("%s %s %d", m[1], m[3], len(ids)))
	}
	sort.Strings(summary)
	want := []string{"111122223333 1145 1", "111122223333 1145 3", "111122223333 1150 1", "444455556666 1145 1"}
	if strings.Join(summary, ",") != strings.Join(want, ",") {
		t.Errorf("files %v, want %v", summary, want)
	}
	// Nothing more to write: Flush and Close add no files.
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if len(files(t, dir)) != len(got) {
		t.Error("Close wrote files again")
	}
	if err := d.Write(rec("111122223333", t0, 9)); !errors.Is(err, ErrClosed) {
		t.Errorf("write after Close: %v", err)
	}
	if err := d.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if tmps, _ := filepath.Glob(filepath.Join(dir, "AWSLogs/*/CloudTrail/*/*/*/*/.tmp-*")); len(tmps) > 0 {
		t.Errorf("temporary files left: %v", tmps)
	}
}

func TestS3DirTimerAndConcurrency(t *testing.T) {
	dir := t.TempDir()
	d, err := NewS3Dir(dir, S3DirOptions{MaxRecords: 7, FlushEvery: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				d.Write(rec("111122223333", now, w*1000+i))
			}
		}(w)
	}
	wg.Wait()
	// The timer writes the last partial file without Flush.
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := 0
		for _, ids := range files(t, dir) {
			n += len(ids)
		}
		if n == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of 200 records in files", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, ids := range files(t, dir) {
		for _, id := range ids {
			if seen[id] {
				t.Fatalf("record %s written twice", id)
			}
			seen[id] = true
		}
	}
}

func TestS3DirBadRecord(t *testing.T) {
	d, err := NewS3Dir(t.TempDir(), S3DirOptions{FlushEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	r := rec("111122223333", time.Now(), 0)
	r.EventTime = "yesterday"
	if err := d.Write(r); err == nil {
		t.Error("record without a valid eventTime accepted")
	}
}

func TestMemoryAndMulti(t *testing.T) {
	a, b := NewMemory(), NewMemory()
	m := Multi{a, b}
	for i := 0; i < 3; i++ {
		if err := m.Write(rec("111122223333", time.Now(), i)); err != nil {
			t.Fatal(err)
		}
	}
	if a.Len() != 3 || len(b.Records()) != 3 || b.Records()[2].EventID != "id-111122223333-2" {
		t.Fatal("records not fanned out in order")
	}
	rs := a.Records()
	rs[0].EventName = "changed"
	if a.Records()[0].EventName != "Decrypt" {
		t.Error("Records returns shared records")
	}
	a.Reset()
	if a.Len() != 0 {
		t.Error("Reset")
	}
	m.Close()
	if err := m.Write(rec("111122223333", time.Now(), 9)); !errors.Is(err, ErrClosed) {
		t.Errorf("write after Close: %v", err)
	}
	if b.Len() != 3 {
		t.Error("Close dropped records")
	}
}

func TestRecordJSON(t *testing.T) {
	r := rec("111122223333", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), 1)
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{`"requestParameters":null`, `"responseElements":null`, `"eventTime":"2026-01-02T03:04:05Z"`, `"userIdentity":{"type":"AWSService","invokedBy":"x.amazonaws.com"}`} {
		if !strings.Contains(s, want) {
			t.Errorf("%s lacks %s", s, want)
		}
	}
	for _, absent := range []string{"errorCode", "additionalEventData", "resources", "sharedEventID", "sessionContext"} {
		if strings.Contains(s, absent) {
			t.Errorf("%s has %s", s, absent)
		}
	}
}
