package cfn

import (
	"encoding/base64"
	"sort"
	"strconv"
	"strings"

	"github.com/kmslint/kmslint/internal/input/deploy"
	"github.com/kmslint/kmslint/internal/input/source"
	"github.com/kmslint/kmslint/internal/partition"
	"github.com/kmslint/kmslint/internal/policy"
)

// maxValues bounds the values resolution may produce for one template. YAML
// aliases let a small file describe an exponentially large tree; real key
// policies are a few hundred values each.
const maxValues = 1 << 20

// resolver evaluates CloudFormation intrinsic functions in one value of a
// template (a key's KeyPolicy, a condition) the way CloudFormation would at
// deployment, as far as the template and Env allow. What cannot be known
// before deployment becomes a placeholder string that matches no real ARN or
// value, with a note at the intrinsic's position.
//
// Resolved values sit at the position of the intrinsic that produced them;
// values written inline keep their own positions.
type resolver struct {
	t *template
	// track keeps the file position of every byte of strings built by
	// Fn::Sub and Fn::Join, needed only when a KeyPolicy is given as a string
	// of JSON; otherwise resolution skips that work.
	track bool
	maps  map[*policy.Node]*source.Mapped

	unresolved []source.Note
	// placeholders are the strings put in place of unresolved values.
	placeholders map[string]bool
	notes        []source.Note
	// deploying records the pseudo parameters that took the placeholders
	// of package deploy.
	deploying deploy.Uses
	err       error
}

func newResolver(t *template, track bool) *resolver {
	r := &resolver{t: t, track: track}
	if track {
		r.maps = map[*policy.Node]*source.Mapped{}
	}
	return r
}

func (r *resolver) str(s string, pos policy.Pos) *policy.Node {
	return &policy.Node{Kind: policy.KindString, Pos: pos, Str: s}
}

// unknown records that a value cannot be resolved and returns its placeholder.
func (r *resolver) unknown(pos policy.Pos, placeholder, why string) (*policy.Node, bool) {
	r.unresolved = append(r.unresolved, source.Note{Pos: pos, Message: why})
	r.placeholder(placeholder)
	return r.str(placeholder, pos), false
}

func (r *resolver) placeholder(s string) {
	if r.placeholders == nil {
		r.placeholders = map[string]bool{}
	}
	r.placeholders[s] = true
}

