package recommendation

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"time"
	"unicode/utf8"
)

// Types of recommendation.
const (
	TypeSystemPrompt    = "SYSTEM_PROMPT_RECOMMENDATION"
	TypeToolDescription = "TOOL_DESCRIPTION_RECOMMENDATION"
)

// Statuses of a recommendation.
const (
	StatusPending    = "PENDING"
	StatusInProgress = "IN_PROGRESS"
	StatusCompleted  = "COMPLETED"
	StatusFailed     = "FAILED"
	StatusDeleting   = "DELETING"
)

// configMember is the member of the recommendationConfig (and
// recommendationResult) union that goes with each type.
var configMember = map[string]string{
	TypeSystemPrompt:    "systemPromptRecommendationConfig",
	TypeToolDescription: "toolDescriptionRecommendationConfig",
}

var resultMember = map[string]string{
	TypeSystemPrompt:    "systemPromptRecommendationResult",
	TypeToolDescription: "toolDescriptionRecommendationResult",
}

var namePattern = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_-]{0,47}$`)

// Tag limits are AWS's common tagging limits.
// https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html
const (
	maxTags        = 50
	maxTagKeyLen   = 128
	maxTagValueLen = 256
)

// StartInput is a StartRecommendation request.
type StartInput struct {
	Name        string
	Description string
	Type        string
	// Config is the recommendationConfig union as JSON, kept as sent: the
	// service encrypts and returns it, it need not understand every member.
	Config      json.RawMessage
	KMSKeyARN   string
	ClientToken string
	Tags        map[string]string
}

// Recommendation is what Start and Get return.
type Recommendation struct {
	ID          string
	ARN         string
	Name        string
	Description string
	Type        string
	Status      string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	KMSKeyARN   string
	Tags        map[string]string
	// Config is the plaintext recommendationConfig.
	Config json.RawMessage
	// Result is the plaintext recommendationResult (Get, once COMPLETED or
	// FAILED).
	Result json.RawMessage
	// ResultObject describes where AWS keeps the result (Get, COMPLETED).
	ResultObject *ResultObject
}

// ResultObject is the S3 object holding a result, encrypted with SSE-KMS
// under the recommendation's key.
type ResultObject struct {
	Bucket      string
	Key         string
	SSEKMSKeyID string
}

// Summary is one entry of ListRecommendations.
type Summary struct {
	ID          string
	ARN         string
	Name        string
	Description string
	Type        string
	Status      string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// ListInput is a ListRecommendations request; MaxResults 0 means the
// default.
type ListInput struct {
	MaxResults int
	NextToken  string
	Status     string
}

// ListOutput is a page of summaries.
type ListOutput struct {
	Summaries []Summary
	NextToken string
}

// Page sizes of ListRecommendations.
const (
	DefaultMaxResults = 20
	MaxMaxResults     = 100
)

// validateStart checks a request the way the API model does, before any
// KMS call.
func validateStart(in *StartInput) *Error {
	if in.Name == "" {
		return fieldErr("name", "Value null at 'name' failed to satisfy constraint: Member must not be null")
	}
	if !namePattern.MatchString(in.Name) {
		return fieldErr("name", "Value '%s' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][a-zA-Z0-9_-]{0,47}", in.Name)
	}
	member, ok := configMember[in.Type]
	if !ok {
		return fieldErr("type", "Value '%s' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [%s, %s]", in.Type, TypeSystemPrompt, TypeToolDescription)
	}
	if e := validateConfig(in.Config, member); e != nil {
		return e
	}
	if len(in.Tags) > maxTags {
		return fieldErr("tags", "Value at 'tags' failed to satisfy constraint: Member must have at most %d entries", maxTags)
	}
	for k, v := range in.Tags {
		if n := utf8.RuneCountInString(k); n < 1 || n > maxTagKeyLen {
			return fieldErr("tags", "Tag key '%s' must have length between 1 and %d", k, maxTagKeyLen)
		}
		if utf8.RuneCountInString(v) > maxTagValueLen {
			return fieldErr("tags", "Value of tag '%s' must have length at most %d", k, maxTagValueLen)
		}
	}
	return nil
}

// validateConfig checks that the union holds exactly one member, the one of
// the type, and that it is an object.
func validateConfig(raw json.RawMessage, member string) *Error {
	if len(bytes.TrimSpace(raw)) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return fieldErr("recommendationConfig", "Value null at 'recommendationConfig' failed to satisfy constraint: Member must not be null")
	}
	var union map[string]json.RawMessage
	if err := json.Unmarshal(raw, &union); err != nil {
		return fieldErr("recommendationConfig", "recommendationConfig must be an object: %v", err)
	}
	if len(union) != 1 {
		names := make([]string, 0, len(union))
		for k := range union {
			names = append(names, k)
		}
		sort.Strings(names)
		return fieldErr("recommendationConfig", "recommendationConfig is a union and must set exactly one member, not %d %v", len(union), names)
	}
	body, ok := union[member]
	if !ok {
		for k := range union {
			return fieldErr("recommendationConfig", "recommendationConfig.%s does not go with this type; use %s", k, member)
		}
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil || obj == nil {
		return fieldErr("recommendationConfig", "recommendationConfig.%s must be an object", member)
	}
	return nil
}

// fingerprint identifies a request's parameters for clientToken
// idempotency: the same token with other parameters is an error.
func fingerprint(in *StartInput) string {
	keys := make([]string, 0, len(in.Tags))
	for k := range in.Tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b bytes.Buffer
	fmt.Fprintf(&b, "%q|%q|%q|%q|", in.Name, in.Description, in.Type, in.KMSKeyARN)
	var compact bytes.Buffer
	if json.Compact(&compact, in.Config) == nil {
		b.Write(compact.Bytes())
	} else {
		b.Write(in.Config)
	}
	for _, k := range keys {
		fmt.Fprintf(&b, "|%q=%q", k, in.Tags[k])
	}
	return b.String()
}
