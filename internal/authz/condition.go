package authz

import (
	"bytes"
	"encoding/base64"
	"math/big"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/kmslint/kmslint/internal/arn"
	"github.com/kmslint/kmslint/internal/policy"
)

// opFamily is the base condition operator, without set or IfExists parts.
type opFamily uint8

const (
	opUnknown opFamily = iota
	opStringEquals
	opStringEqualsIgnoreCase
	opStringLike
	opNumericEquals
	opNumericLessThan
	opNumericLessThanEquals
	opNumericGreaterThan
	opNumericGreaterThanEquals
	opDateEquals
	opDateLessThan
	opDateLessThanEquals
	opDateGreaterThan
	opDateGreaterThanEquals
	opBool
	opBinaryEquals
	opIPAddress
	opArnEquals
	opArnLike
	opNull
)

// Operator is a parsed condition operator such as
// "ForAnyValue:StringNotLikeIfExists".
type Operator struct {
	Name      string // as written
	Base      string // canonical base name, e.g. "StringNotLike"; "" when unknown
	family    opFamily
	Negated   bool
	IfExists  bool
	AnyValue  bool // ForAnyValue:
	AllValues bool // ForAllValues:
}

// Known reports whether IAM knows the operator.
func (o Operator) Known() bool { return o.family != opUnknown }

// Set reports whether a set operator qualifies it.
func (o Operator) Set() bool { return o.AnyValue || o.AllValues }

var baseOperators = map[string]struct {
	canon   string
	family  opFamily
	negated bool
}{
	"stringequals":              {"StringEquals", opStringEquals, false},
	"stringnotequals":           {"StringNotEquals", opStringEquals, true},
	"stringequalsignorecase":    {"StringEqualsIgnoreCase", opStringEqualsIgnoreCase, false},
	"stringnotequalsignorecase": {"StringNotEqualsIgnoreCase", opStringEqualsIgnoreCase, true},
	"stringlike":                {"StringLike", opStringLike, false},
	"stringnotlike":             {"StringNotLike", opStringLike, true},
	"numericequals":             {"NumericEquals", opNumericEquals, false},
	"numericnotequals":          {"NumericNotEquals", opNumericEquals, true},
	"numericlessthan":           {"NumericLessThan", opNumericLessThan, false},
	"numericlessthanequals":     {"NumericLessThanEquals", opNumericLessThanEquals, false},
	"numericgreaterthan":        {"NumericGreaterThan", opNumericGreaterThan, false},
	"numericgreaterthanequals":  {"NumericGreaterThanEquals", opNumericGreaterThanEquals, false},
	"dateequals":                {"DateEquals", opDateEquals, false},
	"datenotequals":             {"DateNotEquals", opDateEquals, true},
	"datelessthan":              {"DateLessThan", opDateLessThan, false},
	"datelessthanequals":        {"DateLessThanEquals", opDateLessThanEquals, false},
	"dategreaterthan":           {"DateGreaterThan", opDateGreaterThan, false},
	"dategreaterthanequals":     {"DateGreaterThanEquals", opDateGreaterThanEquals, false},
	"bool":                      {"Bool", opBool, false},
	"binaryequals":              {"BinaryEquals", opBinaryEquals, false},
	"ipaddress":                 {"IpAddress", opIPAddress, false},
	"notipaddress":              {"NotIpAddress", opIPAddress, true},
	"arnequals":                 {"ArnEquals", opArnEquals, false},
	"arnnotequals":              {"ArnNotEquals", opArnEquals, true},
	"arnlike":                   {"ArnLike", opArnLike, false},
	"arnnotlike":                {"ArnNotLike", opArnLike, true},
	"null":                      {"Null", opNull, false},
}

// ParseOperator parses a condition operator name. Unknown names give an
// Operator whose Known() is false; AWS rejects such policies, and lint
// reports them (KMS007).
func ParseOperator(name string) Operator {
	op := Operator{Name: name}
	rest := name
	lower := strings.ToLower(rest)
	switch {
	case strings.HasPrefix(lower, "foranyvalue:"):
		op.AnyValue = true
		rest = rest[len("foranyvalue:"):]
	case strings.HasPrefix(lower, "forallvalues:"):
		op.AllValues = true
		rest = rest[len("forallvalues:"):]
	}
	lower = strings.ToLower(rest)
	if strings.HasSuffix(lower, "ifexists") && lower != "ifexists" {
		op.IfExists = true
		lower = strings.TrimSuffix(lower, "ifexists")
	}
	b, ok := baseOperators[lower]
	if !ok || (b.family == opNull && op.IfExists) {
		// "You can add IfExists to the end of any condition operator name
		// except the Null condition."
		return op
	}
	op.Base, op.family, op.Negated = b.canon, b.family, b.negated
	return op
}

