package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/kmslint/kmslint/simulator/scenario"
)

func simulateCommand(e env) *cli.Command {
	return &cli.Command{
		Name:  "simulate",
		Usage: "run the recommendation lifecycle and fault scenarios against the built-in fake KMS and AgentCore, then audit the trail",
		UsageText: "kmslint simulate [--policy FILE] [--account ID] [--region R] [--caller ARN] [--scenario NAME|all] [--trail DIR] [--format text|json]\n\n" +
			"scenarios: " + strings.Join(scenario.Names(), ", "),
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "policy", Usage: "key policy `FILE` to test (default: the canonical policy of `kmslint generate`)"},
			&cli.StringFlag{Name: "account", Usage: "account `ID` of the recommendations (default 111122223333)"},
			&cli.StringFlag{Name: "region", Usage: "`REGION` of the recommendations (default us-east-1)"},
			&cli.StringFlag{Name: "caller", Usage: "IAM role or user `ARN` that calls StartRecommendation (default role MyRecommendationRole)"},
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
		if _, err := readPolicy(f, e, false); err != nil {
			return err
		}
		data, _, err := readInput(f, e)
		if err != nil {
			return err
		}
		opts.Policy = data
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

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func fixHint(s *scenario.Result) string {
	if s.Statement == "" {
		return ""
	}
	return " (fix statement " + s.Statement + ")"
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
			fmt.Fprintf(w, "  missed: %s%s\n", s.Missed, fixHint(s))
		}
		for _, f := range s.Findings {
			fmt.Fprintf(w, "  audit %s %s: %s\n", f.Severity, f.Rule, f.Message)
		}
	}
	if !g.quiet {
		fmt.Fprintf(w, "\n%d of %d scenario(s) met their expectation\n", rep.Summary.Met, rep.Summary.Scenarios)
	}
}
