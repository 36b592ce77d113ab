package authz

import "github.com/kmslint/kmslint/internal/arn"

// arnPattern matches ARNs component by component, each component a glob.
// IAM documents this for ArnLike and ArnEquals alike ("Each of the six
// colon-delimited components of the ARN is checked separately and each can
// include multi-character match wildcards (*) or single-character match
// wildcards (?)"):
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN
// so a '*' never crosses a colon between the first five components.
type arnPattern struct {
	raw   string
	valid bool
	parts [6]pattern
}

func compileARNPattern(s string) arnPattern {
	p := arnPattern{raw: s}
	parts, ok := arn.Split(s)
	if !ok {
		return p
	}
	p.valid = true
	for i, part := range parts {
		p.parts[i] = compilePattern(part, true, false)
	}
	return p
}

// match reports whether value matches. ok is false when a policy variable
// could not be resolved (the value then matches nothing, not even under a
// negated operator) or when value is not an ARN.
func (p *arnPattern) match(value string, ctx *Context) (matched, ok bool) {
	if !p.valid {
		return false, false
	}
	vparts, vok := arn.Split(value)
	if !vok {
		return false, false
	}
	for i := range p.parts {
		m, ok := p.parts[i].match(vparts[i], ctx)
		if !ok {
			return false, false
		}
		if !m {
			return false, true
		}
	}
	return true, true
}
