package kms

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"

	"github.com/kmslint/kmslint/internal/authz"
)

// Key states.
const (
	stateEnabled         = "Enabled"
	stateDisabled        = "Disabled"
	statePendingDeletion = "PendingDeletion"
)

// Key usages and specs the simulator supports.
const (
	usageEncrypt = "ENCRYPT_DECRYPT"
	usageSign    = "SIGN_VERIFY"
	usageMAC     = "GENERATE_VERIFY_MAC"
	usageAgree   = "KEY_AGREEMENT"

	specSymmetric = "SYMMETRIC_DEFAULT"

	algSymmetric  = "SYMMETRIC_DEFAULT"
	algOAEPSHA1   = "RSAES_OAEP_SHA_1"
	algOAEPSHA256 = "RSAES_OAEP_SHA_256"
)

// material is one version of a key's key material. It is immutable.
type material struct {
	id      [materialIDLen]byte
	secret  []byte                // symmetric and HMAC keys
	private crypto.Signer         // RSA and NIST ECC keys
	k1      *secp256k1.PrivateKey // ECC_SECG_P256K1 keys
	aead    cipher.AEAD           // symmetric keys: AES-256-GCM, built once
}

func (m *material) idHex() string { return hex.EncodeToString(m.id[:]) }

// newMaterial generates key material for spec from crypto/rand.
func newMaterial(spec string) (*material, error) {
	m := &material{}
	if _, err := rand.Read(m.id[:]); err != nil {
		return nil, fmt.Errorf("key material id: %w", err)
	}
	err := generateMaterial(spec, m)
	if err != nil {
		return nil, fmt.Errorf("key material: %w", err)
	}
	return m, m.prepare(spec)
}

// prepare builds the derived state of m (the AEAD of symmetric keys).
func (m *material) prepare(spec string) error {
	if spec != specSymmetric {
		return nil
	}
	if len(m.secret) != 32 {
		return fmt.Errorf("symmetric key material is %d bytes, want 32", len(m.secret))
	}
	block, err := aes.NewCipher(m.secret)
	if err != nil {
		return fmt.Errorf("aes: %w", err)
	}
	m.aead, err = cipher.NewGCM(block)
	if err != nil {
		return fmt.Errorf("gcm: %w", err)
	}
	return nil
}

// encoded returns the material's bytes for the state file.
func (m *material) encoded() ([]byte, error) {
	if m.private != nil || m.k1 != nil {
		return privateKeyDER(m.private, m.k1)
	}
	return m.secret, nil
}

// key is one KMS key. Keys are copy-on-write: a change stores a modified
// copy, so a request that looked a key up keeps a consistent view without
// holding the lock.
type key struct {
	id      [keyIDLen]byte
	ID      string // UUID text
	ARN     string
	Account string

	Spec, Usage, Origin, Description string
	State                            string
	Created                          time.Time
	DeletionDate                     time.Time
	PendingDays                      int

	PolicyText string
	policy     *authz.Policy

	materials map[[materialIDLen]byte]*material
	current   *material

	// Automatic rotation (symmetric keys) and the rotations so far,
	// oldest first.
	RotationEnabled bool
	RotationPeriod  int // days
	NextRotation    time.Time
	Rotations       []rotation

	Tags    []tagKV
	aliases []string // alias names pointing at the key, sorted
	grants  []*grant
}

// rotation is one completed rotation of a key's material.
type rotation struct {
	MaterialID string    `json:"materialId"`
	Date       time.Time `json:"date"`
	Type       string    `json:"type"` // AUTOMATIC or ON_DEMAND
}

type tagKV struct{ Key, Value string }

func (k *key) clone() *key {
	n := *k
	n.Tags = append([]tagKV(nil), k.Tags...)
	n.aliases = append([]string(nil), k.aliases...)
	n.grants = append([]*grant(nil), k.grants...)
	n.Rotations = append([]rotation(nil), k.Rotations...)
	return &n
}

// encryptionAlgorithms is KeyMetadata.EncryptionAlgorithms.
func (k *key) encryptionAlgorithms() []string {
	if k.Usage != usageEncrypt {
		return nil
	}
	if k.Spec == specSymmetric {
		return []string{algSymmetric}
	}
	return []string{algOAEPSHA1, algOAEPSHA256}
}

