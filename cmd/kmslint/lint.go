package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"runtime/debug"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/kmslint/kmslint/internal/config"
	"github.com/kmslint/kmslint/internal/input"
	"github.com/kmslint/kmslint/internal/input/awsregion"
	"github.com/kmslint/kmslint/internal/lint"
	"github.com/kmslint/kmslint/internal/livekey"
	"github.com/kmslint/kmslint/internal/policy"
	"github.com/kmslint/kmslint/internal/report"
)

func lintCommand(e env) *cli.Command {
	return &cli.Command{
		Name:      "lint",
		Usage:     "check key policies (JSON, CloudFormation, Terraform plans and .tf files) for the AgentCore recommendation workflow",
		UsageText: "kmslint lint [flags] PATH...   (files, directories, - for stdin)",
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "profile", Usage: "requirement profile (default agentcore-recommendation; none = hygiene rules only)"},
			&cli.StringFlag{Name: "account", Usage: "account `ID` of the recommendations (default: inferred from the policy)"},
			&cli.StringFlag{Name: "org", Usage: "the organization `ID` (o-...) that is the zone of trust; also the callers' aws:PrincipalOrgID for perimeter conditions (default: the account; for perimeters, the organization the policy demands)"},
			&cli.StringFlag{Name: "region", Usage: "`REGION` of the recommendations (default: inferred, then AWS_REGION, AWS_DEFAULT_REGION, the AWS config file)"},
			&cli.StringSliceFlag{Name: "caller", Usage: "IAM role/user `ARN` that calls StartRecommendation (default: the principals granted kms:DescribeKey)"},
			&cli.StringSliceFlag{Name: "identity-policy", Usage: "the callers' IAM policy `FILE`s (for keys that delegate to IAM)"},
			&cli.StringSliceFlag{Name: "key-arn", Usage: "lint a live key: its `ARN` (or key id / alias/NAME in the configured region); read-only DescribeKey, GetKeyPolicy, ListGrants"},
			&cli.StringFlag{Name: "aws-profile", Usage: "AWS shared-config profile `NAME` for --key-arn (default AWS_PROFILE; --profile is the requirement profile)"},
			&cli.StringFlag{Name: "endpoint-url", Usage: "KMS endpoint `URL` for --key-arn (e.g. kmslint serve)"},
			&cli.StringFlag{Name: "format", Value: "text", Usage: "text, json, sarif, junit or github"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write the report to `FILE`"},
			&cli.StringFlag{Name: "fail-on", Value: "error", Usage: "error, warning, info or never"},
			&cli.StringSliceFlag{Name: "rules", Usage: "extra Rego rules `DIR`"},
			&cli.StringFlag{Name: "config", Usage: "config `FILE` (default .kmslint.yaml when present)"},
			&cli.StringSliceFlag{Name: "ignore", Usage: "suppress `RULE[:RESOURCE]`"},
		},
		Action: func(c *cli.Context) error { return runLint(c, e) },
	}
}

