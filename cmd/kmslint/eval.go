package main

import (
	"io"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/kmslint/kmslint/internal/authz"
	"github.com/kmslint/kmslint/internal/evalio"
	"github.com/kmslint/kmslint/internal/kmsaction"
	"github.com/kmslint/kmslint/internal/policy"
)

func evalCommand(e env) *cli.Command {
	return &cli.Command{
		Name:      "eval",
		Usage:     "one authorization decision (or a batch) for a KMS key policy",
		UsageText: "kmslint eval --policy FILE --principal P --action A [--context KEY=VALUE]... [--exit-code]\nkmslint eval --policy FILE --requests FILE|- [--exit-code]",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "policy", Usage: "key policy `FILE` (JSON)", Required: true},
			&cli.StringFlag{Name: "principal", Usage: "IAM user/role ARN, assumed-role session ARN, account id, service:NAME or anonymous"},
			&cli.StringFlag{Name: "action", Usage: "KMS action, e.g. kms:Decrypt"},
			&cli.StringSliceFlag{Name: "context", Usage: "condition key `KEY=VALUE`; a key given twice is multivalued"},
			&cli.StringSliceFlag{Name: "identity-policy", Usage: "IAM policy `FILE` of the principal (root delegation)"},
			&cli.StringFlag{Name: "resource", Usage: "key `ARN` (default: a key in the account the policy's root principal names)"},
			&cli.StringFlag{Name: "requests", Usage: "JSON-lines `FILE` of requests {\"principal\",\"action\",\"resource\",\"context\"} (- for stdin); one decision per line out"},
			&cli.StringFlag{Name: "format", Value: "text", Usage: "text or json"},
			&cli.BoolFlag{Name: "exit-code", Usage: "exit 1 when a decision is ExplicitDeny or ImplicitDeny (like git diff --exit-code)"},
		},
		Action: func(c *cli.Context) error {
			return runEval(c, e)
		},
	}
}

func runEval(c *cli.Context, e env) error {
	format := c.String("format")
	if format != "text" && format != "json" {
		return inputErrf("--format %q: want text or json", format)
	}
	if c.Args().Len() > 0 {
		return inputErrf("eval takes no arguments (got %q)", c.Args().First())
	}
	keyPol, err := readPolicy(c.String("policy"), e, false)
	if err != nil {
		return err
	}
	engine := &authz.Engine{}
	if engine.Key, err = authz.Compile("key policy", keyPol); err != nil {
		return inputErr(err)
	}
	for _, f := range c.StringSlice("identity-policy") {
		ip, err := readPolicy(f, e, true)
		if err != nil {
			return err
		}
		cp, err := authz.Compile(f, ip)
		if err != nil {
			return inputErr(err)
		}
		engine.Identity = append(engine.Identity, cp)
	}
	tmpl := evalio.RequestTemplate{Resource: c.String("resource")}

	if src := c.String("requests"); src != "" {
		if c.IsSet("principal") || c.IsSet("action") || c.IsSet("context") {
			return inputErrf("--requests reads principal, action and context from each line: drop --principal/--action/--context")
		}
		if tmpl.Resource == "" {
			tmpl.Resource = evalio.DefaultResource(keyPol, "")
		}
		var r io.Reader = e.stdin
		name := "<stdin>"
		if src != "-" {
			f, err := os.Open(src)
			if err != nil {
				return inputErr(err)
			}
			defer f.Close()
			r, name = f, src
		}
		stats, err := evalio.Batch(name, r, e.stdout, engine, tmpl, 0)
		if err != nil {
			return inputErr(err)
		}
		if c.Bool("exit-code") && stats.Denied > 0 {
			return errFindings
		}
		return nil
	}

	if !c.IsSet("principal") || !c.IsSet("action") {
		return inputErrf("eval needs --principal and --action (or --requests FILE)")
	}
	p, err := authz.ParsePrincipal(c.String("principal"))
	if err != nil {
		return inputErrf("--principal: %v", err)
	}
	if msg := kmsaction.Problem(c.String("action")); msg != "" {
		return inputErrf("--action %q: %s", c.String("action"), msg)
	}
	ctx := authz.NewContext()
	for _, kv := range c.StringSlice("context") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return inputErrf("--context %q: want KEY=VALUE", kv)
		}
		ctx.Add(k, v)
	}
	if tmpl.Resource == "" {
		tmpl.Resource = evalio.DefaultResource(keyPol, p.Account)
	}
	req := authz.Request{Principal: p, Action: c.String("action"), Resource: tmpl.Resource, Context: ctx}
	res := engine.Decide(&req)
	if format == "json" {
		out := evalio.AppendResultJSON(nil, &res)
		if _, err := e.stdout.Write(append(out, '\n')); err != nil {
			return err
		}
	} else {
		g := globalsOf(c, e)
		if err := evalio.WriteText(e.stdout, &res, !g.noColor && isTerminal(e.stdout)); err != nil {
			return err
		}
	}
	if c.Bool("exit-code") && res.Decision != authz.Allow {
		return errFindings
	}
	return nil
}

// readPolicy reads and parses a policy file ("-" is stdin). A file that is
// not JSON, or a policy AWS would reject, is an input error (exit 2).
func readPolicy(file string, e env, identity bool) (*policy.Policy, error) {
	data, name, err := readInput(file, e)
	if err != nil {
		return nil, err
	}
	parse := policy.ParseKeyPolicy
	if identity {
		parse = policy.ParseIdentityPolicy
	}
	p, err := parse(name, data)
	if err != nil {
		return nil, inputErr(err)
	}
	for _, pr := range p.Problems {
		if pr.Rule == "KMS001" {
			return nil, inputErrf("%s:%d:%d: %s", name, pr.Pos.Line, pr.Pos.Col, pr.Message)
		}
	}
	return p, nil
}

// readInput reads a file, or stdin for "-".
func readInput(file string, e env) ([]byte, string, error) {
	if file == "-" {
		data, err := io.ReadAll(e.stdin)
		if err != nil {
			return nil, "<stdin>", inputErrf("<stdin>: %v", err)
		}
		return data, "<stdin>", nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, file, inputErrf("%s: %v", file, unwrapPathError(err))
	}
	return data, file, nil
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
