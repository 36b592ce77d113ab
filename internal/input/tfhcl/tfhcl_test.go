package tfhcl

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kmslint/kmslint/internal/input/deploy"
	"github.com/kmslint/kmslint/internal/policy"
)

// one loads a single .tf file's first key (no module siblings).
func one(t *testing.T, src string, env Env) (Key, error) {
	t.Helper()
	env.ReadFile = func(string) ([]byte, error) { return nil, os.ErrNotExist }
	keys, notes, err := Keys("main.tf", []byte(src), env)
	if err != nil {
		return Key{}, err
	}
	if len(keys) != 1 {
		t.Fatalf("%d keys (notes %v), want 1", len(keys), notes)
	}
	return keys[0], nil
}

func compact(k Key) string { return string(k.Policy.AppendJSON(nil)) }

func TestPolicyForms(t *testing.T) {
	known := Env{AccountID: "111122223333", Region: "us-east-1"}
	tests := []struct {
		name string
		src  string
		env  Env
		want string
		// placeholders expected in the policy
		placeholders []string
		deploying    []deploy.Param
	}{
		{"jsonencode", `resource "aws_kms_key" "k" {
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { AWS = "arn:aws:iam::111122223333:root" }, Action = "kms:*", Resource = "*" }]
  })
}`, known, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}`, nil, nil},
		{"jsonencode with bools, numbers and computed values", `locals { acct = "111122223333" }
resource "aws_kms_key" "k" {
  policy = jsonencode({
    Statement = [{
      Condition = { Bool = { "aws:SecureTransport" = true }, NumericLessThan = { "n" = 3 } }
      Principal = { AWS = [for r in ["a", "b"] : "arn:aws:iam::${local.acct}:role/${r}"] }
    }]
  })
}`, known, `{"Statement":[{"Condition":{"Bool":{"aws:SecureTransport":true},"NumericLessThan":{"n":3}},"Principal":{"AWS":["arn:aws:iam::111122223333:role/a","arn:aws:iam::111122223333:role/b"]}}]}`, nil, nil},
		{"heredoc with interpolation", "variable \"acct\" { default = \"111122223333\" }\nresource \"aws_kms_key\" \"k\" {\n  policy = <<-EOT\n    {\"Statement\": [{\"Principal\": {\"AWS\": \"arn:aws:iam::${var.acct}:root\"}, \"Sid\": \"$${literal}\"}]}\n  EOT\n}\n",
			known, `{"Statement":[{"Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Sid":"${literal}"}]}`, nil, nil},
		{"quoted string with escapes", `resource "aws_kms_key_policy" "k" {
  policy = "{\"Statement\": [{\"Sid\": \"A\"}]}"
}`, known, `{"Statement":[{"Sid":"A"}]}`, nil, nil},
		{"unknown variable and resource attribute", `variable "role" {}
resource "aws_iam_role" "gen" {}
resource "aws_kms_key" "k" {
  policy = jsonencode({ Statement = [{ Principal = { AWS = [var.role, aws_iam_role.gen.arn, module.m.arn] } }] })
}`, known, `{"Statement":[{"Principal":{"AWS":["${var.role}","${aws_iam_role.gen.arn}","${module.m.arn}"]}}]}`,
			[]string{"${aws_iam_role.gen.arn}", "${module.m.arn}", "${var.role}"}, nil},
		{"named role ARN", `resource "aws_iam_role" "r" {
  name = "Caller"
  path = "/svc/"
}
resource "aws_kms_key" "k" {
  policy = jsonencode({ Statement = [{ Principal = { AWS = aws_iam_role.r.arn } }] })
}`, known, `{"Statement":[{"Principal":{"AWS":"arn:aws:iam::111122223333:role/svc/Caller"}}]}`, nil, nil},
		{"deploying account, region and partition", `data "aws_caller_identity" "me" {}
data "aws_region" "here" {}
data "aws_partition" "p" {}
resource "aws_kms_key" "k" {
  policy = jsonencode({ Statement = [{
    Principal = { AWS = "arn:${data.aws_partition.p.partition}:iam::${data.aws_caller_identity.me.account_id}:root" }
    Condition = { StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.me.account_id, "kms:ViaService" = "bedrock-agentcore.${data.aws_region.here.name}.${data.aws_partition.p.dns_suffix}" } }
  }] })
}`, Env{}, `{"Statement":[{"Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Condition":{"StringEquals":{"aws:SourceAccount":"000000000000","kms:ViaService":"bedrock-agentcore.deploying-region-1.amazonaws.com"}}}]}`,
			nil, []deploy.Param{deploy.AccountParam, deploy.RegionParam, deploy.PartitionParam}},
		{"a region the data source names", `data "aws_region" "west" { region = "us-west-2" }
resource "aws_kms_key" "k" {
  policy = jsonencode({ R = data.aws_region.west.region })
}`, Env{}, `{"R":"us-west-2"}`, nil, nil},
		{"condition on a known value", `variable "prod" { default = true }
resource "aws_kms_key" "k" {
  policy = jsonencode({ S = var.prod ? "yes" : "no" })
}`, known, `{"S":"yes"}`, nil, nil},
		{"condition on an unknown value takes the true value", `variable "env" {}
resource "aws_kms_key" "k" {
  policy = jsonencode({ S = var.env == "prod" ? "yes" : "no" })
}`, known, `{"S":"yes"}`, []string{"${var.env}"}, nil},
		{"local through a local", `locals {
  doc = jsonencode({ S = local.s })
  s   = upper("x")
}
resource "aws_kms_key" "k" { policy = local.doc }`, known, `{"S":"X"}`, nil, nil},
		{"local defined through itself", `locals { a = local.a }
resource "aws_kms_key" "k" { policy = jsonencode({ S = local.a }) }`, known, `{"S":"${local.a}"}`, []string{"${local.a}"}, nil},
		{"function kmslint does not know", `resource "aws_kms_key" "k" { policy = jsonencode({ S = nosuch("x") }) }`, known,
			`{"S":"${nosuch(\"x\")}"}`, []string{`${nosuch("x")}`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := one(t, tt.src, tt.env)
			if err != nil {
				t.Fatal(err)
			}
			if got := compact(k); got != tt.want {
				t.Errorf("policy\n got %s\nwant %s", got, tt.want)
			}
			if !reflect.DeepEqual(k.Placeholders, tt.placeholders) && len(k.Placeholders)+len(tt.placeholders) > 0 {
				t.Errorf("placeholders %q, want %q", k.Placeholders, tt.placeholders)
			}
			if len(k.Unresolved) < len(tt.placeholders) {
				t.Errorf("unresolved notes %v: want one per placeholder", k.Unresolved)
			}
			var params []deploy.Param
			for _, u := range k.Deploying {
				params = append(params, u.Param)
			}
			if !reflect.DeepEqual(params, tt.deploying) {
				t.Errorf("deploying %v, want %v", k.Deploying, tt.deploying)
			}
		})
	}
}

func TestPolicyDocument(t *testing.T) {
	src := `data "aws_iam_policy_document" "d" {
  policy_id = "key-policy"
  statement {
    sid       = "Admins"
    actions   = ["kms:Describe*", "kms:Create*", "kms:Describe*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::111122223333:role/B"]
    }
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::111122223333:role/A", "arn:aws:iam::111122223333:role/C"]
    }
    principals {
      type        = "Service"
      identifiers = ["logs.amazonaws.com"]
    }
  }
  statement {
    effect    = "Deny"
    actions   = ["kms:*"]
    resources = ["arn:aws:kms:*:*:key/&{aws:username}"]
    not_principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "StringNotEquals"
      variable = "aws:SourceAccount"
      values   = ["111122223333"]
    }
    condition {
      test     = "StringNotEquals"
      variable = "aws:SourceAccount"
      values   = ["444455556666", "555566667777"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}
resource "aws_kms_key" "k" { policy = data.aws_iam_policy_document.d.json }
`
	k, err := one(t, src, Env{})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"Version":"2012-10-17","Id":"key-policy","Statement":[` +
		`{"Sid":"Admins","Effect":"Allow","Action":["kms:Describe*","kms:Create*"],"Resource":"*",` +
		`"Principal":{"AWS":["arn:aws:iam::111122223333:role/B","arn:aws:iam::111122223333:role/C","arn:aws:iam::111122223333:role/A"],"Service":"logs.amazonaws.com"}},` +
		`{"Effect":"Deny","Action":"kms:*","Resource":"arn:aws:kms:*:*:key/${aws:username}","NotPrincipal":"*",` +
		`"Condition":{"Bool":{"aws:SecureTransport":"false"},"StringNotEquals":{"aws:SourceAccount":["111122223333","444455556666","555566667777"]}}}]}`
	if got := compact(k); got != want {
		t.Errorf("policy\n got %s\nwant %s", got, want)
	}
	st := k.Policy.Get("Statement").Items
	if st[0].Pos != (policy.Pos{Line: 3, Col: 3}) || st[1].Pos != (policy.Pos{Line: 20, Col: 3}) {
		t.Errorf("statements at %v and %v, want their blocks at 3:3 and 20:3", st[0].Pos, st[1].Pos)
	}
	if p := st[0].Get("Principal").Get("AWS").Items[1].Pos; p != (policy.Pos{Line: 13, Col: 59}) {
		t.Errorf("role C at %v, want 13:59", p)
	}
}

