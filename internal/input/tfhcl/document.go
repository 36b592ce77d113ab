package tfhcl

import (
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/kmslint/kmslint/internal/input/source"
	"github.com/kmslint/kmslint/internal/policy"
)

// The AWS provider renders data "aws_iam_policy_document" as follows
// (terraform-provider-aws, internal/service/iam: the policy document data
// source and its policy model), and so does renderDoc:
//   - Version is "2012-10-17" unless set; Id is policy_id.
//   - A statement's members come in the order Sid (left out when empty),
//     Effect (default Allow), Action, NotAction, Resource, NotResource,
//     Principal, NotPrincipal, Condition.
//   - actions, resources and principal identifiers are sets: one element
//     is written as a string, several as a list sorted in reverse order.
//   - Principal blocks of one type are merged; a lone {type "*",
//     identifiers ["*"]} is written as "*". Principal types and condition
//     operators and keys come out sorted (they are JSON maps).
//   - condition values keep their order; values of the same test and
//     variable are merged; one value is written as a string.
//   - &{ is written as ${ in resources, identifiers and condition values
//     (IAM policy variables, which Terraform would interpolate).
//   - source_policy_documents are merged first, then the statements, then
//     override_policy_documents: a statement with the Sid of an earlier one
//     replaces it, statements without a Sid are appended.
//
// https://registry.terraform.io/providers/hashicorp/aws/latest/docs/data-sources/iam_policy_document

// maxDynamic bounds the blocks one dynamic block expands to.
const maxDynamic = 1024

// renderDoc renders a policy document data source as a policy tree with
// the positions of its blocks; nil when it is defined through itself.
func (m *module) renderDoc(d blockDef, t *tracker) (*policy.Node, bool) {
	key := "data.aws_iam_policy_document." + d.block.Labels[1]
	if m.evaluating[key] {
		t.unknown(d.block.DefRange(), "${"+key+".json}", key+" is defined through itself")
		return nil, false
	}
	m.evaluating[key] = true
	defer delete(m.evaluating, key)
	body := d.block.Body
	sc := &scope{file: d.file}
	pos := hclPos(d.block.DefRange().Start)
	for _, meta := range []string{"count", "for_each"} {
		if a := body.Attributes[meta]; a != nil {
			t.notes = append(t.notes, note(a.SrcRange, key+" has "+meta+": it is rendered once, with count.index and each.key/each.value unknown"))
		}
	}
	exact := true
	var merged docParts
	if a := body.Attributes["source_policy_documents"]; a != nil {
		for _, doc := range m.docList(a.Expr, sc, t, d.file) {
			merged.merge(doc)
		}
	}
	own := docParts{version: stringNode("2012-10-17", pos)}
	if a := body.Attributes["version"]; a != nil {
		v, ok := m.eval(a.Expr, sc, t)
		exact = exact && ok
		if s, isStr := asString(v); isStr {
			own.version = stringNode(s, hclPos(a.Expr.StartRange().Start))
		}
	}
	if a := body.Attributes["policy_id"]; a != nil {
		v, ok := m.eval(a.Expr, sc, t)
		exact = exact && ok
		if s, isStr := asString(v); isStr && s != "" {
			own.id = stringNode(s, hclPos(a.Expr.StartRange().Start))
		}
	}
	for _, sb := range m.blocksOf(body, "statement", sc, t) {
		n, ok := m.statement(sb, t)
		exact = exact && ok
		own.statements = append(own.statements, n)
	}
	merged.merge(own)
	if a := body.Attributes["override_policy_documents"]; a != nil {
		for _, doc := range m.docList(a.Expr, sc, t, d.file) {
			merged.merge(doc)
		}
	}
	return merged.node(pos), exact
}

// docParts is a policy document being merged.
type docParts struct {
	version, id *policy.Node
	statements  []*policy.Node
}

func stringNode(s string, pos policy.Pos) *policy.Node {
	return &policy.Node{Kind: policy.KindString, Pos: pos, Str: s}
}

