package kms

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"hash"

	"github.com/kmslint/kmslint/internal/authz"
)

const (
	maxPlaintext    = 4096
	maxDataKeyBytes = 1024
	ignoreCipher    = "IGNORE_CIPHERTEXT"
)

// Cryptographic operations.
// https://docs.aws.amazon.com/kms/latest/developerguide/kms-cryptography.html#cryptographic-operations

type encryptParams struct {
	EncryptionContext   map[string]string `json:"encryptionContext,omitempty"`
	KeyID               string            `json:"keyId"`
	EncryptionAlgorithm string            `json:"encryptionAlgorithm"`
	DryRun              *bool             `json:"dryRun,omitempty"`
}

func algorithmOf(p *string) (string, *APIError) {
	alg := str(p)
	switch alg {
	case "":
		return algSymmetric, nil
	case algSymmetric, algOAEPSHA1, algOAEPSHA256:
		return alg, nil
	case "SM2PKE":
		return "", clientErr(CodeUnsupportedOp, "SM2PKE is available only in China Regions and not in this simulator.")
	}
	return "", validation("1 validation error detected: Value '%s' at 'encryptionAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [SYMMETRIC_DEFAULT, RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256, SM2PKE]", alg)
}

func withAlgorithm(alg string) func(*authz.Context) {
	return func(ctx *authz.Context) { ctx.Set("kms:encryptionalgorithm", alg) }
}

// checkAlgorithm matches an encryption algorithm to the key: symmetric keys
// take SYMMETRIC_DEFAULT only, RSA keys one of the OAEP algorithms, and
// asymmetric algorithms take no encryption context.
func checkAlgorithm(k *key, op, alg string, ec map[string]string) *APIError {
	if e := checkUsage(k, op, usageEncrypt, false); e != nil {
		return e
	}
	if (k.Spec == specSymmetric) != (alg == algSymmetric) {
		return clientErr(CodeInvalidKeyUsage, "The encryption algorithm %s is not valid for %s, whose key spec is %s.", alg, k.ARN, k.Spec)
	}
	if k.Spec != specSymmetric && len(ec) > 0 {
		return validation("Asymmetric algorithms do not support an encryption context.")
	}
	return nil
}

func checkDryRunModifiers(mods []string) (ignore bool, e *APIError) {
	for _, m := range mods {
		if m != ignoreCipher {
			return false, validation("1 validation error detected: Value '%s' at 'dryRunModifiers' failed to satisfy constraint: Member must satisfy enum value set: [IGNORE_CIPHERTEXT]", m)
		}
		ignore = true
	}
	return ignore, nil
}

func (c *call) encrypt(body []byte) (any, *APIError) {
	var in encryptInput
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	alg, algErr := algorithmOf(in.EncryptionAlgorithm)
	c.params = encryptParams{EncryptionContext: in.EncryptionContext, KeyID: str(in.KeyId), EncryptionAlgorithm: alg, DryRun: in.DryRun}
	if algErr != nil {
		return nil, algErr
	}
	if len(in.Plaintext) == 0 {
		return nil, required("plaintext")
	}
	if len(in.Plaintext) > maxPlaintext {
		return nil, validation("1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to %d", maxPlaintext)
	}
	k, e := c.keyOp(in.KeyId, "kms:Encrypt", true, true, in.EncryptionContext, withAlgorithm(alg))
	if e != nil {
		return nil, e
	}
	if e := checkState(k); e != nil {
		return nil, e
	}
	if e := checkAlgorithm(k, "Encrypt", alg, in.EncryptionContext); e != nil {
		return nil, e
	}
	if boolean(in.DryRun) {
		return nil, dryRun()
	}
	var blob []byte
	if k.Spec == specSymmetric {
		var err error
		blob, err = seal(k.current.aead, headerOf(k), in.Plaintext, in.EncryptionContext)
		if err != nil {
			return nil, internal(err)
		}
	} else {
		pub := k.current.private.Public().(*rsa.PublicKey)
		var err error
		blob, err = rsa.EncryptOAEP(oaepHash(alg), rand.Reader, pub, in.Plaintext, nil)
		if err != nil {
			return nil, validation("Plaintext is too long for %s with %s: %v", k.Spec, alg, err)
		}
	}
	c.additional = keyMaterialEvent{KeyMaterialID: k.current.idHex()}
	return encryptOutput{CiphertextBlob: blob, KeyId: k.ARN, EncryptionAlgorithm: alg}, nil
}

func headerOf(k *key) blobHeader {
	return blobHeader{KeyID: k.id, MaterialID: k.current.id}
}

func oaepHash(alg string) hash.Hash {
	if alg == algOAEPSHA1 {
		return sha1.New()
	}
	return sha256.New()
}

