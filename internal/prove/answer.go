package prove

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/kmslint/kmslint/internal/authz"
)

// Evidence is a counterexample in the shape lint findings carry and the
// Rego built-ins return: the request (principal as `kmslint eval` takes
// it, context keys single- or multivalued) and the engine's decision.
type Evidence struct {
	Principal  string         `json:"principal"`
	Action     string         `json:"action"`
	Resource   string         `json:"resource"`
	Context    map[string]any `json:"context"`
	Decision   string         `json:"decision"`
	Statements []string       `json:"statements"`
}

// Answer is a Result as data: for lint's JSON proofs, the Rego built-ins
// and `kmslint diff`.
type Answer struct {
	Verdict   Verdict      `json:"verdict"`
	Reason    string       `json:"reason,omitempty"`
	Statement int          `json:"statement"`
	Region    []Constraint `json:"region,omitempty"`
	// Counterexample is set when Verdict is violated.
	Counterexample *Evidence `json:"counterexample,omitempty"`
}

// Answer renders the result as data.
func (r Result) Answer() Answer {
	a := Answer{Verdict: r.Verdict, Reason: r.Reason, Statement: r.Statement, Region: r.Cube}
	if r.Request == nil {
		return a
	}
	ctx := map[string]any{}
	r.Request.Context.Each(func(k string, v authz.Value) {
		if v.Multi {
			ctx[k] = append([]string{}, v.Values...)
		} else if len(v.Values) == 1 {
			ctx[k] = v.Values[0]
		}
	})
	a.Counterexample = &Evidence{Principal: r.Request.Principal.String(), Action: r.Request.Action, Resource: r.Request.Resource,
		Context: ctx, Decision: r.Decision.Decision.String(), Statements: r.Decision.Deciding()}
	return a
}

// MarshalJSON writes a Result as its Answer.
func (r Result) MarshalJSON() ([]byte, error) { return json.Marshal(r.Answer()) }

// Describe says in one line which requests a region holds, e.g.
// "principal assumed-role or user; action kms:Decrypt; account not =
// 111122223333; aws:PrincipalOrgID = o-abc123". Long lists of
// alternatives are cut after a few, saying how many more there are.
func Describe(cs []Constraint) string {
	parts := make([]string, 0, len(cs))
	for _, c := range cs {
		is := c.Is
		if alts := strings.Split(is, " or "); len(alts) > maxAlternatives {
			is = strings.Join(alts[:maxAlternatives], " or ") + fmt.Sprintf(" (or %d more)", len(alts)-maxAlternatives)
		}
		parts = append(parts, c.What+" "+is)
	}
	return strings.Join(parts, "; ")
}

// maxAlternatives is how many alternatives of one constraint Describe shows.
const maxAlternatives = 6
