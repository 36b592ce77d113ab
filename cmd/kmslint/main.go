// Command kmslint lints, simulates and audits AWS KMS key policies for
// Amazon Bedrock AgentCore recommendations. This package is wiring only:
// flags, exit codes and output selection; the work lives in internal/ and
// simulator/.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0"

// Exit codes of CONTRACT.md.
const (
	exitOK       = 0
	exitFindings = 1
	exitInput    = 2
)

// exitError carries an exit code through urfave/cli.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return ""
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }

// inputErr marks an error as a usage or input error (exit 2).
func inputErr(err error) error { return &exitError{code: exitInput, err: err} }

// inputErrf formats a usage or input error (exit 2).
func inputErrf(format string, args ...any) error {
	return inputErr(fmt.Errorf(format, args...))
}

// findingsExit is a run that worked and found something at or above
// --fail-on (exit 1) without any message to print.
var errFindings = &exitError{code: exitFindings}

// env is what commands need from the process, injected for tests.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
}

// isTerminal reports whether w is a terminal (colour, progress bars).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func main() {
	os.Exit(run(os.Args, env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}))
}

// run executes kmslint and returns the process exit code. Errors are
// printed as one line, `kmslint: error: ...`; never a stack trace.
func run(args []string, e env) (code int) {
	defer func() {
		// A bug must not print a Go stack trace at users; say what happened
		// in one line and exit 2 so CI notices.
		if r := recover(); r != nil {
			fmt.Fprintf(e.stderr, "kmslint: error: internal error: %v (please report this)\n", r)
			code = exitInput
		}
	}()
	app := newApp(e)
	err := app.Run(interspersed(app, args))
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.Error() != "" {
			fmt.Fprintf(e.stderr, "kmslint: error: %s\n", oneLine(ee.Error()))
		}
		return ee.code
	}
	fmt.Fprintf(e.stderr, "kmslint: error: %s\n", oneLine(err.Error()))
	return exitInput
}

// oneLine keeps error output to a single line.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	return strings.ReplaceAll(s, "\n", "; ")
}

// globals are the global flags of CONTRACT.md.
type globals struct {
	noColor bool
	quiet   bool
	verbose bool
}

func globalsOf(c *cli.Context, e env) globals {
	g := globals{
		noColor: anyLevel(c, "no-color") || e.getenv("NO_COLOR") != "",
		quiet:   anyLevel(c, "quiet"),
		verbose: anyLevel(c, "verbose"),
	}
	return g
}

// anyLevel reports whether a global bool flag was given before or after the
// command name (`kmslint -v lint` and `kmslint lint -v`). The command
// redeclares the global flags, so c.Bool alone sees only its own copy.
func anyLevel(c *cli.Context, name string) bool {
	for _, l := range c.Lineage() {
		if l.IsSet(name) && l.Bool(name) {
			return true
		}
	}
	return false
}

func newApp(e env) *cli.App {
	app := &cli.App{
		Name:  "kmslint",
		Usage: "lint, simulate and audit KMS key policies for Amazon Bedrock AgentCore recommendations",
		// urfave's built-in --version takes -v, which CONTRACT.md gives to
		// --verbose; ours is --version only.
		HideVersion:               true,
		Reader:                    e.stdin,
		Writer:                    e.stdout,
		ErrWriter:                 e.stderr,
		DisableSliceFlagSeparator: true, // context values and ARNs may contain commas
		Suggest:                   true,
		ExitErrHandler:            func(*cli.Context, error) {}, // run() owns exit codes
		Flags:                     append(globalFlags(), &cli.BoolFlag{Name: "version", Usage: "print the version and exit"}),
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return inputErr(err)
		},
		CommandNotFound: func(c *cli.Context, name string) {
			fmt.Fprintf(e.stderr, "kmslint: error: unknown command %q (see kmslint --help)\n", name)
		},
		Action: func(c *cli.Context) error {
			if c.Bool("version") {
				fmt.Fprintf(e.stdout, "kmslint %s\n", version)
				return nil
			}
			if c.Args().Len() > 0 {
				return inputErrf("unknown command %q (see kmslint --help)", c.Args().First())
			}
			return cli.ShowAppHelp(c)
		},
		Commands: []*cli.Command{
			auditCommand(e),
			evalCommand(e),
			generateCommand(e),
			lintCommand(e),
			rulesCommand(e),
			explainCommand(e),
			serveCommand(e),
			simulateCommand(e),
		},
	}
	for _, c := range app.Commands {
		oneLineUsageErrors(c)
		withExamples(c)
		// Global flags work after the command name too (`kmslint lint
		// --no-color x`), as users type them; lookups search the lineage.
		c.Flags = append(c.Flags, globalFlags()...)
	}
	return app
}

func globalFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "no-color", Usage: "disable colour (also NO_COLOR)"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print only findings and errors"},
		&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "say more (skipped files, notes)"},
	}
}

// oneLineUsageErrors makes a bad flag a one-line error with exit 2 instead
// of urfave's "Incorrect Usage" plus the whole help text.
func oneLineUsageErrors(c *cli.Command) {
	c.OnUsageError = func(_ *cli.Context, err error, _ bool) error {
		return inputErrf("%s: %v (see kmslint %s --help)", c.Name, err, c.Name)
	}
	for _, sub := range c.Subcommands {
		oneLineUsageErrors(sub)
	}
}
