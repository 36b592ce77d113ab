package kms_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/kmslint/kmslint/simulator/kms"
)

// status is the HTTP status of an API error (0 for none).
func status(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

func withSpec(spec types.KeySpec, usage types.KeyUsageType) func(*awskms.CreateKeyInput) {
	return func(in *awskms.CreateKeyInput) { in.KeySpec, in.KeyUsage = spec, usage }
}

// callerOnly is a key policy that lets Admin manage the key and the
// caller role perform exactly the given actions.
func callerOnly(actions ...string) string {
	return `{"Version": "2012-10-17", "Statement": [` + adminStatement + `,
	  {"Effect": "Allow", "Principal": {"AWS": "` + roleARN + `"}, "Action": ["` + strings.Join(actions, `","`) + `"], "Resource": "*"}]}`
}

// TestNewOperationsAuthorization runs each operation as the caller role
// against a key whose policy allows only that operation's action, and
// against one that allows nothing: the first succeeds, the second is
// AccessDeniedException naming the action AWS authorizes it with.
func TestNewOperationsAuthorization(t *testing.T) {
	e := newEnv(t)
	admin := e.client(akAdmin)
	caller := e.client(akCaller)
	msg := []byte("message to sign")
	digest := sha256.Sum256(msg)
	hmacSpec := withSpec(types.KeySpecHmac256, types.KeyUsageTypeGenerateVerifyMac)
	eccSpec := withSpec(types.KeySpecEccNistP256, types.KeyUsageTypeSignVerify)
	cases := []struct {
		name, action string
		spec         func(*awskms.CreateKeyInput)
		setup        func(keyARN string) // as Admin, before the call
		call         func(keyARN string) error
	}{
		{"TagResource", "kms:TagResource", nil, nil, func(k string) error {
			_, err := caller.TagResource(e.ctx, &awskms.TagResourceInput{KeyId: aws.String(k), Tags: []types.Tag{{TagKey: aws.String("team"), TagValue: aws.String("a")}}})
			return err
		}},
		{"UntagResource", "kms:UntagResource", nil, nil, func(k string) error {
			_, err := caller.UntagResource(e.ctx, &awskms.UntagResourceInput{KeyId: aws.String(k), TagKeys: []string{"team"}})
			return err
		}},
		{"ListResourceTags", "kms:ListResourceTags", nil, nil, func(k string) error {
			_, err := caller.ListResourceTags(e.ctx, &awskms.ListResourceTagsInput{KeyId: aws.String(k)})
			return err
		}},
		{"Sign", "kms:Sign", eccSpec, nil, func(k string) error {
			_, err := caller.Sign(e.ctx, &awskms.SignInput{KeyId: aws.String(k), Message: msg, SigningAlgorithm: types.SigningAlgorithmSpecEcdsaSha256})
			return err
		}},
		{"Verify", "kms:Verify", eccSpec, nil, func(k string) error {
			s, err := admin.Sign(e.ctx, &awskms.SignInput{KeyId: aws.String(k), Message: digest[:], MessageType: types.MessageTypeDigest, SigningAlgorithm: types.SigningAlgorithmSpecEcdsaSha256})
			if err != nil {
				return err
			}
			_, err = caller.Verify(e.ctx, &awskms.VerifyInput{KeyId: aws.String(k), Message: msg, Signature: s.Signature, SigningAlgorithm: types.SigningAlgorithmSpecEcdsaSha256})
			return err
		}},
		{"GetPublicKey", "kms:GetPublicKey", eccSpec, nil, func(k string) error {
			_, err := caller.GetPublicKey(e.ctx, &awskms.GetPublicKeyInput{KeyId: aws.String(k)})
			return err
		}},
		{"GenerateMac", "kms:GenerateMac", hmacSpec, nil, func(k string) error {
			_, err := caller.GenerateMac(e.ctx, &awskms.GenerateMacInput{KeyId: aws.String(k), Message: msg, MacAlgorithm: types.MacAlgorithmSpecHmacSha256})
			return err
		}},
		{"VerifyMac", "kms:VerifyMac", hmacSpec, nil, func(k string) error {
			m, err := admin.GenerateMac(e.ctx, &awskms.GenerateMacInput{KeyId: aws.String(k), Message: msg, MacAlgorithm: types.MacAlgorithmSpecHmacSha256})
			if err != nil {
				return err
			}
			_, err = caller.VerifyMac(e.ctx, &awskms.VerifyMacInput{KeyId: aws.String(k), Message: msg, Mac: m.Mac, MacAlgorithm: types.MacAlgorithmSpecHmacSha256})
			return err
		}},
		{"GenerateDataKeyPair", "kms:GenerateDataKeyPair", nil, nil, func(k string) error {
			_, err := caller.GenerateDataKeyPair(e.ctx, &awskms.GenerateDataKeyPairInput{KeyId: aws.String(k), KeyPairSpec: types.DataKeyPairSpecEccNistP256})
			return err
		}},
		{"GenerateDataKeyPairWithoutPlaintext", "kms:GenerateDataKeyPairWithoutPlaintext", nil, nil, func(k string) error {
			_, err := caller.GenerateDataKeyPairWithoutPlaintext(e.ctx, &awskms.GenerateDataKeyPairWithoutPlaintextInput{KeyId: aws.String(k), KeyPairSpec: types.DataKeyPairSpecEccNistP256})
			return err
		}},
		{"EnableKeyRotation", "kms:EnableKeyRotation", nil, nil, func(k string) error {
			_, err := caller.EnableKeyRotation(e.ctx, &awskms.EnableKeyRotationInput{KeyId: aws.String(k)})
			return err
		}},
		{"DisableKeyRotation", "kms:DisableKeyRotation", nil, nil, func(k string) error {
			_, err := caller.DisableKeyRotation(e.ctx, &awskms.DisableKeyRotationInput{KeyId: aws.String(k)})
			return err
		}},
		{"GetKeyRotationStatus", "kms:GetKeyRotationStatus", nil, nil, func(k string) error {
			_, err := caller.GetKeyRotationStatus(e.ctx, &awskms.GetKeyRotationStatusInput{KeyId: aws.String(k)})
			return err
		}},
		{"RotateKeyOnDemand", "kms:RotateKeyOnDemand", nil, nil, func(k string) error {
			_, err := caller.RotateKeyOnDemand(e.ctx, &awskms.RotateKeyOnDemandInput{KeyId: aws.String(k)})
			return err
		}},
		{"ListKeyRotations", "kms:ListKeyRotations", nil, nil, func(k string) error {
			_, err := caller.ListKeyRotations(e.ctx, &awskms.ListKeyRotationsInput{KeyId: aws.String(k)})
			return err
		}},
		{"UpdateKeyDescription", "kms:UpdateKeyDescription", nil, nil, func(k string) error {
			_, err := caller.UpdateKeyDescription(e.ctx, &awskms.UpdateKeyDescriptionInput{KeyId: aws.String(k), Description: aws.String("new")})
			return err
		}},
		{"ListKeyPolicies", "kms:ListKeyPolicies", nil, nil, func(k string) error {
			_, err := caller.ListKeyPolicies(e.ctx, &awskms.ListKeyPoliciesInput{KeyId: aws.String(k)})
			return err
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var mods []func(*awskms.CreateKeyInput)
			if tc.spec != nil {
				mods = append(mods, tc.spec)
			}
			allowed := e.createKey(callerOnly(tc.action), mods...)
			wantCode(t, "allowed "+tc.name, tc.call(allowed), "")
			rec := e.lastRecord()
			if rec.EventName != tc.name || rec.ErrorCode != "" || rec.RecipientAccountID != account || len(rec.Resources) != 1 || rec.Resources[0].ARN != allowed {
				t.Errorf("record %s err %q recipient %s resources %+v", rec.EventName, rec.ErrorCode, rec.RecipientAccountID, rec.Resources)
			}
			denied := e.createKey(callerOnly("kms:DescribeKey"), mods...)
			err := tc.call(denied)
			wantCode(t, "denied "+tc.name, err, "AccessDeniedException")
			if !strings.Contains(message(err), "perform: "+tc.action+" on resource: "+denied) {
				t.Errorf("denial message %q does not name %s on the key", message(err), tc.action)
			}
			if rec := e.lastRecord(); rec.EventName != tc.name || rec.ErrorCode != "AccessDeniedException" {
				t.Errorf("denied record %s %s", rec.EventName, rec.ErrorCode)
			}
		})
	}
}

// TestKeyStateTable checks the new operations against the key state table
// https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html
func TestKeyStateTable(t *testing.T) {
	e := newEnv(t)
	c := e.client(akAdmin)
	sym := e.createKey("")
	ecc := e.createKey("", withSpec(types.KeySpecEccNistP256, types.KeyUsageTypeSignVerify))
	mac := e.createKey("", withSpec(types.KeySpecHmac256, types.KeyUsageTypeGenerateVerifyMac))
	msg := []byte("m")
	ops := []struct {
		name              string
		key               string
		disabled, pending string // expected codes
		call              func(k string) error
	}{
		{"TagResource", sym, "", "KMSInvalidStateException", func(k string) error {
			_, err := c.TagResource(e.ctx, &awskms.TagResourceInput{KeyId: aws.String(k), Tags: []types.Tag{{TagKey: aws.String("a"), TagValue: aws.String("b")}}})
			return err
		}},
		{"ListResourceTags", sym, "", "", func(k string) error {
			_, err := c.ListResourceTags(e.ctx, &awskms.ListResourceTagsInput{KeyId: aws.String(k)})
			return err
		}},
		{"UpdateKeyDescription", sym, "", "KMSInvalidStateException", func(k string) error {
			_, err := c.UpdateKeyDescription(e.ctx, &awskms.UpdateKeyDescriptionInput{KeyId: aws.String(k), Description: aws.String("d")})
			return err
		}},
		{"ListKeyPolicies", sym, "", "", func(k string) error {
			_, err := c.ListKeyPolicies(e.ctx, &awskms.ListKeyPoliciesInput{KeyId: aws.String(k)})
			return err
		}},
		{"EnableKeyRotation", sym, "DisabledException", "KMSInvalidStateException", func(k string) error {
			_, err := c.EnableKeyRotation(e.ctx, &awskms.EnableKeyRotationInput{KeyId: aws.String(k)})
			return err
		}},
		{"GetKeyRotationStatus", sym, "", "KMSInvalidStateException", func(k string) error {
			_, err := c.GetKeyRotationStatus(e.ctx, &awskms.GetKeyRotationStatusInput{KeyId: aws.String(k)})
			return err
		}},
		{"RotateKeyOnDemand", sym, "DisabledException", "KMSInvalidStateException", func(k string) error {
			_, err := c.RotateKeyOnDemand(e.ctx, &awskms.RotateKeyOnDemandInput{KeyId: aws.String(k)})
			return err
		}},
		{"ListKeyRotations", sym, "", "", func(k string) error {
			_, err := c.ListKeyRotations(e.ctx, &awskms.ListKeyRotationsInput{KeyId: aws.String(k)})
			return err
		}},
		{"GenerateDataKeyPair", sym, "DisabledException", "KMSInvalidStateException", func(k string) error {
			_, err := c.GenerateDataKeyPair(e.ctx, &awskms.GenerateDataKeyPairInput{KeyId: aws.String(k), KeyPairSpec: types.DataKeyPairSpecEccNistP256})
			return err
		}},
		{"Sign", ecc, "DisabledException", "KMSInvalidStateException", func(k string) error {
			_, err := c.Sign(e.ctx, &awskms.SignInput{KeyId: aws.String(k), Message: msg, SigningAlgorithm: types.SigningAlgorithmSpecEcdsaSha256})
			return err
		}},
		{"GetPublicKey", ecc, "DisabledException", "KMSInvalidStateException", func(k string) error {
			_, err := c.GetPublicKey(e.ctx, &awskms.GetPublicKeyInput{KeyId: aws.String(k)})
			return err
		}},
		{"GenerateMac", mac, "DisabledException", "KMSInvalidStateException", func(k string) error {
			_, err := c.GenerateMac(e.ctx, &awskms.GenerateMacInput{KeyId: aws.String(k), Message: msg, MacAlgorithm: types.MacAlgorithmSpecHmacSha256})
			return err
		}},
	}
	for _, k := range []string{sym, ecc, mac} {
		_, err := c.DisableKey(e.ctx, &awskms.DisableKeyInput{KeyId: aws.String(k)})
		wantCode(t, "DisableKey", err, "")
	}
	for _, op := range ops {
		err := op.call(op.key)
		wantCode(t, op.name+" on a disabled key", err, op.disabled)
		if op.disabled != "" && status(err) != 409 {
			t.Errorf("%s on a disabled key: HTTP %d, want 409", op.name, status(err))
		}
	}
	for _, k := range []string{sym, ecc, mac} {
		_, err := c.ScheduleKeyDeletion(e.ctx, &awskms.ScheduleKeyDeletionInput{KeyId: aws.String(k), PendingWindowInDays: aws.Int32(7)})
		wantCode(t, "ScheduleKeyDeletion", err, "")
	}
	for _, op := range ops {
		err := op.call(op.key)
		wantCode(t, op.name+" on a key pending deletion", err, op.pending)
		if op.pending != "" && status(err) != 409 {
			t.Errorf("%s pending deletion: HTTP %d, want 409", op.name, status(err))
		}
	}
}

func TestSignVerify(t *testing.T) {
	e := newEnv(t)
	c := e.client(akAdmin)
	msg := []byte("the message")
	specs := []struct {
		spec types.KeySpec
		algs []types.SigningAlgorithmSpec
	}{
		{types.KeySpecRsa2048, []types.SigningAlgorithmSpec{types.SigningAlgorithmSpecRsassaPssSha256, types.SigningAlgorithmSpecRsassaPssSha512, types.SigningAlgorithmSpecRsassaPkcs1V15Sha256, types.SigningAlgorithmSpecRsassaPkcs1V15Sha384}},
		{types.KeySpecEccNistP256, []types.SigningAlgorithmSpec{types.SigningAlgorithmSpecEcdsaSha256}},
		{types.KeySpecEccNistP384, []types.SigningAlgorithmSpec{types.SigningAlgorithmSpecEcdsaSha384}},
		{types.KeySpecEccNistP521, []types.SigningAlgorithmSpec{types.SigningAlgorithmSpecEcdsaSha512}},
		{types.KeySpecEccSecgP256k1, []types.SigningAlgorithmSpec{types.SigningAlgorithmSpecEcdsaSha256}},
	}
	for _, s := range specs {
		t.Run(string(s.spec), func(t *testing.T) {
			k := aws.String(e.createKey("", withSpec(s.spec, types.KeyUsageTypeSignVerify)))
			md, err := c.DescribeKey(e.ctx, &awskms.DescribeKeyInput{KeyId: k})
			wantCode(t, "DescribeKey", err, "")
			if len(md.KeyMetadata.SigningAlgorithms) == 0 || md.KeyMetadata.EncryptionAlgorithms != nil {
				t.Errorf("metadata algorithms %v %v", md.KeyMetadata.SigningAlgorithms, md.KeyMetadata.EncryptionAlgorithms)
			}
			pub, err := c.GetPublicKey(e.ctx, &awskms.GetPublicKeyInput{KeyId: k})
			wantCode(t, "GetPublicKey", err, "")
			if pub.KeySpec != s.spec || pub.KeyUsage != types.KeyUsageTypeSignVerify || len(pub.SigningAlgorithms) != len(md.KeyMetadata.SigningAlgorithms) {
				t.Errorf("GetPublicKey %+v", pub)
			}
			for _, alg := range s.algs {
				h, _ := hashOf(string(alg))
				hh := h.New()
				hh.Write(msg)
				digest := hh.Sum(nil)
				for _, mt := range []types.MessageType{types.MessageTypeRaw, types.MessageTypeDigest} {
					m := msg
					if mt == types.MessageTypeDigest {
						m = digest
					}
					sig, err := c.Sign(e.ctx, &awskms.SignInput{KeyId: k, Message: m, MessageType: mt, SigningAlgorithm: alg})
					wantCode(t, "Sign "+string(alg)+" "+string(mt), err, "")
					// The signature checks with the public key outside KMS,
					// as AWS documents for offline verification.
					if s.spec != types.KeySpecEccSecgP256k1 && !verifyOffline(t, pub.PublicKey, alg, digest, sig.Signature) {
						t.Errorf("%s %s signature does not verify offline", alg, mt)
					}
					v, err := c.Verify(e.ctx, &awskms.VerifyInput{KeyId: k, Message: msg, Signature: sig.Signature, SigningAlgorithm: alg})
					wantCode(t, "Verify "+string(alg), err, "")
					if !v.SignatureValid || v.SigningAlgorithm != alg {
						t.Errorf("Verify %+v", v)
					}
				}
				bad, err := c.Sign(e.ctx, &awskms.SignInput{KeyId: k, Message: msg, SigningAlgorithm: alg})
				wantCode(t, "Sign", err, "")
				_, err = c.Verify(e.ctx, &awskms.VerifyInput{KeyId: k, Message: []byte("another message"), Signature: bad.Signature, SigningAlgorithm: alg})
				wantCode(t, "Verify another message", err, "KMSInvalidSignatureException")
				_, err = c.Sign(e.ctx, &awskms.SignInput{KeyId: k, Message: digest[1:], MessageType: types.MessageTypeDigest, SigningAlgorithm: alg})
				wantCode(t, "Sign a digest of the wrong length", err, "ValidationException")
			}
		})
	}
	rsaKey := aws.String(e.createKey("", withSpec(types.KeySpecRsa2048, types.KeyUsageTypeSignVerify)))
	_, err := c.Sign(e.ctx, &awskms.SignInput{KeyId: rsaKey, Message: msg, SigningAlgorithm: types.SigningAlgorithmSpecEcdsaSha256})
	wantCode(t, "ECDSA with an RSA key", err, "InvalidKeyUsageException")
	_, err = c.Sign(e.ctx, &awskms.SignInput{KeyId: rsaKey, Message: msg, SigningAlgorithm: types.SigningAlgorithmSpecRsassaPssSha256, DryRun: aws.Bool(true)})
	wantCode(t, "Sign DryRun", err, "DryRunOperationException")
	if status(err) != 412 {
		t.Errorf("DryRun HTTP %d, want 412", status(err))
	}
	sym := aws.String(e.createKey(""))
	_, err = c.Sign(e.ctx, &awskms.SignInput{KeyId: sym, Message: msg, SigningAlgorithm: types.SigningAlgorithmSpecRsassaPssSha256})
	wantCode(t, "Sign with a symmetric key", err, "InvalidKeyUsageException")
	_, err = c.GetPublicKey(e.ctx, &awskms.GetPublicKeyInput{KeyId: sym})
	wantCode(t, "GetPublicKey of a symmetric key", err, "UnsupportedOperationException")
	encRSA := aws.String(e.createKey("", withSpec(types.KeySpecRsa2048, types.KeyUsageTypeEncryptDecrypt)))
	_, err = c.Sign(e.ctx, &awskms.SignInput{KeyId: encRSA, Message: msg, SigningAlgorithm: types.SigningAlgorithmSpecRsassaPssSha256})
	wantCode(t, "Sign with an ENCRYPT_DECRYPT RSA key", err, "InvalidKeyUsageException")

	// Nothing of the message or signature reaches the trail.
	_, err = c.Sign(e.ctx, &awskms.SignInput{KeyId: rsaKey, Message: []byte("secret-message-text"), SigningAlgorithm: types.SigningAlgorithmSpecRsassaPssSha256})
	wantCode(t, "Sign", err, "")
	rec := e.lastRecord()
	params := string(rec.RequestParameters)
	if strings.Contains(params, "secret-message-text") || strings.Contains(params, base64.StdEncoding.EncodeToString([]byte("secret-message-text"))) ||
		!strings.Contains(params, `"messageType":"RAW"`) || !strings.Contains(params, `"signingAlgorithm":"RSASSA_PSS_SHA_256"`) || rec.ResponseElements != nil {
		t.Errorf("Sign record: %s / %s", params, rec.ResponseElements)
	}
}

func hashOf(alg string) (crypto.Hash, bool) {
	switch {
	case strings.HasSuffix(alg, "256"):
		return crypto.SHA256, true
	case strings.HasSuffix(alg, "384"):
		return crypto.SHA384, true
	}
	return crypto.SHA512, true
}

func verifyOffline(t *testing.T, der []byte, alg types.SigningAlgorithmSpec, digest, sig []byte) bool {
	t.Helper()
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		t.Fatalf("public key: %v", err)
	}
	h, _ := hashOf(string(alg))
	switch p := pub.(type) {
	case *rsa.PublicKey:
		if strings.HasPrefix(string(alg), "RSASSA_PSS") {
			return rsa.VerifyPSS(p, h, digest, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}) == nil
		}
		return rsa.VerifyPKCS1v15(p, h, digest, sig) == nil
	case *ecdsa.PublicKey:
		return ecdsa.VerifyASN1(p, digest, sig)
	}
	return false
}

