// Package prove decides regions of requests where internal/authz decides
// one: "is any request of this region allowed by this key policy?" It
// answers proved (none is), a counterexample (a concrete request that authz
// allows, replayed through authz before it is returned, and minimal), or
// unknown with a reason, never "proved" when unsure.
//
// Method: every unknown of a request (the principal's kind, account and
// names, the action, the way of calling, each condition key's presence and
// value) is a variable with a finite domain of classes, cut from the
// constants of the policies and the region so that requests in one class
// are treated alike by every statement: string patterns become automata
// and a product construction gives one class (with a shortest witness) per
// reachable combination of patterns matched; ARN patterns are matched per
// component; numbers, dates and addresses split at the policy's values;
// multivalued keys take sets of classes (ForAnyValue exists, ForAllValues
// for all, true on an absent key). Keys AWS sets together follow
// internal/world. The policy becomes a formula over these variables,
// searched depth first, one allow statement at a time, pruning wherever
// the formula is already false. A construct the prover does not model
// exactly (a policy variable whose key has a value, a key compared in two
// families) leaves its conditions undecided: the search then only trusts
// requests it replays, and answers unknown when none is allowed.
package prove

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/kmslint/kmslint/internal/authz"
	"github.com/kmslint/kmslint/internal/policy"
	"github.com/kmslint/kmslint/internal/world"
)

// Identity is what the prover assumes about principals' IAM policies,
// which decide a key policy's root delegation and another account's
// access.
type Identity struct {
	// Default are the IAM policies of every principal not in Named; nil:
	// none (root delegation alone then allows nothing).
	Default []*authz.Policy
	// Named are the IAM policies of particular principals, by the ARN they
	// are attached to: an IAM user's ARN, or a role's ARN (path included)
	// for its sessions.
	Named map[string][]*authz.Policy
}

// AllowAll is IAM Access Analyzer's assumption: every principal's IAM
// policy allows everything, so the key policy alone decides.
func AllowAll() Identity { return Identity{Default: []*authz.Policy{allowAllPolicy}} }

// policiesFor are the IAM policies of p under the assumption.
func (id Identity) policiesFor(p authz.Principal) []*authz.Policy {
	if n, ok := id.Named[world.PrincipalArn(p)]; ok && (p.Kind == authz.IAMUser || p.Kind == authz.AssumedRole) {
		return n
	}
	return id.Default
}

// Subject is a key policy under an identity assumption.
type Subject struct {
	Key      *authz.Policy
	Identity Identity
}

func (sub Subject) engine(p authz.Principal) *authz.Engine {
	return &authz.Engine{Key: sub.Key, Identity: sub.Identity.policiesFor(p)}
}

// Verdict is the prover's answer.
type Verdict uint8

const (
	// Proved: no request of the region is allowed.
	Proved Verdict = iota
	// Violated: Result.Request is a request of the region that is allowed.
	Violated
	// Unknown: neither could be established; Result.Reason says why.
	Unknown
)

func (v Verdict) String() string {
	return [...]string{"proved", "violated", "unknown"}[v]
}

// MarshalText makes Verdict a JSON string.
func (v Verdict) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// Result is an answer.
type Result struct {
	Verdict Verdict
	// The counterexample (Violated): the request, what it was built from,
	// and the engine's decision on it.
	Call     *world.Call
	Request  *authz.Request
	Decision *authz.Result
	// Statement is the key policy statement (index) the counterexample is
	// allowed through; -1 when not known.
	Statement int
	// Cube, when known, is the region of requests the counterexample stands
	// for: every request that meets these constraints (whatever else it
	// carries) is allowed too. Find leaves it out; FindAll fills it.
	Cube []Constraint
	cube []cubePart
	// Reason says why the answer is Unknown.
	Reason string
	// Nodes is the number of search nodes visited.
	Nodes int
}

// Options tune a search.
type Options struct {
	// MaxNodes bounds the search (0: 200000); past it the answer is
	// Unknown.
	MaxNodes int
}

// Prover answers questions about the requests on one key. It keeps what
// it compiled (statements, domains split into classes) between questions,
// so the many proofs of one policy share the work; it is not safe for
// concurrent use.
type Prover struct {
	s    *space
	subs map[string]*compiled
	// stmts caches compiled key-policy statements.
	stmts map[*policy.Statement]stmt
}

