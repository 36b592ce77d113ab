package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/kmslint/kmslint/internal/generate"
	"github.com/kmslint/kmslint/simulator/kms"
)

const (
	lkAccount = "111122223333"
	lkCaller  = "arn:aws:iam::111122223333:role/MyRecommendationRole"
)

// liveFixture is a fake KMS with one key per case of issue 7, created
// through the official SDK as the caller.
type liveFixture struct {
	srv  *kms.Server
	keys map[string]string // case -> key ARN
}

// goodPolicy is generate's policy with the account root as administrator:
// the caller reads the key through root delegation (its IAM allows all).
func goodPolicy(t *testing.T) map[string]any {
	t.Helper()
	b, err := generate.JSON(generate.Options{Account: lkAccount, Region: "us-east-1", Callers: []string{lkCaller}})
	if err != nil {
		t.Fatal(err)
	}
	var p map[string]any
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func withoutSid(p map[string]any, sid string) map[string]any {
	var kept []any
	for _, s := range p["Statement"].([]any) {
		if s.(map[string]any)["Sid"] != sid {
			kept = append(kept, s)
		}
	}
	p["Statement"] = kept
	return p
}

func withStatement(p map[string]any, st map[string]any) map[string]any {
	p["Statement"] = append(p["Statement"].([]any), st)
	return p
}

func policyText(t *testing.T, p map[string]any) string {
	t.Helper()
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func newLiveFixture(t *testing.T) *liveFixture {
	t.Helper()
	srv, err := kms.Start(kms.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	client, err := srv.Client("AKIAEXAMPLECALLER001")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	fx := &liveFixture{srv: srv, keys: map[string]string{}}
	create := func(name string, in *awskms.CreateKeyInput) string {
		t.Helper()
		out, err := client.CreateKey(ctx, in)
		if err != nil {
			t.Fatalf("create %s key: %v", name, err)
		}
		arn := aws.ToString(out.KeyMetadata.Arn)
		fx.keys[name] = arn
		return arn
	}
	good := create("good", &awskms.CreateKeyInput{Policy: aws.String(policyText(t, goodPolicy(t)))})
	if _, err := client.CreateAlias(ctx, &awskms.CreateAliasInput{AliasName: aws.String("alias/recommendations"), TargetKeyId: aws.String(good)}); err != nil {
		t.Fatal(err)
	}
	create("rsa", &awskms.CreateKeyInput{Policy: aws.String(policyText(t, goodPolicy(t))), KeySpec: types.KeySpecRsa2048, KeyUsage: types.KeyUsageTypeEncryptDecrypt})
	disabled := create("disabled", &awskms.CreateKeyInput{Policy: aws.String(policyText(t, goodPolicy(t)))})
	if _, err := client.DisableKey(ctx, &awskms.DisableKeyInput{KeyId: aws.String(disabled)}); err != nil {
		t.Fatal(err)
	}
	noService := create("noservice", &awskms.CreateKeyInput{Policy: aws.String(policyText(t, withoutSid(goodPolicy(t), "AllowServicePrincipalAccess")))})
	// A grant gives the service what the key policy does not: reported in
	// the ACR005 finding, which checks the key policy only.
	if _, err := client.CreateGrant(ctx, &awskms.CreateGrantInput{
		KeyId: aws.String(noService), GranteeServicePrincipal: aws.String("bedrock-agentcore.amazonaws.com"),
		Operations: []types.GrantOperation{types.GrantOperationDecrypt, types.GrantOperationGenerateDataKey}, Name: aws.String("service-grant"),
	}); err != nil {
		t.Fatal(err)
	}
	deny := func(action string) map[string]any {
		return map[string]any{"Sid": "Hide" + action, "Effect": "Deny", "Principal": map[string]any{"AWS": lkCaller}, "Action": "kms:" + action, "Resource": "*"}
	}
	create("hidepolicy", &awskms.CreateKeyInput{Policy: aws.String(policyText(t, withStatement(goodPolicy(t), deny("GetKeyPolicy"))))})
	create("hidekey", &awskms.CreateKeyInput{Policy: aws.String(policyText(t, withStatement(goodPolicy(t), deny("DescribeKey"))))})
	create("hidegrants", &awskms.CreateKeyInput{Policy: aws.String(policyText(t, withStatement(goodPolicy(t), deny("ListGrants"))))})
	return fx
}

// liveEnv is an environment with the caller's credentials and no shared
// config, so that the developer's ~/.aws never leaks into a test.
func liveEnv(t *testing.T, extra map[string]string) map[string]string {
	t.Helper()
	dir := t.TempDir()
	m := map[string]string{
		"AWS_ACCESS_KEY_ID":           "AKIAEXAMPLECALLER001",
		"AWS_SECRET_ACCESS_KEY":       "caller-secret",
		"AWS_CONFIG_FILE":             filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED":   "true",
	}
	for k, v := range extra {
		if v == "" {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	return m
}

func runLive(t *testing.T, vars map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(append([]string{"kmslint"}, args...), env{
		stdin: strings.NewReader(""), stdout: &out, stderr: &errb,
		getenv: func(k string) string { return vars[k] },
	})
	return code, out.String(), errb.String()
}

func TestLintLiveKey(t *testing.T) {
	fx := newLiveFixture(t)
	ep := fx.srv.Endpoint()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadEndpoint := "http://" + closed.Addr().String()
	closed.Close()

	tests := []struct {
		name     string
		key      string // case name, or a literal reference
		args     []string
		vars     map[string]string
		wantCode int
		wantOut  []string
		notOut   []string
		wantErr  []string
	}{
		{name: "good key passes", key: "good", wantCode: 0, wantOut: []string{"no problems found"}},
		{name: "alias in the configured region", key: "alias/recommendations", vars: map[string]string{"AWS_REGION": "us-east-1"}, wantCode: 0},
		{name: "key id in --region when nothing is configured", key: "id:good", args: []string{"--region", "us-east-1"}, wantCode: 0},
		{name: "RSA key", key: "rsa", wantCode: 1, wantOut: []string{"ACR009", "RSA_2048"}},
		{name: "disabled key", key: "disabled", wantCode: 1, wantOut: []string{"ACR011", "Disabled"}, notOut: []string{"ACR009"}},
		{name: "other region", key: "good", args: []string{"--region", "eu-west-1"}, wantCode: 1, wantOut: []string{"ACR010", "eu-west-1"}},
		{name: "no service statement, grant named", key: "noservice", wantCode: 1, wantOut: []string{"ACR005", "service-grant", "bedrock-agentcore.amazonaws.com kms:Decrypt"}},
		{name: "grants are notes with -v", key: "noservice", args: []string{"-v"}, wantCode: 1, wantErr: []string{"note: grant", "(service-grant) gives bedrock-agentcore.amazonaws.com", "grants add to the key policy"}},
		{name: "GetKeyPolicy hidden", key: "hidepolicy", wantCode: 2, wantErr: []string{"kms:GetKeyPolicy", "assumed-role/MyRecommendationRole"}},
		{name: "DescribeKey hidden", key: "hidekey", wantCode: 2, wantErr: []string{"kms:DescribeKey", "assumed-role/MyRecommendationRole"}},
		{name: "ListGrants hidden is only a note", key: "hidegrants", args: []string{"-v"}, wantCode: 0, wantErr: []string{"grants not checked", "kms:ListGrants"}},
		{name: "key not found", key: "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000000", wantCode: 2, wantErr: []string{"not found"}},
		{name: "no credentials", key: "good", vars: map[string]string{"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""}, wantCode: 2, wantErr: []string{"no AWS credentials found"}},
		{name: "unknown access key", key: "good", vars: map[string]string{"AWS_ACCESS_KEY_ID": "AKIANOBODYATALL0000"}, wantCode: 2, wantErr: []string{"rejected the AWS credentials"}},
		{name: "missing aws profile", key: "good", args: []string{"--aws-profile", "nosuch"}, wantCode: 2, wantErr: []string{`profile "nosuch" not found`}},
		{name: "endpoint unreachable", key: "good", args: []string{"--endpoint-url", deadEndpoint}, wantCode: 2, wantErr: []string{"cannot reach " + deadEndpoint, "refused"}},
		{name: "not a KMS ARN", key: "arn:aws:s3:::bucket", wantCode: 2, wantErr: []string{"want arn:PARTITION:kms:"}},
		{name: "key id without region", key: "id:good", wantCode: 2, wantErr: []string{"no AWS region is configured"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key := tc.key
			if arn, ok := fx.keys[key]; ok {
				key = arn
			} else if c, ok := strings.CutPrefix(key, "id:"); ok {
				key = fx.keys[c][strings.LastIndex(fx.keys[c], "/")+1:]
			}
			args := append([]string{"lint", "--key-arn", key}, tc.args...)
			if !hasArg(tc.args, "--endpoint-url") {
				args = append(args, "--endpoint-url", ep)
			}
			code, out, errOut := runLive(t, liveEnv(t, tc.vars), args...)
			t.Logf("stdout:\n%s\nstderr:\n%s", out, errOut)
			if code != tc.wantCode {
				t.Fatalf("exit = %d, want %d\nstdout: %s\nstderr: %s", code, tc.wantCode, out, errOut)
			}
			for _, w := range tc.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tc.notOut {
				if strings.Contains(out, w) {
					t.Errorf("stdout has %q:\n%s", w, out)
				}
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
			if code == 2 && (!strings.HasPrefix(errOut, "kmslint: error: ") || strings.Count(errOut, "\n") != 1) {
				t.Errorf("stderr is not one `kmslint: error:` line: %q", errOut)
			}
		})
	}
}

func hasArg(args []string, a string) bool {
	for _, x := range args {
		if x == a {
			return true
		}
	}
	return false
}

// The JSON report names the key ARN as file and resource, and positions
// point into the policy text GetKeyPolicy returned.
func TestLintLiveKeyJSON(t *testing.T) {
	fx := newLiveFixture(t)
	arn := fx.keys["noservice"]
	code, out, errOut := runLive(t, liveEnv(t, nil), "lint", "--key-arn", arn, "--endpoint-url", fx.srv.Endpoint(), "--format", "json")
	if code != 1 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep struct {
		Findings []struct {
			Rule, File, Resource string
			Line                 int
		}
		Summary struct{ Policies int }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if rep.Summary.Policies != 1 || len(rep.Findings) == 0 {
		t.Fatalf("report: %+v", rep)
	}
	for _, f := range rep.Findings {
		if f.File != arn || f.Resource != arn || f.Line < 1 {
			t.Errorf("finding %s at %s:%d resource %s, want the key ARN and a line", f.Rule, f.File, f.Line, f.Resource)
		}
	}
}

// Files and live keys lint in one run; --profile stays the requirement
// profile.
func TestLintLiveKeyWithFiles(t *testing.T) {
	fx := newLiveFixture(t)
	code, out, errOut := runLive(t, liveEnv(t, nil), "lint", "--profile", "none", "--key-arn", fx.keys["rsa"], "--endpoint-url", fx.srv.Endpoint(), canonicalPath)
	if code != 0 {
		t.Fatalf("hygiene-only run of an RSA key and the canonical policy: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "2 policies") {
		t.Errorf("summary does not count the file and the key:\n%s", out)
	}
}
