package cfn

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	goccy "github.com/goccy/go-yaml"
	goccyparser "github.com/goccy/go-yaml/parser"
	"go.yaml.in/yaml/v3"

	"github.com/kmslint/kmslint/internal/policy"
)

// ParseYAML reads a YAML CloudFormation template into a Node tree with the
// position of every value and key. Short-form intrinsic function tags become
// the long form CloudFormation documents (`!Sub x` is {"Fn::Sub": x},
// `!GetAtt A.B` is {"Fn::GetAtt": ["A", "B"]}), so that one resolver serves
// JSON and YAML templates. Duplicate keys are kept. An empty document gives a
// nil Node. Errors are *policy.SyntaxError.
func ParseYAML(file string, data []byte) (*policy.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlSyntaxError(file, data, err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, nil
	}
	c := converter{file: file, done: map[*yaml.Node]*policy.Node{}, busy: map[*yaml.Node]bool{}}
	return c.node(doc.Content[0])
}

// yamlSyntaxError turns a yaml.v3 error into a positioned one. yaml.v3's
// messages carry at most a line, so goccy/go-yaml, whose errors carry the
// offending token, is asked where the problem is; its message is used when
// it agrees that the document is broken.
func yamlSyntaxError(file string, data []byte, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	pos := policy.Pos{Line: 1, Col: 1}
	if _, gerr := goccyparser.ParseBytes(data, 0); gerr != nil {
		var ge goccy.Error
		var dup *goccy.DuplicateKeyError
		if errors.As(gerr, &ge) && !errors.As(gerr, &dup) {
			if tk := ge.GetToken(); tk != nil && tk.Position != nil && tk.Position.Line > 0 {
				return &policy.SyntaxError{
					File: file,
					Pos:  policy.Pos{Line: tk.Position.Line, Col: max(tk.Position.Column, 1)},
					Msg:  "invalid YAML: " + ge.GetMessage(),
				}
			}
		}
	}
	// "line 3: did not find expected key"
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, tail, ok := strings.Cut(rest, ": "); ok {
			if n, err := strconv.Atoi(num); err == nil && n > 0 {
				pos.Line = n
				msg = tail
			}
		}
	}
	return &policy.SyntaxError{File: file, Pos: pos, Msg: "invalid YAML: " + msg}
}

type converter struct {
	file string
	// done shares the conversion of an anchored node between its aliases, so
	// that an alias bomb costs memory linear in the file; busy detects an
	// alias inside its own anchor.
	done map[*yaml.Node]*policy.Node
	busy map[*yaml.Node]bool
}

func (c *converter) errAt(n *yaml.Node, msg string) error {
	return &policy.SyntaxError{File: c.file, Pos: policy.Pos{Line: n.Line, Col: n.Column}, Msg: msg}
}

func (c *converter) node(n *yaml.Node) (*policy.Node, error) {
	if out, ok := c.done[n]; ok {
		return out, nil
	}
	if c.busy[n] {
		return nil, c.errAt(n, "invalid YAML: alias refers to a node that contains it")
	}
	c.busy[n] = true
	out, err := c.convert(n)
	delete(c.busy, n)
	if err != nil {
		return nil, err
	}
	if n.Anchor != "" {
		c.done[n] = out
	}
	return out, nil
}

func (c *converter) convert(n *yaml.Node) (*policy.Node, error) {
	pos := policy.Pos{Line: n.Line, Col: n.Column}
	var out *policy.Node
	switch n.Kind {
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, c.errAt(n, "invalid YAML: unknown anchor "+strconv.Quote(n.Value))
		}
		return c.node(n.Alias)
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return &policy.Node{Kind: policy.KindNull, Pos: pos}, nil
		}
		return c.node(n.Content[0])
	case yaml.MappingNode:
		out = &policy.Node{Kind: policy.KindObject, Pos: pos, Fields: make([]policy.Field, 0, len(n.Content)/2)}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind == yaml.AliasNode && k.Alias != nil {
				k = k.Alias
			}
			if k.Kind != yaml.ScalarNode {
				return nil, c.errAt(k, "invalid template: a mapping key must be a string")
			}
			val, err := c.node(v)
			if err != nil {
				return nil, err
			}
			out.Fields = append(out.Fields, policy.Field{Key: k.Value, KeyPos: policy.Pos{Line: k.Line, Col: k.Column}, Value: val})
		}
	case yaml.SequenceNode:
		out = &policy.Node{Kind: policy.KindArray, Pos: pos, Items: make([]*policy.Node, 0, len(n.Content))}
		for _, it := range n.Content {
			val, err := c.node(it)
			if err != nil {
				return nil, err
			}
			out.Items = append(out.Items, val)
		}
	case yaml.ScalarNode:
		out = scalar(n, pos)
	default:
		return nil, c.errAt(n, "invalid YAML node")
	}
	if fn := intrinsicTag(n.Tag); fn != "" {
		return shortForm(fn, out, n, pos), nil
	}
	return out, nil
}

// scalar converts a scalar by its resolved YAML type. Values that JSON cannot
// write as a number (0x1F, .inf, 012345678901) stay strings: that is what the
// author of a key policy meant by an unquoted account ID.
func scalar(n *yaml.Node, pos policy.Pos) *policy.Node {
	switch n.ShortTag() {
	case "!!int", "!!float":
		if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) == 0 && isJSONNumber(n.Value) {
			return &policy.Node{Kind: policy.KindNumber, Pos: pos, Str: n.Value}
		}
	case "!!bool":
		if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) == 0 {
			return &policy.Node{Kind: policy.KindBool, Pos: pos, Bool: strings.EqualFold(n.Value, "true")}
		}
	case "!!null":
		if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) == 0 {
			return &policy.Node{Kind: policy.KindNull, Pos: pos}
		}
	}
	return &policy.Node{Kind: policy.KindString, Pos: pos, Str: n.Value}
}

// isJSONNumber reports whether s is an RFC 8259 number: a JSON text that
// starts like one.
func isJSONNumber(s string) bool {
	return s != "" && (s[0] == '-' || (s[0] >= '0' && s[0] <= '9')) && json.Valid([]byte(s))
}

// intrinsicTag returns the long-form key for a CloudFormation short-form tag
// (!Ref, !Condition, !Sub, ...), or "" for YAML's own tags.
// https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference.html
func intrinsicTag(tag string) string {
	if !strings.HasPrefix(tag, "!") || strings.HasPrefix(tag, "!!") || len(tag) < 2 {
		return ""
	}
	name := tag[1:]
	switch name {
	case "Ref", "Condition":
		return name
	}
	return "Fn::" + name
}

// shortForm wraps the tagged value in its long form at the tag's position.
func shortForm(fn string, val *policy.Node, n *yaml.Node, pos policy.Pos) *policy.Node {
	if n.Kind == yaml.ScalarNode {
		// A tagged scalar is a string whatever it looks like: !Ref 123 names "123".
		val = &policy.Node{Kind: policy.KindString, Pos: pos, Str: n.Value}
		if fn == "Fn::GetAtt" {
			// !GetAtt Res.Attr.Name splits at the first dot only.
			res, attr, _ := strings.Cut(n.Value, ".")
			val = &policy.Node{Kind: policy.KindArray, Pos: pos, Items: []*policy.Node{
				{Kind: policy.KindString, Pos: pos, Str: res},
				{Kind: policy.KindString, Pos: pos, Str: attr},
			}}
		}
	}
	return &policy.Node{Kind: policy.KindObject, Pos: pos, Fields: []policy.Field{{Key: fn, KeyPos: pos, Value: val}}}
}
