package kms

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
)

// Key specs the simulator supports, with the usages and algorithms KMS
// gives each.
// https://docs.aws.amazon.com/kms/latest/developerguide/symm-asymm-choose-key-spec.html
// https://docs.aws.amazon.com/kms/latest/developerguide/asymmetric-key-specs.html
// https://docs.aws.amazon.com/kms/latest/developerguide/hmac.html#hmac-key-specs
const specSECP256K1 = "ECC_SECG_P256K1"

// supportedSpecs is the enum text of validation errors, in the API's order.
const supportedSpecs = "[RSA_2048, RSA_3072, RSA_4096, ECC_NIST_P256, ECC_NIST_P384, ECC_NIST_P521, ECC_SECG_P256K1, SYMMETRIC_DEFAULT, HMAC_224, HMAC_256, HMAC_384, HMAC_512]"

var rsaSigning = []string{"RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512", "RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512"}

// keySpecUsages lists the usages a KeySpec allows, the first being what
// KMS assumes when KeyUsage is omitted (ENCRYPT_DECRYPT; ECC and HMAC keys
// must name theirs).
func keySpecUsages(spec string) []string {
	switch spec {
	case specSymmetric:
		return []string{usageEncrypt}
	case "RSA_2048", "RSA_3072", "RSA_4096":
		return []string{usageEncrypt, usageSign}
	case "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521":
		return []string{usageSign, usageAgree}
	case specSECP256K1:
		return []string{usageSign}
	case "HMAC_224", "HMAC_256", "HMAC_384", "HMAC_512":
		return []string{usageMAC}
	}
	return nil
}

func isHMACSpec(spec string) bool { return strings.HasPrefix(spec, "HMAC_") }

// hmacKeyBytes is the key material length of an HMAC key spec (the
// digest's block-size-independent output length, as KMS generates it).
func hmacKeyBytes(spec string) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(spec, "HMAC_"))
	return n / 8
}

// signingAlgorithms is KeyMetadata.SigningAlgorithms of a SIGN_VERIFY key.
func signingAlgorithms(spec string) []string {
	switch spec {
	case "RSA_2048", "RSA_3072", "RSA_4096":
		return rsaSigning
	case "ECC_NIST_P256", specSECP256K1:
		return []string{"ECDSA_SHA_256"}
	case "ECC_NIST_P384":
		return []string{"ECDSA_SHA_384"}
	case "ECC_NIST_P521":
		return []string{"ECDSA_SHA_512"}
	}
	return nil
}

// macAlgorithm is the one MAC algorithm of an HMAC key spec.
func macAlgorithm(spec string) string { return "HMAC_SHA_" + strings.TrimPrefix(spec, "HMAC_") }

// generateMaterial makes the secret or private key of a key spec.
func generateMaterial(spec string, m *material) error {
	var err error
	switch {
	case spec == specSymmetric:
		m.secret = make([]byte, 32)
		_, err = rand.Read(m.secret)
	case isHMACSpec(spec):
		m.secret = make([]byte, hmacKeyBytes(spec))
		_, err = rand.Read(m.secret)
	default:
		m.private, m.k1, err = generatePrivate(spec)
	}
	return err
}

// generatePrivate makes an asymmetric key pair of a key spec (also the
// data key pair specs of GenerateDataKeyPair). secp256k1 is not in the
// standard library; decred's implementation (already a dependency of the
// module graph) provides it.
func generatePrivate(spec string) (crypto.Signer, *secp256k1.PrivateKey, error) {
	switch spec {
	case "RSA_2048", "RSA_3072", "RSA_4096":
		bits, _ := strconv.Atoi(strings.TrimPrefix(spec, "RSA_"))
		k, err := rsa.GenerateKey(rand.Reader, bits)
		return k, nil, err
	case "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521":
		k, err := ecdsa.GenerateKey(nistCurve(spec), rand.Reader)
		return k, nil, err
	case specSECP256K1:
		k, err := secp256k1.GeneratePrivateKey()
		return nil, k, err
	}
	return nil, nil, fmt.Errorf("key spec %s is not supported", spec)
}

func nistCurve(spec string) elliptic.Curve {
	switch spec {
	case "ECC_NIST_P256":
		return elliptic.P256()
	case "ECC_NIST_P384":
		return elliptic.P384()
	}
	return elliptic.P521()
}

