package recommendation

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/kmslint/kmslint/internal/agentcore"
)

// workflowTimeout bounds one asynchronous run.
const workflowTimeout = time.Minute

// workflow is the asynchronous part of a recommendation: as the service
// principal, with aws:SourceAccount and aws:SourceArn of the
// recommendation, decrypt the configuration, produce the result, encrypt
// it. A KMS failure ends in FAILED with the error in the result.
func (s *Service) workflow(r *record, config json.RawMessage) {
	defer s.wg.Done()
	defer close(r.done)
	ctx, cancel := context.WithTimeout(context.Background(), workflowTimeout)
	defer cancel()
	s.setStatus(r, StatusInProgress)

	s.mu.Lock()
	meta := r.meta
	msg := r.config
	s.mu.Unlock()
	account, _ := accountOf(meta.ARN)
	if meta.KMSKeyARN == "" {
		s.finish(r, result(meta.Type, config), nil, nil)
		return
	}
	if s.service == nil {
		s.finish(r, failure(meta.Type, "KMSAccessError", "no service principal identity for "+agentcore.ServicePrincipal+" in the identities file"), nil, nil)
		return
	}
	plain, err := s.runAsService(ctx, meta.KMSKeyARN, account, meta.ARN, meta.Type, msg)
	if err != nil {
		s.finish(r, failure(meta.Type, kmsCode(err), err.Error()), nil, nil)
		return
	}
	s.finish(r, nil, plain.sealed, &ResultObject{
		Bucket:      "bedrock-agentcore-recommendations-" + account + "-" + s.region,
		Key:         "recommendations/" + meta.ID + "/result.json",
		SSEKMSKeyID: meta.KMSKeyARN,
	})
}

type sealedResult struct{ sealed []byte }

// runAsService decrypts the configuration and encrypts the result as the
// service principal for the recommendation recARN of account.
func (s *Service) runAsService(ctx context.Context, keyARN, account, recARN, typ string, msg []byte) (*sealedResult, error) {
	hdr := serviceContext(account, recARN)
	sess := s.crypto.session(s.service, hdr)
	config, err := s.crypto.open(ctx, sess, keyARN, recARN, msg)
	if err != nil {
		return nil, err
	}
	res := result(typ, config)
	sess = s.crypto.session(s.service, hdr)
	sealed, err := s.crypto.seal(ctx, sess, keyARN, recARN, res)
	if err != nil {
		return nil, err
	}
	return &sealedResult{sealed: sealed}, nil
}

// ActAsDeputy makes the workflow's two KMS calls (encrypt a result with
// GenerateDataKey, then decrypt it) as the service principal with the given
// aws:SourceAccount and aws:SourceArn and the encryption context of recARN,
// for work the API-time checks never saw: a confused-deputy probe (another
// account's recommendation naming this key, or a resource that is no
// recommendation). It returns the first KMS error; a key policy that scopes
// the service principal by both keys refuses the first call.
func (s *Service) ActAsDeputy(ctx context.Context, keyARN, sourceAccount, sourceArn, recARN string) error {
	if s.service == nil {
		return errors.New("no service principal identity for " + agentcore.ServicePrincipal + " in the identities file")
	}
	hdr := serviceContext(sourceAccount, sourceArn)
	sess := s.crypto.session(s.service, hdr)
	msg, err := s.crypto.seal(ctx, sess, keyARN, recARN, result(TypeSystemPrompt, nil))
	if err != nil {
		return err
	}
	sess = s.crypto.session(s.service, hdr)
	_, err = s.crypto.open(ctx, sess, keyARN, recARN, msg)
	return err
}

