package lint

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/kmslint/kmslint/internal/agentcore"
	"github.com/kmslint/kmslint/internal/authz"
	"github.com/kmslint/kmslint/internal/input"
	"github.com/kmslint/kmslint/internal/input/deploy"
	"github.com/kmslint/kmslint/internal/policy"
)

// inferred is what Lint learnt about one document's environment.
type inferred struct {
	account, region string
	callers         []string
	callersInferred bool
	// otherAccounts and otherRegions are named by the policy besides
	// account and region (namedElsewhere).
	otherAccounts, otherRegions []string
	// warning is a remark for Env.Warn.
	warning string
}

// Inferred is the environment of one document as lint sees it: the flags'
// values, and what they leave out inferred from the policy.
type Inferred struct {
	Account, Region string
	Callers         []string
	// CallersInferred: Callers come from the policy, not from Env.
	CallersInferred bool
	// Warning is a remark such as "no caller found", or "".
	Warning string
}

// Infer fills what env does not give for doc the way Lint does, for
// commands that act on a policy as lint would (simulate). The error is an
// *input.Error at the policy.
func Infer(doc *input.Document, env Env) (Inferred, error) {
	pol := policy.Build(doc.Policy, policy.BuildOptions{Unresolved: unresolved(doc.Placeholders)})
	inf, err := inferEnv(doc, pol, env, true)
	return Inferred{Account: inf.account, Region: inf.region, Callers: inf.callers,
		CallersInferred: inf.callersInferred, Warning: inf.warning}, err
}

// inferEnv fills what env does not give. Inference failure is an error
// only when need is set; otherwise the value stays empty.
func inferEnv(doc *input.Document, pol *policy.Policy, env Env, need bool) (inferred, error) {
	inf := inferred{account: env.Account, region: env.Region, callers: env.Callers}
	wrap := func(err error) error {
		msg := err.Error()
		if doc.Resource != "" {
			msg = doc.Resource + ": " + msg
		}
		return &input.Error{File: doc.File, Pos: doc.Policy.Pos, Msg: msg}
	}
	if inf.account == "" {
		a, err := inferAccount(pol, doc.Deploying)
		if errors.Is(err, errNotNamed) && deploys(doc) {
			// A template's key is created in the account it is deployed
			// to, whether or not its policy says so.
			a, err = deploy.Account, nil
			doc.Deploying = append(doc.Deploying, deploy.Use{Param: deploy.AccountParam, As: spelling(doc, deploy.AccountParam)})
		}
		if err != nil && need {
			return inf, wrap(err)
		}
		inf.account = a
	}
	if inf.region == "" {
		r, err := inferRegion(pol, env.DefaultRegion, doc.Deploying)
		if errors.Is(err, errNotNamed) && deploys(doc) {
			r, err = deploy.Region, nil
			doc.Deploying = append(doc.Deploying, deploy.Use{Param: deploy.RegionParam, As: spelling(doc, deploy.RegionParam)})
		}
		if err != nil && need {
			return inf, wrap(err)
		}
		inf.region = r
	}
	if env.Callers == nil {
		inf.callers, inf.callersInferred = inferCallers(pol), true
		if len(inf.callers) == 0 && need {
			// Without a caller the caller rules would pass silently.
			inf.warning = "no caller of StartRecommendation found (no IAM role or user is allowed kms:DescribeKey, kms:GenerateDataKey or kms:Decrypt by name), so ACR001-ACR004, ACR008 and ACR012 checked nobody: pass --caller ARN"
		}
	}
	inf.otherAccounts, inf.otherRegions = namedElsewhere(pol, inf.account, inf.region)
	return inf, nil
}

