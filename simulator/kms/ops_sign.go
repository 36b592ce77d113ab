package kms

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/json"
	"hash"
	"strings"

	k1ecdsa "github.com/decred/dcrd/dcrec/secp256k1/v4/ecdsa"

	"github.com/kmslint/kmslint/internal/authz"
)

// Asymmetric and HMAC operations: Sign, Verify, GetPublicKey, GenerateMac,
// VerifyMac, GenerateDataKeyPair(WithoutPlaintext). Messages, signatures,
// MACs and private keys are never logged.
// https://docs.aws.amazon.com/kms/latest/APIReference/API_Sign.html
// https://docs.aws.amazon.com/kms/latest/APIReference/API_GenerateMac.html
// https://docs.aws.amazon.com/kms/latest/APIReference/API_GenerateDataKeyPair.html

const maxMessage = 4096

type signInput struct {
	KeyId            *string
	Message          []byte
	MessageType      *string
	Signature        []byte
	SigningAlgorithm *string
	GrantTokens      []string
	DryRun           *bool
}

type signParams struct {
	KeyID            string `json:"keyId"`
	MessageType      string `json:"messageType"`
	SigningAlgorithm string `json:"signingAlgorithm"`
	DryRun           *bool  `json:"dryRun,omitempty"`
}

type signOutput struct {
	KeyId            string
	Signature        []byte
	SigningAlgorithm string
}

type verifyOutput struct {
	KeyId            string
	SignatureValid   bool
	SigningAlgorithm string
}

type macInput struct {
	KeyId        *string
	Message      []byte
	MacAlgorithm *string
	Mac          []byte
	GrantTokens  []string
	DryRun       *bool
}

type macParams struct {
	KeyID        string `json:"keyId"`
	MacAlgorithm string `json:"macAlgorithm"`
	DryRun       *bool  `json:"dryRun,omitempty"`
}

type generateMacOutput struct {
	KeyId        string
	Mac          []byte
	MacAlgorithm string
}

type verifyMacOutput struct {
	KeyId        string
	MacValid     bool
	MacAlgorithm string
}

type getPublicKeyOutput struct {
	KeyId                  string
	PublicKey              []byte
	CustomerMasterKeySpec  string
	KeySpec                string
	KeyUsage               string
	EncryptionAlgorithms   []string `json:",omitempty"`
	SigningAlgorithms      []string `json:",omitempty"`
	KeyAgreementAlgorithms []string `json:",omitempty"`
}

type dataKeyPairInput struct {
	KeyId             *string
	KeyPairSpec       *string
	EncryptionContext map[string]string
	GrantTokens       []string
	DryRun            *bool
	Recipient         json.RawMessage
}

type dataKeyPairParams struct {
	KeyID             string            `json:"keyId"`
	KeyPairSpec       string            `json:"keyPairSpec"`
	EncryptionContext map[string]string `json:"encryptionContext,omitempty"`
	DryRun            *bool             `json:"dryRun,omitempty"`
}

type dataKeyPairOutput struct {
	KeyId                    string
	KeyPairSpec              string
	PrivateKeyCiphertextBlob []byte
	PrivateKeyPlaintext      []byte `json:",omitempty"`
	PublicKey                []byte
	KeyMaterialId            string `json:",omitempty"`
}

// signingHash is the digest of a signing algorithm.
func signingHash(alg string) (crypto.Hash, bool) {
	switch {
	case strings.HasSuffix(alg, "SHA_256"):
		return crypto.SHA256, true
	case strings.HasSuffix(alg, "SHA_384"):
		return crypto.SHA384, true
	case strings.HasSuffix(alg, "SHA_512"):
		return crypto.SHA512, true
	}
	return 0, false
}

func validSigningAlgorithm(alg string) bool {
	return contains(rsaSigning, alg) || alg == "ECDSA_SHA_256" || alg == "ECDSA_SHA_384" || alg == "ECDSA_SHA_512"
}

