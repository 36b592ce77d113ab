package input

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/kmslint/kmslint/internal/input/source"
	"github.com/kmslint/kmslint/internal/policy"
)

var account = Env{AccountID: "111122223333", Region: "us-east-1"}

func pos(line, col int) policy.Pos { return policy.Pos{Line: line, Col: col} }

// lookup follows a path of object keys and array indexes ("Statement/0/Sid").
func lookup(n *policy.Node, path string) *policy.Node {
	for _, p := range strings.Split(path, "/") {
		if i, err := strconv.Atoi(p); err == nil && n != nil && n.Kind == policy.KindArray {
			if i >= len(n.Items) {
				return nil
			}
			n = n.Items[i]
			continue
		}
		n = n.Get(p)
	}
	return n
}

type valueWant struct {
	path string
	str  string // the string value, or compact JSON for other kinds
	pos  policy.Pos
}

type docWant struct {
	resource   string
	statements []policy.Pos // position of each statement object
	values     []valueWant
	unresolved []policy.Pos
	deploying  []string // spellings, in the order of deploy.Uses.List
}

func TestLoadFixtures(t *testing.T) {
	tests := []struct {
		file   string
		env    Env
		format Format
		docs   []docWant
		notes  []policy.Pos
	}{
		{
			file: "policy/recommendation.json", format: FormatPolicy,
			docs: []docWant{{statements: []policy.Pos{pos(4, 5), pos(13, 5), pos(30, 5)},
				values: []valueWant{{"Statement/2/Condition/ArnLike/aws:SourceArn", "arn:aws:bedrock-agentcore:us-east-1:111122223333:recommendation/*", pos(46, 28)}}}},
		},
		{
			// Block scalar of JSON under !Sub; short-form tags; GetAtt of a
			// named role; Fn::If with AWS::NoValue; a list parameter.
			file: "cfn/recommendation.yaml", env: account, format: FormatCloudFormation,
			docs: []docWant{
				{resource: "RecommendationKey", statements: []policy.Pos{pos(35, 13), pos(42, 13)},
					values: []valueWant{
						{"Statement/0/Principal/AWS", "arn:aws:iam::111122223333:role/MyRecommendationRole", pos(38, 36)},
						{"Statement/1/Condition/ArnLike/aws:SourceArn", "arn:aws:bedrock-agentcore:us-east-1:111122223333:recommendation/*", pos(50, 46)},
					}},
				{resource: "SecondKey", statements: []policy.Pos{pos(61, 13), pos(72, 15), pos(78, 13), pos(85, 13)},
					values: []valueWant{
						{"Version", "2012-10-17", pos(59, 18)},
						{"Statement/0/Principal/AWS", "arn:aws:iam::111122223333:role/MyRecommendationRole", pos(64, 20)},
						{"Statement/1/Principal/AWS", `["arn:aws:iam::111122223333:role/Admin","arn:aws:iam::111122223333:role/BreakGlass"]`, pos(74, 32)},
						{"Statement/2/Principal/Service", "logs.us-east-1.amazonaws.com", pos(81, 24)},
						{"Statement/2/Condition/StringEquals/aws:SourceAccount", "111122223333", pos(84, 77)},
						{"Statement/3/Principal/AWS", "${Fn::GetAtt GeneratedRole.Arn}", pos(87, 30)},
					},
					unresolved: []policy.Pos{pos(87, 30)}},
			},
		},
		{
			// Without account and region: the deploying placeholders, the
			// same in every place; a condition on the region cannot be
			// decided. One note for the file.
			file: "cfn/recommendation.yaml", format: FormatCloudFormation,
			docs: []docWant{
				{resource: "RecommendationKey", statements: []policy.Pos{pos(35, 13), pos(42, 13)},
					values: []valueWant{
						{"Statement/0/Principal/AWS", "arn:aws:iam::000000000000:role/MyRecommendationRole", pos(38, 36)},
						{"Statement/1/Condition/StringEquals/aws:SourceAccount", "000000000000", pos(49, 55)},
						{"Statement/1/Condition/ArnLike/aws:SourceArn", "arn:aws:bedrock-agentcore:deploying-region-1:000000000000:recommendation/*", pos(50, 46)},
					},
					deploying: []string{"${AWS::AccountId}", "${AWS::Region}", "${AWS::Partition}"}},
				{resource: "SecondKey", statements: []policy.Pos{pos(61, 13), pos(72, 15), pos(78, 13), pos(85, 13)},
					values:     []valueWant{{"Statement/0/Principal/AWS", "arn:aws:iam::000000000000:role/MyRecommendationRole", pos(64, 20)}},
					unresolved: []policy.Pos{pos(84, 24), pos(87, 30)},
					deploying:  []string{"${AWS::AccountId}", "${AWS::Region}", "${AWS::Partition}"}},
			},
			notes: []policy.Pos{pos(32, 9)},
		},
		{
			// JSON template: parameter default, Fn::If false and true by
			// conditions, FindInMap, Sub with a variable map, SSM parameter.
			file: "cfn/recommendation.json", env: account, format: FormatCloudFormation,
			docs: []docWant{{resource: "Key", statements: []policy.Pos{pos(25, 13), pos(33, 13), pos(45, 36)},
				values: []valueWant{
					{"Statement/0/Principal/AWS", "arn:aws:iam::111122223333:role/MyRecommendationRole", pos(28, 36)},
					{"Statement/1/Principal/Service", "bedrock-agentcore.amazonaws.com", pos(36, 40)},
					{"Statement/1/Condition/ArnLike/aws:SourceArn", "arn:aws:bedrock-agentcore:us-east-1:111122223333:recommendation/*", pos(41, 46)},
					{"Statement/2/Sid", "NoAdmin", pos(45, 44)},
				},
				unresolved: []policy.Pos{pos(42, 57)}}},
		},
		{
			file: "cfn/cdk.template.json", env: account, format: FormatCloudFormation,
			docs: []docWant{{resource: "RecommendationKey1A2B3C4D", statements: []policy.Pos{pos(9, 7), pos(32, 7)},
				values: []valueWant{
					{"Statement/0/Principal/AWS", "arn:aws:iam::111122223333:root", pos(13, 16)},
					{"Statement/1/Condition/ArnLike/aws:SourceArn", "arn:aws:bedrock-agentcore:us-east-1:111122223333:recommendation/*", pos(44, 27)},
				}}},
		},
		{
			// A KeyPolicy string with escapes maps into the escaped text;
			// absent and AWS::NoValue policies are CloudFormation's default.
			file: "cfn/string-policy.json", env: account, format: FormatCloudFormation,
			docs: []docWant{
				{resource: "StringPolicyKey", statements: []policy.Pos{pos(6, 82), pos(6, 341)},
					values: []valueWant{{"Statement/1/Sid", `Café "quoted"`, pos(6, 359)}}},
				{resource: "DefaultPolicyKey", statements: []policy.Pos{pos(9, 5)},
					values: []valueWant{{"Statement/0/Principal/AWS", "arn:aws:iam::111122223333:root", pos(9, 5)}}},
				{resource: "NoValueKey", statements: []policy.Pos{pos(17, 5)}},
			},
			notes: []policy.Pos{pos(13, 5)},
		},
		{
			file: "tf/plan.json", format: FormatTerraform,
			docs: []docWant{
				{resource: "aws_kms_key.recommendation", statements: []policy.Pos{pos(23, 67)},
					values: []valueWant{{"Statement/0/Sid", "AllowCallerAccess", pos(23, 76)}}},
				{resource: "module.kms.aws_kms_key_policy.this[0]", statements: []policy.Pos{pos(90, 87), pos(90, 651)},
					values: []valueWant{{"Statement/0/Condition/StringEquals/aws:SourceAccount", "111122223333", pos(90, 465)}}},
				{resource: "module.kms.module.inner.aws_kms_replica_key.r", statements: []policy.Pos{pos(110, 75)}},
			},
			notes: []policy.Pos{pos(32, 22), pos(66, 26)},
		},
		{
			file: "tf/state.json", format: FormatTerraform,
			docs: []docWant{{resource: "aws_kms_key.recommendation", statements: []policy.Pos{pos(16, 67)}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data := readFixture(t, tt.file)
			f, err := Load(tt.file, data, tt.env)
			if err != nil {
				t.Fatal(err)
			}
			if f.Format != tt.format || f.Path != tt.file {
				t.Errorf("file %s format %q, want %s %q", f.Path, f.Format, tt.file, tt.format)
			}
			if len(f.Documents) != len(tt.docs) {
				t.Fatalf("%d documents, want %d", len(f.Documents), len(tt.docs))
			}
			for i, w := range tt.docs {
				checkDocument(t, data, f.Documents[i], w)
			}
			var notes []policy.Pos
			for _, n := range f.Notes {
				notes = append(notes, n.Pos)
			}
			if !reflect.DeepEqual(notes, tt.notes) {
				t.Errorf("file notes %v, want at %v", f.Notes, tt.notes)
			}
		})
	}
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func checkDocument(t *testing.T, data []byte, d Document, w docWant) {
	t.Helper()
	if d.Resource != w.resource {
		t.Errorf("resource %q, want %q", d.Resource, w.resource)
	}
	if d.Size != len(d.Policy.AppendJSON(nil)) {
		t.Errorf("%s: size %d, want the compact JSON's", w.resource, d.Size)
	}
	var stmts []policy.Pos
	for _, s := range lookup(d.Policy, "Statement").Items {
		stmts = append(stmts, s.Pos)
	}
	if !reflect.DeepEqual(stmts, w.statements) {
		t.Errorf("%s: statements at %v, want %v", w.resource, stmts, w.statements)
	}
	for _, v := range w.values {
		n := lookup(d.Policy, v.path)
		if n == nil {
			t.Errorf("%s: no %s", w.resource, v.path)
			continue
		}
		got := n.Str
		if n.Kind != policy.KindString {
			got = string(n.AppendJSON(nil))
		}
		if got != v.str || n.Pos != v.pos {
			t.Errorf("%s: %s = %q at %v, want %q at %v", w.resource, v.path, got, n.Pos, v.str, v.pos)
		}
	}
	var unresolved []policy.Pos
	for _, u := range d.Unresolved {
		unresolved = append(unresolved, u.Pos)
	}
	if !reflect.DeepEqual(unresolved, w.unresolved) {
		t.Errorf("%s: unresolved %v, want at %v", w.resource, d.Unresolved, w.unresolved)
	}
	var deploying []string
	for _, u := range d.Deploying {
		deploying = append(deploying, u.As)
	}
	if !reflect.DeepEqual(deploying, w.deploying) {
		t.Errorf("%s: deploying %v, want %v", w.resource, deploying, w.deploying)
	}
	checkPositionsInFile(t, data, d.Policy)
}

// checkPositionsInFile: every statement of a document loaded from JSON text
// (raw, a KeyPolicy string, a Terraform attribute) starts at a '{' of the
// file, its escaped or literal form: positions point at the real place.
func checkPositionsInFile(t *testing.T, data []byte, n *policy.Node) {
	t.Helper()
	tx := source.NewText(data, true)
	for _, s := range lookup(n, "Statement").Items {
		off := tx.Offset(s.Pos)
		if off < 0 {
			t.Errorf("statement at %v is outside the file", s.Pos)
			continue
		}
		switch data[off] {
		case '{', '-', 'S', 'V', 'A', '"', '!':
			// '{' of JSON, or the first key of a YAML block mapping, or a
			// generated policy at its resource's name.
		default:
			t.Errorf("statement at %v points at %q", s.Pos, data[off:min(off+10, len(data))])
		}
	}
}

// TestTerraformOneLine: `terraform show -json` writes one line; columns go
// deep into it and still point at the escaped text.
func TestTerraformOneLine(t *testing.T) {
	data := readFixture(t, "tf/plan-oneline.json")
	f, err := Load("plan.json", data, Env{})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Documents) != 3 || len(f.Notes) != 2 {
		t.Fatalf("%d documents and %d notes, want 3 and 2", len(f.Documents), len(f.Notes))
	}
	tx := source.NewText(data, false)
	for _, d := range f.Documents {
		for i, s := range lookup(d.Policy, "Statement").Items {
			sid := lookup(s, "Sid")
			off := tx.Offset(sid.Pos)
			want := `\"` + sid.Str + `\"`
			if s.Pos.Line != 1 || !bytes.HasPrefix(data[off:], []byte(want)) {
				t.Errorf("%s statement %d: Sid at %v points at %q, want %s", d.Resource, i, sid.Pos, data[off:off+len(want)], want)
			}
		}
	}
}

// TestRawPolicySize: the size is the compact form of the file's JSON.
func TestRawPolicySize(t *testing.T) {
	data := readFixture(t, "policy/recommendation.json")
	f, err := Load("p.json", data, Env{})
	if err != nil {
		t.Fatal(err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, data); err != nil {
		t.Fatal(err)
	}
	if got := f.Documents[0].Size; got != compact.Len() {
		t.Errorf("size %d, want %d", got, compact.Len())
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		data string
		want string
		// syntax: a *policy.SyntaxError; otherwise an *Error.
		syntax bool
	}{
		{"JSON syntax", "{\n  \"Statement\": [\n    {\"Effect\": \"Allow\",}\n  ]\n}\n", `f:3:24: invalid character '}' looking for beginning of object key string`, true},
		{"YAML syntax", "Resources:\n  K:\n    Type: x\n   Props: 1\n", "f:4:4: invalid YAML: value is not allowed in this context", true},
		{"binary", "\x00\x01\x02\xff", "f:1:1: binary file (byte 0x00), not JSON or YAML text", true},
		{"binary after text", "ELF\nab\x7fc", "f:2:3: binary file (byte 0x7f), not JSON or YAML text", true},
		{"YAML policy", "Statement:\n  - Effect: Allow\n", "f:1:1: " + notAKind + " (a key policy must be JSON)", false},
		{"other JSON", "\n  {\"name\": \"x\"}", "f:2:3: " + notAKind, false},
		{"JSON array", "[1, 2]", "f:1:1: " + notAKind, false},
		{"prose", "# Keys\n\nSome text.\n", "f:3:1: " + notAKind, false},
		{"empty", "", "f:1:1: empty file: " + notAKind, false},
		{"KeyPolicy string not JSON", `{"Resources": {"K": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": "{\"Statement\": [}"}}}}`,
			"f:1:93: KeyPolicy of K is not valid JSON: invalid character '}' looking for beginning of value", true},
		{"Terraform policy not JSON", `{"format_version": "1.0", "values": {"root_module": {"resources": [{"address": "aws_kms_key.k", "mode": "managed", "type": "aws_kms_key", "values": {"policy": "{x"}}]}}}`,
			"f:1:162: policy of aws_kms_key.k is not valid JSON: invalid character 'x' looking for beginning of object key string", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Load("f", []byte(tt.data), Env{})
			if err == nil {
				t.Fatalf("Load = %+v, want error %q", f, tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("error\n got %s\nwant %s", err, tt.want)
			}
			var se *policy.SyntaxError
			var ie *Error
			if tt.syntax && !errors.As(err, &se) || !tt.syntax && !errors.As(err, &ie) {
				t.Errorf("error type %T", err)
			}
		})
	}
}

func TestDetect(t *testing.T) {
	tests := []struct {
		file string
		want Format
	}{
		{"policy/recommendation.json", FormatPolicy},
		{"cfn/recommendation.yaml", FormatCloudFormation},
		{"cfn/recommendation.json", FormatCloudFormation},
		{"cfn/cdk.template.json", FormatCloudFormation},
		{"tf/plan.json", FormatTerraform},
		{"tf/state.json", FormatTerraform},
		{"errors/policy.yaml", FormatUnknown},
		{"walk/package.json", FormatUnknown},
		{"walk/broken.json", FormatUnknown},
	}
	for _, tt := range tests {
		if got := Detect(readFixture(t, tt.file)); got != tt.want {
			t.Errorf("Detect(%s) = %q, want %q", tt.file, got, tt.want)
		}
	}
}

func TestWalk(t *testing.T) {
	dir := filepath.Join("testdata", "walk")
	in := func(p ...string) string { return filepath.Join(append([]string{dir}, p...)...) }
	files, skipped, errs := Walk([]string{in("keys", "policy.json"), dir}, WalkOptions{Env: account})
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	var got []string
	for _, f := range files {
		got = append(got, f.Path+" "+string(f.Format)+" "+strconv.Itoa(len(f.Documents)))
	}
	want := []string{
		in("keys", "policy.json") + " policy 1", // named first, then not again
		in("keys", "template.yaml") + " cloudformation 1",
		in("sub", "state.json") + " terraform 1",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("files\n got %q\nwant %q", got, want)
	}
	wantSkipped := []Skipped{
		{in(".hidden"), "directory not searched"},
		{in("broken.json"), "3:24: invalid character '}' looking for beginning of object key string"},
		{in("notes.md"), "not a .json, .yaml, .yml, .template or .tf file"},
		{in("package.json"), "1:1: " + notAKind},
	}
	if !reflect.DeepEqual(skipped, wantSkipped) {
		t.Errorf("skipped\n got %q\nwant %q", skipped, wantSkipped)
	}
}

func TestWalkExplicitPaths(t *testing.T) {
	policyJSON := string(readFixture(t, "policy/recommendation.json"))
	tests := []struct {
		name  string
		paths []string
		stdin string
		want  string // error, or the loaded paths
	}{
		{"broken file named", []string{"testdata/walk/broken.json"}, "", "testdata/walk/broken.json:3:24: invalid character '}' looking for beginning of object key string"},
		{"other kind named", []string{"testdata/walk/notes.md"}, "", "testdata/walk/notes.md:3:1: " + notAKind},
		{"missing", []string{"testdata/nope.json"}, "", "testdata/nope.json: cannot read: no such file or directory"},
		{"stdin", []string{"-", "-"}, policyJSON, StdinName},
		{"stdin not a policy", []string{"-"}, "{}", StdinName + ":1:1: " + notAKind},
		{"stdin Terraform", []string{"-"}, "resource \"aws_kms_key\" \"k\" {\n  policy = jsonencode({Statement = []})\n}\n", StdinName},
		// The walk goes on past an input error.
		{"errors and files", []string{"testdata/nope.json", "testdata/walk/keys", "testdata/walk/notes.md"}, "",
			"testdata/nope.json: cannot read: no such file or directory; testdata/walk/notes.md:3:1: " + notAKind +
				"; testdata/walk/keys/policy.json testdata/walk/keys/template.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files, _, errs := Walk(tt.paths, WalkOptions{Stdin: strings.NewReader(tt.stdin)})
			var parts []string
			for _, err := range errs {
				parts = append(parts, err.Error())
			}
			var paths []string
			for _, f := range files {
				paths = append(paths, f.Path)
			}
			if len(paths) > 0 {
				parts = append(parts, strings.Join(paths, " "))
			}
			got := strings.Join(parts, "; ")
			if got != tt.want {
				t.Errorf("Walk(%q) = %q, want %q", tt.paths, got, tt.want)
			}
		})
	}
}

func fuzzInvariants(t *testing.T, f *File) {
	for _, d := range f.Documents {
		if d.Policy == nil {
			t.Fatalf("%s: nil policy", d.Resource)
		}
		if d.Size != len(d.Policy.AppendJSON(nil)) {
			t.Fatalf("%s: size %d", d.Resource, d.Size)
		}
		var walk func(n *policy.Node)
		walk = func(n *policy.Node) {
			if !n.Pos.Known() {
				t.Fatalf("%s: a node without position: %s", d.Resource, n.AppendJSON(nil))
			}
			for _, it := range n.Items {
				walk(it)
			}
			for _, fl := range n.Fields {
				walk(fl.Value)
			}
		}
		walk(d.Policy)
	}
}

func FuzzLoadYAML(f *testing.F) {
	for _, name := range []string{"cfn/recommendation.yaml", "walk/keys/template.yaml", "errors/policy.yaml"} {
		f.Add(readFixture(f, name))
	}
	for _, s := range []string{
		"Resources:\n  K:\n    Type: AWS::KMS::Key\n    Properties:\n      KeyPolicy: !Sub |\n        {\"Statement\": [\"${AWS::Region}\"]}\n",
		"Resources:\n  K:\n    Type: AWS::KMS::Key\n    Properties:\n      KeyPolicy: !Join ['', ['{\"a\":', !Ref X, '}']]\n",
		"Resources: {K: {Type: AWS::KMS::Key, Properties: {KeyPolicy: \"{\\\"a\\\": \\\"\\u00e9\\\"}\"}}}\n",
		"Conditions: {C: !Not [!Condition C]}\nResources: {K: {Type: AWS::KMS::Key, Condition: C}}\n",
		"a: &a [x]\nResources: {K: {Type: AWS::KMS::Key, Properties: {KeyPolicy: {S: [*a, *a]}}}}\n",
		"Resources:\n  K:\n    Type: AWS::KMS::Key\n    Properties:\n      KeyPolicy: >\n        {\"a\":\n\n          1}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Load("f.yaml", data, Env{})
		if err != nil {
			return
		}
		fuzzInvariants(t, file)
	})
}

