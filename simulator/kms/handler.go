package kms

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kmslint/kmslint/simulator/identity"
	"github.com/kmslint/kmslint/simulator/kms/trail"
	"github.com/kmslint/kmslint/simulator/sigv4"
)

const (
	targetPrefix = "TrentService."
	contentType  = "application/x-amz-json-1.1"
	// maxBody bounds a request body. The largest legitimate KMS request
	// (a 32 KB policy, JSON-escaped) is well under it.
	maxBody = 256 << 10
	// ContextHeader lets a service-principal identity add condition keys
	// to its request, e.g. {"aws:SourceArn": "arn:..."} (CONTRACT.md).
	ContextHeader = "X-Kmslint-Context"
)

// operation is one KMS API operation.
type operation struct {
	name     string
	fn       func(c *call, body []byte) (any, *APIError)
	readOnly bool
}

// lookupOp maps an X-Amz-Target operation name to its implementation.
func lookupOp(name string) (operation, bool) {
	var (
		fn       func(c *call, body []byte) (any, *APIError)
		readOnly bool
	)
	switch name {
	case "CreateKey":
		fn = (*call).createKey
	case "DescribeKey":
		fn, readOnly = (*call).describeKey, true
	case "GetKeyPolicy":
		fn, readOnly = (*call).getKeyPolicy, true
	case "PutKeyPolicy":
		fn = (*call).putKeyPolicy
	case "ListKeys":
		fn, readOnly = (*call).listKeys, true
	case "EnableKey":
		fn = (*call).enableKey
	case "DisableKey":
		fn = (*call).disableKey
	case "ScheduleKeyDeletion":
		fn = (*call).scheduleKeyDeletion
	case "CancelKeyDeletion":
		fn = (*call).cancelKeyDeletion
	case "CreateAlias":
		fn = (*call).createAlias
	case "DeleteAlias":
		fn = (*call).deleteAlias
	case "ListAliases":
		fn, readOnly = (*call).listAliases, true
	case "Encrypt":
		fn, readOnly = (*call).encrypt, true
	case "Decrypt":
		fn, readOnly = (*call).decrypt, true
	case "ReEncrypt":
		fn, readOnly = (*call).reEncrypt, true
	case "GenerateDataKey":
		fn, readOnly = (*call).generateDataKey, true
	case "GenerateDataKeyWithoutPlaintext":
		fn, readOnly = (*call).generateDataKeyWithoutPlaintext, true
	case "GenerateRandom":
		fn, readOnly = (*call).generateRandom, true
	case "CreateGrant":
		fn = (*call).createGrant
	case "ListGrants":
		fn, readOnly = (*call).listGrants, true
	case "RevokeGrant":
		fn = (*call).revokeGrant
	case "RetireGrant":
		fn = (*call).retireGrant
	case "ListRetirableGrants":
		fn, readOnly = (*call).listRetirableGrants, true
	case "TagResource":
		fn = (*call).tagResource
	case "UntagResource":
		fn = (*call).untagResource
	case "ListResourceTags":
		fn, readOnly = (*call).listResourceTags, true
	case "Sign":
		fn, readOnly = (*call).sign, true
	case "Verify":
		fn, readOnly = (*call).verify, true
	case "GetPublicKey":
		fn, readOnly = (*call).getPublicKey, true
	case "GenerateDataKeyPair":
		fn, readOnly = (*call).generateDataKeyPair, true
	case "GenerateDataKeyPairWithoutPlaintext":
		fn, readOnly = (*call).generateDataKeyPairWithoutPlaintext, true
	case "GenerateMac":
		fn, readOnly = (*call).generateMac, true
	case "VerifyMac":
		fn, readOnly = (*call).verifyMac, true
	case "EnableKeyRotation":
		fn = (*call).enableKeyRotation
	case "DisableKeyRotation":
		fn = (*call).disableKeyRotation
	case "GetKeyRotationStatus":
		fn, readOnly = (*call).getKeyRotationStatus, true
	case "RotateKeyOnDemand":
		fn = (*call).rotateKeyOnDemand
	case "ListKeyRotations":
		fn, readOnly = (*call).listKeyRotations, true
	case "UpdateAlias":
		fn = (*call).updateAlias
	case "UpdateKeyDescription":
		fn = (*call).updateKeyDescription
	case "ListKeyPolicies":
		fn, readOnly = (*call).listKeyPolicies, true
	case "DescribeCustomKeyStores":
		fn, readOnly = (*call).describeCustomKeyStores, true
	default:
		return operation{}, false
	}
	return operation{name: name, fn: fn, readOnly: readOnly}, true
}

// call is one request being served: who, what, and what the trail record
// will say about it.
type call struct {
	s         *Server
	id        *identity.Identity
	op        operation
	now       time.Time
	requestID string
	sourceIP  string
	userAgent string
	secure    bool
	// headerContext holds the X-Kmslint-Context keys of a service identity.
	headerContext map[string][]string

	// Filled in by the operation for the trail record.
	params     any
	response   any
	additional any
	resources  []trail.Resource
	recipient  string // account of the resource, when there is one
}