// merge adds o as the provider's Merge does.
func (d *docParts) merge(o docParts) {
	if o.id != nil && o.id.Str != "" {
		d.id = o.id
	}
	if o.version != nil && (d.version == nil || o.version.Str > d.version.Str) {
		d.version = o.version
	}
	for _, st := range o.statements {
		sid := ""
		if s := st.Get("Sid"); s != nil && s.Kind == policy.KindString {
			sid = s.Str
		}
		replaced := false
		for i, old := range d.statements {
			if s := old.Get("Sid"); sid != "" && s != nil && s.Kind == policy.KindString && s.Str == sid {
				d.statements[i], replaced = st, true
				break
			}
		}
		if !replaced {
			d.statements = append(d.statements, st)
		}
	}
}

func (d *docParts) node(pos policy.Pos) *policy.Node {
	n := &policy.Node{Kind: policy.KindObject, Pos: pos}
	if d.version != nil {
		n.Fields = append(n.Fields, policy.Field{Key: "Version", KeyPos: d.version.Pos, Value: d.version})
	}
	if d.id != nil {
		n.Fields = append(n.Fields, policy.Field{Key: "Id", KeyPos: d.id.Pos, Value: d.id})
	}
	if len(d.statements) > 0 {
		arr := &policy.Node{Kind: policy.KindArray, Pos: d.statements[0].Pos, Items: d.statements}
		n.Fields = append(n.Fields, policy.Field{Key: "Statement", KeyPos: arr.Pos, Value: arr})
	}
	return n
}

// docList reads source_policy_documents or override_policy_documents: a
// list of JSON documents, often other policy documents' .json.
func (m *module) docList(expr hclsyntax.Expression, sc *scope, t *tracker, file *srcFile) []docParts {
	var elems []hclsyntax.Expression
	if tc, ok := expr.(*hclsyntax.TupleConsExpr); ok {
		elems = tc.Exprs
	} else {
		elems = []hclsyntax.Expression{expr}
	}
	var out []docParts
	for _, e := range elems {
		pos := hclPos(e.StartRange().Start)
		var root *policy.Node
		if st, ok := e.(*hclsyntax.ScopeTraversalExpr); ok && len(st.Traversal) == 4 && st.Traversal.RootName() == "data" &&
			attrName(st.Traversal[1]) == "aws_iam_policy_document" {
			if d, ok := m.data["aws_iam_policy_document."+attrName(st.Traversal[2])]; ok {
				root, _ = m.renderDoc(d, t)
				if root != nil && d.file != file {
					source.Place(root, pos)
				}
			}
		}
		if root == nil {
			v, exact := m.eval(e, sc, t)
			var docs []string
			switch {
			case v.IsNull():
			case v.Type() == cty.String && exact:
				docs = []string{v.AsString()}
			case exact && (v.Type().IsListType() || v.Type().IsTupleType()):
				for it := v.ElementIterator(); it.Next(); {
					_, x := it.Element()
					if s, ok := asString(x); ok {
						docs = append(docs, s)
					}
				}
			default:
				t.unresolved = append(t.unresolved, note(e.Range(), "a policy document merged here is known only when Terraform runs; it is left out"))
			}
			for _, s := range docs {
				n, err := policy.ParseJSON(file.name, []byte(s))
				if err != nil {
					t.unresolved = append(t.unresolved, note(e.Range(), "a policy document merged here is not valid JSON; it is left out"))
					continue
				}
				source.Place(n, pos)
				out = append(out, partsOf(n))
			}
			continue
		}
		out = append(out, partsOf(root))
	}
	return out
}

// statementOrder is the order of the provider's statement struct, which a
// merged document is written in.
var statementOrder = map[string]int{"Sid": 0, "Effect": 1, "Action": 2, "NotAction": 3, "Resource": 4,
	"NotResource": 5, "Principal": 6, "NotPrincipal": 7, "Condition": 8}

