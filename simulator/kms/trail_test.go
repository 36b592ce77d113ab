package kms_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/kmslint/kmslint/simulator/kms"
	"github.com/kmslint/kmslint/simulator/kms/trail"
)

// topKeys lists a JSON object's keys in document order.
func topKeys(t *testing.T, b []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %s", b)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

func TestRecordShape(t *testing.T) {
	e := newEnv(t)
	keyARN := e.createKey(withAdmin(canonicalPolicy))
	ec := recEC(recARN)
	dk, err := e.client(akFAS).GenerateDataKey(e.ctx, gdk(keyARN, ec))
	wantCode(t, "FAS GenerateDataKey", err, "")
	fasRec := e.lastRecord()
	_, err = e.serviceClient(recARN).Decrypt(e.ctx, &awskms.DecryptInput{CiphertextBlob: dk.CiphertextBlob, EncryptionContext: ec})
	wantCode(t, "service Decrypt", err, "")
	svcRec := e.lastRecord()
	_, err = e.client(akCaller).Decrypt(e.ctx, &awskms.DecryptInput{CiphertextBlob: dk.CiphertextBlob})
	wantCode(t, "caller Decrypt without context", err, "AccessDeniedException")
	deniedRec := e.lastRecord()

	// Field order of AWS's Decrypt example (eventVersion 1.11), without
	// tlsDetails (the simulator speaks plain HTTP):
	// https://docs.aws.amazon.com/kms/latest/developerguide/ct-decrypt.html
	b, _ := json.Marshal(svcRec)
	want := []string{"eventVersion", "userIdentity", "eventTime", "eventSource", "eventName", "awsRegion",
		"sourceIPAddress", "userAgent", "requestParameters", "responseElements", "additionalEventData",
		"requestID", "eventID", "readOnly", "resources", "eventType", "managementEvent", "recipientAccountId", "eventCategory"}
	if got := topKeys(t, b); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("record keys\n got %v\nwant %v", got, want)
	}
	b, _ = json.Marshal(deniedRec)
	wantDenied := append(append(append([]string{}, want[:8]...), "errorCode", "errorMessage"), "requestParameters", "responseElements",
		"requestID", "eventID", "readOnly", "resources", "eventType", "managementEvent", "recipientAccountId", "eventCategory")
	if got := topKeys(t, b); fmt.Sprint(got) != fmt.Sprint(wantDenied) {
		t.Errorf("denied record keys\n got %v\nwant %v", got, wantDenied)
	}
	if !bytes.Contains(b, []byte(`"responseElements":null`)) {
		t.Errorf("responseElements is not null: %s", b)
	}

	if svcRec.UserIdentity != (trail.UserIdentity{Type: "AWSService", InvokedBy: service}) ||
		svcRec.SourceIPAddress != service || svcRec.UserAgent != service {
		t.Errorf("service record identity %+v from %s/%s", svcRec.UserIdentity, svcRec.SourceIPAddress, svcRec.UserAgent)
	}
	u := fasRec.UserIdentity
	if u.Type != "AssumedRole" || u.ARN != sessionARN || u.AccountID != account || u.AccessKeyID != akFAS ||
		u.InvokedBy != service || u.SessionContext == nil || u.SessionContext.SessionIssuer.ARN != roleARN ||
		u.SessionContext.SessionIssuer.Type != "Role" || u.PrincipalID != u.SessionContext.SessionIssuer.PrincipalID+":kmslint" ||
		fasRec.SourceIPAddress != service || fasRec.UserAgent != service {
		t.Errorf("FAS identity %+v (%+v) from %s/%s", u, u.SessionContext, fasRec.SourceIPAddress, fasRec.UserAgent)
	}
	d := deniedRec
	if d.UserIdentity.InvokedBy != "" || d.SourceIPAddress != "127.0.0.1" || d.UserAgent == "" || d.ErrorCode != "AccessDeniedException" ||
		d.ReadOnly != true || d.EventType != "AwsApiCall" || d.EventCategory != "Management" || !d.ManagementEvent ||
		d.RecipientAccountID != account || d.EventVersion != "1.11" || d.EventSource != "kms.amazonaws.com" {
		t.Errorf("direct denied record %+v", d)
	}
	var gp map[string]any
	json.Unmarshal(fasRec.RequestParameters, &gp)
	if gp["keyId"] != keyARN || gp["keySpec"] != "AES_256" || gp["encryptionContext"].(map[string]any)[ecKey] != recARN {
		t.Errorf("GenerateDataKey requestParameters %v", gp)
	}
	var dp map[string]any
	json.Unmarshal(svcRec.RequestParameters, &dp)
	if dp["encryptionAlgorithm"] != "SYMMETRIC_DEFAULT" || dp["keyId"] != nil {
		t.Errorf("Decrypt requestParameters %v", dp)
	}
	var add map[string]string
	json.Unmarshal(svcRec.AdditionalEventData, &add)
	if len(add["keyMaterialId"]) != 64 {
		t.Errorf("additionalEventData %s", svcRec.AdditionalEventData)
	}
	if len(svcRec.Resources) != 1 || svcRec.Resources[0] != (trail.Resource{AccountID: account, Type: "AWS::KMS::Key", ARN: keyARN}) {
		t.Errorf("resources %+v", svcRec.Resources)
	}
	if _, err := time.Parse(trail.TimeFormat, svcRec.EventTime); err != nil {
		t.Errorf("eventTime %q", svcRec.EventTime)
	}
	// Nothing secret is logged.
	all, _ := json.Marshal(e.srv.Trail())
	for _, secret := range [][]byte{dk.Plaintext, dk.CiphertextBlob} {
		if bytes.Contains(all, secret) || bytes.Contains(all, []byte(b64(secret))) {
			t.Error("trail contains key material or ciphertext")
		}
	}
}