// Family names for reports.
func (o Operator) isString() bool {
	return o.family == opStringEquals || o.family == opStringEqualsIgnoreCase || o.family == opStringLike
}

// IsStringEqualsFamily reports operators that treat '*' literally.
func (o Operator) IsStringEqualsFamily() bool {
	return o.family == opStringEquals || o.family == opStringEqualsIgnoreCase
}

// IsArn reports the ARN operators.
func (o Operator) IsArn() bool { return o.family == opArnEquals || o.family == opArnLike }

// IsNull reports the Null operator.
func (o Operator) IsNull() bool { return o.family == opNull }

// condValue is one compiled policy value of a condition.
type condValue struct {
	raw  string
	pat  pattern    // string operators, Bool
	arn  arnPattern // ARN operators
	num  *big.Rat   // numeric operators
	when time.Time  // date operators
	pfx  netip.Prefix
	bin  []byte
	ok   bool // the value is well-formed for the operator
}

// compiledCondition is one operator/key pair with its values.
type compiledCondition struct {
	src    *policy.Condition
	op     Operator
	key    string // lower-cased
	values []condValue
	// valuesText is the policy values quoted, rendered once for reasons.
	valuesText string
}

func compileCondition(c *policy.Condition) compiledCondition {
	cc := compiledCondition{src: c, op: ParseOperator(c.Operator), key: strings.ToLower(c.Key), valuesText: quoteList(c.Values)}
	cc.values = make([]condValue, len(c.Values))
	for i, v := range c.Values {
		cc.values[i] = compileCondValue(cc.op, v)
	}
	return cc
}

func compileCondValue(op Operator, v string) condValue {
	cv := condValue{raw: v}
	switch op.family {
	case opStringEquals:
		cv.pat, cv.ok = compilePattern(v, false, false), true
	case opStringEqualsIgnoreCase:
		cv.pat, cv.ok = compilePattern(v, false, true), true
	case opStringLike:
		cv.pat, cv.ok = compilePattern(v, true, false), true
	case opBool:
		// Bool values are "true"/"false"; IAM compares them without regard to
		// case. Policy variables are allowed.
		cv.pat, cv.ok = compilePattern(v, false, true), true
	case opArnEquals, opArnLike:
		cv.arn = compileARNPattern(v)
		cv.ok = cv.arn.valid
	case opNumericEquals, opNumericLessThan, opNumericLessThanEquals, opNumericGreaterThan, opNumericGreaterThanEquals:
		cv.num, cv.ok = parseNumber(v)
	case opDateEquals, opDateLessThan, opDateLessThanEquals, opDateGreaterThan, opDateGreaterThanEquals:
		cv.when, cv.ok = parseDate(v)
	case opIPAddress:
		cv.pfx, cv.ok = parseIPOrCIDR(v)
	case opBinaryEquals:
		b, err := base64.StdEncoding.DecodeString(v)
		cv.bin, cv.ok = b, err == nil
	case opNull:
		lv := strings.ToLower(v)
		cv.ok = lv == "true" || lv == "false"
		cv.pat = compilePattern(lv, false, false)
	}
	return cv
}

func parseNumber(s string) (*big.Rat, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, false
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return nil, false
	}
	return r, true
}

// parseDate accepts the forms IAM documents for Date operators: ISO 8601
// (date, date-time with or without seconds/fraction/zone) and epoch seconds.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Date
func parseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	if isDigits(s) || (s[0] == '-' && isDigits(s[1:])) {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return time.Time{}, false
		}
		return time.Unix(n, 0).UTC(), true
	}
	for _, layout := range []string{
		time.RFC3339Nano,
		"2006-01-02T15:04:05Z0700",
		"2006-01-02T15:04:05",
		"2006-01-02T15:04Z07:00",
		"2006-01-02T15:04Z",
		"2006-01-02T15:04",
		"2006-01-02",
		"20060102T150405Z",
	} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func parseIPOrCIDR(s string) (netip.Prefix, bool) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		return p.Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, a.BitLen()), true
}

