package cloudtrail

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// referenceDecode is what decodeEvent must match: encoding/json, plus the
// null-to-nil rule for the raw members.
func referenceDecode(data []byte) (*Event, error) {
	ev := new(Event)
	if err := json.Unmarshal(data, ev); err != nil {
		return nil, err
	}
	for _, m := range []*json.RawMessage{&ev.RequestParameters, &ev.ResponseElements, &ev.AdditionalEventData} {
		if bytes.Equal(*m, []byte("null")) {
			*m = nil
		}
	}
	return ev, nil
}

func TestDecodeEvent(t *testing.T) {
	kms := `{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","principalId":"AROAX:s","arn":"arn:aws:sts::111122223333:assumed-role/R/s",` +
		`"accountId":"111122223333","accessKeyId":"ASIAX","invokedBy":"bedrock-agentcore.amazonaws.com","sessionContext":{"sessionIssuer":` +
		`{"type":"Role","principalId":"AROAX","arn":"arn:aws:iam::111122223333:role/R","accountId":"111122223333","userName":"R"},` +
		`"webIdFederationData":{},"attributes":{"creationDate":"2024-01-02T03:00:00Z","mfaAuthenticated":"false"}}},` +
		`"eventTime":"2024-01-02T03:04:05Z","eventSource":"kms.amazonaws.com","eventName":"Decrypt","awsRegion":"us-east-1",` +
		`"sourceIPAddress":"bedrock-agentcore.amazonaws.com","userAgent":"bedrock-agentcore.amazonaws.com","errorCode":"AccessDenied",` +
		`"errorMessage":"no","requestParameters":{"encryptionContext":{"aws:bedrock-agentcore:recommendationArn":"arn:x"}},` +
		`"responseElements":null,"additionalEventData":{"a":[1,2]},"requestID":"r-1","eventID":"e-1","readOnly":true,` +
		`"resources":[{"accountId":"111122223333","type":"AWS::KMS::Key","ARN":"arn:aws:kms:us-east-1:111122223333:key/k"}],` +
		`"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","sharedEventID":"s-1",` +
		`"vpcEndpointId":"vpce-1","eventCategory":"Management","tlsDetails":{"tlsVersion":"TLSv1.3"}}`
	tests := []struct {
		name    string
		in      string
		check   func(t *testing.T, ev *Event)
		wantErr string // substring; empty means success
	}{
		{name: "full KMS record", in: kms, check: func(t *testing.T, ev *Event) {
			want := &Event{EventVersion: "1.08", EventID: "e-1", EventTime: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
				EventSource: "kms.amazonaws.com", EventName: "Decrypt", AWSRegion: "us-east-1",
				SourceIPAddress: "bedrock-agentcore.amazonaws.com", UserAgent: "bedrock-agentcore.amazonaws.com",
				ErrorCode: "AccessDenied", ErrorMessage: "no", ReadOnly: true, EventType: "AwsApiCall", ManagementEvent: true,
				EventCategory: "Management", RecipientAccountID: "111122223333", RequestID: "r-1", SharedEventID: "s-1",
				UserIdentity: UserIdentity{Type: "AssumedRole", PrincipalID: "AROAX:s", ARN: "arn:aws:sts::111122223333:assumed-role/R/s",
					AccountID: "111122223333", AccessKeyID: "ASIAX", InvokedBy: "bedrock-agentcore.amazonaws.com",
					SessionContext: &SessionContext{
						SessionIssuer: SessionIssuer{Type: "Role", PrincipalID: "AROAX", ARN: "arn:aws:iam::111122223333:role/R", AccountID: "111122223333", UserName: "R"},
						Attributes:    SessionAttributes{CreationDate: time.Date(2024, 1, 2, 3, 0, 0, 0, time.UTC), MFAAuthenticated: "false"}}},
				RequestParameters:   json.RawMessage(`{"encryptionContext":{"aws:bedrock-agentcore:recommendationArn":"arn:x"}}`),
				AdditionalEventData: json.RawMessage(`{"a":[1,2]}`),
				Resources:           []Resource{{ARN: "arn:aws:kms:us-east-1:111122223333:key/k", AccountID: "111122223333", Type: "AWS::KMS::Key"}}}
			if !reflect.DeepEqual(ev, want) {
				t.Errorf("got  %+v\nwant %+v", ev, want)
			}
		}},
		{name: "escapes and case-folded keys", in: `{"EVENTSOURCE":"kms\u002eamazonaws.com","event\u004eame":"Dec\"rypt","eventſource":"x","eventSource":"kms.amazonaws.com"}`,
			check: func(t *testing.T, ev *Event) {
				if ev.EventSource != "kms.amazonaws.com" || ev.EventName != `Dec"rypt` {
					t.Errorf("got %q %q", ev.EventSource, ev.EventName)
				}
			}},
		{name: "nulls leave zero values", in: `{"eventName":null,"readOnly":null,"userIdentity":null,"resources":null,"requestParameters":null,"eventTime":null}`,
			check: func(t *testing.T, ev *Event) {
				if !reflect.DeepEqual(ev, &Event{}) {
					t.Errorf("got %+v", ev)
				}
			}},
		{name: "empty resources are non-nil", in: `{"resources":[]}`, check: func(t *testing.T, ev *Event) {
			if ev.Resources == nil || len(ev.Resources) != 0 {
				t.Errorf("got %#v", ev.Resources)
			}
		}},
		{name: "invalid UTF-8 replaced as encoding/json does", in: "{\"eventName\":\"a\xffb\"}", check: func(t *testing.T, ev *Event) {
			if ev.EventName != "a\ufffdb" {
				t.Errorf("got %q", ev.EventName)
			}
		}},
		{name: "number for a string", in: `{"eventName":"x","eventSource":5}`, wantErr: "eventSource: a number where a string was expected"},
		{name: "string for a boolean", in: `{"readOnly":"true"}`, wantErr: "readOnly: a string where a boolean was expected"},
		{name: "bad time", in: `{"eventTime":"yesterday"}`, wantErr: "eventTime: parsing time"},
		{name: "array for userIdentity", in: `{"userIdentity":[1]}`, wantErr: "userIdentity: an array where an object was expected"},
		{name: "resource not an object", in: `{"resources":[{"ARN":"a"},7]}`, wantErr: "resources[]: a number where an object was expected"},
		{name: "nested mismatch", in: `{"userIdentity":{"sessionContext":{"attributes":{"mfaAuthenticated":false}}}}`,
			wantErr: "userIdentity.sessionContext.attributes.mfaAuthenticated: a boolean where a string was expected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := new(Event)
			err := decodeEvent([]byte(tt.in), ev)
			ref, refErr := referenceDecode([]byte(tt.in))
			if (err == nil) != (refErr == nil) {
				t.Fatalf("decodeEvent error %v, encoding/json error %v", err, refErr)
			}
			if tt.wantErr != "" {
				var de *DecodeError
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.As(err, &de) {
					t.Fatalf("error %v, want a DecodeError containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(ev, ref) {
				t.Errorf("differs from encoding/json:\n got %+v\nwant %+v", ev, ref)
			}
			tt.check(t, ev)
		})
	}
}

// TestDecoderNames keeps the decoder's key lists in step with the json tags,
// which is what encoding/json (and so the reference) decodes by.
func TestDecoderNames(t *testing.T) {
	for _, c := range []struct {
		v     any
		names []string
	}{
		{Event{}, eventNames}, {UserIdentity{}, userIdentityNames}, {SessionContext{}, sessionContextNames},
		{SessionIssuer{}, sessionIssuerNames}, {SessionAttributes{}, sessionAttributesNames}, {Resource{}, resourceNames},
	} {
		var tags []string
		typ := reflect.TypeOf(c.v)
		for i := range typ.NumField() {
			if tag, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ","); tag != "-" {
				tags = append(tags, tag)
			}
		}
		if !reflect.DeepEqual(tags, c.names) {
			t.Errorf("%s: decoder knows %v, json tags are %v", typ.Name(), c.names, tags)
		}
	}
}

