package tfplan

import (
	"reflect"
	"testing"

	"github.com/kmslint/kmslint/internal/input/source"
	"github.com/kmslint/kmslint/internal/policy"
)

func TestKeys(t *testing.T) {
	const plan = `{
  "format_version": "1.2",
  "planned_values": {"root_module": {
    "resources": [
      {"address": "aws_kms_key.known", "mode": "managed", "type": "aws_kms_key", "values": {"policy": "{\"Statement\":[]}"}},
      {"address": "aws_kms_key.later", "mode": "managed", "type": "aws_kms_key", "values": {}},
      {"address": "aws_kms_key.empty", "mode": "managed", "type": "aws_kms_key", "values": {"policy": ""}},
      {"address": "aws_kms_key_policy.none", "mode": "managed", "type": "aws_kms_key_policy", "values": {"policy": null}},
      {"address": "data.aws_kms_key.d", "mode": "data", "type": "aws_kms_key", "values": {"policy": "{}"}},
      {"address": "aws_s3_bucket.b", "mode": "managed", "type": "aws_s3_bucket", "values": {"policy": "{}"}}
    ],
    "child_modules": [{"address": "module.m", "resources": [
      {"address": "module.m.aws_kms_external_key.x[\"a\"]", "mode": "managed", "type": "aws_kms_external_key", "values": {"policy": "{\"Id\":\"x\"}"}}
    ]}]
  }},
  "resource_changes": [
    {"address": "aws_kms_key.later", "change": {"after_unknown": {"policy": true}}},
    {"address": "aws_kms_key.known", "change": {"after_unknown": {"policy": false}}}
  ]
}`
	root, err := policy.ParseJSON("plan.json", []byte(plan))
	if err != nil {
		t.Fatal(err)
	}
	if !IsPlan(root) {
		t.Fatal("IsPlan = false")
	}
	keys, notes, err := Keys("plan.json", source.NewText([]byte(plan), false), root)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, k := range keys {
		got = append(got, k.Address+" "+k.Type+" "+string(k.Policy.AppendJSON(nil))+" "+k.Policy.Pos.String())
	}
	want := []string{
		`aws_kms_key.known aws_kms_key {"Statement":[]} 5:104`,
		`module.m.aws_kms_external_key.x["a"] aws_kms_external_key {"Id":"x"} 13:134`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("keys\n got %q\nwant %q", got, want)
	}
	wantNotes := []source.Note{
		{Pos: policy.Pos{Line: 6, Col: 19}, Message: "the policy of aws_kms_key.later is known only after apply"},
		{Pos: policy.Pos{Line: 7, Col: 19}, Message: "aws_kms_key.empty has no policy: AWS KMS gives the key its default key policy"},
		{Pos: policy.Pos{Line: 8, Col: 19}, Message: "aws_kms_key_policy.none has no policy"},
	}
	if !reflect.DeepEqual(notes, wantNotes) {
		t.Errorf("notes\n got %v\nwant %v", notes, wantNotes)
	}
}

func TestIsPlan(t *testing.T) {
	for in, want := range map[string]bool{
		`{"format_version": "1.0"}`:                  true,
		`{"format_version": 1}`:                      false,
		`{"Statement": []}`:                          false,
		`[{"format_version": "1.0"}]`:                false,
		`{"terraform_version": "1.9", "values": {}}`: false,
	} {
		root, err := policy.ParseJSON("f", []byte(in))
		if err != nil {
			t.Fatal(err)
		}
		if got := IsPlan(root); got != want {
			t.Errorf("IsPlan(%s) = %v, want %v", in, got, want)
		}
	}
}
