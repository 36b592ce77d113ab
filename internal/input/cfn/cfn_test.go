package cfn

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/kmslint/kmslint/internal/input/deploy"
	"github.com/kmslint/kmslint/internal/input/source"
	"github.com/kmslint/kmslint/internal/policy"
)

// base is the template around each resolver case: its KeyPolicy is
// {"V": EXPR}, so the case's expected JSON is {"V": resolved value}.
const base = `AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Name: {Type: String, Default: role-a}
  NoDefault: {Type: String}
  List: {Type: CommaDelimitedList, Default: "a, b,c"}
  FromSSM: {Type: "AWS::SSM::Parameter::Value<String>", Default: /x/y}
  Stage: {Type: String, Default: prod}
Mappings:
  Regions:
    us-east-1: {Principal: bedrock-agentcore.amazonaws.com, List: [x, y]}
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
  IsDev: !Not [!Condition IsProd]
  Both: !And [!Condition IsProd, !Equals [a, a]]
  Unknown: !Equals [!Ref NoDefault, x]
  UnknownOrTrue: !Or [!Condition Unknown, !Condition IsProd]
  UnknownAndFalse: !And [!Condition Unknown, !Condition IsDev]
  InUsEast1: !Equals [!Ref AWS::Region, us-east-1]
  Loop1: !Not [!Condition Loop2]
  Loop2: !Not [!Condition Loop1]
Resources:
  Role: {Type: AWS::IAM::Role, Properties: {RoleName: !Ref Name, Path: /svc/}}
  Generated: {Type: AWS::IAM::Role, Properties: {}}
  SelfNamed: {Type: AWS::IAM::Role, Properties: {RoleName: !GetAtt SelfNamed.Arn}}
  NamedAfter: {Type: AWS::IAM::User, Properties: {UserName: !Ref SelfNamed}}
  Bucket: {Type: AWS::S3::Bucket}
  Key:
    Type: AWS::KMS::Key
    Properties:
      KeyPolicy: {V: EXPR}
`

