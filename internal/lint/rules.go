package lint

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/kmslint/kmslint/internal/report"
)

// rulePrefix is the package every rule lives under.
const rulePrefix = "kmslint.rules."

// RuleDoc is a rule's METADATA: what `kmslint rules` and `explain` show.
type RuleDoc struct {
	report.RuleMeta
	Example string
	// Package is the Rego package, e.g. "kmslint.rules.acr001".
	Package string
	// File is where the rule was read from.
	File string
}

// source is one .rego file.
type source struct {
	name string
	text string
}

// readRules reads every .rego file of fsys (top level only, like go:embed
// *.rego), split into rules and tests by the _test.rego suffix.
func readRules(fsys fs.FS, label string) (rules, tests []source, err error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, nil, fmt.Errorf("read rules %s: %w", label, err)
	}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".rego") {
			continue
		}
		b, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, nil, fmt.Errorf("read rule %s: %w", path.Join(label, e.Name()), err)
		}
		s := source{name: filepath.Join(label, e.Name()), text: string(b)}
		if strings.HasSuffix(e.Name(), "_test.rego") {
			tests = append(tests, s)
		} else {
			rules = append(rules, s)
		}
	}
	return rules, tests, nil
}

func dirFS(dir string) fs.FS { return os.DirFS(dir) }

func parseModule(s source) (*ast.Module, error) {
	m, err := ast.ParseModuleWithOpts(s.name, s.text, ast.ParserOptions{ProcessAnnotation: true, RegoVersion: ast.RegoV1})
	if err != nil {
		return nil, fmt.Errorf("parse rule %s: %w", s.name, err)
	}
	return m, nil
}

// ruleDoc reads a rule module's package METADATA and checks the contract:
// a package under kmslint.rules, an id, a valid severity, a findings rule.
func ruleDoc(m *ast.Module, file string) (RuleDoc, error) {
	pkg := strings.TrimPrefix(m.Package.Path.String(), "data.")
	d := RuleDoc{Package: pkg, File: file}
	if !strings.HasPrefix(pkg, rulePrefix) {
		return d, fmt.Errorf("rule %s: package %s is not under %s", file, pkg, strings.TrimSuffix(rulePrefix, "."))
	}
	var ann *ast.Annotations
	for _, a := range m.Annotations {
		if a.Scope == "package" {
			ann = a
		}
	}
	if ann == nil {
		return d, fmt.Errorf("rule %s: no package METADATA block", file)
	}
	str := func(k string) string {
		if v, ok := ann.Custom[k]; ok {
			return strings.TrimSpace(fmt.Sprint(v))
		}
		return ""
	}
	d.ID, d.Title, d.Description = str("id"), ann.Title, strings.TrimSpace(ann.Description)
	d.Profile, d.Fix, d.Example = str("profile"), str("fix"), str("example")
	if d.ID == "" {
		return d, fmt.Errorf("rule %s: METADATA custom.id missing", file)
	}
	sev, err := report.ParseSeverity(str("severity"))
	if err != nil {
		return d, fmt.Errorf("rule %s: METADATA custom.severity: %w", file, err)
	}
	d.Severity = sev
	found := false
	for _, r := range m.Rules {
		if r.Head.Name.String() == "findings" || (len(r.Head.Reference) > 0 && r.Head.Reference[0].Value.Compare(ast.Var("findings")) == 0) {
			found = true
			break
		}
	}
	if !found {
		return d, fmt.Errorf("rule %s: no `findings` rule", file)
	}
	return d, nil
}

func sortDocs(d []RuleDoc) {
	sort.Slice(d, func(i, j int) bool { return d[i].ID < d[j].ID })
}
