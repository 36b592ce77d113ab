package prove

import (
	"encoding/base64"
	"fmt"
	"math/big"
	"net/netip"
	"sort"
	"strconv"
	"time"

	"github.com/kmslint/kmslint/internal/authz"
	"github.com/kmslint/kmslint/internal/policy"
)

// scalarKind is the domain of a key compared with numeric, date, IP
// address or binary operators.
type scalarKind uint8

const (
	skNumber scalarKind = iota
	skDate
	skIP
	skBinary
	// skTime is the request's instant in whole seconds: aws:CurrentTime
	// (RFC 3339) and aws:EpochTime (epoch seconds) are two spellings of it.
	skTime
)

// scalarTest is "the value matches this one policy value" under a
// positive operator (NumericLessThan, DateEquals, IpAddress, ...); key
// says which spelling of skTime it reads.
type scalarTest struct {
	op, key, value string
}

// scalarVar is a non-string unknown: its classes are the intervals between
// the policy's values (numbers, instants, address ranges) or the distinct
// binary values, plus "not a valid value" unless AWS always sends a valid
// one. Candidates are taken at and between every breakpoint; the engine
// itself says which tests each candidate passes, and candidates that pass
// the same tests are one class.
type scalarVar struct {
	name  string
	kind  scalarKind
	valid bool // AWS always sends a well-formed value: no "bad" class
	tests []scalarTest
	index map[scalarTest]int
	// after partition:
	classes []scalarClass
	err     error
	parted  int // tests when partitioned
}

type scalarClass struct {
	sig     bitset
	witness string // skTime: epoch seconds
	bad     bool
}

func (v *scalarVar) add(t scalarTest) int {
	if v.index == nil {
		v.index = map[scalarTest]int{}
	}
	if i, ok := v.index[t]; ok {
		return i
	}
	v.tests = append(v.tests, t)
	v.index[t] = len(v.tests) - 1
	return len(v.tests) - 1
}

// spell renders a witness for one key of the variable.
func (v *scalarVar) spell(w, key string) string {
	if v.kind != skTime || key != "aws:currenttime" {
		return w
	}
	n, err := strconv.ParseInt(w, 10, 64)
	if err != nil {
		return w
	}
	return time.Unix(n, 0).UTC().Format(time.RFC3339)
}

func (v *scalarVar) partition() {
	cands := v.candidates()
	if len(v.tests) == 0 {
		v.classes = []scalarClass{{sig: newBitset(0), witness: cands[0].w, bad: cands[0].bad}}
		return
	}
	bank, err := newCondBank(v.tests)
	if err != nil {
		v.err = err
		return
	}
	seen := map[string]bool{}
	for _, c := range cands {
		ctx := authz.NewContext()
		keys := map[string]bool{}
		for _, t := range v.tests {
			keys[t.key] = true
		}
		for k := range keys {
			ctx.Set(k, v.spell(c.w, k))
		}
		sig := bank.eval(ctx)
		k := sig.key()
		if c.bad {
			k = "bad" + k
		}
		if !seen[k] {
			seen[k] = true
			v.classes = append(v.classes, scalarClass{sig: sig, witness: c.w, bad: c.bad})
		}
	}
}

type candidate struct {
	w   string
	bad bool
}

