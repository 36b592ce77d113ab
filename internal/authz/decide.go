package authz

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/kmslint/kmslint/internal/arn"
	"github.com/kmslint/kmslint/internal/policy"
)

// Decision is the outcome of an authorization.
type Decision uint8

const (
	ImplicitDeny Decision = iota
	Allow
	ExplicitDeny
)

func (d Decision) String() string {
	switch d {
	case Allow:
		return "Allow"
	case ExplicitDeny:
		return "ExplicitDeny"
	}
	return "ImplicitDeny"
}

// MarshalText makes Decision a JSON string.
func (d Decision) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// Request is one KMS request to authorize.
type Request struct {
	Principal Principal
	// Action such as "kms:Decrypt"; matched case-insensitively.
	Action string
	// Resource is the key ARN. Its account decides whether the principal is
	// in the key's account (KMS lets a key policy grant same-account
	// principals directly; other accounts also need their own IAM policy).
	Resource string
	Context  *Context
}

// Mismatch names the element that kept a statement from applying.
type Mismatch uint8

const (
	Applies Mismatch = iota
	PrincipalMismatch
	ActionMismatch
	ResourceMismatch
	ConditionMismatch
)

func (m Mismatch) String() string {
	return [...]string{"", "principal", "action", "resource", "condition"}[m]
}

// StatementResult says what one statement did for a request.
type StatementResult struct {
	Policy string `json:"policy,omitempty"` // "" for the key policy, else the identity policy's name
	Sid    string `json:"sid"`
	Index  int    `json:"index"`
	Effect string `json:"effect"`
	// Matched: principal, action, resource and every condition apply.
	Matched bool `json:"matched"`
	// Decisive: this statement is one of those that decided the outcome.
	Decisive bool `json:"decisive,omitempty"`
	// Via is "account" when the statement matched through the account
	// principal (root delegation: IAM policies decide).
	Via    string   `json:"via,omitempty"`
	Reason string   `json:"reason"`
	Failed Mismatch `json:"-"`
	// Condition is the index (in the statement's Conditions) of the first
	// condition that failed, or -1.
	Condition int `json:"-"`
}

// Result is a decision with its explanation.
type Result struct {
	Decision   Decision          `json:"decision"`
	Statements []StatementResult `json:"statements"`
	// Summary is one sentence on why.
	Summary string `json:"summary"`
}

// Deciding returns the labels (Sid or Statement[i]) of the decisive statements.
func (r *Result) Deciding() []string {
	var out []string
	for _, s := range r.Statements {
		if s.Decisive {
			out = append(out, s.label())
		}
	}
	return out
}

// Label names the statement: its Sid or Statement[i], after the identity
// policy's name for an identity-policy statement.
func (s StatementResult) Label() string { return s.label() }

func (s StatementResult) label() string {
	l := s.Sid
	if l == "" {
		l = fmt.Sprintf("Statement[%d]", s.Index)
	}
	if s.Policy != "" {
		return s.Policy + ":" + l
	}
	return l
}

// Engine decides requests against one key policy and, optionally, the
// principal's IAM identity policies. It is immutable and safe for
// concurrent use.
type Engine struct {
	Key      *Policy
	Identity []*Policy
	// KeyAccount is used when a request's Resource is not an ARN.
	KeyAccount string
	// Relevant leaves out of Decide's Statements the key-policy statements
	// whose Principal does not name the request's principal (their reason
	// is only "does not name it"), so an explained decision costs what the
	// statements about the principal cost, not the whole policy.
	Relevant bool
}

// Decide authorizes req.
//
// KMS evaluation (https://docs.aws.amazon.com/kms/latest/developerguide/determining-access.html,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html):
//  1. An explicit Deny in the key policy or an identity policy wins. A Deny
//     naming an account applies to every principal of that account.
//  2. The key policy must allow, either directly (naming the principal,
//     its role, "*", or a service) or through the account principal
//     (root delegation), in which case an identity policy must allow too.
//  3. A principal of another account also needs an identity policy from
//     its own account, however the key policy grants it.
//  4. Service principals and anonymous callers have no identity policies:
//     only a direct key-policy grant counts.
func (e *Engine) Decide(req *Request) Result {
	return e.decide(req, true)
}

// Allowed is Decide without explanations, for hot paths (the fake KMS
// explains only denials).
func (e *Engine) Allowed(req *Request) Decision {
	return e.decide(req, false).Decision
}

