package prove

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kmslint/kmslint/internal/authz"
	"github.com/kmslint/kmslint/internal/world"
)

// search is a depth-first search for an assignment the formula holds on.
type search struct {
	q       *query
	ns, os  *compiled
	a       assign
	nodes   int
	aborted bool
	found   *Result
	unknown []string
	// incomplete: reasons finding nothing is not a proof.
	incomplete []string
	statement  int
	// limit > 0: collect up to limit counterexamples, one per region of
	// requests the formula holds on, instead of stopping at the first.
	limit   int
	results []Result
}

// dfs evaluates f under the current assignment; where it depends on an
// unassigned variable, it tries that variable's values in turn. It returns
// true to stop (a counterexample, or the node budget spent).
func (x *search) dfs(f expr) bool {
	if x.nodes >= x.q.opts.MaxNodes {
		x.aborted = true
		return true
	}
	x.nodes++
	x.a.need, x.a.why = -1, ""
	switch r := f(&x.a); r {
	case tF:
		return false
	case tT, tX:
		return x.leaf(r)
	}
	v := x.pick(x.a.need)
	x.q.s.prepare(v)
	if w := x.q.s.vars[v].why; w != "" && !slices.Contains(x.incomplete, w) {
		x.incomplete = append(x.incomplete, w)
	}
	for _, val := range x.q.s.vars[v].values(&x.a) {
		x.a.val[v] = int32(val)
		if x.dfs(f) {
			x.a.val[v] = -1
			return true
		}
	}
	x.a.val[v] = -1
	return false
}

// pick is v, or the first unassigned variable v's domain reads.
func (x *search) pick(v int) int {
	for _, d := range x.q.s.vars[v].deps {
		if x.a.val[d] < 0 {
			return x.pick(d)
		}
	}
	return v
}

// leaf turns the assignment into a request and replays it. r is tT when
// the formula holds whatever the unassigned variables (the request must
// replay: anything else is a disagreement with the engine), tX when it
// depends on something not modelled (the replay decides).
func (x *search) leaf(r tri) bool {
	why := x.a.why
	save := slices.Clone(x.a.val)
	c := x.q.s.call(&x.a)
	copy(x.a.val, save)
	ok, reason := x.replays(c)
	if !ok && r == tX {
		if m, repaired := x.repair(c); repaired {
			c, ok = m, true
		}
	}
	switch {
	case ok:
		c = x.minimize(c)
		res := x.result(c)
		if r == tT {
			res.cube = cube(save)
		}
		if x.limit == 0 {
			x.found = res
			return true
		}
		x.results = append(x.results, *res)
		return len(x.results) >= x.limit
	case r == tT:
		x.note("internal: the prover's request " + describe(c) + " did not replay: " + reason)
	default:
		if why == "" {
			why = "a construct kmslint does not model"
		}
		x.note(why)
	}
	return false
}

func (x *search) note(s string) {
	if !slices.Contains(x.unknown, s) && len(x.unknown) < 8 {
		x.unknown = append(x.unknown, s)
	}
}

// replays reports whether c is a request of the region that the engine
// allows (and, for a diff, the old policy does not).
func (x *search) replays(c world.Call) (bool, string) {
	req := world.Request(c)
	if err := world.Check(req); err != nil {
		return false, "not a request AWS sends: " + err.Error()
	}
	if !x.q.rc.contains(req) {
		return false, "outside the region"
	}
	if d := x.ns.sub.engine(req.Principal).Allowed(req); d != authz.Allow {
		return false, "the engine decides " + d.String()
	}
	if x.os != nil && x.os.sub.engine(req.Principal).Allowed(req) == authz.Allow {
		return false, "the old policy allows it too"
	}
	return true, ""
}

func (x *search) result(c world.Call) *Result {
	req := world.Request(c)
	d := x.ns.sub.engine(req.Principal).Decide(req)
	st := x.statement
	for _, sr := range d.Statements {
		if sr.Policy == "" && sr.Decisive && sr.Effect == "Allow" {
			st = sr.Index
			break
		}
	}
	return &Result{Verdict: Violated, Call: &c, Request: req, Decision: &d, Statement: st}
}

// minimize drops keys and moves values to neutral ones while the request
// stays one the region holds and the engine allows: what is left is needed.
func (x *search) minimize(c world.Call) world.Call {
	for changed := true; changed; {
		changed = false
		for _, m := range moves(c) {
			if ok, _ := x.replays(m); ok {
				c, changed = m, true
				break
			}
		}
	}
	return c
}

// neutralValue is a value of key that no policy is expected to name.
func neutralValue(key string) (string, bool) {
	switch world.ValueType(key) {
	case world.IP:
		return "192.0.2.1", true
	case world.Number:
		return "0", true
	case world.Bool:
		return "", false
	}
	return "kmslint-neutral", true
}