func b64(b []byte) string {
	s, _ := json.Marshal(b)
	return string(s[1 : len(s)-1])
}

var trailFileRE = regexp.MustCompile(`^AWSLogs/(\d{12})/CloudTrail/us-east-1/(\d{4})/(\d{2})/(\d{2})/(\d{12})_CloudTrail_us-east-1_(\d{8})T(\d{4})Z_[A-Za-z0-9]{16}\.json\.gz$`)

// readTrailDir reads every CloudTrail file under dir, checking the S3
// layout of its name.
func readTrailDir(t *testing.T, dir string) []trail.Record {
	t.Helper()
	var recs []trail.Record
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		m := trailFileRE.FindStringSubmatch(filepath.ToSlash(rel))
		if m == nil {
			t.Errorf("file %s is not in CloudTrail's S3 layout", rel)
			return nil
		}
		if m[1] != m[5] || m[2]+m[3]+m[4] != m[6] {
			t.Errorf("file %s: account or date of the path and the name differ", rel)
		}
		if minute, _ := strconv.Atoi(m[7][2:]); minute%5 != 0 {
			t.Errorf("file %s: time is not on a five-minute boundary", rel)
		}
		if info, _ := d.Info(); info.Mode().Perm()&0o077 != 0 {
			t.Errorf("file %s has mode %v", rel, info.Mode().Perm())
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			return err
		}
		b, err := io.ReadAll(zr)
		if err != nil {
			return err
		}
		var doc struct{ Records []trail.Record }
		if err := json.Unmarshal(b, &doc); err != nil {
			return fmt.Errorf("%s: %w", rel, err)
		}
		recs = append(recs, doc.Records...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// Concurrent clients: no data race (run with -race), and exactly one record
// per call, in memory and in the S3-layout files after Shutdown.
func TestConcurrentTrail(t *testing.T) {
	dir := t.TempDir()
	e := newEnv(t, func(o *kms.Options) { o.TrailDir = dir })
	keyARN := e.createKey(withAdmin(canonicalPolicy))
	e.srv.ResetTrail()

	const workers, perWorker = 8, 25
	var calls sync.WaitGroup
	var mu sync.Mutex
	counts := map[string]int{}
	count := func(name string) {
		mu.Lock()
		counts[name]++
		mu.Unlock()
	}
	for w := 0; w < workers; w++ {
		calls.Add(1)
		go func(w int) {
			defer calls.Done()
			ak := []string{akFAS, akCaller, akService, akOutsider}[w%4]
			c := e.client(ak)
			if ak == akService {
				c = e.serviceClient(recARN)
			}
			for i := 0; i < perWorker; i++ {
				ec := recEC(fmt.Sprintf("%s-%d-%d", recARN, w, i))
				dk, err := c.GenerateDataKey(e.ctx, gdk(keyARN, ec))
				count("GenerateDataKey")
				if err != nil {
					continue // the outsider is denied: still one record
				}
				_, err = c.Decrypt(e.ctx, &awskms.DecryptInput{CiphertextBlob: dk.CiphertextBlob, EncryptionContext: ec})
				count("Decrypt")
				if err != nil {
					t.Errorf("Decrypt: %v", err)
				}
				if i%5 == 0 {
					_, err = c.DescribeKey(e.ctx, &awskms.DescribeKeyInput{KeyId: aws.String(keyARN)})
					count("DescribeKey")
				}
			}
		}(w)
	}
	calls.Wait()

	total := 0
	for _, n := range counts {
		total += n
	}
	check := func(where string, recs []trail.Record) {
		t.Helper()
		got := map[string]int{}
		ids := map[string]bool{}
		for _, r := range recs {
			got[r.EventName]++
			if ids[r.EventID] {
				t.Errorf("%s: event id %s twice", where, r.EventID)
			}
			ids[r.EventID] = true
		}
		if len(recs) != total || fmt.Sprint(got) != fmt.Sprint(counts) {
			t.Errorf("%s: %d records %v, want %d %v", where, len(recs), got, total, counts)
		}
	}
	check("memory", e.srv.Trail())

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	files := readTrailDir(t, dir)
	// The files also hold the CreateKey from before ResetTrail.
	var kept []trail.Record
	for _, r := range files {
		if r.EventName != "CreateKey" {
			kept = append(kept, r)
		}
	}
	if len(files)-len(kept) != 1 {
		t.Errorf("files hold %d CreateKey records, want 1", len(files)-len(kept))
	}
	check("files", kept)
}