func invalidCiphertext() *APIError {
	return clientErr(CodeInvalidCiphertext, "The ciphertext is invalid, or it was not encrypted under this key with this encryption context.")
}

func incorrectKey() *APIError {
	// The wording of https://docs.aws.amazon.com/kms/latest/developerguide/ct-decrypt.html#ct-decrypt-fail
	return clientErr(CodeIncorrectKey, "The key ID in the request does not identify a CMK that can perform this operation.")
}

// sealedKey is a ciphertext blob taken apart, with the key it names.
type sealedKey struct {
	k      *key
	m      *material
	blob   []byte
	nonce  []byte
	sealed []byte
}

// openBlob finds the key of a symmetric ciphertext. want, if not nil, is
// the key the request named; another key is IncorrectKeyException.
func (c *call) openBlob(blob []byte, want *key) (*sealedKey, *APIError) {
	h, nonce, sealed, err := parseBlob(blob)
	if err != nil {
		return nil, invalidCiphertext()
	}
	k := c.s.store.get(h.KeyID, c.now)
	if k == nil {
		return nil, invalidCiphertext()
	}
	if want != nil && want.id != k.id {
		return nil, incorrectKey()
	}
	m := k.materials[h.MaterialID]
	if m == nil {
		return nil, invalidCiphertext()
	}
	return &sealedKey{k: k, m: m, blob: blob, nonce: nonce, sealed: sealed}, nil
}

func (c *call) decrypt(body []byte) (any, *APIError) {
	var in decryptInput
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	alg, algErr := algorithmOf(in.EncryptionAlgorithm)
	c.params = cryptoParams{EncryptionAlgorithm: alg, KeyID: str(in.KeyId), EncryptionContext: in.EncryptionContext, DryRun: in.DryRun}
	if algErr != nil {
		return nil, algErr
	}
	ignore, e := checkDryRunModifiers(in.DryRunModifiers)
	if e != nil {
		return nil, e
	}
	if len(in.Recipient) > 0 && string(in.Recipient) != "null" {
		return nil, clientErr(CodeUnsupportedOp, "Recipient (Nitro Enclaves attestation) is not supported by this simulator.")
	}
	ec := in.EncryptionContext
	var (
		named     *key
		aliasName string
	)
	if in.KeyId != nil && *in.KeyId != "" {
		named, aliasName, e = c.resolveKey(*in.KeyId, true)
		if e != nil {
			return nil, e
		}
	}
	if boolean(in.DryRun) && ignore {
		// A permission check that does not look at the ciphertext: the key
		// must come from KeyId.
		if named == nil {
			return nil, validation("KeyId is required when DryRunModifiers includes IGNORE_CIPHERTEXT.")
		}
		if e := c.authorizeUse(named, aliasName, "kms:Decrypt", ec, withAlgorithm(alg)); e != nil {
			return nil, e
		}
		if e := checkState(named); e != nil {
			return nil, e
		}
		if e := checkAlgorithm(named, "Decrypt", alg, ec); e != nil {
			return nil, e
		}
		return nil, dryRun()
	}
	if len(in.CiphertextBlob) == 0 {
		return nil, required("ciphertextBlob")
	}
	if len(in.CiphertextBlob) > MaxCiphertextBlob {
		return nil, validation("1 validation error detected: Value at 'ciphertextBlob' failed to satisfy constraint: Member must have length less than or equal to %d", MaxCiphertextBlob)
	}
	if named != nil && named.Spec != specSymmetric {
		return c.decryptAsymmetric(named, aliasName, alg, &in)
	}
	if alg != algSymmetric {
		if named == nil {
			return nil, validation("KeyId is required to decrypt with %s.", alg)
		}
	}
	sk, e := c.openBlob(in.CiphertextBlob, named)
	if e != nil {
		if named != nil {
			c.useKey(named)
		}
		return nil, e
	}
	k := sk.k
	if named == nil {
		aliasName = ""
	}
	if e := c.authorizeUse(k, aliasName, "kms:Decrypt", ec, withAlgorithm(alg)); e != nil {
		return nil, e
	}
	if e := checkState(k); e != nil {
		return nil, e
	}
	if e := checkAlgorithm(k, "Decrypt", alg, ec); e != nil {
		return nil, e
	}
	pt, err := open(sk.m.aead, sk.blob, sk.nonce, sk.sealed, ec)
	if err != nil {
		return nil, invalidCiphertext()
	}
	if boolean(in.DryRun) {
		return nil, dryRun()
	}
	c.additional = keyMaterialEvent{KeyMaterialID: sk.m.idHex()}
	return decryptOutput{KeyId: k.ARN, Plaintext: pt, EncryptionAlgorithm: alg, KeyMaterialId: sk.m.idHex()}, nil
}