func runLint(c *cli.Context, e env) error {
	// OPA evaluation allocates heavily and a lint run is short-lived, so
	// the collector runs less often than by default. 200 rather than more:
	// with the rule caches bounded the live heap is small, and a larger
	// heap costs more in fresh pages than it saves in collections
	// (bench/lint-throughput.sh: 1.54-1.56 s median for 1,000 policies at
	// 200, 1.65-1.90 s at 400, 1.79 s at the default 100).
	debug.SetGCPercent(200)
	g := globalsOf(c, e)
	cfg, err := config.Load(c.String("config"), c.IsSet("config"))
	if err != nil {
		return inputErr(err)
	}
	if g.verbose && cfg.Path != "" {
		fmt.Fprintf(e.stderr, "kmslint: note: settings from %s\n", cfg.Path)
	}
	format := c.String("format")
	if !validFormat(format, report.Formats()) {
		return inputErrf("--format %q: want one of %s", format, strings.Join(report.Formats(), ", "))
	}
	failOnText := c.String("fail-on")
	if !c.IsSet("fail-on") && cfg.FailOn != "" {
		failOnText = cfg.FailOn
	}
	failOn, err := report.ParseFailOn(failOnText)
	if err != nil {
		return inputErrf("--fail-on: %v", err)
	}
	paths := c.Args().Slice()
	keyRefs := c.StringSlice("key-arn")
	if len(paths) == 0 && len(keyRefs) == 0 {
		return inputErrf("lint needs at least one PATH (a file, a directory, or - for stdin) or --key-arn ARN")
	}
	ignores, err := config.ParseIgnores(append(append([]string(nil), cfg.Ignore...), c.StringSlice("ignore")...))
	if err != nil {
		return inputErr(err)
	}

	profiles := pick(c.StringSlice("profile"), cfg.Profiles)
	env := lint.Env{
		Account:       pickOne(c.String("account"), cfg.Account),
		Region:        pickOne(c.String("region"), cfg.Region),
		DefaultRegion: awsregion.Default(context.Background(), e.getenv, c.String("aws-profile")),
		Callers:       pick(c.StringSlice("caller"), cfg.Callers),
		Org:           pickOne(c.String("org"), cfg.Org),
		Now:           time.Now().UTC().Truncate(time.Second),
		Warn: func(d *input.Document, pos policy.Pos, msg string) {
			if g.quiet {
				return
			}
			fmt.Fprintf(e.stderr, "kmslint: warning: %s:%d:%d: %s\n", d.File, pos.Line, pos.Col, msg)
		},
		Note: func(d *input.Document, pos policy.Pos, msg string) {
			if g.quiet {
				return
			}
			fmt.Fprintf(e.stderr, "kmslint: %s:%d:%d: note: %s\n", d.File, pos.Line, pos.Col, msg)
		},
	}
	if err := checkOrg(env.Org); err != nil {
		return err
	}
	var proofs proofSink
	env.Proofs = proofs.add
	for _, f := range c.StringSlice("identity-policy") {
		data, name, err := readInput(f, e)
		if err != nil {
			return err
		}
		n, err := policy.ParseJSON(name, data)
		if err != nil {
			return inputErr(err)
		}
		if ip := policy.Build(n, policy.BuildOptions{Identity: true}); !ip.Valid() {
			pr := ip.Problems[0]
			return inputErrf("%s:%d:%d: %s", name, pr.Pos.Line, pr.Pos.Col, pr.Message)
		}
		env.IdentityPolicies = append(env.IdentityPolicies, lint.IdentityPolicy{Name: name, Node: n})
	}

	// Compiling the rules takes as long as reading a thousand files; do
	// both at once. The channel is buffered so that an early return leaves
	// nothing blocked.
	type compiled struct {
		linter *lint.Linter
		err    error
	}
	if err := checkRuleDirs(c.StringSlice("rules")); err != nil {
		return err
	}
	compiling := make(chan compiled, 1)
	go func() {
		l, err := lint.New(lint.Options{Profiles: profiles, RuleDirs: c.StringSlice("rules")})
		compiling <- compiled{l, err}
	}()

	// Live keys are read before any file so that a credentials or access
	// problem is reported before minutes of linting.
	ctx := context.Background()
	keys, err := fetchKeys(ctx, c, e, g, env, keyRefs)
	if err != nil {
		return err
	}

	sources := map[string][]byte{}
	var files []*input.File
	var skipped []input.Skipped
	// Input errors are reported per file; the other files are linted and
	// the run exits 2 at the end.
	var inputErrs []error
	if len(paths) > 0 {
		files, skipped, inputErrs = input.Walk(paths, input.WalkOptions{
			Env:   input.Env{AccountID: env.Account, Region: pickOne(env.Region, env.DefaultRegion)},
			Stdin: teeStdin(e, sources),
		})
	}
	if g.verbose {
		for _, s := range skipped {
			fmt.Fprintf(e.stderr, "kmslint: skipped %s: %s\n", s.Path, s.Reason)
		}
	}
	var docs []input.Document
	for _, f := range files {
		docs = append(docs, f.Documents...)
		if g.verbose {
			printNotes(e, f.Path, f.Notes)
			for _, d := range f.Documents {
				printNotes(e, d.File, d.Notes)
				printNotes(e, d.File, d.Unresolved)
			}
		}
	}

	built := <-compiling
	if built.err != nil {
		return inputErr(built.err)
	}
	linter := built.linter
	if err := checkLintRules(c.StringSlice("profile"), c.StringSlice("ignore"), cfg, linter); err != nil {
		return err
	}
	var findings []report.Finding
	if len(docs) > 0 {
		var docErrs []*input.Error
		findings, docErrs, err = linter.LintEach(ctx, docs, env)
		if err != nil {
			return inputErr(err)
		}
		for _, de := range docErrs {
			inputErrs = append(inputErrs, de)
		}
	}
	for _, k := range keys {
		fs, err := lintKey(ctx, linter, k, env, sources)
		if err != nil {
			return err
		}
		findings = append(findings, fs...)
	}
	for i := range findings {
		if ignores.Match(findings[i].Rule, findings[i].Resource, findings[i].File) {
			findings[i].Suppressed = true
		}
	}
	rep := report.New(report.KindLint, version)
	rep.Findings = findings
	rep.Summary.Files = len(files)
	rep.Summary.Policies = len(docs) + len(keys)
	rep.Rules = linter.Rules()
	rep.Documents = proofs.report(docs)
	rep.Inputs = append([]string(nil), paths...)
	for _, k := range keys {
		rep.Inputs = append(rep.Inputs, k.ARN)
	}
	if len(inputErrs) > 0 {
		rep.InputErrors = reportInputErrors(inputErrs)
		for _, ie := range inputErrs {
			fmt.Fprintf(e.stderr, "kmslint: error: %s\n", oneLine(ie.Error()))
		}
	}
	if err := writeReport(c, e, g, rep, format, failOn, sources); err != nil && (len(inputErrs) == 0 || !errors.Is(err, errFindings)) {
		return err
	}
	if len(inputErrs) > 0 {
		return errInputs
	}
	return nil
}

