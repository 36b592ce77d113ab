// Package tfplan finds the key policies in the JSON that `terraform show
// -json` prints for a saved plan or for the state. A policy there is a JSON
// string inside the JSON document; its positions are mapped back into the
// escaped string of the plan file.
//
// https://developer.hashicorp.com/terraform/internals/json-format
package tfplan

import (
	"github.com/kmslint/kmslint/internal/input/source"
	"github.com/kmslint/kmslint/internal/policy"
)

// Key is the key policy of one Terraform resource.
type Key struct {
	// Address is the resource address from the plan, e.g.
	// module.kms.aws_kms_key.this or aws_kms_key.k["a"].
	Address string
	Type    string
	Policy  *policy.Node
}

// policyTypes are the AWS provider resources whose "policy" attribute is a
// key policy.
func policyType(typ string) bool {
	switch typ {
	case "aws_kms_key", "aws_kms_key_policy", "aws_kms_external_key",
		"aws_kms_replica_key", "aws_kms_replica_external_key":
		return true
	}
	return false
}

// IsPlan reports whether a parsed JSON document is Terraform's JSON output
// for a plan or a state.
func IsPlan(root *policy.Node) bool {
	if root == nil || root.Kind != policy.KindObject {
		return false
	}
	v := root.Get("format_version")
	return v != nil && v.Kind == policy.KindString
}

// Keys returns the key policies of the managed resources in
// planned_values (a plan) or values (a state), root module first and then
// child modules depth first, in file order; and a note for each resource
// whose policy is not known until apply or is not set.
func Keys(file string, text *source.Text, root *policy.Node) ([]Key, []source.Note, error) {
	unknown := unknownPolicies(root)
	values := root.Get("planned_values")
	if values == nil {
		values = root.Get("values")
	}
	var keys []Key
	var notes []source.Note
	var walk func(mod *policy.Node) error
	walk = func(mod *policy.Node) error {
		if mod == nil {
			return nil
		}
		for _, res := range items(mod.Get("resources")) {
			k, note, err := key(file, text, res, unknown)
			if err != nil {
				return err
			}
			if k != nil {
				keys = append(keys, *k)
			}
			if note != nil {
				notes = append(notes, *note)
			}
		}
		for _, child := range items(mod.Get("child_modules")) {
			if err := walk(child); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(values.Get("root_module")); err != nil {
		return nil, nil, err
	}
	return keys, notes, nil
}

func items(n *policy.Node) []*policy.Node {
	if n == nil || n.Kind != policy.KindArray {
		return nil
	}
	return n.Items
}

func str(n *policy.Node) string {
	if n == nil || n.Kind != policy.KindString {
		return ""
	}
	return n.Str
}

// unknownPolicies lists the addresses whose policy is computed at apply:
// planned_values omits them and resource_changes marks them in after_unknown.
func unknownPolicies(root *policy.Node) map[string]bool {
	out := map[string]bool{}
	for _, rc := range items(root.Get("resource_changes")) {
		if u := rc.Get("change").Get("after_unknown").Get("policy"); u != nil && u.Kind == policy.KindBool && u.Bool {
			out[str(rc.Get("address"))] = true
		}
	}
	return out
}

func key(file string, text *source.Text, res *policy.Node, unknown map[string]bool) (*Key, *source.Note, error) {
	typ := str(res.Get("type"))
	if !policyType(typ) || (res.Get("mode") != nil && str(res.Get("mode")) != "managed") {
		return nil, nil, nil
	}
	addr := str(res.Get("address"))
	at := res.Pos
	if a := res.Get("address"); a != nil {
		at = a.Pos
	}
	pol := res.Get("values").Get("policy")
	if pol == nil || pol.Kind != policy.KindString || pol.Str == "" {
		msg := addr + " has no policy: AWS KMS gives the key its default key policy"
		switch {
		case unknown[addr]:
			msg = "the policy of " + addr + " is known only after apply"
		case typ == "aws_kms_key_policy":
			msg = addr + " has no policy"
		}
		return nil, &source.Note{Pos: at, Message: msg}, nil
	}
	tree, err := source.ParseJSON(file, text.StringAt(pol))
	if err != nil {
		if se, ok := err.(*policy.SyntaxError); ok {
			se.Msg = "policy of " + addr + " is not valid JSON: " + se.Msg
		}
		return nil, nil, err
	}
	return &Key{Address: addr, Type: typ, Policy: tree}, nil, nil
}