func partsOf(n *policy.Node) docParts {
	var p docParts
	if v := n.Get("Version"); v != nil && v.Kind == policy.KindString {
		p.version = v
	}
	if v := n.Get("Id"); v != nil && v.Kind == policy.KindString {
		p.id = v
	}
	switch s := n.Get("Statement"); {
	case s == nil:
	case s.Kind == policy.KindArray:
		p.statements = s.Items
	default:
		p.statements = []*policy.Node{s}
	}
	for _, st := range p.statements {
		sort.SliceStable(st.Fields, func(i, j int) bool {
			a, aok := statementOrder[st.Fields[i].Key]
			b, bok := statementOrder[st.Fields[j].Key]
			return aok && (!bok || a < b)
		})
	}
	return p
}

// scopedBlock is a block and the scope its expressions see (a dynamic
// block's iterator).
type scopedBlock struct {
	body *hclsyntax.Body
	rng  hcl.Range
	sc   *scope
}

// blocksOf lists the blocks of type typ in body, in order, with dynamic
// blocks expanded when their for_each is known.
// https://developer.hashicorp.com/terraform/language/expressions/dynamic-blocks
func (m *module) blocksOf(body *hclsyntax.Body, typ string, sc *scope, t *tracker) []scopedBlock {
	var out []scopedBlock
	for _, b := range body.Blocks {
		switch {
		case b.Type == typ:
			out = append(out, scopedBlock{b.Body, b.DefRange(), sc})
		case b.Type == "dynamic" && len(b.Labels) == 1 && b.Labels[0] == typ:
			var content *hclsyntax.Block
			for _, c := range b.Body.Blocks {
				if c.Type == "content" {
					content = c
					break
				}
			}
			fe := b.Body.Attributes["for_each"]
			if content == nil || fe == nil {
				continue
			}
			iter := typ
			if a := b.Body.Attributes["iterator"]; a != nil {
				if kw := hcl.ExprAsKeyword(a.Expr); kw != "" {
					iter = kw
				}
			}
			v, exact := m.eval(fe.Expr, sc, t)
			ty := v.Type()
			collection := !v.IsNull() && (ty.IsListType() || ty.IsSetType() || ty.IsTupleType() || ty.IsMapType() || ty.IsObjectType())
			if !exact || !collection || v.LengthInt() > maxDynamic {
				t.unresolved = append(t.unresolved, note(b.DefRange(),
					"dynamic \""+typ+"\" is not expanded: its for_each is known only when Terraform runs, so its blocks are not linted"))
				continue
			}
			for it := v.ElementIterator(); it.Next(); {
				k, e := it.Element()
				obj := cty.ObjectVal(map[string]cty.Value{"key": k, "value": e})
				out = append(out, scopedBlock{content.Body, content.DefRange(), sc.with(map[string]cty.Value{iter: obj}, nil)})
			}
		}
	}
	return out
}

// posStr is a string and where it is written.
type posStr struct {
	s   string
	pos policy.Pos
}

// strings evaluates a list-of-strings argument, each element at the place
// it is written when the list is written out.
func (m *module) strings(a *hclsyntax.Attribute, sc *scope, t *tracker) ([]posStr, bool) {
	if a == nil {
		return nil, true
	}
	exact := true
	var out []posStr
	add := func(v cty.Value, pos policy.Pos) {
		if v.IsNull() {
			return
		}
		ty := v.Type()
		if ty.IsListType() || ty.IsSetType() || ty.IsTupleType() {
			for it := v.ElementIterator(); it.Next(); {
				_, x := it.Element()
				if s, ok := asString(x); ok {
					out = append(out, posStr{s, pos})
				}
			}
			return
		}
		if s, ok := asString(v); ok {
			out = append(out, posStr{s, pos})
		}
	}
	if tc, ok := a.Expr.(*hclsyntax.TupleConsExpr); ok {
		for _, e := range tc.Exprs {
			v, ok := m.eval(e, sc, t)
			exact = exact && ok
			add(v, hclPos(e.StartRange().Start))
		}
		return out, exact
	}
	v, ok := m.eval(a.Expr, sc, t)
	add(v, hclPos(a.Expr.StartRange().Start))
	return out, exact && ok
}