// errInputs ends a run whose input errors were reported one by one (exit 2,
// nothing more to print).
var errInputs = &exitError{code: exitInput}

// reportInputErrors converts the loaders' and linter's input errors, which
// name their file and position, for the report.
func reportInputErrors(errs []error) report.InputErrors {
	out := make(report.InputErrors, 0, len(errs))
	for _, err := range errs {
		var ie *input.Error
		var se *policy.SyntaxError
		switch {
		case errors.As(err, &ie):
			out = append(out, report.InputError{File: ie.File, Line: ie.Pos.Line, Column: ie.Pos.Col, Error: ie.Msg})
		case errors.As(err, &se):
			out = append(out, report.InputError{File: se.File, Line: se.Pos.Line, Column: se.Pos.Col, Error: se.Msg})
		default:
			out = append(out, report.InputError{Error: err.Error()})
		}
	}
	return out
}

// printNotes prints -v notes about a file; a note about another file (a
// Terraform module's sibling) names that one.
func printNotes(e env, file string, notes []input.Note) {
	for _, n := range notes {
		where := file
		if n.File != "" {
			where = n.File
		}
		fmt.Fprintf(e.stderr, "kmslint: %s:%d:%d: note: %s\n", where, n.Pos.Line, n.Pos.Col, n.Message)
	}
}