// serviceContext is the X-Kmslint-Context of the service principal's
// requests for a recommendation: the confused-deputy keys AWS sets.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html
func serviceContext(account, recARN string) string {
	m := map[string]string{}
	if account != "" {
		m["aws:SourceAccount"] = account
	}
	if recARN != "" {
		m["aws:SourceArn"] = recARN
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func accountOf(recARN string) (string, bool) {
	_, _, account, _, ok := agentcore.ParseRecommendationARN(recARN)
	return account, ok
}

func kmsCode(err error) string {
	var ke *KMSError
	if errors.As(err, &ke) {
		return ke.Code
	}
	return "InternalError"
}

func (s *Service) setStatus(r *record, status string) {
	s.mu.Lock()
	r.meta.Status = status
	r.meta.UpdatedAt = s.now()
	s.mu.Unlock()
}

// finish stores the outcome: a plain result (no key, or the error of a
// FAILED run) or a sealed one.
func (s *Service) finish(r *record, plain json.RawMessage, sealed []byte, obj *ResultObject) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r.meta.UpdatedAt = s.now()
	switch {
	case sealed != nil:
		r.result = sealed
		r.meta.ResultObject = obj
		r.meta.Status = StatusCompleted
	case isFailure(plain):
		r.plainResult = plain
		r.meta.Status = StatusFailed
	default:
		r.plainResult = plain
		r.meta.Status = StatusCompleted
	}
}

// result is the deterministic recommendation for a configuration: the same
// configuration always gives the same result, so tests can compare.
func result(typ string, config []byte) json.RawMessage {
	sum := sha256.Sum256(config)
	tag := hex.EncodeToString(sum[:6])
	explanation := "kmslint simulator: deterministic recommendation for configuration " + tag
	var union map[string]json.RawMessage
	_ = json.Unmarshal(config, &union)
	var out any
	switch typ {
	case TypeToolDescription:
		var c struct {
			ToolDescription struct {
				ToolDescriptionText struct {
					Tools []struct {
						ToolName        string `json:"toolName"`
						ToolDescription struct {
							Text string `json:"text"`
						} `json:"toolDescription"`
					} `json:"tools"`
				} `json:"toolDescriptionText"`
			} `json:"toolDescription"`
		}
		_ = json.Unmarshal(union[configMember[typ]], &c)
		tools := []map[string]string{}
		for _, t := range c.ToolDescription.ToolDescriptionText.Tools {
			tools = append(tools, map[string]string{
				"toolName":                   t.ToolName,
				"recommendedToolDescription": strings.TrimSpace(t.ToolDescription.Text) + " Use it only when the request needs " + t.ToolName + "; say what it returns.",
				"explanation":                explanation,
			})
		}
		out = map[string]any{resultMember[typ]: map[string]any{"tools": tools}}
	default:
		var c struct {
			SystemPrompt struct {
				Text string `json:"text"`
			} `json:"systemPrompt"`
		}
		_ = json.Unmarshal(union[configMember[TypeSystemPrompt]], &c)
		prompt := strings.TrimSpace(c.SystemPrompt.Text)
		if prompt == "" {
			prompt = "You are a helpful agent."
		}
		out = map[string]any{resultMember[TypeSystemPrompt]: map[string]string{
			"recommendedSystemPrompt": prompt + "\n\nAnswer concisely, use the tools you are given, and say when you are unsure.",
			"explanation":             explanation,
		}}
	}
	b, _ := json.Marshal(out)
	return b
}

// failure is the result of a FAILED run: errorCode and errorMessage of the
// type's result member.
func failure(typ, code, message string) json.RawMessage {
	member, ok := resultMember[typ]
	if !ok {
		member = resultMember[TypeSystemPrompt]
	}
	b, _ := json.Marshal(map[string]any{member: map[string]string{"errorCode": code, "errorMessage": message}})
	return b
}

func isFailure(res json.RawMessage) bool {
	var union map[string]struct {
		ErrorCode string `json:"errorCode"`
	}
	if json.Unmarshal(res, &union) != nil {
		return false
	}
	for _, m := range union {
		if m.ErrorCode != "" {
			return true
		}
	}
	return false
}
