package authz

import (
	"fmt"
	"strings"

	"github.com/kmslint/kmslint/internal/arn"
	"github.com/kmslint/kmslint/internal/policy"
)

// PrincipalKind says what kind of identity makes a request.
type PrincipalKind uint8

const (
	Anonymous PrincipalKind = iota
	AccountRoot
	IAMUser
	IAMRole
	AssumedRole
	FederatedUser
	ServicePrincipal
	WebIdentity // a Federated principal (SAML or OIDC provider)
	CanonicalUser
)

func (k PrincipalKind) String() string {
	return [...]string{"anonymous", "account", "IAM user", "IAM role", "assumed-role session",
		"federated user", "service principal", "federated", "canonical user"}[k]
}

// Principal is the identity that makes a request.
type Principal struct {
	Kind      PrincipalKind
	ARN       string // the principal's ARN; for a service, its name
	Partition string
	Account   string // 12 digits; empty for services and anonymous
	// RoleName is the role of an assumed-role session (or of an IAM role),
	// the part a key policy's role principal is matched against.
	RoleName string
	// RolePath is the role's IAM path ("/" or "/app/..."), known when the
	// role was given by its ARN: a session ARN does not carry it, but the
	// session's aws:PrincipalArn (the role's ARN) does.
	// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns
	RolePath string
	// UserName is the IAM user behind a federated-user session.
	UserName string
}

// String is the principal as `eval` takes it.
func (p Principal) String() string {
	switch p.Kind {
	case Anonymous:
		return "anonymous"
	case ServicePrincipal:
		return "service:" + p.ARN
	}
	return p.ARN
}

// ParsePrincipal parses the principal forms `kmslint eval --principal`
// takes: an IAM user/role ARN, an assumed-role session ARN, a federated-user
// ARN, an account id or root ARN, `service:NAME` (or a bare
// `NAME.amazonaws.com`), `anonymous`/`*`, `federated:PROVIDER`,
// `canonical:ID`.
func ParsePrincipal(s string) (Principal, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return Principal{}, fmt.Errorf("empty principal")
	case s == "*" || strings.EqualFold(s, "anonymous"):
		return Principal{Kind: Anonymous, ARN: "anonymous"}, nil
	case strings.HasPrefix(s, "service:"):
		name := strings.TrimPrefix(s, "service:")
		if name == "" {
			return Principal{}, fmt.Errorf("service principal %q has no name", s)
		}
		return Principal{Kind: ServicePrincipal, ARN: name}, nil
	case strings.HasPrefix(s, "federated:"):
		return Principal{Kind: WebIdentity, ARN: strings.TrimPrefix(s, "federated:")}, nil
	case strings.HasPrefix(s, "canonical:"):
		return Principal{Kind: CanonicalUser, ARN: strings.TrimPrefix(s, "canonical:")}, nil
	case arn.IsAccountID(s):
		return Principal{Kind: AccountRoot, ARN: "arn:aws:iam::" + s + ":root", Partition: "aws", Account: s}, nil
	case !strings.HasPrefix(s, "arn:") && strings.Contains(s, ".") && !strings.ContainsAny(s, ":/ "):
		return Principal{Kind: ServicePrincipal, ARN: s}, nil
	}
	a, ok := arn.Parse(s)
	if !ok {
		return Principal{}, fmt.Errorf("principal %q is not an ARN, an account id, service:NAME or anonymous", s)
	}
	p := Principal{ARN: s, Partition: a.Partition, Account: a.AccountID}
	if !arn.IsAccountID(p.Account) {
		return Principal{}, fmt.Errorf("principal %q: account %q is not 12 digits", s, p.Account)
	}
	res := a.Resource
	switch a.Service {
	case "iam":
		switch {
		case res == "root":
			p.Kind = AccountRoot
		case strings.HasPrefix(res, "user/"):
			p.Kind = IAMUser
			p.UserName = lastSegment(res)
		case strings.HasPrefix(res, "role/"):
			p.Kind = IAMRole
			p.RoleName = lastSegment(res)
			p.RolePath = res[len("role") : len(res)-len(p.RoleName)]
		default:
			return Principal{}, fmt.Errorf("principal %q: IAM resource %q is not root, user/... or role/...", s, res)
		}
	case "sts":
		switch {
		case strings.HasPrefix(res, "assumed-role/"):
			rest := strings.TrimPrefix(res, "assumed-role/")
			i := strings.IndexByte(rest, '/')
			if i <= 0 || i == len(rest)-1 {
				return Principal{}, fmt.Errorf("principal %q: expected assumed-role/ROLE/SESSION", s)
			}
			p.Kind = AssumedRole
			p.RoleName = rest[:i]
		case strings.HasPrefix(res, "federated-user/"):
			p.Kind = FederatedUser
			p.UserName = strings.TrimPrefix(res, "federated-user/")
		default:
			return Principal{}, fmt.Errorf("principal %q: STS resource %q is not assumed-role/... or federated-user/...", s, res)
		}
	default:
		return Principal{}, fmt.Errorf("principal %q: service %q makes no principals (want iam or sts)", s, a.Service)
	}
	return p, nil
}

