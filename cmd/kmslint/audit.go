package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	awscloudtrail "github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/urfave/cli/v2"

	"github.com/kmslint/kmslint/internal/arn"
	"github.com/kmslint/kmslint/internal/audit"
	"github.com/kmslint/kmslint/internal/audit/sqlexport"
	"github.com/kmslint/kmslint/internal/authz"
	"github.com/kmslint/kmslint/internal/cloudtrail"
	"github.com/kmslint/kmslint/internal/lint"
	"github.com/kmslint/kmslint/internal/report"
)

func auditCommand(e env) *cli.Command {
	return &cli.Command{
		Name:      "audit",
		Usage:     "rebuild each recommendation's KMS story from CloudTrail and flag denials, intruders and broken workflows",
		UsageText: "kmslint audit [flags] [PATH...]   (CloudTrail files, directories in S3 layout, - for stdin)",
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "s3", Usage: "read CloudTrail logs under `s3://bucket/prefix`"},
			&cli.BoolFlag{Name: "lookup", Usage: "read KMS events through CloudTrail LookupEvents (last 90 days)"},
			&cli.StringFlag{Name: "since", Usage: "only events at or after `TIME` (RFC 3339, YYYY-MM-DD, or a duration ago such as 72h)"},
			&cli.StringFlag{Name: "until", Usage: "only events at or before `TIME`"},
			&cli.StringFlag{Name: "policy", Usage: "the key policy `FILE`, to explain denials"},
			&cli.StringFlag{Name: "key-arn", Usage: "audit only this key `ARN`"},
			&cli.StringFlag{Name: "account", Usage: "account `ID` of the key (default: from the key ARN in the events)"},
			&cli.StringFlag{Name: "region", Usage: "`REGION` of the key (default: from the key ARN in the events)"},
			&cli.StringSliceFlag{Name: "caller", Usage: "IAM role/user `ARN` that calls StartRecommendation; others are flagged (AUD002)"},
			&cli.StringFlag{Name: "format", Value: "text", Usage: "text, json or sarif"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write the report to `FILE`"},
			&cli.StringFlag{Name: "fail-on", Value: "error", Usage: "error, warning, info or never"},
			&cli.StringFlag{Name: "endpoint-url", Usage: "send S3 and CloudTrail requests to `URL` (also AWS_ENDPOINT_URL); S3 is then addressed path-style"},
			&cli.StringFlag{Name: "emit-sql", Usage: "print the query that selects the events the audit needs, for `ENGINE` athena or cloudtrail-lake, and exit"},
			&cli.StringFlag{Name: "athena-table", Value: sqlexport.DefaultAthenaTable, Usage: "the CloudTrail `[DATABASE.]TABLE` for --emit-sql athena"},
			&cli.StringFlag{Name: "event-data-store", Usage: "the event data store `ID` (or ARN) for --emit-sql cloudtrail-lake"},
			&cli.StringFlag{Name: "from", Value: "cloudtrail", Usage: "what PATH... holds: cloudtrail logs, or the `RESULT` export of the --emit-sql query: athena (CSV) or cloudtrail-lake (JSON)"},
		},
		Action: func(c *cli.Context) error { return runAudit(c, e) },
	}
}

