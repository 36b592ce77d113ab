// Package scenario runs the recommendation lifecycle and its fault
// scenarios against an in-process fake KMS and fake AgentCore
// recommendation API (package recommendation) through the official AWS SDK
// clients, with a key policy under test, and audits the CloudTrail the run
// wrote. It is what `kmslint simulate` prints.
package scenario

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcore"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"

	"github.com/kmslint/kmslint/internal/agentcore"
	"github.com/kmslint/kmslint/internal/authz"
	"github.com/kmslint/kmslint/internal/generate"
	"github.com/kmslint/kmslint/internal/policy"
	"github.com/kmslint/kmslint/simulator/identity"
	"github.com/kmslint/kmslint/simulator/kms"
	"github.com/kmslint/kmslint/simulator/kms/trail"
	"github.com/kmslint/kmslint/simulator/recommendation"
)

// Options configure a run.
type Options struct {
	// Policy is the key policy under test (JSON); empty means the output of
	// `kmslint generate` for Account, Region and Caller.
	Policy []byte
	// Account and Region of the recommendations; default 111122223333 and
	// us-east-1.
	Account, Region string
	// Caller is the IAM role or user ARN that starts recommendations;
	// default arn:aws:iam::ACCOUNT:role/MyRecommendationRole.
	Caller string
	// TrailDir keeps each scenario's CloudTrail files in S3 layout under
	// TrailDir/<scenario>.
	TrailDir string
	// PolicyNode, when set, is Policy as parsed from the user's file (any
	// format lint reads), positioned in PolicyFile: fix hints then name a
	// statement by its Sid and FILE:LINE. Policy must be its JSON
	// (PolicyNode.AppendJSON), so that statements are in the same order.
	PolicyNode *policy.Node
	PolicyFile string
}

// policy is the policy under test, built from the user's tree when there
// is one, so that statements carry the positions of the user's file.
func (o *Options) policy() (*policy.Policy, error) {
	if o.PolicyNode != nil {
		p := policy.Build(o.PolicyNode, policy.BuildOptions{})
		if !p.Valid() {
			pr := p.Problems[0]
			return nil, fmt.Errorf("%s:%d:%d: %s", o.PolicyFile, pr.Pos.Line, pr.Pos.Col, pr.Message)
		}
		return p, nil
	}
	return policy.ParseKeyPolicy("key policy", o.Policy)
}

// Access keys of the identities a run uses (test values).
const (
	akCaller      = "AKIASIMCALLER0000001"
	akCallerFAS   = "AKIASIMCALLERFAS0001"
	akAdmin       = "AKIASIMADMIN00000001"
	akUnlisted    = "AKIASIMUNLISTED00001"
	akUnlistedFAS = "AKIASIMUNLISTEDFAS01"
	akOutsider    = "AKIASIMOUTSIDER00001"
	akOutsiderFAS = "AKIASIMOUTSIDERFAS01"
	akService     = "AKIASIMSERVICE000001"
	adminSid      = "KmslintSimulatorKeyAdmin"
	sessionName   = identity.DefaultSessionName
)

// DefaultAccount and DefaultRegion are those of the recommendations when
// none is given.
const (
	DefaultAccount = "111122223333"
	DefaultRegion  = "us-east-1"
)

func (o *Options) defaults() error {
	if o.Account == "" {
		o.Account = DefaultAccount
	}
	if o.Region == "" {
		o.Region = DefaultRegion
	}
	if o.Caller == "" {
		o.Caller = fmt.Sprintf("arn:%s:iam::%s:role/MyRecommendationRole", agentcore.PartitionOf(o.Region), o.Account)
	}
	p, err := authz.ParsePrincipal(o.Caller)
	if err != nil || (p.Kind != authz.IAMRole && p.Kind != authz.IAMUser) {
		return fmt.Errorf("caller %q: want an IAM role or user ARN", o.Caller)
	}
	if p.Account != o.Account {
		return fmt.Errorf("caller %q is not in account %s", o.Caller, o.Account)
	}
	if len(o.Policy) == 0 {
		b, err := generate.JSON(generate.Options{Account: o.Account, Region: o.Region, Callers: []string{o.Caller}})
		if err != nil {
			return fmt.Errorf("default key policy: %w", err)
		}
		o.Policy = b
	}
	return nil
}

