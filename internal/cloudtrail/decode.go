package cloudtrail

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// decodeEvent decodes a record object that the scanner found well-formed.
//
// It does what json.Unmarshal(data, ev) does, several times faster: the
// record is already validated, so it only walks, converts and skips, with no
// second syntax pass and no reflection. That matters because on a KMS-heavy
// trail most records are decoded. Where encoding/json would report a type
// mismatch, it fails too (the record becomes an input error); otherwise the
// Event is the same, which FuzzDecodeEvent checks. JSON nulls in the raw
// members become nil.
func decodeEvent(data []byte, ev *Event) error {
	d := decoder{data: data}
	d.event(ev)
	if d.err != nil {
		return d.err
	}
	for _, m := range []*json.RawMessage{&ev.RequestParameters, &ev.ResponseElements, &ev.AdditionalEventData} {
		if bytes.Equal(*m, []byte("null")) {
			*m = nil
		}
	}
	return nil
}

// DecodeError is a member of a record whose value does not fit the Event.
type DecodeError struct {
	Field  string // dotted path, as userIdentity.sessionContext.attributes.creationDate
	Offset int64  // byte offset of the value in the record
	Err    error
}

func (e *DecodeError) Error() string { return e.Field + ": " + e.Err.Error() }

func (e *DecodeError) Unwrap() error { return e.Err }

var errMalformed = errors.New("malformed JSON")

type decoder struct {
	data []byte
	pos  int
	err  error // the first problem; decoding carries on to its end regardless
}

func (d *decoder) fail(field string, at int, err error) {
	if d.err == nil {
		d.err = &DecodeError{Field: field, Offset: int64(at), Err: err}
	}
}

func (d *decoder) mismatch(field, want string) {
	got := "a number"
	switch d.peek() {
	case '"':
		got = "a string"
	case '{':
		got = "an object"
	case '[':
		got = "an array"
	case 't', 'f':
		got = "a boolean"
	}
	d.fail(field, d.pos, fmt.Errorf("%s where %s was expected", got, want))
}

func (d *decoder) peek() byte {
	for d.pos < len(d.data) {
		switch c := d.data[d.pos]; c {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return c
		}
	}
	return 0
}

// stringEnd returns the index of the quote closing the string whose contents
// start at i, or -1.
func (d *decoder) stringEnd(i int) int {
	from := i
	for {
		j := bytes.IndexByte(d.data[i:], '"')
		if j < 0 {
			return -1
		}
		q := i + j
		n := 0
		for q-1-n >= from && d.data[q-1-n] == '\\' {
			n++
		}
		if n%2 == 0 {
			return q
		}
		i = q + 1
	}
}

// skip passes over the value at pos.
func (d *decoder) skip() {
	switch d.peek() {
	case '"':
		d.skipString()
	case '{', '[':
		depth := 0
		for d.pos < len(d.data) {
			switch d.data[d.pos] {
			case '"':
				d.skipString()
				continue
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					d.pos++
					return
				}
			}
			d.pos++
		}
		d.err, d.pos = errMalformed, len(d.data)
	default:
		start := d.pos
		for d.pos < len(d.data) {
			switch d.data[d.pos] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				if d.pos == start {
					// Not a value at all; only input the scanner would have
					// rejected gets here. Stop rather than loop.
					d.err, d.pos = errMalformed, len(d.data)
				}
				return
			}
			d.pos++
		}
	}
}

// advance moves past a literal of n bytes.
func (d *decoder) advance(n int) { d.pos = min(d.pos+n, len(d.data)) }

func (d *decoder) skipString() {
	end := d.stringEnd(d.pos + 1)
	if end < 0 {
		d.err, d.pos = errMalformed, len(d.data)
		return
	}
	d.pos = end + 1
}

// stringValue decodes the string at pos (pos is on its opening quote).
func (d *decoder) stringValue() (string, bool) {
	start := d.pos
	end := d.stringEnd(start + 1)
	if end < 0 {
		d.err, d.pos = errMalformed, len(d.data)
		return "", false
	}
	d.pos = end + 1
	content := d.data[start+1 : end]
	if bytes.IndexByte(content, '\\') < 0 && utf8.Valid(content) {
		return string(content), true
	}
	// Escapes or bad UTF-8: let encoding/json apply its exact rules.
	var s string
	if err := json.Unmarshal(d.data[start:end+1], &s); err != nil {
		d.err = errMalformed
		return "", false
	}
	return s, true
}

func (d *decoder) null() bool {
	if d.peek() == 'n' {
		d.advance(len("null"))
		return true
	}
	return false
}

func (d *decoder) str(dst *string, field string) {
	switch d.peek() {
	case '"':
		if s, ok := d.stringValue(); ok {
			*dst = s
		}
	case 'n':
		d.null()
	default:
		d.mismatch(field, "a string")
		d.skip()
	}
}

