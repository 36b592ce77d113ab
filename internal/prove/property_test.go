package prove

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kmslint/kmslint/internal/arn"
	"github.com/kmslint/kmslint/internal/authz"
	"github.com/kmslint/kmslint/internal/policy"
	"github.com/kmslint/kmslint/internal/world"
)

// gen draws policies, regions and requests from small pools of values that
// collide with each other: the accounts, names and patterns of one draw are
// the ones its requests use, mutated a character at a time.
type gen struct {
	r *rand.Rand
}

var (
	genAccounts = []string{account, "444455556666", "111122223303", "999988887777", "1111222233?3", "11112222*", "*"}
	genRoles    = []string{"MyRecommendationRole", "myrecommendationrole", "Admin", "Ad*", "path/Admin"}
	genServices = []string{service, "s3.amazonaws.com", "bedrock-*"}
	genRecs     = []string{
		"arn:aws:bedrock-agentcore:us-east-1:111122223333:recommendation/*",
		"arn:aws:bedrock-agentcore:us-east-?:111122223333:recommendation/*",
		"arn:aws:bedrock-agentcore:us-east-1:*:recommendation/*",
		"arn:aws:bedrock-agentcore:*:111122223333:*",
		"arn:aws:bedrock-agentcore:us-east-1:111122223333:recommendation/R-1",
		"arn:aws:bedrock-agentcore:us-east-1:${aws:PrincipalAccount}:recommendation/*",
		"arn:aws:bedrock-agentcore:us-east-1:${kms:CallerAccount, '111122223333'}:*",
		"*", "arn:*",
	}
	genKeys = []string{
		"kms:CallerAccount", "aws:PrincipalAccount", "aws:PrincipalArn", "aws:SourceAccount", "aws:SourceArn",
		ecCond, "kms:EncryptionContext:Dept", "kms:EncryptionContextKeys", "aws:PrincipalOrgID", "aws:ViaAWSService",
		"kms:ViaService", "aws:CalledVia", "aws:CalledViaLast", "aws:PrincipalIsAWSService", "aws:SourceIp", "aws:CurrentTime",
		"aws:EpochTime", "aws:userid", "aws:username", "aws:PrincipalType", "aws:PrincipalTag/team", "aws:PrincipalServiceName",
		"aws:MultiFactorAuthAge", "aws:SecureTransport", "kms:GrantOperations",
	}
)

func (g *gen) pick(xs []string) string { return xs[g.r.IntN(len(xs))] }

func (g *gen) chance(p float64) bool { return g.r.Float64() < p }

func (g *gen) principal() any {
	switch g.r.IntN(9) {
	case 0:
		return "*"
	case 1:
		return map[string]any{"AWS": "*"}
	case 2:
		return map[string]any{"AWS": strings.Trim(g.pick(genAccounts), "*?")}
	case 3:
		return map[string]any{"AWS": "arn:aws:iam::" + g.pick([]string{account, "444455556666"}) + ":root"}
	case 4:
		return map[string]any{"AWS": "arn:aws:iam::" + account + ":role/" + strings.ReplaceAll(g.pick(genRoles), "*", "")}
	case 5:
		return map[string]any{"AWS": "arn:aws:iam::" + account + ":user/kmslint-probe"}
	case 6:
		return map[string]any{"AWS": "arn:aws:sts::" + account + ":assumed-role/Admin/kmslint"}
	case 7:
		return map[string]any{"Service": strings.ReplaceAll(g.pick(genServices), "*", "")}
	}
	return map[string]any{"AWS": []string{account, "arn:aws:iam::444455556666:role/Admin"}, "Service": service}
}

func (g *gen) operator() string {
	bases := []string{"StringEquals", "StringNotEquals", "StringLike", "StringNotLike", "StringEqualsIgnoreCase",
		"ArnLike", "ArnNotLike", "ArnEquals", "Bool", "Null", "NumericLessThan", "NumericGreaterThanEquals",
		"DateGreaterThan", "IpAddress", "NotIpAddress"}
	op := g.pick(bases)
	if op != "Null" && g.chance(0.2) {
		op += "IfExists"
	}
	switch {
	case g.chance(0.15):
		op = "ForAnyValue:" + op
	case g.chance(0.15):
		op = "ForAllValues:" + op
	}
	return op
}