func loadYAML(t testing.TB, src string, env Env) ([]Key, []source.Note, error) {
	t.Helper()
	root, err := ParseYAML("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return Keys(&Template{File: "t.yaml", Text: source.NewText([]byte(src), true), Root: root, YAML: true}, env)
}

func spellings(uses []deploy.Use) []string {
	var out []string
	for _, u := range uses {
		out = append(out, u.As)
	}
	return out
}

func TestResolve(t *testing.T) {
	full := Env{AccountID: "111122223333", Region: "us-east-1"}
	tests := []struct {
		name       string
		expr       string
		env        Env
		want       string   // compact JSON of {"V": value}
		unresolved []string // substrings of the notes, in order
		deploying  []string // how the placeholders used are spelt
	}{
		{"pseudo parameters", `!Sub "${AWS::AccountId}/${AWS::Region}/${AWS::Partition}/${AWS::URLSuffix}"`, full,
			`{"V":"111122223333/us-east-1/aws/amazonaws.com"}`, nil, nil},
		{"partition of a China region", `!Ref AWS::Partition`, Env{Region: "cn-north-1"}, `{"V":"aws-cn"}`, nil, nil},
		{"deploying account, region and partition", `!Sub "arn:${AWS::Partition}:iam::${AWS::AccountId}:root/${AWS::Region}"`, Env{},
			`{"V":"arn:aws:iam::000000000000:root/deploying-region-1"}`,
			nil, []string{"${AWS::AccountId}", "${AWS::Region}", "${AWS::Partition}"}},
		{"deploying account with a given region", `!Sub "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"`, Env{Region: "cn-north-1"},
			`{"V":"arn:aws-cn:iam::000000000000:root"}`, nil, []string{"${AWS::AccountId}"}},
		{"stack name", `!Ref AWS::StackName`, full, `{"V":"${AWS::StackName}"}`, []string{"known only when the stack is deployed"}, nil},
		{"stack name given", `!Ref AWS::StackName`, Env{Parameters: map[string]string{"AWS::StackName": "prod"}}, `{"V":"prod"}`, nil, nil},
		{"parameter default", `!Ref Name`, full, `{"V":"role-a"}`, nil, nil},
		{"parameter given", `!Ref Name`, Env{Parameters: map[string]string{"Name": "role-b"}}, `{"V":"role-b"}`, nil, nil},
		{"parameter without default", `!Ref NoDefault`, full, `{"V":"${NoDefault}"}`, []string{"parameter NoDefault has no Default"}, nil},
		{"list parameter", `!Ref List`, full, `{"V":["a","b","c"]}`, nil, nil},
		{"SSM parameter", `!Ref FromSSM`, full, `{"V":"${FromSSM}"}`, []string{"read from SSM Parameter Store"}, nil},
		{"undeclared", `!Ref Nope`, full, `{"V":"${Nope}"}`, []string{"declares no parameter or resource"}, nil},
		{"ref to a role is its name", `!Ref Role`, full, `{"V":"role-a"}`, nil, nil},
		{"ref to a bucket", `!Ref Bucket`, full, `{"V":"${Bucket}"}`, []string{"physical ID of resource Bucket"}, nil},
		{"role ARN", `!GetAtt Role.Arn`, full, `{"V":"arn:aws:iam::111122223333:role/svc/role-a"}`, nil, nil},
		{"role ARN without account", `!GetAtt Role.Arn`, Env{Region: "us-east-1"},
			`{"V":"arn:aws:iam::000000000000:role/svc/role-a"}`, nil, []string{"${AWS::AccountId}"}},
		{"role named through itself", `!GetAtt SelfNamed.Arn`, full, `{"V":"${Fn::GetAtt SelfNamed.Arn}"}`, []string{"known only after deployment"}, nil},
		{"user named after a cycle", `!Ref NamedAfter`, full, `{"V":"${NamedAfter}"}`, []string{"physical ID of resource NamedAfter"}, nil},
		{"generated role name", `!GetAtt Generated.Arn`, full, `{"V":"${Fn::GetAtt Generated.Arn}"}`, []string{"Fn::GetAtt Generated.Arn is known only after deployment"}, nil},
		{"GetAtt long form", `{"Fn::GetAtt": [Bucket, Arn]}`, full, `{"V":"${Fn::GetAtt Bucket.Arn}"}`, []string{"known only after deployment"}, nil},
		{"Sub GetAtt", `!Sub "${Bucket.Arn}/*"`, full, `{"V":"${Fn::GetAtt Bucket.Arn}/*"}`, []string{"Fn::GetAtt Bucket.Arn"}, nil},
		{"Sub literal", `!Sub "${!Literal}-${Name}"`, full, `{"V":"${Literal}-role-a"}`, nil, nil},
		{"Sub variables", `!Sub ["${A}:${B}", {A: !Ref Name, B: x}]`, full, `{"V":"role-a:x"}`, nil, nil},
		{"Sub unclosed", `!Sub "a${Name"`, full, `{"V":"a${Name"}`, nil, nil},
		{"Join", `!Join [":", [a, !Ref Name, 3]]`, full, `{"V":"a:role-a:3"}`, nil, nil},
		{"Join of a list parameter", `!Join ["-", !Ref List]`, full, `{"V":"a-b-c"}`, nil, nil},
		{"Select Split", `!Select [1, !Split [",", "a,b,c"]]`, full, `{"V":"b"}`, nil, nil},
		{"Select out of range", `!Select [5, [a]]`, full, `{"V":"${Fn::Select}"}`, []string{"not in the list"}, nil},
		{"Select of unknown list", `!Select [0, !GetAZs ""]`, full, `{"V":"${Fn::Select}"}`, []string{"Fn::GetAZs", "Fn::Select"}, nil},
		{"If true", `!If [IsProd, a, b]`, full, `{"V":"a"}`, nil, nil},
		{"If false", `!If [IsDev, a, b]`, full, `{"V":"b"}`, nil, nil},
		{"And", `!If [Both, a, b]`, full, `{"V":"a"}`, nil, nil},
		{"Or decided by a known operand", `!If [UnknownOrTrue, a, b]`, full, `{"V":"a"}`, nil, nil},
		{"And decided by a known operand", `!If [UnknownAndFalse, a, b]`, full, `{"V":"b"}`, nil, nil},
		{"unknown condition takes the true value", `!If [Unknown, a, b]`, full, `{"V":"a"}`,
			[]string{"condition Unknown cannot be evaluated (parameter NoDefault has no Default"}, nil},
		{"condition on the deploying region", `!If [InUsEast1, a, b]`, Env{}, `{"V":"a"}`,
			[]string{"condition InUsEast1 cannot be evaluated (it depends on the account, region or partition the stack deploys to)"}, []string{"${AWS::Region}"}},
		{"mapping of the deploying region", `!FindInMap [Regions, !Ref AWS::Region, Principal]`, Env{}, `{"V":"${Fn::FindInMap}"}`,
			[]string{"a key is not known"}, []string{"${AWS::Region}"}},
		{"condition loop", `!If [Loop1, a, b]`, full, `{"V":"a"}`, []string{"refers to itself"}, nil},
		{"undeclared condition", `!If [Nope, a, b]`, full, `{"V":"a"}`, []string{"declares no condition Nope"}, nil},
		{"NoValue in a list", `[a, !Ref AWS::NoValue, !If [IsDev, b, !Ref AWS::NoValue], c]`, full, `{"V":["a","c"]}`, nil, nil},
		{"NoValue in an object", `{A: 1, B: !If [IsDev, 2, !Ref AWS::NoValue]}`, full, `{"V":{"A":1}}`, nil, nil},
		{"FindInMap", `!FindInMap [Regions, !Ref AWS::Region, Principal]`, full, `{"V":"bedrock-agentcore.amazonaws.com"}`, nil, nil},
		{"FindInMap list", `!FindInMap [Regions, us-east-1, List]`, full, `{"V":["x","y"]}`, nil, nil},
		{"FindInMap default", `!FindInMap [Regions, eu-west-1, Principal, {DefaultValue: d}]`, full, `{"V":"d"}`, nil, nil},
		{"FindInMap missing", `!FindInMap [Regions, eu-west-1, Principal]`, full, `{"V":"${Fn::FindInMap}"}`, []string{"Mappings has no Regions.eu-west-1.Principal"}, nil},
		{"ImportValue", `!ImportValue {"Fn::Sub": "${Name}-arn"}`, full, `{"V":"${Fn::ImportValue role-a-arn}"}`, []string{"another stack's export"}, nil},
		{"Base64", `!Base64 abc`, full, `{"V":"YWJj"}`, nil, nil},
		{"ToJsonString", `{"Fn::ToJsonString": {a: [1, !Ref Name]}}`, full, `{"V":"{\"a\":[1,\"role-a\"]}"}`, nil, nil},
		{"Length", `{"Fn::Length": !Ref List}`, full, `{"V":3}`, nil, nil},
		{"condition function as a value", `!Equals [a, a]`, full, `{"V":"${Fn::Equals}"}`, []string{"valid only in the Conditions section"}, nil},
		{"unknown function", `!Cidr [10.0.0.0/16, 2, 8]`, full, `{"V":"${Fn::Cidr}"}`, []string{"not evaluated"}, nil},
		{"YAML scalars", `[1, 1.5, true, null, 2012-10-17, 012345678901, "7"]`, full, `{"V":[1,1.5,true,null,"2012-10-17","012345678901","7"]}`, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys, _, err := loadYAML(t, strings.Replace(base, "EXPR", tt.expr, 1), tt.env)
			if err != nil {
				t.Fatal(err)
			}
			if len(keys) != 1 {
				t.Fatalf("%d keys, want 1", len(keys))
			}
			k := keys[0]
			if got := string(k.Policy.AppendJSON(nil)); got != tt.want {
				t.Errorf("policy\n got %s\nwant %s", got, tt.want)
			}
			if len(k.Unresolved) != len(tt.unresolved) {
				t.Errorf("unresolved %v, want %d notes like %q", k.Unresolved, len(tt.unresolved), tt.unresolved)
			} else {
				for i, want := range tt.unresolved {
					if !strings.Contains(k.Unresolved[i].Message, want) {
						t.Errorf("note %d %q, want it to say %q", i, k.Unresolved[i].Message, want)
					}
				}
			}
			if got := spellings(k.Deploying); !reflect.DeepEqual(got, tt.deploying) {
				t.Errorf("deploying %v, want %v", got, tt.deploying)
			}
		})
	}
}