// signDigest checks Sign/Verify parameters against the key and returns
// the digest to sign: KMS hashes a RAW message itself, and takes a DIGEST
// message as the hash, which must then have the hash's length.
// https://docs.aws.amazon.com/kms/latest/APIReference/API_Sign.html#KMS-Sign-request-MessageType
func (c *call) signDigest(in *signInput, op, action string) (*key, []byte, crypto.Hash, *APIError) {
	mt := str(in.MessageType)
	if mt == "" {
		mt = "RAW"
	}
	alg := str(in.SigningAlgorithm)
	c.params = signParams{KeyID: str(in.KeyId), MessageType: mt, SigningAlgorithm: alg, DryRun: in.DryRun}
	if len(in.Message) == 0 {
		return nil, nil, 0, required("message")
	}
	if len(in.Message) > maxMessage {
		return nil, nil, 0, validation("1 validation error detected: Value at 'message' failed to satisfy constraint: Member must have length less than or equal to %d", maxMessage)
	}
	if alg == "" {
		return nil, nil, 0, required("signingAlgorithm")
	}
	if !validSigningAlgorithm(alg) {
		if alg == "SM2DSA" || strings.HasPrefix(alg, "ML_DSA") || strings.HasPrefix(alg, "ED25519") {
			return nil, nil, 0, clientErr(CodeUnsupportedOp, "Signing algorithm %s is not supported by this simulator.", alg)
		}
		return nil, nil, 0, validation("1 validation error detected: Value '%s' at 'signingAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [RSASSA_PSS_SHA_256, RSASSA_PSS_SHA_384, RSASSA_PSS_SHA_512, RSASSA_PKCS1_V1_5_SHA_256, RSASSA_PKCS1_V1_5_SHA_384, RSASSA_PKCS1_V1_5_SHA_512, ECDSA_SHA_256, ECDSA_SHA_384, ECDSA_SHA_512, SM2DSA, ML_DSA_SHAKE_256]", alg)
	}
	switch mt {
	case "RAW", "DIGEST":
	case "EXTERNAL_MU":
		return nil, nil, 0, clientErr(CodeInvalidKeyUsage, "MessageType EXTERNAL_MU is valid only with ML-DSA keys, not with %s.", alg)
	default:
		return nil, nil, 0, validation("1 validation error detected: Value '%s' at 'messageType' failed to satisfy constraint: Member must satisfy enum value set: [RAW, DIGEST, EXTERNAL_MU]", mt)
	}
	if op == "Verify" && len(in.Signature) == 0 {
		return nil, nil, 0, required("signature")
	}
	k, e := c.keyOp(in.KeyId, action, true, true, nil, func(ctx *authz.Context) {
		ctx.Set("kms:signingalgorithm", alg)
		ctx.Set("kms:messagetype", mt)
	})
	if e != nil {
		return nil, nil, 0, e
	}
	if e := checkState(k); e != nil {
		return nil, nil, 0, e
	}
	if e := checkUsage(k, op, usageSign, false); e != nil {
		return nil, nil, 0, e
	}
	if !contains(signingAlgorithms(k.Spec), alg) {
		return nil, nil, 0, clientErr(CodeInvalidKeyUsage, "Signing algorithm %s is not valid for %s, whose key spec is %s; use one of %s.", alg, k.ARN, k.Spec, strings.Join(signingAlgorithms(k.Spec), ", "))
	}
	h, _ := signingHash(alg)
	digest := in.Message
	if mt == "RAW" {
		hh := h.New()
		hh.Write(in.Message)
		digest = hh.Sum(nil)
	} else if len(digest) != h.Size() {
		return nil, nil, 0, validation("Digest is invalid length for algorithm %s: it is %d bytes, want %d.", alg, len(digest), h.Size())
	}
	return k, digest, h, nil
}

