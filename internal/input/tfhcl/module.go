// Package tfhcl finds the key policies of a Terraform configuration file
// (.tf, HCL native syntax): the policy of the aws_kms_key family of
// resources and of aws_kms_key_policy, written as jsonencode(...), a heredoc
// or string of JSON, file(...) or templatefile(...), or a reference to a
// data "aws_iam_policy_document", which is rendered to the JSON the AWS
// provider sends.
//
// Terraform evaluates a module, not a file: variables, locals and data
// sources a key uses often live in a sibling file of the same directory, so
// those are read too, as are terraform.tfvars and *.auto.tfvars. What cannot
// be known before Terraform runs (a variable without a value, a resource
// attribute known after apply, a module output) becomes a placeholder such
// as ${var.role_arn}, listed in Key.Placeholders with a note, as unresolved
// CloudFormation intrinsics are. The deploying account, region and
// partition (aws_caller_identity, aws_region, aws_partition) take the
// placeholders of package deploy unless Env gives them.
//
// Every value of a policy keeps the position in the file where it is
// written: the statement block of a policy document, the element of a
// jsonencode object, the character of a heredoc.
package tfhcl

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"

	"github.com/kmslint/kmslint/internal/input/deploy"
	"github.com/kmslint/kmslint/internal/input/source"
	"github.com/kmslint/kmslint/internal/policy"
)

// Env supplies what the configuration cannot tell.
type Env struct {
	// AccountID, Region and Partition are the deploying account, region
	// and partition; empty ones take deploy's placeholders (Partition: that
	// of Region).
	AccountID, Region, Partition string
	// Module reads the other .tf files and the .tfvars files of the file's
	// directory. Off for standard input.
	Module bool
	// ReadFile reads sibling files and the files of file() and
	// templatefile(); nil means os.ReadFile.
	ReadFile func(string) ([]byte, error)
}

// Key is the policy of one resource.
type Key struct {
	// Address is the resource address: aws_kms_key.this.
	Address string
	Type    string
	// File is the file the policy's statements are written in: the .tf
	// file, or a sibling that declares the policy document or local it
	// names, or the JSON file of file().
	File   string
	Policy *policy.Node
	// Unresolved notes the values known only when Terraform runs; the
	// policy holds Placeholders there.
	Unresolved   []source.Note
	Placeholders []string
	Notes        []source.Note
	// Deploying lists the deploying placeholders the policy uses.
	Deploying []deploy.Use
}

// keyTypes are the AWS provider resources whose "policy" argument is a key
// policy.
var keyTypes = map[string]bool{
	"aws_kms_key": true, "aws_kms_key_policy": true, "aws_kms_external_key": true,
	"aws_kms_replica_key": true, "aws_kms_replica_external_key": true,
}

// Limits on what one file may make kmslint do: references nest, and a local
// can double a string at each step.
const (
	maxEvals      = 1 << 16
	maxValueBytes = 1 << 20
)

type srcFile struct {
	name string
	text *source.Text
	body *hclsyntax.Body
}

type blockDef struct {
	block *hclsyntax.Block
	file  *srcFile
}

type attrDef struct {
	expr hclsyntax.Expression
	file *srcFile
}

type variable struct {
	decl  blockDef
	value *attrDef // from a .tfvars file, else the default; nil: none
}

// module is the configuration of one directory as far as a key needs it.
type module struct {
	env    Env
	dir    string
	main   *srcFile
	vars   map[string]*variable
	locals map[string]attrDef
	// data and resources are keyed "type.name".
	data      map[string]blockDef
	resources map[string]blockDef
	funcs     map[string]function.Function

	// evaluating guards against locals defined through themselves.
	evaluating map[string]bool
	cache      map[string]*cached
	evals      int
	err        error
}

