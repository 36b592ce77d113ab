package tfhcl

import (
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/kmslint/kmslint/internal/input/source"
	"github.com/kmslint/kmslint/internal/policy"
)

// docResult is a key's policy and the file its positions point into, or
// why there is none to lint.
type docResult struct {
	node *policy.Node
	file string
	why  string
}

// policyNode reads the policy argument of resource addr. Its forms keep the
// positions of the file they are written in: jsonencode's object, a heredoc
// or string of JSON, the JSON file of file() or template of templatefile(),
// the statement blocks of an aws_iam_policy_document; a local or variable
// holding one of those is followed to where it is written.
func (m *module) policyNode(expr hclsyntax.Expression, sc *scope, t *tracker, addr string) (docResult, error) {
	notJSON := func(err error) error { return notJSON(err, addr) }
	switch e := expr.(type) {
	case *hclsyntax.ParenthesesExpr:
		return m.policyNode(e.Expression, sc, t, addr)
	case *hclsyntax.FunctionCallExpr:
		switch {
		case e.Name == "jsonencode" && len(e.Args) == 1 && !e.ExpandFinal:
			return docResult{node: m.structNode(e.Args[0], sc, t), file: sc.file.name}, nil
		case e.Name == "file" && len(e.Args) == 1 && !e.ExpandFinal:
			path, ok := m.pathArg(e.Args[0], sc, t)
			if !ok {
				return docResult{why: "the policy of " + addr + " is read from a file whose name is known only when Terraform runs"}, nil
			}
			data, err := m.env.ReadFile(path)
			if err != nil {
				return docResult{}, &policy.SyntaxError{File: sc.file.name, Pos: hclPos(e.Args[0].StartRange().Start),
					Msg: "policy of " + addr + ": file(" + path + "): " + pathErr(err)}
			}
			n, err := policy.ParseJSON(path, data)
			if err != nil {
				return docResult{}, notJSON(err)
			}
			return docResult{node: n, file: path}, nil
		case e.Name == "templatefile" && len(e.Args) == 2 && !e.ExpandFinal:
			return m.templateFile(e, sc, t, addr)
		}
	case *hclsyntax.ScopeTraversalExpr:
		tr := e.Traversal
		if len(tr) == 4 && tr.RootName() == "data" {
			typ, name, attr := attrName(tr[1]), attrName(tr[2]), attrName(tr[3])
			if d, ok := m.data[typ+"."+name]; ok && typ == "aws_iam_policy_document" && (attr == "json" || attr == "minified_json") {
				n, _ := m.renderDoc(d, t)
				if n == nil {
					return docResult{why: "the policy of " + addr + " is known only when Terraform runs"}, nil
				}
				return docResult{node: n, file: d.file.name}, nil
			}
		}
		if def, key, ok := m.definition(tr); ok && !m.evaluating[key] {
			m.evaluating[key] = true
			defer delete(m.evaluating, key)
			return m.policyNode(def.expr, &scope{file: def.file, resource: sc.resource}, t, addr)
		}
	case *hclsyntax.TemplateExpr, *hclsyntax.TemplateWrapExpr:
		mapped, _ := m.templateMapped(expr, sc, t)
		if t.placeholders[mapped.S] {
			return docResult{why: "the policy of " + addr + " is known only when Terraform runs (" + mapped.S + ")"}, nil
		}
		n, err := source.ParseJSON(sc.file.name, mapped)
		if err != nil {
			return docResult{}, notJSON(err)
		}
		return docResult{node: n, file: sc.file.name}, nil
	}
	v, _ := m.eval(expr, sc, t)
	pos := hclPos(expr.StartRange().Start)
	switch {
	case v.IsNull():
		return docResult{why: addr + " has a null policy: AWS KMS gives the key its default key policy"}, nil
	case v.Type() != cty.String:
		return docResult{}, &policy.SyntaxError{File: sc.file.name, Pos: pos, Msg: "policy of " + addr + " is not a string of JSON"}
	case t.placeholders[v.AsString()]:
		return docResult{why: "the policy of " + addr + " is known only when Terraform runs (" + v.AsString() + ")"}, nil
	}
	n, err := source.ParseJSON(sc.file.name, source.Fixed(v.AsString(), pos))
	if err != nil {
		return docResult{}, notJSON(err)
	}
	return docResult{node: n, file: sc.file.name}, nil
}

