package tfhcl

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/kmslint/kmslint/internal/input/deploy"
	"github.com/kmslint/kmslint/internal/partition"
	"github.com/kmslint/kmslint/internal/policy"
)

// eval evaluates expr as Terraform would before it runs. References whose
// value is not known then become placeholder strings, and exact is false
// when one went into the value (or a deploying placeholder did), so that a
// condition on it is not decided by a placeholder. An expression that does
// not evaluate is itself a placeholder.
func (m *module) eval(expr hclsyntax.Expression, sc *scope, t *tracker) (cty.Value, bool) {
	if m.evals++; m.evals > maxEvals {
		if m.err == nil {
			m.err = &policy.SyntaxError{File: sc.file.name, Pos: hclPos(expr.StartRange().Start),
				Msg: fmt.Sprintf("the configuration takes more than %d evaluations (references through themselves?)", maxEvals)}
		}
		return cty.StringVal("${...}"), false
	}
	vars, exact := m.variables(expr, sc, t)
	v, diags := expr.Value(&hcl.EvalContext{Variables: vars, Functions: m.funcs})
	if diags.HasErrors() || !v.IsWhollyKnown() {
		why := "cannot be evaluated before Terraform runs"
		for _, d := range diags {
			if d.Severity == hcl.DiagError {
				why = "cannot be evaluated: " + oneLine(d.Summary+": "+d.Detail)
				break
			}
		}
		return t.unknown(expr.Range(), placeholderOf(sc.file, expr.Range()), why), false
	}
	return v, exact
}

// placeholderOf is the placeholder of an expression: its source text.
func placeholderOf(f *srcFile, rng hcl.Range) string {
	s := ""
	if f != nil && f.name == rng.Filename && rng.End.Byte <= len(f.text.Data()) && rng.Start.Byte < rng.End.Byte {
		s = oneLine(string(f.text.Data()[rng.Start.Byte:rng.End.Byte]))
	}
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	if s == "" {
		s = "expression"
	}
	return "${" + s + "}"
}

// variables builds the values of the names expr refers to.
func (m *module) variables(expr hclsyntax.Expression, sc *scope, t *tracker) (map[string]cty.Value, bool) {
	byRoot := map[string][]hcl.Traversal{}
	var roots []string
	for _, tr := range expr.Variables() {
		r := tr.RootName()
		if _, ok := byRoot[r]; !ok {
			roots = append(roots, r)
		}
		byRoot[r] = append(byRoot[r], tr)
	}
	vars := map[string]cty.Value{}
	exact := true
	for _, root := range roots {
		if v, ok := sc.lookup(root); ok {
			vars[root] = v
			if sc.vague(root) {
				exact = false
			}
			continue
		}
		if sc.closed {
			for _, tr := range byRoot[root] {
				vars[root] = t.unknown(tr.SourceRange(), "${"+travText(tr)+"}", root+" is not a variable of the template")
			}
			exact = false
			continue
		}
		tree := &ptree{}
		for _, tr := range byRoot[root] {
			v, depth, ok := m.resolve(tr, sc, t)
			exact = exact && ok
			tree.at(tr[1:depth]).set(v)
		}
		vars[root] = tree.value()
	}
	return vars, exact
}

// resolve gives the value a traversal reaches into: the value at its first
// depth steps (the root counts as one).
func (m *module) resolve(tr hcl.Traversal, sc *scope, t *tracker) (cty.Value, int, bool) {
	text := travText(tr)
	unknown := func(why string) (cty.Value, int, bool) {
		return t.unknown(tr.SourceRange(), "${"+text+"}", why), len(tr), false
	}
	name := func(i int) string {
		if i < len(tr) {
			if a, ok := tr[i].(hcl.TraverseAttr); ok {
				return a.Name
			}
		}
		return ""
	}
	switch root := tr.RootName(); root {
	case "var":
		n := name(1)
		v := m.vars[n]
		switch {
		case n == "":
			return unknown("var must be followed by a variable name")
		case v == nil:
			return unknown("var." + n + " is not declared in the module")
		case v.value == nil:
			return unknown("var." + n + " has no default and no value in terraform.tfvars: known only when Terraform runs")
		}
		val, exact := m.evalCached("var."+n, *v.value, sc, t)
		return val, 2, exact
	case "local":
		n := name(1)
		def, ok := m.locals[n]
		if !ok {
			return unknown("local." + n + " is not declared in the module")
		}
		val, exact := m.evalCached("local."+n, def, sc, t)
		return val, 2, exact
	case "path":
		// Paths are relative to the module's directory, which file() and
		// templatefile() resolve against.
		return cty.StringVal("."), len(tr), true
	case "terraform":
		if name(1) == "workspace" {
			return cty.StringVal("default"), 2, true
		}
		return unknown(text + " is known only when Terraform runs")
	case "data":
		typ, n, attr := name(1), name(2), name(3)
		if typ == "" || n == "" || attr == "" {
			return unknown(text + " is read when Terraform runs")
		}
		d, declared := m.data[typ+"."+n]
		if !declared {
			return unknown("data." + typ + "." + n + " is not declared in the module")
		}
		if v, exact, ok := m.dataAttr(d, typ, n, attr, tr, t); ok {
			return v, 4, exact
		}
		return unknown(text + " is read when Terraform runs")
	case "each", "count":
		return unknown(text + " differs from one instance to the next")
	case "module":
		return unknown(text + " is an output of module " + name(1) + ", which kmslint does not evaluate")
	case "self":
		return unknown(text + " is known only after apply")
	default:
		n, attr := name(1), name(2)
		r, declared := m.resources[root+"."+n]
		if !declared {
			return unknown(root + "." + n + " is not declared in the module")
		}
		if v, exact, ok := m.resourceAttr(r, root, attr, tr, t); ok {
			return v, 3, exact
		}
		return unknown(text + " is known only after apply")
	}
}