// identities is the run's identity file: the caller (and its forward
// access session), a role of the account that the policy does not name, a
// role of another account (and their sessions), the service principal, and
// an administrator that sets key states up.
func identities(o *Options) (*identity.Set, error) {
	part := agentcore.PartitionOf(o.Region)
	noKMS := `'{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "bedrock-agentcore:*", "Resource": "*"}]}'`
	unlisted := fmt.Sprintf("arn:%s:iam::%s:role/UnlistedRole", part, o.Account)
	outsider := fmt.Sprintf("arn:%s:iam::%s:role/Outsider", part, agentcore.Env{Account: o.Account}.Foreign())
	y := fmt.Sprintf(`account: %q
region: %s
identities:
  - {arn: %q, accessKeyId: %s, secretAccessKey: s1}
  - {arn: %q, viaService: %s, accessKeyId: %s, secretAccessKey: s2}
  - {arn: "arn:%s:iam::%s:user/KmslintSimulatorAdmin", accessKeyId: %s, secretAccessKey: s3}
  - {arn: %q, accessKeyId: %s, secretAccessKey: s4, policies: [%s]}
  - {arn: %q, viaService: %s, accessKeyId: %s, secretAccessKey: s5, policies: [%s]}
  - {arn: %q, accessKeyId: %s, secretAccessKey: s6}
  - {arn: %q, viaService: %s, accessKeyId: %s, secretAccessKey: s7}
  - {service: %s, accessKeyId: %s, secretAccessKey: s8}
`, o.Account, o.Region,
		o.Caller, akCaller,
		o.Caller, agentcore.ServicePrincipal, akCallerFAS,
		part, o.Account, akAdmin,
		unlisted, akUnlisted, noKMS,
		unlisted, agentcore.ServicePrincipal, akUnlistedFAS, noKMS,
		outsider, akOutsider,
		outsider, agentcore.ServicePrincipal, akOutsiderFAS,
		agentcore.ServicePrincipal, akService)
	return identity.Parse("simulator identities", []byte(y))
}

// withAdmin appends a statement that lets the simulator's own administrator
// disable and schedule deletion of the key, so that fault scenarios can set
// key states whatever the policy grants. It allows nothing the workflow
// uses, and the policy under test has no Deny it could bypass: an explicit
// Deny still wins.
func withAdmin(policy []byte, adminARN string) ([]byte, error) {
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(policy))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("key policy: %w", err)
	}
	var stmts []any
	switch s := doc["Statement"].(type) {
	case []any:
		stmts = s
	case map[string]any:
		stmts = []any{s}
	default:
		return nil, errors.New("key policy: no Statement")
	}
	doc["Statement"] = append(stmts, map[string]any{
		"Sid": adminSid, "Effect": "Allow", "Principal": map[string]any{"AWS": adminARN},
		"Action":   []string{"kms:CreateKey", "kms:DescribeKey", "kms:DisableKey", "kms:ScheduleKeyDeletion"},
		"Resource": "*",
	})
	return json.Marshal(doc)
}

// world is one scenario's servers, clients and key.
type world struct {
	opts     *Options
	stack    *recommendation.Stack
	ctx      context.Context
	caller   *bedrockagentcore.Client
	unlisted *bedrockagentcore.Client
	outsider *bedrockagentcore.Client
	admin    *awskms.Client
	key      string
	ids      *identity.Set
	fix      *fixer
}

func newWorld(ctx context.Context, o *Options, name string, spec kmstypes.KeySpec) (*world, error) {
	ids, err := identities(o)
	if err != nil {
		return nil, err
	}
	kopts := kms.Options{Identities: ids}
	if o.TrailDir != "" {
		kopts.TrailDir = filepath.Join(o.TrailDir, name)
	}
	st, err := recommendation.Start(recommendation.StackOptions{KMS: kopts})
	if err != nil {
		return nil, err
	}
	w := &world{opts: o, stack: st, ctx: ctx, ids: ids}
	client := func(ak string) (*bedrockagentcore.Client, error) {
		cfg, err := st.Config(ak)
		if err != nil {
			return nil, err
		}
		return bedrockagentcore.NewFromConfig(cfg), nil
	}
	if w.caller, err = client(akCaller); err == nil {
		if w.unlisted, err = client(akUnlisted); err == nil {
			w.outsider, err = client(akOutsider)
		}
	}
	if err != nil {
		w.close()
		return nil, err
	}
	cfg, err := st.Config(akAdmin)
	if err != nil {
		w.close()
		return nil, err
	}
	w.admin = awskms.NewFromConfig(cfg)
	admin, _ := ids.Lookup(akAdmin)
	pol, err := withAdmin(o.Policy, admin.ARN)
	if err != nil {
		w.close()
		return nil, err
	}
	in := &awskms.CreateKeyInput{Policy: aws.String(string(pol)), BypassPolicyLockoutSafetyCheck: true,
		Description: aws.String("kmslint simulate " + name)}
	if spec != "" {
		in.KeySpec = spec
	}
	out, err := w.admin.CreateKey(ctx, in)
	if err != nil {
		w.close()
		return nil, fmt.Errorf("create the key with the policy under test: %w", err)
	}
	w.key = aws.ToString(out.KeyMetadata.Arn)
	if w.fix, err = newFixer(o, w.key); err != nil {
		w.close()
		return nil, err
	}
	return w, nil
}

func (w *world) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return w.stack.Shutdown(ctx)
}

func (w *world) trail() []trail.Record { return w.stack.KMS.Trail() }

// principal names an identity as CloudTrail would (session ARN, or the
// service).
func (w *world) principal(ak string) string {
	id, ok := w.ids.Lookup(ak)
	if !ok {
		return ak
	}
	if id.Kind == identity.Service {
		return id.Service
	}
	return id.SessionARN
}

func code(err error) string {
	if err == nil {
		return "ok"
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	var ke *recommendation.KMSError
	if errors.As(err, &ke) {
		return ke.Code
	}
	return "Error"
}

func message(err error) string {
	if err == nil {
		return ""
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorMessage()
	}
	return strings.TrimSpace(err.Error())
}