func TestMac(t *testing.T) {
	e := newEnv(t)
	c := e.client(akAdmin)
	msg := []byte("mac me")
	for _, tc := range []struct {
		spec types.KeySpec
		alg  types.MacAlgorithmSpec
		size int
	}{
		{types.KeySpecHmac224, types.MacAlgorithmSpecHmacSha224, 28},
		{types.KeySpecHmac256, types.MacAlgorithmSpecHmacSha256, 32},
		{types.KeySpecHmac384, types.MacAlgorithmSpecHmacSha384, 48},
		{types.KeySpecHmac512, types.MacAlgorithmSpecHmacSha512, 64},
	} {
		k := aws.String(e.createKey("", withSpec(tc.spec, types.KeyUsageTypeGenerateVerifyMac)))
		md, err := c.DescribeKey(e.ctx, &awskms.DescribeKeyInput{KeyId: k})
		wantCode(t, "DescribeKey", err, "")
		if len(md.KeyMetadata.MacAlgorithms) != 1 || md.KeyMetadata.MacAlgorithms[0] != tc.alg {
			t.Errorf("%s MacAlgorithms %v", tc.spec, md.KeyMetadata.MacAlgorithms)
		}
		m, err := c.GenerateMac(e.ctx, &awskms.GenerateMacInput{KeyId: k, Message: msg, MacAlgorithm: tc.alg})
		wantCode(t, "GenerateMac "+string(tc.alg), err, "")
		if len(m.Mac) != tc.size || m.MacAlgorithm != tc.alg || *m.KeyId != *k {
			t.Errorf("GenerateMac %s: %d bytes", tc.alg, len(m.Mac))
		}
		v, err := c.VerifyMac(e.ctx, &awskms.VerifyMacInput{KeyId: k, Message: msg, Mac: m.Mac, MacAlgorithm: tc.alg})
		wantCode(t, "VerifyMac", err, "")
		if !v.MacValid {
			t.Errorf("MacValid false")
		}
		bad := append([]byte(nil), m.Mac...)
		bad[0] ^= 1
		_, err = c.VerifyMac(e.ctx, &awskms.VerifyMacInput{KeyId: k, Message: msg, Mac: bad, MacAlgorithm: tc.alg})
		wantCode(t, "VerifyMac of a wrong MAC", err, "KMSInvalidMacException")
		other := types.MacAlgorithmSpecHmacSha256
		if tc.alg == other {
			other = types.MacAlgorithmSpecHmacSha512
		}
		_, err = c.GenerateMac(e.ctx, &awskms.GenerateMacInput{KeyId: k, Message: msg, MacAlgorithm: other})
		wantCode(t, "GenerateMac with another key spec's algorithm", err, "InvalidKeyUsageException")
		_, err = c.GenerateMac(e.ctx, &awskms.GenerateMacInput{KeyId: k, Message: msg, MacAlgorithm: tc.alg, DryRun: aws.Bool(true)})
		wantCode(t, "GenerateMac DryRun", err, "DryRunOperationException")
	}
	_, err := c.CreateKey(e.ctx, &awskms.CreateKeyInput{KeySpec: types.KeySpecHmac384})
	wantCode(t, "HMAC key without KeyUsage", err, "ValidationException")
	sym := aws.String(e.createKey(""))
	_, err = c.GenerateMac(e.ctx, &awskms.GenerateMacInput{KeyId: sym, Message: msg, MacAlgorithm: types.MacAlgorithmSpecHmacSha256})
	wantCode(t, "GenerateMac with a symmetric key", err, "InvalidKeyUsageException")
	// HMAC is RFC 2104 over the key material: two MACs of one message
	// agree, of two messages differ.
	k := aws.String(e.createKey("", withSpec(types.KeySpecHmac256, types.KeyUsageTypeGenerateVerifyMac)))
	m1, _ := c.GenerateMac(e.ctx, &awskms.GenerateMacInput{KeyId: k, Message: msg, MacAlgorithm: types.MacAlgorithmSpecHmacSha256})
	m2, _ := c.GenerateMac(e.ctx, &awskms.GenerateMacInput{KeyId: k, Message: msg, MacAlgorithm: types.MacAlgorithmSpecHmacSha256})
	m3, _ := c.GenerateMac(e.ctx, &awskms.GenerateMacInput{KeyId: k, Message: []byte("other"), MacAlgorithm: types.MacAlgorithmSpecHmacSha256})
	if !hmac.Equal(m1.Mac, m2.Mac) || hmac.Equal(m1.Mac, m3.Mac) {
		t.Errorf("MACs are not deterministic per message")
	}
}

