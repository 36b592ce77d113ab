package livekey

import (
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/kmslint/kmslint/internal/arn"
	"github.com/kmslint/kmslint/internal/input"
	"github.com/kmslint/kmslint/internal/lint"
	"github.com/kmslint/kmslint/internal/policy"
)

// Key is a live key: what DescribeKey, GetKeyPolicy and ListGrants said.
type Key struct {
	ARN        string
	ID         string
	Account    string
	Region     string
	KeySpec    string
	KeyUsage   string
	KeyState   string
	KeyManager string
	// Policy is the key policy text exactly as GetKeyPolicy returned it;
	// finding positions point into it.
	Policy string
	Grants []Grant
	// GrantsNote says why grants were not listed (kms:ListGrants denied).
	GrantsNote string
}

// Grant is one grant on the key. Grants give access in addition to the key
// policy, so a key policy that lints clean can still be used more widely.
// https://docs.aws.amazon.com/kms/latest/developerguide/grants.html
type Grant struct {
	ID      string
	Name    string
	Grantee string // IAM principal ARN, account, or service principal
	// Operations are KMS operation names without the kms: prefix.
	Operations []string
	// EncryptionContextEquals and EncryptionContextSubset are the grant's
	// constraints on cryptographic operations.
	EncryptionContextEquals map[string]string
	EncryptionContextSubset map[string]string
	IssuingAccount          string
}

func grantOf(g types.GrantListEntry) Grant {
	out := Grant{
		ID:             aws.ToString(g.GrantId),
		Name:           aws.ToString(g.Name),
		Grantee:        firstNonEmpty(aws.ToString(g.GranteePrincipal), aws.ToString(g.GranteeServicePrincipal)),
		IssuingAccount: aws.ToString(g.IssuingAccount),
	}
	for _, op := range g.Operations {
		out.Operations = append(out.Operations, string(op))
	}
	if g.Constraints != nil {
		out.EncryptionContextEquals = g.Constraints.EncryptionContextEquals
		out.EncryptionContextSubset = g.Constraints.EncryptionContextSubset
	}
	return out
}

// String describes the grant in one line: who may do what, under which
// encryption context constraint.
func (g Grant) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "grant %s", g.ID)
	if g.Name != "" {
		fmt.Fprintf(&b, " (%s)", g.Name)
	}
	ops := make([]string, len(g.Operations))
	for i, op := range g.Operations {
		ops[i] = "kms:" + op
	}
	fmt.Fprintf(&b, " gives %s %s", g.Grantee, strings.Join(ops, ", "))
	switch {
	case len(g.EncryptionContextEquals) > 0:
		fmt.Fprintf(&b, " when the encryption context equals %s", contextText(g.EncryptionContextEquals))
	case len(g.EncryptionContextSubset) > 0:
		fmt.Fprintf(&b, " when the encryption context includes %s", contextText(g.EncryptionContextSubset))
	default:
		b.WriteString(" with any encryption context")
	}
	return b.String()
}

func contextText(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%s", k, m[k])
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// GrantsFor returns the grants that give principal the action. principal is
// written as the rules' evidence writes it: an IAM ARN, an assumed-role
// session ARN (matched by its role), or service:NAME; action is kms:Op.
// A grant to an account root counts for that account's IAM principals.
func (k *Key) GrantsFor(principal, action string) []Grant {
	op := strings.TrimPrefix(action, "kms:")
	who, account := normalPrincipal(principal)
	var out []Grant
	for _, g := range k.Grants {
		if !hasOp(g.Operations, op) {
			continue
		}
		gw, _ := normalPrincipal(g.Grantee)
		root := account != "" && (g.Grantee == account || strings.HasSuffix(g.Grantee, ":iam::"+account+":root"))
		if gw == who || root {
			out = append(out, g)
		}
	}
	return out
}

func hasOp(ops []string, op string) bool {
	for _, o := range ops {
		if strings.EqualFold(o, op) {
			return true
		}
	}
	return false
}

// normalPrincipal maps a principal to the identity a grant names (a
// session to its role, service:NAME to NAME) and its account, if any.
func normalPrincipal(p string) (who, account string) {
	if s, ok := strings.CutPrefix(p, "service:"); ok {
		return s, ""
	}
	a, ok := arn.Parse(p)
	if !ok || a.Partition == "" {
		return p, ""
	}
	if a.Service == "sts" && strings.HasPrefix(a.Resource, "assumed-role/") {
		parts := strings.Split(a.Resource, "/")
		if len(parts) >= 2 {
			return "arn:" + a.Partition + ":iam::" + a.AccountID + ":role/" + parts[1], a.AccountID
		}
	}
	return p, a.AccountID
}

// Document is the key policy as a lint input: named by the key ARN, with
// positions in the policy text, and the key ARN as resource.
func (k *Key) Document() (input.Document, error) {
	root, err := policy.ParseJSON(k.ARN, []byte(k.Policy))
	if err != nil {
		return input.Document{}, fmt.Errorf("key policy of %s: %w", k.ARN, err)
	}
	return input.Document{
		File:     k.ARN,
		Format:   input.FormatPolicy,
		Resource: k.ARN,
		Policy:   root,
		// KMS checks its 32 KB limit on the compact form, as input does.
		Size: len(root.AppendJSON(nil)),
	}, nil
}

// LiveKey is what the ACR009-ACR011 rules need.
func (k *Key) LiveKey() *lint.LiveKey {
	return &lint.LiveKey{ARN: k.ARN, KeySpec: k.KeySpec, KeyUsage: k.KeyUsage, KeyState: k.KeyState, Region: k.Region}
}
