package report

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