func TestDataKeyPair(t *testing.T) {
	e := newEnv(t)
	c := e.client(akAdmin)
	k := e.createKey("")
	ec := map[string]string{"purpose": "pair"}
	for _, spec := range []types.DataKeyPairSpec{types.DataKeyPairSpecRsa2048, types.DataKeyPairSpecEccNistP256, types.DataKeyPairSpecEccNistP384, types.DataKeyPairSpecEccNistP521, types.DataKeyPairSpecEccSecgP256k1} {
		out, err := c.GenerateDataKeyPair(e.ctx, &awskms.GenerateDataKeyPairInput{KeyId: aws.String(k), KeyPairSpec: spec, EncryptionContext: ec})
		wantCode(t, "GenerateDataKeyPair "+string(spec), err, "")
		if out.KeyPairSpec != spec || *out.KeyId != k || len(out.PublicKey) == 0 || *out.KeyMaterialId == "" {
			t.Errorf("%s: %+v", spec, out)
		}
		dec, err := c.Decrypt(e.ctx, &awskms.DecryptInput{CiphertextBlob: out.PrivateKeyCiphertextBlob, EncryptionContext: ec})
		wantCode(t, "Decrypt the private key", err, "")
		if string(dec.Plaintext) != string(out.PrivateKeyPlaintext) {
			t.Errorf("%s: decrypted private key differs from PrivateKeyPlaintext", spec)
		}
		if spec != types.DataKeyPairSpecEccSecgP256k1 {
			priv, err := x509.ParsePKCS8PrivateKey(out.PrivateKeyPlaintext)
			if err != nil {
				t.Fatalf("%s: private key is not PKCS#8: %v", spec, err)
			}
			pub, err := x509.MarshalPKIXPublicKey(priv.(crypto.Signer).Public())
			if err != nil || string(pub) != string(out.PublicKey) {
				t.Errorf("%s: public key does not match the private key", spec)
			}
		}
		w, err := c.GenerateDataKeyPairWithoutPlaintext(e.ctx, &awskms.GenerateDataKeyPairWithoutPlaintextInput{KeyId: aws.String(k), KeyPairSpec: spec, EncryptionContext: ec})
		wantCode(t, "GenerateDataKeyPairWithoutPlaintext", err, "")
		if len(w.PrivateKeyCiphertextBlob) == 0 || len(w.PublicKey) == 0 {
			t.Errorf("WithoutPlaintext %+v", w)
		}
	}
	_, err := c.GenerateDataKeyPair(e.ctx, &awskms.GenerateDataKeyPairInput{KeyId: aws.String(k), KeyPairSpec: types.DataKeyPairSpecSm2})
	wantCode(t, "SM2 outside China", err, "UnsupportedOperationException")
	_, err = c.GenerateDataKeyPair(e.ctx, &awskms.GenerateDataKeyPairInput{KeyId: aws.String(k), KeyPairSpec: types.DataKeyPairSpecRsa2048, DryRun: aws.Bool(true)})
	wantCode(t, "DryRun", err, "DryRunOperationException")
	asym := e.createKey("", withSpec(types.KeySpecRsa2048, types.KeyUsageTypeEncryptDecrypt))
	_, err = c.GenerateDataKeyPair(e.ctx, &awskms.GenerateDataKeyPairInput{KeyId: aws.String(asym), KeyPairSpec: types.DataKeyPairSpecRsa2048})
	wantCode(t, "with an asymmetric KMS key", err, "InvalidKeyUsageException")
	rec := e.lastRecord()
	if !strings.Contains(string(rec.RequestParameters), `"keyPairSpec":"RSA_2048"`) {
		t.Errorf("record %s", rec.RequestParameters)
	}
}