func (e *Engine) decide(req *Request, explain bool) Result {
	action := strings.ToLower(req.Action)
	keyAccount := e.KeyAccount
	if a, ok := arn.Parse(req.Resource); ok && a.AccountID != "" {
		keyAccount = a.AccountID
	}
	p := &req.Principal
	var res Result
	if explain {
		n := 0
		if e.Key != nil && !e.Relevant {
			n = len(e.Key.stmts)
		}
		for _, id := range e.Identity {
			n += len(id.stmts)
		}
		res.Statements = make([]StatementResult, 0, n)
	}

	var (
		keyDeny, idDeny           bool
		directAllow, accountAllow bool
		idAllow                   bool
	)
	// Index ranges of the results, to mark decisive ones afterwards.
	type hit struct {
		i    int
		kind uint8 // 1 deny, 2 direct allow, 3 account allow, 4 identity allow
	}
	var hitBuf [8]hit
	hits := hitBuf[:0]

	if e.Key != nil {
		key := func(cs *compiledStatement) {
			m, sr := cs.evaluate(p, action, req.Action, req.Resource, req.Context, false, explain)
			if m != noMatch {
				switch {
				case !cs.allow:
					keyDeny = true
					hits = append(hits, hit{len(res.Statements), 1})
				case m == directMatch:
					directAllow = true
					hits = append(hits, hit{len(res.Statements), 2})
				default:
					accountAllow = true
					hits = append(hits, hit{len(res.Statements), 3})
				}
			}
			if explain && (!e.Relevant || sr.Failed != PrincipalMismatch) {
				res.Statements = append(res.Statements, sr)
			}
		}
		// Statements that cannot name the principal change nothing; they
		// are skipped unless the explanation must list them.
		if cands, ok := e.Key.candidates(p); ok && (!explain || e.Relevant) {
			for _, i := range cands {
				key(&e.Key.stmts[i])
			}
		} else {
			for i := range e.Key.stmts {
				key(&e.Key.stmts[i])
			}
		}
	}
	identityApplies := p.Kind != ServicePrincipal && p.Kind != Anonymous && p.Kind != AccountRoot
	if identityApplies {
		for _, id := range e.Identity {
			for i := range id.stmts {
				cs := &id.stmts[i]
				m, sr := cs.evaluate(p, action, req.Action, req.Resource, req.Context, true, explain)
				if m != noMatch {
					if cs.allow {
						idAllow = true
						hits = append(hits, hit{len(res.Statements), 4})
					} else {
						idDeny = true
						hits = append(hits, hit{len(res.Statements), 1})
					}
				}
				if explain {
					sr.Policy = id.Name
					res.Statements = append(res.Statements, sr)
				}
			}
		}
	}

	sameAccount := p.Account != "" && p.Account == keyAccount
	var decisive uint8 // which hit kinds decided
	res.Decision, decisive = verdict(p, sameAccount, keyDeny || idDeny, directAllow, accountAllow, idAllow)
	if !explain {
		return res
	}
	for _, h := range hits {
		if decisive&(1<<h.kind) != 0 {
			res.Statements[h.i].Decisive = true
		}
	}
	res.Summary = e.summary(res.Decision, p, req.Action, sameAccount, directAllow, accountAllow, idAllow, keyDeny)
	return res
}

// verdict combines what the statements said into the decision, and which
// kinds of hit decided it (bit 1 deny, 2 direct allow, 3 account allow, 4
// identity allow). See Decide for the rules.
func verdict(p *Principal, sameAccount, deny, directAllow, accountAllow, idAllow bool) (Decision, uint8) {
	switch {
	case deny:
		return ExplicitDeny, 1 << 1
	case p.Kind == ServicePrincipal || p.Kind == Anonymous || p.Kind == AccountRoot && sameAccount:
		if directAllow {
			return Allow, 1 << 2
		}
	case sameAccount:
		switch {
		case directAllow:
			return Allow, 1 << 2
		case accountAllow && idAllow:
			return Allow, 1<<3 | 1<<4
		}
	default: // another account: key policy and its own IAM policy
		if (directAllow || accountAllow) && (idAllow || p.Kind == AccountRoot) {
			if p.Kind == AccountRoot {
				return Allow, 1<<2 | 1<<3
			}
			return Allow, 1<<2 | 1<<3 | 1<<4
		}
	}
	return ImplicitDeny, 0
}

