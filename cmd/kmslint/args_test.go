package main

import (
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

func TestInterspersed(t *testing.T) {
	app := newApp(env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }})
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"flags after the path", "lint key.json --account 1 --region us-east-1 --caller A",
			"lint --account 1 --region us-east-1 --caller A -- key.json"},
		{"-o after a directory", "lint templates/ --format sarif -o kmslint.sarif",
			"lint --format sarif -o kmslint.sarif -- templates/"},
		{"flags before stay", "audit --policy key.json AWSLogs/", "audit --policy key.json -- AWSLogs/"},
		{"value flag after the path", "audit AWSLogs/ --policy key.json", "audit --policy key.json -- AWSLogs/"},
		{"bool flag does not swallow", "lint -q key.json --no-color b.json", "lint -q --no-color -- key.json b.json"},
		{"bool flag with =value", "lint key.json --verbose=false", "lint --verbose=false -- key.json"},
		{"=value kept whole", "lint key.json --format=json", "lint --format=json -- key.json"},
		{"value that looks like a flag", "eval --requests - --policy p.json", "eval --requests - --policy p.json"},
		{"-o takes a dash", "lint a -o - --format json", "lint -o - --format json -- a"},
		{"flag of another command is unknown", "eval --policy p.json -o -", "eval --policy p.json -o -- -"},
		{"stdin dash is positional", "lint - --format json", "lint --format json -- -"},
		{"repeatable flags keep order", "lint a --caller X b --caller Y", "lint --caller X --caller Y -- a b"},
		{"lone -- kept", "eval --policy p.json --", "eval --policy p.json --"},
		{"value flag takes --", "lint --format -- a", "lint --format -- -- a"},
		{"-- ends flags", "lint --format json -- -odd.json --region x", "lint --format json -- -odd.json --region x"},
		{"unknown flag kept, next arg positional", "lint a --bogus b", "lint --bogus -- a b"},
		{"value flag at the end", "lint a --format", "lint --format"}, // an error either way: "flag needs an argument"
		{"global flags before the command", "--no-color lint a -v", "--no-color lint -v -- a"},
		{"no positional, no --", "simulate --scenario all", "simulate --scenario all"},
		{"help after args", "lint a --help", "lint --help -- a"},
		{"unknown command untouched", "frobnicate a --x", "frobnicate a --x"},
		{"help command untouched", "help lint", "help lint"},
		{"app -- untouched", "-- lint a --x", "-- lint a --x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := interspersed(app, append([]string{"kmslint"}, strings.Fields(tc.in)...))
			if want := append([]string{"kmslint"}, strings.Fields(tc.want)...); !slices.Equal(got, want) {
				t.Errorf("interspersed(%q)\n got %q\nwant %q", tc.in, got, want)
			}
		})
	}
}

func TestInterspersedSubcommands(t *testing.T) {
	sub := &cli.Command{Name: "show", Flags: []cli.Flag{&cli.StringFlag{Name: "format"}}}
	app := &cli.App{Commands: []*cli.Command{{Name: "key", Flags: []cli.Flag{&cli.BoolFlag{Name: "all"}}, Subcommands: []*cli.Command{sub}}}}
	got := interspersed(app, strings.Fields("kmslint key --all show a --format json"))
	if want := strings.Fields("kmslint key --all show --format json -- a"); !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestEveryFlagAfterArguments runs every flag of every command (the real
// definitions, so a flag another change adds is covered) after and between
// positional arguments, in the --flag VALUE, --flag=VALUE and short forms,
// and checks that urfave parsed the flag and kept the arguments in order.
func TestEveryFlagAfterArguments(t *testing.T) {
	e := env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }}
	type seen struct {
		set  bool
		val  string
		args []string
	}
	for _, probe := range newApp(e).Commands {
		for _, f := range probe.Flags {
			for _, name := range f.Names() {
				for _, form := range []string{"separate", "equals"} {
					app := newApp(e)
					cmd := findCommand(app.Commands, probe.Name)
					var got seen
					primary := f.Names()[0]
					cmd.Action = func(c *cli.Context) error {
						got = seen{set: c.IsSet(primary), val: flagText(c, f), args: c.Args().Slice()}
						return nil
					}
					args := []string{"kmslint", cmd.Name, "first"}
					args = append(args, requiredFlags(cmd, f)...)
					dash := "--"
					if len(name) == 1 {
						dash = "-"
					}
					value := sampleValue(f)
					switch {
					case value == "":
						args = append(args, dash+name)
					case form == "equals":
						args = append(args, dash+name+"="+value)
					default:
						args = append(args, dash+name, value)
					}
					args = append(args, "second")
					if err := app.Run(interspersed(app, args)); err != nil {
						t.Errorf("%q: %v", args, err)
						continue
					}
					if !got.set {
						t.Errorf("%q: --%s not set", args, primary)
					}
					if value != "" && got.val != value {
						t.Errorf("%q: --%s = %q, want %q", args, primary, got.val, value)
					}
					if !slices.Equal(got.args, []string{"first", "second"}) {
						t.Errorf("%q: arguments %q, want [first second]", args, got.args)
					}
				}
			}
		}
	}
}

