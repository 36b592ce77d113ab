package kms_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/kmslint/kmslint/simulator/identity"
	"github.com/kmslint/kmslint/simulator/kms"
	"github.com/kmslint/kmslint/simulator/kms/trail"
)

const (
	account      = "111122223333"
	otherAccount = "444455556666"
	region       = "us-east-1"

	// Access keys of testIdentities.
	akCaller   = "AKIAEXAMPLECALLER001" // role MyRecommendationRole, direct
	akOutsider = "AKIAEXAMPLEOUTSIDER1" // role Outsider in another account
	akService  = "AKIAEXAMPLESERVICE01" // bedrock-agentcore.amazonaws.com
	akFAS      = "AKIAEXAMPLEFASCALLER" // MyRecommendationRole through the service
	akAdmin    = "AKIAEXAMPLEADMIN0001" // IAM user Admin, IAM allows all
	akDenied   = "AKIAEXAMPLEDENIED001" // IAM user Denied: IAM denies kms:Decrypt
	akNoIAM    = "AKIAEXAMPLENOIAM0001" // IAM user NoIAM: IAM allows only DescribeKey

	roleARN     = "arn:aws:iam::111122223333:role/MyRecommendationRole"
	sessionARN  = "arn:aws:sts::111122223333:assumed-role/MyRecommendationRole/kmslint"
	outsiderARN = "arn:aws:iam::444455556666:role/Outsider"
	service     = "bedrock-agentcore.amazonaws.com"
	recARN      = "arn:aws:bedrock-agentcore:us-east-1:111122223333:recommendation/MyPromptRec-AB1CD2EF3G"
	ecKey       = "aws:bedrock-agentcore:recommendationArn"
)

// testIdentities is the CONTRACT's default set plus users for admin and
// IAM-policy cases.
const testIdentities = identity.DefaultYAML + `  - arn: arn:aws:iam::111122223333:user/Admin
    accessKeyId: AKIAEXAMPLEADMIN0001
    secretAccessKey: admin-secret
  - arn: arn:aws:iam::111122223333:user/Denied
    accessKeyId: AKIAEXAMPLEDENIED001
    secretAccessKey: denied-secret
    policies:
      - {"Version": "2012-10-17", "Statement": [
          {"Effect": "Allow", "Action": "kms:*", "Resource": "*"},
          {"Effect": "Deny", "Action": "kms:Decrypt", "Resource": "*"}]}
  - arn: arn:aws:iam::111122223333:user/NoIAM
    accessKeyId: AKIAEXAMPLENOIAM0001
    secretAccessKey: noiam-secret
    policies:
      - '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:DescribeKey", "Resource": "*"}]}'
`

// canonicalPolicy is the seed document's key policy.
const canonicalPolicy = `{ "Version": "2012-10-17", "Statement": [
 { "Sid": "AllowCallerAccess", "Effect": "Allow",
   "Principal": { "AWS": "arn:aws:iam::111122223333:role/MyRecommendationRole" },
   "Action": "kms:DescribeKey", "Resource": "*" },
 { "Sid": "AllowCallerCryptoOps", "Effect": "Allow",
   "Principal": { "AWS": "arn:aws:iam::111122223333:role/MyRecommendationRole" },
   "Action": [ "kms:GenerateDataKey", "kms:Decrypt" ], "Resource": "*",
   "Condition": { "StringLike": { "kms:EncryptionContext:aws:bedrock-agentcore:recommendationArn": "arn:aws:bedrock-agentcore:us-east-1:111122223333:recommendation/*" } } },
 { "Sid": "AllowServicePrincipalAccess", "Effect": "Allow",
   "Principal": { "Service": "bedrock-agentcore.amazonaws.com" },
   "Action": [ "kms:GenerateDataKey", "kms:Decrypt" ], "Resource": "*",
   "Condition": { "StringEquals": { "aws:SourceAccount": "111122223333" },
                  "ArnLike": { "aws:SourceArn": "arn:aws:bedrock-agentcore:us-east-1:111122223333:recommendation/*" } } } ] }`

// adminStatement lets the Admin user manage the key, so that test keys pass
// the lockout check.
const adminStatement = `{"Sid": "Admin", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/Admin"}, "Action": "kms:*", "Resource": "*"}`

// withAdmin adds adminStatement to a policy document.
func withAdmin(policy string) string {
	i := strings.Index(policy, "[")
	return policy[:i+1] + adminStatement + "," + policy[i+1:]
}

type env struct {
	t   *testing.T
	srv *kms.Server
	ctx context.Context
}

func newEnv(t *testing.T, mod ...func(*kms.Options)) *env {
	t.Helper()
	ids, err := identity.Parse("test identities", []byte(testIdentities))
	if err != nil {
		t.Fatalf("identities: %v", err)
	}
	opts := kms.Options{Identities: ids}
	for _, m := range mod {
		m(&opts)
	}
	srv, err := kms.Start(opts)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return &env{t: t, srv: srv, ctx: context.Background()}
}

// client returns an SDK client for an identity. Retries are off so that
// every SDK call is exactly one request.
func (e *env) client(ak string, optFns ...func(*awskms.Options)) *awskms.Client {
	e.t.Helper()
	optFns = append([]func(*awskms.Options){func(o *awskms.Options) { o.Retryer = aws.NopRetryer{} }}, optFns...)
	c, err := e.srv.Client(ak, optFns...)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// serviceClient is the service principal's client; sourceArn, when not
// empty, is sent as aws:SourceArn in X-Kmslint-Context.
func (e *env) serviceClient(sourceArn string) *awskms.Client {
	if sourceArn == "" {
		return e.client(akService)
	}
	return e.client(akService, withContextHeader(`{"aws:SourceArn": "`+sourceArn+`"}`))
}

func withContextHeader(v string) func(*awskms.Options) {
	return func(o *awskms.Options) {
		o.APIOptions = append(o.APIOptions, smithyhttp.AddHeaderValue(kms.ContextHeader, v))
	}
}

// createKey creates a key as Admin with the given policy (default policy
// when empty) and returns its ARN.
func (e *env) createKey(policy string, mod ...func(*awskms.CreateKeyInput)) string {
	e.t.Helper()
	in := &awskms.CreateKeyInput{}
	if policy != "" {
		in.Policy = aws.String(policy)
	}
	for _, m := range mod {
		m(in)
	}
	out, err := e.client(akAdmin).CreateKey(e.ctx, in)
	if err != nil {
		e.t.Fatalf("CreateKey: %v", err)
	}
	return *out.KeyMetadata.Arn
}

func code(err error) string {
	if err == nil {
		return ""
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return "non-API error: " + err.Error()
}

func message(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorMessage()
	}
	return ""
}

// wantCode fails unless err has the AWS error code want ("" for success).
func wantCode(t *testing.T, what string, err error, want string) {
	t.Helper()
	if got := code(err); got != want {
		if want == "" {
			t.Fatalf("%s: unexpected error %v", what, err)
		}
		t.Fatalf("%s: error %q (%v), want %s", what, got, err, want)
	}
}

func recEC(arn string) map[string]string { return map[string]string{ecKey: arn} }

func gdk(keyID string, ec map[string]string) *awskms.GenerateDataKeyInput {
	return &awskms.GenerateDataKeyInput{KeyId: aws.String(keyID), KeySpec: types.DataKeySpecAes256, EncryptionContext: ec}
}

// lastRecord returns the newest trail record.
func (e *env) lastRecord() trail.Record {
	e.t.Helper()
	recs := e.srv.Trail()
	if len(recs) == 0 {
		e.t.Fatal("trail is empty")
	}
	return recs[len(recs)-1]
}
