// Package audit rebuilds the story of each Amazon Bedrock AgentCore
// recommendation from CloudTrail: AgentCore's own API calls are not logged,
// but every KMS call it makes for a recommendation carries the encryption
// context aws:bedrock-agentcore:recommendationArn, so those KMS events,
// grouped per recommendation, show who used the key, what failed and why.
// The rules AUD001-AUD007 run over these timelines and the key lifecycle
// events (DisableKey, PutKeyPolicy, ...) of the keys they used.
package audit

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/kmslint/kmslint/internal/agentcore"
	"github.com/kmslint/kmslint/internal/arn"
	"github.com/kmslint/kmslint/internal/cloudtrail"
)

// Who says in which role a principal made a recommendation's KMS call.
type Who string

const (
	// WhoCaller is a caller's identity used by the service (forward access
	// session): userIdentity.invokedBy is the AgentCore service.
	WhoCaller Who = "caller"
	// WhoService is the AgentCore service principal itself (AWSService).
	WhoService Who = "service"
	// WhoOther is anyone else: a direct call with a recommendation's
	// context, another service, or a principal that is not a known caller.
	WhoOther Who = "other"
)

// OutcomeOK is the outcome of a call without errorCode.
const OutcomeOK = "ok"

// dryRunCode is KMS's answer to a DryRun request that would have succeeded:
// https://docs.aws.amazon.com/kms/latest/developerguide/programming-dryrun.html
const dryRunCode = "DryRunOperationException"

// Entry is one KMS event of a timeline.
type Entry struct {
	EventID   string    `json:"eventId"`
	Time      time.Time `json:"time"`
	Operation string    `json:"operation"`
	Who       Who       `json:"who"`
	// Principal is the identity's ARN, or the service's name.
	Principal string `json:"principal"`
	InvokedBy string `json:"invokedBy,omitempty"`
	// Outcome is "ok" or the AWS error code; DryRunOperationException
	// means the checked call would have been allowed.
	Outcome string `json:"outcome"`

	source string
	record int
	ev     *request // kept only for denied calls, to replay them
}

// Allowed reports whether the call was allowed (dry runs included).
func (e *Entry) Allowed() bool { return e.Outcome == OutcomeOK || e.Outcome == dryRunCode }

// DryRun reports a DryRun permission check.
func (e *Entry) DryRun() bool { return e.Outcome == dryRunCode }

// Denied reports an authorization failure (AccessDenied,
// AccessDeniedException): what a key policy or IAM policy refused.
func (e *Entry) Denied() bool { return strings.HasPrefix(e.Outcome, "AccessDenied") }

// request is what a denied call needs to be replayed.
type request struct {
	identity   cloudtrail.UserIdentity
	encContext map[string]string
}

// Timeline is one recommendation's KMS events, oldest first, with the
// lifecycle events of the key it used. A timeline without a
// RecommendationARN holds a key's AgentCore calls that belong to no
// recommendation the trail shows: key validations (DescribeKey) of
// StartRecommendation calls that failed, or whose recommendation made no
// later call in the audited window.
type Timeline struct {
	RecommendationARN string  `json:"recommendationArn,omitempty"`
	Key               string  `json:"key"`
	Events            []Entry `json:"events"`
	KeyEvents         []Entry `json:"keyEvents"`
}

// lifecycleEvents are the key state and policy changes the audit follows.
var lifecycleEvents = map[string]bool{
	"DisableKey": true, "EnableKey": true, "ScheduleKeyDeletion": true,
	"CancelKeyDeletion": true, "PutKeyPolicy": true,
}

// params are the requestParameters members the audit reads.
type params struct {
	KeyID             string            `json:"keyId"`
	EncryptionContext map[string]string `json:"encryptionContext"`
	Policy            string            `json:"policy"`
}

