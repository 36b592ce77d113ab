package kms_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// rawCall sends one signed POST with the AWS SDK's own signer and returns
// the status, the __type and the decoded body.
type rawResult struct {
	status int
	header http.Header
	body   map[string]any
}

func (e *env) raw(method, target string, body []byte, sign func(*http.Request)) rawResult {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.Endpoint()+"/", bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	if target != "" {
		req.Header.Set("X-Amz-Target", target)
	}
	if sign != nil {
		sign(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		e.t.Fatalf("response is not a JSON object: %q", b)
	}
	return rawResult{status: resp.StatusCode, header: resp.Header, body: m}
}

func signAs(ak, secret string, body []byte, at time.Time) func(*http.Request) {
	return func(r *http.Request) {
		sum := sha256.Sum256(body)
		err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: ak, SecretAccessKey: secret},
			r, hex.EncodeToString(sum[:]), "kms", region, at)
		if err != nil {
			panic(err)
		}
	}
}

func TestWireProtocol(t *testing.T) {
	e := newEnv(t)
	keyARN := e.createKey("")
	before := len(e.srv.Trail())
	admin := func(body []byte) func(*http.Request) { return signAs(akAdmin, "admin-secret", body, time.Now()) }

	describe := []byte(`{"KeyId": "` + keyARN + `", "SomeFutureMember": true}`)
	r := e.raw("POST", "TrentService.DescribeKey", describe, admin(describe))
	if r.status != 200 || r.header.Get("Content-Type") != "application/x-amz-json-1.1" || r.header.Get("X-Amzn-Requestid") == "" {
		t.Fatalf("DescribeKey: %d %v %v", r.status, r.header, r.body)
	}
	md := r.body["KeyMetadata"].(map[string]any)
	if md["Arn"] != keyARN || md["KeyState"] != "Enabled" {
		t.Errorf("KeyMetadata %v", md)
	}
	if _, ok := md["CreationDate"].(float64); !ok {
		t.Errorf("CreationDate is not epoch seconds: %v", md["CreationDate"])
	}

	cases := []struct {
		name, method, target string
		body                 []byte
		sign                 func([]byte) func(*http.Request)
		status               int
		code                 string
		logged               bool
	}{
		{"unknown operation", "POST", "TrentService.DoMagic", []byte(`{}`), admin, 400, "UnknownOperationException", false},
		{"no target", "POST", "", []byte(`{}`), admin, 400, "UnknownOperationException", false},
		{"another service's target", "POST", "DynamoDB_20120810.ListTables", []byte(`{}`), admin, 400, "UnknownOperationException", false},
		{"GET", "GET", "TrentService.ListKeys", nil, admin, 400, "UnknownOperationException", false},
		{"unsigned", "POST", "TrentService.ListKeys", []byte(`{}`), nil, 403, "MissingAuthenticationTokenException", false},
		{"expired signature", "POST", "TrentService.ListKeys", []byte(`{}`), func(b []byte) func(*http.Request) {
			return signAs(akAdmin, "admin-secret", b, time.Now().Add(-20*time.Minute))
		}, 400, "InvalidSignatureException", false},
		{"body changed after signing", "POST", "TrentService.ListKeys", []byte(`{"Limit": 5}`), func(b []byte) func(*http.Request) {
			return signAs(akAdmin, "admin-secret", []byte(`{"Limit": 1}`), time.Now())
		}, 400, "InvalidSignatureException", false},
		{"body not an object", "POST", "TrentService.ListKeys", []byte(`[1]`), admin, 400, "SerializationException", true},
		{"member of the wrong type", "POST", "TrentService.DescribeKey", []byte(`{"KeyId": 5}`), admin, 400, "SerializationException", true},
		{"trailing data", "POST", "TrentService.ListKeys", []byte(`{} {}`), admin, 400, "SerializationException", true},
		{"missing member", "POST", "TrentService.DescribeKey", []byte(`{}`), admin, 400, "ValidationException", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var sign func(*http.Request)
			if tc.sign != nil {
				sign = tc.sign(tc.body)
			}
			n := len(e.srv.Trail())
			r := e.raw(tc.method, tc.target, tc.body, sign)
			if r.status != tc.status || r.body["__type"] != tc.code || r.header.Get("X-Amzn-Errortype") != tc.code {
				t.Fatalf("got %d %v, want %d %s", r.status, r.body, tc.status, tc.code)
			}
			if msg, _ := r.body["message"].(string); msg == "" {
				t.Errorf("no message: %v", r.body)
			}
			logged := len(e.srv.Trail()) - n
			if tc.logged != (logged == 1) || logged > 1 {
				t.Errorf("%d records written, want logged=%v", logged, tc.logged)
			}
		})
	}
	if got := len(e.srv.Trail()) - before; got != 1+4 {
		t.Errorf("%d records for 1 good and 4 malformed authenticated calls", got)
	}

	big := []byte(`{"KeyId": "` + strings.Repeat("a", 300<<10) + `"}`)
	r = e.raw("POST", "TrentService.DescribeKey", big, admin(big))
	if r.status != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: %d %v", r.status, r.body)
	}
}
