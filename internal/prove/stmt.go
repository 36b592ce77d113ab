package prove

import (
	"strings"

	"github.com/kmslint/kmslint/internal/arn"
	"github.com/kmslint/kmslint/internal/authz"
	"github.com/kmslint/kmslint/internal/policy"
	"github.com/kmslint/kmslint/internal/world"
)

// stmt is a compiled statement.
type stmt struct {
	src   *policy.Statement
	allow bool
	// direct and account: the principal matched by name (or "*"), or
	// through its account (root delegation); for identity statements,
	// direct is "the policy is this principal's".
	direct, account expr
	// body: action, resource and every condition.
	body expr
}

// entry is a Principal entry compiled as authz.compilePrincipal compiles it.
type entry struct {
	typ                                  policy.PrincipalType
	value                                string
	wildcard                             bool
	account, accountPartition            string
	roleAccount, roleName, rolePartition string
}

func compileEntries(pr *policy.Principals) []entry {
	var out []entry
	if pr.Wildcard && len(pr.Entries) == 0 {
		out = append(out, entry{wildcard: true, value: "*"})
	}
	for _, e := range pr.Entries {
		en := entry{typ: e.Type, value: e.Value}
		if e.Type == policy.PrincipalAWS {
			switch a, ok := arn.Parse(e.Value); {
			case e.Value == "*":
				en.wildcard = true
			case arn.IsAccountID(e.Value):
				en.account = e.Value
			case ok && a.Service == "iam" && a.Resource == "root":
				en.account, en.accountPartition = a.AccountID, a.Partition
			case ok && a.Service == "iam" && strings.HasPrefix(a.Resource, "role/"):
				name := a.Resource
				if i := strings.LastIndexByte(name, '/'); i >= 0 {
					name = name[i+1:]
				}
				en.rolePartition, en.roleAccount, en.roleName = a.Partition, a.AccountID, name
			}
		}
		out = append(out, en)
	}
	return out
}

// termEq is "the term spells exactly value".
func termEq(t term, value string, fold bool) expr {
	d, ok := split(litToks(nil, value, fold), t)
	if !ok {
		return undecided("principal " + value + " too large to split over its parts")
	}
	return dnfExpr(d)
}

func (s *space) accountIs(acct string) expr {
	return termEq(varTerm(s.pA, s.sv(s.pA)), acct, false)
}

// namesAccount: an account principal names p's account, in p's partition.
func (s *space) namesAccount(e entry) expr {
	if e.account == "" {
		return exprFalse
	}
	if e.accountPartition != "" && s.partition != "" && e.accountPartition != s.partition {
		return exprFalse
	}
	return s.accountIs(e.account)
}

func (s *space) namesRole(e entry) expr {
	if e.roleName == "" || e.rolePartition != s.partition {
		return exprFalse
	}
	return and(s.accountIs(e.roleAccount), termEq(varTerm(s.pRName, s.sv(s.pRName)), e.roleName, true))
}

// self: the entry is the principal's own name.
func (s *space) self(e entry, k authz.PrincipalKind) expr {
	switch {
	case k == authz.ServicePrincipal:
		if e.typ != policy.PrincipalService {
			return exprFalse
		}
		return termEq(varTerm(s.pSvc, s.sv(s.pSvc)), e.value, false)
	case e.typ != policy.PrincipalAWS || !world.IAM(k):
		return exprFalse
	}
	return termEq(s.arnTerm(k), e.value, false)
}

// match is how one entry matches a principal of kind k (authz's
// compiledPrincipal.match).
func (s *space) match(e entry, k authz.PrincipalKind) (direct, account expr) {
	if e.wildcard {
		return exprTrue, exprFalse
	}
	switch e.typ {
	case policy.PrincipalService:
		return s.self(e, k), exprFalse
	case policy.PrincipalFederated, policy.PrincipalCanonicalUser:
		return exprFalse, exprFalse
	}
	if !world.IAM(k) {
		return exprFalse, exprFalse
	}
	if e.account != "" {
		n := s.namesAccount(e)
		if k == authz.AccountRoot {
			return n, exprFalse
		}
		return exprFalse, n
	}
	if e.roleName != "" && k == authz.AssumedRole {
		return s.namesRole(e), exprFalse
	}
	return s.self(e, k), exprFalse
}

