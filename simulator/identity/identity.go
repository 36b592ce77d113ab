// Package identity reads the identities file of `kmslint serve` and of the
// fake KMS: who may call the simulator, with which access keys, and as what
// kind of AWS principal (CONTRACT.md, `serve`).
//
// An identity is one of
//   - an IAM user, role or account root (`arn:`); a role's requests arrive as
//     an assumed-role session, as they do in AWS;
//   - a service principal (`service:`), for tests that play an AWS service
//     such as bedrock-agentcore.amazonaws.com, with fixed context keys;
//   - an IAM principal calling through a service (`arn:` plus `viaService:`),
//     i.e. a forward access session (FAS).
//
// The file is YAML or JSON (JSON is YAML). Unknown fields are errors: a
// misspelt `policies` must not silently turn into "IAM allows everything".
package identity

import (
	"bytes"
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/kmslint/kmslint/internal/authz"
	"github.com/kmslint/kmslint/internal/policy"
	yaml "go.yaml.in/yaml/v3"
)

// Kind says how an identity's requests reach KMS.
type Kind uint8

const (
	// IAM is an IAM user, a role (as an assumed-role session) or an account
	// root calling KMS directly.
	IAM Kind = iota + 1
	// Service is an AWS service principal calling with its own identity.
	Service
	// ViaService is an IAM principal whose request an AWS service makes on
	// its behalf (forward access session).
	ViaService
)

func (k Kind) String() string {
	switch k {
	case IAM:
		return "iam"
	case Service:
		return "service"
	case ViaService:
		return "via-service"
	}
	return "unknown"
}

// DefaultSessionName is the role session name of role identities; the
// CONTRACT's simulate report shows sessions as assumed-role/ROLE/kmslint.
const DefaultSessionName = "kmslint"

// Identity is one caller of the simulator.
type Identity struct {
	Kind Kind
	// ARN as configured: an IAM user, role or root ARN. Empty for services.
	ARN string
	// Service is the service principal (Kind Service) or the service the
	// request comes through (Kind ViaService).
	Service         string
	AccessKeyID     string
	SecretAccessKey string
	// Context holds the fixed condition keys of a service principal's
	// requests, e.g. aws:SourceAccount.
	Context map[string][]string
	// Policies are the identity's IAM policies as the authorization engine
	// takes them. When the file gives none ("policies: []" or no field), IAM
	// allows everything and only the key policy decides (CONTRACT.md); that
	// is modelled as one allow-all policy, because the engine is exact and
	// root delegation needs an identity policy that allows.
	Policies []*authz.Policy
	// AllowAll is true when Policies is that allow-all stand-in.
	AllowAll bool
	// PolicyDocs are the configured policies' JSON texts, in order.
	PolicyDocs []string

	// Principal is the principal the authorization engine sees: for a role,
	// its assumed-role session.
	Principal authz.Principal
	// SessionARN is the principal's ARN in requests and CloudTrail (the
	// session ARN for roles, the configured ARN otherwise); empty for a
	// service principal.
	SessionARN string
	// Account is the principal's account; empty for a service principal.
	Account string
	// PrincipalID is the unique id CloudTrail shows (AIDA..., AROA...:session).
	PrincipalID string
	// RoleID is the role's unique id (AROA...) for role identities.
	RoleID string
	// SessionName is the role session name for role identities.
	SessionName string
}

// IsRole reports whether the identity acts as an assumed-role session.
func (id *Identity) IsRole() bool { return id.Principal.Kind == authz.AssumedRole }

// Name is a short label: the session ARN, or service:NAME.
func (id *Identity) Name() string {
	if id.Kind == Service {
		return "service:" + id.Service
	}
	if id.Kind == ViaService {
		return id.SessionARN + " via " + id.Service
	}
	return id.SessionARN
}

// Set is the parsed identities file.
type Set struct {
	Account    string
	Region     string
	Identities []*Identity
	byKey      map[string]*Identity
}