func (d *decoder) boolean(dst *bool, field string) {
	switch d.peek() {
	case 't':
		*dst = true
		d.advance(len("true"))
	case 'f':
		*dst = false
		d.advance(len("false"))
	case 'n':
		d.null()
	default:
		d.mismatch(field, "a boolean")
		d.skip()
	}
}

// rawValue returns the bytes of the value at pos.
func (d *decoder) rawValue() []byte {
	d.peek()
	start := d.pos
	d.skip()
	return d.data[start:d.pos]
}

func (d *decoder) raw(dst *json.RawMessage) {
	*dst = append((*dst)[:0], d.rawValue()...)
}

func (d *decoder) time(dst *time.Time, field string) {
	d.peek()
	at := d.pos
	if err := dst.UnmarshalJSON(d.rawValue()); err != nil {
		d.fail(field, at, err)
	}
}

// object walks the members of the object at pos. member decodes the value of
// a member it knows and reports whether it did; names lists those keys, for
// encoding/json's case-insensitive fallback match.
func (d *decoder) object(field string, names []string, member func(key []byte) bool) {
	switch d.peek() {
	case '{':
		d.pos++
	case 'n':
		d.null()
		return
	default:
		d.mismatch(field, "an object")
		d.skip()
		return
	}
	for d.err != errMalformed {
		c := d.peek()
		if c == ',' {
			d.pos++
			c = d.peek()
		}
		if c == '}' {
			d.pos++
			return
		}
		if c != '"' {
			break
		}
		key, ok := d.key()
		if !ok || d.peek() != ':' {
			break
		}
		d.pos++
		if !member(key) && !d.foldedMember(key, names, member) {
			d.skip()
		}
	}
	d.err, d.pos = errMalformed, len(d.data)
}

func (d *decoder) key() ([]byte, bool) {
	start := d.pos
	end := d.stringEnd(start + 1)
	if end < 0 {
		return nil, false
	}
	d.pos = end + 1
	key := d.data[start+1 : end]
	for _, c := range key {
		if c == '\\' || c >= utf8.RuneSelf {
			s, ok := d.stringValueAt(start, end)
			return []byte(s), ok
		}
	}
	return key, true
}

func (d *decoder) stringValueAt(start, end int) (string, bool) {
	var s string
	err := json.Unmarshal(d.data[start:end+1], &s)
	return s, err == nil
}

