package main

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// interspersed rewrites a command line so that flags may come after
// positional arguments, as users type them (`kmslint lint key.json --region
// us-east-1`, `kmslint audit AWSLogs/ --policy key.json`). urfave/cli v2
// hands each command's arguments to Go's flag package, which stops at the
// first positional argument; this step moves every flag of the command
// (with its value) in front of the positional arguments, in their order,
// and ends the flags with "--" so that a positional argument that looks
// like a flag after the user's own "--" stays positional.
//
// Whether a flag takes a value comes from the command's own flag
// definitions, so a bool flag never swallows the argument after it and a
// value flag always takes the next argument, even one starting with "-"
// (`-o -`, `--requests -`). A flag the command does not define is kept as
// a flag (urfave then reports it) and taken not to have a value. Arguments
// before the command name, and commands that skip flag parsing, are left
// alone.
func interspersed(app *cli.App, args []string) []string {
	if len(args) < 2 {
		return args
	}
	out := append([]string(nil), args[0])
	i := 1
	for i < len(args) {
		a := args[i]
		if a == "--" || !isFlag(a) {
			break
		}
		out = append(out, a)
		i++
		if takesValue(app.Flags, a) && i < len(args) {
			out = append(out, args[i])
			i++
		}
	}
	if i >= len(args) || args[i] == "--" {
		return append(out, args[i:]...)
	}
	cmd := findCommand(app.Commands, args[i])
	if cmd == nil {
		return append(out, args[i:]...)
	}
	out = append(out, args[i])
	return append(out, permuteCommand(cmd, args[i+1:])...)
}

// permuteCommand puts the flags of cmd first, then "--" and the positional
// arguments. A positional argument naming a subcommand hands the rest of
// the line to that subcommand.
func permuteCommand(cmd *cli.Command, args []string) []string {
	if cmd.SkipFlagParsing {
		return args
	}
	var flags, positional []string
	ended := false // the user's "--"
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			positional = append(positional, args[i+1:]...)
			ended, i = true, len(args)
		case isFlag(a):
			flags = append(flags, a)
			if takesValue(cmd.Flags, a) {
				if i+1 == len(args) {
					// The last argument is a flag that needs a value. Put it
					// last so that Go's flag package says so; followed by
					// "--" it would take that as its value.
					return flags
				}
				flags = append(flags, args[i+1])
				i++
			}
		default:
			if len(positional) == 0 {
				if sub := findCommand(cmd.Subcommands, a); sub != nil {
					return append(append(flags, a), permuteCommand(sub, args[i+1:])...)
				}
			}
			positional = append(positional, a)
		}
	}
	if len(positional) == 0 && !ended {
		return flags
	}
	return append(append(flags, "--"), positional...)
}

// isFlag is Go's flag package's test: "-" alone is an argument (stdin).
func isFlag(a string) bool { return len(a) > 1 && a[0] == '-' }

// takesValue reports whether flag argument a (`-o`, `--format`, not
// `--format=json`) is a flag of defs that needs the next argument as its
// value.
func takesValue(defs []cli.Flag, a string) bool {
	name := strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-")
	if strings.Contains(name, "=") {
		return false // the value is in the same argument
	}
	for _, f := range defs {
		for _, n := range f.Names() {
			if n != name {
				continue
			}
			if v, ok := f.(cli.DocGenerationFlag); ok {
				return v.TakesValue()
			}
			return false
		}
	}
	// -h/--help is urfave's own bool flag; unknown flags are reported by
	// urfave, and taking them for bools keeps the next argument visible.
	return false
}

func findCommand(cmds []*cli.Command, name string) *cli.Command {
	for _, c := range cmds {
		if c.HasName(name) {
			return c
		}
	}
	return nil
}
