package evalio

import (
	"strings"
	"unicode/utf8"

	"github.com/kmslint/kmslint/internal/authz"
	"github.com/kmslint/kmslint/internal/kmsaction"
)

// fastDecoder decodes the common shape of a request line without building
// a generic JSON tree: batch mode spends most of its time here. It is
// deliberately partial: any line it is not certain about (escapes, nulls,
// unknown or duplicate fields, invalid UTF-8, anything malformed) makes it
// give up, and ParseRequestLine, the authority on what is valid and on the
// error message, decodes the line instead. FuzzFastDecoder holds the two
// to the same answer.
type fastDecoder struct {
	principals *PrincipalCache
	folded     map[string]string // context key -> lower-cased key
	s          string
	i          int
}

func newFastDecoder(principals *PrincipalCache) *fastDecoder {
	return &fastDecoder{principals: principals, folded: make(map[string]string, 32)}
}

// decode returns ok=false when the slow path must decide.
func (d *fastDecoder) decode(line []byte, tmpl RequestTemplate) (req authz.Request, ok bool) {
	if !utf8.Valid(line) {
		return req, false
	}
	d.s, d.i = string(line), 0
	if !d.byte('{') {
		return req, false
	}
	req.Resource = tmpl.Resource
	var seen uint8 // principal, action, resource, context
	if d.peek('}') {
		return req, false // no principal: let the slow path say so
	}
	for {
		key, ok := d.str()
		if !ok || !d.byte(':') {
			return req, false
		}
		var bit uint8
		switch key {
		case "principal":
			bit = 1
		case "action":
			bit = 2
		case "resource":
			bit = 4
		case "context":
			bit = 8
		default:
			return req, false
		}
		if seen&bit != 0 {
			return req, false
		}
		seen |= bit
		if bit == 8 {
			ctx, ok := d.context()
			if !ok {
				return req, false
			}
			req.Context = ctx
		} else {
			v, ok := d.str()
			if !ok {
				return req, false
			}
			switch bit {
			case 1:
				p, err := d.principals.Parse(v)
				if err != nil {
					return req, false
				}
				req.Principal = p
			case 2:
				if !kmsaction.Is(v) {
					return req, false
				}
				req.Action = v
			case 4:
				req.Resource = v
			}
		}
		if d.byte(',') {
			continue
		}
		if !d.byte('}') {
			return req, false
		}
		break
	}
	d.space()
	if d.i != len(d.s) || seen&3 != 3 {
		return req, false
	}
	if req.Context == nil {
		req.Context = authz.NewContext()
	}
	if req.Resource == "" && req.Principal.Account != "" {
		req.Resource = KeyARNIn(req.Principal.Account)
	}
	return req, true
}

func (d *fastDecoder) context() (*authz.Context, bool) {
	if !d.byte('{') {
		return nil, false
	}
	ctx := authz.NewContextSize(12)
	if d.byte('}') {
		return ctx, true
	}
	// One backing array for every single value of the line.
	singles := make([]string, 0, 12)
	for {
		key, ok := d.str()
		if !ok || !d.byte(':') {
			return nil, false
		}
		lk, ok := d.folded[key]
		if !ok {
			lk = strings.ToLower(key)
			if len(d.folded) < 4096 {
				d.folded[key] = lk
			}
		}
		if _, dup := ctx.Get(lk); dup {
			return nil, false
		}
		d.space()
		if d.i < len(d.s) && d.s[d.i] == '[' {
			d.i++
			var vals []string
			if !d.byte(']') {
				for {
					v, ok := d.scalar()
					if !ok {
						return nil, false
					}
					vals = append(vals, v)
					if d.byte(',') {
						continue
					}
					if !d.byte(']') {
						return nil, false
					}
					break
				}
			}
			if vals == nil {
				vals = []string{}
			}
			ctx.PutFolded(lk, key, authz.Value{Values: vals, Multi: true})
		} else {
			v, ok := d.scalar()
			if !ok {
				return nil, false
			}
			singles = append(singles, v)
			n := len(singles)
			ctx.PutFolded(lk, key, authz.Value{Values: singles[n-1 : n : n]})
		}
		if d.byte(',') {
			continue
		}
		if !d.byte('}') {
			return nil, false
		}
		return ctx, true
	}
}

// scalar reads a string, number or boolean as its context value.
func (d *fastDecoder) scalar() (string, bool) {
	d.space()
	if d.i >= len(d.s) {
		return "", false
	}
	switch c := d.s[d.i]; {
	case c == '"':
		return d.str()
	case c == 't' && strings.HasPrefix(d.s[d.i:], "true"):
		d.i += 4
		return "true", true
	case c == 'f' && strings.HasPrefix(d.s[d.i:], "false"):
		d.i += 5
		return "false", true
	case c == '-' || c >= '0' && c <= '9':
		start := d.i
		for d.i < len(d.s) && strings.IndexByte("+-.eE0123456789", d.s[d.i]) >= 0 {
			d.i++
		}
		lit := d.s[start:d.i]
		if !isJSONNumber(lit) {
			return "", false
		}
		return lit, true
	}
	return "", false
}

// str reads a string without escapes or control characters.
func (d *fastDecoder) str() (string, bool) {
	d.space()
	if d.i >= len(d.s) || d.s[d.i] != '"' {
		return "", false
	}
	start := d.i + 1
	for j := start; j < len(d.s); j++ {
		switch c := d.s[j]; {
		case c == '"':
			d.i = j + 1
			return d.s[start:j], true
		case c == '\\' || c < 0x20:
			return "", false
		}
	}
	return "", false
}

func (d *fastDecoder) space() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\r', '\n':
			d.i++
		default:
			return
		}
	}
}

func (d *fastDecoder) byte(b byte) bool {
	d.space()
	if d.i < len(d.s) && d.s[d.i] == b {
		d.i++
		return true
	}
	return false
}

func (d *fastDecoder) peek(b byte) bool {
	d.space()
	return d.i < len(d.s) && d.s[d.i] == b
}

// isJSONNumber checks the RFC 8259 number grammar.
func isJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i == len(s) || s[i] < '0' || s[i] > '9' {
			return false
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i == len(s) || s[i] < '0' || s[i] > '9' {
			return false
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	return i == len(s)
}
