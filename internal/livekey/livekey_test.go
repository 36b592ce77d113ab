package livekey

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/kmslint/kmslint/simulator/kms"
)

const rootPolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Root",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
      "Action": "kms:*",
      "Resource": "*"
    }
  ]
}`

// startKMS starts the fake KMS with one key created by the caller through
// the official SDK, with grants grants to a worker role, and returns its
// ARN.
func startKMS(t testing.TB, grants int) (*kms.Server, string) {
	t.Helper()
	srv, err := kms.Start(kms.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	c, err := srv.Client("AKIAEXAMPLECALLER001")
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.CreateKey(context.Background(), &awskms.CreateKeyInput{Policy: aws.String(rootPolicy)})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(out.KeyMetadata.Arn)
	for i := 0; i < grants; i++ {
		if _, err := c.CreateGrant(context.Background(), &awskms.CreateGrantInput{
			KeyId: aws.String(arn), GranteePrincipal: aws.String("arn:aws:iam::111122223333:role/Worker"),
			Operations: []types.GrantOperation{types.GrantOperationDecrypt}, Name: aws.String(fmt.Sprintf("g%d", i)),
		}); err != nil {
			t.Fatal(err)
		}
	}
	return srv, arn
}

// env is an isolated environment: the given variables and empty shared
// config files, so that the developer's ~/.aws never leaks in.
func env(t testing.TB, vars map[string]string) func(string) string {
	t.Helper()
	dir := t.TempDir()
	m := map[string]string{
		"AWS_CONFIG_FILE":             filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED":   "true",
	}
	for k, v := range vars {
		m[k] = v
	}
	return func(k string) string { return m[k] }
}

var callerVars = map[string]string{"AWS_ACCESS_KEY_ID": "AKIAEXAMPLECALLER001", "AWS_SECRET_ACCESS_KEY": "caller-secret"}

func TestFetch(t *testing.T) {
	// More grants than one ListGrants page (50 by default) holds.
	const grants = 60
	srv, arn := startKMS(t, grants)
	ctx := context.Background()
	f, err := New(ctx, Options{EndpointURL: srv.Endpoint(), Getenv: env(t, callerVars)})
	if err != nil {
		t.Fatal(err)
	}
	k, err := f.Fetch(ctx, arn)
	if err != nil {
		t.Fatal(err)
	}
	if k.ARN != arn || k.Region != "us-east-1" || k.Account != "111122223333" || k.KeySpec != "SYMMETRIC_DEFAULT" ||
		k.KeyUsage != "ENCRYPT_DECRYPT" || k.KeyState != "Enabled" || k.Policy != rootPolicy {
		t.Errorf("key = %+v", k)
	}
	if len(k.Grants) != grants || k.GrantsNote != "" {
		t.Fatalf("grants = %+v (%s)", k.Grants, k.GrantsNote)
	}
	if got := k.GrantsFor("arn:aws:sts::111122223333:assumed-role/Worker/s1", "kms:Decrypt"); len(got) != grants {
		t.Errorf("session of the grantee role: %d grants, want %d", len(got), grants)
	}
	doc, err := k.Document()
	if err != nil {
		t.Fatal(err)
	}
	if doc.File != arn || doc.Resource != arn || doc.Size == 0 || doc.Size >= len(rootPolicy) {
		t.Errorf("document %s %s size %d", doc.File, doc.Resource, doc.Size)
	}
	if lk := k.LiveKey(); lk.ARN != arn || lk.Region != "us-east-1" || lk.KeyState != "Enabled" {
		t.Errorf("live key %+v", lk)
	}
}

func TestProfiles(t *testing.T) {
	srv, arn := startKMS(t, 1)
	ctx := context.Background()
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "config")
	if err := os.WriteFile(cfgFile, []byte("[profile outsider]\naws_access_key_id = AKIAEXAMPLEOUTSIDER1\naws_secret_access_key = outsider-secret\nregion = us-east-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"AWS_CONFIG_FILE": cfgFile}
	for k, v := range callerVars {
		vars[k] = v
	}
	getenv := env(t, vars)

	// --aws-profile wins over credentials in the environment: the
	// outsider is denied, and named.
	f, err := New(ctx, Options{Profile: "outsider", EndpointURL: srv.Endpoint(), Getenv: getenv})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Fetch(ctx, arn)
	var e *Error
	if !errors.As(err, &e) || e.Kind != AccessDenied || e.Permission != "kms:DescribeKey" || !strings.Contains(e.Identity, "Outsider") {
		t.Fatalf("with --aws-profile outsider: %v", err)
	}

	// AWS_PROFILE does not beat environment credentials (the SDK's order),
	// but its region resolves a bare key id.
	vars["AWS_PROFILE"] = "outsider"
	f, err = New(ctx, Options{EndpointURL: srv.Endpoint(), Getenv: env(t, vars)})
	if err != nil {
		t.Fatal(err)
	}
	if f.Region() != "us-east-1" {
		t.Errorf("region %q, want the profile's us-east-1", f.Region())
	}
	if _, err := f.Fetch(ctx, arn[strings.LastIndex(arn, "/")+1:]); err != nil {
		t.Fatalf("with AWS_PROFILE and env credentials: %v", err)
	}
}

func TestErrorsAreClassified(t *testing.T) {
	srv, arn := startKMS(t, 1)
	ctx := context.Background()
	tests := []struct {
		name string
		vars map[string]string
		ref  string
		kind Kind
		want string
	}{
		{"not found", callerVars, strings.Replace(arn, arn[len(arn)-4:], "0000", 1), NotFound, "not found"},
		{"alias not found", callerVars, "arn:aws:kms:us-east-1:111122223333:alias/none", NotFound, "alias/none"},
		{"bad secret", map[string]string{"AWS_ACCESS_KEY_ID": "AKIAEXAMPLECALLER001", "AWS_SECRET_ACCESS_KEY": "wrong"}, arn, NoCredentials, "rejected the AWS credentials"},
		{"unknown access key", map[string]string{"AWS_ACCESS_KEY_ID": "AKIANOBODY000000000", "AWS_SECRET_ACCESS_KEY": "x"}, arn, NoCredentials, "rejected the AWS credentials"},
		{"another region", callerVars, strings.Replace(arn, "us-east-1", "eu-west-1", 1), API, "does not serve eu-west-1"},
		{"malformed", callerVars, "arn:aws:kms:us-east-1", Invalid, "want arn:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := New(ctx, Options{EndpointURL: srv.Endpoint(), Getenv: env(t, tc.vars)})
			if err != nil {
				t.Fatal(err)
			}
			_, err = f.Fetch(ctx, tc.ref)
			var e *Error
			if !errors.As(err, &e) || e.Kind != tc.kind || !strings.Contains(e.Msg, tc.want) || strings.Contains(e.Msg, "\n") {
				t.Fatalf("err = %#v, want kind %d with %q on one line", err, tc.kind, tc.want)
			}
		})
	}
}

func TestNoCredentials(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_PROFILE", "")
	_, err := New(context.Background(), Options{Getenv: env(t, nil)})
	var e *Error
	if !errors.As(err, &e) || e.Kind != NoCredentials || !strings.Contains(e.Msg, "AWS_ACCESS_KEY_ID") {
		t.Fatalf("err = %v", err)
	}
}

func TestGrantsFor(t *testing.T) {
	k := &Key{Grants: []Grant{
		{ID: "role", Grantee: "arn:aws:iam::111122223333:role/R", Operations: []string{"Decrypt", "GenerateDataKey"}},
		{ID: "svc", Grantee: "bedrock-agentcore.amazonaws.com", Operations: []string{"Decrypt"}},
		{ID: "root", Grantee: "arn:aws:iam::444455556666:root", Operations: []string{"Encrypt"}},
	}}
	tests := []struct {
		principal, action string
		want              []string
	}{
		{"arn:aws:sts::111122223333:assumed-role/R/session", "kms:GenerateDataKey", []string{"role"}},
		{"arn:aws:iam::111122223333:role/R", "kms:Decrypt", []string{"role"}},
		{"arn:aws:iam::111122223333:role/R", "kms:Encrypt", nil},
		{"arn:aws:iam::111122223333:role/Other", "kms:Decrypt", nil},
		{"service:bedrock-agentcore.amazonaws.com", "kms:Decrypt", []string{"svc"}},
		{"service:bedrock-agentcore.amazonaws.com", "kms:GenerateDataKey", nil},
		{"arn:aws:iam::444455556666:user/U", "kms:Encrypt", []string{"root"}},
		{"not a principal", "kms:Decrypt", nil},
	}
	for _, tc := range tests {
		var got []string
		for _, g := range k.GrantsFor(tc.principal, tc.action) {
			got = append(got, g.ID)
		}
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("GrantsFor(%s, %s) = %v, want %v", tc.principal, tc.action, got, tc.want)
		}
	}
}

func TestGrantString(t *testing.T) {
	tests := []struct {
		g    Grant
		want string
	}{
		{Grant{ID: "1", Name: "n", Grantee: "P", Operations: []string{"Decrypt"}}, "grant 1 (n) gives P kms:Decrypt with any encryption context"},
		{Grant{ID: "2", Grantee: "P", Operations: []string{"Decrypt", "Encrypt"}, EncryptionContextSubset: map[string]string{"b": "2", "a": "1"}}, "grant 2 gives P kms:Decrypt, kms:Encrypt when the encryption context includes {a=1, b=2}"},
		{Grant{ID: "3", Grantee: "P", Operations: []string{"Decrypt"}, EncryptionContextEquals: map[string]string{"k": "v"}}, "grant 3 gives P kms:Decrypt when the encryption context equals {k=v}"},
	}
	for _, tc := range tests {
		if got := tc.g.String(); got != tc.want {
			t.Errorf("got  %q\nwant %q", got, tc.want)
		}
	}
}

// A key reference from the command line never panics, and an accepted
// ARN always names a region to send the call to.
func FuzzRegionOf(f *testing.F) {
	for _, s := range []string{
		"arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
		"arn:aws:kms:eu-west-1:111122223333:alias/x", "alias/x", "1234abcd", "arn:aws:s3:::b", "arn:::::", "arn:aws:kms::1:key/x", "",
	} {
		f.Add(s)
	}
	fe := &Fetcher{}
	f.Fuzz(func(t *testing.T, ref string) {
		r, err := fe.regionOf(ref)
		if err == nil && r == "" {
			t.Fatalf("%q: accepted without a region", ref)
		}
		if err == nil && !strings.HasPrefix(ref, "arn:") {
			t.Fatalf("%q: a bare id was resolved without a configured region", ref)
		}
	})
}

func BenchmarkFetch(b *testing.B) {
	srv, arn := startKMS(b, 3)
	ctx := context.Background()
	f, err := New(ctx, Options{EndpointURL: srv.Endpoint(), Getenv: env(b, callerVars)})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := f.Fetch(ctx, arn); err != nil {
			b.Fatal(err)
		}
	}
}
