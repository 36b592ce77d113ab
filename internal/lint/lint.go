// Package lint runs kmslint's Rego rules over key policies. It embeds OPA as
// a library, gives the rules built-in functions backed by the authorization
// engine (internal/authz) and the AgentCore request model
// (internal/agentcore), infers the environment a policy is meant for, and
// turns what the rules find into report.Findings located in the user's file.
package lint

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/kmslint/kmslint/internal/agentcore"
	"github.com/kmslint/kmslint/internal/authz"
	"github.com/kmslint/kmslint/internal/input"
	"github.com/kmslint/kmslint/internal/input/deploy"
	"github.com/kmslint/kmslint/internal/policy"
	"github.com/kmslint/kmslint/internal/report"
	"github.com/kmslint/kmslint/rules"
)

// ProfileRecommendation is the default requirement profile.
const ProfileRecommendation = "agentcore-recommendation"

// Options configure a Linter.
type Options struct {
	// Profiles are the requirement profiles to check. nil means the default
	// (agentcore-recommendation); "none" alone means hygiene rules only.
	Profiles []string
	// RuleDirs hold extra rules (`--rules DIR`), same conventions as the
	// built-in ones; their _test.rego files are ignored by Lint.
	RuleDirs []string
	// Parallel is how many documents are evaluated at once; 0 means
	// GOMAXPROCS.
	Parallel int
}

// Env is where the recommendations live, from flags and configuration.
// Empty fields are inferred per document.
type Env struct {
	Account string
	Region  string
	// DefaultRegion (AWS_REGION) is used when the region is neither given
	// nor inferable from the policy.
	DefaultRegion string
	// Callers are IAM role or user ARNs that call StartRecommendation.
	Callers []string
	// Warn, when set, receives remarks about documents that do not stop
	// the run (a policy that names no caller, so the caller rules had none
	// to check), in document order, after the documents are linted.
	Warn func(doc *input.Document, pos policy.Pos, msg string)
	// Now is the time the workflow's requests are decided at (their
	// aws:CurrentTime); zero leaves the time keys out of the requests.
	Now time.Time
	// KeyARN of a live key; a placeholder key in the account otherwise.
	KeyARN string
	// IdentityPolicies are the callers' IAM policies (--identity-policy).
	IdentityPolicies []IdentityPolicy
	// Key describes a live key (--key-arn); nil for files.
	Key *LiveKey
	// Org is the organization that is the zone of trust (--org): the
	// callers' aws:PrincipalOrgID for perimeter conditions, and
	// input.env.org for the rules.
	Org string
	// Note, when set, receives one remark per document about an assumption
	// lint made (the callers' organization), after the documents are
	// linted, as Warn does.
	Note func(doc *input.Document, pos policy.Pos, msg string)
	// Proofs, when set, receives each document's proofs (the prover's
	// answers to the rules' named questions) once it is linted; it may be
	// called from several goroutines at once.
	Proofs func(doc *input.Document, proofs []report.Proof)
}

// IdentityPolicy is an IAM identity policy file.
type IdentityPolicy struct {
	Name string
	Node *policy.Node
}

// LiveKey is what DescribeKey says about a live key (ACR009-ACR011).
type LiveKey struct {
	ARN      string
	KeySpec  string
	KeyUsage string
	KeyState string
	Region   string
}

// Linter holds the compiled rules. It is safe for concurrent use.
type Linter struct {
	query    rego.PreparedEvalQuery
	vars     []string // query variable per rule, parallel to docs
	docs     []RuleDoc
	profiles []string
	parallel int
	b        *builtins
}

// New compiles the built-in rules and those of opts.RuleDirs once.
func New(opts Options) (*Linter, error) {
	return newLinter(context.Background(), opts, rules.FS)
}