// New makes a prover for the requests on the key keyARN.
func New(keyARN string) (*Prover, error) {
	if world.Partition(keyARN) == "" || world.Account(keyARN) == "" {
		return nil, fmt.Errorf("prove: %q is not a key ARN", keyARN)
	}
	return &Prover{s: newSpace(keyARN), subs: map[string]*compiled{}, stmts: map[*policy.Statement]stmt{}}, nil
}

// Find answers whether sub allows any request of r.
func Find(sub Subject, r Region, opts Options) (Result, error) {
	p, err := New(r.Resource)
	if err != nil {
		return Result{}, err
	}
	return p.Find(sub, r, opts)
}

// FindEach is Prover.FindEach on a new prover.
func FindEach(sub Subject, r Region, opts Options) ([]Result, error) {
	p, err := New(r.Resource)
	if err != nil {
		return nil, err
	}
	return p.FindEach(sub, r, opts)
}

// FindAdded is Prover.FindAdded on a new prover.
func FindAdded(oldSub, newSub Subject, r Region, opts Options) (Result, error) {
	p, err := New(r.Resource)
	if err != nil {
		return Result{}, err
	}
	return p.FindAdded(oldSub, newSub, r, opts)
}

// Find answers whether sub allows any request of r.
func (p *Prover) Find(sub Subject, r Region, opts Options) (Result, error) {
	q, err := p.query(r, opts, sub)
	if err != nil {
		return Result{}, err
	}
	ns := p.compile(sub)
	return q.run(ns.through, exprTrue, ns, nil, -1), nil
}

// FindEach answers Find once per allow statement of sub's key policy:
// a counterexample for each statement some request of r is allowed through
// (or Unknown), in statement order. Statements through which nothing is
// allowed are left out; a Proved result with Statement -1 means nothing
// at all is.
func (p *Prover) FindEach(sub Subject, r Region, opts Options) ([]Result, error) {
	q, err := p.query(r, opts, sub)
	if err != nil {
		return nil, err
	}
	ns := p.compile(sub)
	var out []Result
	for i, st := range ns.key {
		if !st.allow {
			continue
		}
		if res := q.run(ns.through, exprTrue, ns, nil, i); res.Verdict != Proved {
			out = append(out, res)
		}
	}
	if len(out) == 0 {
		out = append(out, Result{Verdict: Proved, Statement: -1})
	}
	return out, nil
}

// FindAdded answers whether newSub allows a request of r that oldSub does
// not (access the change adds); swap them for access it removes.
func (p *Prover) FindAdded(oldSub, newSub Subject, r Region, opts Options) (Result, error) {
	q, err := p.query(r, opts, oldSub, newSub)
	if err != nil {
		return Result{}, err
	}
	os, ns := p.compile(oldSub), p.compile(newSub)
	return q.run(ns.through, not(os.allowed), ns, os, -1), nil
}

// FindAll finds up to limit counterexamples of r allowed by sub, each
// standing for a region of allowed requests (Result.Cube), the regions
// merged where they differ in one constraint only: "which principals can
// do what", the way IAM Access Analyzer's findings read. A single Proved
// (or Unknown) result means none was found.
func (p *Prover) FindAll(sub Subject, r Region, limit int, opts Options) ([]Result, error) {
	q, err := p.query(r, opts, sub)
	if err != nil {
		return nil, err
	}
	ns := p.compile(sub)
	return q.runAll(ns.through, exprTrue, ns, nil, limit), nil
}

// FindAllAdded is FindAll for the access newSub adds to oldSub: the
// pull-request check ("this change lets account X decrypt").
func (p *Prover) FindAllAdded(oldSub, newSub Subject, r Region, limit int, opts Options) ([]Result, error) {
	q, err := p.query(r, opts, oldSub, newSub)
	if err != nil {
		return nil, err
	}
	os, ns := p.compile(oldSub), p.compile(newSub)
	return q.runAll(ns.through, not(os.allowed), ns, os, limit), nil
}

