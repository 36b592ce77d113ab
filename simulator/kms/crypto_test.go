package kms_test

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/kmslint/kmslint/simulator/kms"
)

func TestCollidingContext(t *testing.T) {
	e := newEnv(t)
	keyARN := e.createKey("")
	c := e.client(akAdmin)
	enc := map[string]string{"purpose": "bench", "tenant": "t1"}
	out, err := c.Encrypt(e.ctx, &awskms.EncryptInput{KeyId: aws.String(keyARN), Plaintext: []byte("secret"), EncryptionContext: enc})
	wantCode(t, "Encrypt", err, "")
	for _, ec := range []map[string]string{
		{"purp": "osebench", "tenantt": "1"}, // same concatenation of sorted keys and values
		{"purpose": "bench", "tenant": "t1", "extra": ""},
		{"purpose": "bench"},
		{"Purpose": "bench", "tenant": "t1"}, // decryption context is case-sensitive
		nil,
	} {
		_, err := c.Decrypt(e.ctx, &awskms.DecryptInput{CiphertextBlob: out.CiphertextBlob, EncryptionContext: ec})
		wantCode(t, "Decrypt with context "+mustString(ec), err, "InvalidCiphertextException")
	}
	dec, err := c.Decrypt(e.ctx, &awskms.DecryptInput{CiphertextBlob: out.CiphertextBlob, EncryptionContext: map[string]string{"tenant": "t1", "purpose": "bench"}})
	wantCode(t, "Decrypt with the context", err, "")
	if string(dec.Plaintext) != "secret" {
		t.Fatalf("plaintext %q", dec.Plaintext)
	}
}

func mustString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestTampering(t *testing.T) {
	e := newEnv(t)
	keyARN := e.createKey("")
	other := e.createKey("")
	c := e.client(akAdmin)
	ec := map[string]string{"a": "b"}
	out, err := c.GenerateDataKey(e.ctx, gdk(keyARN, ec))
	wantCode(t, "GenerateDataKey", err, "")
	blob := out.CiphertextBlob
	// Flip one bit of every byte: version, key id, material id, nonce,
	// ciphertext and tag are all covered.
	for i := range blob {
		bad := bytes.Clone(blob)
		bad[i] ^= 0x01
		_, err := c.Decrypt(e.ctx, &awskms.DecryptInput{CiphertextBlob: bad, EncryptionContext: ec})
		wantCode(t, "tampered byte "+strconv.Itoa(i), err, "InvalidCiphertextException")
	}
	for _, bad := range [][]byte{blob[:len(blob)-1], append(bytes.Clone(blob), 0), blob[:10]} {
		_, err := c.Decrypt(e.ctx, &awskms.DecryptInput{CiphertextBlob: bad, EncryptionContext: ec})
		wantCode(t, "truncated or extended blob", err, "InvalidCiphertextException")
	}
	_, err = c.Decrypt(e.ctx, &awskms.DecryptInput{CiphertextBlob: blob, EncryptionContext: ec, KeyId: aws.String(other)})
	wantCode(t, "Decrypt naming another key", err, "IncorrectKeyException")
	_, err = c.Decrypt(e.ctx, &awskms.DecryptInput{CiphertextBlob: blob, EncryptionContext: ec, KeyId: aws.String(keyARN)})
	wantCode(t, "Decrypt naming the key", err, "")
}

