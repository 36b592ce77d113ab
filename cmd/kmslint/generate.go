package main

import (
	"github.com/urfave/cli/v2"

	"github.com/kmslint/kmslint/internal/generate"
)

func generateCommand(e env) *cli.Command {
	return &cli.Command{
		Name:      "generate",
		Usage:     "print the minimal compliant key policy for AgentCore recommendations",
		UsageText: "kmslint generate --account ID --region R --caller ARN [--caller ARN]... [--admin ARN]... [--format json|cloudformation|terraform]",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "account", Usage: "account `ID` of the recommendations and the key", Required: true},
			&cli.StringFlag{Name: "region", Usage: "`REGION` of the recommendations and the key (default: AWS_REGION)"},
			&cli.StringSliceFlag{Name: "caller", Usage: "IAM role or user `ARN` that calls StartRecommendation", Required: true},
			&cli.StringSliceFlag{Name: "admin", Usage: "key administrator `ARN` (default: the account root, so IAM policies decide)"},
			&cli.StringFlag{Name: "format", Value: "json", Usage: "json, cloudformation or terraform"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write to `FILE` instead of stdout"},
		},
		Action: func(c *cli.Context) error {
			region := c.String("region")
			if region == "" {
				region = e.getenv("AWS_REGION")
			}
			if region == "" {
				return inputErrf("generate needs --region (or AWS_REGION)")
			}
			o := generate.Options{Account: c.String("account"), Region: region,
				Callers: c.StringSlice("caller"), Admins: c.StringSlice("admin")}
			var out []byte
			var err error
			switch c.String("format") {
			case "json":
				out, err = generate.JSON(o)
			case "cloudformation":
				out, err = generate.CloudFormation(o)
			case "terraform":
				out, err = generate.Terraform(o)
			default:
				return inputErrf("--format %q: want json, cloudformation or terraform", c.String("format"))
			}
			if err != nil {
				return inputErr(err)
			}
			return writeOutput(c.String("output"), out, e)
		},
	}
}
