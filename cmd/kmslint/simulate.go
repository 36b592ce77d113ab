package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/kmslint/kmslint/internal/authz"
	"github.com/kmslint/kmslint/internal/input"
	"github.com/kmslint/kmslint/internal/input/awsregion"
	"github.com/kmslint/kmslint/internal/input/deploy"
	"github.com/kmslint/kmslint/internal/lint"
	"github.com/kmslint/kmslint/simulator/scenario"
)

func simulateCommand(e env) *cli.Command {
	return &cli.Command{
		Name:  "simulate",
		Usage: "run the recommendation lifecycle and fault scenarios against the built-in fake KMS and AgentCore, then audit the trail",
		UsageText: "kmslint simulate [--policy FILE [--key RESOURCE]] [--account ID] [--region R] [--caller ARN] [--scenario NAME|all] [--trail DIR] [--format text|json]\n\n" +
			"scenarios: " + strings.Join(scenario.Names(), ", "),
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "policy", Usage: "key policy `FILE` to test, in any format lint reads (default: the canonical policy of `kmslint generate`)"},
			&cli.StringFlag{Name: "key", Usage: "the key `RESOURCE` of a --policy file that holds several (CloudFormation logical ID or Terraform address)"},
			&cli.StringFlag{Name: "account", Usage: "account `ID` of the recommendations (default: inferred from --policy as lint does, else 111122223333)"},
			&cli.StringFlag{Name: "region", Usage: "`REGION` of the recommendations (default: inferred from --policy as lint does, else us-east-1)"},
			&cli.StringFlag{Name: "caller", Usage: "IAM role or user `ARN` that calls StartRecommendation (default: inferred from --policy as lint does, else role MyRecommendationRole)"},
			&cli.StringSliceFlag{Name: "scenario", Usage: "scenario `NAME` (repeatable) or all; default lifecycle"},
			&cli.StringFlag{Name: "trail", Usage: "keep the CloudTrail files in S3 layout under `DIR`/<scenario>"},
			&cli.StringFlag{Name: "format", Value: "text", Usage: "text or json"},
		},
		Action: func(c *cli.Context) error { return runSimulate(c, e) },
	}
}

func runSimulate(c *cli.Context, e env) error {
	if c.Args().Len() > 0 {
		return inputErrf("simulate takes no arguments, got %q", c.Args().First())
	}
	format := c.String("format")
	if format != "text" && format != "json" {
		return inputErrf("--format %q: want text or json", format)
	}
	opts := scenario.Options{Account: c.String("account"), Region: c.String("region"), Caller: c.String("caller"), TrailDir: c.String("trail")}
	if f := c.String("policy"); f != "" {
		if err := simulatedPolicy(c, e, f, &opts); err != nil {
			return err
		}
	} else if c.String("key") != "" {
		return inputErrf("--key selects a key of the --policy file: give --policy FILE")
	}
	names := c.StringSlice("scenario")
	if len(names) == 0 {
		names = []string{"lifecycle"}
	}
	for _, n := range names {
		if n != "all" && !contains(scenario.Names(), n) {
			return inputErrf("--scenario %q: want one of %s, all", n, strings.Join(scenario.Names(), ", "))
		}
	}
	rep, err := scenario.Run(context.Background(), names, opts)
	if err != nil {
		return inputErr(err)
	}
	if format == "json" {
		if err := writeJSON(e.stdout, rep); err != nil {
			return err
		}
	} else {
		writeTimeline(e.stdout, rep, globalsOf(c, e))
	}
	if rep.Summary.Met != rep.Summary.Scenarios {
		for _, s := range rep.Scenarios {
			if !s.Met && format == "json" {
				fmt.Fprintf(e.stderr, "kmslint: scenario %s missed its expectation: %s%s\n", s.Name, s.Missed, fixHint(s))
			}
		}
		return errFindings
	}
	return nil
}

