// Package cfn finds the key policies of the KMS keys of a CloudFormation
// template (JSON or YAML, CDK synth output included) and resolves the
// intrinsic functions in them as far as the template and the given
// environment allow.
package cfn

import (
	"strings"

	"github.com/kmslint/kmslint/internal/input/deploy"
	"github.com/kmslint/kmslint/internal/input/source"
	"github.com/kmslint/kmslint/internal/policy"
)

// Env supplies what a template cannot tell about the stack it deploys. An
// empty AccountID or Region makes AWS::AccountId or AWS::Region the
// placeholders of package deploy.
type Env struct {
	AccountID string
	Region    string
	// Partition defaults to the partition of Region.
	Partition string
	// Parameters overrides template parameter defaults; it may also give
	// pseudo parameters such as AWS::StackName.
	Parameters map[string]string
}

// Template is a parsed template and the file it came from.
type Template struct {
	File string
	Text *source.Text
	// Root is the template: policy.ParseJSON of a JSON file, ParseYAML of a
	// YAML one.
	Root *policy.Node
	// YAML tells how to find the text of a string in the file.
	YAML bool
}

// Key is the key policy of one KMS key resource.
type Key struct {
	Resource string // logical ID
	Type     string // AWS::KMS::Key or AWS::KMS::ReplicaKey
	// Policy is the resolved key policy, positioned in the template.
	Policy *policy.Node
	// Unresolved lists the intrinsic functions whose value is a placeholder.
	Unresolved []source.Note
	// Placeholders are the strings the policy holds for them, such as
	// ${Fn::GetAtt Role.Arn}; a value containing one is not literal.
	Placeholders []string
	Notes        []source.Note
	// Deploying lists the pseudo parameters that Env did not give and that
	// took the placeholders of package deploy.
	Deploying []deploy.Use
}

// IsTemplate reports whether a parsed document is a CloudFormation template.
func IsTemplate(root *policy.Node) bool {
	return root != nil && root.Kind == policy.KindObject &&
		(root.Get("Resources") != nil || root.Get("AWSTemplateFormatVersion") != nil)
}

// defaultKeyPolicy is the policy CloudFormation gives an AWS::KMS::Key
// without KeyPolicy (the resource schema's default): the account root may do
// everything, through IAM policies.
// https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-kms-key.html#cfn-kms-key-keypolicy
const defaultKeyPolicy = `{"Version":"2012-10-17","Id":"key-default","Statement":[{"Sid":"Enable IAM User Permissions",` +
	`"Effect":"Allow","Principal":{"AWS":{"Fn::Sub":"arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}},` +
	`"Action":"kms:*","Resource":"*"}]}`

type template struct {
	file string
	text *source.Text
	yaml bool
	env  Env

	params, mappings, conditions, resources *policy.Node
	conds                                   map[string]*condResult
	// naming holds the IAM resources whose name is being resolved, to stop
	// a name defined through itself.
	naming map[string]bool
	// budget is what is left of maxValues; every resolver of the template
	// draws on it, so nested resolutions cannot multiply it.
	budget int
}

// Keys returns the key policies of the AWS::KMS::Key and AWS::KMS::ReplicaKey
// resources in template order, and notes about keys that get no policy to
// lint (a false condition, a replica key without KeyPolicy). A KeyPolicy
// string that is not JSON is an error at its position.
func Keys(tp *Template, env Env) ([]Key, []source.Note, error) {
	root := tp.Root
	t := &template{
		file: tp.File, text: tp.Text, yaml: tp.YAML, env: env,
		params:     root.Get("Parameters"),
		mappings:   root.Get("Mappings"),
		conditions: root.Get("Conditions"),
		resources:  root.Get("Resources"),
		conds:      map[string]*condResult{},
		naming:     map[string]bool{},
		budget:     maxValues,
	}
	if t.resources == nil || t.resources.Kind != policy.KindObject {
		return nil, nil, nil
	}
	var keys []Key
	var notes []source.Note
	for _, f := range t.resources.Fields {
		if strings.HasPrefix(f.Key, "Fn::ForEach::") {
			notes = append(notes, source.Note{Pos: f.KeyPos,
				Message: f.Key + " is not expanded: KMS keys it creates are not linted"})
			continue
		}
		typ, _ := text(f.Value.Get("Type"))
		if typ != "AWS::KMS::Key" && typ != "AWS::KMS::ReplicaKey" {
			continue
		}
		k, note, retry, err := t.key(f, typ, false)
		if retry {
			// The policy is a string of JSON: resolve again, this time
			// keeping the position of each byte of the strings built.
			k, note, _, err = t.key(f, typ, true)
		}
		if err != nil {
			return nil, nil, err
		}
		if note != nil {
			notes = append(notes, *note)
		}
		if k != nil {
			keys = append(keys, *k)
		}
	}
	return keys, notes, nil
}

// key resolves the policy of one key resource. It asks for a retry with
// tracking when the policy turns out to be a string.
func (t *template) key(f policy.Field, typ string, track bool) (*Key, *source.Note, bool, error) {
	r := newResolver(t, track)
	if c := f.Value.Get("Condition"); c != nil && c.Kind == policy.KindString {
		cr := r.condition(c.Str)
		switch {
		case cr.known && !cr.val:
			return nil, &source.Note{Pos: f.KeyPos,
				Message: f.Key + " is not created: its condition " + c.Str + " is false"}, false, r.err
		case !cr.known:
			r.notes = append(r.notes, source.Note{Pos: c.Pos, Message: f.Key + " is created only if condition " +
				c.Str + " holds, which cannot be evaluated (" + cr.why + "); it is linted as if it did"})
		}
	}
	var pol *policy.Node
	if kp := f.Value.Get("Properties").Get("KeyPolicy"); kp != nil {
		v, _ := r.value(kp)
		if r.err != nil {
			return nil, nil, false, r.err
		}
		if v != nil && v.Kind == policy.KindString {
			if !track {
				return nil, nil, true, nil
			}
			var err error
			if pol, err = source.ParseJSON(t.file, r.mapped(v)); err != nil {
				if se, ok := err.(*policy.SyntaxError); ok {
					se.Msg = "KeyPolicy of " + f.Key + " is not valid JSON: " + se.Msg
				}
				return nil, nil, false, err
			}
		} else {
			pol = v
		}
	}
	if pol == nil {
		if typ != "AWS::KMS::Key" {
			return nil, &source.Note{Pos: f.KeyPos,
				Message: f.Key + " has no KeyPolicy, which " + typ + " requires"}, false, nil
		}
		def, err := policy.ParseJSON(t.file, []byte(defaultKeyPolicy))
		if err != nil {
			return nil, nil, false, err
		}
		source.Place(def, f.KeyPos)
		pol, _ = r.value(def)
		r.notes = append(r.notes, source.Note{Pos: f.KeyPos, Message: f.Key +
			" has no KeyPolicy: CloudFormation gives it the default key policy, which is linted"})
	}
	return &Key{
		Resource:     f.Key,
		Type:         typ,
		Policy:       pol,
		Unresolved:   r.unresolved,
		Placeholders: r.placeholderList(),
		Notes:        r.notes,
		Deploying:    r.deploying.List(),
	}, nil, false, r.err
}