func (g *gen) value(op, key string) string {
	switch {
	case strings.Contains(op, "Null"), strings.Contains(op, "Bool"):
		return g.pick([]string{"true", "false", "True"})
	case strings.Contains(op, "Numeric"):
		return g.pick([]string{"0", "3600", "1767225600", "1.5", "x"})
	case strings.Contains(op, "Date"):
		return g.pick([]string{"2026-01-01T00:00:00Z", "1767225600", "2020-01-01"})
	case strings.Contains(op, "Ip"):
		return g.pick([]string{"10.0.0.0/8", "192.0.2.1", "::1/128", "::ffff:10.0.0.0/104"})
	}
	switch strings.ToLower(key) {
	case "kms:calleraccount", "aws:principalaccount", "aws:sourceaccount":
		return g.pick(genAccounts)
	case "aws:principalarn":
		return g.pick([]string{"arn:aws:iam::" + g.pick(genAccounts) + ":role/" + g.pick(genRoles), "arn:aws:iam::*:root", "arn:aws:iam::" + account + ":user/*"})
	case "aws:sourcearn", strings.ToLower(ecCond):
		return g.pick(genRecs)
	case "kms:encryptioncontextkeys":
		return g.pick([]string{"aws:bedrock-agentcore:recommendationArn", "Dept", "dept", "*"})
	case "aws:principalorgid":
		return g.pick([]string{"o-abc123", "o-*"})
	case "kms:viaservice", "aws:calledvia", "aws:calledvialast", "aws:principalservicename":
		return g.pick([]string{"s3.us-east-1.amazonaws.com", "s3.amazonaws.com", "bedrock-agentcore.*", service})
	case "aws:userid":
		return g.pick([]string{"AROA*:kmslint", account, "*:kmslint"})
	case "aws:username", "aws:principaltag/team":
		return g.pick([]string{"kmslint-probe", "ops", "${aws:username}", "${aws:PrincipalTag/team, 'ops'}"})
	case "aws:principaltype":
		return g.pick([]string{"AssumedRole", "User", "Account"})
	}
	return g.pick([]string{"ops", "Ops", "*", "${aws:username}", "finance", "true"})
}

func (g *gen) conditions(n int) map[string]map[string]any {
	c := map[string]map[string]any{}
	for i := 0; i < n; i++ {
		op := g.operator()
		key := g.pick(genKeys)
		var vals []string
		for j := 0; j <= g.r.IntN(2); j++ {
			vals = append(vals, g.value(op, key))
		}
		if c[op] == nil {
			c[op] = map[string]any{}
		}
		c[op][key] = vals
	}
	return c
}

func (g *gen) statement() map[string]any {
	st := map[string]any{"Effect": "Allow"}
	if g.chance(0.2) {
		st["Effect"] = "Deny"
	}
	if g.chance(0.1) {
		st["NotPrincipal"] = map[string]any{"AWS": "arn:aws:iam::" + account + ":role/Admin"}
		st["Effect"] = "Deny"
	} else {
		st["Principal"] = g.principal()
	}
	acts := []string{"kms:Decrypt", "kms:GenerateDataKey", "kms:*", "kms:Gen*", "kms:De?rypt", "kms:DescribeKey"}
	if g.chance(0.1) {
		st["NotAction"] = g.pick(acts)
	} else {
		st["Action"] = []string{g.pick(acts), g.pick(acts)}
	}
	switch g.r.IntN(6) {
	case 0:
		st["Resource"] = keyARN
	case 1:
		st["Resource"] = "arn:aws:kms:*:" + account + ":key/*"
	case 2:
		st["NotResource"] = "arn:aws:kms:us-west-2:*:key/*"
	default:
		st["Resource"] = "*"
	}
	if n := g.r.IntN(4); n > 0 {
		st["Condition"] = g.conditions(n)
	}
	return st
}

func (g *gen) policy() (*authz.Policy, string) {
	var sts []any
	for i := 0; i <= g.r.IntN(4); i++ {
		sts = append(sts, g.statement())
	}
	b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": sts})
	p, err := policy.ParseKeyPolicy("gen.json", b)
	if err != nil || !p.Valid() {
		return nil, string(b)
	}
	cp, err := authz.Compile("gen", p)
	if err != nil {
		return nil, string(b)
	}
	return cp, string(b)
}

