package policy

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kmslint/kmslint/internal/arn"
)

// RuleInvalid and RuleTooLarge are the rule ids of the Problems Build and the
// Parse functions report.
const (
	RuleInvalid  = "KMS001"
	RuleTooLarge = "KMS002"
)

// BuildOptions selects the grammar Build checks.
type BuildOptions struct {
	// Identity is true for an IAM identity policy: Principal and NotPrincipal
	// are forbidden (the principal is whoever the policy is attached to).
	// Otherwise the document is a key policy and every statement needs
	// exactly one of them.
	Identity bool
	// Unresolved tells whether a string is a template value kmslint could
	// not work out before deployment (a CloudFormation !GetAtt of a role's
	// ARN, a parameter without a default): such a principal is accepted as
	// some principal, unknown, instead of being reported as invalid, since
	// CloudFormation substitutes a real one. Nil: every value is literal.
	Unresolved func(string) bool
}

// ParseKeyPolicy parses and validates a key policy document. The error is
// non-nil only when data is not JSON at all (a *SyntaxError); every grammar,
// character-set and size violation is a Problem of the returned Policy.
func ParseKeyPolicy(file string, data []byte) (*Policy, error) {
	root, err := ParseJSON(file, data)
	if err != nil {
		return nil, err
	}
	p := Build(root, BuildOptions{})
	p.Size = len(data)
	if pos, r, ok := firstForbiddenChar(data); ok {
		p.Problems = append(p.Problems, forbiddenChar(pos, r))
	}
	// KMS counts the document as submitted, whitespace included:
	// ParseKeyPolicy has the bytes as they would be sent. (Lint measures a
	// document as compact JSON, the form templates send; see KMS002.)
	if pr, ok := SizeProblem(p.Size, root.Pos); ok {
		p.Problems = append(p.Problems, pr)
	}
	sortProblems(p.Problems)
	return p, nil
}

// ParseIdentityPolicy parses and validates an IAM identity policy. It sets
// Size but adds no size Problem: IAM's limits depend on how the policy is
// attached (inline or managed, user or role), which the file does not say.
func ParseIdentityPolicy(file string, data []byte) (*Policy, error) {
	root, err := ParseJSON(file, data)
	if err != nil {
		return nil, err
	}
	p := Build(root, BuildOptions{Identity: true})
	p.Size = len(data)
	return p, nil
}

// firstForbiddenChar finds the first character KMS does not accept in a key
// policy. A leading byte order mark is the file's encoding marker, not part
// of the policy, and is skipped like ParseJSON skips it.
func firstForbiddenChar(data []byte) (Pos, rune, bool) {
	line, col := 1, 1
	i := 0
	if len(data) >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF {
		i = 3
	}
	for i < len(data) {
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == '\n':
			line, col = line+1, 1
		case r == '\r':
			if i+1 >= len(data) || data[i+1] != '\n' {
				line, col = line+1, 1
			}
		case allowedRune(r):
			col++
		default:
			return Pos{Line: line, Col: col}, r, true
		}
		i += size
	}
	return Pos{}, 0, false
}

// allowedRune is a character KMS accepts in a key policy besides line
// breaks: tab and U+0020 to U+00FF.
// https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html
func allowedRune(r rune) bool { return r == '\t' || (r >= 0x20 && r <= 0xFF) }

// forbiddenChar is the problem of a character KMS rejects with a validation
// error.
func forbiddenChar(pos Pos, r rune) Problem {
	return Problem{Rule: RuleInvalid, Pos: pos, Statement: -1,
		Message: fmt.Sprintf("character %U is not allowed in a key policy (KMS accepts tab, LF, CR and U+0020 to U+00FF)", r)}
}