// fetchKeys reads the live keys of --key-arn. Every failure is an input
// error (exit 2) with livekey's one-line, actionable message.
func fetchKeys(ctx context.Context, c *cli.Context, e env, g globals, env lint.Env, refs []string) ([]*livekey.Key, error) {
	if len(refs) == 0 {
		return nil, nil
	}
	f, err := livekey.New(ctx, livekey.Options{
		Profile:        c.String("aws-profile"),
		EndpointURL:    c.String("endpoint-url"),
		FallbackRegion: pickOne(env.Region, env.DefaultRegion),
		Getenv:         e.getenv,
	})
	if err != nil {
		return nil, inputErr(err)
	}
	var keys []*livekey.Key
	for _, ref := range refs {
		k, err := f.Fetch(ctx, ref)
		if err != nil {
			return nil, inputErr(err)
		}
		if g.verbose {
			fmt.Fprintf(e.stderr, "kmslint: %s: note: %s %s key, %s, %s, in %s\n", k.ARN, k.KeyState, k.KeyManager, k.KeySpec, k.KeyUsage, k.Region)
			if k.GrantsNote != "" {
				fmt.Fprintf(e.stderr, "kmslint: %s: note: %s\n", k.ARN, k.GrantsNote)
			}
			for _, gr := range k.Grants {
				fmt.Fprintf(e.stderr, "kmslint: %s: note: %s (grants add to the key policy)\n", k.ARN, gr)
			}
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// lintKey lints a live key's policy with its metadata (ACR009-ACR011) and
// says in each finding about a principal's access which grants also give
// that principal the action: the rules see the key policy only.
func lintKey(ctx context.Context, linter *lint.Linter, k *livekey.Key, env lint.Env, sources map[string][]byte) ([]report.Finding, error) {
	doc, err := k.Document()
	if err != nil {
		return nil, inputErr(err)
	}
	sources[doc.File] = []byte(k.Policy)
	env.KeyARN = k.ARN
	env.Key = k.LiveKey()
	if env.Region == "" && env.DefaultRegion == "" {
		// Without --region, AWS_REGION or a region in the policy, the
		// recommendations are taken to be where the key is.
		env.DefaultRegion = k.Region
	}
	fs, err := linter.Lint(ctx, []input.Document{doc}, env)
	if err != nil {
		return nil, inputErr(err)
	}
	for i := range fs {
		ev := fs[i].Evidence
		if ev == nil || ev.Principal == "" || ev.Action == "" {
			continue
		}
		for _, gr := range k.GrantsFor(ev.Principal, ev.Action) {
			fs[i].Message += fmt.Sprintf(" Besides the key policy, %s.", gr)
		}
	}
	return fs, nil
}

// writeReport renders the report, to stdout or atomically to --output, and
// turns findings at or above --fail-on into exit 1.
func writeReport(c *cli.Context, e env, g globals, rep *report.Report, format string, failOn report.Severity, sources map[string][]byte) error {
	if g.quiet && format == report.FormatText && len(rep.Findings) == 0 {
		return nil
	}
	opts := report.Options{
		FailOn:  failOn,
		Color:   !g.noColor && c.String("output") == "" && isTerminal(e.stdout),
		Verbose: g.verbose,
		Quiet:   g.quiet,
		Source: func(file string) ([]byte, error) {
			if b, ok := sources[file]; ok {
				return b, nil
			}
			return os.ReadFile(file)
		},
	}
	var buf strings.Builder
	if err := report.Write(&buf, format, rep, opts); err != nil {
		return fmt.Errorf("write %s report: %w", format, err)
	}
	if err := writeOutput(c.String("output"), []byte(buf.String()), e); err != nil {
		return err
	}
	if rep.ExitCode(failOn) != 0 {
		return errFindings
	}
	return nil
}

// teeStdin keeps what is read from stdin so the text report can show the
// offending line of a policy that came from a pipe.
func teeStdin(e env, sources map[string][]byte) *stdinTee {
	return &stdinTee{e: e, sources: sources}
}

type stdinTee struct {
	e       env
	sources map[string][]byte
	buf     []byte
	done    bool
}

func (t *stdinTee) Read(p []byte) (int, error) {
	n, err := t.e.stdin.Read(p)
	t.buf = append(t.buf, p[:n]...)
	if err != nil {
		t.sources[input.StdinName] = t.buf
	}
	return n, err
}

func validFormat(f string, all []string) bool {
	for _, a := range all {
		if a == f {
			return true
		}
	}
	return false
}

// checkOrg refuses an --org that is no organization id: a typo would make
// every perimeter condition deny the callers.
// https://docs.aws.amazon.com/organizations/latest/APIReference/API_Organization.html (Id: ^o-[a-z0-9]{10,32}$)
func checkOrg(org string) error {
	if org == "" || orgID.MatchString(org) {
		return nil
	}
	return inputErrf("--org %q: want an organization id such as o-a1b2c3d4e5 (o- and 10 to 32 lowercase letters or digits)", org)
}

var orgID = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)

func pick(flag, cfg []string) []string {
	if len(flag) > 0 {
		return flag
	}
	return cfg
}

func pickOne(flag, cfg string) string {
	if flag != "" {
		return flag
	}
	return cfg
}

func rulesCommand(e env) *cli.Command {
	return &cli.Command{
		Name:  "rules",
		Usage: "list the rules (id, severity, profile, title)",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Value: "text", Usage: "text or json"},
			&cli.StringSliceFlag{Name: "rules", Usage: "extra Rego rules `DIR`"},
		},
		Action: func(c *cli.Context) error {
			if err := checkRuleDirs(c.StringSlice("rules")); err != nil {
				return err
			}
			linter, err := lint.New(lint.Options{RuleDirs: c.StringSlice("rules")})
			if err != nil {
				return inputErr(err)
			}
			rules := ruleMetas(catalogue(linter))
			switch c.String("format") {
			case "json":
				return writeJSON(e.stdout, rules)
			case "text":
				for _, r := range rules {
					fmt.Fprintf(e.stdout, "%-7s %-8s %-25s %s\n", r.ID, r.Severity, r.Profile, r.Title)
				}
				return nil
			}
			return inputErrf("--format %q: want text or json", c.String("format"))
		},
	}
}

