package kms

import (
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
)

// Ciphertext blob of symmetric encryption, version 1:
//
//	offset  size  field
//	0       1     version (1)
//	1       16    key id (the UUID's 16 bytes)
//	17      32    key material id
//	49      12    AES-GCM nonce
//	61      n+16  AES-256-GCM ciphertext and tag
//
// The associated data is the 49-byte header followed by the canonical
// encoding of the encryption context, so that neither the key reference nor
// the context can be changed without failing authentication.
//
// The canonical encoding is unambiguous: a 4-byte big-endian pair count,
// then for each pair in byte order of the keys, the key and the value each
// as a 4-byte big-endian length and the bytes. local-kms and moto
// concatenate sorted keys and values without separators, so
// {"purpose":"bench","tenant":"t1"} and {"purp":"osebench","tenantt":"1"}
// authenticate each other there; here their encodings differ.
const (
	blobVersion   = 1
	keyIDLen      = 16
	materialIDLen = 32
	nonceLen      = 12
	tagLen        = 16
	headerLen     = 1 + keyIDLen + materialIDLen
	blobOverhead  = headerLen + nonceLen + tagLen
	// MaxCiphertextBlob is KMS's limit on CiphertextBlob.
	MaxCiphertextBlob = 6144
)

// blobHeader names the key and key material of a ciphertext.
type blobHeader struct {
	KeyID      [keyIDLen]byte
	MaterialID [materialIDLen]byte
}

var errBlob = errors.New("ciphertext is not a KMS ciphertext blob of this simulator")

// parseBlob splits a blob into header, nonce and sealed data. It checks
// only the framing; authenticity is checked by open.
func parseBlob(b []byte) (h blobHeader, nonce, sealed []byte, err error) {
	if len(b) < blobOverhead || len(b) > MaxCiphertextBlob {
		return h, nil, nil, errBlob
	}
	if b[0] != blobVersion {
		return h, nil, nil, fmt.Errorf("ciphertext blob version %d is not supported", b[0])
	}
	copy(h.KeyID[:], b[1:1+keyIDLen])
	copy(h.MaterialID[:], b[1+keyIDLen:headerLen])
	return h, b[headerLen : headerLen+nonceLen], b[headerLen+nonceLen:], nil
}

// seal encrypts plaintext under aead for the given header and context.
func seal(aead cipher.AEAD, h blobHeader, plaintext []byte, ec map[string]string) ([]byte, error) {
	out := make([]byte, headerLen+nonceLen, blobOverhead+len(plaintext))
	out[0] = blobVersion
	copy(out[1:], h.KeyID[:])
	copy(out[1+keyIDLen:], h.MaterialID[:])
	if _, err := rand.Read(out[headerLen:]); err != nil {
		return nil, fmt.Errorf("nonce: %w", err)
	}
	aad := appendCanonicalContext(out[:headerLen:headerLen], ec)
	return aead.Seal(out, out[headerLen:headerLen+nonceLen], plaintext, aad), nil
}

// open authenticates and decrypts a parsed blob.
func open(aead cipher.AEAD, blob []byte, nonce, sealed []byte, ec map[string]string) ([]byte, error) {
	aad := appendCanonicalContext(append([]byte(nil), blob[:headerLen]...), ec)
	return aead.Open(nil, nonce, sealed, aad)
}

// appendCanonicalContext appends the canonical encoding of ec to dst.
func appendCanonicalContext(dst []byte, ec map[string]string) []byte {
	keys := make([]string, 0, len(ec))
	n := 4
	for k, v := range ec {
		keys = append(keys, k)
		n += 8 + len(k) + len(v)
	}
	sort.Strings(keys)
	if cap(dst)-len(dst) < n {
		nd := make([]byte, len(dst), len(dst)+n)
		copy(nd, dst)
		dst = nd
	}
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(keys)))
	for _, k := range keys {
		v := ec[k]
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(k)))
		dst = append(dst, k...)
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(v)))
		dst = append(dst, v...)
	}
	return dst
}
