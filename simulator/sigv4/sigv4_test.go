package sigv4

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

var secrets = map[string]string{"AKIDEXAMPLE000000001": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}

func verifier(now time.Time) *Verifier {
	return &Verifier{Service: "kms", Region: "us-east-1", Now: func() time.Time { return now },
		Secret: func(ak string) (string, bool) { s, ok := secrets[ak]; return s, ok }}
}

// sign signs r with the AWS SDK's signer, the reference implementation.
func sign(t *testing.T, r *http.Request, body []byte, ak, secret, token, region string, at time.Time) {
	t.Helper()
	sum := sha256.Sum256(body)
	err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: ak, SecretAccessKey: secret, SessionToken: token},
		r, hex.EncodeToString(sum[:]), "kms", region, at)
	if err != nil {
		t.Fatal(err)
	}
}

func newRequest(t *testing.T, url string, body []byte, headers map[string]string) *http.Request {
	t.Helper()
	r, err := http.NewRequest("POST", url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		r.Header.Set(k, v)
	}
	return r
}

func TestVerifyAgainstSDKSigner(t *testing.T) {
	now := time.Date(2026, 5, 4, 3, 2, 1, 0, time.UTC)
	v := verifier(now)
	const ak = "AKIDEXAMPLE000000001"
	secret := secrets[ak]
	body := []byte(`{"KeyId": "alias/x"}`)
	cases := []struct {
		name    string
		url     string
		headers map[string]string
		token   string
		mutate  func(r *http.Request) []byte // after signing; returns the body the server sees
		code    string
	}{
		{name: "plain", url: "http://127.0.0.1:4566/"},
		{name: "amz headers and odd spacing", url: "http://127.0.0.1:4566/", headers: map[string]string{
			"X-Amz-Target": "TrentService.DescribeKey", "Content-Type": "application/x-amz-json-1.1", "X-Custom": "  a   b  "}},
		{name: "session token", url: "http://127.0.0.1:4566/", token: "FwoGZXIvYXdzEXAMPLE"},
		{name: "query string and path", url: "http://127.0.0.1:4566/a%20b/c?z=1&a=2&a=1&sp=x%20y&t=~"},
		{name: "default port", url: "http://localhost:80/"},
		{name: "headers the client did not sign are ignored", url: "http://127.0.0.1:4566/", mutate: func(r *http.Request) []byte {
			r.Header.Set("Accept-Encoding", "gzip")
			r.Header.Set("User-Agent", "changed")
			return body
		}},
		{name: "changed body", url: "http://127.0.0.1:4566/", mutate: func(r *http.Request) []byte { return []byte(`{"KeyId": "alias/y"}`) }, code: CodeInvalid},
		{name: "changed signed header", url: "http://127.0.0.1:4566/", headers: map[string]string{"X-Amz-Target": "TrentService.DescribeKey"},
			mutate: func(r *http.Request) []byte {
				r.Header.Set("X-Amz-Target", "TrentService.ScheduleKeyDeletion")
				return body
			}, code: CodeInvalid},
		{name: "changed host", url: "http://127.0.0.1:4566/", mutate: func(r *http.Request) []byte { r.Host = "127.0.0.1:4567"; return body }, code: CodeInvalid},
		{name: "changed path", url: "http://127.0.0.1:4566/", mutate: func(r *http.Request) []byte { r.URL.Path = "/x"; return body }, code: CodeInvalid},
		{name: "claimed payload hash differs", url: "http://127.0.0.1:4566/", mutate: func(r *http.Request) []byte {
			r.Header.Set("X-Amz-Content-Sha256", strings.Repeat("0", 64))
			return body
		}, code: CodeInvalid},
		{name: "no authorization", url: "http://127.0.0.1:4566/", mutate: func(r *http.Request) []byte { r.Header.Del("Authorization"); return body }, code: CodeMissingToken},
		{name: "unknown key", url: "http://127.0.0.1:4566/", mutate: func(r *http.Request) []byte {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), ak, "AKIDUNKNOWN000000001", 1))
			return body
		}, code: CodeUnrecognized},
		{name: "no date", url: "http://127.0.0.1:4566/", mutate: func(r *http.Request) []byte { r.Header.Del("X-Amz-Date"); return body }, code: CodeIncomplete},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRequest(t, tc.url, body, tc.headers)
			sign(t, r, body, ak, secret, tc.token, "us-east-1", now)
			// What the server sees: the Host header, not the URL's host.
			r.Host = r.URL.Host
			seen := body
			if tc.mutate != nil {
				seen = tc.mutate(r)
			}
			res, err := v.Verify(r, seen)
			var se *Error
			switch {
			case tc.code == "" && err != nil:
				t.Fatalf("rejected: %v", err)
			case tc.code != "" && (!errors.As(err, &se) || se.Code != tc.code):
				t.Fatalf("got %v, want %s", err, tc.code)
			case tc.code == "" && (res.AccessKeyID != ak || !res.Time.Equal(now) || res.SessionToken != tc.token):
				t.Fatalf("result %+v", res)
			}
		})
	}
}