func (c *call) decryptAsymmetric(k *key, aliasName, alg string, in *decryptInput) (any, *APIError) {
	if e := c.authorizeUse(k, aliasName, "kms:Decrypt", in.EncryptionContext, withAlgorithm(alg)); e != nil {
		return nil, e
	}
	if e := checkState(k); e != nil {
		return nil, e
	}
	if e := checkAlgorithm(k, "Decrypt", alg, in.EncryptionContext); e != nil {
		return nil, e
	}
	priv, ok := k.current.private.(*rsa.PrivateKey)
	if !ok {
		return nil, checkUsage(k, "Decrypt", usageEncrypt, true)
	}
	pt, err := rsa.DecryptOAEP(oaepHash(alg), nil, priv, in.CiphertextBlob, nil)
	if err != nil {
		return nil, invalidCiphertext()
	}
	if boolean(in.DryRun) {
		return nil, dryRun()
	}
	return decryptOutput{KeyId: k.ARN, Plaintext: pt, EncryptionAlgorithm: alg}, nil
}

// authorizeUse authorizes action on a key already resolved.
func (c *call) authorizeUse(k *key, aliasName, action string, ec map[string]string, extra ...func(*authz.Context)) *APIError {
	c.useKey(k)
	ctx := c.requestContext()
	addKeyContext(ctx, k, aliasName)
	addEncryptionContext(ctx, ec)
	for _, fn := range extra {
		fn(ctx)
	}
	return c.authorize(k, action, ctx, ec)
}