// OIDs of SubjectPublicKeyInfo and PKCS#8 for secp256k1 (RFC 5480, SEC 2).
var (
	oidECPublicKey = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidSECP256K1   = asn1.ObjectIdentifier{1, 3, 132, 0, 10}
)

// publicKeyDER is the DER SubjectPublicKeyInfo GetPublicKey returns.
func publicKeyDER(private crypto.Signer, k1 *secp256k1.PrivateKey) ([]byte, error) {
	if k1 != nil {
		param, err := asn1.Marshal(oidSECP256K1)
		if err != nil {
			return nil, err
		}
		pt := k1.PubKey().SerializeUncompressed()
		return asn1.Marshal(struct {
			Algo      pkix.AlgorithmIdentifier
			PublicKey asn1.BitString
		}{pkix.AlgorithmIdentifier{Algorithm: oidECPublicKey, Parameters: asn1.RawValue{FullBytes: param}}, asn1.BitString{Bytes: pt, BitLength: 8 * len(pt)}})
	}
	if private == nil {
		return nil, errors.New("no public key")
	}
	return x509.MarshalPKIXPublicKey(private.Public())
}

// privateKeyDER is the PKCS#8 encoding of a private key (GenerateDataKeyPair's
// PrivateKeyPlaintext, and the state file's material).
func privateKeyDER(private crypto.Signer, k1 *secp256k1.PrivateKey) ([]byte, error) {
	if k1 == nil {
		return x509.MarshalPKCS8PrivateKey(private)
	}
	// RFC 5915 ECPrivateKey inside RFC 5208 PrivateKeyInfo.
	scalar := k1.Serialize()
	pt := k1.PubKey().SerializeUncompressed()
	inner, err := asn1.Marshal(struct {
		Version    int
		PrivateKey []byte
		PublicKey  asn1.BitString `asn1:"optional,explicit,tag:1"`
	}{1, scalar, asn1.BitString{Bytes: pt, BitLength: 8 * len(pt)}})
	if err != nil {
		return nil, err
	}
	param, err := asn1.Marshal(oidSECP256K1)
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(struct {
		Version    int
		Algo       pkix.AlgorithmIdentifier
		PrivateKey []byte
	}{0, pkix.AlgorithmIdentifier{Algorithm: oidECPublicKey, Parameters: asn1.RawValue{FullBytes: param}}, inner})
}

// parsePrivateKeyDER reverses privateKeyDER for a key spec.
func parsePrivateKeyDER(spec string, der []byte) (crypto.Signer, *secp256k1.PrivateKey, error) {
	if spec == specSECP256K1 {
		var outer struct {
			Version    int
			Algo       pkix.AlgorithmIdentifier
			PrivateKey []byte
		}
		if rest, err := asn1.Unmarshal(der, &outer); err != nil || len(rest) > 0 {
			return nil, nil, errors.New("private key: not PKCS#8")
		}
		var inner struct {
			Version    int
			PrivateKey []byte
			PublicKey  asn1.BitString `asn1:"optional,explicit,tag:1"`
		}
		if _, err := asn1.Unmarshal(outer.PrivateKey, &inner); err != nil || len(inner.PrivateKey) != 32 || !outer.Algo.Algorithm.Equal(oidECPublicKey) {
			return nil, nil, errors.New("private key: not a secp256k1 key")
		}
		return nil, secp256k1.PrivKeyFromBytes(inner.PrivateKey), nil
	}
	pk, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, nil, fmt.Errorf("private key: %w", err)
	}
	signer, ok := pk.(crypto.Signer)
	if !ok || !privateMatchesSpec(signer, spec) {
		return nil, nil, fmt.Errorf("private key does not match key spec %s", spec)
	}
	return signer, nil, nil
}

// privateMatchesSpec checks a loaded private key against its key spec.
func privateMatchesSpec(k crypto.Signer, spec string) bool {
	switch p := k.(type) {
	case *rsa.PrivateKey:
		return strings.HasPrefix(spec, "RSA_") && spec == "RSA_"+strconv.Itoa(p.N.BitLen())
	case *ecdsa.PrivateKey:
		switch spec {
		case "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521":
			return p.Curve == nistCurve(spec)
		}
	}
	return false
}