func (c *call) sign(body []byte) (any, *APIError) {
	var in signInput
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	k, digest, h, e := c.signDigest(&in, "Sign", "kms:Sign")
	if e != nil {
		return nil, e
	}
	if boolean(in.DryRun) {
		return nil, dryRun()
	}
	alg := str(in.SigningAlgorithm)
	m := k.current
	var (
		sig []byte
		err error
	)
	switch {
	case m.k1 != nil:
		sig = k1ecdsa.Sign(m.k1, digest).Serialize()
	case strings.HasPrefix(alg, "RSASSA_PSS"):
		sig, err = rsa.SignPSS(rand.Reader, m.private.(*rsa.PrivateKey), h, digest, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	case strings.HasPrefix(alg, "RSASSA_PKCS1"):
		sig, err = rsa.SignPKCS1v15(nil, m.private.(*rsa.PrivateKey), h, digest)
	default:
		sig, err = ecdsa.SignASN1(rand.Reader, m.private.(*ecdsa.PrivateKey), digest)
	}
	if err != nil {
		return nil, internal(err)
	}
	return signOutput{KeyId: k.ARN, Signature: sig, SigningAlgorithm: alg}, nil
}

func (c *call) verify(body []byte) (any, *APIError) {
	var in signInput
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	k, digest, h, e := c.signDigest(&in, "Verify", "kms:Verify")
	if e != nil {
		return nil, e
	}
	if boolean(in.DryRun) {
		return nil, dryRun()
	}
	alg := str(in.SigningAlgorithm)
	m := k.current
	ok := false
	switch {
	case m.k1 != nil:
		if s, err := k1ecdsa.ParseDERSignature(in.Signature); err == nil {
			ok = s.Verify(digest, m.k1.PubKey())
		}
	case strings.HasPrefix(alg, "RSASSA_PSS"):
		ok = rsa.VerifyPSS(m.private.Public().(*rsa.PublicKey), h, digest, in.Signature, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}) == nil
	case strings.HasPrefix(alg, "RSASSA_PKCS1"):
		ok = rsa.VerifyPKCS1v15(m.private.Public().(*rsa.PublicKey), h, digest, in.Signature) == nil
	default:
		ok = ecdsa.VerifyASN1(m.private.Public().(*ecdsa.PublicKey), digest, in.Signature)
	}
	if !ok {
		return nil, clientErr(CodeInvalidSignature, "")
	}
	return verifyOutput{KeyId: k.ARN, SignatureValid: true, SigningAlgorithm: alg}, nil
}

func (c *call) getPublicKey(body []byte) (any, *APIError) {
	var in keyIDInput
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	c.params = keyIDParams{KeyID: str(in.KeyId)}
	k, e := c.keyOp(in.KeyId, "kms:GetPublicKey", true, true, nil)
	if e != nil {
		return nil, e
	}
	if e := checkState(k); e != nil {
		return nil, e
	}
	if k.Spec == specSymmetric || isHMACSpec(k.Spec) {
		return nil, clientErr(CodeUnsupportedOp, "%s key spec is %s; GetPublicKey needs an asymmetric KMS key.", k.ARN, k.Spec)
	}
	der, err := publicKeyDER(k.current.private, k.current.k1)
	if err != nil {
		return nil, internal(err)
	}
	md := k.metadata()
	return getPublicKeyOutput{
		KeyId: k.ARN, PublicKey: der, CustomerMasterKeySpec: k.Spec, KeySpec: k.Spec, KeyUsage: k.Usage,
		EncryptionAlgorithms: md.EncryptionAlgorithms, SigningAlgorithms: md.SigningAlgorithms, KeyAgreementAlgorithms: md.KeyAgreementAlgorithms,
	}, nil
}

func macHash(alg string) func() hash.Hash {
	switch alg {
	case "HMAC_SHA_224":
		return sha256.New224
	case "HMAC_SHA_256":
		return sha256.New
	case "HMAC_SHA_384":
		return sha512.New384
	case "HMAC_SHA_512":
		return sha512.New
	}
	return nil
}

// macKey checks GenerateMac/VerifyMac parameters and returns the key.
func (c *call) macKey(in *macInput, op, action string) (*key, *APIError) {
	alg := str(in.MacAlgorithm)
	c.params = macParams{KeyID: str(in.KeyId), MacAlgorithm: alg, DryRun: in.DryRun}
	if len(in.Message) == 0 {
		return nil, required("message")
	}
	if len(in.Message) > maxMessage {
		return nil, validation("1 validation error detected: Value at 'message' failed to satisfy constraint: Member must have length less than or equal to %d", maxMessage)
	}
	if alg == "" {
		return nil, required("macAlgorithm")
	}
	if macHash(alg) == nil {
		return nil, validation("1 validation error detected: Value '%s' at 'macAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [HMAC_SHA_224, HMAC_SHA_256, HMAC_SHA_384, HMAC_SHA_512]", alg)
	}
	if op == "VerifyMac" && len(in.Mac) == 0 {
		return nil, required("mac")
	}
	k, e := c.keyOp(in.KeyId, action, true, true, nil, func(ctx *authz.Context) {
		ctx.Set("kms:macalgorithm", alg)
	})
	if e != nil {
		return nil, e
	}
	if e := checkState(k); e != nil {
		return nil, e
	}
	if e := checkUsage(k, op, usageMAC, false); e != nil {
		return nil, e
	}
	if macAlgorithm(k.Spec) != alg {
		return nil, clientErr(CodeInvalidKeyUsage, "MAC algorithm %s is not valid for %s, whose key spec is %s; use %s.", alg, k.ARN, k.Spec, macAlgorithm(k.Spec))
	}
	return k, nil
}