func TestPolicyDocumentMerge(t *testing.T) {
	src := `data "aws_iam_policy_document" "base" {
  statement {
    sid     = "A"
    actions = ["kms:Decrypt"]
  }
  statement {
    sid     = "B"
    actions = ["kms:Encrypt"]
  }
}
data "aws_iam_policy_document" "d" {
  source_policy_documents   = [data.aws_iam_policy_document.base.json]
  override_policy_documents = [jsonencode({ Statement = [{ Sid = "B", Action = "kms:Sign" }] })]
  statement {
    sid     = "A"
    actions = ["kms:GenerateDataKey"]
  }
  statement {
    actions = ["kms:DescribeKey"]
  }
}
resource "aws_kms_key" "k" { policy = data.aws_iam_policy_document.d.minified_json }
`
	k, err := one(t, src, Env{})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"kms:GenerateDataKey"},{"Sid":"B","Action":"kms:Sign"},{"Effect":"Allow","Action":"kms:DescribeKey"}]}`
	if got := compact(k); got != want {
		t.Errorf("policy\n got %s\nwant %s", got, want)
	}
}

func TestDynamicStatements(t *testing.T) {
	src := `variable "services" { default = ["b.amazonaws.com", "a.amazonaws.com"] }
variable "unknown" {}
data "aws_iam_policy_document" "d" {
  dynamic "statement" {
    for_each = var.services
    iterator = svc
    content {
      sid = "S${svc.key}"
      principals {
        type        = "Service"
        identifiers = [svc.value]
      }
    }
  }
  dynamic "statement" {
    for_each = var.unknown
    content {
      sid = "Never"
    }
  }
}
resource "aws_kms_key" "k" { policy = data.aws_iam_policy_document.d.json }
`
	k, err := one(t, src, Env{})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"Version":"2012-10-17","Statement":[{"Sid":"S0","Effect":"Allow","Principal":{"Service":"b.amazonaws.com"}},{"Sid":"S1","Effect":"Allow","Principal":{"Service":"a.amazonaws.com"}}]}`
	if got := compact(k); got != want {
		t.Errorf("policy\n got %s\nwant %s", got, want)
	}
	found := false
	for _, n := range k.Unresolved {
		found = found || strings.Contains(n.Message, `dynamic "statement" is not expanded`)
	}
	if !found {
		t.Errorf("no note on the dynamic block with an unknown for_each: %v", k.Unresolved)
	}
}