// setNode writes a set argument the provider's way: one element as a
// string, several deduplicated and sorted in reverse.
func setNode(vals []posStr, pos policy.Pos) *policy.Node {
	seen := map[string]bool{}
	var uniq []posStr
	for _, v := range vals {
		if !seen[v.s] {
			seen[v.s] = true
			uniq = append(uniq, v)
		}
	}
	if len(uniq) == 1 {
		return stringNode(uniq[0].s, uniq[0].pos)
	}
	sort.SliceStable(uniq, func(i, j int) bool { return uniq[i].s > uniq[j].s })
	n := &policy.Node{Kind: policy.KindArray, Pos: pos}
	for _, v := range uniq {
		n.Items = append(n.Items, stringNode(v.s, v.pos))
	}
	return n
}

var policyVars = strings.NewReplacer("&{", "${")

func withPolicyVars(vals []posStr) []posStr {
	for i := range vals {
		vals[i].s = policyVars.Replace(vals[i].s)
	}
	return vals
}

// statement renders one statement block.
func (m *module) statement(sb scopedBlock, t *tracker) (*policy.Node, bool) {
	pos := hclPos(sb.rng.Start)
	n := &policy.Node{Kind: policy.KindObject, Pos: pos}
	exact := true
	add := func(key string, kpos policy.Pos, v *policy.Node) {
		n.Fields = append(n.Fields, policy.Field{Key: key, KeyPos: kpos, Value: v})
	}
	attrs := sb.body.Attributes
	scalar := func(name, def string) (string, policy.Pos) {
		a := attrs[name]
		if a == nil {
			return def, pos
		}
		v, ok := m.eval(a.Expr, sb.sc, t)
		exact = exact && ok
		s, isStr := asString(v)
		if !isStr {
			return def, pos
		}
		return s, hclPos(a.Expr.StartRange().Start)
	}
	if sid, p := scalar("sid", ""); sid != "" {
		add("Sid", p, stringNode(sid, p))
	}
	effect, p := scalar("effect", "Allow")
	add("Effect", p, stringNode(effect, p))
	for _, f := range []struct {
		arg, key string
		vars     bool
	}{{"actions", "Action", false}, {"not_actions", "NotAction", false}, {"resources", "Resource", true}, {"not_resources", "NotResource", true}} {
		a := attrs[f.arg]
		vals, ok := m.strings(a, sb.sc, t)
		exact = exact && ok
		if len(vals) == 0 {
			continue
		}
		if f.vars {
			vals = withPolicyVars(vals)
		}
		kp := hclPos(a.NameRange.Start)
		add(f.key, kp, setNode(vals, hclPos(a.Expr.StartRange().Start)))
	}
	for _, f := range []struct{ block, key string }{{"principals", "Principal"}, {"not_principals", "NotPrincipal"}} {
		if pn, kp, ok := m.principals(sb, f.block, t, &exact); ok {
			add(f.key, kp, pn)
		}
	}
	if cn, kp, ok := m.conditions(sb, t, &exact); ok {
		add("Condition", kp, cn)
	}
	return n, exact
}