// TestResolvedPositions: a resolved value sits at its intrinsic, an inline
// value at its own place, an unresolved note at the intrinsic.
func TestResolvedPositions(t *testing.T) {
	src := strings.Replace(base, "{V: EXPR}", `
        A: !Ref Name
        B: !If [IsProd, [x, y], z]
        C: {"Fn::GetAtt": [Bucket, Arn]}`, 1)
	keys, _, err := loadYAML(t, src, Env{AccountID: "111122223333", Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	k := keys[0]
	line := strings.Count(src[:strings.Index(src, "        A:")], "\n") + 1
	checks := []struct {
		what      string
		got, want policy.Pos
	}{
		{"Ref", k.Policy.Get("A").Pos, policy.Pos{Line: line, Col: 12}},
		{"If branch item", k.Policy.Get("B").Items[1].Pos, policy.Pos{Line: line + 1, Col: 29}},
		{"GetAtt note", k.Unresolved[0].Pos, policy.Pos{Line: line + 2, Col: 12}},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s at %v, want %v", c.what, c.got, c.want)
		}
	}
}

func TestKeysResources(t *testing.T) {
	src := `Conditions:
  No: !Equals [a, b]
  Maybe: !Equals [!Ref AWS::Region, us-east-1]
Resources:
  Skipped:
    Type: AWS::KMS::Key
    Condition: No
    Properties: {KeyPolicy: {Statement: []}}
  Conditional:
    Type: AWS::KMS::Key
    Condition: Maybe
    Properties: {KeyPolicy: {Statement: []}}
  Default:
    Type: AWS::KMS::Key
  Replica:
    Type: AWS::KMS::ReplicaKey
    Properties: {PrimaryKeyArn: x}
  Fn::ForEach::Keys: [K, [a, b], {"Key${K}": {Type: AWS::KMS::Key}}]
  Other:
    Type: AWS::SNS::Topic
`
	keys, notes, err := loadYAML(t, src, Env{AccountID: "111122223333"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, k := range keys {
		names = append(names, k.Resource)
	}
	if want := []string{"Conditional", "Default"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("keys %v, want %v", names, want)
	}
	if n := keys[0].Notes; len(n) != 1 || !strings.Contains(n[0].Message, "linted as if it did") || n[0].Pos != (policy.Pos{Line: 11, Col: 16}) {
		t.Errorf("conditional key notes %v", n)
	}
	if got := spellings(keys[0].Deploying); !reflect.DeepEqual(got, []string{"${AWS::Region}"}) {
		t.Errorf("conditional key deploying %v", got)
	}
	def := keys[1]
	if got, want := string(def.Policy.AppendJSON(nil)), `{"Version":"2012-10-17","Id":"key-default","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}`; got != want {
		t.Errorf("default policy\n got %s\nwant %s", got, want)
	}
	if p := def.Policy.Get("Statement").Items[0].Pos; p != (policy.Pos{Line: 13, Col: 3}) {
		t.Errorf("default policy statement at %v, want the resource at 13:3", p)
	}
	wantNotes := []struct {
		pos  policy.Pos
		says string
	}{
		{policy.Pos{Line: 5, Col: 3}, "Skipped is not created: its condition No is false"},
		{policy.Pos{Line: 15, Col: 3}, "Replica has no KeyPolicy"},
		{policy.Pos{Line: 18, Col: 3}, "Fn::ForEach::Keys is not expanded"},
	}
	if len(notes) != len(wantNotes) {
		t.Fatalf("notes %v, want %d", notes, len(wantNotes))
	}
	for i, w := range wantNotes {
		if notes[i].Pos != w.pos || !strings.Contains(notes[i].Message, w.says) {
			t.Errorf("note %d = %v, want %q at %v", i, notes[i], w.says, w.pos)
		}
	}
}

func TestKeysErrors(t *testing.T) {
	bomb := "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	prev := "a"
	for _, n := range []string{"b", "c", "d", "e", "f", "g"} {
		bomb += n + ": &" + n + " [" + strings.Repeat("*"+prev+", ", 9) + "*" + prev + "]\n"
		prev = n
	}
	tests := []struct {
		name, src string
		want      string
	}{
		{"policy string not JSON", "Resources:\n  K:\n    Type: AWS::KMS::Key\n    Properties:\n      KeyPolicy: |\n        {\"Statement\": [}\n",
			"t.yaml:6:24: KeyPolicy of K is not valid JSON: invalid character '}' looking for beginning of value"},
		{"alias bomb", bomb + "Resources:\n  K:\n    Type: AWS::KMS::Key\n    Properties:\n      KeyPolicy: {V: *g}\n",
			"expands to more than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := loadYAML(t, tt.src, Env{})
			var se *policy.SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %v, want a *policy.SyntaxError", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want %q", err, tt.want)
			}
		})
	}
}

func TestParseYAMLErrors(t *testing.T) {
	tests := []struct{ src, want string }{
		{"a: [\n", "t.yaml:1:4: invalid YAML: sequence end token ']' not found"},
		{"Resources:\n  K:\n    Type: x\n   Props: 1\n", "t.yaml:4:4: invalid YAML:"},
		{"a: &x [*x]\n", "t.yaml:1:4: invalid YAML: alias refers to a node that contains it"},
		{"? [a]\n: b\n", "t.yaml:1:3: invalid template: a mapping key must be a string"},
	}
	for _, tt := range tests {
		_, err := ParseYAML("t.yaml", []byte(tt.src))
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("ParseYAML(%q) error %v, want %q", tt.src, err, tt.want)
		}
	}
}
