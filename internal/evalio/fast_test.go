package evalio

import (
	"reflect"
	"testing"

	"github.com/kmslint/kmslint/internal/authz"
)

// flatten makes a request comparable: the context as key -> value.
func flatten(r authz.Request) map[string]any {
	m := map[string]any{"principal": r.Principal, "action": r.Action, "resource": r.Resource}
	r.Context.Each(func(k string, v authz.Value) {
		lk := k
		got, _ := r.Context.Get(k)
		if len(got.Values) == 0 {
			got.Values = nil // an empty multivalued key, however it was built
		}
		m["ctx:"+lowerASCII(lk)] = got
	})
	return m
}

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

var fastCases = []string{
	benchLines[0], benchLines[1], benchLines[2], benchLines[3],
	`{"principal":"anonymous","action":"kms:Decrypt"}`,
	`{ "action" : "kms:Decrypt" , "principal" : "service:bedrock-agentcore.amazonaws.com", "context": {"n": 12.5e3, "b": true, "m": [], "a": ["x", 1, false]} }`,
	`{"principal":"anonymous","action":"kms:Decrypt","resource":"arn:aws:kms:us-east-1:111122223333:key/k","context":{}}`,
	`{"principal":"anonymous","action":"kms:Decrypt","context":{"K":"a","k":"b"}}`,
	`{"principal":"anonymous","action":"kms:Decrypt","principal":"anonymous"}`,
	`{"principal":"anonymous","action":"kms:Decrypt","extra":1}`,
	`{"principal":"an\u006fnymous","action":"kms:Decrypt"}`,
	`{"principal":"anonymous","action":"kms:Decrypt","context":{"k":null}}`,
	`{"principal":"anonymous","action":"kms:Decrypt","context":{"k":01}}`,
	`{"principal":"anonymous","action":"kms:Decrypt"} x`,
	`{"action":"kms:Decrypt"}`, `{}`, `[]`, ``, `{"principal":"anonymous","action":"Decrypt"}`,
	"{\"principal\":\"anonymous\",\"action\":\"kms:Decrypt\",\"context\":{\"k\":\"\xff\"}}",
}

func TestFastDecoderAgreesWithParser(t *testing.T) {
	for _, line := range fastCases {
		checkFastAgrees(t, line)
	}
}

func checkFastAgrees(t *testing.T, line string) {
	t.Helper()
	tmpl := RequestTemplate{Resource: ""}
	cache := &PrincipalCache{}
	fr, ok := newFastDecoder(cache).decode([]byte(line), tmpl)
	sr, err := ParseRequestLine("f", 1, []byte(line), tmpl, cache)
	if !ok {
		return // the slow path decides; nothing to compare
	}
	if err != nil {
		t.Fatalf("fast path accepted a line the parser rejects (%v): %q", err, line)
	}
	if !reflect.DeepEqual(flatten(fr), flatten(sr)) {
		t.Fatalf("fast and slow decode differ for %q:\nfast %v\nslow %v", line, flatten(fr), flatten(sr))
	}
}

func FuzzFastDecoder(f *testing.F) {
	for _, c := range fastCases {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, line string) { checkFastAgrees(t, line) })
}