func TestDryRun(t *testing.T) {
	e := newEnv(t)
	keyARN := e.createKey(withAdmin(canonicalPolicy))
	fas := e.client(akFAS)
	ec := recEC(recARN)

	in := gdk(keyARN, ec)
	in.DryRun = aws.Bool(true)
	_, err := fas.GenerateDataKey(e.ctx, in)
	wantCode(t, "GenerateDataKey DryRun, allowed", err, "DryRunOperationException")
	rec := e.lastRecord()
	var params map[string]any
	if err := json.Unmarshal(rec.RequestParameters, &params); err != nil {
		t.Fatal(err)
	}
	if rec.ErrorCode != "DryRunOperationException" || params["dryRun"] != true || rec.UserIdentity.InvokedBy != service {
		t.Errorf("dry-run record: %s %v %+v", rec.ErrorCode, params, rec.UserIdentity)
	}

	in.EncryptionContext = nil
	_, err = fas.GenerateDataKey(e.ctx, in)
	wantCode(t, "GenerateDataKey DryRun, denied", err, "AccessDeniedException")

	// Decrypt permission check without a ciphertext (StartRecommendation's
	// validation).
	_, err = fas.Decrypt(e.ctx, &awskms.DecryptInput{
		KeyId: aws.String(keyARN), EncryptionContext: ec, DryRun: aws.Bool(true),
		DryRunModifiers: []types.DryRunModifierType{types.DryRunModifierTypeIgnoreCiphertext},
		CiphertextBlob:  []byte("ignored"),
	})
	wantCode(t, "Decrypt DryRun IGNORE_CIPHERTEXT", err, "DryRunOperationException")
	_, err = fas.Decrypt(e.ctx, &awskms.DecryptInput{
		KeyId: aws.String(keyARN), DryRun: aws.Bool(true),
		DryRunModifiers: []types.DryRunModifierType{types.DryRunModifierTypeIgnoreCiphertext},
		CiphertextBlob:  []byte("ignored"),
	})
	wantCode(t, "Decrypt DryRun IGNORE_CIPHERTEXT without context", err, "AccessDeniedException")

	// Without IGNORE_CIPHERTEXT the ciphertext is checked too.
	dk, err := fas.GenerateDataKey(e.ctx, gdk(keyARN, ec))
	wantCode(t, "GenerateDataKey", err, "")
	_, err = fas.Decrypt(e.ctx, &awskms.DecryptInput{CiphertextBlob: dk.CiphertextBlob, EncryptionContext: ec, DryRun: aws.Bool(true)})
	wantCode(t, "Decrypt DryRun", err, "DryRunOperationException")
	_, err = fas.Decrypt(e.ctx, &awskms.DecryptInput{CiphertextBlob: []byte("garbage"), EncryptionContext: ec, DryRun: aws.Bool(true)})
	wantCode(t, "Decrypt DryRun of garbage", err, "InvalidCiphertextException")

	_, err = e.client(akAdmin).CreateGrant(e.ctx, &awskms.CreateGrantInput{
		KeyId: aws.String(keyARN), GranteePrincipal: aws.String(outsiderARN),
		Operations: []types.GrantOperation{types.GrantOperationDecrypt}, DryRun: aws.Bool(true),
	})
	wantCode(t, "CreateGrant DryRun", err, "DryRunOperationException")
	_, err = e.client(akAdmin).Encrypt(e.ctx, &awskms.EncryptInput{KeyId: aws.String(keyARN), Plaintext: []byte("x"), DryRun: aws.Bool(true)})
	wantCode(t, "Encrypt DryRun", err, "DryRunOperationException")
}