func FuzzLoadTerraform(f *testing.F) {
	for _, name := range []string{"tf/plan.json", "tf/state.json", "policy/recommendation.json", "cfn/string-policy.json"} {
		f.Add(readFixture(f, name))
	}
	f.Add([]byte(`{"format_version":"1.0","values":{"root_module":{"resources":[{"address":"a","type":"aws_kms_key","values":{"policy":"{\"S\":\"\\u00e9\\n\"}"}}]}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Load("plan.json", data, Env{})
		if err != nil {
			return
		}
		fuzzInvariants(t, file)
	})
}

func BenchmarkLoadCloudFormation(b *testing.B) {
	// A template of 100 keys like the fixture's: the size of a large stack.
	one := readFixture(b, "cfn/recommendation.yaml")
	head, res, _ := bytes.Cut(one, []byte("\nResources:\n"))
	res, _, _ = bytes.Cut(res, []byte("\nOutputs:"))
	var big bytes.Buffer
	big.Write(head)
	big.WriteString("\nResources:\n")
	for i := range 50 {
		suffix := []byte(strconv.Itoa(i) + ":\n")
		big.Write(bytes.ReplaceAll(bytes.ReplaceAll(res, []byte("Key:\n"), append([]byte("Key"), suffix...)), []byte("Role:\n"), append([]byte("Role"), suffix...)))
		big.WriteByte('\n')
	}
	cases := []struct {
		name string
		data []byte
	}{
		{"yaml", one},
		{"cdk-json", readFixture(b, "cfn/cdk.template.json")},
		{"yaml-100-keys", big.Bytes()},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			f, err := Load("t", c.data, account)
			if err != nil || len(f.Documents) == 0 {
				b.Fatalf("%v, %d documents", err, len(f.Documents))
			}
			b.SetBytes(int64(len(c.data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Load("t", c.data, account); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
