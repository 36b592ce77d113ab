package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/kmslint/kmslint/simulator/identity"
	"github.com/kmslint/kmslint/simulator/kms"
	"github.com/kmslint/kmslint/simulator/recommendation"
)

func serveCommand(e env) *cli.Command {
	return &cli.Command{
		Name:      "serve",
		Usage:     "run the fake KMS and AgentCore recommendation API on loopback for other tools' integration tests",
		UsageText: "kmslint serve [--addr 127.0.0.1:PORT] [--state DIR] [--identities FILE] [--trail DIR]",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "addr", Value: kms.DefaultAddr, Usage: "listen `ADDRESS` (loopback unless you say otherwise; port 0 picks a free one)"},
			&cli.StringFlag{Name: "state", Usage: "persist keys, aliases and grants in `DIR` (0600 files, atomic writes)"},
			&cli.StringFlag{Name: "identities", Usage: "identities `FILE` (YAML or JSON; default: a built-in set, printed)"},
			&cli.StringFlag{Name: "trail", Usage: "write CloudTrail files in S3 layout under `DIR`"},
		},
		Action: func(c *cli.Context) error { return runServe(c, e) },
	}
}

func runServe(c *cli.Context, e env) error {
	ids := identity.Default()
	if f := c.String("identities"); f != "" {
		var err error
		if ids, err = identity.Load(f); err != nil {
			return inputErr(err)
		}
	}
	// One endpoint for both services, routed by protocol (CONTRACT.md).
	stack, err := recommendation.Start(recommendation.StackOptions{
		Addr: c.String("addr"),
		KMS: kms.Options{
			Identities: ids,
			StateDir:   c.String("state"), TrailDir: c.String("trail"),
			// A long-running server keeps its trail in files, not in memory.
			NoMemoryTrail: c.String("trail") != "",
		},
	})
	if err != nil {
		return inputErr(err)
	}
	srv := stack.KMS
	out := e.stdout
	fmt.Fprintf(out, "kmslint serve: KMS and AgentCore recommendation endpoint %s\n", stack.Endpoint())
	fmt.Fprintf(out, "account %s, region %s\n", srv.Account(), srv.Region())
	fmt.Fprintln(out, "identities (test credentials, not secrets of any real account):")
	for _, id := range srv.Identities().Identities {
		fmt.Fprintf(out, "  %-60s AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s\n", id.Name(), id.AccessKeyID, id.SecretAccessKey)
	}
	if c.String("identities") == "" {
		fmt.Fprintln(out, "the built-in identities have allow-all IAM policies: the key policy alone decides (give IAM policies with --identities FILE)")
	}
	if d := c.String("trail"); d != "" {
		fmt.Fprintf(out, "CloudTrail files under %s\n", d)
	}
	fmt.Fprintln(out, "Ctrl-C stops the server.")

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sig)
	<-sig
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := stack.Shutdown(ctx); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	fmt.Fprintln(e.stderr, "kmslint serve: stopped; trail flushed")
	return nil
}
