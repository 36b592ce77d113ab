package evalio

import (
	"fmt"
	"io"
	"strings"

	"github.com/kmslint/kmslint/internal/arn"
	"github.com/kmslint/kmslint/internal/authz"
	"github.com/kmslint/kmslint/internal/policy"
)

// WriteText renders a decision for a terminal.
func WriteText(w io.Writer, r *authz.Result, color bool) error {
	paint := func(code, s string) string {
		if !color {
			return s
		}
		return "\x1b[" + code + "m" + s + "\x1b[0m"
	}
	dcol := "31" // red
	if r.Decision == authz.Allow {
		dcol = "32"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s\n", paint("1;"+dcol, r.Decision.String()), r.Summary)
	for _, s := range r.Statements {
		mark := " "
		switch {
		case s.Decisive:
			mark = paint(dcol, "*")
		case s.Matched:
			mark = "+"
		}
		label := s.Sid
		if label == "" {
			label = fmt.Sprintf("Statement[%d]", s.Index)
		}
		if s.Policy != "" {
			label = s.Policy + ": " + label
		}
		fmt.Fprintf(&b, "  %s %-5s %s: %s\n", mark, s.Effect, paint("1", label), s.Reason)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// DefaultResource picks the key ARN for requests that name none: a key in
// the account the key policy's account principal names (by the default
// key-policy convention, the key's own account), else the account of the
// first IAM principal it names, else fallbackAccount. It returns "" when
// none is known; callers then use each request principal's own account.
// Region and key id are placeholders: pass --resource when the policy's
// Resource element names specific keys.
func DefaultResource(p *policy.Policy, fallbackAccount string) string {
	root, first := "", ""
	for _, st := range p.Statements {
		for _, pr := range []*policy.Principals{st.Principal, st.NotPrincipal} {
			if pr == nil {
				continue
			}
			for _, e := range pr.Entries {
				if e.Type != policy.PrincipalAWS {
					continue
				}
				v := e.Value
				a, isARN := arn.Parse(v)
				switch {
				case arn.IsAccountID(v):
					if root == "" {
						root = v
					}
				case isARN && a.Service == "iam" && a.Resource == "root":
					if root == "" {
						root = a.AccountID
					}
				case isARN && first == "":
					first = a.AccountID
				}
			}
		}
	}
	acct := root
	if acct == "" {
		acct = first
	}
	if acct == "" {
		acct = fallbackAccount
	}
	if acct == "" {
		return ""
	}
	return KeyARNIn(acct)
}

// KeyARNIn is a placeholder key ARN in an account.
func KeyARNIn(account string) string {
	return "arn:aws:kms:us-east-1:" + account + ":key/00000000-0000-0000-0000-000000000000"
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