func TestKeyStates(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	clock := &testClock{t: now}
	e := newEnv(t, func(o *kms.Options) { o.Now = clock.Now })
	keyARN := e.createKey("")
	c := e.client(akAdmin)
	id := aws.String(keyARN)
	ec := map[string]string{"k": "v"}
	dk, err := c.GenerateDataKey(e.ctx, gdk(keyARN, ec))
	wantCode(t, "GenerateDataKey", err, "")
	decrypt := func() error {
		_, err := c.Decrypt(e.ctx, &awskms.DecryptInput{CiphertextBlob: dk.CiphertextBlob, EncryptionContext: ec})
		return err
	}
	usable := func(what string, want string) {
		t.Helper()
		_, err := c.GenerateDataKey(e.ctx, gdk(keyARN, ec))
		wantCode(t, what+": GenerateDataKey", err, want)
		wantCode(t, what+": Decrypt", decrypt(), want)
		_, err = c.DescribeKey(e.ctx, &awskms.DescribeKeyInput{KeyId: id})
		wantCode(t, what+": DescribeKey", err, "")
		_, err = c.GetKeyPolicy(e.ctx, &awskms.GetKeyPolicyInput{KeyId: id})
		wantCode(t, what+": GetKeyPolicy", err, "")
	}
	state := func() types.KeyState {
		out, err := c.DescribeKey(e.ctx, &awskms.DescribeKeyInput{KeyId: id})
		wantCode(t, "DescribeKey", err, "")
		return out.KeyMetadata.KeyState
	}

	_, err = c.DisableKey(e.ctx, &awskms.DisableKeyInput{KeyId: id})
	wantCode(t, "DisableKey", err, "")
	usable("disabled", "DisabledException")
	_, err = c.Encrypt(e.ctx, &awskms.EncryptInput{KeyId: id, Plaintext: []byte("x")})
	if message(err) != keyARN+" is disabled." {
		t.Errorf("disabled message %q", message(err))
	}
	if s := state(); s != types.KeyStateDisabled {
		t.Errorf("state %s", s)
	}
	_, err = c.EnableKey(e.ctx, &awskms.EnableKeyInput{KeyId: id})
	wantCode(t, "EnableKey", err, "")
	usable("enabled again", "")

	_, err = c.ScheduleKeyDeletion(e.ctx, &awskms.ScheduleKeyDeletionInput{KeyId: id, PendingWindowInDays: aws.Int32(6)})
	wantCode(t, "ScheduleKeyDeletion 6 days", err, "ValidationException")
	_, err = c.ScheduleKeyDeletion(e.ctx, &awskms.ScheduleKeyDeletionInput{KeyId: id, PendingWindowInDays: aws.Int32(31)})
	wantCode(t, "ScheduleKeyDeletion 31 days", err, "ValidationException")
	sched, err := c.ScheduleKeyDeletion(e.ctx, &awskms.ScheduleKeyDeletionInput{KeyId: id, PendingWindowInDays: aws.Int32(7)})
	wantCode(t, "ScheduleKeyDeletion", err, "")
	if sched.KeyState != types.KeyStatePendingDeletion || !sched.DeletionDate.Equal(now.Add(7*24*time.Hour)) {
		t.Errorf("schedule: %s %v", sched.KeyState, sched.DeletionDate)
	}
	usable("pending deletion", "KMSInvalidStateException")
	_, err = c.EnableKey(e.ctx, &awskms.EnableKeyInput{KeyId: id})
	wantCode(t, "EnableKey pending deletion", err, "KMSInvalidStateException")
	_, err = c.CancelKeyDeletion(e.ctx, &awskms.CancelKeyDeletionInput{KeyId: id})
	wantCode(t, "CancelKeyDeletion", err, "")
	if s := state(); s != types.KeyStateDisabled {
		t.Errorf("after CancelKeyDeletion the key is %s, want Disabled", s)
	}
	_, err = c.CancelKeyDeletion(e.ctx, &awskms.CancelKeyDeletionInput{KeyId: id})
	wantCode(t, "CancelKeyDeletion of a disabled key", err, "KMSInvalidStateException")

	_, err = c.CreateAlias(e.ctx, &awskms.CreateAliasInput{AliasName: aws.String("alias/doomed"), TargetKeyId: id})
	wantCode(t, "CreateAlias on a disabled key", err, "")
	_, err = c.ScheduleKeyDeletion(e.ctx, &awskms.ScheduleKeyDeletionInput{KeyId: id, PendingWindowInDays: aws.Int32(7)})
	wantCode(t, "ScheduleKeyDeletion", err, "")
	_, err = c.CreateAlias(e.ctx, &awskms.CreateAliasInput{AliasName: aws.String("alias/late"), TargetKeyId: id})
	wantCode(t, "CreateAlias on a key pending deletion", err, "KMSInvalidStateException")
	clock.advance(7*24*time.Hour - time.Second)
	_, err = c.DescribeKey(e.ctx, &awskms.DescribeKeyInput{KeyId: id})
	wantCode(t, "DescribeKey the second before deletion", err, "")
	clock.advance(2 * time.Second)
	_, err = c.DescribeKey(e.ctx, &awskms.DescribeKeyInput{KeyId: id})
	wantCode(t, "DescribeKey after deletion", err, "NotFoundException")
	wantCode(t, "Decrypt after deletion", decrypt(), "InvalidCiphertextException")
	_, err = c.DescribeKey(e.ctx, &awskms.DescribeKeyInput{KeyId: aws.String("alias/doomed")})
	wantCode(t, "alias of a deleted key", err, "NotFoundException")
	if l, err := c.ListAliases(e.ctx, &awskms.ListAliasesInput{}); err != nil || len(l.Aliases) != 0 {
		t.Errorf("ListAliases after deletion: %v %v", l, err)
	}

	_, err = c.DescribeKey(e.ctx, &awskms.DescribeKeyInput{KeyId: aws.String("arn:aws:kms:us-east-1:111122223333:key/00000000-0000-4000-8000-000000000000")})
	wantCode(t, "DescribeKey of a missing key", err, "NotFoundException")
	_, err = c.DescribeKey(e.ctx, &awskms.DescribeKeyInput{KeyId: aws.String("not-a-key")})
	wantCode(t, "DescribeKey of a malformed id", err, "NotFoundException")
}