func TestTags(t *testing.T) {
	e := newEnv(t)
	c := e.client(akAdmin)
	k := e.createKey("", func(in *awskms.CreateKeyInput) {
		in.Tags = []types.Tag{{TagKey: aws.String("env"), TagValue: aws.String("test")}}
	})
	id := aws.String(k)
	list := func() map[string]string {
		out, err := c.ListResourceTags(e.ctx, &awskms.ListResourceTagsInput{KeyId: id})
		wantCode(t, "ListResourceTags", err, "")
		m := map[string]string{}
		for _, tg := range out.Tags {
			m[*tg.TagKey] = *tg.TagValue
		}
		return m
	}
	if m := list(); len(m) != 1 || m["env"] != "test" {
		t.Errorf("CreateKey's tags read back as %v", m)
	}
	_, err := c.TagResource(e.ctx, &awskms.TagResourceInput{KeyId: id, Tags: []types.Tag{{TagKey: aws.String("env"), TagValue: aws.String("prod")}, {TagKey: aws.String("team"), TagValue: aws.String("a")}}})
	wantCode(t, "TagResource", err, "")
	if m := list(); len(m) != 2 || m["env"] != "prod" || m["team"] != "a" {
		t.Errorf("after TagResource %v", m)
	}
	_, err = c.UntagResource(e.ctx, &awskms.UntagResourceInput{KeyId: id, TagKeys: []string{"env", "absent"}})
	wantCode(t, "UntagResource", err, "")
	if m := list(); len(m) != 1 || m["team"] != "a" {
		t.Errorf("after UntagResource %v", m)
	}
	_, err = c.TagResource(e.ctx, &awskms.TagResourceInput{KeyId: id, Tags: []types.Tag{{TagKey: aws.String("aws:reserved"), TagValue: aws.String("x")}}})
	wantCode(t, "reserved tag key", err, "TagException")
	many := make([]types.Tag, 51)
	for i := range many {
		many[i] = types.Tag{TagKey: aws.String("k" + string(rune('A'+i%26)) + string(rune('a'+i/26))), TagValue: aws.String("v")}
	}
	_, err = c.TagResource(e.ctx, &awskms.TagResourceInput{KeyId: id, Tags: many})
	wantCode(t, "51 tags", err, "LimitExceededException")
	// aws:ResourceTag conditions see the tags.
	tagged := e.createKey(`{"Version": "2012-10-17", "Statement": [` + adminStatement + `,
	  {"Effect": "Allow", "Principal": {"AWS": "` + roleARN + `"}, "Action": "kms:Encrypt", "Resource": "*", "Condition": {"StringEquals": {"aws:ResourceTag/team": "a"}}}]}`)
	caller := e.client(akCaller)
	_, err = caller.Encrypt(e.ctx, &awskms.EncryptInput{KeyId: aws.String(tagged), Plaintext: []byte("x")})
	wantCode(t, "Encrypt before tagging", err, "AccessDeniedException")
	_, err = c.TagResource(e.ctx, &awskms.TagResourceInput{KeyId: aws.String(tagged), Tags: []types.Tag{{TagKey: aws.String("team"), TagValue: aws.String("a")}}})
	wantCode(t, "TagResource", err, "")
	_, err = caller.Encrypt(e.ctx, &awskms.EncryptInput{KeyId: aws.String(tagged), Plaintext: []byte("x")})
	wantCode(t, "Encrypt after tagging", err, "")
	// Cross-account: no.
	_, err = e.client(akOutsider).ListResourceTags(e.ctx, &awskms.ListResourceTagsInput{KeyId: id})
	wantCode(t, "ListResourceTags from another account", err, "NotFoundException")
	if status(err) != 404 {
		t.Errorf("NotFound HTTP %d, want 404", status(err))
	}
}