func lastSegment(s string) string {
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// principalMatch is how a policy principal matched a request principal.
type principalMatch uint8

const (
	noMatch principalMatch = iota
	// directMatch: the statement names this principal (or everyone); a
	// key policy Allow of this kind grants access by itself for principals
	// of the key's account.
	directMatch
	// accountMatch: the statement names the principal's account, which in a
	// key policy delegates to IAM: the principal's identity policies decide.
	// https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-root-enable-iam
	accountMatch
)

// compiledPrincipal is one entry of a Principal element.
type compiledPrincipal struct {
	typ      policy.PrincipalType
	value    string
	wildcard bool
	account  string // account principal: "111122223333" or arn:...:root
	// accountPartition is the partition of an arn:PARTITION:iam::A:root
	// principal; empty for a bare account id, which names the account in
	// the key's own partition.
	accountPartition string
	// For role ARNs: assumed-role sessions of the role match too.
	roleAccount, roleName, rolePartition string
	// For assumed-role session ARNs written in a policy: exact match.
	isFederatedUser bool
}

func compilePrincipal(e policy.PrincipalEntry) compiledPrincipal {
	cp := compiledPrincipal{typ: e.Type, value: e.Value}
	if e.Type != policy.PrincipalAWS {
		return cp
	}
	if e.Value == "*" {
		cp.wildcard = true
		return cp
	}
	if arn.IsAccountID(e.Value) {
		cp.account = e.Value
		return cp
	}
	if a, ok := arn.Parse(e.Value); ok && a.Service == "iam" {
		switch {
		case a.Resource == "root":
			cp.account, cp.accountPartition = a.AccountID, a.Partition
		case strings.HasPrefix(a.Resource, "role/"):
			cp.rolePartition, cp.roleAccount, cp.roleName = a.Partition, a.AccountID, lastSegment(a.Resource)
		}
	}
	return cp
}

// match tells how this policy principal matches the request principal.
// Principal rules: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
func (cp *compiledPrincipal) match(p *Principal) principalMatch {
	if cp.wildcard {
		// "*" matches everyone, anonymous and AWS services included.
		return directMatch
	}
	switch cp.typ {
	case policy.PrincipalService:
		if p.Kind == ServicePrincipal && p.ARN == cp.value {
			return directMatch
		}
		return noMatch
	case policy.PrincipalFederated:
		if p.Kind == WebIdentity && p.ARN == cp.value {
			return directMatch
		}
		return noMatch
	case policy.PrincipalCanonicalUser:
		if p.Kind == CanonicalUser && p.ARN == cp.value {
			return directMatch
		}
		return noMatch
	}
	switch p.Kind {
	case Anonymous, ServicePrincipal, WebIdentity, CanonicalUser:
		return noMatch
	}
	if cp.account != "" {
		if !cp.namesAccountOf(p) {
			return noMatch
		}
		if p.Kind == AccountRoot {
			// The root user is the account: it needs no IAM policy.
			return directMatch
		}
		return accountMatch
	}
	if cp.roleName != "" && p.Kind == AssumedRole {
		// A role principal matches every session of the role. IAM role names
		// are unique case-insensitively, and a session ARN carries the role
		// name without its path.
		// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-role-session
		if cp.namesRoleOf(p) {
			return directMatch
		}
		return noMatch
	}
	if cp.value == p.ARN {
		return directMatch
	}
	return noMatch
}

// namesAccountOf reports whether an account principal names p's account,
// in p's partition: partitions are separate IAM instances, so
// arn:aws:iam::A:root does not name A's principals in aws-cn or aws-us-gov.
// https://docs.aws.amazon.com/whitepapers/latest/aws-fault-isolation-boundaries/partitions.html
func (cp *compiledPrincipal) namesAccountOf(p *Principal) bool {
	if cp.account == "" || cp.account != p.Account {
		return false
	}
	return cp.accountPartition == "" || p.Partition == "" || cp.accountPartition == p.Partition
}

// namesRoleOf reports whether a role principal is p's role: same account and
// partition, role name compared case-insensitively (IAM role names are
// unique that way; a session ARN carries the name without the path).
func (cp *compiledPrincipal) namesRoleOf(p *Principal) bool {
	return cp.roleName != "" && cp.roleAccount == p.Account && cp.rolePartition == p.Partition && strings.EqualFold(cp.roleName, p.RoleName)
}