// Keys returns the key policies of the file's resources in file order, and
// notes about keys that get no policy to lint (none set, or one known only
// when Terraform runs). A file that does not parse, or a policy string that
// is not JSON, is a *policy.SyntaxError.
func Keys(file string, data []byte, env Env) ([]Key, []source.Note, error) {
	if env.ReadFile == nil {
		env.ReadFile = os.ReadFile
	}
	main, err := parseFile(file, data)
	if err != nil {
		return nil, nil, err
	}
	m := &module{
		env: env, dir: filepath.Dir(file), main: main,
		vars: map[string]*variable{}, locals: map[string]attrDef{},
		data: map[string]blockDef{}, resources: map[string]blockDef{},
		evaluating: map[string]bool{}, cache: map[string]*cached{},
	}
	m.funcs = m.functions()
	files := []*srcFile{main}
	var notes []source.Note
	if env.Module {
		sib, sibNotes := m.siblings(file)
		files = append(files, sib...)
		notes = append(notes, sibNotes...)
	}
	for _, f := range files {
		m.declare(f)
	}
	if env.Module {
		notes = append(notes, m.tfvars()...)
	}
	var keys []Key
	for _, b := range main.body.Blocks {
		if b.Type != "resource" || len(b.Labels) != 2 || !keyTypes[b.Labels[0]] {
			continue
		}
		k, note, err := m.key(blockDef{b, main})
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

// policyResourceOf names the aws_kms_key_policy whose key_id refers to
// aws_kms_key.<name>, or "" when none does.
func (m *module) policyResourceOf(name string) string {
	var found []string
	for addr, r := range m.resources {
		a := r.block.Body.Attributes["key_id"]
		if r.block.Labels[0] != "aws_kms_key_policy" || a == nil {
			continue
		}
		for _, v := range a.Expr.Variables() {
			if v.RootName() != "aws_kms_key" || len(v) < 2 {
				continue
			}
			if step, ok := v[1].(hcl.TraverseAttr); ok && step.Name == name {
				found = append(found, addr)
			}
		}
	}
	sort.Strings(found)
	return strings.Join(found, ", ")
}

func parseFile(name string, data []byte) (*srcFile, error) {
	f, diags := hclsyntax.ParseConfig(data, name, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, diagError(name, diags)
	}
	body, ok := f.Body.(*hclsyntax.Body)
	if !ok {
		return nil, &policy.SyntaxError{File: name, Pos: policy.Pos{Line: 1, Col: 1}, Msg: "invalid Terraform configuration"}
	}
	return &srcFile{name: name, text: source.NewText(data, false), body: body}, nil
}

// diagError is the first error of diags as a syntax error at its position.
func diagError(name string, diags hcl.Diagnostics) error {
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		pos := policy.Pos{Line: 1, Col: 1}
		if d.Subject != nil {
			pos = hclPos(d.Subject.Start)
		}
		msg := "invalid Terraform configuration: " + d.Summary
		if d.Detail != "" {
			msg += ": " + strings.TrimSuffix(d.Detail, ".")
		}
		return &policy.SyntaxError{File: name, Pos: pos, Msg: oneLine(msg)}
	}
	return &policy.SyntaxError{File: name, Pos: policy.Pos{Line: 1, Col: 1}, Msg: "invalid Terraform configuration"}
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func hclPos(p hcl.Pos) policy.Pos {
	if p.Line < 1 {
		return policy.Pos{Line: 1, Col: 1}
	}
	col := p.Column
	if col < 1 {
		col = 1
	}
	return policy.Pos{Line: p.Line, Col: col}
}

// siblings parses the other .tf files of the directory, in name order. One
// that does not parse is left out with a note: it is reported as an error
// when it is linted itself.
func (m *module) siblings(file string) ([]*srcFile, []source.Note) {
	entries, err := os.ReadDir(m.dir)
	if err != nil {
		return nil, nil
	}
	self, _ := filepath.Abs(file)
	var out []*srcFile
	var notes []source.Note
	for _, e := range entries {
		name := filepath.Join(m.dir, e.Name())
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".tf") {
			continue
		}
		if abs, _ := filepath.Abs(name); abs == self {
			continue
		}
		data, err := m.env.ReadFile(name)
		if err != nil {
			continue
		}
		f, err := parseFile(name, data)
		if err != nil {
			notes = append(notes, source.Note{Pos: policy.Pos{Line: 1, Col: 1},
				Message: "the module's " + name + " does not parse, so what it declares is unknown here: " + err.Error()})
			continue
		}
		out = append(out, f)
	}
	return out, notes
}

// declare indexes a file's variables, locals, data sources and resources.
// The first declaration wins; Terraform rejects a second one anyway.
func (m *module) declare(f *srcFile) {
	for _, b := range f.body.Blocks {
		switch {
		case b.Type == "variable" && len(b.Labels) == 1:
			if _, ok := m.vars[b.Labels[0]]; !ok {
				v := &variable{decl: blockDef{b, f}}
				if a := b.Body.Attributes["default"]; a != nil {
					v.value = &attrDef{a.Expr, f}
				}
				m.vars[b.Labels[0]] = v
			}
		case b.Type == "locals":
			for name, a := range b.Body.Attributes {
				if _, ok := m.locals[name]; !ok {
					m.locals[name] = attrDef{a.Expr, f}
				}
			}
		case b.Type == "data" && len(b.Labels) == 2:
			if _, ok := m.data[b.Labels[0]+"."+b.Labels[1]]; !ok {
				m.data[b.Labels[0]+"."+b.Labels[1]] = blockDef{b, f}
			}
		case b.Type == "resource" && len(b.Labels) == 2:
			if _, ok := m.resources[b.Labels[0]+"."+b.Labels[1]]; !ok {
				m.resources[b.Labels[0]+"."+b.Labels[1]] = blockDef{b, f}
			}
		}
	}
}

// tfvars applies terraform.tfvars, then *.auto.tfvars in name order, as
// Terraform does: a later file's value wins.
// https://developer.hashicorp.com/terraform/language/values/variables#variable-definition-precedence
func (m *module) tfvars() []source.Note {
	entries, err := os.ReadDir(m.dir)
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".auto.tfvars") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	names = append([]string{"terraform.tfvars"}, names...)
	var notes []source.Note
	for _, n := range names {
		path := filepath.Join(m.dir, n)
		data, err := m.env.ReadFile(path)
		if err != nil {
			continue
		}
		f, err := parseFile(path, data)
		if err != nil {
			notes = append(notes, source.Note{Pos: policy.Pos{Line: 1, Col: 1}, Message: path + " does not parse, so its values are not used: " + err.Error()})
			continue
		}
		for name, a := range f.body.Attributes {
			if v := m.vars[name]; v != nil {
				v.value = &attrDef{a.Expr, f}
			}
		}
	}
	return notes
}