// Lookup finds the identity that owns an access key id.
func (s *Set) Lookup(accessKeyID string) (*Identity, bool) {
	id, ok := s.byKey[accessKeyID]
	return id, ok
}

// Secret returns the secret access key of an access key id, for SigV4
// verification.
func (s *Set) Secret(accessKeyID string) (string, bool) {
	id, ok := s.byKey[accessKeyID]
	if !ok {
		return "", false
	}
	return id.SecretAccessKey, true
}

// file mirrors the document; yaml.Node keeps the shapes that vary (a policy
// is a file name or an inline document, a context value a string or a list).
type file struct {
	Account    string         `yaml:"account"`
	Region     string         `yaml:"region"`
	Identities []fileIdentity `yaml:"identities"`
}

type fileIdentity struct {
	ARN             string    `yaml:"arn"`
	Service         string    `yaml:"service"`
	ViaService      string    `yaml:"viaService"`
	AccessKeyID     string    `yaml:"accessKeyId"`
	SecretAccessKey string    `yaml:"secretAccessKey"`
	SessionName     string    `yaml:"sessionName"`
	Policies        yaml.Node `yaml:"policies"`
	Context         yaml.Node `yaml:"context"`
}

// Defaults for a file that omits them.
const (
	DefaultAccount = "111122223333"
	DefaultRegion  = "us-east-1"
)