// templateFile reads templatefile(path, vars) with the positions of the
// template file.
// https://developer.hashicorp.com/terraform/language/functions/templatefile
func (m *module) templateFile(e *hclsyntax.FunctionCallExpr, sc *scope, t *tracker, addr string) (docResult, error) {
	path, ok := m.pathArg(e.Args[0], sc, t)
	if !ok {
		return docResult{why: "the policy of " + addr + " is a template whose name is known only when Terraform runs"}, nil
	}
	data, err := m.env.ReadFile(path)
	if err != nil {
		return docResult{}, &policy.SyntaxError{File: sc.file.name, Pos: hclPos(e.Args[0].StartRange().Start),
			Msg: "policy of " + addr + ": templatefile(" + path + "): " + pathErr(err)}
	}
	tmpl, diags := hclsyntax.ParseTemplate(data, path, hcl.InitialPos)
	if diags.HasErrors() {
		return docResult{}, diagError(path, diags)
	}
	vars, exact := m.eval(e.Args[1], sc, t)
	names, inexact := map[string]cty.Value{}, map[string]bool{}
	if vars.Type().IsObjectType() || vars.Type().IsMapType() {
		for it := vars.ElementIterator(); it.Next(); {
			k, v := it.Element()
			names[k.AsString()] = v
			inexact[k.AsString()] = !exact
		}
	}
	tf := &srcFile{name: path, text: source.NewText(data, false)}
	// The template sees its variables only, not the module.
	ts := &scope{file: tf, resource: sc.resource, names: names, inexact: inexact, closed: true}
	mapped, _ := m.templateMapped(tmpl, ts, t)
	n, err := source.ParseJSON(path, mapped)
	if err != nil {
		return docResult{}, notJSON(err, addr)
	}
	return docResult{node: n, file: path}, nil
}

// notJSON says whose policy a JSON syntax error is in.
func notJSON(err error, addr string) error {
	if se, ok := err.(*policy.SyntaxError); ok {
		se.Msg = "policy of " + addr + " is not valid JSON: " + se.Msg
	}
	return err
}

// pathArg evaluates a file name argument; a relative one is relative to
// the module's directory (path.module is ".").
func (m *module) pathArg(e hclsyntax.Expression, sc *scope, t *tracker) (string, bool) {
	v, exact := m.eval(e, sc, t)
	if !exact || v.Type() != cty.String || v.IsNull() {
		return "", false
	}
	return m.join(v.AsString()), true
}

func attrName(s hcl.Traverser) string {
	if a, ok := s.(hcl.TraverseAttr); ok {
		return a.Name
	}
	return ""
}

// definition is the expression a two-step reference local.NAME or
// var.NAME stands for, when it is written in the module.
func (m *module) definition(tr hcl.Traversal) (attrDef, string, bool) {
	if len(tr) != 2 {
		return attrDef{}, "", false
	}
	name := attrName(tr[1])
	switch tr.RootName() {
	case "local":
		if d, ok := m.locals[name]; ok {
			return d, "local." + name, true
		}
	case "var":
		if v := m.vars[name]; v != nil && v.value != nil {
			return *v.value, "var." + name, true
		}
	}
	return attrDef{}, "", false
}

