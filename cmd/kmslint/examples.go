package main

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// examples are the command lines each command's --help shows under
// EXAMPLES. TestDocumentedCommands runs every one of them, as typed, against
// the fixtures in testdata/readme, so they must work as written.
var examples = map[string][]string{
	"lint": {
		"kmslint lint key.json --account 111122223333 --region us-east-1",
		"kmslint lint templates/ --format sarif -o kmslint.sarif",
		"kmslint lint --key-arn alias/recommendations --aws-profile prod",
	},
	"eval": {
		"kmslint eval --policy key.json --principal arn:aws:iam::111122223333:role/MyRecommendationRole --action kms:DescribeKey",
		"kmslint eval --policy key.json --requests requests.jsonl --exit-code > decisions.jsonl",
	},
	"audit": {
		"kmslint audit AWSLogs/ --policy key.json",
		"kmslint audit --emit-sql athena > q.sql",
	},
	"generate": {
		"kmslint generate --account 111122223333 --region us-east-1 --caller arn:aws:iam::111122223333:role/MyRecommendationRole > key.json",
	},
	"simulate": {
		"kmslint simulate --policy key.json --scenario all",
	},
	"rules":   {"kmslint rules --format json"},
	"explain": {"kmslint explain ACR006"},
	"serve":   {"kmslint serve --addr 127.0.0.1:0 --trail trail/"},
}

// withExamples appends the EXAMPLES section to a command's help.
func withExamples(c *cli.Command) {
	ex := examples[c.Name]
	if len(ex) == 0 {
		return
	}
	tmpl := c.CustomHelpTemplate
	if tmpl == "" {
		tmpl = cli.CommandHelpTemplate
	}
	// The lines are template text: they must hold no template action.
	c.CustomHelpTemplate = strings.TrimRight(tmpl, "\n") + "\n\nEXAMPLES:\n   " + strings.Join(ex, "\n   ") + "\n"
}
