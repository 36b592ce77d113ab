package kms_test

import (
	"bytes"
	"context"
	"testing"

	mpl "github.com/aws/aws-cryptographic-material-providers-library/releases/go/mpl/awscryptographymaterialproviderssmithygenerated"
	mpltypes "github.com/aws/aws-cryptographic-material-providers-library/releases/go/mpl/awscryptographymaterialproviderssmithygeneratedtypes"
	esdk "github.com/aws/aws-encryption-sdk/releases/go/encryption-sdk/awscryptographyencryptionsdksmithygenerated"
	esdktypes "github.com/aws/aws-encryption-sdk/releases/go/encryption-sdk/awscryptographyencryptionsdksmithygeneratedtypes"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
)

// The AWS Encryption SDK for Go, unmodified, through its AWS KMS keyring
// with an SDK kms.Client pointed at the simulator: what AgentCore does to
// encrypt a recommendation.
func TestEncryptionSDK(t *testing.T) {
	e := newEnv(t)
	keyARN := e.createKey(withAdmin(canonicalPolicy))
	ctx := context.Background()

	matProv, err := mpl.NewClient(mpltypes.MaterialProvidersConfig{})
	if err != nil {
		t.Fatal(err)
	}
	keyring := func(ak string) mpltypes.IKeyring { return mustKeyring(t, matProv, e.client(ak), keyARN) }
	// The default configuration requires key commitment on encrypt and
	// decrypt.
	client, err := esdk.NewClient(esdktypes.AwsEncryptionSdkConfig{})
	if err != nil {
		t.Fatal(err)
	}
	ec := recEC(recARN)
	plaintext := []byte(`{"recommendation": "configuration"}`)

	enc, err := client.Encrypt(ctx, esdktypes.EncryptInput{Plaintext: plaintext, EncryptionContext: ec, Keyring: keyring(akFAS)})
	if err != nil {
		t.Fatalf("Encrypt through the caller's forward access session: %v", err)
	}
	if enc.AlgorithmSuiteId != mpltypes.ESDKAlgorithmSuiteIdAlgAes256GcmHkdfSha512CommitKeyEcdsaP384 {
		t.Errorf("algorithm suite %s is not the committing default", enc.AlgorithmSuiteId)
	}
	if bytes.Contains(enc.Ciphertext, plaintext) {
		t.Fatal("ciphertext contains the plaintext")
	}

	// The service principal decrypts in the workflow, with SourceArn.
	svc := mustKeyring(t, matProv, e.serviceClient(recARN), keyARN)
	dec, err := client.Decrypt(ctx, esdktypes.DecryptInput{Ciphertext: enc.Ciphertext, EncryptionContext: ec, Keyring: svc})
	if err != nil {
		t.Fatalf("Decrypt as the service principal: %v", err)
	}
	if !bytes.Equal(dec.Plaintext, plaintext) || dec.AlgorithmSuiteId != enc.AlgorithmSuiteId || dec.EncryptionContext[ecKey] != recARN {
		t.Fatalf("Decrypt returned %q suite %s context %v", dec.Plaintext, dec.AlgorithmSuiteId, dec.EncryptionContext)
	}
	// Without aws:SourceArn the key policy denies the service.
	bare := mustKeyring(t, matProv, e.serviceClient(""), keyARN)
	if _, err := client.Decrypt(ctx, esdktypes.DecryptInput{Ciphertext: enc.Ciphertext, Keyring: bare}); err == nil {
		t.Fatal("the service decrypted without aws:SourceArn")
	}
	if r := e.lastRecord(); r.EventName != "Decrypt" || r.ErrorCode != "AccessDeniedException" || r.UserIdentity.Type != "AWSService" {
		t.Errorf("service denial recorded as %s %s by %s", r.EventName, r.ErrorCode, r.UserIdentity.Type)
	}
	// Another account is denied.
	if _, err := client.Decrypt(ctx, esdktypes.DecryptInput{Ciphertext: enc.Ciphertext, Keyring: keyring(akOutsider)}); err == nil {
		t.Fatal("another account decrypted")
	}
	if r := e.lastRecord(); r.EventName != "Decrypt" || r.ErrorCode != "AccessDeniedException" || r.UserIdentity.AccountID != otherAccount {
		t.Errorf("cross-account denial recorded as %s %s by %s", r.EventName, r.ErrorCode, r.UserIdentity.AccountID)
	}
	// A tampered message fails (the ESDK's own authentication and key
	// commitment, over the data key KMS returned).
	bad := bytes.Clone(enc.Ciphertext)
	bad[len(bad)/2] ^= 0x01
	if _, err := client.Decrypt(ctx, esdktypes.DecryptInput{Ciphertext: bad, Keyring: keyring(akFAS)}); err == nil {
		t.Fatal("a tampered message decrypted")
	}
	// A required context that differs fails.
	if _, err := client.Decrypt(ctx, esdktypes.DecryptInput{Ciphertext: enc.Ciphertext, EncryptionContext: recEC(recARN + "x"), Keyring: keyring(akFAS)}); err == nil {
		t.Fatal("decrypted under another recommendation's context")
	}

	var gen, decrypts int
	for _, r := range e.srv.Trail() {
		switch r.EventName {
		case "GenerateDataKey":
			gen++
		case "Decrypt":
			decrypts++
		}
	}
	if gen != 1 || decrypts < 3 {
		t.Errorf("trail has %d GenerateDataKey and %d Decrypt records", gen, decrypts)
	}
}

func mustKeyring(t *testing.T, matProv *mpl.Client, kc *awskms.Client, keyARN string) mpltypes.IKeyring {
	t.Helper()
	kr, err := matProv.CreateAwsKmsKeyring(context.Background(), mpltypes.CreateAwsKmsKeyringInput{KmsClient: kc, KmsKeyId: keyARN})
	if err != nil {
		t.Fatalf("CreateAwsKmsKeyring: %v", err)
	}
	return kr
}
