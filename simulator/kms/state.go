package kms

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/kmslint/kmslint/internal/arn"
)

// The state directory holds one file, replaced atomically on every change
// (write to a temporary file, fsync, rename, fsync the directory), so a
// crash or kill -9 at any moment leaves either the old or the new state,
// never a torn one. It contains key material: the directory is 0700 and the
// file 0600.
const (
	stateFileName = "kms-state.json"
	stateVersion  = 1
)

type stateFile struct {
	dir, path string

	mu      sync.Mutex // guards snap, snapVer
	snap    []byte
	snapVer uint64

	writeMu sync.Mutex // serialises writes; guards written
	written uint64
}

func openState(dir string) (*stateFile, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("state dir: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("state dir: %w", err)
	}
	// Temporary files of a write interrupted by a crash are garbage.
	tmps, _ := filepath.Glob(filepath.Join(dir, ".kms-state-*.tmp"))
	for _, t := range tmps {
		os.Remove(t)
	}
	return &stateFile{dir: dir, path: filepath.Join(dir, stateFileName)}, nil
}

// Persisted form. Everything needed to rebuild the store, key material
// included (base64 of the raw key or PKCS#8).
type stateDoc struct {
	Version int          `json:"version"`
	Region  string       `json:"region"`
	Keys    []stateKey   `json:"keys"`
	Aliases []stateAlias `json:"aliases"`
}

type stateKey struct {
	ID              string          `json:"id"`
	Account         string          `json:"account"`
	Spec            string          `json:"spec"`
	Usage           string          `json:"usage"`
	Origin          string          `json:"origin"`
	Description     string          `json:"description"`
	State           string          `json:"state"`
	Created         time.Time       `json:"created"`
	DeletionDate    *time.Time      `json:"deletionDate,omitempty"`
	PendingDays     int             `json:"pendingDays,omitempty"`
	Policy          string          `json:"policy"`
	Materials       []stateMaterial `json:"materials"`
	CurrentMaterial string          `json:"currentMaterial"`
	Tags            []tagKV         `json:"tags,omitempty"`
	Grants          []stateGrant    `json:"grants,omitempty"`
	RotationEnabled bool            `json:"rotationEnabled,omitempty"`
	RotationPeriod  int             `json:"rotationPeriodInDays,omitempty"`
	NextRotation    *time.Time      `json:"nextRotationDate,omitempty"`
	Rotations       []rotation      `json:"rotations,omitempty"`
}

type stateMaterial struct {
	ID       string `json:"id"`
	Material []byte `json:"material"`
}