func TestVerifyScopeAndTime(t *testing.T) {
	now := time.Date(2026, 5, 4, 3, 2, 1, 0, time.UTC)
	const ak = "AKIDEXAMPLE000000001"
	body := []byte(`{}`)
	cases := []struct {
		name   string
		at     time.Time
		region string
		secret string
		code   string
	}{
		{"within skew", now.Add(-14 * time.Minute), "us-east-1", secrets[ak], ""},
		{"expired", now.Add(-16 * time.Minute), "us-east-1", secrets[ak], CodeInvalid},
		{"in the future", now.Add(16 * time.Minute), "us-east-1", secrets[ak], CodeInvalid},
		{"other region", now, "eu-west-1", secrets[ak], CodeInvalid},
		{"wrong secret", now, "us-east-1", "not-the-secret", CodeInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRequest(t, "http://127.0.0.1:1/", body, nil)
			sign(t, r, body, ak, tc.secret, "", tc.region, tc.at)
			r.Host = r.URL.Host
			_, err := verifier(now).Verify(r, body)
			var se *Error
			if tc.code == "" && err != nil || tc.code != "" && (!errors.As(err, &se) || se.Code != tc.code) {
				t.Fatalf("got %v, want %q", err, tc.code)
			}
		})
	}
}

func TestParseAuthorization(t *testing.T) {
	good := "AWS4-HMAC-SHA256 Credential=AKID/20260504/us-east-1/kms/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + strings.Repeat("ab", 32)
	a, err := ParseAuthorization(good)
	if err != nil || a.AccessKeyID != "AKID" || a.Region != "us-east-1" || a.Service != "kms" || len(a.SignedHeaders) != 2 {
		t.Fatalf("%+v %v", a, err)
	}
	bad := []string{
		"",
		"AWS AKID:sig",
		"AWS4-HMAC-SHA512 Credential=x",
		"AWS4-HMAC-SHA256 Credential=AKID/20260504/us-east-1/kms/aws4_request, SignedHeaders=host",
		"AWS4-HMAC-SHA256 Credential=AKID/20260504/us-east-1/kms, SignedHeaders=host, Signature=" + strings.Repeat("ab", 32),
		"AWS4-HMAC-SHA256 Credential=AKID/2026-05-04/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=" + strings.Repeat("ab", 32),
		"AWS4-HMAC-SHA256 Credential=AKID/20260504/us-east-1/kms/aws4_request, SignedHeaders=x-amz-date;host, Signature=" + strings.Repeat("ab", 32),
		"AWS4-HMAC-SHA256 Credential=AKID/20260504/us-east-1/kms/aws4_request, SignedHeaders=Host, Signature=" + strings.Repeat("ab", 32),
		"AWS4-HMAC-SHA256 Credential=AKID/20260504/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=xyz",
		"AWS4-HMAC-SHA256 Credential=AKID/20260504/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=" + strings.Repeat("zz", 32),
		"AWS4-HMAC-SHA256 Credential=AKID/20260504/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=" + strings.Repeat("ab", 32) + ", Extra=1",
		"AWS4-HMAC-SHA256 Credential=AKID/20260504/us-east-1/kms/aws4_request, SignedHeaders=host, Signature",
	}
	for _, h := range bad {
		if _, err := ParseAuthorization(h); err == nil {
			t.Errorf("accepted %q", h)
		}
	}
}

// FuzzParseAuthorization: the Authorization parser never panics, and what
// it accepts is well formed.
func FuzzParseAuthorization(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKID/20260504/us-east-1/kms/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + strings.Repeat("ab", 32))
	f.Add("AWS4-HMAC-SHA256 Credential=/////, SignedHeaders=;, Signature=")
	f.Add("AWS4-HMAC-SHA256 ,,,")
	f.Add("AWS4-HMAC-SHA256 Credential==, SignedHeaders==, Signature==")
	f.Fuzz(func(t *testing.T, h string) {
		a, err := ParseAuthorization(h)
		if err != nil {
			var se *Error
			if !errors.As(err, &se) || se.Code != CodeIncomplete {
				t.Fatalf("error %v is not an IncompleteSignature", err)
			}
			return
		}
		if a.AccessKeyID == "" || len(a.Signature) != 64 || len(a.SignedHeaders) == 0 {
			t.Fatalf("accepted %q as %+v", h, a)
		}
	})
}

// FuzzVerify: arbitrary headers and bodies never panic the verifier, and
// only requests signed with the secret pass.
func FuzzVerify(f *testing.F) {
	now := time.Date(2026, 5, 4, 3, 2, 1, 0, time.UTC)
	f.Add("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE000000001/20260504/us-east-1/kms/aws4_request, SignedHeaders=host;x-amz-date, Signature="+strings.Repeat("ab", 32), "20260504T030201Z", "/", []byte("{}"))
	f.Add("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE000000001/20260504/us-east-1/kms/aws4_request, SignedHeaders=content-length;host;x-amz-date;x-weird, Signature="+strings.Repeat("00", 32), "20260504T030201Z", "/%zz?a=%zz", []byte(""))
	f.Fuzz(func(t *testing.T, auth, date, path string, body []byte) {
		r, err := http.NewRequest("POST", "http://127.0.0.1:1/", bytes.NewReader(body))
		if err != nil {
			return
		}
		r.URL.RawPath = path
		r.Header.Set("Authorization", auth)
		r.Header.Set("X-Amz-Date", date)
		r.Host = "127.0.0.1:1"
		if _, err := verifier(now).Verify(r, body); err == nil {
			t.Fatalf("a forged request passed: %q", auth)
		}
	})
}