// principals renders the principals (or not_principals) blocks of a
// statement as the provider's principal set does.
func (m *module) principals(sb scopedBlock, block string, t *tracker, exact *bool) (*policy.Node, policy.Pos, bool) {
	blocks := m.blocksOf(sb.body, block, sb.sc, t)
	if len(blocks) == 0 {
		return nil, policy.Pos{}, false
	}
	first := hclPos(blocks[0].rng.Start)
	type entry struct {
		typ  string
		vals []posStr
		pos  policy.Pos
	}
	var entries []entry
	for _, b := range blocks {
		typ := ""
		if a := b.body.Attributes["type"]; a != nil {
			v, ok := m.eval(a.Expr, b.sc, t)
			*exact = *exact && ok
			typ, _ = asString(v)
		}
		vals, ok := m.strings(b.body.Attributes["identifiers"], b.sc, t)
		*exact = *exact && ok
		entries = append(entries, entry{typ, withPolicyVars(vals), hclPos(b.rng.Start)})
	}
	if len(entries) == 1 && entries[0].typ == "*" && len(entries[0].vals) == 1 && entries[0].vals[0].s == "*" {
		return stringNode("*", entries[0].vals[0].pos), first, true
	}
	// Identifiers of one type: the first block's set as the provider
	// writes it, then every later block's appended.
	byType := map[string]*policy.Node{}
	var types []string
	for _, e := range entries {
		if len(e.vals) == 0 {
			continue
		}
		v := setNode(e.vals, e.pos)
		cur, ok := byType[e.typ]
		switch {
		case !ok:
			byType[e.typ] = v
			types = append(types, e.typ)
		case cur.Kind == policy.KindString:
			byType[e.typ] = &policy.Node{Kind: policy.KindArray, Pos: cur.Pos, Items: append([]*policy.Node{cur}, items(v)...)}
		default:
			cur.Items = append(cur.Items, items(v)...)
		}
	}
	sort.Strings(types)
	n := &policy.Node{Kind: policy.KindObject, Pos: first}
	for _, typ := range types {
		n.Fields = append(n.Fields, policy.Field{Key: typ, KeyPos: byType[typ].Pos, Value: byType[typ]})
	}
	return n, first, true
}

func items(n *policy.Node) []*policy.Node {
	if n.Kind == policy.KindArray {
		return n.Items
	}
	return []*policy.Node{n}
}

// conditions renders the condition blocks of a statement.
func (m *module) conditions(sb scopedBlock, t *tracker, exact *bool) (*policy.Node, policy.Pos, bool) {
	blocks := m.blocksOf(sb.body, "condition", sb.sc, t)
	if len(blocks) == 0 {
		return nil, policy.Pos{}, false
	}
	first := hclPos(blocks[0].rng.Start)
	type keyVals struct {
		pos  policy.Pos
		vals []posStr
	}
	tests := map[string]map[string]*keyVals{}
	testPos := map[string]policy.Pos{}
	for _, b := range blocks {
		at := hclPos(b.rng.Start)
		get := func(name string) (string, policy.Pos) {
			a := b.body.Attributes[name]
			if a == nil {
				return "", at
			}
			v, ok := m.eval(a.Expr, b.sc, t)
			*exact = *exact && ok
			s, _ := asString(v)
			return s, hclPos(a.Expr.StartRange().Start)
		}
		test, tp := get("test")
		variable, vp := get("variable")
		// Values are a list: order and repeats are kept.
		var vals []posStr
		if a := b.body.Attributes["values"]; a != nil {
			var ok bool
			vals, ok = m.strings(a, b.sc, t)
			*exact = *exact && ok
		}
		if tests[test] == nil {
			tests[test] = map[string]*keyVals{}
			testPos[test] = tp
		}
		kv := tests[test][variable]
		if kv == nil {
			kv = &keyVals{pos: vp}
			tests[test][variable] = kv
		}
		kv.vals = append(kv.vals, withPolicyVars(vals)...)
	}
	n := &policy.Node{Kind: policy.KindObject, Pos: first}
	for _, test := range sortedKeys(tests) {
		tn := &policy.Node{Kind: policy.KindObject, Pos: testPos[test]}
		for _, variable := range sortedKeys(tests[test]) {
			kv := tests[test][variable]
			var v *policy.Node
			if len(kv.vals) == 1 {
				v = stringNode(kv.vals[0].s, kv.vals[0].pos)
			} else {
				v = &policy.Node{Kind: policy.KindArray, Pos: kv.pos}
				for _, x := range kv.vals {
					v.Items = append(v.Items, stringNode(x.s, x.pos))
				}
			}
			tn.Fields = append(tn.Fields, policy.Field{Key: variable, KeyPos: kv.pos, Value: v})
		}
		n.Fields = append(n.Fields, policy.Field{Key: test, KeyPos: testPos[test], Value: tn})
	}
	return n, first, true
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