// simulatedPolicy reads --policy as lint reads a file (raw JSON,
// CloudFormation, Terraform plan or configuration), picks its key, and
// fills the account, region and caller the flags leave out the way lint
// infers them.
func simulatedPolicy(c *cli.Context, e env, file string, opts *scenario.Options) error {
	g := globalsOf(c, e)
	// A region must be chosen to simulate: after lint's sources, the
	// simulator's default.
	defaultRegion := pickOne(awsregion.Default(context.Background(), e.getenv, ""), scenario.DefaultRegion)
	var stdin []byte
	if file == "-" {
		data, err := io.ReadAll(e.stdin)
		if err != nil {
			return inputErrf("%s: cannot read: %v", input.StdinName, err)
		}
		stdin = data
	}
	account, region := opts.Account, opts.Region
	for {
		doc, inf, err := inferPolicy(c, e, g, file, stdin, account, region, defaultRegion, opts.Caller)
		if err != nil {
			return err
		}
		// The account and region a template deploys to are whatever the
		// stack is deployed in: the simulation needs actual ones, so it
		// loads the file again with the simulator's.
		again := false
		if u, ok := deploy.Find(doc.Deploying, deploy.AccountParam); ok && account == "" {
			account, again = scenario.DefaultAccount, true
			fmt.Fprintf(e.stderr, "kmslint: simulating %s as %s (--account picks another)\n", u.As, account)
		}
		if u, ok := deploy.Find(doc.Deploying, deploy.RegionParam); ok && region == "" {
			region, again = defaultRegion, true
			fmt.Fprintf(e.stderr, "kmslint: simulating %s as %s (--region picks another)\n", u.As, region)
		}
		if again {
			continue
		}
		opts.Account, opts.Region = inf.Account, inf.Region
		if opts.Caller == "" {
			caller, err := simulatedCaller(doc, inf)
			if err != nil {
				return err
			}
			opts.Caller = caller
			if g.verbose || len(inf.Callers) > 1 {
				fmt.Fprintf(e.stderr, "kmslint: simulating caller %s (inferred from the policy as lint does; --caller picks another)\n", caller)
			}
		}
		opts.PolicyNode, opts.PolicyFile = doc.Policy, doc.File
		opts.Policy = doc.Policy.AppendJSON(nil)
		return nil
	}
}

// inferPolicy loads the --policy file for the given account and region and
// infers what they leave out as lint does.
func inferPolicy(c *cli.Context, e env, g globals, file string, stdin []byte, account, region, defaultRegion, caller string) (*input.Document, lint.Inferred, error) {
	files, _, errs := input.Walk([]string{file}, input.WalkOptions{
		Env:   input.Env{AccountID: account, Region: pickOne(region, defaultRegion)},
		Stdin: bytes.NewReader(stdin),
	})
	if len(errs) > 0 {
		return nil, lint.Inferred{}, inputErr(errs[0])
	}
	var docs []input.Document
	for _, f := range files {
		docs = append(docs, f.Documents...)
		if g.verbose {
			printNotes(e, f.Path, f.Notes)
		}
	}
	doc, err := pickKey(file, docs, c.String("key"))
	if err != nil {
		return nil, lint.Inferred{}, err
	}
	if len(doc.Placeholders) > 0 {
		return nil, lint.Inferred{}, inputErrf("%s: %s uses values known only when it is deployed (%s): simulate needs the policy as KMS will see it",
			doc.File, keyName(doc), strings.Join(doc.Placeholders, ", "))
	}
	env := lint.Env{Account: account, Region: region, DefaultRegion: defaultRegion}
	if caller != "" {
		env.Callers = []string{caller}
	}
	inf, err := lint.Infer(doc, env)
	if err != nil {
		return nil, lint.Inferred{}, inputErr(err)
	}
	return doc, inf, nil
}