// travText writes a traversal as it is written in configuration.
func travText(tr hcl.Traversal) string {
	var b strings.Builder
	for _, s := range tr {
		switch s := s.(type) {
		case hcl.TraverseRoot:
			b.WriteString(s.Name)
		case hcl.TraverseAttr:
			b.WriteString("." + s.Name)
		case hcl.TraverseIndex:
			switch {
			case s.Key.Type() == cty.String:
				b.WriteString(fmt.Sprintf("[%q]", s.Key.AsString()))
			case s.Key.Type() == cty.Number:
				b.WriteString("[" + s.Key.AsBigFloat().Text('f', -1) + "]")
			default:
				b.WriteString("[?]")
			}
		case hcl.TraverseSplat:
			b.WriteString("[*]")
		}
	}
	return b.String()
}

// evalCached evaluates a local or variable once per module and replays
// what it recorded into each key that uses it.
func (m *module) evalCached(key string, def attrDef, sc *scope, t *tracker) (cty.Value, bool) {
	if c, ok := m.cache[key]; ok {
		t.merge(c.t)
		return c.val, c.exact
	}
	if m.evaluating[key] {
		return t.unknown(def.expr.Range(), "${"+key+"}", key+" is defined through itself"), false
	}
	m.evaluating[key] = true
	sub := newTracker()
	// A local sees the module, not the iterator of the block using it.
	v, exact := m.eval(def.expr, &scope{file: def.file, resource: sc.resource}, sub)
	delete(m.evaluating, key)
	if valueBytes(v, maxValueBytes) > maxValueBytes {
		if m.err == nil {
			m.err = &policy.SyntaxError{File: def.file.name, Pos: hclPos(def.expr.StartRange().Start),
				Msg: fmt.Sprintf("%s is larger than %d bytes", key, maxValueBytes)}
		}
		v, exact = cty.StringVal("${"+key+"}"), false
	}
	c := &cached{val: v, exact: exact, t: sub}
	m.cache[key] = c
	t.merge(sub)
	return v, exact
}

// valueBytes estimates the size of v, stopping past limit.
func valueBytes(v cty.Value, limit int) int {
	if v.IsNull() || !v.IsKnown() {
		return 0
	}
	ty := v.Type()
	switch {
	case ty == cty.String:
		return len(v.AsString())
	case ty.IsListType() || ty.IsSetType() || ty.IsTupleType() || ty.IsMapType() || ty.IsObjectType():
		n := 0
		for it := v.ElementIterator(); it.Next() && n <= limit; {
			k, e := it.Element()
			n += valueBytes(k, limit) + valueBytes(e, limit) + 1
		}
		return n
	}
	return 8
}

// dataAttr is the value of an attribute of a data source that kmslint
// knows before Terraform runs: the deploying account, region and
// partition, and the JSON of a policy document.
func (m *module) dataAttr(d blockDef, typ, name, attr string, tr hcl.Traversal, t *tracker) (cty.Value, bool, bool) {
	spelt := "${" + travText(tr[:4]) + "}"
	switch typ {
	case "aws_caller_identity":
		if attr == "account_id" || attr == "id" {
			v, exact := m.account(spelt, t)
			return cty.StringVal(v), exact, true
		}
	case "aws_region":
		if attr == "name" || attr == "region" || attr == "id" {
			// The data source may name a region of its own.
			for _, arg := range []string{"region", "name"} {
				if a := d.block.Body.Attributes[arg]; a != nil {
					v, exact := m.eval(a.Expr, &scope{file: d.file}, t)
					return v, exact, true
				}
			}
			v, exact := m.region(spelt, t)
			return cty.StringVal(v), exact, true
		}
	case "aws_partition":
		switch attr {
		case "partition", "id":
			v, exact := m.partition(spelt, t)
			return cty.StringVal(v), exact, true
		case "dns_suffix":
			v, exact := m.partition(spelt, t)
			return cty.StringVal(urlSuffix(v)), exact, true
		}
	case "aws_iam_policy_document":
		if attr == "json" || attr == "minified_json" {
			n, exact := m.renderDoc(d, t)
			if n == nil {
				return cty.NilVal, false, false
			}
			return cty.StringVal(string(n.AppendJSON(nil))), exact, true
		}
	}
	return cty.NilVal, false, false
}