// AllowedActions returns the actions of acts (in their order) that Allowed
// would allow for req with its Action replaced by each of them. Principal,
// resource and conditions do not depend on the action, so each statement's
// match on them is worked out once rather than once per action: a statement
// naming hundreds of principals is scanned once, not once per KMS action.
func (e *Engine) AllowedActions(req *Request, acts []string) []string {
	keyAccount := e.KeyAccount
	if a, ok := arn.Parse(req.Resource); ok && a.AccountID != "" {
		keyAccount = a.AccountID
	}
	p := &req.Principal
	type applicable struct {
		cs       *compiledStatement
		m        principalMatch
		identity bool
	}
	var buf [16]applicable
	apply := buf[:0]
	// keep adds cs when everything but its action matches.
	keep := func(cs *compiledStatement, identity bool) {
		pm := directMatch
		if !identity && !cs.anyPrincipal {
			if pm = cs.matchPrincipal(p); pm == noMatch {
				return
			}
		}
		if !cs.matchResource(req.Resource, req.Context) {
			return
		}
		for i := range cs.conds {
			if !cs.conds[i].eval(req.Context).ok {
				return
			}
		}
		apply = append(apply, applicable{cs, pm, identity})
	}
	if e.Key != nil {
		if cands, ok := e.Key.candidates(p); ok {
			for _, i := range cands {
				keep(&e.Key.stmts[i], false)
			}
		} else {
			for i := range e.Key.stmts {
				keep(&e.Key.stmts[i], false)
			}
		}
	}
	if p.Kind != ServicePrincipal && p.Kind != Anonymous && p.Kind != AccountRoot {
		for _, id := range e.Identity {
			for i := range id.stmts {
				keep(&id.stmts[i], true)
			}
		}
	}
	sameAccount := p.Account != "" && p.Account == keyAccount
	var out []string
	for _, a := range acts {
		action := strings.ToLower(a)
		var deny, directAllow, accountAllow, idAllow bool
		for _, ap := range apply {
			if !ap.cs.matchAction(action) {
				continue
			}
			switch {
			case !ap.cs.allow:
				deny = true
			case ap.identity:
				idAllow = true
			case ap.m == directMatch:
				directAllow = true
			default:
				accountAllow = true
			}
		}
		if d, _ := verdict(p, sameAccount, deny, directAllow, accountAllow, idAllow); d == Allow {
			out = append(out, a)
		}
	}
	return out
}

func (e *Engine) summary(d Decision, p *Principal, action string, same, direct, account, id, keyDeny bool) string {
	who := p.String()
	switch d {
	case ExplicitDeny:
		if keyDeny {
			return "an explicit Deny in the key policy denies " + who + " " + action
		}
		return "an explicit Deny in an IAM policy denies " + who + " " + action
	case Allow:
		switch {
		case !same && p.Account != "":
			return "the key policy allows " + who + " (another account) " + action + ", and its IAM policy does too"
		case direct:
			return "the key policy allows " + who + " " + action
		default:
			return "the key policy delegates to IAM through the account principal, and an IAM policy allows " + who + " " + action
		}
	}
	switch {
	case p.Kind == ServicePrincipal:
		return "no key policy statement allows " + who + " " + action + " (service principals get access only from the key policy)"
	case !same && p.Account != "" && (direct || account) && !id:
		return "the key policy allows " + who + " " + action + ", but it is in another account and no IAM policy of its own allows it"
	case account && !id:
		return "the key policy delegates " + action + " to IAM through the account principal, but no IAM policy allows " + who
	}
	return "no key policy statement allows " + who + " " + action
}

// evaluate matches one statement. action is lower-cased for matching;
// rawAction is the caller's spelling, for reasons. identity=true skips
// principal matching (identity policies apply to their principal).
func (cs *compiledStatement) evaluate(p *Principal, action, rawAction, resource string, ctx *Context, identity, explain bool) (principalMatch, StatementResult) {
	var sr StatementResult
	if explain {
		sr = StatementResult{Sid: cs.src.Sid, Index: cs.src.Index, Effect: cs.src.Effect.String(), Condition: -1}
	}
	pm := directMatch
	if !identity && !cs.anyPrincipal {
		pm = cs.matchPrincipal(p)
		if pm == noMatch {
			if explain {
				sr.Failed = PrincipalMismatch
				sr.Reason = cs.principalReason(p)
			}
			return noMatch, sr
		}
	}
	if !cs.matchAction(action) {
		if explain {
			sr.Failed = ActionMismatch
			sr.Reason = cs.actionReason(rawAction)
		}
		return noMatch, sr
	}
	if !cs.matchResource(resource, ctx) {
		if explain {
			sr.Failed = ResourceMismatch
			el := " is not covered by Resource "
			if cs.notResource {
				el = " is excluded by NotResource "
			}
			sr.Reason = "resource " + resource + el + cs.resourceText
		}
		return noMatch, sr
	}
	for i := range cs.conds {
		o := cs.conds[i].eval(ctx)
		if !o.ok {
			if explain {
				sr.Failed = ConditionMismatch
				sr.Condition = i
				sr.Reason = cs.conds[i].describe(o)
			}
			return noMatch, sr
		}
	}
	if explain {
		sr.Matched = true
		if pm == accountMatch {
			sr.Via = "account"
		}
		sr.Reason = cs.matchReason(pm, p)
	}
	return pm, sr
}

func (cs *compiledStatement) matchPrincipal(p *Principal) principalMatch {
	if cs.notPrincipal {
		if cs.excepts(p) {
			return noMatch
		}
		return directMatch
	}
	best := noMatch
	for i := range cs.principals {
		m := cs.principals[i].match(p)
		if m == directMatch {
			best = directMatch
			break
		}
		if m == accountMatch {
			best = accountMatch
		}
	}
	if best == accountMatch && !cs.allow {
		// A Deny that names an account denies every principal of it.
		return directMatch
	}
	return best
}

