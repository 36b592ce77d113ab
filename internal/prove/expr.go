package prove

import "reflect"

// tri is a truth value under a partial assignment.
type tri uint8

const (
	tF tri = iota // false whatever the unassigned variables
	tT            // true whatever the unassigned variables
	tU            // depends on an unassigned variable (assign.need names one)
	tX            // depends on something the prover does not model exactly
)

// assign is a partial assignment of the search's variables: val[v] is a
// value index, or -1.
type assign struct {
	val []int32
	// need is the first unassigned variable an evaluation ran into.
	need int
	// why is the first construct not modelled that an evaluation met.
	why string
}

// undecided is a formula the prover does not model: evaluating it records
// why.
func undecided(why string) expr {
	return func(a *assign) tri {
		if a.why == "" {
			a.why = why
		}
		return tX
	}
}

// get returns v's value, or records v as needed.
func (a *assign) get(v int) (int, bool) {
	x := a.val[v]
	if x < 0 {
		if a.need < 0 {
			a.need = v
		}
		return 0, false
	}
	return int(x), true
}

// expr is a formula over the assignment.
type expr func(a *assign) tri

// exprTrue and exprFalse are the constants; and/or/not fold them away,
// which keeps the formulas of statements that cannot apply out of the
// search.
func exprTrue(*assign) tri  { return tT }
func exprFalse(*assign) tri { return tF }

var truePtr, falsePtr = reflect.ValueOf(exprTrue).Pointer(), reflect.ValueOf(exprFalse).Pointer()

func constExpr(t tri) expr {
	switch t {
	case tT:
		return exprTrue
	case tF:
		return exprFalse
	}
	return func(*assign) tri { return t }
}

func isConst(e expr, t tri) bool {
	if e == nil {
		return false
	}
	p := reflect.ValueOf(e).Pointer()
	return t == tT && p == truePtr || t == tF && p == falsePtr
}

// all is the conjunction of f(0), ..., f(n-1): false wins over undecided,
// undecided (a variable to branch on) over unmodelled.
func all(n int, f func(i int) tri) tri {
	r := tT
	for i := 0; i < n; i++ {
		switch f(i) {
		case tF:
			return tF
		case tU:
			r = tU
		case tX:
			if r == tT {
				r = tX
			}
		}
	}
	return r
}

// some is the disjunction, dual to all.
func some(n int, f func(i int) tri) tri {
	return notTri(all(n, func(i int) tri { return notTri(f(i)) }))
}

// and is the conjunction of formulas.
func and(es ...expr) expr {
	var keep []expr
	for _, e := range es {
		if e == nil || isConst(e, tT) {
			continue
		}
		if isConst(e, tF) {
			return exprFalse
		}
		keep = append(keep, e)
	}
	switch len(keep) {
	case 0:
		return exprTrue
	case 1:
		return keep[0]
	}
	return func(a *assign) tri { return all(len(keep), func(i int) tri { return keep[i](a) }) }
}

// or is the disjunction of formulas.
func or(es ...expr) expr {
	var keep []expr
	for _, e := range es {
		if e == nil || isConst(e, tF) {
			continue
		}
		if isConst(e, tT) {
			return exprTrue
		}
		keep = append(keep, e)
	}
	switch len(keep) {
	case 0:
		return exprFalse
	case 1:
		return keep[0]
	}
	return func(a *assign) tri { return some(len(keep), func(i int) tri { return keep[i](a) }) }
}

func not(e expr) expr {
	switch {
	case isConst(e, tT):
		return exprFalse
	case isConst(e, tF):
		return exprTrue
	}
	return func(a *assign) tri {
		switch r := e(a); r {
		case tT:
			return tF
		case tF:
			return tT
		default:
			return r
		}
	}
}

func triOf(b bool) tri {
	if b {
		return tT
	}
	return tF
}

// eqExpr is "variable v has value x".
func eqExpr(v, x int) expr {
	return func(a *assign) tri {
		got, ok := a.get(v)
		if !ok {
			return tU
		}
		return triOf(got == x)
	}
}