func runAudit(c *cli.Context, e env) error {
	g := globalsOf(c, e)
	format := c.String("format")
	if format != report.FormatText && format != report.FormatJSON && format != report.FormatSARIF {
		return inputErrf("--format %q: want text, json or sarif", format)
	}
	failOn, err := report.ParseFailOn(c.String("fail-on"))
	if err != nil {
		return inputErrf("--fail-on: %v", err)
	}
	now := time.Now()
	filter := cloudtrail.DefaultFilter()
	if filter.Since, err = parseWhen(c.String("since"), now); err != nil {
		return inputErrf("--since: %v", err)
	}
	if filter.Until, err = parseWhen(c.String("until"), now); err != nil {
		return inputErrf("--until: %v", err)
	}
	if !filter.Since.IsZero() && !filter.Until.IsZero() && filter.Until.Before(filter.Since) {
		return inputErrf("--until %s is before --since %s", c.String("until"), c.String("since"))
	}
	if engine := c.String("emit-sql"); engine != "" {
		return emitSQL(c, e, engine, filter)
	}
	var from sqlexport.Dialect
	if f := c.String("from"); f != "cloudtrail" {
		if from, err = sqlexport.ParseDialect(f); err != nil {
			return inputErrf("--from %v (or cloudtrail)", err)
		}
	}
	in := cloudtrail.Inputs{Paths: c.Args().Slice(), S3: c.StringSlice("s3")}
	if from != "" && (len(in.S3) > 0 || c.Bool("lookup")) {
		return inputErrf("--from %s reads result files named as PATH, not --s3 or --lookup", from)
	}
	if len(in.Paths) == 0 && len(in.S3) == 0 && !c.Bool("lookup") {
		return inputErrf("audit needs CloudTrail input: PATH..., --s3 s3://bucket/prefix or --lookup")
	}
	keyARN := c.String("key-arn")
	opts := audit.Options{Account: c.String("account"), Region: c.String("region"), KeyARN: keyARN, Callers: c.StringSlice("caller")}
	if keyARN != "" {
		a, ok := arn.Parse(keyARN)
		if !ok || a.Service != "kms" {
			return inputErrf("--key-arn %q: want arn:aws:kms:REGION:ACCOUNT:key/ID", keyARN)
		}
		opts.Region = pickOne(opts.Region, a.Region)
		opts.Account = pickOne(opts.Account, a.AccountID)
	}
	for _, cl := range opts.Callers {
		if _, err := authz.ParsePrincipal(cl); err != nil || !strings.HasPrefix(cl, "arn:") {
			return inputErrf("--caller %q: want an IAM role or user ARN", cl)
		}
	}
	if f := c.String("policy"); f != "" {
		p, err := readPolicy(f, e, false)
		if err != nil {
			return err
		}
		eng := &authz.Engine{KeyAccount: opts.Account}
		if eng.Key, err = authz.Compile("key policy", p); err != nil {
			return inputErr(err)
		}
		opts.Policy = eng
	}
	linter, err := lint.New(lint.Options{})
	if err != nil {
		return fmt.Errorf("load lint rules for AUD006: %w", err)
	}
	opts.Linter = linter

	ctx := context.Background()
	if len(in.S3) > 0 || c.Bool("lookup") {
		cfg, err := awsconfig.LoadDefaultConfig(ctx)
		if err != nil {
			return inputErrf("AWS configuration: %v", err)
		}
		if opts.Region != "" && cfg.Region == "" {
			cfg.Region = opts.Region
		}
		if u := c.String("endpoint-url"); u != "" {
			if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
				return inputErrf("--endpoint-url %q: want http:// or https://", u)
			}
			cfg.BaseEndpoint = aws.String(u)
		}
		if len(in.S3) > 0 {
			in.S3Client = s3.NewFromConfig(cfg, func(o *s3.Options) {
				// S3-compatible endpoints (MinIO, LocalStack, a test
				// server on 127.0.0.1) seldom resolve bucket.host names.
				o.UsePathStyle = o.UsePathStyle || o.BaseEndpoint != nil
				// CloudTrail's objects carry no checksum to validate;
				// without this the SDK logs that on every GetObject. gzip's
				// CRC still catches corruption.
				o.DisableLogOutputChecksumValidationSkipped = true
			})
		}
		if c.Bool("lookup") {
			lcfg := cfg.Copy()
			if opts.Region != "" {
				// LookupEvents reads one region's events: the key's.
				lcfg.Region = opts.Region
			}
			in.Lookup = &cloudtrail.Lookup{Client: awscloudtrail.NewFromConfig(lcfg)}
		}
	}

	a := audit.New(opts)
	ropts := cloudtrail.Options{Filter: filter, Stdin: e.stdin}
	if g.verbose {
		ropts.Skipped = func(name, reason string) { fmt.Fprintf(e.stderr, "kmslint: skipped %s: %s\n", name, reason) }
	}
	progress := format == report.FormatText && !g.quiet && isTerminal(e.stderr)
	if progress {
		ropts.Progress = func(read, total int64) {
			fmt.Fprintf(e.stderr, "\rreading CloudTrail: %s of %s", mib(read), mib(total))
		}
	}
	add := func(ev *cloudtrail.Event) error {
		a.Add(ev)
		return nil
	}
	var res cloudtrail.Result
	if from != "" {
		// Exports are already filtered down by AWS's engine: small enough
		// to read one after another.
		res, err = sqlexport.ReadFiles(from, in.Paths, e.stdin, filter, add)
	} else {
		res, err = cloudtrail.Read(ctx, in, ropts, add)
	}
	if progress {
		fmt.Fprint(e.stderr, "\r\033[K")
	}
	if err != nil {
		return inputErr(err)
	}
	var unreadable []string
	for i := range res.Errors {
		ie := &res.Errors[i]
		fmt.Fprintf(e.stderr, "kmslint: warning: %s\n", audit.NewInputErrors(res.Errors[i : i+1])[0].String())
		if ie.Unreadable {
			unreadable = append(unreadable, ie.Source)
		}
	}
	out, err := a.Finish(ctx)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	rep := report.New(report.KindAudit, version)
	rep.Findings = out.Findings
	rep.Timelines = out.Timelines
	rep.InputErrors = audit.NewInputErrors(res.Errors)
	rep.Summary = report.Summary{
		Files: res.Stats.Files, Records: res.Stats.Records, KMSEvents: res.Stats.Matched,
		Recommendations: out.Recommendations,
	}
	rep.Rules = append(audit.Rules(), linter.Rules()...)
	rep.Inputs = in.Paths
	if err := streamReport(c, e, g, rep, format, failOn); err != nil && !errors.Is(err, errFindings) {
		return err
	} else if len(unreadable) > 0 {
		// The report is written for what could be read; a named input that
		// could not be read at all is still a usage error.
		return inputErrf("could not read %s", strings.Join(unreadable, ", "))
	} else {
		return err
	}
}

