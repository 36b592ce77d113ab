package kms_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
)

// The bar, through the official SDK over HTTP on 127.0.0.1.

func TestCanonicalPolicyEnforcement(t *testing.T) {
	e := newEnv(t)
	keyARN := e.createKey(withAdmin(canonicalPolicy))
	foreignRec := "arn:aws:bedrock-agentcore:us-east-1:444455556666:recommendation/Other-AB1CD2EF3G"
	otherRegionRec := "arn:aws:bedrock-agentcore:us-west-2:111122223333:recommendation/Other-AB1CD2EF3G"

	cases := []struct {
		name      string
		ak        string
		sourceArn string // service principal only
		ec        map[string]string
		want      string
	}{
		{"caller through the service, recommendation context", akFAS, "", recEC(recARN), ""},
		{"caller directly, recommendation context", akCaller, "", recEC(recARN), ""},
		{"caller without context", akFAS, "", nil, "AccessDeniedException"},
		{"caller with another account's recommendation", akFAS, "", recEC(foreignRec), "AccessDeniedException"},
		{"caller with another region's recommendation", akFAS, "", recEC(otherRegionRec), "AccessDeniedException"},
		{"caller with a colliding context key", akFAS, "", map[string]string{"aws:bedrock-agentcore:recommendationarn ": recARN}, "AccessDeniedException"},
		{"service with SourceAccount and SourceArn", akService, recARN, recEC(recARN), ""},
		{"service without SourceArn", akService, "", recEC(recARN), "AccessDeniedException"},
		{"service with a foreign SourceArn", akService, foreignRec, recEC(recARN), "AccessDeniedException"},
		{"another account", akOutsider, "", recEC(recARN), "AccessDeniedException"},
		{"same-account user not in the policy", akNoIAM, "", recEC(recARN), "AccessDeniedException"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := e.client(tc.ak)
			if tc.ak == akService {
				c = e.serviceClient(tc.sourceArn)
			}
			out, err := c.GenerateDataKey(e.ctx, gdk(keyARN, tc.ec))
			wantCode(t, "GenerateDataKey", err, tc.want)
			if tc.want != "" {
				return
			}
			if *out.KeyId != keyARN || len(out.Plaintext) != 32 {
				t.Fatalf("GenerateDataKey returned key %s and %d bytes", *out.KeyId, len(out.Plaintext))
			}
			dec, err := c.Decrypt(e.ctx, &awskms.DecryptInput{CiphertextBlob: out.CiphertextBlob, EncryptionContext: tc.ec})
			wantCode(t, "Decrypt", err, "")
			if !bytes.Equal(dec.Plaintext, out.Plaintext) || *dec.KeyId != keyARN {
				t.Fatal("Decrypt did not return the data key")
			}
		})
	}

	// The policy's DescribeKey statement: the caller may, the service may not.
	_, err := e.client(akFAS).DescribeKey(e.ctx, &awskms.DescribeKeyInput{KeyId: aws.String(keyARN)})
	wantCode(t, "caller DescribeKey", err, "")
	_, err = e.serviceClient(recARN).DescribeKey(e.ctx, &awskms.DescribeKeyInput{KeyId: aws.String(keyARN)})
	wantCode(t, "service DescribeKey", err, "AccessDeniedException")
	if m := message(err); m != "User: bedrock-agentcore.amazonaws.com is not authorized to perform: kms:DescribeKey on resource: "+keyARN+" because no resource-based policy allows the kms:DescribeKey action" {
		t.Errorf("service denial message = %q", m)
	}
	_, err = e.client(akFAS).GenerateDataKey(e.ctx, gdk(keyARN, nil))
	if m := message(err); m != "User: "+sessionARN+" is not authorized to perform: kms:GenerateDataKey on resource: "+keyARN+" because no resource-based policy allows the kms:GenerateDataKey action" {
		t.Errorf("caller denial message = %q", m)
	}
}