// ServeHTTP serves one KMS request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	requestID := newRequestID()
	target := r.Header.Get("X-Amz-Target")
	name, ok := strings.CutPrefix(target, targetPrefix)
	var op operation
	if ok {
		op, ok = lookupOp(name)
	}
	if !ok || r.Method != http.MethodPost {
		// Refused before authentication, and not logged: it is no KMS call.
		writeError(w, requestID, clientErr(CodeUnknownOperation, "Operation %q is not a KMS operation this endpoint serves (send POST with X-Amz-Target: TrentService.<Operation>)", target))
		return
	}
	buf, _ := s.bodies.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	buf.Reset()
	defer s.bodies.Put(buf)
	n, err := buf.ReadFrom(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		writeError(w, requestID, clientErr(CodeSerialization, "could not read the request body: %v", err))
		return
	}
	if n > maxBody {
		writeError(w, requestID, &APIError{Code: CodeValidation, Message: "request body is larger than " + strconv.Itoa(maxBody) + " bytes", Status: http.StatusRequestEntityTooLarge})
		return
	}
	body := buf.Bytes()
	auth, err := s.verifier.Verify(r, body)
	if err != nil {
		// Requests that fail authentication belong to no account and are not
		// logged to CloudTrail.
		var se *sigv4.Error
		if errors.As(err, &se) {
			status := http.StatusBadRequest
			if se.Code == sigv4.CodeMissingToken {
				status = http.StatusForbidden
			}
			writeError(w, requestID, &APIError{Code: se.Code, Message: se.Message, Status: status})
			return
		}
		writeError(w, requestID, internal(err))
		return
	}
	id, _ := s.ids.Lookup(auth.AccessKeyID)
	c := &call{
		s:         s,
		id:        id,
		op:        op,
		now:       s.now(),
		requestID: requestID,
		sourceIP:  remoteIP(r),
		userAgent: r.Header.Get("User-Agent"),
		secure:    r.TLS != nil,
	}
	var (
		out    any
		apiErr *APIError
	)
	if h := r.Header.Get(ContextHeader); h != "" {
		c.headerContext, apiErr = parseContextHeader(h, id)
	}
	if apiErr == nil {
		out, apiErr = op.fn(c, body)
	}
	var resp []byte
	if apiErr == nil {
		if resp, err = json.Marshal(out); err != nil {
			apiErr = internal(err)
		}
	}
	// The record is written before the response, so a client that has its
	// answer finds the call in the trail.
	s.record(c.record(apiErr))
	if apiErr != nil {
		writeError(w, requestID, apiErr)
		return
	}
	writeJSON(w, requestID, resp)
}

// record hands a record to the sinks, keeping the first failure for
// FlushTrail and Shutdown to report: the caller's request succeeded either
// way, as a real KMS call does when log delivery lags.
func (s *Server) record(r *trail.Record) {
	if err := s.sinks.Write(r); err != nil {
		s.mu.Lock()
		if s.trailErr == nil {
			s.trailErr = err
		}
		s.mu.Unlock()
	}
}

func writeJSON(w http.ResponseWriter, requestID string, b []byte) {
	h := w.Header()
	h["Content-Type"] = []string{contentType}
	h["X-Amzn-Requestid"] = []string{requestID}
	h["Content-Length"] = []string{strconv.Itoa(len(b))}
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}

func writeError(w http.ResponseWriter, requestID string, e *APIError) {
	b, _ := json.Marshal(struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}{e.Code, e.Message})
	h := w.Header()
	h["Content-Type"] = []string{contentType}
	h["X-Amzn-Requestid"] = []string{requestID}
	h["X-Amzn-Errortype"] = []string{e.Code}
	h["Content-Length"] = []string{strconv.Itoa(len(b))}
	w.WriteHeader(e.Status)
	w.Write(b)
}

// parseContextHeader reads X-Kmslint-Context: a JSON object of condition
// keys to a string or a list of strings. Only service identities may send
// it; for anyone else extra context would forge the request context.
func parseContextHeader(h string, id *identity.Identity) (map[string][]string, *APIError) {
	if id.Kind != identity.Service {
		return nil, validation("%s is accepted only from service-principal identities, not from %s", ContextHeader, id.Name())
	}
	m, err := decodeContextHeader([]byte(h))
	if err != nil {
		return nil, validation("%s: %v", ContextHeader, err)
	}
	return m, nil
}

// decodeContextHeader parses the header's JSON.
func decodeContextHeader(b []byte) (map[string][]string, error) {
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&raw); err != nil {
		return nil, errors.New("must be a JSON object of condition keys to strings or lists of strings")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON object")
	}
	if raw == nil {
		return nil, errors.New("must be a JSON object")
	}
	out := make(map[string][]string, len(raw))
	seen := make(map[string]bool, len(raw))
	for k, v := range raw {
		if !strings.Contains(k, ":") || strings.ContainsAny(k, " \t\r\n") {
			return nil, errors.New("key " + strconv.Quote(k) + " is not a condition key like aws:SourceArn")
		}
		lk := strings.ToLower(k)
		if seen[lk] {
			return nil, errors.New("key " + strconv.Quote(k) + " is given twice")
		}
		seen[lk] = true
		var one string
		if err := json.Unmarshal(v, &one); err == nil {
			out[k] = []string{one}
			continue
		}
		var many []string
		if err := json.Unmarshal(v, &many); err != nil || many == nil {
			return nil, errors.New("value of " + strconv.Quote(k) + " must be a string or a list of strings")
		}
		out[k] = many
	}
	return out, nil
}

func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// newRequestID returns a random UUID string for request and event ids.
func newRequestID() string {
	id, err := newUUID()
	if err != nil {
		// crypto/rand does not fail on supported platforms; a constant id
		// only weakens uniqueness of log ids, never key material.
		return "00000000-0000-4000-8000-000000000000"
	}
	return formatUUID(id)
}