// placeholderList is placeholders, sorted.
func (r *resolver) placeholderList() []string {
	out := make([]string, 0, len(r.placeholders))
	for p := range r.placeholders {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// intrinsic reports whether n is a one-key object naming an intrinsic
// function ("Ref", "Fn::...", and "Condition" inside conditions).
func intrinsic(n *policy.Node, inCondition bool) (string, *policy.Node, bool) {
	if n == nil || n.Kind != policy.KindObject || len(n.Fields) != 1 {
		return "", nil, false
	}
	k := n.Fields[0].Key
	if k == "Ref" || strings.HasPrefix(k, "Fn::") || (inCondition && k == "Condition") {
		return k, n.Fields[0].Value, true
	}
	return "", nil, false
}

// value resolves every intrinsic function in n. It returns nil for
// AWS::NoValue (the element is removed), and whether the result is exact
// (no placeholder inside).
func (r *resolver) value(n *policy.Node) (*policy.Node, bool) {
	if r.t.budget--; r.t.budget < 0 || r.err != nil {
		if r.err == nil {
			r.err = &policy.SyntaxError{File: r.t.file, Pos: n.Pos,
				Msg: "invalid template: it expands to more than " + strconv.Itoa(maxValues) + " values (YAML aliases?)"}
		}
		return n, false
	}
	switch n.Kind {
	case policy.KindArray:
		out := &policy.Node{Kind: policy.KindArray, Pos: n.Pos, Items: make([]*policy.Node, 0, len(n.Items))}
		exact := true
		for _, it := range n.Items {
			v, ok := r.value(it)
			exact = exact && ok
			if v != nil {
				out.Items = append(out.Items, v)
			}
		}
		return out, exact
	case policy.KindObject:
		if fn, arg, ok := intrinsic(n, false); ok {
			return r.call(n, fn, arg)
		}
		out := &policy.Node{Kind: policy.KindObject, Pos: n.Pos, Fields: make([]policy.Field, 0, len(n.Fields))}
		exact := true
		for _, f := range n.Fields {
			v, ok := r.value(f.Value)
			exact = exact && ok
			if v != nil {
				out.Fields = append(out.Fields, policy.Field{Key: f.Key, KeyPos: f.KeyPos, Value: v})
			}
		}
		return out, exact
	}
	// Scalars are shared with the template tree; nothing modifies them.
	return n, true
}

// text is a resolved scalar as CloudFormation writes it into a string.
func text(v *policy.Node) (string, bool) {
	if v == nil {
		return "", false
	}
	switch v.Kind {
	case policy.KindString, policy.KindNumber:
		return v.Str, true
	case policy.KindBool:
		return strconv.FormatBool(v.Bool), true
	}
	return "", false
}

func (r *resolver) call(n *policy.Node, fn string, arg *policy.Node) (*policy.Node, bool) {
	switch fn {
	case "Ref":
		if arg.Kind != policy.KindString {
			return r.unknown(n.Pos, "${Ref}", "Ref takes the name of a parameter or resource")
		}
		return r.ref(arg.Str, n.Pos)
	case "Fn::Sub":
		return r.sub(n, arg)
	case "Fn::Join":
		return r.join(n, arg)
	case "Fn::Select":
		return r.selectFn(n, arg)
	case "Fn::Split":
		return r.split(n, arg)
	case "Fn::If":
		return r.ifFn(n, arg)
	case "Fn::FindInMap":
		return r.findInMap(n, arg)
	case "Fn::GetAtt":
		return r.getAttFn(n, arg)
	case "Fn::Base64":
		v, exact := r.value(arg)
		s, ok := text(v)
		if !ok {
			return r.unknown(n.Pos, "${Fn::Base64}", "Fn::Base64 takes a string")
		}
		return r.str(base64.StdEncoding.EncodeToString([]byte(s)), n.Pos), exact
	case "Fn::ToJsonString":
		v, exact := r.value(arg)
		if v == nil {
			return r.unknown(n.Pos, "${Fn::ToJsonString}", "Fn::ToJsonString of AWS::NoValue")
		}
		return r.str(string(v.AppendJSON(nil)), n.Pos), exact
	case "Fn::Length":
		v, exact := r.value(arg)
		if v == nil || v.Kind != policy.KindArray {
			return r.unknown(n.Pos, "${Fn::Length}", "Fn::Length takes a list")
		}
		return &policy.Node{Kind: policy.KindNumber, Pos: n.Pos, Str: strconv.Itoa(len(v.Items))}, exact
	case "Fn::ImportValue":
		v, _ := r.value(arg)
		name, _ := text(v)
		return r.unknown(n.Pos, "${Fn::ImportValue "+name+"}",
			"Fn::ImportValue "+name+" is another stack's export, known only at deployment")
	case "Fn::GetAZs":
		return r.unknown(n.Pos, "${Fn::GetAZs}", "Fn::GetAZs is known only at deployment")
	case "Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or":
		return r.unknown(n.Pos, "${"+fn+"}", fn+" is valid only in the Conditions section")
	}
	return r.unknown(n.Pos, "${"+fn+"}", fn+" is not evaluated by kmslint")
}

// ref resolves Ref to a pseudo parameter, a parameter or a resource.
// https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-ref.html
func (r *resolver) ref(name string, pos policy.Pos) (*policy.Node, bool) {
	if name == "AWS::NoValue" {
		return nil, true
	}
	if strings.HasPrefix(name, "AWS::") {
		return r.pseudo(name, pos)
	}
	if decl := r.t.params.Get(name); decl != nil {
		return r.param(name, decl, pos)
	}
	if res := r.t.resources.Get(name); res != nil {
		if v, ok := r.resourceName(name, res, pos); ok {
			return v, true
		}
		return r.unknown(pos, "${"+name+"}",
			"Ref "+name+" is the physical ID of resource "+name+", known only after deployment")
	}
	return r.unknown(pos, "${"+name+"}", "Ref "+name+": the template declares no parameter or resource of that name")
}

// pseudo resolves AWS::AccountId and friends from Env. Without a value,
// AWS::AccountId, AWS::Region and AWS::Partition take the placeholders of
// package deploy: they are the account, region and partition the stack
// deploys to, whatever those are, and the key's own.
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/pseudo-parameter-reference.html
func (r *resolver) pseudo(name string, pos policy.Pos) (*policy.Node, bool) {
	env := r.t.env
	v, exact := "", true
	switch name {
	case "AWS::AccountId":
		v = env.AccountID
	case "AWS::Region":
		v = env.Region
	case "AWS::Partition":
		v, exact = r.partition()
	case "AWS::URLSuffix":
		p, ok := r.partition()
		v, exact = urlSuffix(p), ok
	}
	if v == "" {
		v = env.Parameters[name]
	}
	if v != "" {
		return r.str(v, pos), exact
	}
	switch name {
	// A placeholder is not exact: a condition comparing it with a value
	// cannot be decided, nor a mapping looked up with it.
	case "AWS::AccountId":
		r.deploying.Add(deploy.AccountParam, "${AWS::AccountId}")
		return r.str(deploy.Account, pos), false
	case "AWS::Region":
		r.deploying.Add(deploy.RegionParam, "${AWS::Region}")
		return r.str(deploy.Region, pos), false
	case "AWS::StackName", "AWS::StackId", "AWS::NotificationARNs", "AWS::URLSuffix":
		return r.unknown(pos, "${"+name+"}", name+" is known only when the stack is deployed")
	}
	return r.unknown(pos, "${"+name+"}", name+" is not a pseudo parameter")
}

// partition is Env.Partition, else the partition of Env.Region, else a
// given AWS::Partition parameter, else the deploying placeholder (the
// partition of deploy.Region), which is not exact.
func (r *resolver) partition() (string, bool) {
	env := r.t.env
	if env.Partition != "" {
		return env.Partition, true
	}
	if env.Region != "" {
		return partition.Of(env.Region), true
	}
	if v := env.Parameters["AWS::Partition"]; v != "" {
		return v, true
	}
	r.deploying.Add(deploy.PartitionParam, "${AWS::Partition}")
	return deploy.Partition, false
}

// urlSuffix is AWS::URLSuffix of a partition, "" where kmslint does not know it.
func urlSuffix(partition string) string {
	switch partition {
	case "aws", "aws-us-gov":
		return "amazonaws.com"
	case "aws-cn":
		return "amazonaws.com.cn"
	case "aws-iso":
		return "c2s.ic.gov"
	case "aws-iso-b":
		return "sc2s.sgov.gov"
	}
	return ""
}

// param resolves Ref to a template parameter: Env.Parameters, else Default.
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/parameters-section-structure.html
func (r *resolver) param(name string, decl *policy.Node, pos policy.Pos) (*policy.Node, bool) {
	typ, _ := text(decl.Get("Type"))
	val, ok := r.t.env.Parameters[name]
	if !ok {
		if strings.HasPrefix(typ, "AWS::SSM::Parameter::Value<") {
			// The Default of an SSM parameter type names the SSM parameter,
			// not the value.
			return r.unknown(pos, "${"+name+"}", "parameter "+name+" is read from SSM Parameter Store at deployment")
		}
		d := decl.Get("Default")
		if d == nil {
			return r.unknown(pos, "${"+name+"}", "parameter "+name+" has no Default and no value was given for it")
		}
		if d.Kind == policy.KindArray {
			parts := make([]string, 0, len(d.Items))
			for _, it := range d.Items {
				s, _ := text(it)
				parts = append(parts, s)
			}
			val = strings.Join(parts, ",")
		} else if val, ok = text(d); !ok {
			return r.unknown(pos, "${"+name+"}", "parameter "+name+" has a Default that is not a string")
		}
	}
	if typ == "CommaDelimitedList" || strings.Contains(typ, "List<") {
		out := &policy.Node{Kind: policy.KindArray, Pos: pos}
		for _, p := range strings.Split(val, ",") {
			out.Items = append(out.Items, r.str(strings.TrimSpace(p), pos))
		}
		return out, true
	}
	return r.str(val, pos), true
}

// iamName tells which resources have a Ref and Arn that follow from their
// properties, so that a key policy naming a role of the same template can be
// linted exactly: Ref of an AWS::IAM::Role is its RoleName, its Arn
// arn:PARTITION:iam::ACCOUNT:role PATH NAME.
// https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-iam-role.html#aws-resource-iam-role-return-values
func iamName(typ string) (nameProp, arnKind string, ok bool) {
	switch typ {
	case "AWS::IAM::Role":
		return "RoleName", "role", true
	case "AWS::IAM::User":
		return "UserName", "user", true
	}
	return "", "", false
}

// resourceName resolves Ref of an IAM role or user whose name is set.
func (r *resolver) resourceName(name string, res *policy.Node, pos policy.Pos) (*policy.Node, bool) {
	v, _, _, ok := r.iamIdentity(name, res)
	if !ok {
		return nil, false
	}
	return r.str(v, pos), true
}

// iamIdentity resolves the name, path and ARN kind of an IAM role or user
// of the template, when its properties allow.
func (r *resolver) iamIdentity(name string, res *policy.Node) (roleName, path, kind string, ok bool) {
	typ, _ := text(res.Get("Type"))
	prop, kind, ok := iamName(typ)
	if !ok || r.t.naming[name] {
		// A name defined through itself has no value.
		return "", "", "", false
	}
	r.t.naming[name] = true
	defer delete(r.t.naming, name)
	props := res.Get("Properties")
	roleName, ok = r.quietText(props.Get(prop))
	path = "/"
	if p := props.Get("Path"); p != nil && ok {
		path, ok = r.quietText(p)
	}
	return roleName, path, kind, ok
}

// quietText resolves a property of another resource without reporting its
// unresolved parts: the caller reports its own, at the place that uses it.
func (r *resolver) quietText(n *policy.Node) (string, bool) {
	if n == nil {
		return "", false
	}
	q := newResolver(r.t, false)
	v, exact := q.value(n)
	r.deploying.Merge(q.deploying)
	if q.err != nil && r.err == nil {
		r.err = q.err
	}
	s, ok := text(v)
	return s, ok && exact
}

func (r *resolver) getAttFn(n, arg *policy.Node) (*policy.Node, bool) {
	var res, attr string
	switch {
	case arg.Kind == policy.KindString:
		res, attr, _ = strings.Cut(arg.Str, ".")
	case arg.Kind == policy.KindArray && len(arg.Items) == 2 && arg.Items[0].Kind == policy.KindString:
		res = arg.Items[0].Str
		v, _ := r.value(arg.Items[1])
		attr, _ = text(v)
	default:
		return r.unknown(n.Pos, "${Fn::GetAtt}", "Fn::GetAtt takes [resource, attribute]")
	}
	return r.getAtt(res, attr, n.Pos)
}

// getAtt resolves the Arn of an IAM role or user with a name and leaves
// every other attribute as a placeholder.
func (r *resolver) getAtt(res, attr string, pos policy.Pos) (*policy.Node, bool) {
	placeholder := "${Fn::GetAtt " + res + "." + attr + "}"
	decl := r.t.resources.Get(res)
	if decl == nil {
		return r.unknown(pos, placeholder, "Fn::GetAtt "+res+"."+attr+": the template declares no resource "+res)
	}
	if attr == "Arn" {
		if name, path, kind, ok := r.iamIdentity(res, decl); ok {
			acct, exact := r.pseudo("AWS::AccountId", pos)
			part, pexact := r.partition()
			return r.str("arn:"+part+":iam::"+acct.Str+":"+kind+path+name, pos), exact && pexact
		}
	}
	return r.unknown(pos, placeholder, "Fn::GetAtt "+res+"."+attr+" is known only after deployment")
}

// sub implements Fn::Sub: ${Name} is a variable of the map, a pseudo
// parameter, a parameter or resource (as Ref), or Resource.Attribute (as
// Fn::GetAtt); ${!Text} is the literal ${Text}.
// https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-sub.html
func (r *resolver) sub(n, arg *policy.Node) (*policy.Node, bool) {
	tn, vars := arg, (*policy.Node)(nil)
	if arg.Kind == policy.KindArray && len(arg.Items) == 2 && arg.Items[1].Kind == policy.KindObject {
		tn, vars = arg.Items[0], arg.Items[1]
	}
	if tn.Kind != policy.KindString {
		return r.unknown(n.Pos, "${Fn::Sub}", "Fn::Sub takes a string or [string, {variables}]")
	}
	s := tn.Str
	var tm *source.Mapped
	var b source.Builder
	var sb strings.Builder
	if r.track {
		tm = r.mapped(tn)
	}
	at := func(i int) policy.Pos {
		if tm != nil {
			return tm.Pos(i)
		}
		return n.Pos
	}
	lit := func(lo, hi int) {
		if tm != nil {
			b.Append(tm, lo, hi)
		} else {
			sb.WriteString(s[lo:hi])
		}
	}
	exact := true
	i := 0
	for i < len(s) {
		j := strings.Index(s[i:], "${")
		if j < 0 {
			break
		}
		j += i
		if j+2 < len(s) && s[j+2] == '!' {
			lit(i, j+2)
			i = j + 3
			continue
		}
		k := strings.IndexByte(s[j+2:], '}')
		if k < 0 {
			break
		}
		end := j + 2 + k + 1
		lit(i, j)
		v, ok := r.subVar(strings.TrimSpace(s[j+2:end-1]), vars, at(j))
		exact = exact && ok
		if tm != nil {
			b.At(v, at(j))
		} else {
			sb.WriteString(v)
		}
		i = end
	}
	lit(i, len(s))
	if tm != nil {
		m := b.Mapped().Or(n.Pos)
		out := r.str(m.S, n.Pos)
		r.maps[out] = m
		return out, exact
	}
	return r.str(sb.String(), n.Pos), exact
}

func (r *resolver) subVar(name string, vars *policy.Node, pos policy.Pos) (string, bool) {
	var v *policy.Node
	exact := true
	switch {
	case vars.Get(name) != nil:
		v, exact = r.value(vars.Get(name))
	case strings.Contains(name, ".") && !strings.HasPrefix(name, "AWS::"):
		res, attr, _ := strings.Cut(name, ".")
		v, exact = r.getAtt(res, attr, pos)
	default:
		v, exact = r.ref(name, pos)
	}
	s, ok := text(v)
	if !ok {
		r.unresolved = append(r.unresolved, source.Note{Pos: pos, Message: "Fn::Sub: ${" + name + "} is not a string"})
		r.placeholder("${" + name + "}")
		return "${" + name + "}", false
	}
	return s, exact
}

// join implements Fn::Join [delimiter, [values...]].
func (r *resolver) join(n, arg *policy.Node) (*policy.Node, bool) {
	if arg.Kind != policy.KindArray || len(arg.Items) != 2 || arg.Items[0].Kind != policy.KindString {
		return r.unknown(n.Pos, "${Fn::Join}", "Fn::Join takes [delimiter, [values]]")
	}
	delim := arg.Items[0]
	list, exact := r.value(arg.Items[1])
	if list == nil || list.Kind != policy.KindArray {
		if exact {
			return r.unknown(n.Pos, "${Fn::Join}", "Fn::Join takes a list of values")
		}
		return r.str("${Fn::Join}", n.Pos), false
	}
	var b source.Builder
	var sb strings.Builder
	for i, it := range list.Items {
		s, ok := text(it)
		if !ok {
			return r.unknown(it.Pos, "${Fn::Join}", "Fn::Join: a value to join is not a string")
		}
		if r.track {
			if i > 0 {
				dm := r.mapped(delim)
				b.Append(dm, 0, len(dm.S))
			}
			im := r.mapped(it)
			b.Append(im, 0, len(im.S))
			continue
		}
		if i > 0 {
			sb.WriteString(delim.Str)
		}
		sb.WriteString(s)
	}
	if r.track {
		m := b.Mapped().Or(n.Pos)
		out := r.str(m.S, n.Pos)
		r.maps[out] = m
		return out, exact
	}
	return r.str(sb.String(), n.Pos), exact
}

// mapped gives the file position of each byte of a string value: the string
// as written in the template, or as built by Fn::Sub or Fn::Join.
func (r *resolver) mapped(n *policy.Node) *source.Mapped {
	if m, ok := r.maps[n]; ok {
		return m
	}
	var m *source.Mapped
	if r.t.yaml {
		m = yamlScalar(r.t.text, n)
	} else {
		m = r.t.text.StringAt(n)
	}
	m = m.Or(n.Pos)
	r.maps[n] = m
	return m
}

func (r *resolver) selectFn(n, arg *policy.Node) (*policy.Node, bool) {
	if arg.Kind != policy.KindArray || len(arg.Items) != 2 {
		return r.unknown(n.Pos, "${Fn::Select}", "Fn::Select takes [index, list]")
	}
	iv, iexact := r.value(arg.Items[0])
	list, lexact := r.value(arg.Items[1])
	is, _ := text(iv)
	idx, err := strconv.Atoi(is)
	switch {
	case !iexact || list == nil || list.Kind != policy.KindArray:
		return r.unknown(n.Pos, "${Fn::Select}", "Fn::Select: the index or the list is not known")
	case err != nil || idx < 0 || idx >= len(list.Items):
		return r.unknown(n.Pos, "${Fn::Select}", "Fn::Select: index "+strconv.Quote(is)+" is not in the list")
	}
	return list.Items[idx], lexact
}

func (r *resolver) split(n, arg *policy.Node) (*policy.Node, bool) {
	if arg.Kind != policy.KindArray || len(arg.Items) != 2 {
		return r.unknown(n.Pos, "${Fn::Split}", "Fn::Split takes [delimiter, string]")
	}
	dv, dexact := r.value(arg.Items[0])
	sv, sexact := r.value(arg.Items[1])
	d, ok1 := text(dv)
	s, ok2 := text(sv)
	if !ok1 || !ok2 || d == "" {
		return r.unknown(n.Pos, "${Fn::Split}", "Fn::Split takes a delimiter and a string")
	}
	out := &policy.Node{Kind: policy.KindArray, Pos: n.Pos}
	for _, p := range strings.Split(s, d) {
		out.Items = append(out.Items, r.str(p, n.Pos))
	}
	return out, dexact && sexact
}

// ifFn implements Fn::If [condition, value if true, value if false]. A
// condition that cannot be evaluated takes the first value, so that the
// statement it guards is linted rather than silently dropped.
func (r *resolver) ifFn(n, arg *policy.Node) (*policy.Node, bool) {
	if arg.Kind != policy.KindArray || len(arg.Items) != 3 || arg.Items[0].Kind != policy.KindString {
		return r.unknown(n.Pos, "${Fn::If}", "Fn::If takes [condition, value if true, value if false]")
	}
	name := arg.Items[0].Str
	c := r.condition(name)
	if c.known {
		if c.val {
			return r.value(arg.Items[1])
		}
		return r.value(arg.Items[2])
	}
	r.unresolved = append(r.unresolved, source.Note{Pos: n.Pos,
		Message: "Fn::If: condition " + name + " cannot be evaluated (" + c.why + "); the value for true is linted"})
	v, _ := r.value(arg.Items[1])
	return v, false
}

// findInMap implements Fn::FindInMap [map, top key, second key] and the
// AWS::LanguageExtensions form with a fourth {"DefaultValue": v}.
func (r *resolver) findInMap(n, arg *policy.Node) (*policy.Node, bool) {
	if arg.Kind != policy.KindArray || len(arg.Items) < 3 || len(arg.Items) > 4 {
		return r.unknown(n.Pos, "${Fn::FindInMap}", "Fn::FindInMap takes [map, top-level key, second-level key]")
	}
	var keys [3]string
	for i := range keys {
		v, exact := r.value(arg.Items[i])
		s, ok := text(v)
		if !ok || !exact {
			return r.unknown(n.Pos, "${Fn::FindInMap}", "Fn::FindInMap: a key is not known")
		}
		keys[i] = s
	}
	if v := r.t.mappings.Get(keys[0]).Get(keys[1]).Get(keys[2]); v != nil {
		return r.retarget(v, n.Pos), true
	}
	if len(arg.Items) == 4 {
		if d := arg.Items[3].Get("DefaultValue"); d != nil {
			return r.value(d)
		}
	}
	return r.unknown(n.Pos, "${Fn::FindInMap}", "Fn::FindInMap: Mappings has no "+keys[0]+"."+keys[1]+"."+keys[2])
}

// retarget copies a Mappings value to the position of the Fn::FindInMap
// that produced it.
func (r *resolver) retarget(n *policy.Node, pos policy.Pos) *policy.Node {
	if r.t.budget--; r.t.budget < 0 {
		r.value(n) // records the error
		return n
	}
	out := &policy.Node{Kind: n.Kind, Pos: pos, Str: n.Str, Bool: n.Bool}
	for _, it := range n.Items {
		out.Items = append(out.Items, r.retarget(it, pos))
	}
	for _, f := range n.Fields {
		out.Fields = append(out.Fields, policy.Field{Key: f.Key, KeyPos: pos, Value: r.retarget(f.Value, pos)})
	}
	return out
}
