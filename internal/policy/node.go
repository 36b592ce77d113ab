// Package policy holds the key-policy model shared by every input format
// (raw JSON, CloudFormation, Terraform plans, live keys) and the strict parser
// and validator that build it.
//
// Loaders produce a Node tree that remembers where each value came from in the
// file the user gave; Build turns that tree into a Policy and reports every
// grammar violation as a Problem with a position. Keeping positions on Node
// rather than on JSON tokens is what lets a CloudFormation YAML template point
// a finding at the statement's line.
package policy

import "fmt"

// Pos is a 1-based line and column in a source file. The zero Pos means
// "unknown" (for example a policy read from a live key).
type Pos struct {
	Line int `json:"line"`
	Col  int `json:"column"`
}

// Known reports whether the position points somewhere.
func (p Pos) Known() bool { return p.Line > 0 }

func (p Pos) String() string {
	if !p.Known() {
		return "-"
	}
	return fmt.Sprintf("%d:%d", p.Line, p.Col)
}

// Kind is the type of a Node.
type Kind uint8

const (
	KindNull Kind = iota
	KindBool
	KindNumber
	KindString
	KindArray
	KindObject
)

func (k Kind) String() string {
	switch k {
	case KindNull:
		return "null"
	case KindBool:
		return "boolean"
	case KindNumber:
		return "number"
	case KindString:
		return "string"
	case KindArray:
		return "array"
	case KindObject:
		return "object"
	}
	return "unknown"
}

// Node is one value of a parsed document with its source position.
// Objects keep their fields in source order and keep duplicate keys, because a
// duplicated key in a policy is a finding (parsers disagree on which one wins),
// not something to resolve silently.
type Node struct {
	Kind   Kind
	Pos    Pos
	Str    string  // KindString: the value; KindNumber: the literal as written
	Bool   bool    // KindBool
	Items  []*Node // KindArray
	Fields []Field // KindObject, in source order, duplicates kept
}

// Field is one key/value pair of an object.
type Field struct {
	Key    string
	KeyPos Pos
	Value  *Node
}

// Get returns the first field with exactly this key, or nil.
func (n *Node) Get(key string) *Node {
	if n == nil || n.Kind != KindObject {
		return nil
	}
	for i := range n.Fields {
		if n.Fields[i].Key == key {
			return n.Fields[i].Value
		}
	}
	return nil
}