func newLinter(ctx context.Context, opts Options, builtin fs.FS) (*Linter, error) {
	b, err := newBuiltins()
	if err != nil {
		return nil, err
	}
	l := &Linter{b: b, parallel: opts.Parallel, profiles: profiles(opts.Profiles)}
	if l.parallel <= 0 {
		l.parallel = runtime.GOMAXPROCS(0)
	}
	srcs, _, err := readRules(builtin, "rules")
	if err != nil {
		return nil, err
	}
	for _, dir := range opts.RuleDirs {
		s, _, err := readRules(dirFS(dir), dir)
		if err != nil {
			return nil, err
		}
		srcs = append(srcs, s...)
	}
	mods, err := parseModules(srcs, l.parallel)
	if err != nil {
		return nil, err
	}
	ropts := []func(*rego.Rego){}
	seen := map[string]string{}
	for i, s := range srcs {
		m := mods[i]
		d, err := ruleDoc(m, s.name)
		if err != nil {
			return nil, err
		}
		if prev, dup := seen[d.ID]; dup {
			return nil, fmt.Errorf("rule %s: id %s already defined in %s", s.name, d.ID, prev)
		}
		seen[d.ID] = s.name
		l.docs = append(l.docs, d)
		ropts = append(ropts, rego.ParsedModule(m))
	}
	sortDocs(l.docs)
	var q []string
	for i, d := range l.docs {
		v := fmt.Sprintf("r%d", i)
		l.vars = append(l.vars, v)
		q = append(q, fmt.Sprintf("%s = data.%s.findings", v, d.Package))
	}
	if len(q) == 0 {
		return nil, fmt.Errorf("no rules")
	}
	ropts = append(ropts, rego.Query(strings.Join(q, "; ")), rego.SetRegoVersion(ast.RegoV1))
	ropts = append(ropts, b.options()...)
	pq, err := rego.New(ropts...).PrepareForEval(ctx)
	if err != nil {
		return nil, fmt.Errorf("compile rules: %w", err)
	}
	l.query = pq
	return l, nil
}

// parseModules parses the rule sources on several cores: parsing is about a
// third of start-up, which is most of linting one policy. The result keeps
// the sources' order; the first error in that order is returned.
func parseModules(srcs []source, workers int) ([]*ast.Module, error) {
	mods := make([]*ast.Module, len(srcs))
	errs := make([]error, len(srcs))
	next := make(chan int, len(srcs))
	for i := range srcs {
		next <- i
	}
	close(next)
	var wg sync.WaitGroup
	for w := 0; w < workers && w < len(srcs); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				mods[i], errs[i] = parseModule(srcs[i])
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return mods, nil
}

func profiles(p []string) []string {
	if p == nil {
		return []string{ProfileRecommendation}
	}
	var out []string
	for _, s := range p {
		if s != "none" && s != "" {
			out = append(out, s)
		}
	}
	if out == nil {
		out = []string{}
	}
	return out
}

// Rules describes the loaded rules, sorted by id.
func (l *Linter) Rules() []report.RuleMeta {
	out := make([]report.RuleMeta, len(l.docs))
	for i, d := range l.docs {
		out[i] = d.RuleMeta
	}
	return out
}

// Rule returns one rule's documentation, for `kmslint explain`.
func (l *Linter) Rule(id string) (RuleDoc, bool) {
	for _, d := range l.docs {
		if strings.EqualFold(d.ID, id) {
			return d, true
		}
	}
	return RuleDoc{}, false
}

// Lint checks every document. The error is an input error (an identity
// policy that is not valid, an environment that cannot be inferred: exit 2)
// or an evaluation failure; findings of rules that ran are not returned then.
func (l *Linter) Lint(ctx context.Context, docs []input.Document, env Env) ([]report.Finding, error) {
	all, docErrs, err := l.LintEach(ctx, docs, env)
	if err != nil {
		return nil, err
	}
	if len(docErrs) > 0 {
		return nil, docErrs[0]
	}
	return all, nil
}

