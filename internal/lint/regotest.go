package lint

import (
	"context"
	"fmt"
	"io/fs"
	"sort"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/tester"
)

// TestResult is the outcome of one Rego test_ rule.
type TestResult struct {
	Package string
	Name    string
	File    string
	Line    int
	// Fail is a test that evaluated to false or undefined; Err one that
	// could not be evaluated. Output is what print() wrote.
	Fail   bool
	Err    error
	Output string
}

// RunRegoTests runs every _test.rego of fsys (with the rules beside it)
// through OPA's test runner with the kmslint built-ins, the way `go test`
// checks the embedded rules and a user can check a --rules directory.
func RunRegoTests(ctx context.Context, fsys fs.FS, label string) ([]TestResult, error) {
	rs, ts, err := readRules(fsys, label)
	if err != nil {
		return nil, err
	}
	mods := map[string]*ast.Module{}
	for _, s := range append(rs, ts...) {
		m, err := parseModule(s)
		if err != nil {
			return nil, err
		}
		mods[s.name] = m
	}
	b, err := newBuiltins()
	if err != nil {
		return nil, err
	}
	store := inmem.New()
	txn, err := store.NewTransaction(ctx)
	if err != nil {
		return nil, fmt.Errorf("rego tests: %w", err)
	}
	defer store.Abort(ctx, txn)
	runner := tester.NewRunner().
		SetDefaultRegoVersion(ast.RegoV1).
		AddCustomBuiltins(b.testBuiltins()).
		SetStore(store).
		SetModules(mods).
		RaiseBuiltinErrors(true)
	ch, err := runner.RunTests(ctx, txn)
	if err != nil {
		return nil, fmt.Errorf("rego tests: %w", err)
	}
	var out []TestResult
	for r := range ch {
		tr := TestResult{Package: r.Package, Name: r.Name, Fail: r.Fail, Err: r.Error, Output: string(r.Output)}
		if r.Location != nil {
			tr.File, tr.Line = r.Location.File, r.Location.Row
		}
		out = append(out, tr)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Package != out[j].Package {
			return out[i].Package < out[j].Package
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}