// CharacterProblem checks the keys and strings of a policy tree for
// characters KMS rejects and reports the first at the string holding it.
// It serves documents whose text is not what KMS receives (a template, a
// plan) and trees from any loader; ParseKeyPolicy checks the bytes.
func CharacterProblem(n *Node) (Problem, bool) {
	if n == nil {
		return Problem{}, false
	}
	bad := func(s string) (rune, bool) {
		for _, r := range s {
			if r != '\n' && r != '\r' && !allowedRune(r) {
				return r, true
			}
		}
		return 0, false
	}
	switch n.Kind {
	case KindString:
		if r, ok := bad(n.Str); ok {
			return forbiddenChar(n.Pos, r), true
		}
	case KindArray:
		for _, it := range n.Items {
			if p, ok := CharacterProblem(it); ok {
				return p, true
			}
		}
	case KindObject:
		for _, f := range n.Fields {
			if r, ok := bad(f.Key); ok {
				return forbiddenChar(f.KeyPos, r), true
			}
			if p, ok := CharacterProblem(f.Value); ok {
				return p, true
			}
		}
	}
	return Problem{}, false
}

// SizeProblem is the KMS002 problem of a key policy of size bytes, if it is
// over KMS's limit.
// https://docs.aws.amazon.com/kms/latest/developerguide/resource-limits.html#key-policy-document-size
func SizeProblem(size int, pos Pos) (Problem, bool) {
	if size <= MaxKeyPolicyBytes {
		return Problem{}, false
	}
	return Problem{Rule: RuleTooLarge, Pos: pos, Statement: -1,
		Message: fmt.Sprintf("key policy is %d bytes; KMS allows at most %d", size, MaxKeyPolicyBytes)}, true
}

// Build turns a parsed document into a Policy, collecting every grammar
// violation as a KMS001 Problem rather than stopping at the first, so that
// lint reports them all at once. Problems are sorted by position.
//
// Where a key is duplicated, the first occurrence is the one built; the
// duplicate itself is reported because AWS and other parsers may keep a
// different one.
//
// root and everything under it must be non-nil, as ParseJSON and the loaders
// produce it.
//
// Grammar: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
// and, for key policies, https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html
func Build(root *Node, opts BuildOptions) *Policy {
	b := &builder{opts: opts, p: &Policy{}}
	b.build(root)
	sortProblems(b.p.Problems)
	return b.p
}

func sortProblems(ps []Problem) {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i].Pos, ps[j].Pos
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
}

type builder struct {
	opts BuildOptions
	p    *Policy
	// repeat marks object fields whose key already occurred earlier in the
	// same object; they are reported once and otherwise ignored. Nil (and
	// free) for the usual document without duplicates.
	repeat map[*Field]bool
}

func (b *builder) problem(pos Pos, stmt int, format string, args ...any) {
	b.p.Problems = append(b.p.Problems, Problem{
		Rule: RuleInvalid, Pos: pos, Statement: stmt,
		Message: fmt.Sprintf(format, args...),
	})
}

func (b *builder) build(root *Node) {
	if root == nil {
		b.problem(Pos{}, -1, "empty policy document")
		return
	}
	b.p.Pos = root.Pos
	b.findDuplicates(root, -1, true)
	if root.Kind != KindObject {
		b.problem(root.Pos, -1, "a policy must be a JSON object, got %s", root.Kind)
		return
	}
	var stmts *Node
	for i := range root.Fields {
		f := &root.Fields[i]
		if b.repeat[f] {
			continue
		}
		switch f.Key {
		case "Version":
			if s, ok := b.str(f, -1); ok {
				b.p.Version, b.p.VersionPos, b.p.HasVersion = s, f.Value.Pos, true
				// IAM knows only these two policy language versions and
				// rejects anything else.
				// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_version.html
				if s != "2012-10-17" && s != "2008-10-17" {
					b.problem(f.Value.Pos, -1, `"Version" must be "2012-10-17" (or the obsolete "2008-10-17"), got %q`, s)
				}
			}
		case "Id":
			if s, ok := b.str(f, -1); ok {
				b.p.ID = s
			}
		case "Statement":
			stmts = f.Value
		default:
			b.unknown(f, -1, "top-level element", policyElements)
		}
	}
	if stmts == nil {
		b.problem(root.Pos, -1, `missing required element "Statement"`)
		return
	}
	switch stmts.Kind {
	case KindObject:
		// A single statement may be given without the array.
		if s := b.statement(stmts, 0); s != nil {
			b.p.Statements = append(b.p.Statements, s)
		}
	case KindArray:
		if len(stmts.Items) == 0 {
			b.problem(stmts.Pos, -1, `"Statement" must not be an empty array`)
		}
		for i, it := range stmts.Items {
			if it.Kind != KindObject {
				b.problem(it.Pos, i, "Statement[%d] must be an object, got %s", i, it.Kind)
				continue
			}
			if s := b.statement(it, i); s != nil {
				b.p.Statements = append(b.p.Statements, s)
			}
		}
	default:
		b.problem(stmts.Pos, -1, `"Statement" must be an object or an array of objects, got %s`, stmts.Kind)
	}
}