// LintEach checks every document and keeps going past a document's input
// error (an environment that cannot be inferred for it): the findings are
// those of the other documents, the input errors in document order. The
// error is for the whole run: an invalid identity policy, an evaluation
// failure, a cancelled context.
func (l *Linter) LintEach(ctx context.Context, docs []input.Document, env Env) ([]report.Finding, []*input.Error, error) {
	ids, err := l.identity(env.IdentityPolicies)
	if err != nil {
		return nil, nil, err
	}
	out := make([][]report.Finding, len(docs))
	errs := make([]error, len(docs))
	warns := make([]string, len(docs))
	notes := make([]string, len(docs))
	// A fixed set of workers rather than a goroutine per document: OPA's
	// evaluator recurses deeply, and a fresh goroutine grows its stack
	// from 8 KiB by copying it again and again (about a tenth of the CPU
	// of a 1,000-policy run went to copystack).
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < l.parallel && w < len(docs); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i], warns[i], notes[i], errs[i] = l.lintDoc(ctx, &docs[i], env, ids)
			}
		}()
	}
	for i := range docs {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	var all []report.Finding
	var docErrs []*input.Error
	for i := range docs {
		var ie *input.Error
		switch {
		case errors.As(errs[i], &ie):
			docErrs = append(docErrs, ie)
		case errs[i] != nil:
			return nil, nil, errs[i]
		}
		all = append(all, out[i]...)
	}
	for i := range docs {
		if warns[i] != "" && env.Warn != nil {
			env.Warn(&docs[i], docs[i].Policy.Pos, deploy.Spell(warns[i], docs[i].Deploying))
		}
		if notes[i] != "" && env.Note != nil {
			env.Note(&docs[i], docs[i].Policy.Pos, notes[i])
		}
	}
	return all, docErrs, nil
}

// identities are the --identity-policy documents of a run, in the forms
// the rules (val), the engine (pols) and the key's inference (keys) use.
type identities struct {
	val  ast.Value
	pols []*authz.Policy
	// keys are the exact KMS key ARNs their Resource elements name.
	keys []string
}

func (l *Linter) identity(ids []IdentityPolicy) (identities, error) {
	arr := ast.NewArray()
	var pols []*authz.Policy
	for _, id := range ids {
		p := policy.Build(id.Node, policy.BuildOptions{Identity: true})
		for _, pr := range p.Problems {
			if pr.Rule == policy.RuleInvalid {
				return identities{}, &input.Error{File: id.Name, Pos: pr.Pos, Msg: "invalid identity policy: " + pr.Message}
			}
		}
		cp, err := authz.Compile(id.Name, p)
		if err != nil {
			return identities{}, &input.Error{File: id.Name, Msg: err.Error()}
		}
		pols = append(pols, cp)
		arr = arr.Append(ast.NewTerm(nodeValue(id.Node)))
	}
	return identities{val: arr, pols: pols, keys: identityKeyARNs(pols)}, nil
}

func (l *Linter) hasProfile(p string) bool {
	for _, s := range l.profiles {
		if s == p {
			return true
		}
	}
	return false
}

func (l *Linter) lintDoc(ctx context.Context, doc *input.Document, env Env, ids identities) ([]report.Finding, string, string, error) {
	if doc.Policy == nil {
		return nil, "", "", fmt.Errorf("%s: document without a policy", doc.File)
	}
	pol := policy.Build(doc.Policy, policy.BuildOptions{Unresolved: unresolved(doc.Placeholders)})
	pol.Size = doc.Size
	if pr, ok := policy.CharacterProblem(doc.Policy); ok {
		pol.Problems = append(pol.Problems, pr)
	}
	if pr, ok := policy.SizeProblem(doc.Size, doc.Policy.Pos); ok {
		pol.Problems = append(pol.Problems, pr)
	}
	inf, err := l.resolveEnv(doc, pol, env)
	if err != nil {
		return nil, "", "", err
	}
	policyVal := nodeValue(doc.Policy)
	org := assumeOrg(pol, env.Org)
	in := l.inputValue(doc, pol, policyVal, inf, env, ids, org)
	st := &docState{policyVal: policyVal, identVal: ids.val, identity: ids.pols}
	if env, ok := in.(ast.Object); ok {
		if t := env.Get(ast.StringTerm("env")); t != nil {
			st.envVal = t.Value
		}
	}
	st.key, st.keyErr = authz.Compile("key policy", pol)
	rs, err := l.query.Eval(withDoc(ctx, st), rego.EvalParsedInput(in))
	if err != nil {
		return nil, "", "", fmt.Errorf("%s: evaluate rules: %w", doc.File, err)
	}
	if len(rs) == 0 {
		return nil, "", "", fmt.Errorf("%s: evaluate rules: no result", doc.File)
	}
	var out []report.Finding
	for i, v := range l.vars {
		set, _ := rs[0].Bindings[v].([]any)
		for _, raw := range set {
			f, err := l.finding(l.docs[i], raw, doc, pol)
			if err != nil {
				return nil, "", "", err
			}
			out = append(out, f)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return report.Compare(out[i], out[j]) < 0 })
	note := ""
	if len(l.profiles) > 0 && len(inf.callers) > 0 {
		note = org.note
	}
	if env.Proofs != nil {
		env.Proofs(doc, st.proofs.list())
	}
	return out, inf.warning, note, nil
}