type testClock struct{ t time.Time }

func (c *testClock) Now() time.Time          { return c.t }
func (c *testClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestKeyUsage(t *testing.T) {
	e := newEnv(t)
	c := e.client(akAdmin)
	hmacKey := e.createKey("", func(in *awskms.CreateKeyInput) {
		in.KeySpec, in.KeyUsage = types.KeySpecHmac256, types.KeyUsageTypeGenerateVerifyMac
	})
	_, err := c.GenerateDataKey(e.ctx, gdk(hmacKey, nil))
	wantCode(t, "GenerateDataKey with an HMAC key", err, "InvalidKeyUsageException")
	_, err = c.Encrypt(e.ctx, &awskms.EncryptInput{KeyId: aws.String(hmacKey), Plaintext: []byte("x")})
	wantCode(t, "Encrypt with an HMAC key", err, "InvalidKeyUsageException")

	_, err = c.CreateKey(e.ctx, &awskms.CreateKeyInput{KeySpec: types.KeySpecEccNistP256})
	wantCode(t, "ECC key with the default ENCRYPT_DECRYPT usage", err, "ValidationException")
	ecc := e.createKey("", func(in *awskms.CreateKeyInput) {
		in.KeySpec, in.KeyUsage = types.KeySpecEccNistP256, types.KeyUsageTypeSignVerify
	})
	_, err = c.Decrypt(e.ctx, &awskms.DecryptInput{KeyId: aws.String(ecc), CiphertextBlob: []byte("x")})
	wantCode(t, "Decrypt with a signing key", err, "InvalidKeyUsageException")

	rsaKey := e.createKey("", func(in *awskms.CreateKeyInput) {
		in.KeySpec, in.KeyUsage = types.KeySpecRsa2048, types.KeyUsageTypeEncryptDecrypt
	})
	_, err = c.GenerateDataKey(e.ctx, gdk(rsaKey, nil))
	wantCode(t, "GenerateDataKey with an RSA key", err, "InvalidKeyUsageException")
	_, err = c.Encrypt(e.ctx, &awskms.EncryptInput{KeyId: aws.String(rsaKey), Plaintext: []byte("x")})
	wantCode(t, "RSA Encrypt with SYMMETRIC_DEFAULT", err, "InvalidKeyUsageException")
	out, err := c.Encrypt(e.ctx, &awskms.EncryptInput{KeyId: aws.String(rsaKey), Plaintext: []byte("rsa secret"), EncryptionAlgorithm: types.EncryptionAlgorithmSpecRsaesOaepSha256})
	wantCode(t, "RSA Encrypt", err, "")
	dec, err := c.Decrypt(e.ctx, &awskms.DecryptInput{KeyId: aws.String(rsaKey), CiphertextBlob: out.CiphertextBlob, EncryptionAlgorithm: types.EncryptionAlgorithmSpecRsaesOaepSha256})
	wantCode(t, "RSA Decrypt", err, "")
	if string(dec.Plaintext) != "rsa secret" {
		t.Errorf("RSA round trip: %q", dec.Plaintext)
	}
	_, err = c.Decrypt(e.ctx, &awskms.DecryptInput{KeyId: aws.String(rsaKey), CiphertextBlob: out.CiphertextBlob, EncryptionAlgorithm: types.EncryptionAlgorithmSpecRsaesOaepSha1})
	wantCode(t, "RSA Decrypt with the other OAEP hash", err, "InvalidCiphertextException")
	md, err := c.DescribeKey(e.ctx, &awskms.DescribeKeyInput{KeyId: aws.String(rsaKey)})
	wantCode(t, "DescribeKey", err, "")
	if len(md.KeyMetadata.EncryptionAlgorithms) != 2 || md.KeyMetadata.KeySpec != types.KeySpecRsa2048 {
		t.Errorf("RSA metadata %+v", md.KeyMetadata)
	}
}

func TestAliases(t *testing.T) {
	e := newEnv(t)
	keyARN := e.createKey(`{"Version": "2012-10-17", "Statement": [` + adminStatement + `,
	  {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"},
	  {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:role/Outsider"}, "Action": "kms:Encrypt", "Resource": "*",
	   "Condition": {"StringEquals": {"kms:RequestAlias": "alias/shared"}}}]}`)
	c := e.client(akAdmin)
	_, err := c.CreateAlias(e.ctx, &awskms.CreateAliasInput{AliasName: aws.String("alias/shared"), TargetKeyId: aws.String(keyARN)})
	wantCode(t, "CreateAlias", err, "")
	_, err = c.CreateAlias(e.ctx, &awskms.CreateAliasInput{AliasName: aws.String("alias/shared"), TargetKeyId: aws.String(keyARN)})
	wantCode(t, "CreateAlias again", err, "AlreadyExistsException")
	_, err = c.CreateAlias(e.ctx, &awskms.CreateAliasInput{AliasName: aws.String("alias/aws/mine"), TargetKeyId: aws.String(keyARN)})
	wantCode(t, "CreateAlias alias/aws/", err, "InvalidAliasNameException")
	_, err = c.CreateAlias(e.ctx, &awskms.CreateAliasInput{AliasName: aws.String("shared2"), TargetKeyId: aws.String(keyARN)})
	wantCode(t, "CreateAlias without alias/", err, "ValidationException")

	aliasARN := "arn:aws:kms:us-east-1:111122223333:alias/shared"
	for _, ref := range []string{"alias/shared", aliasARN} {
		out, err := c.Encrypt(e.ctx, &awskms.EncryptInput{KeyId: aws.String(ref), Plaintext: []byte("x")})
		wantCode(t, "Encrypt via "+ref, err, "")
		if *out.KeyId != keyARN {
			t.Errorf("Encrypt via %s used %s", ref, *out.KeyId)
		}
		md, err := c.DescribeKey(e.ctx, &awskms.DescribeKeyInput{KeyId: aws.String(ref)})
		wantCode(t, "DescribeKey via "+ref, err, "")
		if *md.KeyMetadata.Arn != keyARN {
			t.Errorf("DescribeKey via %s: %s", ref, *md.KeyMetadata.Arn)
		}
	}
	// kms:RequestAlias: the outsider may encrypt only through the alias ARN.
	o := e.client(akOutsider)
	_, err = o.Encrypt(e.ctx, &awskms.EncryptInput{KeyId: aws.String(aliasARN), Plaintext: []byte("x")})
	wantCode(t, "outsider Encrypt via alias ARN", err, "")
	_, err = o.Encrypt(e.ctx, &awskms.EncryptInput{KeyId: aws.String(keyARN), Plaintext: []byte("x")})
	wantCode(t, "outsider Encrypt via key ARN", err, "AccessDeniedException")

	list, err := c.ListAliases(e.ctx, &awskms.ListAliasesInput{})
	wantCode(t, "ListAliases", err, "")
	if len(list.Aliases) != 1 || *list.Aliases[0].AliasName != "alias/shared" || *list.Aliases[0].AliasArn != aliasARN || !strings.HasSuffix(keyARN, *list.Aliases[0].TargetKeyId) {
		t.Errorf("ListAliases: %+v", list.Aliases)
	}
	_, err = c.DeleteAlias(e.ctx, &awskms.DeleteAliasInput{AliasName: aws.String("alias/shared")})
	wantCode(t, "DeleteAlias", err, "")
	_, err = c.Encrypt(e.ctx, &awskms.EncryptInput{KeyId: aws.String("alias/shared"), Plaintext: []byte("x")})
	wantCode(t, "Encrypt via a deleted alias", err, "NotFoundException")
	_, err = c.DeleteAlias(e.ctx, &awskms.DeleteAliasInput{AliasName: aws.String("alias/shared")})
	wantCode(t, "DeleteAlias again", err, "NotFoundException")
}

func TestKeyPolicyAdministration(t *testing.T) {
	e := newEnv(t)
	c := e.client(akAdmin)

	// Lockout safety check: the canonical policy does not let the Admin
	// user change it again.
	_, err := c.CreateKey(e.ctx, &awskms.CreateKeyInput{Policy: aws.String(canonicalPolicy)})
	wantCode(t, "CreateKey with a policy that locks the caller out", err, "MalformedPolicyDocumentException")
	if message(err) != "The new key policy will not allow you to update the key policy in the future." {
		t.Errorf("lockout message %q", message(err))
	}
	out, err := c.CreateKey(e.ctx, &awskms.CreateKeyInput{Policy: aws.String(canonicalPolicy), BypassPolicyLockoutSafetyCheck: true})
	wantCode(t, "CreateKey bypassing the check", err, "")
	locked := out.KeyMetadata.Arn
	_, err = c.PutKeyPolicy(e.ctx, &awskms.PutKeyPolicyInput{KeyId: locked, Policy: aws.String(withAdmin(canonicalPolicy))})
	wantCode(t, "PutKeyPolicy on a locked key", err, "AccessDeniedException")

	keyARN := e.createKey("")
	id := aws.String(keyARN)
	got, err := c.GetKeyPolicy(e.ctx, &awskms.GetKeyPolicyInput{KeyId: id})
	wantCode(t, "GetKeyPolicy", err, "")
	if !strings.Contains(*got.Policy, `"AWS" : "arn:aws:iam::111122223333:root"`) || *got.PolicyName != "default" {
		t.Errorf("default policy: %s", *got.Policy)
	}
	_, err = c.PutKeyPolicy(e.ctx, &awskms.PutKeyPolicyInput{KeyId: id, Policy: aws.String(canonicalPolicy)})
	wantCode(t, "PutKeyPolicy locking the caller out", err, "MalformedPolicyDocumentException")

	malformed := map[string]string{
		"not JSON":            `{"Version": "2012-10-17", "Statement": [`,
		"duplicate key":       `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*"}]}`,
		"effect lower-case":   `{"Version": "2012-10-17", "Statement": [{"Effect": "allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}]}`,
		"unknown element":     `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*", "Conditions": {}}]}`,
		"no principal":        `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}`,
		"invalid principal":   `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::12:root"}, "Action": "kms:*", "Resource": "*"}]}`,
		"statement not array": `{"Version": "2012-10-17", "Statement": "x"}`,
	}
	for name, doc := range malformed {
		_, err := c.PutKeyPolicy(e.ctx, &awskms.PutKeyPolicyInput{KeyId: id, Policy: aws.String(doc)})
		wantCode(t, "PutKeyPolicy "+name, err, "MalformedPolicyDocumentException")
		if message(err) == "" {
			t.Errorf("%s: empty message", name)
		}
	}
	big := `{"Version": "2012-10-17", "Statement": [{"Sid": "` + strings.Repeat("a", 33000) + `", "Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}]}`
	_, err = c.PutKeyPolicy(e.ctx, &awskms.PutKeyPolicyInput{KeyId: id, Policy: aws.String(big)})
	wantCode(t, "PutKeyPolicy over 32 KB", err, "LimitExceededException")

	// A valid change takes effect for the next request.
	_, err = e.client(akNoIAM).DescribeKey(e.ctx, &awskms.DescribeKeyInput{KeyId: id})
	wantCode(t, "NoIAM DescribeKey via root delegation", err, "")
	onlyAdmin := `{"Version": "2012-10-17", "Statement": [` + adminStatement + `]}`
	_, err = c.PutKeyPolicy(e.ctx, &awskms.PutKeyPolicyInput{KeyId: id, Policy: aws.String(onlyAdmin)})
	wantCode(t, "PutKeyPolicy", err, "")
	_, err = e.client(akNoIAM).DescribeKey(e.ctx, &awskms.DescribeKeyInput{KeyId: id})
	wantCode(t, "NoIAM DescribeKey after the change", err, "AccessDeniedException")
	rec := e.srv.Trail()
	var put map[string]any
	for _, r := range rec {
		if r.EventName == "PutKeyPolicy" && r.ErrorCode == "" {
			json.Unmarshal(r.RequestParameters, &put)
		}
	}
	if put["policy"] != onlyAdmin || put["policyName"] != "default" || put["bypassPolicyLockoutSafetyCheck"] != false {
		t.Errorf("PutKeyPolicy requestParameters %v", put)
	}
}

func TestListKeysAndRandom(t *testing.T) {
	e := newEnv(t)
	var arns []string
	for i := 0; i < 5; i++ {
		arns = append(arns, e.createKey(""))
	}
	c := e.client(akAdmin)
	var seen []string
	var marker *string
	for {
		out, err := c.ListKeys(e.ctx, &awskms.ListKeysInput{Limit: aws.Int32(2), Marker: marker})
		wantCode(t, "ListKeys", err, "")
		for _, k := range out.Keys {
			seen = append(seen, *k.KeyArn)
		}
		if !out.Truncated {
			break
		}
		marker = out.NextMarker
	}
	if len(seen) != len(arns) {
		t.Errorf("ListKeys listed %d keys, want %d", len(seen), len(arns))
	}
	out, err := e.client(akOutsider).ListKeys(e.ctx, &awskms.ListKeysInput{})
	wantCode(t, "outsider ListKeys", err, "")
	if len(out.Keys) != 0 {
		t.Errorf("outsider sees %d keys of another account", len(out.Keys))
	}
	r, err := c.GenerateRandom(e.ctx, &awskms.GenerateRandomInput{NumberOfBytes: aws.Int32(64)})
	wantCode(t, "GenerateRandom", err, "")
	if len(r.Plaintext) != 64 {
		t.Errorf("GenerateRandom returned %d bytes", len(r.Plaintext))
	}
	_, err = e.client(akNoIAM).GenerateRandom(e.ctx, &awskms.GenerateRandomInput{NumberOfBytes: aws.Int32(8)})
	wantCode(t, "GenerateRandom without IAM permission", err, "AccessDeniedException")
	_, err = e.serviceClient("").CreateKey(e.ctx, &awskms.CreateKeyInput{})
	wantCode(t, "service principal CreateKey", err, "AccessDeniedException")
}

func TestReEncrypt(t *testing.T) {
	e := newEnv(t)
	src, dst := e.createKey(""), e.createKey("")
	c := e.client(akAdmin)
	out, err := c.Encrypt(e.ctx, &awskms.EncryptInput{KeyId: aws.String(src), Plaintext: []byte("move me"), EncryptionContext: map[string]string{"a": "1"}})
	wantCode(t, "Encrypt", err, "")
	re, err := c.ReEncrypt(e.ctx, &awskms.ReEncryptInput{
		CiphertextBlob: out.CiphertextBlob, SourceEncryptionContext: map[string]string{"a": "1"},
		DestinationKeyId: aws.String(dst), DestinationEncryptionContext: map[string]string{"b": "2"},
	})
	wantCode(t, "ReEncrypt", err, "")
	if *re.SourceKeyId != src || *re.KeyId != dst {
		t.Errorf("ReEncrypt keys %s -> %s", *re.SourceKeyId, *re.KeyId)
	}
	dec, err := c.Decrypt(e.ctx, &awskms.DecryptInput{CiphertextBlob: re.CiphertextBlob, EncryptionContext: map[string]string{"b": "2"}})
	wantCode(t, "Decrypt", err, "")
	if string(dec.Plaintext) != "move me" || *dec.KeyId != dst {
		t.Errorf("after ReEncrypt: %q under %s", dec.Plaintext, *dec.KeyId)
	}
	_, err = c.ReEncrypt(e.ctx, &awskms.ReEncryptInput{CiphertextBlob: out.CiphertextBlob, DestinationKeyId: aws.String(dst)})
	wantCode(t, "ReEncrypt with the wrong source context", err, "InvalidCiphertextException")
	rec := e.lastRecord()
	if len(rec.Resources) != 2 {
		t.Errorf("ReEncrypt resources %+v", rec.Resources)
	}
}