func explainCommand(e env) *cli.Command {
	return &cli.Command{
		Name:      "explain",
		Usage:     "explain one rule: rationale, example, fix",
		UsageText: "kmslint explain RULE",
		Flags:     []cli.Flag{&cli.StringSliceFlag{Name: "rules", Usage: "extra Rego rules `DIR`"}},
		Action: func(c *cli.Context) error {
			if c.Args().Len() != 1 {
				return inputErrf("explain takes one rule id, e.g. kmslint explain ACR006")
			}
			if err := checkRuleDirs(c.StringSlice("rules")); err != nil {
				return err
			}
			linter, err := lint.New(lint.Options{RuleDirs: c.StringSlice("rules")})
			if err != nil {
				return inputErr(err)
			}
			docs := catalogue(linter)
			doc, ok := findRule(docs, c.Args().First())
			if !ok {
				return unknownRule("explain", c.Args().First(), strings.ToUpper(c.Args().First()), docs)
			}
			fmt.Fprintf(e.stdout, "%s  %s  (%s, profile %s)\n\n%s\n", doc.ID, doc.Title, doc.Severity, doc.Profile, strings.TrimSpace(doc.Description))
			if doc.Example != "" {
				fmt.Fprintf(e.stdout, "\nExample:\n%s\n", indent(strings.TrimSpace(doc.Example), "  "))
			}
			if doc.Fix != "" {
				fmt.Fprintf(e.stdout, "\nFix:\n%s\n", indent(strings.TrimSpace(doc.Fix), "  "))
			}
			return nil
		},
	}
}

func indent(s, pfx string) string {
	return pfx + strings.ReplaceAll(s, "\n", "\n"+pfx)
}