// sampleValue is a valid value for f ("" for a bool flag); "-" checks that a
// value starting with a dash is still taken as the value.
func sampleValue(f cli.Flag) string {
	switch f.(type) {
	case *cli.BoolFlag:
		return ""
	case *cli.DurationFlag:
		return "1s"
	case *cli.IntFlag, *cli.Int64Flag, *cli.UintFlag, *cli.Uint64Flag, *cli.Float64Flag:
		return "7"
	}
	return "-"
}

func flagText(c *cli.Context, f cli.Flag) string {
	name := f.Names()[0]
	switch f.(type) {
	case *cli.StringSliceFlag:
		return strings.Join(c.StringSlice(name), ",")
	case *cli.BoolFlag:
		return ""
	}
	return c.Generic(name).(interface{ String() string }).String()
}

// requiredFlags gives each required flag of cmd other than f a value.
func requiredFlags(cmd *cli.Command, f cli.Flag) []string {
	var out []string
	for _, r := range cmd.Flags {
		if rf, ok := r.(cli.RequiredFlag); ok && rf.IsRequired() && r.Names()[0] != f.Names()[0] {
			out = append(out, "--"+r.Names()[0], "x")
		}
	}
	return out
}

// FuzzInterspersed: whatever the command line, the rewrite only reorders
// (adding at most one "--"), keeps the arguments' order among themselves,
// and is stable: rewriting its own output changes nothing.
func FuzzInterspersed(f *testing.F) {
	app := newApp(env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }})
	for _, s := range []string{"lint key.json --region us-east-1", "audit AWSLogs/ --policy key.json -- -x", "eval --requests - -o", "-q lint - -v", "frob -- x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		args := append([]string{"kmslint"}, strings.Fields(line)...)
		got := interspersed(app, args)
		if last := got[len(got)-1]; len(got) < len(args) && isFlag(last) && last != "--" {
			// A value flag without its value ends the line: an error
			// whatever comes before it (TestInterspersed), so the
			// arguments are left out.
			if code, _, errOut := runCLI(t, "", got[1:]...); code != 2 || !strings.Contains(errOut, "flag needs an argument") {
				t.Fatalf("%q -> %q: exit %d: %s", args, got, code, errOut)
			}
			return
		}
		if len(got) != len(args) && len(got) != len(args)+1 {
			t.Fatalf("%q -> %q: length", args, got)
		}
		count := map[string]int{}
		for _, a := range args {
			count[a]++
		}
		for _, a := range got {
			count[a]--
		}
		for a, n := range count {
			if n != 0 && !(a == "--" && n == -1) {
				t.Fatalf("%q -> %q: %q count off by %d", args, got, a, n)
			}
		}
		if again := interspersed(app, got); !slices.Equal(again, got) {
			t.Fatalf("not stable: %q -> %q -> %q", args, got, again)
		}
	})
}