func (g *gen) region() Region {
	acts := []string{"kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey", "kms:PutKeyPolicy"}
	r := Region{Resource: keyARN, Actions: []string{g.pick(acts)}}
	if g.chance(0.5) {
		r.Actions = append(r.Actions, g.pick(acts))
	}
	if g.chance(0.5) {
		for _, k := range world.Kinds {
			if g.chance(0.5) {
				r.Kinds = append(r.Kinds, k)
			}
		}
	}
	if g.chance(0.3) {
		r.Via = g.pick([]string{"direct", "fas"})
	}
	if g.chance(0.2) {
		r.Principals = []policy.PrincipalEntry{{Type: policy.PrincipalAWS, Value: g.pick([]string{account, "arn:aws:iam::" + account + ":role/Admin"})}}
	}
	if n := g.r.IntN(3); n > 0 {
		b, _ := json.Marshal(g.conditions(n))
		if conds, err := parseConditions(b); err == nil {
			r.Conditions = conds
		}
	}
	return r
}

// mutate changes a character of s, or its case, now and then.
func (g *gen) mutate(s string) string {
	s = strings.NewReplacer("*", g.pick([]string{"", "x", "/y"}), "?", g.pick([]string{"3", "0", "a"})).Replace(s)
	switch {
	case s == "" || g.chance(0.6):
		return s
	case g.chance(0.3):
		return strings.ToUpper(s[:1]) + s[1:]
	case g.chance(0.5):
		i := g.r.IntN(len(s))
		return s[:i] + "0" + s[i+1:]
	}
	return s + "x"
}

func (g *gen) call(r Region) world.Call {
	kinds := r.kinds()
	if len(kinds) == 0 || g.chance(0.1) {
		kinds = world.Kinds
	}
	kind := kinds[g.r.IntN(len(kinds))]
	acct := g.mutate(g.pick(genAccounts))
	if !arn.IsAccountID(acct) {
		acct = g.pick([]string{account, "444455556666", "111122223303"})
	}
	c := world.Call{Key: keyARN, Action: r.Actions[g.r.IntN(len(r.Actions))]}
	if g.chance(0.05) {
		c.Action = "kms:Encrypt"
	}
	role := strings.Trim(g.mutate(g.pick(genRoles)), "/")
	if strings.Contains(role, "/") {
		role = role[strings.LastIndexByte(role, '/')+1:]
	}
	if role == "" {
		role = "Admin"
	}
	switch kind {
	case authz.AccountRoot:
		c.Principal = authz.Principal{Kind: kind, ARN: "arn:aws:iam::" + acct + ":root", Partition: "aws", Account: acct}
	case authz.IAMUser:
		name := g.pick([]string{"kmslint-probe", "ops", "Admin"})
		c.Principal = authz.Principal{Kind: kind, ARN: "arn:aws:iam::" + acct + ":user/" + name, Partition: "aws", Account: acct, UserName: name}
		c.UserID = "AIDAEXAMPLE"
	case authz.AssumedRole:
		path := g.pick([]string{"/", "/path/"})
		c.Principal = authz.Principal{Kind: kind, ARN: "arn:aws:sts::" + acct + ":assumed-role/" + role + "/kmslint", Partition: "aws", Account: acct, RoleName: role, RolePath: path}
		c.UserID = "AROAEXAMPLE"
	case authz.FederatedUser:
		c.Principal = authz.Principal{Kind: kind, ARN: "arn:aws:sts::" + acct + ":federated-user/kmslint", Partition: "aws", Account: acct, UserName: "kmslint"}
	case authz.ServicePrincipal:
		c.Principal = authz.Principal{Kind: kind, ARN: g.mutate(g.pick(genServices))}
		if c.Principal.ARN == "" {
			c.Principal.ARN = service
		}
		if g.chance(0.7) {
			c.SourceAccount = acct
		}
		if g.chance(0.7) {
			sa := c.SourceAccount
			if sa == "" {
				sa = acct
			}
			c.SourceArn = "arn:aws:bedrock-agentcore:" + g.pick([]string{"us-east-1", "us-east-2"}) + ":" + sa + ":recommendation/R-1"
		}
	default:
		c.Principal = authz.Principal{Kind: authz.Anonymous, ARN: "anonymous"}
	}
	if world.IAM(kind) {
		if r.Via == "fas" || r.Via == "" && g.chance(0.4) {
			c.Via = world.FAS
			c.ViaService = g.pick([]string{"s3.us-east-1.amazonaws.com", "bedrock-agentcore.us-east-1.amazonaws.com"})
			if g.chance(0.5) {
				c.CalledVia = []string{g.pick([]string{"s3.amazonaws.com", service})}
			}
		}
		if g.chance(0.4) {
			c.OrgID = g.pick([]string{"o-abc123", "o-other"})
		}
	}
	if world.TakesEncryptionContext(c.Action) {
		if g.chance(0.7) {
			rec := g.mutate(g.pick(genRecs))
			c.EncryptionContext = append(c.EncryptionContext, world.Pair{Key: g.pick([]string{"aws:bedrock-agentcore:recommendationArn", "AWS:bedrock-agentcore:recommendationArn"}), Value: rec})
		}
		if g.chance(0.3) {
			c.EncryptionContext = append(c.EncryptionContext, world.Pair{Key: g.pick([]string{"Dept", "dept", "other"}), Value: g.pick([]string{"ops", "Ops", "finance"})})
		}
		c.EmptyKeys = g.chance(0.5)
	}
	// AWS always sends the time (world.Context leaves it out only for
	// callers that know nothing reads it).
	c.Time = time.Unix(1767225600+int64(g.r.IntN(3)-1), 0)
	if g.chance(0.5) {
		c.Extra = append(c.Extra, world.KV{Key: "aws:SourceIp", Value: authz.Value{Values: []string{g.pick([]string{"10.1.2.3", "192.0.2.1", "::1", "::ffff:10.0.0.1"})}}})
	}
	if g.chance(0.4) && world.IAM(kind) {
		c.Extra = append(c.Extra, world.KV{Key: "aws:PrincipalTag/team", Value: authz.Value{Values: []string{g.pick([]string{"ops", "kmslint-probe", "Ops"})}}})
	}
	if g.chance(0.2) {
		c.Extra = append(c.Extra, world.KV{Key: "aws:MultiFactorAuthAge", Value: authz.Value{Values: []string{g.pick([]string{"0", "3600", "7200"})}}})
	}
	if g.chance(0.2) && c.Action == "kms:Decrypt" {
		c.Extra = append(c.Extra, world.KV{Key: "kms:GrantOperations", Value: authz.Value{Values: []string{"ops"}, Multi: true}})
	}
	return c
}