// structNode converts a value written in HCL (jsonencode's argument) to a
// policy tree, each object, list and value at the place it is written.
func (m *module) structNode(expr hclsyntax.Expression, sc *scope, t *tracker) *policy.Node {
	pos := hclPos(expr.StartRange().Start)
	switch e := expr.(type) {
	case *hclsyntax.ObjectConsExpr:
		n := &policy.Node{Kind: policy.KindObject, Pos: pos}
		for _, it := range e.Items {
			kv, _ := m.eval(it.KeyExpr, sc, t)
			key, ok := asString(kv)
			if !ok {
				key = placeholderOf(sc.file, it.KeyExpr.Range())
			}
			f := policy.Field{Key: key, KeyPos: hclPos(it.KeyExpr.StartRange().Start), Value: m.structNode(it.ValueExpr, sc, t)}
			// HCL keeps the last of two equal keys, and so does jsonencode.
			replaced := false
			for i := range n.Fields {
				if n.Fields[i].Key == key {
					n.Fields[i], replaced = f, true
				}
			}
			if !replaced {
				n.Fields = append(n.Fields, f)
			}
		}
		return n
	case *hclsyntax.TupleConsExpr:
		n := &policy.Node{Kind: policy.KindArray, Pos: pos, Items: make([]*policy.Node, 0, len(e.Exprs))}
		for _, x := range e.Exprs {
			n.Items = append(n.Items, m.structNode(x, sc, t))
		}
		return n
	case *hclsyntax.ParenthesesExpr:
		return m.structNode(e.Expression, sc, t)
	case *hclsyntax.ScopeTraversalExpr:
		if def, key, ok := m.definition(e.Traversal); ok && !m.evaluating[key] {
			m.evaluating[key] = true
			n := m.structNode(def.expr, &scope{file: def.file, resource: sc.resource}, t)
			delete(m.evaluating, key)
			if def.file != sc.file {
				// Positions stay in one file: the reference stands for
				// what it names.
				source.Place(n, pos)
			}
			return n
		}
	case *hclsyntax.ConditionalExpr:
		c, exact := m.eval(e.Condition, sc, t)
		if exact && c.Type() == cty.Bool && !c.IsNull() {
			if c.True() {
				return m.structNode(e.TrueResult, sc, t)
			}
			return m.structNode(e.FalseResult, sc, t)
		}
		t.unresolved = append(t.unresolved, note(e.Condition.Range(),
			"the condition is known only when Terraform runs; the value for true is linted"))
		return m.structNode(e.TrueResult, sc, t)
	}
	v, _ := m.eval(expr, sc, t)
	return valueNode(v, pos)
}

// asString is v as Terraform interpolates it into a string.
func asString(v cty.Value) (string, bool) {
	if v.IsNull() || !v.IsKnown() {
		return "", false
	}
	s, err := convert.Convert(v, cty.String)
	if err != nil || s.IsNull() || !s.IsKnown() {
		return "", false
	}
	return s.AsString(), true
}

// valueNode converts an evaluated value, every part of it at pos, as
// jsonencode writes it.
func valueNode(v cty.Value, pos policy.Pos) *policy.Node {
	switch {
	case v.IsNull() || !v.IsKnown():
		return &policy.Node{Kind: policy.KindNull, Pos: pos}
	}
	ty := v.Type()
	switch {
	case ty == cty.String:
		return &policy.Node{Kind: policy.KindString, Pos: pos, Str: v.AsString()}
	case ty == cty.Number:
		return &policy.Node{Kind: policy.KindNumber, Pos: pos, Str: v.AsBigFloat().Text('f', -1)}
	case ty == cty.Bool:
		return &policy.Node{Kind: policy.KindBool, Pos: pos, Bool: v.True()}
	case ty.IsListType() || ty.IsSetType() || ty.IsTupleType():
		n := &policy.Node{Kind: policy.KindArray, Pos: pos}
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			n.Items = append(n.Items, valueNode(e, pos))
		}
		return n
	case ty.IsMapType() || ty.IsObjectType():
		n := &policy.Node{Kind: policy.KindObject, Pos: pos}
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			n.Fields = append(n.Fields, policy.Field{Key: k.AsString(), KeyPos: pos, Value: valueNode(e, pos)})
		}
		return n
	}
	return &policy.Node{Kind: policy.KindNull, Pos: pos}
}