func parseParams(raw json.RawMessage) params {
	var p params
	if len(raw) > 0 {
		// A record whose parameters are not the documented shape (null,
		// truncated by CloudTrail, a context value that is no string) is
		// still counted; it just names no key or recommendation.
		if json.Unmarshal(raw, &p) != nil {
			// Retry member by member so one odd member does not hide the
			// others.
			var loose map[string]json.RawMessage
			if json.Unmarshal(raw, &loose) == nil {
				_ = json.Unmarshal(loose["keyId"], &p.KeyID)
				_ = json.Unmarshal(loose["encryptionContext"], &p.EncryptionContext)
				_ = json.Unmarshal(loose["policy"], &p.Policy)
			}
		}
	}
	return p
}

// keyOf returns the ARN of the key an event used: the AWS::KMS::Key
// resource CloudTrail adds, else the keyId parameter (which may be a bare
// id or an alias).
func keyOf(ev *cloudtrail.Event, p params) string {
	for _, r := range ev.Resources {
		if r.Type == "AWS::KMS::Key" && r.ARN != "" {
			return r.ARN
		}
	}
	return p.KeyID
}

// keyID is the last part of a key ARN ("key/<id>" -> id), for comparing
// an ARN with a bare key id.
func keyID(k string) string {
	if i := strings.LastIndex(k, "/"); i >= 0 && strings.HasPrefix(k, "arn:") {
		return k[i+1:]
	}
	return k
}

func sameKey(a, b string) bool {
	if a == b {
		return true
	}
	if a == "" || b == "" {
		return false
	}
	return keyID(a) == keyID(b)
}

// principalOf names the identity of a record.
func principalOf(u cloudtrail.UserIdentity) string {
	switch {
	case u.Type == "AWSService":
		if u.InvokedBy != "" {
			return u.InvokedBy
		}
		return "AWSService"
	case u.ARN != "":
		return u.ARN
	case u.PrincipalID != "":
		return u.PrincipalID
	}
	return u.Type
}

// identityARN is the role or user behind an identity, the form --caller
// takes: the session issuer of an assumed-role session, else the ARN.
func identityARN(u cloudtrail.UserIdentity) string {
	if u.SessionContext != nil && u.SessionContext.SessionIssuer.ARN != "" {
		return u.SessionContext.SessionIssuer.ARN
	}
	// arn:aws:sts::A:assumed-role/Role/session -> arn:aws:iam::A:role/Role
	if a, ok := arn.Parse(u.ARN); ok && a.Service == "sts" && strings.HasPrefix(a.Resource, "assumed-role/") {
		role, _, _ := strings.Cut(strings.TrimPrefix(a.Resource, "assumed-role/"), "/")
		return "arn:" + a.Partition + ":iam::" + a.AccountID + ":role/" + role
	}
	return u.ARN
}

// classify says who made a call, given the known callers (empty: anyone
// the service acted for counts as a caller) and the key's account ("" when
// unknown). A caller calls StartRecommendation in the recommendation's
// account and AgentCore uses its identity, so a principal of another account
// than the key's is no caller of this key's recommendations.
func classify(u cloudtrail.UserIdentity, callers map[string]bool, keyAccount string) Who {
	if u.Type == "AWSService" {
		if u.InvokedBy == agentcore.ServicePrincipal || u.InvokedBy == "" {
			return WhoService
		}
		return WhoOther
	}
	if u.InvokedBy != agentcore.ServicePrincipal {
		return WhoOther
	}
	if acc := accountOf(u); keyAccount != "" && acc != "" && acc != keyAccount {
		return WhoOther
	}
	if len(callers) > 0 && !callers[identityARN(u)] && !callers[u.ARN] {
		return WhoOther
	}
	return WhoCaller
}

// accountOf is the account of an IAM identity: the record's accountId, else
// the account in its ARN.
func accountOf(u cloudtrail.UserIdentity) string {
	if u.AccountID != "" {
		return u.AccountID
	}
	a, _ := arn.Parse(u.ARN)
	return a.AccountID
}