func TestHeredocPositions(t *testing.T) {
	data, err := os.ReadFile("../testdata/tf/hcl/generated.tf")
	if err != nil {
		t.Fatal(err)
	}
	keys, _, err := Keys("generated.tf", data, Env{})
	if err != nil || len(keys) != 1 {
		t.Fatalf("%v, %d keys", err, len(keys))
	}
	lines := strings.Split(string(data), "\n")
	for _, st := range keys[0].Policy.Get("Statement").Items {
		sid := st.Get("Sid")
		line := lines[sid.Pos.Line-1]
		if col := strings.Index(line, `"`+sid.Str+`"`) + 1; col != sid.Pos.Col {
			t.Errorf("Sid %s at %v, want column %d of %q", sid.Str, sid.Pos, col, line)
		}
		if l := lines[st.Pos.Line-1]; strings.TrimSpace(l) != "{" || strings.Index(l, "{")+1 != st.Pos.Col {
			t.Errorf("statement at %v: %q", st.Pos, l)
		}
	}
}

func TestModule(t *testing.T) {
	dir := filepath.Join("..", "testdata", "tf", "module")
	main := filepath.Join(dir, "main.tf")
	data, err := os.ReadFile(main)
	if err != nil {
		t.Fatal(err)
	}
	keys, notes, err := Keys(main, data, Env{Module: true})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, k := range keys {
		got = append(got, k.Address+" "+filepath.Base(k.File))
	}
	want := []string{"aws_kms_key.recommendation iam.tf", "aws_kms_key.inline main.tf", "aws_kms_key_policy.from_file policy.json"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("keys %q, want %q", got, want)
	}
	var said []string
	for _, n := range notes {
		said = append(said, n.Message)
	}
	if len(said) != 3 || !strings.Contains(said[0], "aws_kms_key.separate has its policy set by aws_kms_key_policy.from_file") ||
		!strings.Contains(said[1], "aws_kms_key.default has no policy: AWS KMS gives the key its default key policy") ||
		!strings.Contains(said[2], "aws_kms_key.later is known only when Terraform runs") {
		t.Errorf("notes %q", said)
	}
	rec := keys[0].Policy
	// terraform.tfvars overrides the default of admin_arns and sets the
	// map the dynamic statement iterates over.
	if got := string(rec.Get("Statement").Items[1].Get("Principal").AppendJSON(nil)); !strings.Contains(got, "role/BreakGlass") || strings.Contains(got, "role/Default") {
		t.Errorf("principals %s: want the tfvars admins", got)
	}
	if n := len(rec.Get("Statement").Items); n != 3 {
		t.Errorf("%d statements, want 3 (one from the dynamic block)", n)
	}
	inline := keys[1]
	if want := []string{"${var.caller_role_arn}"}; !reflect.DeepEqual(inline.Placeholders, want) {
		t.Errorf("inline placeholders %q, want %q", inline.Placeholders, want)
	}
	// The service statement is a local of locals.tf: its positions are
	// those of the reference in main.tf.
	if p := inline.Policy.Get("Statement").Items[2].Pos; p != (policy.Pos{Line: 40, Col: 7}) {
		t.Errorf("local statement at %v, want the reference at 40:7", p)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"syntax", "resource \"aws_kms_key\" \"k\" {\n  policy = \n}\n", "main.tf:2:12: invalid Terraform configuration"},
		{"policy not JSON", "resource \"aws_kms_key\" \"k\" {\n  policy = <<EOT\n{\"Statement\": [}\nEOT\n}\n", "main.tf:3:16: policy of aws_kms_key.k is not valid JSON"},
		{"policy not a string", "resource \"aws_kms_key\" \"k\" {\n  policy = 3\n}\n", "main.tf:2:12: policy of aws_kms_key.k is not a string of JSON"},
		{"file missing", "resource \"aws_kms_key\" \"k\" {\n  policy = file(\"nope.json\")\n}\n", "main.tf:2:18: policy of aws_kms_key.k: file(nope.json): file does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := one(t, tt.src, Env{})
			var se *policy.SyntaxError
			if !errors.As(err, &se) || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error %v (%T), want one starting %q", err, err, tt.want)
			}
		})
	}
}
