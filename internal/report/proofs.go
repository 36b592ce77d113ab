package report

import (
	"fmt"
	"strings"
)

// Proof is the answer to one property lint proved about a key policy over
// every request (internal/prove): "proved" (no request breaks it),
// "violated" (Counterexample is a request that does, which the engine
// allows) or "unknown" (Reason says why; the rule fell back to probes).
type Proof struct {
	Property       string    `json:"property"`
	Result         string    `json:"result"`
	Counterexample *Evidence `json:"counterexample,omitempty"`
	Reason         string    `json:"reason,omitempty"`
}

// Proof results.
const (
	ProofProved   = "proved"
	ProofViolated = "violated"
	ProofUnknown  = "unknown"
)

// DocumentProofs are the proofs of one linted document (a policy in a
// file, or a live key), written in lint's JSON as one element of
// "documents".
type DocumentProofs struct {
	File     string  `json:"file"`
	Resource string  `json:"resource"`
	Proofs   []Proof `json:"proofs"`
}

// proofLine says in one line what lint proved over every request: for one
// policy its properties by result, for several the counts.
func proofLine(docs []DocumentProofs) string {
	var all []Proof
	for _, d := range docs {
		all = append(all, d.Proofs...)
	}
	if len(all) == 0 {
		return ""
	}
	if len(docs) > 1 {
		n := map[string]int{}
		for _, p := range all {
			n[p.Result]++
		}
		return fmt.Sprintf("proofs over every request: %d proved, %d violated, %d unknown in %s",
			n[ProofProved], n[ProofViolated], n[ProofUnknown], plural(len(docs), "policy"))
	}
	var parts []string
	for _, res := range []string{ProofProved, ProofViolated, ProofUnknown} {
		var props []string
		for _, p := range all {
			if p.Result == res {
				props = append(props, p.Property)
			}
		}
		if len(props) > 0 {
			parts = append(parts, res+": "+strings.Join(props, "; "))
		}
	}
	return "proofs over every request: " + strings.Join(parts, "; ")
}