// FuzzDecodeEvent holds decodeEvent to encoding/json on every well-formed
// object without duplicate keys (with duplicates, encoding/json merges some
// members in ways not worth copying), and to not panicking on anything.
func FuzzDecodeEvent(f *testing.F) {
	for _, r := range genRecords(7, 0, 24) {
		f.Add(r)
	}
	for _, s := range []string{`{}`, `{"resources":[null,{"ARN":1}]}`, `{"userIdentity":{"sessionContext":null}}`,
		`{"eventTime":"2024-01-02T03:04:05.123+02:00","readOnly":false}`, `{"EventName":"\ud83d\ude00","ARN":{}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ev := new(Event)
		err := decodeEvent(data, ev) // must not panic, whatever data is
		trimmed := bytes.TrimLeft(data, " \t\r\n")
		if !json.Valid(data) || len(trimmed) == 0 || trimmed[0] != '{' || hasDuplicateKeys(data) {
			return
		}
		ref, refErr := referenceDecode(data)
		if (err == nil) != (refErr == nil) {
			t.Fatalf("decodeEvent error %v, encoding/json error %v", err, refErr)
		}
		if err == nil && !reflect.DeepEqual(ev, ref) {
			t.Fatalf("differs from encoding/json:\n got %+v\nwant %+v", ev, ref)
		}
	})
}

// hasDuplicateKeys reports whether some object in valid JSON repeats a key
// (compared as encoding/json matches them: case-insensitively).
func hasDuplicateKeys(data []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	type frame struct {
		obj    bool
		keys   map[string]bool
		expect bool // next string token in an object is a key
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		isKey := top != nil && top.obj && top.expect
		if top != nil && top.obj {
			top.expect = !top.expect
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				stack = append(stack, &frame{obj: true, keys: map[string]bool{}, expect: true})
			case '[':
				stack = append(stack, &frame{})
			default:
				stack = stack[:len(stack)-1]
				if len(stack) > 0 && stack[len(stack)-1].obj {
					stack[len(stack)-1].expect = true
				}
			}
		case string:
			if isKey {
				for k := range top.keys {
					if strings.EqualFold(k, v) {
						return true
					}
				}
				top.keys[v] = true
			}
		}
	}
}