func TestRotation(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	clock := &testClock{t: now}
	e := newEnv(t, func(o *kms.Options) { o.Now = clock.Now })
	c := e.client(akAdmin)
	k := e.createKey("")
	id := aws.String(k)
	st, err := c.GetKeyRotationStatus(e.ctx, &awskms.GetKeyRotationStatusInput{KeyId: id})
	wantCode(t, "GetKeyRotationStatus", err, "")
	if st.KeyRotationEnabled || st.RotationPeriodInDays != nil || st.NextRotationDate != nil {
		t.Errorf("new key rotation %+v", st)
	}
	_, err = c.EnableKeyRotation(e.ctx, &awskms.EnableKeyRotationInput{KeyId: id, RotationPeriodInDays: aws.Int32(89)})
	wantCode(t, "89 days", err, "ValidationException")
	_, err = c.EnableKeyRotation(e.ctx, &awskms.EnableKeyRotationInput{KeyId: id, RotationPeriodInDays: aws.Int32(90)})
	wantCode(t, "EnableKeyRotation", err, "")
	st, err = c.GetKeyRotationStatus(e.ctx, &awskms.GetKeyRotationStatusInput{KeyId: id})
	wantCode(t, "GetKeyRotationStatus", err, "")
	if !st.KeyRotationEnabled || *st.RotationPeriodInDays != 90 || !st.NextRotationDate.Equal(now.Add(90*24*time.Hour)) {
		t.Errorf("enabled rotation %+v %v", st, st.NextRotationDate)
	}
	ec := map[string]string{"a": "b"}
	before, err := c.GenerateDataKey(e.ctx, gdk(k, ec))
	wantCode(t, "GenerateDataKey", err, "")
	clock.advance(time.Hour)
	_, err = c.RotateKeyOnDemand(e.ctx, &awskms.RotateKeyOnDemandInput{KeyId: id})
	wantCode(t, "RotateKeyOnDemand", err, "")
	after, err := c.GenerateDataKey(e.ctx, gdk(k, ec))
	wantCode(t, "GenerateDataKey", err, "")
	if *before.KeyMaterialId == *after.KeyMaterialId {
		t.Errorf("rotation kept the key material %s", *after.KeyMaterialId)
	}
	dec, err := c.Decrypt(e.ctx, &awskms.DecryptInput{CiphertextBlob: before.CiphertextBlob, EncryptionContext: ec})
	wantCode(t, "Decrypt under the old material", err, "")
	if *dec.KeyMaterialId != *before.KeyMaterialId {
		t.Errorf("old ciphertext decrypted with material %s", *dec.KeyMaterialId)
	}
	rot, err := c.ListKeyRotations(e.ctx, &awskms.ListKeyRotationsInput{KeyId: id})
	wantCode(t, "ListKeyRotations", err, "")
	if len(rot.Rotations) != 1 || rot.Rotations[0].RotationType != types.RotationTypeOnDemand || *rot.Rotations[0].KeyMaterialId != *after.KeyMaterialId ||
		rot.Rotations[0].KeyMaterialState != types.KeyMaterialStateCurrent || !rot.Rotations[0].RotationDate.Equal(now.Add(time.Hour)) {
		t.Errorf("ListKeyRotations %+v", rot.Rotations)
	}
	all, err := c.ListKeyRotations(e.ctx, &awskms.ListKeyRotationsInput{KeyId: id, IncludeKeyMaterial: types.IncludeKeyMaterialAllKeyMaterial})
	wantCode(t, "ListKeyRotations ALL_KEY_MATERIAL", err, "")
	if len(all.Rotations) != 2 || *all.Rotations[0].KeyMaterialId != *before.KeyMaterialId || all.Rotations[0].KeyMaterialState != types.KeyMaterialStateNonCurrent {
		t.Errorf("ALL_KEY_MATERIAL %+v", all.Rotations)
	}
	_, err = c.DisableKeyRotation(e.ctx, &awskms.DisableKeyRotationInput{KeyId: id})
	wantCode(t, "DisableKeyRotation", err, "")
	st, _ = c.GetKeyRotationStatus(e.ctx, &awskms.GetKeyRotationStatusInput{KeyId: id})
	if st.KeyRotationEnabled {
		t.Errorf("rotation still enabled")
	}
	asym := aws.String(e.createKey("", withSpec(types.KeySpecRsa2048, types.KeyUsageTypeEncryptDecrypt)))
	_, err = c.EnableKeyRotation(e.ctx, &awskms.EnableKeyRotationInput{KeyId: asym})
	wantCode(t, "EnableKeyRotation of an RSA key", err, "UnsupportedOperationException")
	_, err = c.RotateKeyOnDemand(e.ctx, &awskms.RotateKeyOnDemandInput{KeyId: asym})
	wantCode(t, "RotateKeyOnDemand of an RSA key", err, "UnsupportedOperationException")
	// GetKeyRotationStatus works across accounts with the key ARN (the
	// key policy must allow it); EnableKeyRotation does not.
	shared := e.createKey(`{"Version": "2012-10-17", "Statement": [` + adminStatement + `,
	  {"Effect": "Allow", "Principal": {"AWS": "` + outsiderARN + `"}, "Action": ["kms:GetKeyRotationStatus", "kms:EnableKeyRotation"], "Resource": "*"}]}`)
	out := e.client(akOutsider)
	_, err = out.GetKeyRotationStatus(e.ctx, &awskms.GetKeyRotationStatusInput{KeyId: aws.String(shared)})
	wantCode(t, "cross-account GetKeyRotationStatus", err, "")
	_, err = out.EnableKeyRotation(e.ctx, &awskms.EnableKeyRotationInput{KeyId: aws.String(shared)})
	wantCode(t, "cross-account EnableKeyRotation", err, "NotFoundException")
}

