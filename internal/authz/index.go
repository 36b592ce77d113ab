package authz

import (
	"slices"
	"strings"

	"github.com/kmslint/kmslint/internal/policy"
)

// principalIndex finds the statements whose Principal element can name a
// request's principal without matching every statement: a policy with one
// statement per role (a few hundred of them at the 32 KB limit) was matched
// in full for each of the hundreds of requests lint makes per role, so
// linting grew as callers × statements. The index only narrows the
// candidates; match still decides each of them, so decisions are the same.
type principalIndex struct {
	// generic statements are candidates for every principal: "*",
	// NotPrincipal, no Principal (identity policies), principal types the
	// index does not key.
	generic []int32
	byKey   map[string][]int32
}

// indexMin is the policy size below which the index is not built: scanning
// a few statements costs less than looking them up.
const indexMin = 16

// Keys: "A" account principals, "V" an exact ARN, "R" a role by partition,
// account and lower-cased name (its sessions), "S" a service, "F" a
// federated provider, "C" a canonical user. A key of an entry is one of the
// keys of every principal the entry can match (see compiledPrincipal.match).
func entryKeys(cp *compiledPrincipal) (keys []string, generic bool) {
	if cp.wildcard {
		return nil, true
	}
	switch cp.typ {
	case policy.PrincipalService:
		return []string{"S" + cp.value}, false
	case policy.PrincipalFederated:
		return []string{"F" + cp.value}, false
	case policy.PrincipalCanonicalUser:
		return []string{"C" + cp.value}, false
	case policy.PrincipalAWS:
	default:
		return nil, true
	}
	if cp.account != "" {
		return []string{"A" + cp.account}, false
	}
	if cp.roleName != "" {
		return []string{"V" + cp.value, roleKey(cp.rolePartition, cp.roleAccount, cp.roleName)}, false
	}
	return []string{"V" + cp.value}, false
}

func roleKey(partition, account, name string) string {
	return "R" + partition + "|" + account + "|" + strings.ToLower(name)
}

// principalKeys are the keys under which the statements that can name p are
// filed.
func principalKeys(p *Principal, buf []string) []string {
	switch p.Kind {
	case Anonymous:
		return buf
	case ServicePrincipal:
		return append(buf, "S"+p.ARN)
	case WebIdentity:
		return append(buf, "F"+p.ARN)
	case CanonicalUser:
		return append(buf, "C"+p.ARN)
	}
	buf = append(buf, "A"+p.Account, "V"+p.ARN)
	if p.Kind == AssumedRole {
		buf = append(buf, roleKey(p.Partition, p.Account, p.RoleName))
	}
	return buf
}

func buildIndex(stmts []compiledStatement) *principalIndex {
	if len(stmts) < indexMin {
		return nil
	}
	ix := &principalIndex{byKey: map[string][]int32{}}
	for i := range stmts {
		cs := &stmts[i]
		generic := cs.notPrincipal || cs.anyPrincipal
		var keys []string
		for j := range cs.principals {
			k, g := entryKeys(&cs.principals[j])
			generic = generic || g
			keys = append(keys, k...)
		}
		if generic {
			ix.generic = append(ix.generic, int32(i))
			continue
		}
		for _, k := range keys {
			l := ix.byKey[k]
			if n := len(l); n > 0 && l[n-1] == int32(i) {
				continue // the same statement under one key twice
			}
			ix.byKey[k] = append(l, int32(i))
		}
	}
	if len(ix.byKey) == 0 {
		return nil // identity policies: every statement is generic
	}
	return ix
}

// candidates returns, in statement order, the indexes of the statements
// whose principal can match p; nil (with ok false) when the policy has no
// index and every statement is a candidate.
func (p *Policy) candidates(pr *Principal) (out []int32, ok bool) {
	ix := p.index
	if ix == nil {
		return nil, false
	}
	var kb [3]string
	keys := principalKeys(pr, kb[:0])
	n := len(ix.generic)
	lists := make([][]int32, 0, len(keys)+1)
	lists = append(lists, ix.generic)
	for _, k := range keys {
		if l := ix.byKey[k]; len(l) > 0 {
			lists = append(lists, l)
			n += len(l)
		}
	}
	out = make([]int32, 0, n)
	for _, l := range lists {
		out = append(out, l...)
	}
	if len(lists) > 1 {
		slices.Sort(out)
		out = slices.Compact(out)
	}
	return out, true
}