func (c *call) reEncrypt(body []byte) (any, *APIError) {
	var in reEncryptInput
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	srcAlg, e1 := algorithmOf(in.SourceEncryptionAlgorithm)
	dstAlg, e2 := algorithmOf(in.DestinationEncryptionAlgorithm)
	c.params = reEncryptParams{
		SourceKeyID: str(in.SourceKeyId), DestinationKeyID: str(in.DestinationKeyId),
		SourceEncryptionContext: in.SourceEncryptionContext, DestinationEncryptionContext: in.DestinationEncryptionContext,
		SourceEncryptionAlgorithm: srcAlg, DestinationEncryptionAlgorithm: dstAlg, DryRun: in.DryRun,
	}
	if e1 != nil {
		return nil, e1
	}
	if e2 != nil {
		return nil, e2
	}
	ignore, e := checkDryRunModifiers(in.DryRunModifiers)
	if e != nil {
		return nil, e
	}
	if in.DestinationKeyId == nil || *in.DestinationKeyId == "" {
		return nil, required("destinationKeyId")
	}
	if srcAlg != algSymmetric || dstAlg != algSymmetric {
		return nil, clientErr(CodeUnsupportedOp, "ReEncrypt with asymmetric keys is not supported by this simulator.")
	}
	var src *key
	var srcAlias string
	if in.SourceKeyId != nil && *in.SourceKeyId != "" {
		if src, srcAlias, e = c.resolveKey(*in.SourceKeyId, true); e != nil {
			return nil, e
		}
	}
	dst, dstAlias, e := c.resolveKey(*in.DestinationKeyId, true)
	if e != nil {
		return nil, e
	}
	var sk *sealedKey
	if !(boolean(in.DryRun) && ignore) {
		if len(in.CiphertextBlob) == 0 {
			return nil, required("ciphertextBlob")
		}
		if sk, e = c.openBlob(in.CiphertextBlob, src); e != nil {
			return nil, e
		}
		if src == nil {
			srcAlias = ""
		}
		src = sk.k
	} else if src == nil {
		return nil, validation("SourceKeyId is required when DryRunModifiers includes IGNORE_CIPHERTEXT.")
	}
	same := func(ctx *authz.Context) {
		ctx.Set("kms:reencryptonsamekey", boolString(src.id == dst.id))
	}
	if e := c.authorizeUse(src, srcAlias, "kms:ReEncryptFrom", in.SourceEncryptionContext, withAlgorithm(srcAlg), same); e != nil {
		return nil, e
	}
	if e := c.authorizeUse(dst, dstAlias, "kms:ReEncryptTo", in.DestinationEncryptionContext, withAlgorithm(dstAlg), same); e != nil {
		return nil, e
	}
	for _, k := range []*key{src, dst} {
		if e := checkState(k); e != nil {
			return nil, e
		}
		if e := checkAlgorithm(k, "ReEncrypt", algSymmetric, nil); e != nil {
			return nil, e
		}
	}
	if sk == nil {
		return nil, dryRun()
	}
	pt, err := open(sk.m.aead, sk.blob, sk.nonce, sk.sealed, in.SourceEncryptionContext)
	if err != nil {
		return nil, invalidCiphertext()
	}
	if boolean(in.DryRun) {
		return nil, dryRun()
	}
	blob, err := seal(dst.current.aead, headerOf(dst), pt, in.DestinationEncryptionContext)
	if err != nil {
		return nil, internal(err)
	}
	return reEncryptOutput{
		CiphertextBlob: blob, SourceKeyId: src.ARN, KeyId: dst.ARN,
		SourceEncryptionAlgorithm: srcAlg, DestinationEncryptionAlgorithm: dstAlg,
		SourceKeyMaterialId: sk.m.idHex(), DestinationKeyMaterialId: dst.current.idHex(),
	}, nil
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func (c *call) generateDataKey(body []byte) (any, *APIError) {
	return c.dataKey(body, true)
}

func (c *call) generateDataKeyWithoutPlaintext(body []byte) (any, *APIError) {
	return c.dataKey(body, false)
}

// dataKey implements GenerateDataKey and GenerateDataKeyWithoutPlaintext.
func (c *call) dataKey(body []byte, withPlaintext bool) (any, *APIError) {
	var in generateDataKeyInput
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	c.params = dataKeyParams{EncryptionContext: in.EncryptionContext, NumberOfBytes: in.NumberOfBytes, KeySpec: str(in.KeySpec), KeyID: str(in.KeyId), DryRun: in.DryRun}
	var n int
	switch {
	case in.NumberOfBytes != nil && in.KeySpec != nil:
		return nil, validation("Please specify either number of bytes or key spec, not both.")
	case in.NumberOfBytes != nil:
		n = *in.NumberOfBytes
		if n < 1 || n > maxDataKeyBytes {
			return nil, validation("1 validation error detected: Value '%d' at 'numberOfBytes' failed to satisfy constraint: Member must have value between 1 and %d", n, maxDataKeyBytes)
		}
	case in.KeySpec != nil:
		switch *in.KeySpec {
		case "AES_256":
			n = 32
		case "AES_128":
			n = 16
		default:
			return nil, validation("1 validation error detected: Value '%s' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [AES_256, AES_128]", *in.KeySpec)
		}
	default:
		return nil, validation("Please specify either number of bytes or key spec.")
	}
	if len(in.Recipient) > 0 && string(in.Recipient) != "null" {
		return nil, clientErr(CodeUnsupportedOp, "Recipient (Nitro Enclaves attestation) is not supported by this simulator.")
	}
	action := "kms:GenerateDataKey"
	op := "GenerateDataKey"
	if !withPlaintext {
		action, op = "kms:GenerateDataKeyWithoutPlaintext", "GenerateDataKeyWithoutPlaintext"
	}
	k, e := c.keyOp(in.KeyId, action, true, true, in.EncryptionContext, withAlgorithm(algSymmetric))
	if e != nil {
		return nil, e
	}
	if e := checkState(k); e != nil {
		return nil, e
	}
	if e := checkUsage(k, op, usageEncrypt, true); e != nil {
		return nil, e
	}
	if boolean(in.DryRun) {
		return nil, dryRun()
	}
	pt := make([]byte, n)
	if _, err := rand.Read(pt); err != nil {
		return nil, internal(err)
	}
	blob, err := seal(k.current.aead, headerOf(k), pt, in.EncryptionContext)
	if err != nil {
		return nil, internal(err)
	}
	c.additional = keyMaterialEvent{KeyMaterialID: k.current.idHex()}
	out := generateDataKeyOutput{CiphertextBlob: blob, KeyId: k.ARN, KeyMaterialId: k.current.idHex()}
	if withPlaintext {
		out.Plaintext = pt
	}
	return out, nil
}

func (c *call) generateRandom(body []byte) (any, *APIError) {
	var in generateRandomInput
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	c.params = randomParams{NumberOfBytes: in.NumberOfBytes}
	if in.NumberOfBytes == nil {
		return nil, validation("Please specify the number of bytes.")
	}
	if n := *in.NumberOfBytes; n < 1 || n > maxDataKeyBytes {
		return nil, validation("1 validation error detected: Value '%d' at 'numberOfBytes' failed to satisfy constraint: Member must have value between 1 and %d", n, maxDataKeyBytes)
	}
	if in.CustomKeyStoreId != nil {
		return nil, clientErr(CodeUnsupportedOp, "Custom key stores are not supported by this simulator.")
	}
	if len(in.Recipient) > 0 && string(in.Recipient) != "null" {
		return nil, clientErr(CodeUnsupportedOp, "Recipient (Nitro Enclaves attestation) is not supported by this simulator.")
	}
	if e := c.authorizeIAM("kms:GenerateRandom", c.requestContext()); e != nil {
		return nil, e
	}
	pt := make([]byte, *in.NumberOfBytes)
	if _, err := rand.Read(pt); err != nil {
		return nil, internal(err)
	}
	return generateRandomOutput{Plaintext: pt}, nil
}
