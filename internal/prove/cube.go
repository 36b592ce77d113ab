package prove

import (
	"slices"
	"strings"

	"github.com/kmslint/kmslint/internal/authz"
)

// Constraint is one part of a region of requests: what it constrains (the
// principal's kind, the action, an account, a condition key) and how.
type Constraint struct {
	What string `json:"what"`
	Is   string `json:"is"`
}

// cubePart is one assigned variable of a region: the values (classes,
// states, alternatives) it may take.
type cubePart struct {
	v    int
	vals []int
}

// cube is the region a search leaf stands for: the variables the search
// had assigned, each at its value (the others are free).
func cube(val []int32) []cubePart {
	var out []cubePart
	for vi, x := range val {
		if x >= 0 {
			out = append(out, cubePart{v: vi, vals: []int{int(x)}})
		}
	}
	return out
}

// render says what a region is, part by part.
func (s *space) render(c []cubePart) []Constraint {
	var out []Constraint
	iam := false
	for _, p := range c {
		if p.v == s.vKind {
			for _, x := range p.vals {
				iam = iam || s.kinds[x] != authz.ServicePrincipal && s.kinds[x] != authz.Anonymous
			}
		}
	}
	for _, p := range c {
		v := s.vars[p.v]
		var alts []string
		each := func(f func(x int) string) {
			for _, x := range p.vals {
				if a := f(x); a != "" && !slices.Contains(alts, a) {
					alts = append(alts, a)
				}
			}
		}
		what := v.name
		switch {
		case p.v == s.vKind:
			what = "principal"
			each(func(x int) string { return KindName(s.kinds[x]) })
		case p.v == s.vAction:
			each(func(x int) string { return s.actions[x] })
		case p.v == s.vVia:
			if !iam {
				continue
			}
			each(func(x int) string { return [...]string{"direct", "a service (forward access session)"}[x] })
		case p.v == s.vSrcAcct:
			what = "aws:SourceAccount"
			each(func(x int) string { return [...]string{"absent", "present"}[x] })
		case p.v == s.vSrcArn:
			what = "aws:SourceArn"
			each(func(x int) string { return [...]string{"absent", "with an account", "without an account"}[x] })
		case v.kind == vkStr:
			alts = []string{s.describe(v.sv, p.vals)}
		case v.kind == vkScalar:
			each(func(x int) string { return "like " + v.sc.classes[x].witness })
		case v.kind == vkState:
			if v.elem >= 0 && slices.ContainsFunc(c, func(q cubePart) bool { return q.v == v.elem }) {
				continue // its value says it is present
			}
			each(func(x int) string {
				st := v.states[x]
				switch {
				case !st.present:
					return "absent"
				case st.multi:
					var parts []string
					for _, cl := range st.set {
						parts = append(parts, s.describeElem(p.v, []int{cl}))
					}
					return "{" + strings.Join(parts, "; ") + "}"
				}
				return "present"
			})
		default:
			continue
		}
		out = append(out, Constraint{What: what, Is: strings.Join(alts, " or ")})
	}
	return out
}

func (s *space) describeElem(state int, cls []int) string {
	e := s.elemVar(state)
	if e < 0 {
		return s.describe(s.sECKE, cls)
	}
	if v := s.vars[e]; v.kind == vkScalar {
		return "like " + v.sc.classes[cls[0]].witness
	}
	return s.describe(s.vars[e].sv, cls)
}

// describe says what a union of classes of a string variable is, by the
// patterns that hold all of it and those that hold none of it:
// "= 111122223333", "not like o-*".
func (s *space) describe(sv *strVar, cls []int) string {
	var in, out []string
	for i, text := range sv.texts {
		if text == "" {
			continue
		}
		all, none := true, true
		for _, cl := range cls {
			if sv.classes[cl].sig.has(i) {
				none = false
			} else {
				all = false
			}
		}
		switch {
		case all:
			in = append(in, text)
		case none:
			out = append(out, "not "+text)
		}
	}
	all := append(in, out...)
	if len(in) > 0 {
		all = in // what it is says enough
	}
	if len(all) == 0 || len(all) > 4 {
		var ws []string
		for _, cl := range cls {
			ws = append(ws, s.strWitness(sv, cl))
		}
		return "like " + strings.Join(ws, " or ")
	}
	return strings.Join(all, ", ")
}

// toksText renders a pattern's automaton: "= x" for a literal, "like x*"
// with wildcards; "" when it has character classes of a domain.
func toksText(toks []tok) string {
	var sb strings.Builder
	wild, fold := false, false
	for _, t := range toks {
		switch {
		case t.p == pLit:
			sb.WriteRune(t.r)
		case t.p == pFold:
			sb.WriteRune(t.r)
			fold = true
		case (t.p == pAny || t.p == pNotColon) && t.star:
			sb.WriteByte('*')
			wild = true
		case t.p == pAny || t.p == pNotColon:
			sb.WriteByte('?')
			wild = true
		default:
			return ""
		}
	}
	switch {
	case wild:
		return "like " + sb.String()
	case fold:
		return "= " + sb.String() + " (any case)"
	}
	return "= " + sb.String()
}

// mergeCubes joins results whose regions differ in one variable only,
// keeping the first counterexample of each, and renders the regions.
func (s *space) mergeCubes(rs []Result) []Result {
	for merged := true; merged; {
		merged = false
	outer:
		for i := 0; i < len(rs); i++ {
			for j := i + 1; j < len(rs); j++ {
				if k, ok := oneApart(rs[i].cube, rs[j].cube); ok {
					c := slices.Clone(rs[i].cube)
					vals := slices.Clone(c[k].vals)
					for _, x := range rs[j].cube[k].vals {
						if !slices.Contains(vals, x) {
							vals = append(vals, x)
						}
					}
					c[k].vals = vals
					rs[i].cube = c
					rs = slices.Delete(rs, j, j+1)
					merged = true
					break outer
				}
			}
		}
	}
	for i := range rs {
		if rs[i].cube != nil {
			rs[i].Cube = s.render(rs[i].cube)
		}
	}
	return rs
}

func oneApart(a, b []cubePart) (int, bool) {
	if len(a) != len(b) || len(a) == 0 {
		return 0, false
	}
	diff := -1
	for i := range a {
		if a[i].v != b[i].v {
			return 0, false
		}
		if !slices.Equal(a[i].vals, b[i].vals) {
			if diff >= 0 {
				return 0, false
			}
			diff = i
		}
	}
	return diff, diff >= 0
}
