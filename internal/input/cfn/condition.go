package cfn

import (
	"bytes"

	"github.com/kmslint/kmslint/internal/input/deploy"
	"github.com/kmslint/kmslint/internal/input/source"
	"github.com/kmslint/kmslint/internal/policy"
)

// condResult is the value of a named condition, or why it has none.
type condResult struct {
	known, val bool
	why        string
	// deploying is the placeholders it used.
	deploying deploy.Uses
}

// condition evaluates a condition of the Conditions section, once per
// template. Its inputs are resolved quietly: a Fn::If or resource that uses
// it reports one note with the reason.
// https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-conditions.html
func (r *resolver) condition(name string) condResult {
	t := r.t
	c, seen := t.conds[name]
	switch {
	case seen && c == nil:
		return condResult{why: "condition " + name + " refers to itself"}
	case seen:
		r.deploying.Merge(c.deploying)
		return *c
	}
	t.conds[name] = nil // being evaluated
	res := condResult{why: "the template declares no condition " + name}
	if def := t.conditions.Get(name); def != nil {
		q := newResolver(t, false)
		res.known, res.val = q.evalCond(def)
		res.deploying = q.deploying
		res.why = ""
		switch {
		case len(q.unresolved) > 0:
			res.why = q.unresolved[0].Message
		case !res.known:
			res.why = "it depends on the account, region or partition the stack deploys to"
		}
		if q.err != nil && r.err == nil {
			r.err = q.err
		}
	}
	t.conds[name] = &res
	r.deploying.Merge(res.deploying)
	return res
}

// evalCond evaluates a condition function with three-valued logic: an And
// with one false operand is false even if another is unknown.
func (r *resolver) evalCond(n *policy.Node) (known, val bool) {
	fn, arg, ok := intrinsic(n, true)
	if !ok {
		r.unresolved = append(r.unresolved, source.Note{Pos: n.Pos, Message: "a condition must be a condition function"})
		return false, false
	}
	switch fn {
	case "Condition":
		if arg.Kind != policy.KindString {
			break
		}
		c := r.condition(arg.Str)
		if !c.known {
			r.unresolved = append(r.unresolved, source.Note{Pos: n.Pos, Message: c.why})
		}
		return c.known, c.val
	case "Fn::Equals":
		if arg.Kind != policy.KindArray || len(arg.Items) != 2 {
			break
		}
		a, aok := r.value(arg.Items[0])
		b, bok := r.value(arg.Items[1])
		if !aok || !bok {
			return false, false
		}
		return true, equalValues(a, b)
	case "Fn::Not":
		if arg.Kind != policy.KindArray || len(arg.Items) != 1 {
			break
		}
		k, v := r.evalCond(arg.Items[0])
		return k, !v
	case "Fn::And", "Fn::Or":
		if arg.Kind != policy.KindArray || len(arg.Items) == 0 {
			break
		}
		// And is decided by a false operand, Or by a true one.
		decisive := fn == "Fn::Or"
		all := true
		for _, it := range arg.Items {
			k, v := r.evalCond(it)
			if k && v == decisive {
				return true, decisive
			}
			all = all && k
		}
		return all, !decisive
	}
	r.unresolved = append(r.unresolved, source.Note{Pos: n.Pos, Message: fn + " is not a valid condition function here"})
	return false, false
}

// equalValues compares as Fn::Equals does: by value, with scalars compared
// as the strings CloudFormation sees.
func equalValues(a, b *policy.Node) bool {
	if a == nil || b == nil {
		return a == b
	}
	as, aok := text(a)
	bs, bok := text(b)
	if aok && bok {
		return as == bs
	}
	return bytes.Equal(a.AppendJSON(nil), b.AppendJSON(nil))
}