// pickKey is the one key of a --policy file, or the one --key names.
func pickKey(file string, docs []input.Document, key string) (*input.Document, error) {
	var names []string
	for i := range docs {
		if key != "" && docs[i].Resource == key {
			return &docs[i], nil
		}
		names = append(names, keyName(&docs[i]))
	}
	switch {
	case key != "" && len(docs) > 0:
		return nil, inputErrf("%s: no key %q; its keys are %s", file, key, strings.Join(names, ", "))
	case len(docs) == 0:
		return nil, inputErrf("%s: no key policy to simulate (kmslint -v simulate says why)", file)
	case len(docs) > 1:
		return nil, inputErrf("%s holds %d key policies (%s): pick one with --key", file, len(docs), strings.Join(names, ", "))
	}
	return &docs[0], nil
}

func keyName(d *input.Document) string {
	if d.Resource != "" {
		return d.Resource
	}
	return d.File
}

// simulatedCaller is the first inferred caller that is an IAM role or user
// of the recommendations' account: the simulator plays one caller.
func simulatedCaller(doc *input.Document, inf lint.Inferred) (string, error) {
	for _, c := range inf.Callers {
		p, err := authz.ParsePrincipal(c)
		if err == nil && (p.Kind == authz.IAMRole || p.Kind == authz.IAMUser) && p.Account == inf.Account {
			return c, nil
		}
	}
	if len(inf.Callers) > 0 {
		return "", inputErrf("%s: no caller of account %s found (the policy names %s): pass --caller ARN", doc.File, inf.Account, strings.Join(inf.Callers, ", "))
	}
	return "", inputErrf("%s: no caller found (no IAM role or user is allowed kms:DescribeKey, kms:GenerateDataKey or kms:Decrypt by name): pass --caller ARN", doc.File)
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func fixHint(s *scenario.Result) string {
	if s.Fix == "" {
		return ""
	}
	return "; fix: " + s.Fix
}

// writeTimeline prints each scenario as a readable timeline: step,
// principal, KMS calls, outcome.
func writeTimeline(w io.Writer, rep *scenario.Report, g globals) {
	for i, s := range rep.Scenarios {
		if g.quiet && s.Met {
			continue // -q: only what missed
		}
		if i > 0 {
			fmt.Fprintln(w)
		}
		verdict := "MET"
		if !s.Met {
			verdict = "MISSED"
		}
		fmt.Fprintf(w, "scenario %s: %s\n  expect: %s\n", s.Name, verdict, s.Expectation)
		if s.Recommendation != nil && !g.quiet {
			fmt.Fprintf(w, "  recommendation %s (%s)\n", s.Recommendation.ARN, s.Recommendation.Status)
		}
		for n, st := range s.Steps {
			if g.quiet {
				break
			}
			fmt.Fprintf(w, "  %d. %-40s %-12s as %s\n", n+1, st.Operation, st.Outcome, st.Principal)
			if st.Message != "" && st.Outcome != "ok" && g.verbose {
				fmt.Fprintf(w, "       %s\n", st.Message)
			}
			for _, k := range st.KMSCalls {
				who := k.Principal
				if k.InvokedBy != "" {
					who += " via " + k.InvokedBy
				}
				extra := ""
				if k.DryRun {
					extra = " (dry run)"
				}
				fmt.Fprintf(w, "       kms:%-16s %-26s %s%s\n", k.EventName, k.Outcome, who, extra)
			}
		}
		if !s.Met {
			fmt.Fprintf(w, "  missed: %s\n", s.Missed)
			if s.Fix != "" {
				fmt.Fprintf(w, "  fix: %s\n", s.Fix)
			}
		}
		for _, f := range s.Findings {
			fmt.Fprintf(w, "  audit %s %s: %s\n", f.Severity, f.Rule, f.Message)
		}
	}
	if !g.quiet {
		fmt.Fprintf(w, "\n%d of %d scenario(s) met their expectation\n", rep.Summary.Met, rep.Summary.Scenarios)
	}
}