// moves are the requests one step simpler than c: one key dropped, or one
// value made neutral.
func moves(c world.Call) []world.Call {
	var out []world.Call
	mod := func(f func(m *world.Call)) {
		m := c
		m.Extra = slices.Clone(c.Extra)
		m.EncryptionContext = slices.Clone(c.EncryptionContext)
		f(&m)
		out = append(out, m)
	}
	for i := range c.Extra {
		mod(func(m *world.Call) { m.Extra = slices.Delete(m.Extra, i, i+1) })
	}
	for i := range c.EncryptionContext {
		mod(func(m *world.Call) { m.EncryptionContext = slices.Delete(m.EncryptionContext, i, i+1) })
	}
	if c.SourceAccount != "" {
		mod(func(m *world.Call) { m.SourceAccount = "" })
	}
	if c.SourceArn != "" {
		mod(func(m *world.Call) { m.SourceArn = "" })
	}
	if c.Via == world.FAS {
		mod(func(m *world.Call) {
			m.Via, m.ViaService, m.CalledVia, m.CalledViaFirst, m.CalledViaLast = world.Direct, "", nil, "", ""
		})
	}
	if c.CalledVia != nil {
		mod(func(m *world.Call) { m.CalledVia, m.CalledViaFirst, m.CalledViaLast = nil, "", "" })
	}
	if c.OrgID != "" {
		mod(func(m *world.Call) { m.OrgID, m.OrgPaths = "", nil })
	}
	if c.OrgPaths != nil {
		mod(func(m *world.Call) { m.OrgPaths = nil })
	}
	if c.EmptyKeys {
		mod(func(m *world.Call) { m.EmptyKeys = false })
	}
	if !c.Time.IsZero() {
		mod(func(m *world.Call) { m.Time = time.Time{} })
	}
	for i, kv := range c.Extra {
		n, ok := neutralValue(kv.Key)
		if !ok || kv.Value.Multi || len(kv.Value.Values) != 1 || kv.Value.Values[0] == n {
			continue
		}
		mod(func(m *world.Call) { m.Extra[i] = world.KV{Key: kv.Key, Value: authz.Value{Values: []string{n}}} })
	}
	for i, p := range c.EncryptionContext {
		if p.Value != "kmslint-neutral" {
			mod(func(m *world.Call) { m.EncryptionContext[i].Value = "kmslint-neutral" })
		}
	}
	return out
}

// describe renders a request in one line for reasons.
func describe(c world.Call) string {
	req := world.Request(c)
	s := fmt.Sprintf("%s %s", c.Principal, c.Action)
	req.Context.Each(func(k string, v authz.Value) { s += fmt.Sprintf(" %s=%q", k, v.Values) })
	return s
}

// repair tries, for a request the formula could not decide, the values
// the unmodelled conditions ask for: a key compared with "${aws:username}"
// given the request's own user name.
func (x *search) repair(c world.Call) (world.Call, bool) {
	for _, vc := range x.q.s.varConds {
		for _, v := range vc.Values {
			ctx := world.Context(c)
			inst, ok := instantiate(v, ctx)
			if !ok {
				continue
			}
			if m, ok := setKey(c, vc.Key, inst); ok {
				if good, _ := x.replays(m); good {
					return m, true
				}
			}
		}
	}
	return c, false
}

// instantiate spells a policy value with its variables replaced by the
// context's values (or their defaults) and its wildcards by short fills.
func instantiate(v string, ctx *authz.Context) (string, bool) {
	var sb strings.Builder
	for _, pc := range authz.PatternPieces(v, true) {
		switch pc.Kind {
		case 0:
			sb.WriteString(pc.Text)
		case 2:
			sb.WriteByte('x')
		case 3:
			val, ok := ctx.Get(pc.Text)
			switch {
			case ok && !val.Multi && len(val.Values) == 1:
				sb.WriteString(val.Values[0])
			case pc.HasDefault:
				sb.WriteString(pc.Default)
			default:
				return "", false
			}
		}
	}
	return sb.String(), true
}

// setKey gives a free or encryption-context key one value.
func setKey(c world.Call, key, value string) (world.Call, bool) {
	m := c
	if k, ok := world.ECKey(key); ok {
		if !world.TakesEncryptionContext(c.Action) {
			return c, false
		}
		m.EncryptionContext = slices.DeleteFunc(slices.Clone(c.EncryptionContext), func(p world.Pair) bool { return strings.EqualFold(p.Key, k) })
		m.EncryptionContext = append(m.EncryptionContext, world.Pair{Key: k, Value: value})
		return m, true
	}
	if world.KeySet(key) != world.Free || !world.Carried(key) || world.KeyCardinality(key) == world.Multi {
		return c, false
	}
	m.Extra = slices.DeleteFunc(slices.Clone(c.Extra), func(kv world.KV) bool { return strings.EqualFold(kv.Key, key) })
	m.Extra = append(m.Extra, world.KV{Key: key, Value: authz.Value{Values: []string{value}}})
	return m, true
}
