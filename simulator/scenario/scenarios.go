package scenario

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcore"
	bactypes "github.com/aws/aws-sdk-go-v2/service/bedrockagentcore/types"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/kmslint/kmslint/internal/agentcore"
	"github.com/kmslint/kmslint/simulator/recommendation"
)

func kmsSpec(s string) kmstypes.KeySpec { return kmstypes.KeySpec(s) }

func scenarios() []Scenario {
	return []Scenario{
		{"lifecycle", "Start validates the key, the workflow completes, Get decrypts, List and Delete need no KMS", lifecycle},
		{"key-disabled", "with the key disabled, Start and Get fail with ValidationException; List and Delete succeed without KMS", keyUnavailable(false)},
		{"key-pending-deletion", "with the key scheduled for deletion, Start and Get fail with ValidationException; List and Delete succeed without KMS", keyUnavailable(true)},
		{"wrong-region-key", "a key of another region is refused with ValidationException before any KMS call and nothing is stored", wrongRegion},
		{"asymmetric-key", "an asymmetric key is refused with ValidationException after DescribeKey and nothing is stored", asymmetric},
		{"caller-denied", "a role of the account that the key policy does not name cannot start a recommendation (AccessDeniedException at DescribeKey)", callerDenied},
		{"service-denied", "the service principal is refused for a resource that is not one of this account's recommendations, and without aws:SourceArn", serviceDenied},
		{"confused-deputy", "a recommendation of another account naming this key is refused, and the service principal acting for it is refused", confusedDeputy},
	}
}

// promptConfig is a sample SYSTEM_PROMPT_RECOMMENDATION configuration.
func promptConfig() bactypes.RecommendationConfig {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return &bactypes.RecommendationConfigMemberSystemPromptRecommendationConfig{Value: bactypes.SystemPromptRecommendationConfig{
		SystemPrompt: &bactypes.SystemPromptConfigMemberText{Value: "You are a customer support agent."},
		AgentTraces: &bactypes.AgentTracesConfigMemberCloudwatchLogs{Value: bactypes.CloudWatchLogsTraceConfig{
			LogGroupArns: []string{"arn:aws:logs:us-east-1:111122223333:log-group:/agents/support"},
			ServiceNames: []string{"support-agent"},
			StartTime:    aws.Time(start), EndTime: aws.Time(start.Add(24 * time.Hour)),
		}},
	}}
}

func (r *runner) startInput(name string) *bedrockagentcore.StartRecommendationInput {
	return &bedrockagentcore.StartRecommendationInput{Name: aws.String(name), Type: bactypes.RecommendationTypeSystemPromptRecommendation,
		RecommendationConfig: promptConfig(), KmsKeyArn: aws.String(r.key)}
}

// start is StartRecommendation as the caller.
func (r *runner) start(name string) (*bedrockagentcore.StartRecommendationOutput, error) {
	var out *bedrockagentcore.StartRecommendationOutput
	err := r.step("StartRecommendation", r.principal(akCaller), func() error {
		var err error
		out, err = r.caller.StartRecommendation(r.ctx, r.startInput(name))
		return err
	})
	if out != nil {
		r.res.Recommendation = &Rec{ID: aws.ToString(out.RecommendationId), ARN: aws.ToString(out.RecommendationArn), Status: string(out.Status)}
	}
	return out, err
}

// workflow waits for the asynchronous workflow and records its calls as a
// step of the service principal.
func (r *runner) workflow(id string) string {
	var status string
	_ = r.step("workflow", agentcore.ServicePrincipal, func() error {
		ctx, cancel := context.WithTimeout(r.ctx, time.Minute)
		defer cancel()
		var err error
		status, err = r.stack.Service.WaitFor(ctx, r.opts.Account, id)
		return err
	})
	st := &r.res.Steps[len(r.res.Steps)-1]
	if status == recommendation.StatusFailed {
		st.Outcome = status
		for _, c := range st.KMSCalls {
			if c.Outcome != "ok" {
				st.Outcome, st.Message = c.Outcome, c.EventName+" as "+c.Principal+" failed"
				break
			}
		}
	}
	if r.res.Recommendation != nil {
		r.res.Recommendation.Status = status
	}
	return status
}