// foldedMember retries a key that matched no field exactly the way
// encoding/json does: Unicode case folding.
func (d *decoder) foldedMember(key []byte, names []string, member func([]byte) bool) bool {
	ascii := true
	for _, c := range key {
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	for _, n := range names {
		// Folding ASCII keeps the length; only other scripts can change it.
		if ascii && len(n) != len(key) {
			continue
		}
		if strings.EqualFold(string(key), n) {
			return member([]byte(n))
		}
	}
	return false
}

// The keys each struct decodes; TestDecoderNames holds them to the json tags.
var (
	eventNames = []string{"eventVersion", "eventID", "eventTime", "eventSource", "eventName", "awsRegion",
		"sourceIPAddress", "userAgent", "errorCode", "errorMessage", "readOnly", "eventType", "managementEvent",
		"eventCategory", "recipientAccountId", "requestID", "sharedEventID", "userIdentity", "requestParameters",
		"responseElements", "additionalEventData", "resources"}
	userIdentityNames = []string{"type", "principalId", "arn", "accountId", "accessKeyId", "userName", "invokedBy",
		"sessionContext"}
	sessionContextNames    = []string{"sessionIssuer", "attributes"}
	sessionIssuerNames     = []string{"type", "principalId", "arn", "accountId", "userName"}
	sessionAttributesNames = []string{"creationDate", "mfaAuthenticated"}
	resourceNames          = []string{"ARN", "accountId", "type"}
)

func (d *decoder) event(ev *Event) {
	d.object("record", eventNames, func(k []byte) bool {
		switch string(k) {
		case "eventVersion":
			d.str(&ev.EventVersion, "eventVersion")
		case "eventID":
			d.str(&ev.EventID, "eventID")
		case "eventTime":
			d.time(&ev.EventTime, "eventTime")
		case "eventSource":
			d.str(&ev.EventSource, "eventSource")
		case "eventName":
			d.str(&ev.EventName, "eventName")
		case "awsRegion":
			d.str(&ev.AWSRegion, "awsRegion")
		case "sourceIPAddress":
			d.str(&ev.SourceIPAddress, "sourceIPAddress")
		case "userAgent":
			d.str(&ev.UserAgent, "userAgent")
		case "errorCode":
			d.str(&ev.ErrorCode, "errorCode")
		case "errorMessage":
			d.str(&ev.ErrorMessage, "errorMessage")
		case "readOnly":
			d.boolean(&ev.ReadOnly, "readOnly")
		case "eventType":
			d.str(&ev.EventType, "eventType")
		case "managementEvent":
			d.boolean(&ev.ManagementEvent, "managementEvent")
		case "eventCategory":
			d.str(&ev.EventCategory, "eventCategory")
		case "recipientAccountId":
			d.str(&ev.RecipientAccountID, "recipientAccountId")
		case "requestID":
			d.str(&ev.RequestID, "requestID")
		case "sharedEventID":
			d.str(&ev.SharedEventID, "sharedEventID")
		case "userIdentity":
			d.userIdentity(&ev.UserIdentity)
		case "requestParameters":
			d.raw(&ev.RequestParameters)
		case "responseElements":
			d.raw(&ev.ResponseElements)
		case "additionalEventData":
			d.raw(&ev.AdditionalEventData)
		case "resources":
			d.resources(&ev.Resources)
		default:
			return false
		}
		return true
	})
}

func (d *decoder) userIdentity(u *UserIdentity) {
	d.object("userIdentity", userIdentityNames, func(k []byte) bool {
		switch string(k) {
		case "type":
			d.str(&u.Type, "userIdentity.type")
		case "principalId":
			d.str(&u.PrincipalID, "userIdentity.principalId")
		case "arn":
			d.str(&u.ARN, "userIdentity.arn")
		case "accountId":
			d.str(&u.AccountID, "userIdentity.accountId")
		case "accessKeyId":
			d.str(&u.AccessKeyID, "userIdentity.accessKeyId")
		case "userName":
			d.str(&u.UserName, "userIdentity.userName")
		case "invokedBy":
			d.str(&u.InvokedBy, "userIdentity.invokedBy")
		case "sessionContext":
			switch d.peek() {
			case 'n':
				d.null()
				u.SessionContext = nil
			case '{':
				if u.SessionContext == nil {
					u.SessionContext = new(SessionContext)
				}
				d.sessionContext(u.SessionContext)
			default:
				d.mismatch("userIdentity.sessionContext", "an object")
				d.skip()
			}
		default:
			return false
		}
		return true
	})
}

func (d *decoder) sessionContext(sc *SessionContext) {
	d.object("userIdentity.sessionContext", sessionContextNames, func(k []byte) bool {
		switch string(k) {
		case "sessionIssuer":
			d.sessionIssuer(&sc.SessionIssuer)
		case "attributes":
			d.sessionAttributes(&sc.Attributes)
		default:
			return false
		}
		return true
	})
}

func (d *decoder) sessionIssuer(si *SessionIssuer) {
	const f = "userIdentity.sessionContext.sessionIssuer"
	d.object(f, sessionIssuerNames, func(k []byte) bool {
		switch string(k) {
		case "type":
			d.str(&si.Type, f+".type")
		case "principalId":
			d.str(&si.PrincipalID, f+".principalId")
		case "arn":
			d.str(&si.ARN, f+".arn")
		case "accountId":
			d.str(&si.AccountID, f+".accountId")
		case "userName":
			d.str(&si.UserName, f+".userName")
		default:
			return false
		}
		return true
	})
}

func (d *decoder) sessionAttributes(a *SessionAttributes) {
	const f = "userIdentity.sessionContext.attributes"
	d.object(f, sessionAttributesNames, func(k []byte) bool {
		switch string(k) {
		case "creationDate":
			d.time(&a.CreationDate, f+".creationDate")
		case "mfaAuthenticated":
			d.str(&a.MFAAuthenticated, f+".mfaAuthenticated")
		default:
			return false
		}
		return true
	})
}

func (d *decoder) resources(dst *[]Resource) {
	switch d.peek() {
	case 'n':
		d.null()
		*dst = nil
		return
	case '[':
		d.pos++
	default:
		d.mismatch("resources", "an array")
		d.skip()
		return
	}
	// As encoding/json: an empty array gives an empty, non-nil slice.
	list := (*dst)[:0]
	if list == nil {
		list = []Resource{}
	}
	defer func() { *dst = list }()
	for d.err != errMalformed {
		c := d.peek()
		if c == ',' {
			d.pos++
			c = d.peek()
		}
		if c == ']' {
			d.pos++
			return
		}
		if c == 0 {
			break
		}
		list = append(list, Resource{})
		r := &list[len(list)-1]
		d.object("resources[]", resourceNames, func(k []byte) bool {
			switch string(k) {
			case "ARN":
				d.str(&r.ARN, "resources[].ARN")
			case "accountId":
				d.str(&r.AccountID, "resources[].accountId")
			case "type":
				d.str(&r.Type, "resources[].type")
			default:
				return false
			}
			return true
		})
	}
	d.err, d.pos = errMalformed, len(d.data)
}