// condOutcome explains one condition's evaluation for reports.
type condOutcome struct {
	ok bool
	// why the condition failed
	absent     bool   // key missing from the request
	multi      bool   // multivalued key under a plain operator
	unknownOp  bool   // operator IAM does not know
	badValue   string // a request value unusable for the operator
	unresolved bool   // a policy variable had no value
	got        []string
}

// eval evaluates the condition against ctx.
//
// Rules (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
// and .../reference_policies_condition-single-vs-multi-valued-context-keys.html):
//   - several values for one key are ORed; a negated operator NORs them;
//   - a missing key makes a plain operator false and a negated one true;
//     ...IfExists makes any operator true on a missing key;
//   - Null tests presence: true means "absent";
//   - ForAnyValue: some request value matches (false when the key is absent);
//     ForAllValues: every request value matches (true when the key is absent
//     or empty);
//   - a plain operator on a multivalued key never matches.
func (cc *compiledCondition) eval(ctx *Context) condOutcome {
	if cc.op.family == opUnknown {
		return condOutcome{unknownOp: true}
	}
	v, present := ctx.lookup(cc.key)
	if cc.op.family == opNull {
		// Null checks whether the key is absent. An empty multivalued key
		// counts as absent, as with ForAllValues.
		absent := !present || len(v.Values) == 0
		want := "false"
		if absent {
			want = "true"
		}
		for i := range cc.values {
			if cc.values[i].ok && cc.values[i].pat.lit == want {
				return condOutcome{ok: true}
			}
		}
		return condOutcome{absent: absent, got: v.Values}
	}
	if !present {
		switch {
		case cc.op.IfExists:
			return condOutcome{ok: true}
		case cc.op.AllValues:
			return condOutcome{ok: true}
		case cc.op.AnyValue:
			return condOutcome{absent: true}
		case cc.op.Negated:
			return condOutcome{ok: true}
		}
		return condOutcome{absent: true}
	}
	switch {
	case cc.op.AllValues:
		for _, rv := range v.Values {
			m, bad, unresolved := cc.matchOne(rv, ctx)
			if unresolved {
				return condOutcome{unresolved: true, got: v.Values}
			}
			if bad || !m {
				return condOutcome{got: v.Values, badValue: badIf(bad, rv)}
			}
		}
		return condOutcome{ok: true}
	case cc.op.AnyValue:
		unresolvedAll := true
		for _, rv := range v.Values {
			m, bad, unresolved := cc.matchOne(rv, ctx)
			if !unresolved {
				unresolvedAll = false
			}
			if m && !bad {
				return condOutcome{ok: true}
			}
		}
		return condOutcome{got: v.Values, unresolved: unresolvedAll && len(v.Values) > 0}
	}
	if v.Multi {
		return condOutcome{multi: true, got: v.Values}
	}
	if len(v.Values) == 0 {
		return condOutcome{absent: true}
	}
	m, bad, unresolved := cc.matchOne(v.Values[0], ctx)
	if unresolved {
		return condOutcome{unresolved: true, got: v.Values}
	}
	if bad {
		return condOutcome{badValue: v.Values[0], got: v.Values}
	}
	return condOutcome{ok: m, got: v.Values}
}

func badIf(bad bool, v string) string {
	if bad {
		return v
	}
	return ""
}