func (q *query) runAll(through []expr, extra expr, ns, os *compiled, limit int) []Result {
	if limit < 1 {
		limit = 1
	}
	res, x := q.search(through, extra, ns, os, -1, limit)
	if len(x.results) == 0 {
		return []Result{res}
	}
	return q.s.mergeCubes(x.results)
}

// query is one question: the region's formula and its concrete check.
type query struct {
	s      *space
	r      Region
	rc     *regionCheck
	region expr
	opts   Options
}

func (p *Prover) query(r Region, opts Options, subs ...Subject) (*query, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	s := p.s
	if r.Resource != s.keyARN {
		return nil, fmt.Errorf("prove: region on %s, prover on %s", r.Resource, s.keyARN)
	}
	for _, sub := range subs {
		if sub.Key == nil {
			return nil, errors.New("prove: no key policy")
		}
	}
	if opts.MaxNodes == 0 {
		opts.MaxNodes = 200000
	}
	rc, err := newRegionCheck(r)
	if err != nil {
		return nil, fmt.Errorf("region: %w", err)
	}
	rs := r.statement()
	s.scanStatement(rs)
	for _, sub := range subs {
		if _, ok := p.subs[sub.id()]; ok {
			continue
		}
		for _, st := range sub.Key.Source.Statements {
			s.scanStatement(st)
		}
		for _, ip := range sub.Identity.all() {
			for _, st := range ip.Source.Statements {
				s.scanStatement(st)
			}
		}
	}
	s.setQuestion(r)
	q := &query{s: s, r: r, rc: rc, opts: opts}
	reg := s.statement(rs, nil)
	via := make([]expr, len(s.kinds))
	for i, k := range s.kinds {
		switch {
		case r.Via == "fas" && !world.IAM(k):
			via[i] = exprFalse // only IAM principals call through a service
		case r.Via == "fas":
			via[i] = eqExpr(s.vVia, 1)
		case r.Via == "direct" && world.IAM(k):
			via[i] = eqExpr(s.vVia, 0)
		default:
			via[i] = exprTrue
		}
	}
	q.region = and(switchExpr(s.vKind, via), or(reg.direct, reg.account), reg.body)
	for _, sub := range subs {
		p.compile(sub)
	}
	return q, nil
}

// id keys a subject's compiled formulas: the policies' identities.
func (sub Subject) id() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%p|", sub.Key)
	for _, d := range sub.Identity.Default {
		fmt.Fprintf(&sb, "%p,", d)
	}
	var names []string
	for n := range sub.Identity.Named {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		sb.WriteString("|" + n)
		for _, d := range sub.Identity.Named[n] {
			fmt.Fprintf(&sb, ",%p", d)
		}
	}
	return sb.String()
}

func (id Identity) all() []*authz.Policy {
	out := append([]*authz.Policy(nil), id.Default...)
	for _, ps := range id.Named {
		out = append(out, ps...)
	}
	return out
}

// compiled is a subject as formulas.
type compiled struct {
	sub     Subject
	key     []stmt
	ids     []stmt
	allowed expr
	through []expr
}

func (p *Prover) compile(sub Subject) *compiled {
	if c, ok := p.subs[sub.id()]; ok {
		return c
	}
	s := p.s
	c := &compiled{sub: sub}
	p.subs[sub.id()] = c
	for _, st := range sub.Key.Source.Statements {
		cs, ok := p.stmts[st]
		if !ok {
			cs = s.statement(st, nil)
			p.stmts[st] = cs
		}
		c.key = append(c.key, cs)
	}
	// Whose IAM policies: the named principals, and everyone else that has
	// IAM policies (users, sessions, federated users).
	applies := make([]expr, len(s.kinds))
	for i, k := range s.kinds {
		applies[i] = triExpr(k == authz.IAMUser || k == authz.AssumedRole || k == authz.FederatedUser)
	}
	identityApplies := switchExpr(s.vKind, applies)
	var named []expr
	for arn, ps := range sub.Identity.Named {
		owner := s.owns(arn)
		named = append(named, owner)
		for _, ip := range ps {
			for _, st := range ip.Source.Statements {
				c.ids = append(c.ids, s.statement(st, owner))
			}
		}
	}
	def := and(identityApplies, not(or(named...)))
	for _, ip := range sub.Identity.Default {
		for _, st := range ip.Source.Statements {
			c.ids = append(c.ids, s.statement(st, def))
		}
	}
	c.allowed, c.through = s.verdict(c)
	return c
}

