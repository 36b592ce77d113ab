package authz

import (
	"strings"
	"unicode/utf8"
)

// tokKind is one piece of a compiled policy string.
type tokKind uint8

const (
	tokLit  tokKind = iota // literal text
	tokStar                // '*' wildcard: any run of characters
	tokOne                 // '?' wildcard: exactly one character
	tokVar                 // ${key} or ${key, 'default'}: a policy variable
)

type token struct {
	kind tokKind
	lit  string // tokLit: the text; tokVar: the lower-cased context key
	def  string // tokVar: default value
	hasD bool   // tokVar: a default was given
}

// pattern is a policy string compiled once: literal text, wildcards and
// policy variables. Policy variables are documented at
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html:
// ${*}, ${?} and ${$} stand for the literal characters, a variable whose key
// is absent (or multivalued) uses its default when one is given and otherwise
// makes the comparison fail, and a value substituted for a variable is
// literal text (a '*' in it is not a wildcard).
type pattern struct {
	raw      string
	toks     []token
	static   bool   // no variables: toks is final
	wild     bool   // has '*' or '?' tokens
	fold     bool   // compare case-insensitively
	lit      string // static and without wildcards: the whole literal
	isAnyAll bool   // the pattern is exactly "*"
}

// compilePattern compiles s. With wildcards=false, '*' and '?' are literal
// (StringEquals treats them literally). With fold=true, matching ignores case.
func compilePattern(s string, wildcards, fold bool) pattern {
	p := pattern{raw: s, fold: fold, static: true}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			p.toks = append(p.toks, token{kind: tokLit, lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case wildcards && c == '*':
			flush()
			// Consecutive stars are one star.
			if n := len(p.toks); n == 0 || p.toks[n-1].kind != tokStar {
				p.toks = append(p.toks, token{kind: tokStar})
			}
			p.wild = true
			i++
		case wildcards && c == '?':
			flush()
			p.toks = append(p.toks, token{kind: tokOne})
			p.wild = true
			i++
		case c == '$' && i+1 < len(s) && s[i+1] == '{':
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				lit.WriteByte(c)
				i++
				continue
			}
			inner := s[i+2 : i+2+end]
			i += 2 + end + 1
			switch inner {
			case "*", "?", "$":
				lit.WriteString(inner)
				continue
			}
			flush()
			p.toks = append(p.toks, parseVariable(inner))
			p.static = false
		default:
			lit.WriteByte(c)
			i++
		}
	}
	flush()
	if p.static && !p.wild && len(p.toks) == 1 {
		// Without variables or wildcards all literal text was gathered into
		// one token.
		p.lit = p.toks[0].lit
	}
	p.isAnyAll = len(p.toks) == 1 && p.toks[0].kind == tokStar
	return p
}

// parseVariable parses the inside of ${...}: a key, optionally followed by
// ", 'default'".
func parseVariable(inner string) token {
	t := token{kind: tokVar}
	key := inner
	if i := strings.Index(inner, ","); i >= 0 {
		rest := strings.TrimSpace(inner[i+1:])
		if len(rest) >= 2 && rest[0] == '\'' && rest[len(rest)-1] == '\'' {
			t.def = rest[1 : len(rest)-1]
			t.hasD = true
			key = inner[:i]
		}
	}
	t.lit = strings.ToLower(strings.TrimSpace(key))
	return t
}

// match reports whether value matches the pattern. ok is false when a
// policy variable cannot be resolved: the comparison then fails whatever the
// operator, as AWS documents for variables without a value.
func (p *pattern) match(value string, ctx *Context) (matched, ok bool) {
	if p.isAnyAll {
		return true, true
	}
	toks := p.toks
	if !p.static {
		var resolved bool
		toks, resolved = p.resolve(ctx)
		if !resolved {
			return false, false
		}
	} else if !p.wild {
		// Fast path: plain literal comparison.
		if p.fold {
			return strings.EqualFold(p.lit, value), true
		}
		return p.lit == value, true
	}
	return globMatch(toks, value, p.fold), true
}

// resolve substitutes policy variables from ctx.
func (p *pattern) resolve(ctx *Context) ([]token, bool) {
	out := make([]token, 0, len(p.toks))
	for _, t := range p.toks {
		if t.kind != tokVar {
			out = append(out, t)
			continue
		}
		v, found := ctx.lookup(t.lit)
		switch {
		case found && !v.Multi && len(v.Values) == 1:
			out = append(out, token{kind: tokLit, lit: v.Values[0]})
		case t.hasD:
			out = append(out, token{kind: tokLit, lit: t.def})
		default:
			return nil, false
		}
	}
	return out, true
}

// globMatch matches value against tokens where '?' is one Unicode character
// and '*' any run of characters (including none). It is the classic
// linear-backtracking wildcard match: on a mismatch it retries from the last
// star, one character further, which is O(len(pattern)*len(value)) at worst.
func globMatch(toks []token, value string, fold bool) bool {
	ti, vi := 0, 0
	starTi, starVi := -1, 0
	for {
		if ti < len(toks) {
			t := toks[ti]
			switch t.kind {
			case tokStar:
				starTi, starVi = ti, vi
				ti++
				continue
			case tokOne:
				if vi < len(value) {
					_, n := utf8.DecodeRuneInString(value[vi:])
					vi += n
					ti++
					continue
				}
			case tokLit:
				if n := litPrefix(value[vi:], t.lit, fold); n >= 0 {
					vi += n
					ti++
					continue
				}
			}
		} else if vi == len(value) {
			return true
		}
		if starTi < 0 || starVi >= len(value) {
			return false
		}
		_, n := utf8.DecodeRuneInString(value[starVi:])
		starVi += n
		ti, vi = starTi+1, starVi
	}
}

// litPrefix returns how many bytes of s the literal lit consumes at its
// start, or -1 when s does not start with lit. Case folding may change byte
// lengths, so the folded comparison walks runes.
func litPrefix(s, lit string, fold bool) int {
	if !fold {
		if strings.HasPrefix(s, lit) {
			return len(lit)
		}
		return -1
	}
	i := 0
	for _, pr := range lit {
		if i >= len(s) {
			return -1
		}
		sr, n := utf8.DecodeRuneInString(s[i:])
		if sr != pr && !strings.EqualFold(string(sr), string(pr)) {
			return -1
		}
		i += n
	}
	return i
}
