package prove

// varKind says what a search variable's values are.
type varKind uint8

const (
	// vkEnum: one of n alternatives (the principal's kind, the action, ...).
	vkEnum varKind = iota
	// vkStr: a class of a string variable's domain.
	vkStr
	// vkScalar: a class of a scalar variable's domain.
	vkScalar
	// vkState: a key's state: absent, single-valued (its value is another
	// variable), or multivalued with a set of classes.
	vkState
)

// keyState is one value of a vkState variable.
type keyState struct {
	present bool
	multi   bool
	set     []int // classes of the element variable, when multi
}

// variable is one unknown of the search.
type variable struct {
	name string
	kind varKind
	n    int // vkEnum: number of alternatives
	sv   *strVar
	sc   *scalarVar
	// vkState: the states, and the variable holding a single value's class.
	states []keyState
	elem   int
	// domain, when set, lists the values allowed under the assignment (in
	// the order to try them); deps are the variables it reads, which the
	// search assigns first.
	domain func(a *assign) []int
	deps   []int
	ready  bool // values made (space.prepare)
	// why is set when the values do not cover the domain (a partition
	// given up, value sets left untried): a search that branched on the
	// variable and found nothing answers unknown.
	why string
}

// size is the number of values of v.
func (v *variable) size() int {
	switch v.kind {
	case vkEnum:
		return v.n
	case vkStr:
		return len(v.sv.classes)
	case vkScalar:
		return len(v.sc.classes)
	}
	return len(v.states)
}

// values lists v's values to try under a.
func (v *variable) values(a *assign) []int {
	if v.domain != nil {
		return v.domain(a)
	}
	out := make([]int, v.size())
	for i := range out {
		out[i] = i
	}
	return out
}

// subsets lists the subsets of {0..n-1} of size lo..hi, smallest first,
// at most limit of them; ok is false when there are more.
func subsets(n, lo, hi, limit int) (out [][]int, ok bool) {
	if hi > n {
		hi = n
	}
	for size := lo; size <= hi; size++ {
		cur := make([]int, size)
		var rec func(pos, from int) bool
		rec = func(pos, from int) bool {
			if pos == size {
				if len(out) >= limit {
					return false
				}
				out = append(out, append([]int(nil), cur...))
				return true
			}
			for i := from; i < n; i++ {
				cur[pos] = i
				if !rec(pos+1, i+1) {
					return false
				}
			}
			return true
		}
		if !rec(0, 0) {
			return out, false
		}
	}
	return out, true
}