// findDuplicates reports repeated keys in every object of the tree, at any
// depth. stmt attributes problems under the Statement element to their
// statement; top is true for the document root.
func (b *builder) findDuplicates(n *Node, stmt int, top bool) {
	switch n.Kind {
	case KindArray:
		for _, it := range n.Items {
			if it != nil {
				b.findDuplicates(it, stmt, false)
			}
		}
	case KindObject:
		b.markRepeats(n, stmt)
		for i := range n.Fields {
			f := &n.Fields[i]
			if f.Value == nil {
				continue
			}
			if top && f.Key == "Statement" && !b.repeat[f] {
				switch f.Value.Kind {
				case KindArray:
					for j, it := range f.Value.Items {
						if it != nil {
							b.findDuplicates(it, j, false)
						}
					}
					continue
				case KindObject:
					b.findDuplicates(f.Value, 0, false)
					continue
				}
			}
			b.findDuplicates(f.Value, stmt, false)
		}
	}
}

// markRepeats reports the repeated keys of one object.
func (b *builder) markRepeats(n *Node, stmt int) {
	fs := n.Fields
	report := func(i, first int) {
		if b.repeat == nil {
			b.repeat = make(map[*Field]bool)
		}
		b.repeat[&fs[i]] = true
		b.problem(fs[i].KeyPos, stmt, "duplicate key %q (first at %s); parsers disagree on which one wins",
			fs[i].Key, fs[first].KeyPos)
	}
	if len(fs) <= 16 {
		// Policy objects are small: a quadratic scan beats a map here.
		for i := 1; i < len(fs); i++ {
			for j := 0; j < i; j++ {
				if fs[j].Key == fs[i].Key {
					report(i, j)
					break
				}
			}
		}
		return
	}
	first := make(map[string]int, len(fs))
	for i := range fs {
		if j, ok := first[fs[i].Key]; ok {
			report(i, j)
		} else {
			first[fs[i].Key] = i
		}
	}
}

var (
	policyElements    = []string{"Version", "Id", "Statement"}
	statementElements = []string{"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction",
		"Resource", "NotResource", "Condition"}
	principalTypes = []string{"AWS", "Service", "Federated", "CanonicalUser"}
)

// unknown reports an element that the grammar does not have, suggesting the
// right spelling when only the case differs (elements are case-sensitive).
func (b *builder) unknown(f *Field, stmt int, what string, known []string) {
	for _, k := range known {
		if strings.EqualFold(k, f.Key) {
			b.problem(f.KeyPos, stmt, "unknown %s %q; names are case-sensitive: did you mean %q?", what, f.Key, k)
			return
		}
	}
	b.problem(f.KeyPos, stmt, "unknown %s %q (allowed: %s)", what, f.Key, strings.Join(known, ", "))
}

// str returns the string value of an element that must be a string.
func (b *builder) str(f *Field, stmt int) (string, bool) {
	if f.Value.Kind != KindString {
		b.problem(f.Value.Pos, stmt, "%q must be a string, got %s", f.Key, f.Value.Kind)
		return "", false
	}
	return f.Value.Str, true
}

