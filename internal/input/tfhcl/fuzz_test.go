package tfhcl

import (
	"errors"
	"os"
	"testing"

	"github.com/kmslint/kmslint/internal/policy"
)

// FuzzKeys: any input either loads, with every node of every policy at a
// known position, or fails with a positioned syntax error; never a panic,
// and never a file read from disk.
func FuzzKeys(f *testing.F) {
	for _, name := range []string{"../testdata/tf/hcl/generated.tf", "../testdata/tf/module/main.tf", "../testdata/tf/module/iam.tf", "../testdata/tf/module/locals.tf"} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		"resource \"aws_kms_key\" \"k\" { policy = jsonencode({a = local.x}) }\nlocals { x = [local.x] }\n",
		"resource \"aws_kms_key\" \"k\" { policy = \"{\\\"a\\\": \\\"\\u00e9$${x}\\\"}\" }\n",
		"resource \"aws_kms_key\" \"k\" {\n  policy = <<-E\n    {\"a\":\n\t  \"%%{b}\"}\n  E\n}\n",
		"data \"aws_iam_policy_document\" \"d\" { source_policy_documents = [data.aws_iam_policy_document.d.json] }\nresource \"aws_kms_key\" \"k\" { policy = data.aws_iam_policy_document.d.json }\n",
		"resource \"aws_kms_key\" \"k\" { policy = format(\"%099999d\", 1) }\n",
		"locals { a = \"${local.b}${local.b}\"\n b = \"${local.c}${local.c}\"\n c = \"xxxxxxxxxxxxxxxx\" }\nresource \"aws_kms_key\" \"k\" { policy = jsonencode({a = local.a}) }\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		env := Env{ReadFile: func(string) ([]byte, error) { return nil, os.ErrNotExist }}
		keys, _, err := Keys("f.tf", data, env)
		if err != nil {
			var se *policy.SyntaxError
			if !errors.As(err, &se) || !se.Pos.Known() {
				t.Fatalf("error %v (%T) without a position", err, err)
			}
			return
		}
		for _, k := range keys {
			var walk func(n *policy.Node)
			walk = func(n *policy.Node) {
				if !n.Pos.Known() {
					t.Fatalf("%s: a node without position: %s", k.Address, n.AppendJSON(nil))
				}
				for _, it := range n.Items {
					walk(it)
				}
				for _, fl := range n.Fields {
					walk(fl.Value)
				}
			}
			walk(k.Policy)
		}
	})
}