func (v *scalarVar) candidates() []candidate {
	var out []candidate
	addBad := func(w string) {
		if !v.valid {
			out = append(out, candidate{w: w, bad: true})
		}
	}
	switch v.kind {
	case skNumber:
		var bs []*big.Rat
		for _, t := range v.tests {
			if r, ok := authz.ParseNumber(t.value); ok {
				bs = append(bs, r)
			}
		}
		for _, r := range between(bs, big.NewRat(1, 1)) {
			out = append(out, candidate{w: ratString(r)})
		}
		addBad("not-a-number")
	case skTime:
		var bs []*big.Rat
		for _, t := range v.tests {
			if r, ok := authz.ParseNumber(t.value); ok && t.op[0] == 'N' {
				bs = append(bs, r)
			} else if d, ok := authz.ParseDate(t.value); ok {
				r := new(big.Rat).SetFrac(big.NewInt(d.UnixNano()), big.NewInt(1e9))
				bs = append(bs, r)
			}
		}
		seen := map[int64]bool{}
		for _, r := range between(bs, big.NewRat(1, 1)) {
			// Whole seconds: the floor and ceiling of every candidate.
			f := new(big.Int).Quo(r.Num(), r.Denom())
			if r.Sign() < 0 && !r.IsInt() {
				f.Sub(f, big.NewInt(1))
			}
			for _, x := range []int64{f.Int64(), f.Int64() + 1} {
				if x >= 0 && x <= maxTime && !seen[x] {
					seen[x] = true
					out = append(out, candidate{w: strconv.FormatInt(x, 10)})
				}
			}
		}
		if len(out) == 0 {
			out = append(out, candidate{w: strconv.FormatInt(defaultTime, 10)})
		}
	case skDate:
		var ts []time.Time
		for _, t := range v.tests {
			if d, ok := authz.ParseDate(t.value); ok {
				ts = append(ts, d)
			}
		}
		sort.Slice(ts, func(i, j int) bool { return ts[i].Before(ts[j]) })
		if len(ts) == 0 {
			out = append(out, candidate{w: time.Unix(defaultTime, 0).UTC().Format(time.RFC3339Nano)})
		} else {
			add := func(t time.Time) { out = append(out, candidate{w: t.UTC().Format(time.RFC3339Nano)}) }
			add(ts[0].Add(-time.Second))
			for i, t := range ts {
				add(t)
				if i+1 < len(ts) {
					if gap := ts[i+1].Sub(t); gap > 1 {
						d := gap / 2
						if gap > 2*time.Second {
							d = time.Second
						}
						add(t.Add(d))
					}
				}
			}
			add(ts[len(ts)-1].Add(time.Second))
		}
		addBad("not-a-date")
	case skIP:
		out = append(out, ipCandidates(v.tests)...)
		addBad("not-an-address")
	case skBinary:
		seen := map[string]bool{}
		for _, t := range v.tests {
			if b, err := base64.StdEncoding.DecodeString(t.value); err == nil {
				w := base64.StdEncoding.EncodeToString(b)
				if !seen[w] {
					seen[w] = true
					out = append(out, candidate{w: w})
				}
			}
		}
		for i := 0; ; i++ {
			w := base64.StdEncoding.EncodeToString([]byte("kmslint-" + strconv.Itoa(i)))
			if !seen[w] {
				out = append(out, candidate{w: w})
				break
			}
		}
		addBad("!")
	}
	return out
}

// defaultTime is the instant a witness takes when the policy sets no
// breakpoint (2026-01-01T00:00:00Z); maxTime the last one RFC 3339 spells.
const (
	defaultTime = 1767225600
	maxTime     = 253402300799
)

// between returns, for sorted distinct breakpoints, a value below them
// all, each of them, one strictly between each neighbouring pair, and one
// above them all (unit apart from the ends).
func between(bs []*big.Rat, unit *big.Rat) []*big.Rat {
	sort.Slice(bs, func(i, j int) bool { return bs[i].Cmp(bs[j]) < 0 })
	var ds []*big.Rat
	for _, b := range bs {
		if len(ds) == 0 || ds[len(ds)-1].Cmp(b) != 0 {
			ds = append(ds, b)
		}
	}
	if len(ds) == 0 {
		return []*big.Rat{new(big.Rat)}
	}
	out := []*big.Rat{new(big.Rat).Sub(ds[0], unit)}
	for i, b := range ds {
		out = append(out, b)
		if i+1 < len(ds) {
			// An integer strictly between when there is one, else the midpoint.
			f := new(big.Int).Quo(b.Num(), b.Denom())
			if b.Sign() < 0 && !b.IsInt() {
				f.Sub(f, big.NewInt(1))
			}
			n := new(big.Rat).SetInt(f.Add(f, big.NewInt(1)))
			if n.Cmp(ds[i+1]) >= 0 {
				n = new(big.Rat).Add(b, ds[i+1])
				n.Quo(n, big.NewRat(2, 1))
			}
			out = append(out, n)
		}
	}
	return append(out, new(big.Rat).Add(ds[len(ds)-1], unit))
}

