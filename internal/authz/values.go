package authz

import (
	"math/big"
	"net/netip"
	"time"
)

// ParseNumber, ParseDate and ParseIPOrCIDR parse a policy value the way the
// numeric, date and IP address operators do (false: the value is not one,
// and the operator skips it). The prover (internal/prove) splits a
// condition key's domain at exactly these values.
func ParseNumber(s string) (*big.Rat, bool) { return parseNumber(s) }

// ParseDate: see ParseNumber.
func ParseDate(s string) (time.Time, bool) { return parseDate(s) }

// ParseIPOrCIDR: see ParseNumber.
func ParseIPOrCIDR(s string) (netip.Prefix, bool) { return parseIPOrCIDR(s) }

// PatternPiece is one piece of a policy string as conditions compile it:
// literal text, a '*' or '?' wildcard, or a policy variable.
type PatternPiece struct {
	// Kind: 0 literal (Text), 1 '*', 2 '?', 3 variable (Text is its
	// lower-cased key).
	Kind       uint8
	Text       string
	Default    string
	HasDefault bool
}

// PatternPieces compiles s the way a condition value is (wildcards: '*'
// and '?' are wildcards, as for StringLike and ARN components): the prover
// builds its automata from the same pieces the engine matches with.
func PatternPieces(s string, wildcards bool) []PatternPiece {
	p := compilePattern(s, wildcards, false)
	out := make([]PatternPiece, len(p.toks))
	for i, t := range p.toks {
		out[i] = PatternPiece{Kind: uint8(t.kind), Text: t.lit, Default: t.def, HasDefault: t.hasD}
	}
	return out
}
