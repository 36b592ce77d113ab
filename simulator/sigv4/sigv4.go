// Package sigv4 verifies AWS Signature Version 4 on requests the simulator
// receives, the way an AWS service endpoint does: it rebuilds the canonical
// request from exactly the headers the client says it signed, derives the
// signing key from the caller's secret, and compares signatures in constant
// time.
//
// Algorithm: https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
// Only header-based authentication (the Authorization header) is supported:
// AWS SDKs and the CLI use it for KMS; query-string (presigned) requests are
// refused with MissingAuthenticationTokenException.
package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/smithy-go/encoding/httpbinding"
)

// Error is an authentication failure, named by the error code AWS's JSON
// protocols return for it.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Error codes.
const (
	CodeMissingToken = "MissingAuthenticationTokenException"
	CodeIncomplete   = "IncompleteSignatureException"
	CodeUnrecognized = "UnrecognizedClientException"
	CodeInvalid      = "InvalidSignatureException"
)

const (
	algorithm  = "AWS4-HMAC-SHA256"
	timeFormat = "20060102T150405Z"
	dateFormat = "20060102"
	// MaxSkew is how far the request time may be from the server's clock.
	// https://docs.aws.amazon.com/IAM/latest/UserGuide/signing-elements.html ("within 15 minutes")
	MaxSkew = 15 * time.Minute
)

// Authorization is a parsed Authorization header.
type Authorization struct {
	AccessKeyID string
	Date        string // yyyymmdd of the credential scope
	Region      string
	Service     string
	// SignedHeaders are lower-case, as listed (sorted by the client).
	SignedHeaders []string
	Signature     string // lower-case hex
}

// ParseAuthorization parses
//
//	AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/kms/aws4_request, SignedHeaders=host;x-amz-date, Signature=hex
func ParseAuthorization(h string) (Authorization, error) {
	var a Authorization
	rest, ok := strings.CutPrefix(h, algorithm+" ")
	if !ok {
		if strings.HasPrefix(h, "AWS4-") || strings.HasPrefix(h, "AWS ") {
			return a, &Error{CodeIncomplete, "Unsupported signing algorithm; only " + algorithm + " is accepted."}
		}
		return a, &Error{CodeIncomplete, "Authorization header requires '" + algorithm + "' as its first word."}
	}
	var cred, signed, sig string
	var haveCred, haveSigned, haveSig bool
	for _, part := range strings.Split(rest, ",") {
		part = strings.TrimSpace(part)
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return a, &Error{CodeIncomplete, "Authorization header element '" + part + "' is not a key=value pair."}
		}
		switch k {
		case "Credential":
			cred, haveCred = v, true
		case "SignedHeaders":
			signed, haveSigned = v, true
		case "Signature":
			sig, haveSig = v, true
		default:
			return a, &Error{CodeIncomplete, "Authorization header has an unknown element '" + k + "'."}
		}
	}
	if !haveCred || !haveSigned || !haveSig {
		return a, &Error{CodeIncomplete, "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters."}
	}
	scope := strings.Split(cred, "/")
	if len(scope) != 5 || scope[0] == "" || scope[4] != "aws4_request" {
		return a, &Error{CodeIncomplete, "Credential must have the form ACCESS_KEY/DATE/REGION/SERVICE/aws4_request."}
	}
	a.AccessKeyID, a.Date, a.Region, a.Service = scope[0], scope[1], scope[2], scope[3]
	if _, err := time.Parse(dateFormat, a.Date); err != nil {
		return a, &Error{CodeIncomplete, "Credential date '" + a.Date + "' is not yyyyMMdd."}
	}
	if signed == "" {
		return a, &Error{CodeIncomplete, "SignedHeaders is empty."}
	}
	a.SignedHeaders = strings.Split(signed, ";")
	for i, sh := range a.SignedHeaders {
		if sh == "" || sh != strings.ToLower(sh) || (i > 0 && a.SignedHeaders[i-1] >= sh) {
			return a, &Error{CodeIncomplete, "SignedHeaders must be lower-case header names, sorted and separated by ';'."}
		}
	}
	if len(sig) != 64 {
		return a, &Error{CodeIncomplete, "Signature must be 64 hexadecimal characters."}
	}
	if _, err := hex.DecodeString(sig); err != nil {
		return a, &Error{CodeIncomplete, "Signature must be 64 hexadecimal characters."}
	}
	a.Signature = strings.ToLower(sig)
	return a, nil
}