// resolveEnv fills what flags did not give. Inference failure is an input
// error only when a profile needs the value; hygiene rules run without.
func (l *Linter) resolveEnv(doc *input.Document, pol *policy.Policy, env Env) (inferred, error) {
	return inferEnv(doc, pol, env, len(l.profiles) > 0 && pol.Valid())
}

func (l *Linter) inputValue(doc *input.Document, pol *policy.Policy, policyVal ast.Value, inf inferred, env Env, ids identities, org orgAssumption) ast.Value {
	stmts := make([]*ast.Term, 0, len(pol.Statements))
	for _, s := range pol.Statements {
		stmts = append(stmts, ast.ObjectTerm(
			ast.Item(ast.StringTerm("index"), ast.IntNumberTerm(s.Index)),
			ast.Item(ast.StringTerm("sid"), ast.StringTerm(s.Label())),
			ast.Item(ast.StringTerm("line"), ast.IntNumberTerm(s.Pos.Line)),
			ast.Item(ast.StringTerm("column"), ast.IntNumberTerm(s.Pos.Col)),
		))
	}
	probs := make([]*ast.Term, 0, len(pol.Problems))
	for _, p := range pol.Problems {
		probs = append(probs, ast.ObjectTerm(
			ast.Item(ast.StringTerm("rule"), ast.StringTerm(p.Rule)),
			ast.Item(ast.StringTerm("message"), ast.StringTerm(p.Message)),
			ast.Item(ast.StringTerm("line"), ast.IntNumberTerm(p.Pos.Line)),
			ast.Item(ast.StringTerm("column"), ast.IntNumberTerm(p.Pos.Col)),
			ast.Item(ast.StringTerm("statement"), ast.IntNumberTerm(p.Statement)),
		))
	}
	keyARN := env.KeyARN
	if keyARN == "" && env.Key != nil {
		keyARN = env.Key.ARN
	}
	if keyARN == "" && inf.account != "" && inf.region != "" {
		keyARN = keyNamedByIdentityPolicies(ids.keys, inf.account, inf.region)
	}
	if keyARN == "" && inf.account != "" && inf.region != "" {
		keyARN = agentcore.Env{Account: inf.account, Region: inf.region}.Key()
	}
	callers := make([]*ast.Term, 0, len(inf.callers))
	for _, c := range inf.callers {
		callers = append(callers, ast.StringTerm(c))
	}
	profs := make([]*ast.Term, 0, len(l.profiles))
	for _, p := range l.profiles {
		profs = append(profs, ast.StringTerm(p))
	}
	envObj := ast.ObjectTerm(
		ast.Item(ast.StringTerm("account"), ast.StringTerm(inf.account)),
		ast.Item(ast.StringTerm("region"), ast.StringTerm(inf.region)),
		ast.Item(ast.StringTerm("key_arn"), ast.StringTerm(keyARN)),
		ast.Item(ast.StringTerm("callers"), ast.ArrayTerm(callers...)),
		ast.Item(ast.StringTerm("callers_inferred"), ast.BooleanTerm(inf.callersInferred)),
		ast.Item(ast.StringTerm("other_accounts"), stringsTerm(inf.otherAccounts)),
		ast.Item(ast.StringTerm("other_regions"), stringsTerm(inf.otherRegions)),
		ast.Item(ast.StringTerm("profiles"), ast.ArrayTerm(profs...)),
		ast.Item(ast.StringTerm("org"), ast.StringTerm(env.Org)),
	)
	if len(org.keys) > 0 {
		ck := ast.NewObject()
		for k, v := range org.keys {
			ck.Insert(ast.StringTerm(k), ast.StringTerm(v))
		}
		envObj.Value.(ast.Object).Insert(ast.StringTerm("caller_keys"), ast.NewTerm(ck))
	}
	if !env.Now.IsZero() && usesTime(pol) {
		// Only a policy that tests the time needs it in its requests; the
		// keys change no other decision, and each key is work for every
		// request of the profile.
		envObj.Value.(ast.Object).Insert(ast.StringTerm("now"), ast.StringTerm(env.Now.UTC().Format(time.RFC3339)))
	}
	items := [][2]*ast.Term{
		ast.Item(ast.StringTerm("file"), ast.StringTerm(doc.File)),
		ast.Item(ast.StringTerm("resource"), ast.StringTerm(doc.Resource)),
		ast.Item(ast.StringTerm("format"), ast.StringTerm(string(doc.Format))),
		ast.Item(ast.StringTerm("policy"), ast.NewTerm(policyVal)),
		ast.Item(ast.StringTerm("statements"), ast.ArrayTerm(stmts...)),
		ast.Item(ast.StringTerm("problems"), ast.ArrayTerm(probs...)),
		ast.Item(ast.StringTerm("size"), ast.IntNumberTerm(doc.Size)),
		ast.Item(ast.StringTerm("env"), envObj),
		ast.Item(ast.StringTerm("identity_policies"), ast.NewTerm(ids.val)),
	}
	if env.Key != nil {
		items = append(items, ast.Item(ast.StringTerm("key"), ast.ObjectTerm(
			ast.Item(ast.StringTerm("arn"), ast.StringTerm(env.Key.ARN)),
			ast.Item(ast.StringTerm("key_spec"), ast.StringTerm(env.Key.KeySpec)),
			ast.Item(ast.StringTerm("key_usage"), ast.StringTerm(env.Key.KeyUsage)),
			ast.Item(ast.StringTerm("key_state"), ast.StringTerm(env.Key.KeyState)),
			ast.Item(ast.StringTerm("region"), ast.StringTerm(env.Key.Region)),
		)))
	}
	return ast.NewObject(items...)
}