// streamReport is writeReport for reports that grow with the trail: the
// timelines of a large audit make a report of tens of megabytes, which is
// written as it is rendered rather than built in memory first (a copy or
// three of it would dominate the audit's peak memory). A file is still
// replaced atomically: written beside it, then renamed.
func streamReport(c *cli.Context, e env, g globals, rep *report.Report, format string, failOn report.Severity) error {
	if g.quiet && format == report.FormatText && len(rep.Findings) == 0 {
		return nil
	}
	opts := report.Options{FailOn: failOn, Verbose: g.verbose, Quiet: g.quiet,
		Color: !g.noColor && c.String("output") == "" && isTerminal(e.stdout)}
	file := c.String("output")
	if file == "" || file == "-" {
		if err := report.Write(e.stdout, format, rep, opts); err != nil {
			return fmt.Errorf("write %s report: %w", format, err)
		}
	} else {
		tmp, err := os.CreateTemp(filepath.Dir(file), "."+filepath.Base(file)+".tmp*")
		if err != nil {
			return inputErrf("%s: %v", file, unwrapPathError(err))
		}
		defer os.Remove(tmp.Name())
		werr := report.Write(tmp, format, rep, opts)
		if cerr := tmp.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return inputErrf("%s: %v", file, werr)
		}
		if err := os.Chmod(tmp.Name(), 0o644); err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		if err := os.Rename(tmp.Name(), file); err != nil {
			return inputErrf("%s: %v", file, err)
		}
	}
	if rep.ExitCode(failOn) != 0 {
		return errFindings
	}
	return nil
}

// emitSQL prints the query of --emit-sql.
func emitSQL(c *cli.Context, e env, engine string, filter *cloudtrail.Filter) error {
	d, err := sqlexport.ParseDialect(engine)
	if err != nil {
		return inputErrf("--emit-sql %v", err)
	}
	if c.Args().Len() > 0 || len(c.StringSlice("s3")) > 0 || c.Bool("lookup") {
		return inputErrf("--emit-sql prints a query and reads no input; run the query, then kmslint audit --from %s RESULT", d)
	}
	q := sqlexport.Query{Dialect: d, Table: c.String("athena-table"), EventDataStore: c.String("event-data-store"),
		Since: filter.Since, Until: filter.Until, KeyARN: c.String("key-arn")}
	if d == sqlexport.CloudTrailLake && q.EventDataStore == "" {
		return inputErrf("--emit-sql cloudtrail-lake needs --event-data-store ID")
	}
	sql, err := q.SQL()
	if err != nil {
		return inputErrf("--emit-sql: %v", err)
	}
	return writeOutput(c.String("output"), []byte(sql), e)
}

// parseWhen reads --since/--until: RFC 3339, a date, or a duration ago.
func parseWhen(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%q: want RFC 3339 (2026-01-02T15:04:05Z), a date (2026-01-02) or a duration ago (72h)", s)
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