func TestAliasAndDescriptionUpdates(t *testing.T) {
	e := newEnv(t)
	c := e.client(akAdmin)
	k1 := e.createKey("")
	k2 := e.createKey("")
	hm := e.createKey("", withSpec(types.KeySpecHmac256, types.KeyUsageTypeGenerateVerifyMac))
	_, err := c.CreateAlias(e.ctx, &awskms.CreateAliasInput{AliasName: aws.String("alias/app"), TargetKeyId: aws.String(k1)})
	wantCode(t, "CreateAlias", err, "")
	_, err = c.UpdateAlias(e.ctx, &awskms.UpdateAliasInput{AliasName: aws.String("alias/app"), TargetKeyId: aws.String(k2)})
	wantCode(t, "UpdateAlias", err, "")
	md, err := c.DescribeKey(e.ctx, &awskms.DescribeKeyInput{KeyId: aws.String("alias/app")})
	wantCode(t, "DescribeKey alias", err, "")
	if *md.KeyMetadata.Arn != k2 {
		t.Errorf("alias points at %s, want %s", *md.KeyMetadata.Arn, k2)
	}
	l, err := c.ListAliases(e.ctx, &awskms.ListAliasesInput{KeyId: aws.String(k1)})
	wantCode(t, "ListAliases", err, "")
	if len(l.Aliases) != 0 {
		t.Errorf("old key still has %v", l.Aliases)
	}
	_, err = c.UpdateAlias(e.ctx, &awskms.UpdateAliasInput{AliasName: aws.String("alias/app"), TargetKeyId: aws.String(hm)})
	wantCode(t, "UpdateAlias to an HMAC key", err, "ValidationException")
	_, err = c.UpdateAlias(e.ctx, &awskms.UpdateAliasInput{AliasName: aws.String("alias/none"), TargetKeyId: aws.String(k1)})
	wantCode(t, "UpdateAlias of a missing alias", err, "NotFoundException")
	rec := e.lastRecord()
	if rec.EventName != "UpdateAlias" || len(rec.Resources) == 0 || rec.Resources[0].Type != "AWS::KMS::Alias" {
		t.Errorf("UpdateAlias record %+v", rec.Resources)
	}
	// kms:UpdateAlias is needed on both keys.
	onlyNew := e.createKey(callerOnly("kms:UpdateAlias"))
	onlyOld := e.createKey(callerOnly("kms:UpdateAlias", "kms:CreateAlias"))
	caller := e.client(akCaller)
	_, err = caller.CreateAlias(e.ctx, &awskms.CreateAliasInput{AliasName: aws.String("alias/moving"), TargetKeyId: aws.String(onlyOld)})
	wantCode(t, "CreateAlias as caller", err, "")
	_, err = caller.UpdateAlias(e.ctx, &awskms.UpdateAliasInput{AliasName: aws.String("alias/moving"), TargetKeyId: aws.String(onlyNew)})
	wantCode(t, "UpdateAlias allowed on both keys", err, "")
	closed := e.createKey(callerOnly("kms:DescribeKey"))
	_, err = caller.UpdateAlias(e.ctx, &awskms.UpdateAliasInput{AliasName: aws.String("alias/moving"), TargetKeyId: aws.String(closed)})
	wantCode(t, "UpdateAlias to a key that does not allow it", err, "AccessDeniedException")

	_, err = c.UpdateKeyDescription(e.ctx, &awskms.UpdateKeyDescriptionInput{KeyId: aws.String(k1), Description: aws.String("renamed")})
	wantCode(t, "UpdateKeyDescription", err, "")
	md, _ = c.DescribeKey(e.ctx, &awskms.DescribeKeyInput{KeyId: aws.String(k1)})
	if *md.KeyMetadata.Description != "renamed" {
		t.Errorf("description %q", *md.KeyMetadata.Description)
	}
	pols, err := c.ListKeyPolicies(e.ctx, &awskms.ListKeyPoliciesInput{KeyId: aws.String(k1)})
	wantCode(t, "ListKeyPolicies", err, "")
	if len(pols.PolicyNames) != 1 || pols.PolicyNames[0] != "default" || pols.Truncated {
		t.Errorf("ListKeyPolicies %+v", pols)
	}
	stores, err := c.DescribeCustomKeyStores(e.ctx, &awskms.DescribeCustomKeyStoresInput{})
	wantCode(t, "DescribeCustomKeyStores", err, "")
	if len(stores.CustomKeyStores) != 0 {
		t.Errorf("custom key stores %+v", stores.CustomKeyStores)
	}
	_, err = c.DescribeCustomKeyStores(e.ctx, &awskms.DescribeCustomKeyStoresInput{CustomKeyStoreId: aws.String("cks-1234567890abcdef0")})
	wantCode(t, "DescribeCustomKeyStores by id", err, "CustomKeyStoreNotFoundException")
	_, err = e.client(akNoIAM).DescribeCustomKeyStores(e.ctx, &awskms.DescribeCustomKeyStoresInput{})
	wantCode(t, "DescribeCustomKeyStores without IAM permission", err, "AccessDeniedException")
}

