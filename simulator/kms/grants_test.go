package kms_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
)

func TestGrants(t *testing.T) {
	e := newEnv(t)
	// The key policy gives the outsider nothing; a grant will.
	keyARN := e.createKey(`{"Version": "2012-10-17", "Statement": [` + adminStatement + `,
	  {"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::444455556666:role/Outsider"}, "Action": "kms:Decrypt", "Resource": "*",
	   "Condition": {"StringEquals": {"kms:EncryptionContext:tier": "restricted"}}}]}`)
	admin := e.client(akAdmin)
	outsider := e.client(akOutsider)
	id := aws.String(keyARN)

	sealFor := func(ec map[string]string) []byte {
		out, err := admin.Encrypt(e.ctx, &awskms.EncryptInput{KeyId: id, Plaintext: []byte("granted"), EncryptionContext: ec})
		wantCode(t, "Encrypt", err, "")
		return out.CiphertextBlob
	}
	teamA := map[string]string{"team": "a"}
	teamB := map[string]string{"team": "b"}
	restricted := map[string]string{"team": "a", "tier": "restricted"}
	blobA, blobB, blobR := sealFor(teamA), sealFor(teamB), sealFor(restricted)

	_, err := outsider.Decrypt(e.ctx, &awskms.DecryptInput{CiphertextBlob: blobA, EncryptionContext: teamA})
	wantCode(t, "Decrypt before the grant", err, "AccessDeniedException")

	g, err := admin.CreateGrant(e.ctx, &awskms.CreateGrantInput{
		KeyId: id, GranteePrincipal: aws.String(outsiderARN), Name: aws.String("team-a"),
		Operations:  []types.GrantOperation{types.GrantOperationDecrypt},
		Constraints: &types.GrantConstraints{EncryptionContextSubset: teamA},
	})
	wantCode(t, "CreateGrant", err, "")
	if len(*g.GrantId) != 64 || *g.GrantToken == "" {
		t.Fatalf("grant id %q token %q", *g.GrantId, *g.GrantToken)
	}
	again, err := admin.CreateGrant(e.ctx, &awskms.CreateGrantInput{
		KeyId: id, GranteePrincipal: aws.String(outsiderARN), Name: aws.String("team-a"),
		Operations:  []types.GrantOperation{types.GrantOperationDecrypt},
		Constraints: &types.GrantConstraints{EncryptionContextSubset: teamA},
	})
	wantCode(t, "CreateGrant retried", err, "")
	if *again.GrantId != *g.GrantId {
		t.Errorf("retried CreateGrant with the same name made a new grant")
	}

	_, err = outsider.Decrypt(e.ctx, &awskms.DecryptInput{CiphertextBlob: blobA, EncryptionContext: teamA})
	wantCode(t, "Decrypt within the grant (role grant, session caller)", err, "")
	_, err = outsider.Decrypt(e.ctx, &awskms.DecryptInput{CiphertextBlob: blobB, EncryptionContext: teamB})
	wantCode(t, "Decrypt outside the grant constraint", err, "AccessDeniedException")
	_, err = outsider.Decrypt(e.ctx, &awskms.DecryptInput{CiphertextBlob: blobR, EncryptionContext: restricted})
	wantCode(t, "Decrypt within the grant but explicitly denied", err, "AccessDeniedException")
	_, err = outsider.Encrypt(e.ctx, &awskms.EncryptInput{KeyId: id, Plaintext: []byte("x"), EncryptionContext: teamA})
	wantCode(t, "Encrypt, not a granted operation", err, "AccessDeniedException")

	list, err := admin.ListGrants(e.ctx, &awskms.ListGrantsInput{KeyId: id})
	wantCode(t, "ListGrants", err, "")
	if len(list.Grants) != 1 || *list.Grants[0].GranteePrincipal != outsiderARN || *list.Grants[0].KeyId != keyARN ||
		len(list.Grants[0].Operations) != 1 || list.Grants[0].Constraints.EncryptionContextSubset["team"] != "a" {
		t.Errorf("ListGrants %+v", list.Grants)
	}
	_, err = outsider.ListGrants(e.ctx, &awskms.ListGrantsInput{KeyId: id})
	wantCode(t, "outsider ListGrants", err, "AccessDeniedException")

	_, err = admin.CreateGrant(e.ctx, &awskms.CreateGrantInput{KeyId: id, GranteePrincipal: aws.String("not a principal"), Operations: []types.GrantOperation{types.GrantOperationDecrypt}})
	wantCode(t, "CreateGrant with an invalid grantee", err, "ValidationException")
	_, err = admin.CreateGrant(e.ctx, &awskms.CreateGrantInput{KeyId: id, GranteePrincipal: aws.String(outsiderARN), Operations: []types.GrantOperation{"Fly"}})
	wantCode(t, "CreateGrant with an invalid operation", err, "ValidationException")

	_, err = admin.RevokeGrant(e.ctx, &awskms.RevokeGrantInput{KeyId: id, GrantId: g.GrantId})
	wantCode(t, "RevokeGrant", err, "")
	_, err = outsider.Decrypt(e.ctx, &awskms.DecryptInput{CiphertextBlob: blobA, EncryptionContext: teamA})
	wantCode(t, "Decrypt after revocation", err, "AccessDeniedException")
	_, err = admin.RevokeGrant(e.ctx, &awskms.RevokeGrantInput{KeyId: id, GrantId: g.GrantId})
	wantCode(t, "RevokeGrant again", err, "NotFoundException")

	// CreateGrant is authorized with the grant's condition keys.
	limited := e.createKey(`{"Version": "2012-10-17", "Statement": [` + adminStatement + `,
	  {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/MyRecommendationRole"}, "Action": "kms:CreateGrant", "Resource": "*",
	   "Condition": {"ForAllValues:StringEquals": {"kms:GrantOperations": ["Encrypt", "ReEncryptTo"]}, "Bool": {"kms:GrantIsForAWSResource": "true"}}}]}`)
	grant := func(ak string, ops ...types.GrantOperation) error {
		_, err := e.client(ak).CreateGrant(e.ctx, &awskms.CreateGrantInput{KeyId: aws.String(limited), GranteePrincipal: aws.String(outsiderARN), Operations: ops})
		return err
	}
	wantCode(t, "grant Encrypt through the service", grant(akFAS, types.GrantOperationEncrypt), "")
	wantCode(t, "grant Decrypt through the service", grant(akFAS, types.GrantOperationDecrypt), "AccessDeniedException")
	wantCode(t, "grant Encrypt directly", grant(akCaller, types.GrantOperationEncrypt), "AccessDeniedException")
}