func (c *call) generateMac(body []byte) (any, *APIError) {
	var in macInput
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	k, e := c.macKey(&in, "GenerateMac", "kms:GenerateMac")
	if e != nil {
		return nil, e
	}
	if boolean(in.DryRun) {
		return nil, dryRun()
	}
	alg := str(in.MacAlgorithm)
	mac := hmac.New(macHash(alg), k.current.secret)
	mac.Write(in.Message)
	return generateMacOutput{KeyId: k.ARN, Mac: mac.Sum(nil), MacAlgorithm: alg}, nil
}

func (c *call) verifyMac(body []byte) (any, *APIError) {
	var in macInput
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	k, e := c.macKey(&in, "VerifyMac", "kms:VerifyMac")
	if e != nil {
		return nil, e
	}
	if boolean(in.DryRun) {
		return nil, dryRun()
	}
	alg := str(in.MacAlgorithm)
	mac := hmac.New(macHash(alg), k.current.secret)
	mac.Write(in.Message)
	if !hmac.Equal(mac.Sum(nil), in.Mac) {
		return nil, clientErr(CodeInvalidMac, "")
	}
	return verifyMacOutput{KeyId: k.ARN, MacValid: true, MacAlgorithm: alg}, nil
}

func (c *call) generateDataKeyPair(body []byte) (any, *APIError) {
	return c.dataKeyPair(body, true)
}

func (c *call) generateDataKeyPairWithoutPlaintext(body []byte) (any, *APIError) {
	return c.dataKeyPair(body, false)
}

func (c *call) dataKeyPair(body []byte, withPlaintext bool) (any, *APIError) {
	var in dataKeyPairInput
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	spec := str(in.KeyPairSpec)
	c.params = dataKeyPairParams{KeyID: str(in.KeyId), KeyPairSpec: spec, EncryptionContext: in.EncryptionContext, DryRun: in.DryRun}
	op, action := "GenerateDataKeyPair", "kms:GenerateDataKeyPair"
	if !withPlaintext {
		op, action = "GenerateDataKeyPairWithoutPlaintext", "kms:GenerateDataKeyPairWithoutPlaintext"
	}
	if spec == "" {
		return nil, required("keyPairSpec")
	}
	switch spec {
	case "RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", specSECP256K1:
	case "SM2":
		return nil, clientErr(CodeUnsupportedOp, "SM2 data key pairs are available only in China Regions.")
	case "ECC_NIST_EDWARDS25519", "ML_KEM_512", "ML_KEM_768", "ML_KEM_1024":
		return nil, clientErr(CodeUnsupportedOp, "Key pair spec %s is not supported by this simulator.", spec)
	default:
		return nil, validation("1 validation error detected: Value '%s' at 'keyPairSpec' failed to satisfy constraint: Member must satisfy enum value set: [RSA_2048, RSA_3072, RSA_4096, ECC_NIST_P256, ECC_NIST_P384, ECC_NIST_P521, ECC_SECG_P256K1, SM2, ECC_NIST_EDWARDS25519, ML_KEM_512, ML_KEM_768, ML_KEM_1024]", spec)
	}
	if len(in.Recipient) > 0 && string(in.Recipient) != "null" {
		return nil, clientErr(CodeUnsupportedOp, "Recipient (Nitro Enclaves attestation) is not supported by this simulator.")
	}
	k, e := c.keyOp(in.KeyId, action, true, true, in.EncryptionContext, withAlgorithm(algSymmetric), func(ctx *authz.Context) {
		ctx.Set("kms:datakeypairspec", spec)
	})
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
	priv, k1, err := generatePrivate(spec)
	if err != nil {
		return nil, internal(err)
	}
	privDER, err := privateKeyDER(priv, k1)
	if err != nil {
		return nil, internal(err)
	}
	pubDER, err := publicKeyDER(priv, k1)
	if err != nil {
		return nil, internal(err)
	}
	blob, err := seal(k.current.aead, headerOf(k), privDER, in.EncryptionContext)
	if err != nil {
		return nil, internal(err)
	}
	c.additional = keyMaterialEvent{KeyMaterialID: k.current.idHex()}
	out := dataKeyPairOutput{KeyId: k.ARN, KeyPairSpec: spec, PrivateKeyCiphertextBlob: blob, PublicKey: pubDER, KeyMaterialId: k.current.idHex()}
	if withPlaintext {
		out.PrivateKeyPlaintext = privDER
	}
	return out, nil
}