// inferAccount finds the account of the recommendations in a policy.
// Recommendation ARNs and aws:SourceAccount name it most directly; principals
// and other ARNs only when those are silent, because a key policy often names
// a second account's auditor or admin role but its recommendations live in
// one account. A template's deploying account (deploy.Account, used as
// spelt in the file) is the key's own: it wins unless a recommendation ARN or
// aws:SourceAccount names another account.
func inferAccount(p *policy.Policy, deploying []deploy.Use) (string, error) {
	strong, weak := map[string]bool{}, map[string]bool{}
	addARN := func(set map[string]bool, s string) {
		parts := strings.SplitN(s, ":", 6)
		if len(parts) == 6 && parts[0] == "arn" && isAccount(parts[4]) {
			set[parts[4]] = true
		}
	}
	for _, st := range p.Statements {
		for _, pr := range []*policy.Principals{st.Principal, st.NotPrincipal} {
			if pr == nil {
				continue
			}
			for _, e := range pr.Entries {
				if e.Type != policy.PrincipalAWS {
					continue
				}
				if isAccount(e.Value) {
					weak[e.Value] = true
				}
				addARN(weak, e.Value)
			}
		}
		for _, c := range st.Conditions {
			key := strings.ToLower(c.Key)
			for _, v := range c.Values {
				switch {
				case key == "aws:sourceaccount" && isAccount(v):
					strong[v] = true
				case isRecommendationPattern(v):
					addARN(strong, v)
				case isAccount(v) && (key == "kms:calleraccount" || key == "aws:principalaccount" || key == "aws:resourceaccount"):
					weak[v] = true
				default:
					addARN(weak, v)
				}
			}
		}
	}
	if u, ok := deploy.Find(deploying, deploy.AccountParam); ok {
		delete(strong, deploy.Account)
		if len(strong) == 0 {
			return deploy.Account, nil
		}
		return "", fmt.Errorf("the policy names the account the template deploys to (%s) and also %s: give the recommendations' account with --account", u.As, strings.Join(keys(strong), ", "))
	}
	for _, set := range []map[string]bool{strong, weak} {
		switch len(set) {
		case 0:
			continue
		case 1:
			for a := range set {
				return a, nil
			}
		default:
			return "", fmt.Errorf("the policy names several accounts (%s): give the recommendations' account with --account", strings.Join(keys(set), ", "))
		}
	}
	return "", fmt.Errorf("no account found in the policy's ARNs or conditions: give the recommendations' account with --account%w", errNotNamed)
}

// errNotNamed marks an inference that found nothing (rather than too
// much); it prints as nothing.
var errNotNamed = notNamed{}

type notNamed struct{}

func (notNamed) Error() string { return "" }

// spelling is how messages name the deploying account or region of a
// template that does not name it: as CloudFormation's pseudo parameter,
// which a fix can use as it is in Fn::Sub.
func spelling(doc *input.Document, p deploy.Param) string {
	switch {
	case doc.Format == input.FormatCloudFormation && p == deploy.AccountParam:
		return "${AWS::AccountId}"
	case doc.Format == input.FormatCloudFormation:
		return "${AWS::Region}"
	case p == deploy.AccountParam:
		return "<deploying account>"
	}
	return "<deploying region>"
}

// deploys tells the documents of a template (CloudFormation, Terraform),
// whose key is created in the account and region it is deployed to.
func deploys(doc *input.Document) bool {
	switch doc.Format {
	case input.FormatCloudFormation, input.FormatTerraform, input.FormatTerraformHCL:
		return true
	}
	return false
}

// inferRegion reads the region from recommendation ARN patterns and
// kms:ViaService values (service.REGION.amazonaws.com). A template's
// deploying region is the key's own, unless those name another.
func inferRegion(p *policy.Policy, fallback string, deploying []deploy.Use) (string, error) {
	set := map[string]bool{}
	for _, st := range p.Statements {
		for _, c := range st.Conditions {
			key := strings.ToLower(c.Key)
			for _, v := range c.Values {
				if isRecommendationPattern(v) {
					if r := strings.SplitN(v, ":", 6)[3]; isRegion(r) {
						set[r] = true
					}
				}
				if key == "kms:viaservice" {
					parts := strings.Split(v, ".")
					if len(parts) == 4 && parts[2] == "amazonaws" && isRegion(parts[1]) {
						set[parts[1]] = true
					}
				}
			}
		}
	}
	if u, ok := deploy.Find(deploying, deploy.RegionParam); ok {
		delete(set, deploy.Region)
		if len(set) == 0 {
			return deploy.Region, nil
		}
		return "", fmt.Errorf("the policy names the region the template deploys to (%s) and also %s: give the recommendations' region with --region", u.As, strings.Join(keys(set), ", "))
	}
	switch len(set) {
	case 1:
		for r := range set {
			return r, nil
		}
	case 0:
		if fallback != "" {
			return fallback, nil
		}
		return "", fmt.Errorf("no region found in the policy's recommendation ARNs or kms:ViaService values, nor in AWS_REGION, AWS_DEFAULT_REGION or the AWS config file: give the recommendations' region with --region%w", errNotNamed)
	}
	return "", fmt.Errorf("the policy names several regions (%s): give the recommendations' region with --region", strings.Join(keys(set), ", "))
}