// matchOne applies the operator (negation included) to one request value.
// bad reports a request value that cannot be compared (not a number, date,
// IP or ARN): the condition then fails whatever the negation. unresolved
// reports a policy variable without a value in every policy value.
//
// Each family converts the request value once and says how it compares
// with one policy value; anyValue ORs the policy values.
func (cc *compiledCondition) matchOne(rv string, ctx *Context) (matched, bad, unresolved bool) {
	var any, resolved bool
	switch f := cc.op.family; f {
	case opNumericEquals, opNumericLessThan, opNumericLessThanEquals, opNumericGreaterThan, opNumericGreaterThanEquals:
		n, ok := parseNumber(rv)
		if !ok {
			return false, true, false
		}
		any, resolved = anyValue(cc.values, func(cv *condValue) (bool, bool) { return cv.ok && cmpHolds(f, n.Cmp(cv.num)), true })
	case opDateEquals, opDateLessThan, opDateLessThanEquals, opDateGreaterThan, opDateGreaterThanEquals:
		t, ok := parseDate(rv)
		if !ok {
			return false, true, false
		}
		any, resolved = anyValue(cc.values, func(cv *condValue) (bool, bool) { return cv.ok && cmpHolds(f, t.Compare(cv.when)), true })
	case opIPAddress:
		a, err := netip.ParseAddr(strings.TrimSpace(rv))
		if err != nil {
			return false, true, false
		}
		any, resolved = anyValue(cc.values, func(cv *condValue) (bool, bool) {
			return cv.ok && (cv.pfx.Contains(a.Unmap()) || cv.pfx.Contains(a)), true
		})
	case opBinaryEquals:
		b, err := base64.StdEncoding.DecodeString(rv)
		if err != nil {
			return false, true, false
		}
		any, resolved = anyValue(cc.values, func(cv *condValue) (bool, bool) { return cv.ok && bytes.Equal(cv.bin, b), true })
	case opArnEquals, opArnLike:
		if _, ok := arn.Split(rv); !ok {
			return false, true, false
		}
		any, resolved = anyValue(cc.values, func(cv *condValue) (bool, bool) { return cv.arn.match(rv, ctx) })
	case opBool:
		// Bool compares like the string operators once the request value is
		// known to be a boolean.
		lv := strings.ToLower(rv)
		if lv != "true" && lv != "false" {
			return false, true, false
		}
		fallthrough
	default: // string operators
		any, resolved = anyValue(cc.values, func(cv *condValue) (bool, bool) { return cv.pat.match(rv, ctx) })
	}
	if !resolved && len(cc.values) > 0 {
		return false, false, true
	}
	return any != cc.op.Negated, false, false
}

// anyValue reports whether holds is true for some policy value, and
// whether any could be compared at all: holds reports a value it cannot
// compare (a policy variable without a value) as unresolved, and such a
// value is skipped.
func anyValue(values []condValue, holds func(cv *condValue) (matched, resolved bool)) (matched, resolved bool) {
	for i := range values {
		m, ok := holds(&values[i])
		if !ok {
			continue
		}
		resolved = true
		if m {
			return true, true
		}
	}
	return false, resolved
}

func cmpHolds(f opFamily, c int) bool {
	switch f {
	case opNumericEquals, opDateEquals:
		return c == 0
	case opNumericLessThan, opDateLessThan:
		return c < 0
	case opNumericLessThanEquals, opDateLessThanEquals:
		return c <= 0
	case opNumericGreaterThan, opDateGreaterThan:
		return c > 0
	case opNumericGreaterThanEquals, opDateGreaterThanEquals:
		return c >= 0
	}
	return false
}

// describe renders why a condition failed. Plain concatenation: this runs
// for every failed statement of every explained decision.
func (cc *compiledCondition) describe(o condOutcome) string {
	name := "condition " + cc.src.Operator + " " + cc.src.Key + ": "
	switch {
	case o.unknownOp:
		return name + "unknown condition operator " + strconv.Quote(cc.src.Operator) + " never matches"
	case o.absent && cc.op.family == opNull:
		return name + "key is absent from the request, but the condition wants it present"
	case cc.op.family == opNull:
		return name + "key is present in the request (" + quoteList(o.got) + "), but the condition wants it absent"
	case o.absent:
		return name + "key is absent from the request"
	case o.multi:
		return name + "key is multivalued in the request (" + quoteList(o.got) + ") and needs ForAnyValue:/ForAllValues:"
	case o.unresolved:
		return name + "a policy variable in " + cc.valuesText + " has no value in the request"
	case o.badValue != "":
		return name + "request value " + strconv.Quote(o.badValue) + " is not a valid " + familyNoun(cc.op.family) + " value"
	}
	verb := " does not match "
	if cc.op.Negated {
		verb = " matches "
	}
	return name + "request value " + quoteList(o.got) + verb + cc.valuesText
}

func familyNoun(f opFamily) string {
	switch f {
	case opNumericEquals, opNumericLessThan, opNumericLessThanEquals, opNumericGreaterThan, opNumericGreaterThanEquals:
		return "numeric"
	case opDateEquals, opDateLessThan, opDateLessThanEquals, opDateGreaterThan, opDateGreaterThanEquals:
		return "date"
	case opIPAddress:
		return "IP address"
	case opBinaryEquals:
		return "base64 binary"
	case opArnEquals, opArnLike:
		return "ARN"
	case opBool:
		return "boolean"
	}
	return "string"
}

func quoteList(vs []string) string {
	if len(vs) == 1 {
		return strconv.Quote(vs[0])
	}
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = strconv.Quote(v)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