func (r *runner) get(id string) (*bedrockagentcore.GetRecommendationOutput, error) {
	var out *bedrockagentcore.GetRecommendationOutput
	err := r.step("GetRecommendation", r.principal(akCaller), func() error {
		var err error
		out, err = r.caller.GetRecommendation(r.ctx, &bedrockagentcore.GetRecommendationInput{RecommendationId: aws.String(id)})
		return err
	})
	return out, err
}

func (r *runner) list() (*bedrockagentcore.ListRecommendationsOutput, error) {
	var out *bedrockagentcore.ListRecommendationsOutput
	err := r.step("ListRecommendations", r.principal(akCaller), func() error {
		var err error
		out, err = r.caller.ListRecommendations(r.ctx, &bedrockagentcore.ListRecommendationsInput{})
		return err
	})
	return out, err
}

func (r *runner) delete(id string) error {
	return r.step("DeleteRecommendation", r.principal(akCaller), func() error {
		out, err := r.caller.DeleteRecommendation(r.ctx, &bedrockagentcore.DeleteRecommendationInput{RecommendationId: aws.String(id)})
		if err == nil && r.res.Recommendation != nil {
			r.res.Recommendation.Status = string(out.Status)
		}
		return err
	})
}

// lastStep is the step just run.
func (r *runner) lastStep() *Step { return &r.res.Steps[len(r.res.Steps)-1] }

// blame says what to change in the policy under test for the first
// denied KMS call of a step, and describes the call.
func (r *runner) blame(st *Step) (hint, string) {
	for _, c := range st.KMSCalls {
		if c.Outcome == "ok" || c.Outcome == "DryRunOperationException" {
			continue
		}
		why := fmt.Sprintf("%s by %s was %s", c.EventName, c.Principal, c.Outcome)
		req, err := r.fix.request(c)
		if err != nil {
			return hint{}, why
		}
		return r.fix.denied(req), why
	}
	return hint{}, ""
}

// blameAllowed names the statements that allowed the first KMS call of a
// step that should have been refused.
func (r *runner) blameAllowed(st *Step, advice string) hint {
	for _, c := range st.KMSCalls {
		if c.Outcome != "ok" && c.Outcome != "DryRunOperationException" {
			continue
		}
		if req, err := r.fix.request(c); err == nil {
			return r.fix.allowed(req, advice)
		}
	}
	return hint{Fix: advice}
}

// expectOK: the step must succeed; a denial names its statement.
func (r *runner) expectOK(err error) bool {
	if err == nil {
		return true
	}
	st := r.lastStep()
	stmt, why := r.blame(st)
	if why == "" {
		why = st.Message
	}
	r.miss(stmt, "%s failed with %s: %s", st.Operation, st.Outcome, why)
	return false
}

// expectNoKMS: the step must make no KMS call.
func (r *runner) expectNoKMS() {
	if st := r.lastStep(); len(st.KMSCalls) > 0 {
		r.miss(hint{}, "%s made %d KMS call(s); it should make none", st.Operation, len(st.KMSCalls))
	}
}

func (r *runner) expectCode(err error, want string) bool {
	if got := code(err); got != want {
		st := r.lastStep()
		stmt, _ := r.blame(st)
		r.miss(stmt, "%s returned %s, expected %s", st.Operation, got, want)
		return false
	}
	return true
}

func lifecycle(r *runner) {
	out, err := r.start("MyPromptRec")
	if !r.expectOK(err) {
		return
	}
	id := aws.ToString(out.RecommendationId)
	if st := r.workflow(id); st != recommendation.StatusCompleted {
		stmt, why := r.blame(r.lastStep())
		r.miss(stmt, "the workflow ended %s: %s", st, why)
		return
	}
	get, err := r.get(id)
	if !r.expectOK(err) {
		return
	}
	if _, ok := get.RecommendationResult.(*bactypes.RecommendationResultMemberSystemPromptRecommendationResult); !ok {
		r.miss(hint{}, "GetRecommendation returned no result")
	}
	if _, err := r.list(); r.expectOK(err) {
		r.expectNoKMS()
	}
	if err := r.delete(id); r.expectOK(err) {
		r.expectNoKMS()
	}
	r.checkMonitoring()
}