func TestRetireGrant(t *testing.T) {
	e := newEnv(t)
	admin := e.client(akAdmin)
	k := e.createKey("")
	id := aws.String(k)
	grant := func(retiring string, ops ...types.GrantOperation) *awskms.CreateGrantOutput {
		in := &awskms.CreateGrantInput{KeyId: id, GranteePrincipal: aws.String(outsiderARN), Operations: ops}
		if retiring != "" {
			in.RetiringPrincipal = aws.String(retiring)
		}
		g, err := admin.CreateGrant(e.ctx, in)
		wantCode(t, "CreateGrant", err, "")
		return g
	}
	outsider := e.client(akOutsider)
	caller := e.client(akCaller)

	g1 := grant(roleARN, types.GrantOperationDecrypt)
	list, err := caller.ListRetirableGrants(e.ctx, &awskms.ListRetirableGrantsInput{RetiringPrincipal: aws.String(roleARN)})
	wantCode(t, "ListRetirableGrants", err, "")
	if len(list.Grants) != 1 || *list.Grants[0].GrantId != *g1.GrantId || *list.Grants[0].KeyId != k {
		t.Errorf("ListRetirableGrants %+v", list.Grants)
	}
	_, err = outsider.RetireGrant(e.ctx, &awskms.RetireGrantInput{KeyId: id, GrantId: g1.GrantId})
	wantCode(t, "grantee without RetireGrant", err, "AccessDeniedException")
	_, err = caller.RetireGrant(e.ctx, &awskms.RetireGrantInput{GrantToken: g1.GrantToken, DryRun: aws.Bool(true)})
	wantCode(t, "retiring principal, DryRun", err, "DryRunOperationException")
	_, err = caller.RetireGrant(e.ctx, &awskms.RetireGrantInput{GrantToken: g1.GrantToken})
	wantCode(t, "retiring principal by token", err, "")
	rec := e.lastRecord()
	if rec.EventName != "RetireGrant" || !strings.Contains(string(rec.RequestParameters), *g1.GrantId) || strings.Contains(string(rec.RequestParameters), *g1.GrantToken) {
		t.Errorf("RetireGrant record %s", rec.RequestParameters)
	}
	_, err = caller.RetireGrant(e.ctx, &awskms.RetireGrantInput{GrantToken: g1.GrantToken})
	wantCode(t, "retired twice", err, "InvalidGrantTokenException")

	g2 := grant("", types.GrantOperationDecrypt, types.GrantOperationRetireGrant)
	_, err = outsider.RetireGrant(e.ctx, &awskms.RetireGrantInput{KeyId: id, GrantId: g2.GrantId})
	wantCode(t, "grantee with RetireGrant", err, "")
	g3 := grant("", types.GrantOperationDecrypt)
	_, err = e.client(akNoIAM).RetireGrant(e.ctx, &awskms.RetireGrantInput{KeyId: id, GrantId: g3.GrantId})
	wantCode(t, "a principal of the account without IAM permission", err, "AccessDeniedException")
	_, err = admin.RetireGrant(e.ctx, &awskms.RetireGrantInput{KeyId: id, GrantId: g3.GrantId})
	wantCode(t, "a principal of the account IAM allows", err, "")
	_, err = admin.RetireGrant(e.ctx, &awskms.RetireGrantInput{KeyId: id, GrantId: aws.String(strings.Repeat("0", 64))})
	wantCode(t, "unknown grant id", err, "NotFoundException")
	_, err = admin.RetireGrant(e.ctx, &awskms.RetireGrantInput{KeyId: id, GrantId: aws.String("nope")})
	wantCode(t, "malformed grant id", err, "InvalidGrantIdException")
	_, err = e.client(akNoIAM).ListRetirableGrants(e.ctx, &awskms.ListRetirableGrantsInput{RetiringPrincipal: aws.String(roleARN)})
	wantCode(t, "ListRetirableGrants without IAM permission", err, "AccessDeniedException")
}