// excepts reports whether a NotPrincipal element names p. AWS may check the
// request's account first, then its role, then the principal itself against
// the exceptions, so p is excepted only when each of those is named: a
// role's sessions are not excepted by the role's ARN (sessions are named one
// by one, with no wildcard), nor an account's users and roles by the account
// ("all principals except the user named Bob in account 444455556666" for
// NotPrincipal [Bob, arn:aws:iam::444455556666:root]).
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
func (cs *compiledStatement) excepts(p *Principal) bool {
	named := func(f func(cp *compiledPrincipal) bool) bool {
		for i := range cs.principals {
			if cs.principals[i].wildcard || f(&cs.principals[i]) {
				return true
			}
		}
		return false
	}
	account := func(cp *compiledPrincipal) bool { return cp.namesAccountOf(p) }
	role := func(cp *compiledPrincipal) bool { return cp.namesRoleOf(p) }
	self := func(cp *compiledPrincipal) bool {
		switch p.Kind {
		case ServicePrincipal:
			return cp.typ == policy.PrincipalService && cp.value == p.ARN
		case WebIdentity:
			return cp.typ == policy.PrincipalFederated && cp.value == p.ARN
		case CanonicalUser:
			return cp.typ == policy.PrincipalCanonicalUser && cp.value == p.ARN
		}
		return cp.typ == policy.PrincipalAWS && cp.value == p.ARN
	}
	switch p.Kind {
	case Anonymous:
		return named(func(*compiledPrincipal) bool { return false })
	case AccountRoot:
		return named(account)
	case AssumedRole:
		return named(account) && named(role) && named(self)
	case ServicePrincipal, WebIdentity, CanonicalUser:
		return named(self)
	}
	return named(account) && named(self)
}

func (cs *compiledStatement) matchAction(action string) bool {
	any := false
	for i := range cs.actions {
		if m, _ := cs.actions[i].match(action, nil); m {
			any = true
			break
		}
	}
	return any != cs.notAction
}

func (cs *compiledStatement) matchResource(resource string, ctx *Context) bool {
	any := false
	for i := range cs.resources {
		r := &cs.resources[i]
		if r.star {
			any = true
			break
		}
		if r.arn.valid {
			if m, ok := r.arn.match(resource, ctx); ok && m {
				any = true
				break
			}
			continue
		}
		if m, ok := r.pat.match(resource, ctx); ok && m {
			any = true
			break
		}
	}
	return any != cs.notResource
}

func (cs *compiledStatement) principalReason(p *Principal) string {
	if cs.notPrincipal {
		return "principal " + p.String() + " is excluded by NotPrincipal " + cs.principalText
	}
	hint := ""
	if p.Kind == ServicePrincipal {
		hint = ` (a service principal matches only a "Service" entry or "*")`
	}
	return "principal " + p.String() + " is not Principal " + cs.principalText + hint
}

func (cs *compiledStatement) actionReason(action string) string {
	if cs.notAction {
		return "action " + action + " is excluded by NotAction " + cs.actionText
	}
	return "action " + action + " is not in Action " + cs.actionText
}

func (cs *compiledStatement) matchReason(pm principalMatch, p *Principal) string {
	n := len(cs.conds)
	conds := "no conditions"
	switch n {
	case 0:
	case 1:
		conds = "its condition holds"
	default:
		conds = "all " + strconv.Itoa(n) + " conditions hold"
	}
	if pm == accountMatch {
		return fmt.Sprintf("applies through the account principal (root delegation): IAM policies must also allow %s; %s", p, conds)
	}
	if n == 0 {
		return "principal, action and resource match; no conditions"
	}
	return "principal, action and resource match; " + conds
}

// principalList renders a Principal element compactly, e.g.
// {"AWS": "arn:aws:iam::111122223333:role/R", "Service": "x.amazonaws.com"}.
func principalList(pr *policy.Principals) string {
	if pr == nil {
		return "(none)"
	}
	if pr.Wildcard && len(pr.Entries) == 0 {
		return `"*"`
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, e := range pr.Entries {
		if i == maxListedPrincipals {
			// A reason names the statement's principals so a reader can see
			// why the request's principal is not among them; hundreds of
			// ARNs would bury that (and cost a copy per explained decision).
			fmt.Fprintf(&b, ", ... (%d more)", len(pr.Entries)-i)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q: %q", string(e.Type), e.Value)
	}
	b.WriteByte('}')
	return b.String()
}

// maxListedPrincipals is how many entries of a Principal element a reason
// lists before it summarises the rest.
const maxListedPrincipals = 10