func TestAccessDeniedWording(t *testing.T) {
	e := newEnv(t)
	denyOutsider := `{"Version": "2012-10-17", "Statement": [` + adminStatement + `,
	  {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"},
	  {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:GenerateDataKey", "Resource": "*"},
	  {"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::444455556666:role/Outsider"}, "Action": "kms:GenerateDataKey", "Resource": "*"}]}`
	keyARN := e.createKey(denyOutsider)
	ec := map[string]string{"k": "v"}
	_, err := e.client(akOutsider).GenerateDataKey(e.ctx, gdk(keyARN, ec))
	want := "User: arn:aws:sts::444455556666:assumed-role/Outsider/kmslint is not authorized to perform: kms:GenerateDataKey on resource: " + keyARN + " with an explicit deny in a resource-based policy"
	if message(err) != want {
		t.Errorf("resource deny: %q, want %q", message(err), want)
	}
	dk, err := e.client(akAdmin).GenerateDataKey(e.ctx, gdk(keyARN, ec))
	wantCode(t, "admin GenerateDataKey", err, "")
	_, err = e.client(akDenied).Decrypt(e.ctx, &awskms.DecryptInput{CiphertextBlob: dk.CiphertextBlob, EncryptionContext: ec})
	want = "User: arn:aws:iam::111122223333:user/Denied is not authorized to perform: kms:Decrypt on resource: " + keyARN + " with an explicit deny in an identity-based policy"
	if message(err) != want {
		t.Errorf("identity deny: %q, want %q", message(err), want)
	}
	_, err = e.client(akNoIAM).Decrypt(e.ctx, &awskms.DecryptInput{CiphertextBlob: dk.CiphertextBlob, EncryptionContext: ec})
	want = "User: arn:aws:iam::111122223333:user/NoIAM is not authorized to perform: kms:Decrypt on resource: " + keyARN + " because no identity-based policy allows the kms:Decrypt action"
	if message(err) != want {
		t.Errorf("root delegation without IAM allow: %q, want %q", message(err), want)
	}
	// The Principal "*" statement allows NoIAM GenerateDataKey directly.
	_, err = e.client(akNoIAM).GenerateDataKey(e.ctx, gdk(keyARN, ec))
	wantCode(t, "NoIAM GenerateDataKey via Principal *", err, "")
	rec := e.lastRecord()
	if rec.ErrorCode != "" || rec.UserIdentity.Type != "IAMUser" || rec.UserIdentity.UserName != "NoIAM" {
		t.Errorf("record: %+v", rec.UserIdentity)
	}
}

func TestCrossAccount(t *testing.T) {
	e := newEnv(t)
	owned := e.createKey("")
	_, err := e.client(akOutsider).DescribeKey(e.ctx, &awskms.DescribeKeyInput{KeyId: aws.String(owned)})
	wantCode(t, "outsider DescribeKey on the default policy", err, "AccessDeniedException")

	shared := e.createKey(`{"Version": "2012-10-17", "Statement": [` + adminStatement + `,
	  {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey", "kms:GetKeyPolicy"], "Resource": "*"}]}`)
	out, err := e.client(akOutsider).Encrypt(e.ctx, &awskms.EncryptInput{KeyId: aws.String(shared), Plaintext: []byte("hello")})
	wantCode(t, "outsider Encrypt with the key ARN", err, "")
	_, err = e.client(akOutsider).Decrypt(e.ctx, &awskms.DecryptInput{CiphertextBlob: out.CiphertextBlob})
	wantCode(t, "outsider Decrypt", err, "")
	// A bare key id refers to the caller's own account.
	bare := shared[strings.LastIndex(shared, "/")+1:]
	_, err = e.client(akOutsider).DescribeKey(e.ctx, &awskms.DescribeKeyInput{KeyId: aws.String(bare)})
	wantCode(t, "outsider DescribeKey by bare id", err, "NotFoundException")
	// GetKeyPolicy has no cross-account use.
	_, err = e.client(akOutsider).GetKeyPolicy(e.ctx, &awskms.GetKeyPolicyInput{KeyId: aws.String(shared)})
	wantCode(t, "outsider GetKeyPolicy", err, "NotFoundException")
	rec := e.srv.Trail()
	var found bool
	for _, r := range rec {
		if r.EventName == "Encrypt" && r.UserIdentity.AccountID == otherAccount {
			found = true
			if r.RecipientAccountID != account || len(r.Resources) != 1 || r.Resources[0].ARN != shared {
				t.Errorf("cross-account record: recipient %s resources %+v", r.RecipientAccountID, r.Resources)
			}
		}
	}
	if !found {
		t.Error("no Encrypt record of the outsider")
	}
}

func TestSigV4(t *testing.T) {
	e := newEnv(t)
	keyARN := e.createKey("")
	before := len(e.srv.Trail())

	wrongSecret := e.client(akAdmin, func(o *awskms.Options) {
		o.Credentials = aws.CredentialsProviderFunc(func(ctxt context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: akAdmin, SecretAccessKey: "not-the-secret"}, nil
		})
	})
	_, err := wrongSecret.DescribeKey(e.ctx, &awskms.DescribeKeyInput{KeyId: aws.String(keyARN)})
	wantCode(t, "wrong secret", err, "InvalidSignatureException")

	unknown := e.client(akAdmin, func(o *awskms.Options) {
		o.Credentials = aws.CredentialsProviderFunc(func(ctxt context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIAUNKNOWNKEY000000", SecretAccessKey: "x"}, nil
		})
	})
	_, err = unknown.DescribeKey(e.ctx, &awskms.DescribeKeyInput{KeyId: aws.String(keyARN)})
	wantCode(t, "unknown access key", err, "UnrecognizedClientException")

	wrongRegion := e.client(akAdmin, func(o *awskms.Options) { o.Region = "eu-west-1" })
	_, err = wrongRegion.DescribeKey(e.ctx, &awskms.DescribeKeyInput{KeyId: aws.String(keyARN)})
	wantCode(t, "wrong region in scope", err, "InvalidSignatureException")

	if n := len(e.srv.Trail()); n != before {
		t.Errorf("failed authentications were logged: %d new records", n-before)
	}
}