// TestNewStatePersists restarts a server on its state directory: rotated
// material, rotation settings, tags and secp256k1 and HMAC keys survive.
func TestNewStatePersists(t *testing.T) {
	dir := t.TempDir()
	e1 := newEnv(t, func(o *kms.Options) { o.StateDir = dir })
	c := e1.client(akAdmin)
	sym := e1.createKey("")
	k1 := e1.createKey("", withSpec(types.KeySpecEccSecgP256k1, types.KeyUsageTypeSignVerify))
	mac := e1.createKey("", withSpec(types.KeySpecHmac512, types.KeyUsageTypeGenerateVerifyMac))
	msg := []byte("persist")
	sig, err := c.Sign(e1.ctx, &awskms.SignInput{KeyId: aws.String(k1), Message: msg, SigningAlgorithm: types.SigningAlgorithmSpecEcdsaSha256})
	wantCode(t, "Sign", err, "")
	m, err := c.GenerateMac(e1.ctx, &awskms.GenerateMacInput{KeyId: aws.String(mac), Message: msg, MacAlgorithm: types.MacAlgorithmSpecHmacSha512})
	wantCode(t, "GenerateMac", err, "")
	ec := map[string]string{"x": "y"}
	old, err := c.GenerateDataKey(e1.ctx, gdk(sym, ec))
	wantCode(t, "GenerateDataKey", err, "")
	_, err = c.RotateKeyOnDemand(e1.ctx, &awskms.RotateKeyOnDemandInput{KeyId: aws.String(sym)})
	wantCode(t, "RotateKeyOnDemand", err, "")
	_, err = c.EnableKeyRotation(e1.ctx, &awskms.EnableKeyRotationInput{KeyId: aws.String(sym), RotationPeriodInDays: aws.Int32(100)})
	wantCode(t, "EnableKeyRotation", err, "")
	_, err = c.TagResource(e1.ctx, &awskms.TagResourceInput{KeyId: aws.String(sym), Tags: []types.Tag{{TagKey: aws.String("t"), TagValue: aws.String("v")}}})
	wantCode(t, "TagResource", err, "")

	e2 := newEnv(t, func(o *kms.Options) { o.StateDir = dir })
	c2 := e2.client(akAdmin)
	_, err = c2.Verify(e2.ctx, &awskms.VerifyInput{KeyId: aws.String(k1), Message: msg, Signature: sig.Signature, SigningAlgorithm: types.SigningAlgorithmSpecEcdsaSha256})
	wantCode(t, "Verify after restart", err, "")
	_, err = c2.VerifyMac(e2.ctx, &awskms.VerifyMacInput{KeyId: aws.String(mac), Message: msg, Mac: m.Mac, MacAlgorithm: types.MacAlgorithmSpecHmacSha512})
	wantCode(t, "VerifyMac after restart", err, "")
	_, err = c2.Decrypt(e2.ctx, &awskms.DecryptInput{CiphertextBlob: old.CiphertextBlob, EncryptionContext: ec})
	wantCode(t, "Decrypt under the pre-rotation material after restart", err, "")
	st, err := c2.GetKeyRotationStatus(e2.ctx, &awskms.GetKeyRotationStatusInput{KeyId: aws.String(sym)})
	wantCode(t, "GetKeyRotationStatus", err, "")
	if !st.KeyRotationEnabled || *st.RotationPeriodInDays != 100 {
		t.Errorf("rotation after restart %+v", st)
	}
	rot, _ := c2.ListKeyRotations(e2.ctx, &awskms.ListKeyRotationsInput{KeyId: aws.String(sym)})
	tags, _ := c2.ListResourceTags(e2.ctx, &awskms.ListResourceTagsInput{KeyId: aws.String(sym)})
	if len(rot.Rotations) != 1 || len(tags.Tags) != 1 {
		t.Errorf("after restart: %d rotations, %d tags", len(rot.Rotations), len(tags.Tags))
	}
}
