package scenario

import (
	"github.com/kmslint/kmslint/internal/report"
)

// Report is the JSON report of `kmslint simulate` (CONTRACT.md).
type Report struct {
	Version   int       `json:"version"`
	Scenarios []*Result `json:"scenarios"`
	Summary   Summary   `json:"summary"`
}

// Summary counts scenarios and those that met their expectation.
type Summary struct {
	Scenarios int `json:"scenarios"`
	Met       int `json:"met"`
}

// Result is one scenario's run.
type Result struct {
	Name           string           `json:"name"`
	Expectation    string           `json:"expectation"`
	Met            bool             `json:"met"`
	Recommendation *Rec             `json:"recommendation,omitempty"`
	Steps          []Step           `json:"steps"`
	Findings       []report.Finding `json:"findings"`
	// Missed says what did not happen as expected. When the miss comes
	// from the policy, Statement is the statement of the policy under test
	// to change (its Sid, or Statement[i]) and Fix says how, naming it with
	// FILE:LINE; or, with Statement empty, Fix gives the statement to add.
	Missed    string `json:"missed,omitempty"`
	Statement string `json:"statement,omitempty"`
	Fix       string `json:"fix,omitempty"`
}

// Rec identifies the scenario's recommendation.
type Rec struct {
	ID     string `json:"id"`
	ARN    string `json:"arn"`
	Status string `json:"status"`
}

// Step is one operation of the timeline and the KMS calls it caused.
type Step struct {
	Operation string    `json:"operation"`
	Principal string    `json:"principal"`
	Outcome   string    `json:"outcome"`
	Message   string    `json:"message,omitempty"`
	KMSCalls  []KMSCall `json:"kmsCalls"`
}

// KMSCall is one CloudTrail record of the step.
type KMSCall struct {
	EventName string `json:"eventName"`
	Principal string `json:"principal"`
	InvokedBy string `json:"invokedBy,omitempty"`
	Outcome   string `json:"outcome"`
	EventID   string `json:"eventId"`
	// EncryptionContext is the recommendation ARN of the call's context.
	EncryptionContext string `json:"encryptionContext,omitempty"`
	DryRun            bool   `json:"dryRun,omitempty"`
}

type auditFinding = report.Finding