func (k *key) metadata() keyMetadata {
	md := keyMetadata{
		AWSAccountId:          k.Account,
		KeyId:                 k.ID,
		Arn:                   k.ARN,
		CreationDate:          epoch(k.Created),
		Enabled:               k.State == stateEnabled,
		Description:           k.Description,
		KeyUsage:              k.Usage,
		KeyState:              k.State,
		Origin:                k.Origin,
		KeyManager:            "CUSTOMER",
		CustomerMasterKeySpec: k.Spec,
		KeySpec:               k.Spec,
		EncryptionAlgorithms:  k.encryptionAlgorithms(),
	}
	switch k.Usage {
	case usageSign:
		md.SigningAlgorithms = signingAlgorithms(k.Spec)
	case usageMAC:
		md.MacAlgorithms = []string{macAlgorithm(k.Spec)}
	case usageAgree:
		md.KeyAgreementAlgorithms = []string{"ECDH"}
	}
	if k.State == statePendingDeletion {
		d := epoch(k.DeletionDate)
		days := k.PendingDays
		md.DeletionDate, md.PendingDeletionWindowInDays = &d, &days
	}
	if k.Spec == specSymmetric {
		md.CurrentKeyMaterialId = k.current.idHex()
	}
	return md
}

// alias maps a name to a key in one account.
type alias struct {
	Name, Account string
	KeyID         string
	Created       time.Time
	Updated       time.Time
}

// grant is a KMS grant; immutable once created.
type grant struct {
	ID, Token, Name    string
	KeyID              string
	Grantee, Retiring  string
	Operations         []string
	Constraints        *grantConstraints
	IssuingAccount     string
	Created            time.Time
	granteeP, retiring authz.Principal
}

// store holds the simulator's keys, aliases and grants.
type store struct {
	mu      sync.RWMutex
	keys    map[[keyIDLen]byte]*key
	aliases map[string]*alias // account + "/" + alias name
	version uint64            // bumped by every change, for persistence order
}

func newStore() *store {
	return &store{keys: map[[keyIDLen]byte]*key{}, aliases: map[string]*alias{}}
}

func aliasKey(account, name string) string { return account + "/" + name }

// get returns the key with this id, or nil. Keys whose deletion date has
// passed are gone, as KMS deletes them then.
func (s *store) get(id [keyIDLen]byte, now time.Time) *key {
	s.mu.RLock()
	k := s.keys[id]
	s.mu.RUnlock()
	if k == nil || k.State == statePendingDeletion && !now.Before(k.DeletionDate) {
		return nil
	}
	return k
}

// alias returns an alias, or nil.
func (s *store) alias(account, name string) *alias {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.aliases[aliasKey(account, name)]
}

// sweep deletes keys whose deletion date has passed, with their aliases.
// Callers hold the write lock.
func (s *store) sweep(now time.Time) {
	for id, k := range s.keys {
		if k.State == statePendingDeletion && !now.Before(k.DeletionDate) {
			delete(s.keys, id)
			for _, a := range k.aliases {
				delete(s.aliases, aliasKey(k.Account, a))
			}
			s.version++
		}
	}
}

// keysOf lists an account's keys sorted by id.
func (s *store) keysOf(account string, now time.Time) []*key {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*key
	for _, k := range s.keys {
		if k.Account == account && !(k.State == statePendingDeletion && !now.Before(k.DeletionDate)) {
			out = append(out, k)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// aliasesOf lists an account's aliases sorted by name.
func (s *store) aliasesOf(account string) []*alias {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*alias
	for _, a := range s.aliases {
		if a.Account == account {
			out = append(out, a)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// parseUUID parses the canonical 36-character UUID text.
func parseUUID(s string) ([keyIDLen]byte, bool) {
	var id [keyIDLen]byte
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return id, false
	}
	h := s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:36]
	if _, err := hex.Decode(id[:], []byte(h)); err != nil {
		return id, false
	}
	return id, strings.ToLower(s) == s
}

func formatUUID(id [keyIDLen]byte) string {
	h := hex.EncodeToString(id[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// newUUID returns a random (version 4) UUID.
func newUUID() ([keyIDLen]byte, error) {
	var id [keyIDLen]byte
	if _, err := rand.Read(id[:]); err != nil {
		return id, fmt.Errorf("uuid: %w", err)
	}
	id[6] = id[6]&0x0f | 0x40
	id[8] = id[8]&0x3f | 0x80
	return id, nil
}

// grantByToken finds the grant a grant token belongs to, and its key.
func (s *store) grantByToken(token string, now time.Time) (*key, *grant) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, k := range s.keys {
		if k.State == statePendingDeletion && !now.Before(k.DeletionDate) {
			continue
		}
		for _, g := range k.grants {
			if g.Token == token {
				return k, g
			}
		}
	}
	return nil, nil
}