// templateMapped evaluates a string template (a quoted string, a heredoc,
// a template file) with the file position of each byte: literal text maps
// to where it is written, an interpolated value to its ${.
func (m *module) templateMapped(expr hclsyntax.Expression, sc *scope, t *tracker) (*source.Mapped, bool) {
	var b source.Builder
	exact := true
	parts := []hclsyntax.Expression{expr}
	if te, ok := expr.(*hclsyntax.TemplateExpr); ok {
		parts = te.Parts
	}
	for _, p := range parts {
		if lit, ok := p.(*hclsyntax.LiteralValueExpr); ok && lit.Val.Type() == cty.String && !lit.Val.IsNull() {
			mapLiteral(&b, lit.Val.AsString(), lit.SrcRange, sc.file)
			continue
		}
		v, ok := m.eval(p, sc, t)
		exact = exact && ok
		s, isStr := asString(v)
		if !isStr {
			s = t.unknown(p.Range(), placeholderOf(sc.file, p.Range()), "the value cannot be written into a string").AsString()
		}
		b.At(s, hclPos(p.StartRange().Start))
	}
	return b.Mapped().Or(hclPos(expr.StartRange().Start)), exact
}

// mapLiteral appends the value of a literal template part, following its
// source text character by character: escapes (\", $${) and the
// indentation a <<- heredoc strips are skipped over, and where the two can
// no longer be matched the rest maps to the last matched place.
func mapLiteral(b *source.Builder, val string, rng hcl.Range, f *srcFile) {
	if f == nil || f.name != rng.Filename || rng.End.Byte > len(f.text.Data()) || rng.Start.Byte > rng.End.Byte {
		b.At(val, hclPos(rng.Start))
		return
	}
	src := f.text.Data()[rng.Start.Byte:rng.End.Byte]
	line, col := rng.Start.Line, max(rng.Start.Column, 1)
	si, vi := 0, 0
	atLineStart := false
	advance := func(n int) {
		for k := 0; k < n && si < len(src); {
			r, size := utf8.DecodeRune(src[si:])
			si += size
			k += size
			if r == '\n' {
				line, col = line+1, 1
			} else {
				col++
			}
		}
	}
	for vi < len(val) {
		if atLineStart {
			// A flush heredoc (<<-) removed the indentation its lines
			// share: skip what the source has beyond the value's.
			if extra := indentLen(src[si:]) - indentLen([]byte(val[vi:])); extra > 0 {
				advance(extra)
			}
			atLineStart = false
		}
		vr, vsize := utf8.DecodeRuneInString(val[vi:])
		if si >= len(src) {
			b.At(val[vi:], policy.Pos{Line: line, Col: col})
			return
		}
		sr, ssize := utf8.DecodeRune(src[si:])
		here := policy.Pos{Line: line, Col: col}
		switch {
		case sr == vr:
			b.Verbatim(val[vi:vi+vsize], here)
			advance(ssize)
			vi += vsize
			atLineStart = vr == '\n'
			continue
		case sr == '\r' && vr == '\n':
			advance(ssize)
			continue
		case sr == '\\' && si+1 < len(src):
			b.At(val[vi:vi+vsize], here)
			advance(escapeLen(src[si:]))
			vi += vsize
		case (sr == '$' || sr == '%') && si+2 < len(src) && src[si+1] == byte(sr) && src[si+2] == '{':
			// $${ and %%{ are a literal ${ and %{.
			b.At(val[vi:vi+vsize], here)
			advance(2)
			vi += vsize
		default:
			b.At(val[vi:], here)
			return
		}
	}
}

func indentLen(b []byte) int {
	n := 0
	for n < len(b) && (b[n] == ' ' || b[n] == '\t') {
		n++
	}
	return n
}

// escapeLen is the length of the escape sequence at the start of s.
func escapeLen(s []byte) int {
	switch s[1] {
	case 'u':
		return min(6, len(s))
	case 'U':
		return min(10, len(s))
	}
	return 2
}