func (b *builder) statement(n *Node, idx int) *Statement {
	s := &Statement{Index: idx, Pos: n.Pos}
	// Key positions of the elements present, for the exactly-one checks.
	var effect, principal, notPrincipal, action, notAction, resource, notResource *Field
	for i := range n.Fields {
		f := &n.Fields[i]
		if b.repeat[f] {
			continue
		}
		switch f.Key {
		case "Sid":
			if v, ok := b.str(f, idx); ok {
				s.Sid, s.HasSid, s.SidPos = v, true, f.Value.Pos
			}
		case "Effect":
			effect = f
			s.EffectPos = f.Value.Pos
			if v, ok := b.str(f, idx); ok {
				switch v {
				case "Allow":
					s.Effect = Allow
				case "Deny":
					s.Effect = Deny
				default:
					b.problem(f.Value.Pos, idx, `"Effect" must be exactly "Allow" or "Deny" (case-sensitive), got %q`, v)
				}
			}
		case "Principal":
			principal = f
			s.Principal = b.principals(f, idx)
		case "NotPrincipal":
			notPrincipal = f
			s.NotPrincipal = b.principals(f, idx)
		case "Action":
			action = f
			s.Action = b.actions(f, idx)
		case "NotAction":
			notAction = f
			s.NotAction = b.actions(f, idx)
		case "Resource":
			resource = f
			s.Resource = b.stringList(f, idx)
		case "NotResource":
			notResource = f
			s.NotResource = b.stringList(f, idx)
		case "Condition":
			s.ConditionPos = f.Value.Pos
			s.Conditions = b.conditions(f, idx)
		default:
			b.unknown(f, idx, "statement element", statementElements)
		}
	}
	if effect == nil {
		b.problem(n.Pos, idx, `missing required element "Effect"`)
	}
	if b.opts.Identity {
		for _, f := range []*Field{principal, notPrincipal} {
			if f != nil {
				b.problem(f.KeyPos, idx, "%q is not allowed in an identity policy: the principal is the identity the policy is attached to", f.Key)
			}
		}
	} else {
		// https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html#key-policy-elements
		b.exactlyOne(n, idx, principal, notPrincipal, "Principal", "NotPrincipal", "a key policy statement must say whom it applies to")
	}
	if b.opts.Identity {
		b.exactlyOne(n, idx, action, notAction, "Action", "NotAction", "")
		b.exactlyOne(n, idx, resource, notResource, "Resource", "NotResource", "")
		return s
	}
	// KMS accepts a key policy statement without Action or Resource: the
	// statement just has no effect ("the CreateKey and PutKeyPolicy API
	// requests succeed"). So it is no invalid policy; KMS014 reports the
	// statement that can never apply.
	// https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html
	b.atMostOne(idx, action, notAction, "Action", "NotAction")
	b.atMostOne(idx, resource, notResource, "Resource", "NotResource")
	return s
}

// atMostOne reports an element given together with its Not form.
func (b *builder) atMostOne(idx int, a, notA *Field, name, notName string) {
	if a != nil && notA != nil {
		second := notA
		if keyBefore(notA.KeyPos, a.KeyPos) {
			second = a
		}
		b.problem(second.KeyPos, idx, "statement has both %q and %q; use exactly one", name, notName)
	}
}

// exactlyOne is atMostOne for an element a statement must have.
func (b *builder) exactlyOne(n *Node, idx int, a, notA *Field, name, notName, why string) {
	b.atMostOne(idx, a, notA, name, notName)
	if a == nil && notA == nil {
		msg := fmt.Sprintf("missing required element %q (or %q)", name, notName)
		if why != "" {
			msg += "; " + why
		}
		b.problem(n.Pos, idx, "%s", msg)
	}
}

func keyBefore(a, b Pos) bool {
	return a.Line < b.Line || (a.Line == b.Line && a.Col < b.Col)
}