// excepts: a NotPrincipal names p (authz's compiledStatement.excepts).
func (s *space) excepts(es []entry, k authz.PrincipalKind) expr {
	named := func(f func(e entry) expr) expr {
		var xs []expr
		for _, e := range es {
			if e.wildcard {
				return exprTrue
			}
			xs = append(xs, f(e))
		}
		return or(xs...)
	}
	account := named(s.namesAccount)
	self := named(func(e entry) expr { return s.self(e, k) })
	switch k {
	case authz.Anonymous:
		return named(func(entry) expr { return exprFalse })
	case authz.AccountRoot:
		return account
	case authz.AssumedRole:
		return and(account, named(s.namesRole), self)
	case authz.ServicePrincipal:
		return self
	}
	return and(account, self)
}

// principal compiles a Principal or NotPrincipal element.
func (s *space) principal(st *policy.Statement) (direct, account expr) {
	pr, not_ := st.Principal, false
	if st.NotPrincipal != nil {
		pr, not_ = st.NotPrincipal, true
	}
	if pr == nil {
		return exprTrue, exprFalse
	}
	es := compileEntries(pr)
	ds := make([]expr, len(s.kinds))
	as := make([]expr, len(s.kinds))
	for i, k := range s.kinds {
		if not_ {
			ds[i], as[i] = not(s.excepts(es, k)), exprFalse
			continue
		}
		var d, a []expr
		for _, e := range es {
			x, y := s.match(e, k)
			d, a = append(d, x), append(a, y)
		}
		ds[i] = or(d...)
		as[i] = and(not(ds[i]), or(a...))
	}
	return switchExpr(s.vKind, ds), switchExpr(s.vKind, as)
}

// actionResource decides, with the engine, which actions the statement's
// Action/NotAction and Resource/NotResource cover for the key (each action
// once, as questions bring them); a resource with policy variables is left
// undecided.
func (s *space) actionResource(st *policy.Statement) expr {
	res := st.Resource
	if st.NotResource != nil {
		res = st.NotResource
	}
	if res != nil {
		for _, r := range res.Values {
			if !compilePattern(r, true, false, pAny).static {
				return undecided("policy variable in Resource " + r)
			}
		}
	}
	p := &policy.Policy{Version: "2012-10-17", Statements: []*policy.Statement{{
		Effect: policy.Allow, Principal: &policy.Principals{Wildcard: true},
		Action: st.Action, NotAction: st.NotAction, Resource: st.Resource, NotResource: st.NotResource,
	}}}
	if p.Statements[0].Resource == nil && p.Statements[0].NotResource == nil {
		p.Statements[0].Resource = &policy.StringList{Values: []string{"*"}}
	}
	cp, err := authz.Compile("statement", p)
	if err != nil {
		return undecided("statement " + st.Label() + ": " + err.Error())
	}
	eng := &authz.Engine{Key: cp}
	memo := map[int]tri{}
	return func(a *assign) tri {
		x, ok := a.get(s.vAction)
		if !ok {
			return tU
		}
		if r, ok := memo[x]; ok {
			return r
		}
		req := &authz.Request{Principal: authz.Principal{Kind: authz.Anonymous, ARN: "anonymous"}, Action: s.actions[x], Resource: s.keyARN, Context: authz.NewContext()}
		r := triOf(eng.Allowed(req) == authz.Allow)
		memo[x] = r
		return r
	}
}

// statement compiles st; for identity statements, owner is the principals
// whose IAM policy it is.
func (s *space) statement(st *policy.Statement, owner expr) stmt {
	out := stmt{src: st, allow: st.Effect == policy.Allow}
	if owner != nil {
		out.direct, out.account = owner, exprFalse
	} else {
		out.direct, out.account = s.principal(st)
	}
	conds := []expr{s.actionResource(st)}
	for i := range st.Conditions {
		conds = append(conds, s.condition(&st.Conditions[i]))
	}
	out.body = and(conds...)
	return out
}

func (s *space) scanStatement(st *policy.Statement) {
	for i := range st.Conditions {
		s.scan(&st.Conditions[i])
		for _, v := range st.Conditions[i].Values {
			// A policy variable reads its key: give the key its variable.
			p := compilePattern(v, false, false, pAny)
			for _, sg := range p.segs {
				if sg.isVar {
					if s.families[sg.key] == nil {
						s.families[sg.key] = map[family]bool{}
					}
				}
			}
		}
	}
}
