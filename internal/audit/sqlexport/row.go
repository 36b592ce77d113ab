package sqlexport

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kmslint/kmslint/internal/arn"
	"github.com/kmslint/kmslint/internal/cloudtrail"
)

// row is one result row by lower-case column name. An empty value is a SQL
// NULL: Athena's CSV writes NULL as an empty field, and no member the audit
// reads is meaningfully the empty string.
type row map[string]string

func (r row) get(col string) string { return r[col] }

// event maps a row back to the CloudTrail record it was selected from.
func (r row) event() (*cloudtrail.Event, error) {
	ev := &cloudtrail.Event{
		EventVersion:       r.get("eventversion"),
		EventID:            r.get("eventid"),
		EventSource:        r.get("eventsource"),
		EventName:          r.get("eventname"),
		AWSRegion:          r.get("awsregion"),
		SourceIPAddress:    r.get("sourceipaddress"),
		UserAgent:          r.get("useragent"),
		ErrorCode:          r.get("errorcode"),
		ErrorMessage:       r.get("errormessage"),
		EventType:          r.get("eventtype"),
		RecipientAccountID: r.get("recipientaccountid"),
		RequestID:          r.get("requestid"),
		SharedEventID:      r.get("sharedeventid"),
		EventCategory:      r.get("eventcategory"),
		ReadOnly:           strings.EqualFold(r.get("readonly"), "true"),
	}
	if ev.EventSource == "" || ev.EventName == "" {
		return nil, errors.New("no eventsource or eventname")
	}
	t, err := parseTime(r.get("eventtime"))
	if err != nil {
		return nil, fmt.Errorf("eventtime: %w", err)
	}
	ev.EventTime = t
	if err := r.identity(&ev.UserIdentity); err != nil {
		return nil, err
	}
	if ev.RequestParameters, err = r.params(); err != nil {
		return nil, err
	}
	if ev.Resources, err = r.resources(); err != nil {
		return nil, err
	}
	return ev, nil
}

func (r row) identity(u *cloudtrail.UserIdentity) error {
	// A whole userIdentity as JSON (a table that declares it STRING, or a
	// query that casts it) is taken as it is.
	if whole := r.get("useridentity"); whole != "" {
		if err := json.Unmarshal([]byte(whole), u); err != nil {
			return fmt.Errorf("useridentity is not a JSON object (select it as --emit-sql does, member by member): %w", err)
		}
		return nil
	}
	*u = cloudtrail.UserIdentity{
		Type:        r.get("useridentity_type"),
		PrincipalID: r.get("useridentity_principalid"),
		ARN:         r.get("useridentity_arn"),
		AccountID:   r.get("useridentity_accountid"),
		AccessKeyID: r.get("useridentity_accesskeyid"),
		UserName:    r.get("useridentity_username"),
		InvokedBy:   r.get("useridentity_invokedby"),
	}
	issuer := cloudtrail.SessionIssuer{
		Type:        r.get("sessionissuer_type"),
		PrincipalID: r.get("sessionissuer_principalid"),
		ARN:         r.get("sessionissuer_arn"),
		AccountID:   r.get("sessionissuer_accountid"),
		UserName:    r.get("sessionissuer_username"),
	}
	created, mfa := r.get("session_creationdate"), r.get("session_mfaauthenticated")
	if issuer != (cloudtrail.SessionIssuer{}) || created != "" || mfa != "" {
		sc := &cloudtrail.SessionContext{SessionIssuer: issuer}
		sc.Attributes.MFAAuthenticated = mfa
		// The creation date only informs; an odd one is not worth
		// losing the event over.
		sc.Attributes.CreationDate, _ = parseTime(created)
		u.SessionContext = sc
	}
	return nil
}

// lakeParams is requestParameters rebuilt from the members the CloudTrail
// Lake query selects.
type lakeParams struct {
	KeyID             string            `json:"keyId,omitempty"`
	EncryptionContext map[string]string `json:"encryptionContext,omitempty"`
	Policy            string            `json:"policy,omitempty"`
}