type stateAlias struct {
	Name    string    `json:"name"`
	Account string    `json:"account"`
	KeyID   string    `json:"keyId"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
}

type stateGrant struct {
	ID             string            `json:"id"`
	Token          string            `json:"token"`
	Name           string            `json:"name,omitempty"`
	Grantee        string            `json:"grantee"`
	Retiring       string            `json:"retiring,omitempty"`
	Operations     []string          `json:"operations"`
	Constraints    *grantConstraints `json:"constraints,omitempty"`
	IssuingAccount string            `json:"issuingAccount"`
	Created        time.Time         `json:"created"`
}

// snapshotLocked records a change: it bumps the store version and, with a
// state directory, encodes the store for persist. The caller holds the
// store's write lock. It returns the version persist must reach.
func (s *Server) snapshotLocked() (uint64, *APIError) {
	st := s.store
	st.version++
	if s.state == nil {
		return st.version, nil
	}
	b, err := encodeState(s.region, st)
	if err != nil {
		return 0, internal(err)
	}
	f := s.state
	f.mu.Lock()
	if st.version > f.snapVer {
		f.snap, f.snapVer = b, st.version
	}
	f.mu.Unlock()
	return st.version, nil
}

// persist returns once the state of version ver (or a later one) is on
// disk. Writes happen outside the store lock; a later snapshot includes
// every earlier change, so one write can serve several waiting changes.
func (s *Server) persist(ver uint64) error {
	f := s.state
	if f == nil {
		return nil
	}
	f.writeMu.Lock()
	defer f.writeMu.Unlock()
	if f.written >= ver {
		return nil
	}
	f.mu.Lock()
	b, v := f.snap, f.snapVer
	f.mu.Unlock()
	if err := writeFileAtomic(f.dir, f.path, b); err != nil {
		return err
	}
	f.written = v
	return nil
}

func encodeState(region string, st *store) ([]byte, error) {
	doc := stateDoc{Version: stateVersion, Region: region, Keys: []stateKey{}, Aliases: []stateAlias{}}
	for _, k := range st.keys {
		sk := stateKey{
			ID: k.ID, Account: k.Account, Spec: k.Spec, Usage: k.Usage, Origin: k.Origin,
			Description: k.Description, State: k.State, Created: k.Created, Policy: k.PolicyText,
			CurrentMaterial: k.current.idHex(), Tags: k.Tags, PendingDays: k.PendingDays,
			RotationEnabled: k.RotationEnabled, RotationPeriod: k.RotationPeriod, Rotations: k.Rotations,
		}
		if !k.NextRotation.IsZero() {
			d := k.NextRotation
			sk.NextRotation = &d
		}
		if !k.DeletionDate.IsZero() {
			d := k.DeletionDate
			sk.DeletionDate = &d
		}
		for _, m := range k.materials {
			b, err := m.encoded()
			if err != nil {
				return nil, fmt.Errorf("encode key material: %w", err)
			}
			sk.Materials = append(sk.Materials, stateMaterial{ID: m.idHex(), Material: b})
		}
		sort.Slice(sk.Materials, func(i, j int) bool { return sk.Materials[i].ID < sk.Materials[j].ID })
		for _, g := range k.grants {
			sk.Grants = append(sk.Grants, stateGrant{
				ID: g.ID, Token: g.Token, Name: g.Name, Grantee: g.Grantee, Retiring: g.Retiring,
				Operations: g.Operations, Constraints: g.Constraints, IssuingAccount: g.IssuingAccount, Created: g.Created,
			})
		}
		doc.Keys = append(doc.Keys, sk)
	}
	sort.Slice(doc.Keys, func(i, j int) bool { return doc.Keys[i].ID < doc.Keys[j].ID })
	for _, a := range st.aliases {
		doc.Aliases = append(doc.Aliases, stateAlias{Name: a.Name, Account: a.Account, KeyID: a.KeyID, Created: a.Created, Updated: a.Updated})
	}
	sort.Slice(doc.Aliases, func(i, j int) bool {
		if doc.Aliases[i].Account != doc.Aliases[j].Account {
			return doc.Aliases[i].Account < doc.Aliases[j].Account
		}
		return doc.Aliases[i].Name < doc.Aliases[j].Name
	})
	return json.Marshal(doc)
}

// load reads the state file, if there is one, into the server's store.
func (f *stateFile) load(s *Server) error {
	data, err := os.ReadFile(f.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read state: %w", err)
	}
	st, err := decodeState(data, s)
	if err != nil {
		return fmt.Errorf("state %s: %w", f.path, err)
	}
	s.store = st
	f.snap, f.snapVer, f.written = data, st.version, st.version
	return nil
}

// decodeState parses and checks a state file. It trusts nothing: the file
// may have been edited by hand.
func decodeState(data []byte, s *Server) (*store, error) {
	var doc stateDoc
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("not a state file: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("not a state file: data after the JSON document")
	}
	if doc.Version != stateVersion {
		return nil, fmt.Errorf("state version %d is not supported (want %d)", doc.Version, stateVersion)
	}
	if doc.Region != s.region {
		return nil, fmt.Errorf("state was written for region %q; this server plays %q", doc.Region, s.region)
	}
	st := newStore()
	for i := range doc.Keys {
		k, err := decodeKey(&doc.Keys[i], s)
		if err != nil {
			return nil, fmt.Errorf("keys[%d]: %w", i, err)
		}
		if _, dup := st.keys[k.id]; dup {
			return nil, fmt.Errorf("keys[%d]: key %s appears twice", i, k.ID)
		}
		st.keys[k.id] = k
	}
	for i, a := range doc.Aliases {
		if !validAliasName(a.Name) || !arn.IsAccountID(a.Account) {
			return nil, fmt.Errorf("aliases[%d]: invalid alias %q of account %q", i, a.Name, a.Account)
		}
		uid, ok := parseUUID(a.KeyID)
		k := st.keys[uid]
		if !ok || k == nil || k.Account != a.Account {
			return nil, fmt.Errorf("aliases[%d]: %s points at unknown key %q", i, a.Name, a.KeyID)
		}
		ak := aliasKey(a.Account, a.Name)
		if _, dup := st.aliases[ak]; dup {
			return nil, fmt.Errorf("aliases[%d]: %s appears twice", i, a.Name)
		}
		st.aliases[ak] = &alias{Name: a.Name, Account: a.Account, KeyID: a.KeyID, Created: a.Created, Updated: a.Updated}
		k.aliases = append(k.aliases, a.Name)
	}
	for _, k := range st.keys {
		sort.Strings(k.aliases)
	}
	st.version = 1
	return st, nil
}

func decodeKey(sk *stateKey, s *Server) (*key, error) {
	uid, ok := parseUUID(sk.ID)
	if !ok {
		return nil, fmt.Errorf("id %q is not a key id", sk.ID)
	}
	if !arn.IsAccountID(sk.Account) {
		return nil, fmt.Errorf("account %q is not 12 digits", sk.Account)
	}
	usages := keySpecUsages(sk.Spec)
	if usages == nil || !contains(usages, sk.Usage) {
		return nil, fmt.Errorf("key spec %q with usage %q is not supported", sk.Spec, sk.Usage)
	}
	switch sk.State {
	case stateEnabled, stateDisabled:
	case statePendingDeletion:
		if sk.DeletionDate == nil || sk.PendingDays < 7 || sk.PendingDays > 30 {
			return nil, errors.New("pending deletion without a deletion date and window")
		}
	default:
		return nil, fmt.Errorf("key state %q is not supported", sk.State)
	}
	if sk.Origin != "AWS_KMS" {
		return nil, fmt.Errorf("origin %q is not supported", sk.Origin)
	}
	cp, apiErr := parseKeyPolicy(sk.Policy)
	if apiErr != nil {
		return nil, fmt.Errorf("policy: %s", apiErr.Message)
	}
	k := &key{
		id: uid, ID: sk.ID, Account: sk.Account, ARN: s.keyARN(sk.Account, sk.ID),
		Spec: sk.Spec, Usage: sk.Usage, Origin: sk.Origin, Description: sk.Description,
		State: sk.State, Created: sk.Created, PendingDays: sk.PendingDays,
		PolicyText: sk.Policy, policy: cp, Tags: sk.Tags,
		materials:       map[[materialIDLen]byte]*material{},
		RotationEnabled: sk.RotationEnabled, RotationPeriod: sk.RotationPeriod, Rotations: sk.Rotations,
	}
	if sk.NextRotation != nil {
		k.NextRotation = *sk.NextRotation
	}
	if sk.DeletionDate != nil {
		k.DeletionDate = *sk.DeletionDate
	}
	for j, sm := range sk.Materials {
		m, err := decodeMaterial(sk.Spec, sm)
		if err != nil {
			return nil, fmt.Errorf("materials[%d]: %w", j, err)
		}
		if _, dup := k.materials[m.id]; dup {
			return nil, fmt.Errorf("materials[%d]: id %s appears twice", j, sm.ID)
		}
		k.materials[m.id] = m
		if sm.ID == sk.CurrentMaterial {
			k.current = m
		}
	}
	if k.current == nil {
		return nil, fmt.Errorf("current key material %q is not among the materials", sk.CurrentMaterial)
	}
	for j, sg := range sk.Grants {
		g, err := decodeGrant(k, sg)
		if err != nil {
			return nil, fmt.Errorf("grants[%d]: %w", j, err)
		}
		k.grants = append(k.grants, g)
	}
	return k, nil
}

func decodeMaterial(spec string, sm stateMaterial) (*material, error) {
	m := &material{}
	id, err := hex.DecodeString(sm.ID)
	if err != nil || len(id) != materialIDLen {
		return nil, fmt.Errorf("material id %q is not %d hex bytes", sm.ID, materialIDLen)
	}
	copy(m.id[:], id)
	switch {
	case spec == specSymmetric || isHMACSpec(spec):
		want := 32
		if spec != specSymmetric {
			want = hmacKeyBytes(spec)
		}
		if len(sm.Material) != want {
			return nil, fmt.Errorf("%s key material is %d bytes, want %d", spec, len(sm.Material), want)
		}
		m.secret = append([]byte(nil), sm.Material...)
	default:
		m.private, m.k1, err = parsePrivateKeyDER(spec, sm.Material)
		if err != nil {
			return nil, err
		}
	}
	return m, m.prepare(spec)
}

func decodeGrant(k *key, sg stateGrant) (*grant, error) {
	g := &grant{
		ID: sg.ID, Token: sg.Token, Name: sg.Name, KeyID: k.ID, Grantee: sg.Grantee, Retiring: sg.Retiring,
		Operations: sg.Operations, Constraints: sg.Constraints, IssuingAccount: sg.IssuingAccount, Created: sg.Created,
	}
	if len(g.ID) != 64 || g.Token == "" {
		return nil, fmt.Errorf("grant %q has no valid id or token", g.ID)
	}
	var err error
	if g.granteeP, err = grantPrincipal(sg.Grantee); err != nil {
		return nil, err
	}
	if sg.Retiring != "" {
		if g.retiring, err = grantPrincipal(sg.Retiring); err != nil {
			return nil, err
		}
	}
	if len(g.Operations) == 0 {
		return nil, errors.New("grant has no operations")
	}
	for _, op := range g.Operations {
		if !validGrantOperation(op) {
			return nil, fmt.Errorf("grant operation %q is not valid", op)
		}
	}
	return g, nil
}

// writeFileAtomic replaces path with data so that readers and crashes see
// the old or the new content, never a mix.
func writeFileAtomic(dir, path string, data []byte) error {
	tmp, err := os.CreateTemp(dir, ".kms-state-*.tmp") // created 0600
	if err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	_, werr := tmp.Write(data)
	serr := tmp.Sync()
	cerr := tmp.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write state: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write state: %w", err)
	}
	// The rename is durable only once the directory entry is.
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !strings.Contains(err.Error(), "invalid argument") {
		return fmt.Errorf("write state: sync dir: %w", err)
	}
	return nil
}