// identity draws an identity assumption: none, allow-all, or random IAM
// policies for the caller role and its account's other principals.
func (g *gen) identity() Identity {
	switch g.r.IntN(3) {
	case 0:
		return Identity{}
	case 1:
		return AllowAll()
	}
	idp := func() *authz.Policy {
		var sts []any
		for i := 0; i <= g.r.IntN(2); i++ {
			st := g.statement()
			delete(st, "Principal")
			delete(st, "NotPrincipal")
			sts = append(sts, st)
		}
		b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": sts})
		p, err := policy.ParseIdentityPolicy("id.json", b)
		if err != nil || !p.Valid() {
			return allowAllPolicy
		}
		cp, err := authz.Compile("id.json", p)
		if err != nil {
			return allowAllPolicy
		}
		return cp
	}
	id := Identity{Named: map[string][]*authz.Policy{
		"arn:aws:iam::" + account + ":role/Admin":         {idp()},
		"arn:aws:iam::" + account + ":user/kmslint-probe": {idp()},
	}}
	if g.chance(0.5) {
		id.Default = []*authz.Policy{idp()}
	}
	return id
}

// sample draws requests of r and fails when one is allowed by sub (and not
// by old, for a diff) although the prover called the region proved.
func (g *gen) sample(t *testing.T, sub Subject, old *Subject, r Region) {
	t.Helper()
	rc, _ := newRegionCheck(r)
	for j := 0; j < 300; j++ {
		c := g.call(r)
		req := world.Request(c)
		if world.Check(req) != nil || !rc.contains(req) {
			continue
		}
		if sub.engine(req.Principal).Allowed(req) != authz.Allow {
			continue
		}
		if old != nil && old.engine(req.Principal).Allowed(req) == authz.Allow {
			continue
		}
		t.Fatalf("proved, but the engine allows %s", describe(c))
	}
}

