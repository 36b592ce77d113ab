package authz

import (
	"fmt"
	"strings"

	"github.com/kmslint/kmslint/internal/policy"
)

// Policy is a compiled policy, ready for many decisions. It is immutable
// and safe for concurrent use.
type Policy struct {
	// Name labels the policy in results ("key policy", a file name, ...).
	Name   string
	Source *policy.Policy
	stmts  []compiledStatement
	index  *principalIndex
}

type compiledStatement struct {
	src          *policy.Statement
	allow        bool
	principals   []compiledPrincipal
	notPrincipal bool // principals came from NotPrincipal
	anyPrincipal bool // no Principal element (identity policies)
	actions      []pattern
	notAction    bool
	resources    []arnOrStar
	notResource  bool
	conds        []compiledCondition

	// Text for reasons, rendered once: users read a reason for every
	// statement of every decision, and batch mode makes hundreds of
	// thousands of decisions a second.
	principalText string // e.g. {"AWS": "arn:..."}
	actionText    string // e.g. ["kms:Decrypt", "kms:GenerateDataKey"]
	resourceText  string
}

// arnOrStar is a Resource value: "*" or an ARN pattern.
type arnOrStar struct {
	star bool
	arn  arnPattern
	pat  pattern // for values that are not ARNs (matched as plain globs)
}

// Compile prepares a policy for decisions. It refuses a policy that AWS
// would reject (a KMS001 problem), because no decision about it is
// meaningful.
func Compile(name string, p *policy.Policy) (*Policy, error) {
	if p == nil {
		return nil, fmt.Errorf("compile %s: no policy", name)
	}
	if !p.Valid() {
		for _, pr := range p.Problems {
			if pr.Rule == "KMS001" {
				return nil, fmt.Errorf("compile %s: invalid policy: %s: %s", name, pr.Pos, pr.Message)
			}
		}
	}
	cp := &Policy{Name: name, Source: p, stmts: make([]compiledStatement, 0, len(p.Statements))}
	for _, st := range p.Statements {
		cp.stmts = append(cp.stmts, compileStatement(st))
	}
	cp.index = buildIndex(cp.stmts)
	return cp, nil
}

func compileStatement(st *policy.Statement) compiledStatement {
	cs := compiledStatement{src: st, allow: st.Effect == policy.Allow}
	pr := st.Principal
	if st.NotPrincipal != nil {
		pr, cs.notPrincipal = st.NotPrincipal, true
	}
	if pr == nil {
		cs.anyPrincipal = true
	} else {
		if pr.Wildcard && len(pr.Entries) == 0 {
			cs.principals = append(cs.principals, compiledPrincipal{wildcard: true, value: "*"})
		}
		for _, e := range pr.Entries {
			cs.principals = append(cs.principals, compilePrincipal(e))
		}
	}
	acts := st.Action
	if st.NotAction != nil {
		acts, cs.notAction = st.NotAction, true
	}
	if acts != nil {
		for _, a := range acts.Values {
			// Action names are case-insensitive: compare lower-cased.
			cs.actions = append(cs.actions, compilePattern(strings.ToLower(a), true, false))
		}
	}
	res := st.Resource
	if st.NotResource != nil {
		res, cs.notResource = st.NotResource, true
	}
	if res != nil {
		for _, r := range res.Values {
			switch {
			case r == "*":
				cs.resources = append(cs.resources, arnOrStar{star: true})
			case strings.HasPrefix(r, "arn:"):
				cs.resources = append(cs.resources, arnOrStar{arn: compileARNPattern(r), pat: compilePattern(r, true, false)})
			default:
				cs.resources = append(cs.resources, arnOrStar{pat: compilePattern(r, true, false)})
			}
		}
	} else {
		cs.resources = append(cs.resources, arnOrStar{star: true})
	}
	for i := range st.Conditions {
		cs.conds = append(cs.conds, compileCondition(&st.Conditions[i]))
	}
	if cs.notPrincipal {
		cs.principalText = principalList(st.NotPrincipal)
	} else {
		cs.principalText = principalList(st.Principal)
	}
	if acts != nil {
		cs.actionText = quoteList(acts.Values)
	}
	if res != nil {
		cs.resourceText = quoteList(res.Values)
	}
	return cs
}

// Statements returns the number of statements.
func (p *Policy) Statements() int { return len(p.stmts) }