func triExpr(b bool) expr { return constExpr(triOf(b)) }

// owns: the principal is the IAM user, or a session of the role, with this ARN.
func (s *space) owns(arn string) expr {
	per := make([]expr, len(s.kinds))
	for i, k := range s.kinds {
		per[i] = exprFalse
		if k == authz.IAMUser || k == authz.AssumedRole {
			per[i] = termEq(s.principalArnTerm(k), arn, false)
		}
	}
	return switchExpr(s.vKind, per)
}

// verdict builds the formulas of a compiled subject: allowed (the whole
// decision) and, per key-policy allow statement, the requests allowed
// through it (whose union is allowed).
func (s *space) verdict(c *compiled) (allowed expr, through []expr) {
	var deny, direct, account, idAllow []expr
	for _, st := range c.key {
		if !st.allow {
			deny = append(deny, and(st.body, or(st.direct, st.account)))
			continue
		}
		direct = append(direct, and(st.body, st.direct))
		account = append(account, and(st.body, st.account))
	}
	for _, st := range c.ids {
		if st.allow {
			idAllow = append(idAllow, and(st.body, st.direct))
		} else {
			deny = append(deny, and(st.body, st.direct))
		}
	}
	noDeny := not(or(deny...))
	id := or(idAllow...)
	same := s.accountIs(s.keyAccount)
	// Per kind: what a direct grant and an account (root delegation) grant
	// still need (authz.verdict).
	directNeeds := make([]expr, len(s.kinds))
	accountNeeds := make([]expr, len(s.kinds))
	for i, k := range s.kinds {
		switch {
		case k == authz.ServicePrincipal || k == authz.Anonymous:
			directNeeds[i], accountNeeds[i] = exprTrue, exprFalse
		case k == authz.AccountRoot:
			directNeeds[i], accountNeeds[i] = exprTrue, not(same)
		default:
			directNeeds[i], accountNeeds[i] = or(same, id), id
		}
	}
	dn, an := switchExpr(s.vKind, directNeeds), switchExpr(s.vKind, accountNeeds)
	through = make([]expr, len(c.key))
	var all []expr
	for i, st := range c.key {
		if !st.allow {
			through[i] = exprFalse
			continue
		}
		through[i] = and(noDeny, st.body, or(and(st.direct, dn), and(st.account, an)))
		all = append(all, through[i])
	}
	return or(all...), through
}

// run searches the requests of the region allowed through the key policy
// statements of ns (only the one at index only, when it is not -1) for
// which extra holds (for a diff: not allowed by os).
func (q *query) run(through []expr, extra expr, ns, os *compiled, only int) Result {
	res, _ := q.search(through, extra, ns, os, only, 0)
	return res
}

func (q *query) search(through []expr, extra expr, ns, os *compiled, only, limit int) (Result, *search) {
	s := q.s
	s.finish()
	x := &search{q: q, ns: ns, os: os, limit: limit}
	x.a.val = make([]int32, len(s.vars))
	for i := range x.a.val {
		x.a.val[i] = -1
	}
	for i, t := range through {
		if only >= 0 && i != only || isConst(t, tF) {
			continue
		}
		x.statement = i
		if x.dfs(and(q.region, t, extra)) {
			break
		}
	}
	res := Result{Verdict: Proved, Statement: -1, Nodes: x.nodes}
	switch {
	case x.found != nil:
		res = *x.found
		res.Nodes = x.nodes
	case x.aborted:
		res.Verdict, res.Reason = Unknown, fmt.Sprintf("the search passed %d nodes", q.opts.MaxNodes)
	case len(x.unknown) > 0:
		res.Verdict, res.Reason = Unknown, strings.Join(x.unknown, "; ")
	case len(x.incomplete) > 0:
		res.Verdict, res.Reason = Unknown, strings.Join(x.incomplete, "; ")
	}
	if only >= 0 && res.Statement < 0 {
		res.Statement = only
	}
	return res, x
}

// policyLabel names a statement for reasons.
func policyLabel(st *policy.Statement) string { return st.Label() }