var (
	accountRE   = regexp.MustCompile(`^[0-9]{12}$`)
	regionRE    = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	serviceRE   = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]*\.amazonaws\.com(\.cn)?$`)
	accessKeyRE = regexp.MustCompile(`^[A-Z0-9]{16,128}$`)
	sessionRE   = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
)

// maxFileBytes bounds an identities file; real ones are a few hundred bytes.
const maxFileBytes = 1 << 20

// Load reads and parses an identities file. Relative policy file names are
// resolved against the file's directory.
func Load(path string) (*Set, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read identities: %w", err)
	}
	return parse(path, data, fileReader(filepath.Dir(path)))
}

// Parse parses an identities document. Policies given as file names are
// read relative to the current directory.
func Parse(name string, data []byte) (*Set, error) {
	return parse(name, data, fileReader("."))
}

// readFunc reads a policy file named in the identities file.
type readFunc func(name string) ([]byte, error)

func fileReader(dir string) readFunc {
	return func(name string) ([]byte, error) {
		if !filepath.IsAbs(name) {
			name = filepath.Join(dir, name)
		}
		return os.ReadFile(name)
	}
}

func parse(name string, data []byte, read readFunc) (*Set, error) {
	if len(data) > maxFileBytes {
		return nil, fmt.Errorf("%s: identities file is %d bytes; the limit is %d", name, len(data), maxFileBytes)
	}
	var f file
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: empty identities file", name)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	s := &Set{Account: f.Account, Region: f.Region, byKey: map[string]*Identity{}}
	if s.Account == "" {
		s.Account = DefaultAccount
	}
	if s.Region == "" {
		s.Region = DefaultRegion
	}
	if !accountRE.MatchString(s.Account) {
		return nil, fmt.Errorf("%s: account %q is not 12 digits", name, s.Account)
	}
	if !regionRE.MatchString(s.Region) {
		return nil, fmt.Errorf("%s: region %q is not a region name like us-east-1", name, s.Region)
	}
	if len(f.Identities) == 0 {
		return nil, fmt.Errorf("%s: no identities", name)
	}
	for i := range f.Identities {
		id, err := build(&f.Identities[i], read)
		if err != nil {
			return nil, fmt.Errorf("%s: identities[%d]: %w", name, i, err)
		}
		if _, dup := s.byKey[id.AccessKeyID]; dup {
			return nil, fmt.Errorf("%s: identities[%d]: access key %s is used twice", name, i, id.AccessKeyID)
		}
		s.byKey[id.AccessKeyID] = id
		s.Identities = append(s.Identities, id)
	}
	return s, nil
}

func build(fi *fileIdentity, read readFunc) (*Identity, error) {
	id := &Identity{AccessKeyID: fi.AccessKeyID, SecretAccessKey: fi.SecretAccessKey}
	if !accessKeyRE.MatchString(fi.AccessKeyID) {
		return nil, fmt.Errorf("accessKeyId %q must be 16 to 128 upper-case letters and digits", fi.AccessKeyID)
	}
	if fi.SecretAccessKey == "" {
		return nil, fmt.Errorf("accessKeyId %s has no secretAccessKey", fi.AccessKeyID)
	}
	switch {
	case fi.ARN != "" && fi.Service != "":
		return nil, errors.New("give either arn or service, not both")
	case fi.Service != "":
		if fi.ViaService != "" {
			return nil, errors.New("viaService applies to an arn identity, not to a service")
		}
		if fi.Policies.Kind != 0 {
			return nil, errors.New("a service principal has no IAM policies (only the key policy can grant it access)")
		}
		if !serviceRE.MatchString(fi.Service) {
			return nil, fmt.Errorf("service %q is not a service principal like bedrock-agentcore.amazonaws.com", fi.Service)
		}
		id.Kind, id.Service = Service, fi.Service
		id.Principal = authz.Principal{Kind: authz.ServicePrincipal, ARN: fi.Service}
		ctx, err := contextOf(&fi.Context)
		if err != nil {
			return nil, err
		}
		id.Context = ctx
		return id, nil
	case fi.ARN == "":
		return nil, errors.New("needs arn (an IAM user, role or root) or service")
	}
	if fi.Context.Kind != 0 {
		return nil, errors.New("context applies only to service identities")
	}
	p, err := authz.ParsePrincipal(fi.ARN)
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(fi.ARN, "arn:") {
		return nil, fmt.Errorf("arn %q must be a full ARN", fi.ARN)
	}
	id.Kind, id.ARN, id.Account = IAM, fi.ARN, p.Account
	if fi.ViaService != "" {
		if !serviceRE.MatchString(fi.ViaService) {
			return nil, fmt.Errorf("viaService %q is not a service principal like bedrock-agentcore.amazonaws.com", fi.ViaService)
		}
		id.Kind, id.Service = ViaService, fi.ViaService
	}
	switch p.Kind {
	case authz.IAMUser:
		id.Principal, id.SessionARN = p, fi.ARN
		id.PrincipalID = uniqueID("AIDA", fi.ARN)
	case authz.AccountRoot:
		id.Principal, id.SessionARN = p, fi.ARN
		id.PrincipalID = p.Account
	case authz.IAMRole:
		session := fi.SessionName
		if session == "" {
			session = DefaultSessionName
		}
		if !sessionRE.MatchString(session) {
			return nil, fmt.Errorf("sessionName %q is not a valid role session name", session)
		}
		id.SessionName = session
		id.SessionARN = fmt.Sprintf("arn:%s:sts::%s:assumed-role/%s/%s", p.Partition, p.Account, p.RoleName, session)
		sp, err := authz.ParsePrincipal(id.SessionARN)
		if err != nil {
			return nil, err
		}
		id.Principal = sp
		id.RoleID = uniqueID("AROA", fi.ARN)
		id.PrincipalID = id.RoleID + ":" + session
	default:
		return nil, fmt.Errorf("arn %q: want an IAM user, role or root ARN", fi.ARN)
	}
	if fi.SessionName != "" && p.Kind != authz.IAMRole {
		return nil, errors.New("sessionName applies only to role identities")
	}
	if err := loadPolicies(id, &fi.Policies, read); err != nil {
		return nil, err
	}
	return id, nil
}

// uniqueID derives a stable IAM-style unique id from an ARN, so that the
// same identities file gives the same CloudTrail principalIds every run.
func uniqueID(prefix, arn string) string {
	sum := sha256.Sum256([]byte(arn))
	return prefix + base32.StdEncoding.EncodeToString(sum[:])[:17]
}

func contextOf(n *yaml.Node) (map[string][]string, error) {
	if n == nil || n.Kind == 0 {
		return nil, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: context must be a mapping of condition keys to values", n.Line)
	}
	out := make(map[string][]string, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || !strings.Contains(k.Value, ":") {
			return nil, fmt.Errorf("line %d: context key %q is not a condition key like aws:SourceAccount", k.Line, k.Value)
		}
		lk := strings.ToLower(k.Value)
		for ek := range out {
			if strings.ToLower(ek) == lk {
				return nil, fmt.Errorf("line %d: context key %q given twice", k.Line, k.Value)
			}
		}
		switch v.Kind {
		case yaml.ScalarNode:
			out[k.Value] = []string{v.Value}
		case yaml.SequenceNode:
			vals := make([]string, 0, len(v.Content))
			for _, it := range v.Content {
				if it.Kind != yaml.ScalarNode {
					return nil, fmt.Errorf("line %d: context %s: values must be strings", it.Line, k.Value)
				}
				vals = append(vals, it.Value)
			}
			out[k.Value] = vals
		default:
			return nil, fmt.Errorf("line %d: context %s: value must be a string or a list of strings", v.Line, k.Value)
		}
	}
	return out, nil
}

// loadPolicies reads `policies`: each item is an inline policy (a mapping,
// or a string starting with '{') or the name of a JSON policy file.
func loadPolicies(id *Identity, n *yaml.Node, read readFunc) error {
	var items []*yaml.Node
	switch {
	case n == nil || n.Kind == 0:
	case n.Kind == yaml.SequenceNode:
		items = n.Content
	default:
		return fmt.Errorf("line %d: policies must be a list", n.Line)
	}
	for i, it := range items {
		var (
			doc   []byte
			label string
		)
		switch {
		case it.Kind == yaml.MappingNode:
			var v any
			if err := it.Decode(&v); err != nil {
				return fmt.Errorf("policies[%d]: %w", i, err)
			}
			b, err := json.Marshal(v)
			if err != nil {
				return fmt.Errorf("policies[%d]: %w", i, err)
			}
			doc, label = b, fmt.Sprintf("%s policies[%d]", id.ARN, i)
		case it.Kind == yaml.ScalarNode && strings.HasPrefix(strings.TrimSpace(it.Value), "{"):
			doc, label = []byte(it.Value), fmt.Sprintf("%s policies[%d]", id.ARN, i)
		case it.Kind == yaml.ScalarNode && it.Value != "":
			b, err := read(it.Value)
			if err != nil {
				return fmt.Errorf("policies[%d]: %w", i, err)
			}
			doc, label = b, it.Value
		default:
			return fmt.Errorf("line %d: policies[%d] must be a policy document or a file name", it.Line, i)
		}
		pol, err := policy.ParseIdentityPolicy(label, doc)
		if err != nil {
			return fmt.Errorf("policies[%d]: %w", i, err)
		}
		cp, err := authz.Compile(label, pol)
		if err != nil {
			return fmt.Errorf("policies[%d]: %w", i, err)
		}
		id.Policies = append(id.Policies, cp)
		id.PolicyDocs = append(id.PolicyDocs, string(doc))
	}
	if id.Policies == nil {
		cp, err := allowAll()
		if err != nil {
			return err
		}
		id.Policies, id.AllowAll = []*authz.Policy{cp}, true
	}
	return nil
}

const allowAllDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`

func allowAll() (*authz.Policy, error) {
	p, err := policy.ParseIdentityPolicy("iam-allows-all", []byte(allowAllDoc))
	if err != nil {
		return nil, fmt.Errorf("allow-all policy: %w", err)
	}
	return authz.Compile("IAM (no policies configured: allows all)", p)
}