// Verifier checks signatures. It is safe for concurrent use.
type Verifier struct {
	// Service and Region the endpoint serves, e.g. "kms", "us-east-1".
	Service, Region string
	// Secret returns the secret access key of an access key id.
	Secret func(accessKeyID string) (string, bool)
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	keys sync.Map // derived signing keys: secret|date -> []byte
}

// Result identifies a verified request.
type Result struct {
	AccessKeyID   string
	SessionToken  string // X-Amz-Security-Token, when sent
	Time          time.Time
	SignedHeaders []string
}

// Verify authenticates r, whose body the caller has already read into
// body. It never modifies r.
func (v *Verifier) Verify(r *http.Request, body []byte) (Result, error) {
	var res Result
	h := r.Header.Get("Authorization")
	if h == "" {
		if r.URL.Query().Get("X-Amz-Signature") != "" {
			return res, &Error{CodeMissingToken, "Query-string (presigned) authentication is not supported by this endpoint; sign the Authorization header."}
		}
		return res, &Error{CodeMissingToken, "Missing Authentication Token"}
	}
	a, err := ParseAuthorization(h)
	if err != nil {
		return res, err
	}
	secret, ok := v.Secret(a.AccessKeyID)
	if !ok {
		return res, &Error{CodeUnrecognized, "The security token included in the request is invalid."}
	}
	amzDate := r.Header.Get("X-Amz-Date")
	if amzDate == "" {
		if !contains(a.SignedHeaders, "date") {
			return res, &Error{CodeIncomplete, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."}
		}
		return res, &Error{CodeIncomplete, "Only X-Amz-Date is supported as the request time; the Date header is not."}
	}
	t, err := time.Parse(timeFormat, amzDate)
	if err != nil {
		return res, &Error{CodeIncomplete, "X-Amz-Date '" + amzDate + "' is not in the format yyyyMMdd'T'HHmmss'Z'."}
	}
	if a.Date != amzDate[:8] {
		return res, &Error{CodeInvalid, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '" + a.Date + "' != '" + amzDate[:8] + "', from '" + amzDate + "'."}
	}
	if a.Service != v.Service {
		return res, &Error{CodeInvalid, "Credential should be scoped to correct service: '" + v.Service + "'. "}
	}
	if a.Region != v.Region {
		return res, &Error{CodeInvalid, "Credential should be scoped to a valid region, not '" + a.Region + "'. "}
	}
	if !contains(a.SignedHeaders, "host") {
		return res, &Error{CodeIncomplete, "SignedHeaders must include 'host'."}
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	n := now().UTC()
	if t.Before(n.Add(-MaxSkew)) {
		return res, &Error{CodeInvalid, "Signature expired: " + amzDate + " is now earlier than " + n.Add(-MaxSkew).Format(timeFormat) + " (" + n.Format(timeFormat) + " - 15 min.)"}
	}
	if t.After(n.Add(MaxSkew)) {
		return res, &Error{CodeInvalid, "Signature not yet current: " + amzDate + " is still later than " + n.Add(MaxSkew).Format(timeFormat) + " (" + n.Format(timeFormat) + " + 15 min.)"}
	}
	sum := sha256.Sum256(body)
	payloadHash := hex.EncodeToString(sum[:])
	if claimed := r.Header.Get("X-Amz-Content-Sha256"); claimed != "" && claimed != payloadHash {
		// The body is what the signature must cover; a claimed hash that
		// differs (UNSIGNED-PAYLOAD included, which only S3 accepts) would
		// let the body be swapped under a valid signature.
		return res, &Error{CodeInvalid, "The provided 'x-amz-content-sha256' header does not match what was computed."}
	}
	key := v.signingKey(secret, a.Date)
	scope := a.Date + "/" + a.Region + "/" + a.Service + "/aws4_request"
	if !v.matches(r, r.Host, a, payloadHash, amzDate, scope, key) {
		// Clients drop a default port from the host they sign while the
		// Host header may keep it (the SDK's SanitizeHostForHeader).
		host, ok := stripDefaultPort(r.Host)
		if !ok || !v.matches(r, host, a, payloadHash, amzDate, scope, key) {
			return res, &Error{CodeInvalid, "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."}
		}
	}
	return Result{AccessKeyID: a.AccessKeyID, SessionToken: r.Header.Get("X-Amz-Security-Token"), Time: t, SignedHeaders: a.SignedHeaders}, nil
}

func (v *Verifier) matches(r *http.Request, host string, a Authorization, payloadHash, amzDate, scope string, key []byte) bool {
	creq := canonicalRequest(r, host, a.SignedHeaders, payloadHash)
	want := hex.EncodeToString(hmacSHA256(key, []byte(StringToSign(amzDate, scope, creq))))
	return subtle.ConstantTimeCompare([]byte(want), []byte(a.Signature)) == 1
}

func stripDefaultPort(host string) (string, bool) {
	for _, p := range []string{":80", ":443"} {
		if h, ok := strings.CutSuffix(host, p); ok {
			return h, true
		}
	}
	return host, false
}

// signingKey derives (and caches) kSigning = HMAC chain over date, region,
// service and "aws4_request". The cache is keyed by secret and date, so a
// long-running server holds at most identities x days entries.
func (v *Verifier) signingKey(secret, date string) []byte {
	ck := date + "\x00" + secret
	if k, ok := v.keys.Load(ck); ok {
		return k.([]byte)
	}
	k := hmacSHA256([]byte("AWS4"+secret), []byte(date))
	k = hmacSHA256(k, []byte(v.Region))
	k = hmacSHA256(k, []byte(v.Service))
	k = hmacSHA256(k, []byte("aws4_request"))
	v.keys.Store(ck, k)
	return k
}

func hmacSHA256(key, data []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(data)
	return m.Sum(nil)
}

// StringToSign is the second step of SigV4.
func StringToSign(amzDate, scope, canonicalRequest string) string {
	sum := sha256.Sum256([]byte(canonicalRequest))
	return algorithm + "\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
}

// CanonicalRequest builds the canonical request of r over the given signed
// headers (lower-case, sorted). Header values are trimmed and inner runs of
// spaces collapsed; repeated headers are joined with commas; "host" comes
// from the request line when the client sent no Host header.
func CanonicalRequest(r *http.Request, signedHeaders []string, payloadHash string) string {
	return canonicalRequest(r, r.Host, signedHeaders, payloadHash)
}

func canonicalRequest(r *http.Request, host string, signedHeaders []string, payloadHash string) string {
	var b strings.Builder
	b.Grow(256)
	b.WriteString(r.Method)
	b.WriteByte('\n')
	// Non-S3 services encode the (already escaped) path once more.
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	b.WriteString(httpbinding.EscapePath(path, false))
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(r.URL.RawQuery))
	b.WriteByte('\n')
	for _, name := range signedHeaders {
		b.WriteString(name)
		b.WriteByte(':')
		switch name {
		case "host":
			b.WriteString(stripSpaces(host))
		case "content-length":
			if vs := r.Header.Values("Content-Length"); len(vs) > 0 {
				b.WriteString(stripSpaces(vs[0]))
			} else {
				b.WriteString(strconv.FormatInt(r.ContentLength, 10))
			}
		default:
			for i, val := range r.Header.Values(name) {
				if i > 0 {
					b.WriteByte(',')
				}
				b.WriteString(stripSpaces(val))
			}
		}
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(signedHeaders, ";"))
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String()
}

// canonicalQuery sorts parameters by name then value and encodes both with
// RFC 3986 unreserved characters left alone.
func canonicalQuery(raw string) string {
	if raw == "" {
		return ""
	}
	q, err := url.ParseQuery(raw)
	if err != nil {
		// A malformed query cannot match what the client signed; keep the
		// raw text so the comparison fails rather than the parse.
		return raw
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		vals := q[k]
		sort.Strings(vals)
		for _, v := range vals {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(uriEncode(k))
			b.WriteByte('=')
			b.WriteString(uriEncode(v))
		}
	}
	return b.String()
}

func uriEncode(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

// stripSpaces trims a header value and collapses inner runs of spaces, as
// the canonical form requires.
func stripSpaces(s string) string {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "  ") {
		return s
	}
	var b strings.Builder
	space := false
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func contains(xs []string, x string) bool {
	for _, s := range xs {
		if s == x {
			return true
		}
	}
	return false
}
