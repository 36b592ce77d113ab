package cloudtrail

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

const testAccessKey = "AKIAKMSLINTTEST00001"

// testAWSConfig is what the CLI would hand in: static credentials, one try
// per request so that failures show at once.
func testAWSConfig() aws.Config {
	return aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider(testAccessKey, "test-secret", ""),
		RetryMaxAttempts: 1,
	}
}

// signedByTestKey checks that a request carries a SigV4 signature by the
// static test credentials.
func signedByTestKey(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 Credential="+testAccessKey+"/")
}

// fakeS3 serves ListObjectsV2 and GetObject for one bucket, path-style.
type fakeS3 struct {
	bucket   string
	objects  map[string][]byte
	failing  map[string]bool // keys whose GetObject fails
	pageSize int

	mu          sync.Mutex
	lists       []string // continuation tokens received
	gets        int
	inflight    int
	maxInflight int
	overlap     chan struct{} // closed once two GetObject calls overlapped
}

type listBucketResult struct {
	XMLName               xml.Name    `xml:"ListBucketResult"`
	Xmlns                 string      `xml:"xmlns,attr"`
	Name                  string      `xml:"Name"`
	Prefix                string      `xml:"Prefix"`
	KeyCount              int         `xml:"KeyCount"`
	MaxKeys               int         `xml:"MaxKeys"`
	IsTruncated           bool        `xml:"IsTruncated"`
	ContinuationToken     string      `xml:"ContinuationToken,omitempty"`
	NextContinuationToken string      `xml:"NextContinuationToken,omitempty"`
	Contents              []listEntry `xml:"Contents"`
}

type listEntry struct {
	Key          string `xml:"Key"`
	LastModified string `xml:"LastModified"`
	ETag         string `xml:"ETag"`
	Size         int64  `xml:"Size"`
	StorageClass string `xml:"StorageClass"`
}

func (f *fakeS3) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !signedByTestKey(r) {
		s3Error(w, http.StatusForbidden, "AccessDenied", "unsigned request")
		return
	}
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if bucket != f.bucket {
		s3Error(w, http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist")
		return
	}
	if key == "" && r.URL.Query().Get("list-type") == "2" {
		f.list(w, r)
		return
	}
	f.get(w, key)
}

func (f *fakeS3) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	token := q.Get("continuation-token")
	f.mu.Lock()
	f.lists = append(f.lists, token)
	f.mu.Unlock()
	var keys []string
	for k := range f.objects {
		if strings.HasPrefix(k, q.Get("prefix")) && k > token {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	res := listBucketResult{Xmlns: "http://s3.amazonaws.com/doc/2006-03-01/", Name: f.bucket, Prefix: q.Get("prefix"),
		MaxKeys: f.pageSize, ContinuationToken: token}
	if len(keys) > f.pageSize {
		keys = keys[:f.pageSize]
		res.IsTruncated = true
		res.NextContinuationToken = keys[len(keys)-1] // opaque to the client
	}
	for _, k := range keys {
		res.Contents = append(res.Contents, listEntry{Key: k, LastModified: "2024-01-02T03:04:05.000Z", ETag: `"x"`,
			Size: int64(len(f.objects[k])), StorageClass: "STANDARD"})
	}
	res.KeyCount = len(res.Contents)
	w.Header().Set("Content-Type", "application/xml")
	io.WriteString(w, xml.Header)
	if err := xml.NewEncoder(w).Encode(res); err != nil {
		panic(err)
	}
}

func (f *fakeS3) get(w http.ResponseWriter, key string) {
	f.mu.Lock()
	f.gets++
	f.inflight++
	f.maxInflight = max(f.maxInflight, f.inflight)
	if f.inflight == 2 {
		select {
		case <-f.overlap:
		default:
			close(f.overlap)
		}
	}
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.inflight--
		f.mu.Unlock()
	}()
	// Hold the first requests until two are in flight at once: a reader
	// that fetched one object at a time would never get past this, and
	// the test would see maxInflight == 1 after the timeout.
	select {
	case <-f.overlap:
	case <-time.After(5 * time.Second):
	}
	data, ok := f.objects[key]
	switch {
	case !ok:
		s3Error(w, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
	case f.failing[key]:
		s3Error(w, http.StatusForbidden, "AccessDenied", "Access Denied")
	default:
		w.Header().Set("Content-Length", fmt.Sprint(len(data)))
		w.Write(data)
	}
}

func s3Error(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, "%s<Error><Code>%s</Code><Message>%s</Message><RequestId>r</RequestId></Error>", xml.Header, code, msg)
}