// checkMonitoring holds the trail to the seed's "Monitoring" list:
// DescribeKey at Start, GenerateDataKey at Start and at completion, Decrypt
// in the workflow and on Get, each (but DescribeKey) with the
// recommendation's encryption context.
func (r *runner) checkMonitoring() {
	if !r.res.Met || r.res.Recommendation == nil {
		return
	}
	arn := r.res.Recommendation.ARN
	want := map[string][]string{
		"StartRecommendation": {"DescribeKey", "GenerateDataKey"},
		"workflow":            {"Decrypt", "GenerateDataKey"},
		"GetRecommendation":   {"Decrypt"},
	}
	for _, st := range r.res.Steps {
		for _, ev := range want[st.Operation] {
			found := false
			for _, c := range st.KMSCalls {
				if c.EventName == ev && c.Outcome == "ok" && !c.DryRun && (ev == "DescribeKey" || c.EncryptionContext == arn) {
					found = true
				}
			}
			if !found {
				r.miss(hint{}, "the trail has no successful %s with the recommendation's encryption context during %s", ev, st.Operation)
			}
		}
	}
}

func keyUnavailable(deletion bool) func(*runner) {
	return func(r *runner) {
		out, err := r.start("BeforeKeyChange")
		if !r.expectOK(err) {
			return
		}
		id := aws.ToString(out.RecommendationId)
		if st := r.workflow(id); st != recommendation.StatusCompleted {
			stmt, why := r.blame(r.lastStep())
			r.miss(stmt, "the workflow ended %s: %s", st, why)
			return
		}
		op := "DisableKey"
		err = r.step(op, r.principal(akAdmin), func() error {
			if deletion {
				_, err := r.admin.ScheduleKeyDeletion(r.ctx, &awskms.ScheduleKeyDeletionInput{KeyId: aws.String(r.key), PendingWindowInDays: aws.Int32(7)})
				return err
			}
			_, err := r.admin.DisableKey(r.ctx, &awskms.DisableKeyInput{KeyId: aws.String(r.key)})
			return err
		})
		if deletion {
			r.lastStep().Operation = "ScheduleKeyDeletion"
		}
		if err != nil {
			r.miss(hint{Fix: "a Deny statement of the policy refuses the simulator's administrator (" + adminSid + "), which sets the key state for this scenario"},
				"could not change the key state: %v", err)
			return
		}
		err = r.step("StartRecommendation", r.principal(akCaller), func() error {
			_, err := r.caller.StartRecommendation(r.ctx, r.startInput("AfterKeyChange"))
			return err
		})
		r.expectCode(err, recommendation.CodeValidation)
		_, err = r.get(id)
		r.expectCode(err, recommendation.CodeValidation)
		list, err := r.list()
		if r.expectOK(err) {
			r.expectNoKMS()
			if len(list.RecommendationSummaries) != 1 {
				r.miss(hint{}, "ListRecommendations returned %d recommendations, expected the 1 started before the key changed", len(list.RecommendationSummaries))
			}
		}
		if err := r.delete(id); r.expectOK(err) {
			r.expectNoKMS()
		}
	}
}

// expectNothingStored: a refused Start leaves no recommendation.
func (r *runner) expectNothingStored() {
	list, err := r.list()
	if r.expectOK(err) && len(list.RecommendationSummaries) != 0 {
		r.miss(hint{}, "a refused StartRecommendation stored %d recommendation(s)", len(list.RecommendationSummaries))
	}
}