// nodeValue converts a parsed policy to an OPA value directly (no JSON
// round trip). A duplicated key keeps its first occurrence, as policy.Build
// does, so the rules and the engine see the same policy.
func nodeValue(n *policy.Node) ast.Value {
	if n == nil {
		return ast.Null{}
	}
	switch n.Kind {
	case policy.KindBool:
		return ast.Boolean(n.Bool)
	case policy.KindNumber:
		return ast.Number(n.Str)
	case policy.KindString:
		return ast.String(n.Str)
	case policy.KindArray:
		terms := make([]*ast.Term, len(n.Items))
		for i, it := range n.Items {
			terms[i] = ast.NewTerm(nodeValue(it))
		}
		return ast.NewArray(terms...)
	case policy.KindObject:
		obj := ast.NewObject()
		for _, f := range n.Fields {
			k := ast.StringTerm(f.Key)
			if obj.Get(k) == nil {
				obj.Insert(k, ast.NewTerm(nodeValue(f.Value)))
			}
		}
		return obj
	}
	return ast.Null{}
}

// finding converts one element of a rule's findings set. The rule says
// which statement; the position comes from the parsed document, so it
// points into the file the user gave (inside a template too).
func (l *Linter) finding(d RuleDoc, raw any, doc *input.Document, pol *policy.Policy) (report.Finding, error) {
	m, ok := raw.(map[string]any)
	if !ok {
		return report.Finding{}, fmt.Errorf("rule %s: finding is not an object: %v", d.ID, raw)
	}
	msg, _ := m["message"].(string)
	if msg == "" {
		return report.Finding{}, fmt.Errorf("rule %s: finding without a message", d.ID)
	}
	// Messages name the deploying account and region as the file does.
	msg = deploy.Spell(msg, doc.Deploying)
	f := report.Finding{Rule: d.ID, Severity: d.Severity, Title: d.Title, Message: msg, File: doc.File, Resource: doc.Resource}
	if r, ok := m["resource"].(string); ok && r != "" {
		f.Resource = r
	}
	pos := doc.Policy.Pos
	if idx, ok := intOf(m["statement"]); ok && idx >= 0 && idx < len(pol.Statements) {
		st := pol.Statements[idx]
		pos, f.Statement = st.Pos, st.Label()
	}
	// A rule that knows the exact element (a parser problem: a duplicated
	// key, a misspelt element) points there rather than at its statement.
	if line, ok := intOf(m["line"]); ok && line > 0 {
		pos = policy.Pos{Line: line}
		if col, ok := intOf(m["column"]); ok && col > 0 {
			pos.Col = col
		}
	}
	f.Line, f.Column = pos.Line, pos.Col
	if ev, ok := m["evidence"].(map[string]any); ok {
		f.Evidence = evidence(ev)
	}
	return f, nil
}

