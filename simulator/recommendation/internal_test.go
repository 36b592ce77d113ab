package recommendation

import (
	"context"
	"testing"
)

// Delete is refused while the workflow has not finished.
func TestDeleteConflictWhileRunning(t *testing.T) {
	s, err := New(Options{KMSEndpoint: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	caller, _ := s.ids.Lookup("AKIAEXAMPLECALLER001")
	for _, tc := range []struct {
		status, want string
	}{
		{StatusPending, CodeConflict},
		{StatusInProgress, CodeConflict},
		{StatusCompleted, ""},
		{StatusFailed, ""},
	} {
		id := "Rec-ABCDEFGHIJ"
		s.recs[recKey(caller.Account, id)] = &record{meta: Recommendation{ID: id, Name: "Rec", Status: tc.status}, account: caller.Account, done: make(chan struct{})}
		_, err := s.Delete(context.Background(), caller, id)
		got := ""
		if e, ok := err.(*Error); ok {
			got = e.Code
		} else if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("Delete while %s: %q, want %q", tc.status, got, tc.want)
		}
		delete(s.recs, recKey(caller.Account, id))
	}
}

func TestValidateStart(t *testing.T) {
	ok := `{"systemPromptRecommendationConfig": {"systemPrompt": {"text": "x"}}}`
	for _, tc := range []struct {
		name string
		in   StartInput
		bad  bool
	}{
		{"ok", StartInput{Name: "A", Type: TypeSystemPrompt, Config: []byte(ok)}, false},
		{"max name", StartInput{Name: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV", Type: TypeSystemPrompt, Config: []byte(ok)}, false},
		{"digit first", StartInput{Name: "1A", Type: TypeSystemPrompt, Config: []byte(ok)}, true},
		{"no type", StartInput{Name: "A", Config: []byte(ok)}, true},
		{"wrong member", StartInput{Name: "A", Type: TypeToolDescription, Config: []byte(ok)}, true},
		{"two members", StartInput{Name: "A", Type: TypeSystemPrompt, Config: []byte(`{"systemPromptRecommendationConfig": {}, "toolDescriptionRecommendationConfig": {}}`)}, true},
		{"null config", StartInput{Name: "A", Type: TypeSystemPrompt, Config: []byte(`null`)}, true},
		{"member not object", StartInput{Name: "A", Type: TypeSystemPrompt, Config: []byte(`{"systemPromptRecommendationConfig": 3}`)}, true},
		{"empty tag key", StartInput{Name: "A", Type: TypeSystemPrompt, Config: []byte(ok), Tags: map[string]string{"": "v"}}, true},
	} {
		if got := validateStart(&tc.in) != nil; got != tc.bad {
			t.Errorf("%s: invalid=%v, want %v", tc.name, got, tc.bad)
		}
	}
}

// FuzzDecodeStart: any body is a StartInput or a ValidationException, and
// validation never panics.
func FuzzDecodeStart(f *testing.F) {
	for _, s := range []string{
		`{"name":"A","type":"SYSTEM_PROMPT_RECOMMENDATION","recommendationConfig":{"systemPromptRecommendationConfig":{"systemPrompt":{"text":"x"}}}}`,
		`{"name":"A","type":"TOOL_DESCRIPTION_RECOMMENDATION","recommendationConfig":{"toolDescriptionRecommendationConfig":{}},"tags":{"k":"v"},"kmsKeyArn":"arn:aws:kms:us-east-1:111122223333:key/x"}`,
		`{}`, `[]`, `{"name":1}`, `{"recommendationConfig":null} {}`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		in, e := decodeStart(body)
		if e != nil {
			if e.Code != CodeValidation {
				t.Fatalf("decode error code %s", e.Code)
			}
			return
		}
		if v := validateStart(&in); v != nil && v.Code != CodeValidation {
			t.Fatalf("validation error code %s", v.Code)
		}
		_ = fingerprint(&in)
		_ = result(in.Type, in.Config)
	})
}

// The kmsKeyArn parameter takes a key ARN only: an alias ARN, a key id or
// an ARN with a malformed account is a validation error.
func TestParseKeyARN(t *testing.T) {
	for _, tc := range []struct {
		in, region string
		ok         bool
	}{
		{"arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", "us-east-1", true},
		{"arn:aws-cn:kms:cn-north-1:111122223333:key/1234", "cn-north-1", true},
		{"arn:aws:kms:us-east-1:111122223333:alias/MyKey", "", false},
		{"arn:aws:kms::111122223333:key/1234", "", false},
		{"arn:aws:kms:us-east-1:11112222333x:key/1234", "", false},
		{"arn:aws:kms:us-east-1:1111222233:key/1234", "", false},
		{"arn:aws:kms:us-east-1:111122223333:key/", "", false},
		{"arn:aws:kms:us-east-1:111122223333:key/a/b", "", false},
		{"arn:aws:s3:us-east-1:111122223333:key/1234", "", false},
		{"1234abcd-12ab-34cd-56ef-1234567890ab", "", false},
	} {
		region, ok := parseKeyARN(tc.in)
		if region != tc.region || ok != tc.ok {
			t.Errorf("parseKeyARN(%q) = %q, %v; want %q, %v", tc.in, region, ok, tc.region, tc.ok)
		}
	}
}