func wrongRegion(r *runner) {
	other := "us-west-2"
	if r.opts.Region == other {
		other = "us-east-1"
	}
	foreignKey := strings.Replace(r.key, ":"+r.opts.Region+":", ":"+other+":", 1)
	err := r.step("StartRecommendation", r.principal(akCaller), func() error {
		in := r.startInput("WrongRegionRec")
		in.KmsKeyArn = aws.String(foreignKey)
		_, err := r.caller.StartRecommendation(r.ctx, in)
		return err
	})
	if r.expectCode(err, recommendation.CodeValidation) {
		r.expectNoKMS()
	}
	r.expectNothingStored()
}

func asymmetric(r *runner) {
	err := r.step("StartRecommendation", r.principal(akCaller), func() error {
		_, err := r.caller.StartRecommendation(r.ctx, r.startInput("AsymmetricRec"))
		return err
	})
	if r.expectCode(err, recommendation.CodeValidation) {
		st := r.lastStep()
		if len(st.KMSCalls) != 1 || st.KMSCalls[0].EventName != "DescribeKey" {
			r.miss(hint{}, "an asymmetric key should be refused after DescribeKey alone; the service made %d KMS call(s)", len(st.KMSCalls))
		}
	}
	r.expectNothingStored()
}

func callerDenied(r *runner) {
	err := r.step("StartRecommendation", r.principal(akUnlisted), func() error {
		_, err := r.unlisted.StartRecommendation(r.ctx, r.startInput("UnlistedRec"))
		return err
	})
	if code(err) != recommendation.CodeAccessDenied {
		r.miss(r.blameAllowed(r.lastStep(), "grant kms:DescribeKey and the crypto operations to the callers by name, not to every role of the account"),
			"a role the key policy does not name started a recommendation (%s): a statement grants kms:DescribeKey or crypto operations to more principals than the callers", code(err))
	}
	r.expectNothingStored()
}

// deputy runs the workflow's KMS calls as the service principal with the
// given source keys, as one step; the calls must be refused.
func (r *runner) deputy(label, sourceAccount, sourceArn, recARN string) {
	err := r.step("workflow ("+label+")", agentcore.ServicePrincipal, func() error {
		return r.stack.Service.ActAsDeputy(r.ctx, r.key, sourceAccount, sourceArn, recARN)
	})
	if code(err) != "AccessDeniedException" {
		advice := "scope it with StringEquals aws:SourceAccount and ArnLike aws:SourceArn on this account's recommendations"
		h := hint{Fix: advice}
		for _, c := range r.lastStep().KMSCalls {
			if c.Outcome != "ok" {
				continue
			}
			if req, err := r.fix.requestWith(c, sourceAccount, sourceArn); err == nil {
				h = r.fix.allowed(req, advice)
				break
			}
		}
		r.miss(h, "the service principal was not refused %s (%s)", label, code(err))
	}
}

func serviceDenied(r *runner) {
	part := agentcore.PartitionOf(r.opts.Region)
	own := agentcore.RecommendationARN(part, r.opts.Region, r.opts.Account, agentcore.SampleID)
	nonRec := fmt.Sprintf("arn:%s:bedrock-agentcore:%s:%s:runtime/other-AB1CD2EF3G", part, r.opts.Region, r.opts.Account)
	r.deputy("for a non-recommendation aws:SourceArn", r.opts.Account, nonRec, own)
	r.deputy("without aws:SourceArn", r.opts.Account, "", own)
}

func confusedDeputy(r *runner) {
	part := agentcore.PartitionOf(r.opts.Region)
	other := agentcore.Env{Account: r.opts.Account}.Foreign()
	foreign := agentcore.RecommendationARN(part, r.opts.Region, other, agentcore.SampleID)
	err := r.step("StartRecommendation", r.principal(akOutsider), func() error {
		_, err := r.outsider.StartRecommendation(r.ctx, r.startInput("ForeignRec"))
		return err
	})
	if code(err) != recommendation.CodeAccessDenied {
		r.miss(r.blameAllowed(r.lastStep(), "name this account's callers only"),
			"a role of account %s started a recommendation with this key (%s)", other, code(err))
	}
	r.deputy("for a recommendation of account "+other, other, foreign, foreign)
}