// stringsOf reads an element that takes a string or a non-empty array of
// strings. It returns nil when the element has the wrong type.
func (b *builder) stringsOf(v *Node, name string, idx int) *StringList {
	l := &StringList{At: v.Pos}
	switch v.Kind {
	case KindString:
		l.Values, l.Pos = []string{v.Str}, []Pos{v.Pos}
		return l
	case KindArray:
		if len(v.Items) == 0 {
			b.problem(v.Pos, idx, "%s must not be an empty array", name)
			return l
		}
		l.Values = make([]string, 0, len(v.Items))
		l.Pos = make([]Pos, 0, len(v.Items))
		for _, it := range v.Items {
			if it.Kind != KindString {
				b.problem(it.Pos, idx, "%s must contain only strings, got %s", name, it.Kind)
				continue
			}
			l.Values = append(l.Values, it.Str)
			l.Pos = append(l.Pos, it.Pos)
		}
		return l
	}
	b.problem(v.Pos, idx, "%s must be a string or an array of strings, got %s", name, v.Kind)
	return nil
}

func (b *builder) stringList(f *Field, idx int) *StringList {
	return b.stringsOf(f.Value, strconv.Quote(f.Key), idx)
}

func (b *builder) actions(f *Field, idx int) *StringList {
	l := b.stringsOf(f.Value, strconv.Quote(f.Key), idx)
	if l == nil {
		return nil
	}
	for i, a := range l.Values {
		if !validAction(a) {
			b.problem(l.Pos[i], idx, `invalid action %q in %q: want "*" or "service:Action" such as "kms:Decrypt"`, a, f.Key)
		}
	}
	return l
}