func intOf(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case int64:
		return int(n), true
	case float64:
		return int(n), n == float64(int(n))
	case interface{ Int64() (int64, error) }:
		i, err := n.Int64()
		return int(i), err == nil
	}
	return 0, false
}

func evidence(m map[string]any) *report.Evidence {
	s := func(k string) string { v, _ := m[k].(string); return v }
	e := &report.Evidence{Principal: s("principal"), Action: s("action"), Decision: s("decision"), Context: map[string]report.ContextValue{}}
	if c, ok := m["context"].(map[string]any); ok {
		for k, v := range c {
			if timeKey(k) {
				// The time of this run: no help in reading the finding,
				// and it would make every report differ from the last.
				continue
			}
			switch vv := v.(type) {
			case string:
				e.Context[k] = report.Single(vv)
			case []any:
				vals := make([]string, 0, len(vv))
				for _, x := range vv {
					vals = append(vals, fmt.Sprint(x))
				}
				e.Context[k] = report.Multi(vals...)
			default:
				e.Context[k] = report.Single(fmt.Sprint(vv))
			}
		}
	}
	if l, ok := m["statements"].([]any); ok {
		for _, x := range l {
			e.Statements = append(e.Statements, fmt.Sprint(x))
		}
	}
	return e
}

func timeKey(k string) bool {
	return strings.EqualFold(k, "aws:CurrentTime") || strings.EqualFold(k, "aws:EpochTime")
}

// unresolved tells the policy builder which values are template
// placeholders (nil when the document has none).
func unresolved(placeholders []string) func(string) bool {
	if len(placeholders) == 0 {
		return nil
	}
	return func(v string) bool {
		for _, p := range placeholders {
			if strings.Contains(v, p) {
				return true
			}
		}
		return false
	}
}

// identityKeyARNs lists the exact KMS key ARNs the identity policies'
// Resource elements name. A file's key has no ARN yet, so requests use a
// placeholder key; but identity policies that follow AWS's advice name the
// key, and the placeholder would match none of their statements.
// https://docs.aws.amazon.com/kms/latest/developerguide/iam-policies-best-practices.html
func identityKeyARNs(pols []*authz.Policy) []string {
	var out []string
	for _, p := range pols {
		for _, st := range p.Source.Statements {
			if st.Resource == nil {
				continue
			}
			for _, r := range st.Resource.Values {
				parts := strings.SplitN(r, ":", 6)
				if len(parts) == 6 && parts[0] == "arn" && parts[2] == "kms" && strings.HasPrefix(parts[5], "key/") &&
					!strings.ContainsAny(r, "*?$") && !slices.Contains(out, r) {
					out = append(out, r)
				}
			}
		}
	}
	return out
}

// keyNamedByIdentityPolicies is the one key of account and region that the
// identity policies name, or "" when they name none or several.
func keyNamedByIdentityPolicies(keys []string, account, region string) string {
	found := ""
	for _, k := range keys {
		parts := strings.SplitN(k, ":", 6)
		if parts[3] != region || parts[4] != account {
			continue
		}
		if found != "" && found != k {
			return ""
		}
		found = k
	}
	return found
}

// usesTime reports whether a condition of the policy tests aws:CurrentTime
// or aws:EpochTime.
func usesTime(p *policy.Policy) bool {
	for _, st := range p.Statements {
		for _, c := range st.Conditions {
			if timeKey(c.Key) {
				return true
			}
		}
	}
	return false
}