func (r row) params() (json.RawMessage, error) {
	if raw := r.get("requestparameters"); raw != "" {
		if !json.Valid([]byte(raw)) {
			return nil, errors.New("requestparameters is not JSON")
		}
		return json.RawMessage(raw), nil
	}
	p := lakeParams{KeyID: r.get("keyid"), Policy: r.get("policy")}
	if ec := r.get("encryptioncontext"); ec != "" {
		m, err := parseContext(ec)
		if err != nil {
			return nil, fmt.Errorf("encryptioncontext: %w", err)
		}
		p.EncryptionContext = m
	}
	if p.KeyID == "" && p.Policy == "" && p.EncryptionContext == nil {
		return nil, nil
	}
	return json.Marshal(p)
}

// parseContext reads an encryption context as a JSON object of strings, or
// in the key=value rendering that SQL engines give a map
// ({k1=v1, k2=v2}).
func parseContext(s string) (map[string]string, error) {
	s = strings.TrimSpace(s)
	var m map[string]string
	if json.Unmarshal([]byte(s), &m) == nil {
		return m, nil
	}
	inner, ok := strings.CutPrefix(s, "{")
	if inner, ok = strings.CutSuffix(inner, "}"); !ok {
		return nil, errors.New("neither a JSON object nor {key=value, ...}")
	}
	m = map[string]string{}
	if strings.TrimSpace(inner) == "" {
		return m, nil
	}
	// Values may hold ", " themselves; a new pair starts only where the
	// text after ", " reads key=, so a comma inside a value stays there.
	var key string
	rest := inner
	for {
		k, v, ok := strings.Cut(rest, "=")
		if !ok {
			return nil, fmt.Errorf("%q has no =", rest)
		}
		key = strings.TrimSpace(k)
		next := nextPair(v)
		if next < 0 {
			m[key] = v
			return m, nil
		}
		m[key] = v[:next]
		rest = v[next+2:]
	}
}

// nextPair finds the ", " that starts the next key=value pair in v.
func nextPair(v string) int {
	for off := 0; ; {
		i := strings.Index(v[off:], ", ")
		if i < 0 {
			return -1
		}
		i += off
		after := v[i+2:]
		eq := strings.IndexByte(after, '=')
		if eq > 0 && !strings.ContainsAny(after[:eq], ", {}") {
			return i
		}
		off = i + 2
	}
}

func (r row) resources() ([]cloudtrail.Resource, error) {
	if raw := r.get("resources"); raw != "" {
		var rs []cloudtrail.Resource
		if err := json.Unmarshal([]byte(raw), &rs); err != nil {
			return nil, fmt.Errorf("resources is not a JSON array: %w", err)
		}
		return rs, nil
	}
	keyARN := r.get("kmskeyarn")
	if keyARN == "" {
		return nil, nil
	}
	res := cloudtrail.Resource{ARN: keyARN, Type: "AWS::KMS::Key"}
	if a, ok := arn.Parse(keyARN); ok {
		res.AccountID = a.AccountID
	}
	return []cloudtrail.Resource{res}, nil
}

// timeLayouts are how the engines write a time: CloudTrail's own ISO 8601
// (Athena's eventtime is the record's string), and SQL timestamps as
// CloudTrail Lake renders eventTime.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04:05.999999999 MST",
	"2006-01-02 15:04:05.999999999 -07:00",
	"2006-01-02T15:04:05.999999999",
}

func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, errors.New("missing")
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time", s)
}

// matches is cloudtrail.Filter's test, for events that do not come through
// cloudtrail.Read.
func matches(f *cloudtrail.Filter, ev *cloudtrail.Event) bool {
	if len(f.EventSources) > 0 && !slices.Contains(f.EventSources, ev.EventSource) {
		return false
	}
	if len(f.EventNames) > 0 && !slices.Contains(f.EventNames, ev.EventName) {
		return false
	}
	if !f.Since.IsZero() && ev.EventTime.Before(f.Since) {
		return false
	}
	return f.Until.IsZero() || !ev.EventTime.After(f.Until)
}