// key reads the policy of one resource.
func (m *module) key(b blockDef) (*Key, *source.Note, error) {
	typ, name := b.block.Labels[0], b.block.Labels[1]
	addr := typ + "." + name
	at := hclPos(b.block.DefRange().Start)
	t := newTracker()
	for _, meta := range []string{"count", "for_each"} {
		if a := b.block.Body.Attributes[meta]; a != nil {
			t.notes = append(t.notes, note(a.SrcRange,
				addr+" has "+meta+": its policy is linted once, with count.index and each.key/each.value unknown"))
		}
	}
	a := b.block.Body.Attributes["policy"]
	if a == nil {
		msg := addr + " has no policy: AWS KMS gives the key its default key policy"
		switch {
		case typ == "aws_kms_key_policy":
			msg = addr + " has no policy"
		case m.policyResourceOf(name) != "":
			// The policy is linted where the aws_kms_key_policy sets it.
			msg = addr + " has its policy set by " + m.policyResourceOf(name)
		}
		return nil, &source.Note{Pos: at, Message: msg}, nil
	}
	sc := &scope{file: b.file, resource: addr}
	doc, err := m.policyNode(a.Expr, sc, t, addr)
	if err == nil && m.err != nil {
		err = m.err
	}
	if err != nil {
		return nil, nil, err
	}
	if doc.node == nil {
		return nil, &source.Note{Pos: hclPos(a.Expr.StartRange().Start), Message: doc.why}, nil
	}
	return &Key{
		Address: addr, Type: typ, File: doc.file, Policy: doc.node,
		Unresolved: t.unresolved, Placeholders: t.placeholderList(), Notes: t.notes,
		Deploying: t.deploying.List(),
	}, nil, nil
}

// tracker collects, for one key, what could not be resolved and which
// deploying placeholders were used.
type tracker struct {
	unresolved   []source.Note
	placeholders map[string]bool
	notes        []source.Note
	deploying    deploy.Uses
}

func newTracker() *tracker { return &tracker{placeholders: map[string]bool{}} }

func (t *tracker) merge(o *tracker) {
	t.unresolved = append(t.unresolved, o.unresolved...)
	for p := range o.placeholders {
		t.placeholders[p] = true
	}
	t.notes = append(t.notes, o.notes...)
	t.deploying.Merge(o.deploying)
}

// unknown records a value known only when Terraform runs and returns its
// placeholder.
func (t *tracker) unknown(rng hcl.Range, placeholder, why string) cty.Value {
	t.placeholders[placeholder] = true
	t.unresolved = append(t.unresolved, note(rng, why))
	return cty.StringVal(placeholder)
}

func (t *tracker) placeholderList() []string {
	out := make([]string, 0, len(t.placeholders))
	for p := range t.placeholders {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// note is a remark at rng, naming its file: in a module it may be a sibling
// of the file linted.
func note(rng hcl.Range, msg string) source.Note {
	return source.Note{File: rng.Filename, Pos: hclPos(rng.Start), Message: msg}
}

// cached is the result of evaluating a local or variable once, with what
// the evaluation recorded, replayed into each key that uses it.
type cached struct {
	val   cty.Value
	exact bool
	t     *tracker
}

// scope is where an expression is evaluated: its file, and the names a
// dynamic block's iterator or a template's variables bind.
type scope struct {
	file     *srcFile
	resource string // the address of the key, for messages
	parent   *scope
	names    map[string]cty.Value
	// inexact are the names whose value holds a placeholder.
	inexact map[string]bool
	// closed: only names sees (a template file), not the module.
	closed bool
}

func (s *scope) lookup(name string) (cty.Value, bool) {
	for ; s != nil; s = s.parent {
		if v, ok := s.names[name]; ok {
			return v, true
		}
	}
	return cty.NilVal, false
}

// vague reports whether a bound name's value holds a placeholder.
func (s *scope) vague(name string) bool {
	for ; s != nil; s = s.parent {
		if _, ok := s.names[name]; ok {
			return s.inexact[name]
		}
	}
	return false
}

// with binds names in a child scope of the same file.
func (s *scope) with(names map[string]cty.Value, inexact map[string]bool) *scope {
	return &scope{file: s.file, resource: s.resource, parent: s, names: names, inexact: inexact, closed: s.closed}
}

// pathErr drops the operation and path that *fs.PathError repeats.
func pathErr(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