// propertyRun is the number of draws and the generator of a property
// test: PROVE_N and PROVE_SEED override them for longer runs.
func propertyRun(n int, seed uint64) (int, *gen) {
	if testing.Short() {
		n /= 8
	}
	if v, err := strconv.Atoi(os.Getenv("PROVE_N")); err == nil {
		n = v
	}
	if v, err := strconv.ParseUint(os.Getenv("PROVE_SEED"), 10, 64); err == nil {
		seed = v
	}
	return n, &gen{r: rand.New(rand.NewPCG(seed, 2))}
}

// TestProperty draws random policies, identity assumptions, regions and
// requests, asking several regions of one prover (and each of a fresh
// one). It fails when the engine allows a request of a region the prover
// called proved, when a counterexample does not replay or is not minimal,
// when prover and engine disagree, and when the shared and the fresh
// prover contradict each other.
func TestProperty(t *testing.T) {
	n, g := propertyRun(150, 1)
	counts := map[Verdict]int{}
	for i := 0; i < n; i++ {
		key, doc := g.policy()
		if key == nil {
			continue
		}
		sub := Subject{Key: key, Identity: g.identity()}
		shared, err := New(keyARN)
		if err != nil {
			t.Fatal(err)
		}
		for k := 0; k < 3; k++ {
			r := g.region()
			res, err := shared.Find(sub, r, Options{})
			if err != nil {
				t.Fatalf("%v\n%s", err, doc)
			}
			fresh, err := Find(sub, r, Options{})
			if err != nil {
				t.Fatal(err)
			}
			counts[res.Verdict]++
			if res.Verdict == Unknown {
				t.Logf("unknown: %s", res.Reason)
			}
			func() {
				defer func() {
					if t.Failed() {
						t.Logf("policy %s\nregion %+v", doc, r)
					}
				}()
				checkResult(t, sub, nil, r, res)
				checkResult(t, sub, nil, r, fresh)
				if res.Verdict != Unknown && fresh.Verdict != Unknown && res.Verdict != fresh.Verdict {
					t.Fatalf("shared prover: %v, fresh prover: %v", res.Verdict, fresh.Verdict)
				}
				if res.Verdict == Proved || fresh.Verdict == Proved {
					g.sample(t, sub, nil, r)
				}
			}()
			if t.Failed() {
				return
			}
		}
	}
	t.Logf("verdicts: %v", fmt.Sprint(counts))
}

// TestPropertyDiff draws pairs of policies, the new one the old one with a
// statement added, dropped or replaced, and checks FindAdded like Find.
func TestPropertyDiff(t *testing.T) {
	n, g := propertyRun(100, 3)
	counts := map[Verdict]int{}
	for i := 0; i < n; i++ {
		var sts []any
		for j := 0; j <= g.r.IntN(3); j++ {
			sts = append(sts, g.statement())
		}
		next := append([]any(nil), sts...)
		switch g.r.IntN(3) {
		case 0:
			next = append(next, g.statement())
		case 1:
			next[g.r.IntN(len(next))] = g.statement()
		default:
			if len(next) > 1 {
				next = next[1:]
			}
		}
		compile := func(sts []any) (*authz.Policy, string) {
			b, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": sts})
			p, err := policy.ParseKeyPolicy("gen.json", b)
			if err != nil || !p.Valid() {
				return nil, ""
			}
			cp, err := authz.Compile("gen", p)
			if err != nil {
				return nil, ""
			}
			return cp, string(b)
		}
		oldKey, oldDoc := compile(sts)
		newKey, newDoc := compile(next)
		if oldKey == nil || newKey == nil {
			continue
		}
		id := g.identity()
		oldSub, newSub := Subject{Key: oldKey, Identity: id}, Subject{Key: newKey, Identity: id}
		r := g.region()
		res, err := FindAdded(oldSub, newSub, r, Options{})
		if err != nil {
			t.Fatal(err)
		}
		counts[res.Verdict]++
		checkResult(t, newSub, &oldSub, r, res)
		if res.Verdict == Violated && oldSub.engine(res.Request.Principal).Allowed(res.Request) == authz.Allow {
			t.Fatalf("added access the old policy has too: %s", describe(*res.Call))
		}
		if res.Verdict == Proved {
			g.sample(t, newSub, &oldSub, r)
		}
		if t.Failed() {
			t.Logf("old %s\nnew %s\nregion %+v", oldDoc, newDoc, r)
			return
		}
	}
	t.Logf("verdicts: %v", fmt.Sprint(counts))
}