// ratString spells a rational the way a request would: an integer or a
// decimal, and a fraction only when no finite decimal exists.
func ratString(r *big.Rat) string {
	if r.IsInt() {
		return r.Num().String()
	}
	d := new(big.Int).Set(r.Denom())
	places := 0
	for _, p := range []int64{2, 5} {
		bp := big.NewInt(p)
		for new(big.Int).Mod(d, bp).Sign() == 0 {
			d.Quo(d, bp)
			places++
		}
	}
	if d.Cmp(big.NewInt(1)) == 0 {
		return r.FloatString(places)
	}
	return r.RatString()
}

// ipCandidates are the start of every elementary range the prefixes cut
// the IPv4 and IPv6 spaces into, with IPv4 ranges also seen through their
// IPv4-mapped IPv6 addresses (authz compares a mapped address with IPv4
// prefixes too).
func ipCandidates(tests []scalarTest) []candidate {
	var pts []netip.Addr
	addPrefix := func(p netip.Prefix) {
		first := p.Masked().Addr()
		pts = append(pts, first)
		last := lastAddr(p)
		if next := last.Next(); next.IsValid() {
			pts = append(pts, next)
		}
	}
	pts = append(pts, netip.IPv4Unspecified(), netip.IPv6Unspecified(), netip.MustParseAddr("::ffff:0.0.0.0"), netip.MustParseAddr("::1:0:0:0"))
	for _, t := range tests {
		if p, ok := authz.ParseIPOrCIDR(t.value); ok {
			addPrefix(p)
		}
	}
	var out []candidate
	seen := map[netip.Addr]bool{}
	add := func(a netip.Addr) {
		if !seen[a] {
			seen[a] = true
			out = append(out, candidate{w: a.String()})
		}
	}
	for _, a := range pts {
		add(a)
		if a.Is4() {
			add(netip.AddrFrom16(a.As16()))
		}
	}
	return out
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	bitsTotal := len(b) * 8
	for i := p.Bits(); i < bitsTotal; i++ {
		b[i/8] |= 1 << (7 - i%8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// condBank decides one-value conditions on concrete contexts through the
// engine itself, so that what the prover believes about a value is what
// authz decides.
type condBank struct {
	eng *authz.Engine
	n   int
}

func newCondBank(tests []scalarTest) (*condBank, error) {
	conds := make([]policy.Condition, len(tests))
	for i, t := range tests {
		conds[i] = policy.Condition{Operator: t.op, Key: t.key, Values: []string{t.value}}
	}
	return newCondBankConds(conds)
}

// newCondBankConds: one statement per condition, each applying to every
// principal, action and resource, so a statement matches exactly when its
// condition holds.
func newCondBankConds(conds []policy.Condition) (*condBank, error) {
	p := &policy.Policy{Version: "2012-10-17"}
	for i := range conds {
		p.Statements = append(p.Statements, &policy.Statement{
			Index: i, Effect: policy.Allow,
			Principal:  &policy.Principals{Wildcard: true},
			Action:     &policy.StringList{Values: []string{"*"}},
			Resource:   &policy.StringList{Values: []string{"*"}},
			Conditions: conds[i : i+1],
		})
	}
	cp, err := authz.Compile("tests", p)
	if err != nil {
		return nil, fmt.Errorf("tests: %w", err)
	}
	return &condBank{eng: &authz.Engine{Key: cp}, n: len(conds)}, nil
}

func (b *condBank) eval(ctx *authz.Context) bitset {
	res := b.eng.Decide(&authz.Request{Principal: authz.Principal{Kind: authz.Anonymous, ARN: "anonymous"}, Action: "kms:Decrypt", Resource: "*", Context: ctx})
	sig := newBitset(b.n)
	for i, s := range res.Statements {
		if s.Matched {
			sig.set(i)
		}
	}
	return sig
}
