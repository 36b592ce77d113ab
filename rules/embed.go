// Package rules holds kmslint's built-in Rego rules. Each rule is one
// <id>.rego file with a METADATA block and its <id>_test.rego; the lint
// package compiles the rules and runs the tests (go test ./internal/lint).
package rules

import "embed"

// FS holds every rule and test file; lint splits them by the _test.rego
// suffix, so adding a rule is adding two files here.
//
//go:embed *.rego
var FS embed.FS