func newS3Client(url string) *s3.Client {
	return s3.NewFromConfig(testAWSConfig(), func(o *s3.Options) {
		o.BaseEndpoint = aws.String(url)
		o.UsePathStyle = true
		o.DisableLogOutputChecksumValidationSkipped = true
	})
}

func TestReadS3(t *testing.T) {
	dir := "trails/AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/02/"
	fake := &fakeS3{bucket: "audit-bucket", objects: map[string][]byte{}, failing: map[string]bool{}, pageSize: 2,
		overlap: make(chan struct{})}
	var kmsIDs []string
	for i := range 5 {
		recs := genRecords(11, i*40, 40)
		for _, r := range recs {
			if bytes.Contains(r, []byte(`"kms.amazonaws.com"`)) {
				kmsIDs = append(kmsIDs, eventIDOf(t, r))
			}
		}
		fake.objects["trails/"+trailObjectKey("111122223333", i)] = gzipBytes(t, recordsFile(recs))
	}
	denied := dir + "111122223333_CloudTrail_us-east-1_20240102T2300Z_denieddeniedden.json.gz"
	fake.objects[denied] = gzipBytes(t, []byte(`{"Records":[]}`))
	fake.failing[denied] = true
	broken := dir + "111122223333_CloudTrail_us-east-1_20240102T2355Z_zzzzzzzzzzzzzzzz.json.gz"
	fake.objects[broken] = []byte(`{"Records":[{"eventSource":"kms.amazonaws.com","eventID":"before-the-break"},`)
	kmsIDs = append(kmsIDs, "before-the-break")
	fake.objects["trails/AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/01/02/111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20240102T000000Z.json.gz"] = []byte(`{}`)
	fake.objects["trails/AWSLogs/111122223333/Config/us-east-1/2024/1/2/x.json.gz"] = []byte(`{}`)
	fake.objects["trails/AWSLogs/"] = nil // a console folder placeholder
	fake.objects["elsewhere/x.json"] = []byte(rec("outside", "kms"))
	srv := httptest.NewServer(fake)
	defer srv.Close()

	skipped := map[string]string{}
	events, res, err := readAll(t, Inputs{S3: []string{"s3://audit-bucket/trails/"}, S3Client: newS3Client(srv.URL)},
		Options{Workers: 3, Skipped: func(name, reason string) { skipped[name] = reason }})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range events {
		if !strings.HasPrefix(ev.Source, "s3://audit-bucket/trails/AWSLogs/111122223333/CloudTrail/") {
			t.Errorf("event source %q", ev.Source)
		}
		got = append(got, ev.EventID)
	}
	slices.Sort(got)
	slices.Sort(kmsIDs)
	if !slices.Equal(got, kmsIDs) {
		t.Errorf("events %v\nwant   %v", got, kmsIDs)
	}
	if want := (Stats{Files: 6, Records: 201, Matched: len(kmsIDs), Bytes: res.Stats.Bytes, Skipped: 2}); res.Stats != want {
		t.Errorf("stats %+v, want %+v", res.Stats, want)
	}
	if len(skipped) != 2 {
		t.Errorf("skipped %v", skipped)
	}
	if len(res.Errors) != 2 || res.Errors[0].Source != "s3://audit-bucket/"+denied || res.Errors[1].Source != "s3://audit-bucket/"+broken {
		t.Fatalf("errors %v", res.Errors)
	}
	if e := res.Errors[0]; e.Record != -1 || e.Unreadable || !strings.Contains(e.Error(), "AccessDenied") {
		t.Errorf("error for the denied object: %+v", e)
	}
	if e := res.Errors[1]; e.Record != -1 || !strings.Contains(e.Error(), "unexpected end of input") {
		t.Errorf("error for the truncated object: %+v", e)
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	// 9 keys under the prefix, two a page.
	if want := []string{"", "trails/AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/01/02/111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20240102T000000Z.json.gz"}; len(fake.lists) != 5 || !slices.Equal(fake.lists[:2], want) {
		t.Errorf("list requests with tokens %q", fake.lists)
	}
	if fake.gets != 7 {
		t.Errorf("%d GetObject calls, want 7", fake.gets)
	}
	if fake.maxInflight < 2 || fake.maxInflight > 3 {
		t.Errorf("at most %d GetObject calls at once, want 2 or 3 (parallel, bounded by 3 workers)", fake.maxInflight)
	}
}

func TestReadS3Errors(t *testing.T) {
	fake := &fakeS3{bucket: "b", objects: map[string][]byte{"p/one.json": []byte(rec("k1", "kms")), "p/one.txt": []byte(rec("k2", "kms"))},
		pageSize: 1000, overlap: make(chan struct{})}
	close(fake.overlap)
	srv := httptest.NewServer(fake)
	defer srv.Close()
	client := newS3Client(srv.URL)

	// A URI naming one object reads it whatever its name.
	events, res, err := readAll(t, Inputs{S3: []string{"s3://b/p/one.txt"}, S3Client: client}, Options{})
	if err != nil || len(res.Errors) > 0 || !slices.Equal(eventIDs(events), []string{"k2"}) {
		t.Errorf("one object: events %v, errors %v, err %v", eventIDs(events), res.Errors, err)
	}

	_, res, err = readAll(t, Inputs{S3: []string{"s3://missing/p/"}, S3Client: client}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) != 1 || !res.Errors[0].Unreadable || res.Errors[0].Source != "s3://missing/p/" ||
		!strings.Contains(res.Errors[0].Error(), "NoSuchBucket") {
		t.Errorf("missing bucket: errors %v", res.Errors)
	}

	if _, err := Read(context.Background(), Inputs{S3: []string{"s3://b/p/"}}, Options{}, nil); err == nil {
		t.Error("S3 without a client: want an error")
	}
	if _, err := Read(context.Background(), Inputs{S3: []string{"https://b/p/"}, S3Client: client}, Options{}, nil); err == nil {
		t.Error("bad URI: want an error")
	}
}

func TestParseS3URI(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want S3URI
		err  bool
	}{
		{in: "s3://bucket", want: S3URI{Bucket: "bucket"}},
		{in: "s3://bucket/", want: S3URI{Bucket: "bucket"}},
		{in: "s3://bucket/AWSLogs/o-abc/", want: S3URI{Bucket: "bucket", Prefix: "AWSLogs/o-abc/"}},
		{in: "s3://bucket/a/b.json.gz", want: S3URI{Bucket: "bucket", Prefix: "a/b.json.gz"}},
		{in: "s3:///prefix", err: true},
		{in: "S3://bucket", err: true},
		{in: "bucket/prefix", err: true},
	} {
		got, err := ParseS3URI(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseS3URI(%q) = %+v, %v", tt.in, got, err)
		}
	}
}

func eventIDOf(t *testing.T, record []byte) string {
	var ev Event
	if err := decodeEvent(record, &ev); err != nil {
		t.Fatal(err)
	}
	return ev.EventID
}

var _ S3API = (*s3.Client)(nil)