// validAction accepts "*" and service:action, where the action part may
// use the * and ? wildcards.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
func validAction(a string) bool {
	if a == "*" {
		return true
	}
	svc, act, ok := strings.Cut(a, ":")
	if !ok || svc == "" || act == "" {
		return false
	}
	for i := 0; i < len(svc); i++ {
		if c := svc[i]; !isAlnum(c) && c != '-' {
			return false
		}
	}
	for i := 0; i < len(act); i++ {
		if c := act[i]; !isAlnum(c) && c != '-' && c != '*' && c != '?' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func (b *builder) principals(f *Field, idx int) *Principals {
	v := f.Value
	ps := &Principals{At: v.Pos}
	switch v.Kind {
	case KindString:
		if v.Str == "*" {
			ps.Wildcard = true
			return ps
		}
		b.problem(v.Pos, idx, `%q must be "*" or an object such as {"AWS": "arn:aws:iam::111122223333:root"}, got string %q`, f.Key, v.Str)
		return nil
	case KindObject:
	default:
		b.problem(v.Pos, idx, `%q must be "*" or an object such as {"AWS": "arn:aws:iam::111122223333:root"}, got %s`, f.Key, v.Kind)
		return nil
	}
	if len(v.Fields) == 0 {
		b.problem(v.Pos, idx, "%q must name at least one principal", f.Key)
	}
	for i := range v.Fields {
		pf := &v.Fields[i]
		if b.repeat[pf] {
			continue
		}
		typ := PrincipalType(pf.Key)
		var check func(string) string
		switch typ {
		case PrincipalAWS:
			check = checkAWSPrincipal
		case PrincipalService:
			check = checkServicePrincipal
		case PrincipalFederated, PrincipalCanonicalUser:
			check = checkOtherPrincipal
		default:
			b.unknown(pf, idx, "principal type", principalTypes)
			continue
		}
		l := b.stringsOf(pf.Value, strconv.Quote(f.Key)+" "+strconv.Quote(pf.Key), idx)
		if l == nil {
			continue
		}
		for j, val := range l.Values {
			if b.opts.Unresolved != nil && b.opts.Unresolved(val) {
				// Known only at deployment: names nobody kmslint can ask
				// about, but the policy is not invalid for it.
				ps.Entries = append(ps.Entries, PrincipalEntry{Type: typ, Value: val, Pos: l.Pos[j]})
				continue
			}
			if msg := check(val); msg != "" {
				b.problem(l.Pos[j], idx, "%s", msg)
				continue
			}
			if typ == PrincipalAWS && val == "*" {
				ps.Wildcard = true
			}
			ps.Entries = append(ps.Entries, PrincipalEntry{Type: typ, Value: val, Pos: l.Pos[j]})
		}
	}
	return ps
}

// AWS principals admit no partial wildcards: "*" alone, or an exact
// account, user, role or session.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
const wildcardHint = `; principals allow "*" only on its own (match patterns with a condition such as ArnLike on aws:PrincipalArn)`

// Partitions whose ARNs may appear in principals.
var partitions = map[string]bool{
	"aws": true, "aws-cn": true, "aws-us-gov": true, "aws-iso": true, "aws-iso-b": true,
	"aws-iso-e": true, "aws-iso-f": true, "aws-eusc": true,
}

// checkAWSPrincipal returns why v is not a valid "AWS" principal, or "".
func checkAWSPrincipal(v string) string {
	if v == "*" || arn.IsAccountID(v) {
		return ""
	}
	if strings.ContainsAny(v, "*?") {
		return fmt.Sprintf("AWS principal %q contains a wildcard%s", v, wildcardHint)
	}
	if strings.HasPrefix(v, "arn:") {
		return checkPrincipalARN(v)
	}
	if isDigits(v) {
		return fmt.Sprintf("AWS principal %q is not a 12-digit account id", v)
	}
	if isUniqueID(v) {
		// GetKeyPolicy shows a deleted user or role as its unique id; KMS
		// rejects a policy that still names it.
		// https://repost.aws/knowledge-center/kms-policy-error-invalid-principals
		return fmt.Sprintf("AWS principal %q is the unique id of a deleted IAM user or role; KMS rejects it as an invalid principal", v)
	}
	if isDNSName(v) {
		return fmt.Sprintf("AWS principal %q is a service name; service principals go under \"Service\"", v)
	}
	return fmt.Sprintf(`invalid AWS principal %q: want "*", a 12-digit account id, or an IAM root, user, role, or assumed-role ARN`, v)
}

// isUniqueID matches IAM unique ids of users (AIDA...) and roles (AROA...).
func isUniqueID(s string) bool {
	if len(s) != 21 || (!strings.HasPrefix(s, "AIDA") && !strings.HasPrefix(s, "AROA")) {
		return false
	}
	for i := 4; i < len(s); i++ {
		if c := s[i]; !('A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

func checkPrincipalARN(v string) string {
	a, isARN := arn.Parse(v)
	if !isARN {
		return fmt.Sprintf("AWS principal %q is not a complete ARN (arn:partition:service:region:account:resource)", v)
	}
	partition, service, region, account, res := a.Partition, a.Service, a.Region, a.AccountID, a.Resource
	if !partitions[partition] {
		return fmt.Sprintf("AWS principal %q has unknown partition %q", v, partition)
	}
	if service != "iam" && service != "sts" {
		return fmt.Sprintf("AWS principal %q is a %q ARN; principals are IAM (root, user, role) or STS (assumed-role) ARNs", v, service)
	}
	if region != "" {
		return fmt.Sprintf("AWS principal %q has region %q; IAM and STS ARNs have none", v, region)
	}
	if !arn.IsAccountID(account) {
		return fmt.Sprintf("AWS principal %q has account %q, want 12 digits", v, account)
	}
	kind, rest, _ := strings.Cut(res, "/")
	ok := false
	switch {
	case service == "iam" && res == "root":
		ok = true
	case service == "iam" && (kind == "user" || kind == "role"):
		// Optional path, then the name: role/path/to/Name.
		ok = validIAMPath(rest)
	case kind == "federated-user":
		ok = validIAMName(rest)
	case service == "sts" && kind == "assumed-role":
		role, session, found := strings.Cut(rest, "/")
		ok = found && validIAMName(role) && validIAMName(session)
	}
	if !ok {
		return fmt.Sprintf("AWS principal %q has invalid resource %q: want root, user/NAME, role/NAME, federated-user/NAME or (sts) assumed-role/ROLE/SESSION", v, res)
	}
	return ""
}

// validIAMName checks the character set IAM allows in user, role and session
// names: alphanumerics and +=,.@_-.
func validIAMName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isAlnum(c) && !strings.ContainsRune("+=,.@_-", rune(c)) {
			return false
		}
	}
	return true
}

// validIAMPath checks path/Name, where every path segment is non-empty.
func validIAMPath(s string) bool {
	for _, seg := range strings.Split(s, "/") {
		if !validIAMName(seg) {
			return false
		}
	}
	return true
}

// isDNSName reports whether s looks like a host name: two or more dot
// separated labels of letters, digits and hyphens.
func isDNSName(s string) bool {
	labels := strings.Split(s, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" {
			return false
		}
		for i := 0; i < len(l); i++ {
			if c := l[i]; !isAlnum(c) && c != '-' {
				return false
			}
		}
	}
	return true
}

func checkServicePrincipal(v string) string {
	if v == "*" {
		return `"*" is not a service principal; everyone is "Principal": "*" or {"AWS": "*"}`
	}
	if strings.ContainsAny(v, "*?") {
		return fmt.Sprintf("service principal %q contains a wildcard; service principals must be named exactly", v)
	}
	if !isDNSName(v) {
		return fmt.Sprintf("invalid service principal %q: want a service name such as bedrock-agentcore.amazonaws.com", v)
	}
	return ""
}

// checkOtherPrincipal covers Federated and CanonicalUser, whose forms vary
// by provider; only emptiness and wildcards are certain errors.
func checkOtherPrincipal(v string) string {
	if v == "" {
		return "empty principal"
	}
	if strings.ContainsAny(v, "*?") {
		return fmt.Sprintf("principal %q contains a wildcard%s", v, wildcardHint)
	}
	return ""
}

// conditions reads a Condition block: operator -> key -> value(s). Operator
// and key names are a lint concern (KMS007); only the structure is checked.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html
func (b *builder) conditions(f *Field, idx int) []Condition {
	v := f.Value
	if v.Kind != KindObject {
		b.problem(v.Pos, idx, `"Condition" must be an object of condition operators, got %s`, v.Kind)
		return nil
	}
	var out []Condition
	for i := range v.Fields {
		op := &v.Fields[i]
		if b.repeat[op] {
			continue
		}
		if op.Value.Kind != KindObject {
			b.problem(op.Value.Pos, idx, "condition operator %q must map to an object of condition keys, got %s", op.Key, op.Value.Kind)
			continue
		}
		for j := range op.Value.Fields {
			k := &op.Value.Fields[j]
			if b.repeat[k] {
				continue
			}
			c := Condition{Operator: op.Key, OperatorPos: op.KeyPos, Key: k.Key, KeyPos: k.KeyPos}
			switch val := k.Value; val.Kind {
			case KindArray:
				if len(val.Items) == 0 {
					b.problem(val.Pos, idx, "condition key %q under %q has an empty array of values", k.Key, op.Key)
				}
				for _, it := range val.Items {
					b.conditionValue(&c, it, idx)
				}
			default:
				b.conditionValue(&c, val, idx)
			}
			out = append(out, c)
		}
	}
	return out
}

func (b *builder) conditionValue(c *Condition, v *Node, idx int) {
	var s string
	switch v.Kind {
	case KindString, KindNumber:
		s = v.Str
	case KindBool:
		s = strconv.FormatBool(v.Bool)
	default:
		b.problem(v.Pos, idx, "condition value for %q under %q must be a string, number or boolean, got %s", c.Key, c.Operator, v.Kind)
		return
	}
	c.Values = append(c.Values, s)
	c.ValuePos = append(c.ValuePos, v.Pos)
	c.Kinds = append(c.Kinds, v.Kind)
}