// inferCallers finds the IAM users and roles the policy means as callers:
// those granted kms:DescribeKey (conditions aside: a caller whose DescribeKey
// grant can never apply is exactly what ACR001 reports), or granted
// GenerateDataKey/Decrypt without DescribeKey (ACR001 again). A principal
// granted DescribeKey together with key administration (PutKeyPolicy or
// ScheduleKeyDeletion) but no GenerateDataKey/Decrypt is a key
// administrator (the default key policy's "Describe*"), not a caller.
// Account roots and "*" are never callers.
func inferCallers(p *policy.Policy) []string {
	type grant struct{ describe, crypto, admin bool }
	g := map[string]*grant{}
	var order []string
	for _, st := range p.Statements {
		if st.Effect != policy.Allow || st.Principal == nil || st.Action == nil {
			continue
		}
		var gr grant
		for _, a := range st.Action.Values {
			for _, m := range kmsActionMatches(a) {
				switch m {
				case "kms:DescribeKey":
					gr.describe = true
				case "kms:GenerateDataKey", "kms:Decrypt":
					gr.crypto = true
				case "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion":
					gr.admin = true
				}
			}
		}
		if !gr.describe && !gr.crypto {
			continue
		}
		for _, e := range st.Principal.Entries {
			if e.Type != policy.PrincipalAWS || strings.Contains(e.Value, "*") {
				continue
			}
			pr, err := authz.ParsePrincipal(e.Value)
			if err != nil {
				continue
			}
			switch pr.Kind {
			case authz.IAMUser, authz.IAMRole, authz.AssumedRole:
			default:
				continue
			}
			cur, ok := g[e.Value]
			if !ok {
				cur = &grant{}
				g[e.Value] = cur
				order = append(order, e.Value)
			}
			cur.describe = cur.describe || gr.describe
			cur.crypto = cur.crypto || gr.crypto
			cur.admin = cur.admin || gr.admin
		}
	}
	var out []string
	for _, c := range order {
		gr := g[c]
		if gr.admin && !gr.crypto {
			continue
		}
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

func isRecommendationPattern(v string) bool {
	parts := strings.SplitN(v, ":", 6)
	return len(parts) == 6 && parts[0] == "arn" && parts[2] == "bedrock-agentcore" && strings.HasPrefix(parts[5], "recommendation/")
}

func isAccount(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// isRegion accepts the shape of a region name (us-east-1, us-gov-west-1),
// never a pattern.
func isRegion(s string) bool {
	if s == "" || strings.ContainsAny(s, "*?$") {
		return false
	}
	parts := strings.Split(s, "-")
	if len(parts) < 3 {
		return false
	}
	last := parts[len(parts)-1]
	for _, r := range last {
		if r < '0' || r > '9' {
			return false
		}
	}
	return last != "" && agentcore.PartitionOf(s) != ""
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// maxNamed bounds the other accounts and regions taken from one policy: each
// adds probes to every caller's profile.
const maxNamed = 8

// namedElsewhere lists the accounts and regions a policy's resources and
// conditions name, in ARNs or as account ids, other than the environment's
// own, sorted. The probes try
// recommendations of these too (agentcore.Env.OtherAccounts): a condition
// listing a second account's recommendation ARNs or aws:SourceAccount admits
// that account, which probing a fixed outsider would not reveal.
func namedElsewhere(p *policy.Policy, account, region string) (accounts, regions []string) {
	accts, regs := map[string]bool{}, map[string]bool{}
	see := func(v string) {
		if isAccount(v) {
			accts[v] = true
			return
		}
		parts := strings.SplitN(v, ":", 6)
		if len(parts) != 6 || parts[0] != "arn" {
			return
		}
		if isAccount(parts[4]) {
			accts[parts[4]] = true
		} else if a, ok := accountMatching(parts[4], account); ok {
			// A pattern such as 11112222???? admits accounts it does not
			// spell out: probe one of them.
			accts[a] = true
		}
		if isRegion(parts[3]) {
			regs[parts[3]] = true
		}
	}
	for _, st := range p.Statements {
		// Principals are left out: a caller or administrator of another
		// account says nothing of whose recommendations the key serves,
		// and each account adds probes to every profile.
		for _, rs := range []*policy.StringList{st.Resource, st.NotResource} {
			if rs != nil {
				for _, v := range rs.Values {
					see(v)
				}
			}
		}
		for _, c := range st.Conditions {
			for _, v := range c.Values {
				see(v)
			}
		}
	}
	delete(accts, account)
	delete(regs, region)
	return firstSorted(accts), firstSorted(regs)
}

func firstSorted(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for v := range set {
		out = append(out, v)
	}
	sort.Strings(out)
	if len(out) > maxNamed {
		out = out[:maxNamed]
	}
	return out
}

// accountMatching returns a 12-digit account id other than own that an
// account pattern with * or ? matches. A lone "*" gives nothing: the probes'
// fixed outsider already stands for "any account".
func accountMatching(pat, own string) (string, bool) {
	stars := strings.Count(pat, "*")
	if pat == "*" || (stars == 0 && !strings.Contains(pat, "?")) {
		return "", false
	}
	fill := 12 - (len(pat) - stars)
	if fill < 0 || (stars == 0 && fill != 0) {
		return "", false
	}
	for _, d := range []string{"9", "8"} {
		var b strings.Builder
		filled := false
		for _, c := range pat {
			switch c {
			case '?':
				b.WriteString(d)
			case '*':
				if !filled {
					b.WriteString(strings.Repeat(d, fill))
					filled = true
				}
			default:
				b.WriteRune(c)
			}
		}
		if a := b.String(); isAccount(a) && a != own {
			return a, true
		}
	}
	return "", false
}