// resourceAttr is the value of an attribute of a managed resource that
// follows from its arguments: the ARN and name of an IAM role or user whose
// name is set, as CloudFormation's Fn::GetAtt Role.Arn is resolved.
// https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/iam_role#attribute-reference
func (m *module) resourceAttr(r blockDef, typ, attr string, tr hcl.Traversal, t *tracker) (cty.Value, bool, bool) {
	kind := map[string]string{"aws_iam_role": "role", "aws_iam_user": "user"}[typ]
	if kind == "" || r.block.Body.Attributes["count"] != nil || r.block.Body.Attributes["for_each"] != nil {
		return cty.NilVal, false, false
	}
	na := r.block.Body.Attributes["name"]
	if na == nil {
		// Terraform generates a name.
		return cty.NilVal, false, false
	}
	key := travText(tr[:2]) + ".name"
	if m.evaluating[key] {
		return cty.NilVal, false, false
	}
	m.evaluating[key] = true
	defer delete(m.evaluating, key)
	rs := &scope{file: r.file}
	name, exact := m.eval(na.Expr, rs, t)
	if !exact || name.Type() != cty.String {
		return cty.NilVal, false, false
	}
	switch attr {
	case "name", "id":
		return name, true, true
	case "arn":
		path := cty.StringVal("/")
		if pa := r.block.Body.Attributes["path"]; pa != nil {
			var pexact bool
			if path, pexact = m.eval(pa.Expr, rs, t); !pexact || path.Type() != cty.String {
				return cty.NilVal, false, false
			}
		}
		acct, aexact := m.account("<deploying account>", t)
		part, pexact := m.partition("<deploying partition>", t)
		return cty.StringVal("arn:" + part + ":iam::" + acct + ":" + kind + path.AsString() + name.AsString()), aexact && pexact, true
	}
	return cty.NilVal, false, false
}

func (m *module) account(spelt string, t *tracker) (string, bool) {
	if m.env.AccountID != "" {
		return m.env.AccountID, true
	}
	t.deploying.Add(deploy.AccountParam, spelt)
	return deploy.Account, false
}

func (m *module) region(spelt string, t *tracker) (string, bool) {
	if m.env.Region != "" {
		return m.env.Region, true
	}
	t.deploying.Add(deploy.RegionParam, spelt)
	return deploy.Region, false
}

func (m *module) partition(spelt string, t *tracker) (string, bool) {
	switch {
	case m.env.Partition != "":
		return m.env.Partition, true
	case m.env.Region != "":
		return partition.Of(m.env.Region), true
	}
	t.deploying.Add(deploy.PartitionParam, spelt)
	return deploy.Partition, false
}

// urlSuffix is the DNS suffix of a partition's endpoints.
func urlSuffix(p string) string {
	if p == "aws-cn" {
		return "amazonaws.com.cn"
	}
	return "amazonaws.com"
}

// ptree assembles the object a root name stands for from the values its
// traversals reach: data.aws_region.current.name and
// data.aws_partition.current.partition make one "data" object.
type ptree struct {
	val   cty.Value
	attrs map[string]*ptree
	idx   map[int]*ptree
}

func (p *ptree) at(steps hcl.Traversal) *ptree {
	for _, s := range steps {
		var next *ptree
		switch s := s.(type) {
		case hcl.TraverseAttr:
			next = p.attr(s.Name)
		case hcl.TraverseIndex:
			switch {
			case s.Key.Type() == cty.String:
				next = p.attr(s.Key.AsString())
			case s.Key.Type() == cty.Number:
				i, _ := s.Key.AsBigFloat().Int64()
				if i < 0 || i > 1024 {
					return p
				}
				if p.idx == nil {
					p.idx = map[int]*ptree{}
				}
				if p.idx[int(i)] == nil {
					p.idx[int(i)] = &ptree{}
				}
				next = p.idx[int(i)]
			default:
				return p
			}
		default:
			return p
		}
		p = next
	}
	return p
}

func (p *ptree) attr(name string) *ptree {
	if p.attrs == nil {
		p.attrs = map[string]*ptree{}
	}
	if p.attrs[name] == nil {
		p.attrs[name] = &ptree{}
	}
	return p.attrs[name]
}

func (p *ptree) set(v cty.Value) {
	if p.val == cty.NilVal {
		p.val = v
	}
}

func (p *ptree) value() cty.Value {
	switch {
	case len(p.attrs) > 0:
		m := make(map[string]cty.Value, len(p.attrs))
		for k, c := range p.attrs {
			m[k] = c.value()
		}
		return cty.ObjectVal(m)
	case len(p.idx) > 0:
		keys := make([]int, 0, len(p.idx))
		for k := range p.idx {
			keys = append(keys, k)
		}
		sort.Ints(keys)
		fill := p.idx[keys[0]].value()
		vals := make([]cty.Value, keys[len(keys)-1]+1)
		for i := range vals {
			if c, ok := p.idx[i]; ok {
				vals[i] = c.value()
			} else {
				vals[i] = fill
			}
		}
		return cty.TupleVal(vals)
	case p.val != cty.NilVal:
		return p.val
	}
	return cty.StringVal("")
}
