package main

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/kmslint/kmslint/internal/audit"
	"github.com/kmslint/kmslint/internal/config"
	"github.com/kmslint/kmslint/internal/lint"
	"github.com/kmslint/kmslint/internal/report"
	"github.com/kmslint/kmslint/internal/suggest"
)

// catalogue is every rule kmslint knows, sorted by id: the lint rules the
// linter loaded (built-in and --rules DIR) and the audit rules, whose
// metadata lives with internal/audit.
func catalogue(linter *lint.Linter) []lint.RuleDoc {
	var docs []lint.RuleDoc
	for _, r := range linter.Rules() {
		d, _ := linter.Rule(r.ID)
		docs = append(docs, d)
	}
	docs = append(docs, audit.Docs()...)
	slices.SortFunc(docs, func(a, b lint.RuleDoc) int { return strings.Compare(a.ID, b.ID) })
	return docs
}

func ruleMetas(docs []lint.RuleDoc) []report.RuleMeta {
	out := make([]report.RuleMeta, len(docs))
	for i, d := range docs {
		out[i] = d.RuleMeta
	}
	return out
}

func findRule(docs []lint.RuleDoc, id string) (lint.RuleDoc, bool) {
	for _, d := range docs {
		if strings.EqualFold(d.ID, id) {
			return d, true
		}
	}
	return lint.RuleDoc{}, false
}

// unknownRule is the error for a rule id that no rule has; spec is what
// the user wrote (an --ignore may add :RESOURCE).
func unknownRule(what, spec, id string, docs []lint.RuleDoc) error {
	ids := make([]string, len(docs))
	for i, d := range docs {
		ids[i] = d.ID
	}
	msg := fmt.Sprintf("%s %q: unknown rule %s", what, spec, id)
	if near, ok := suggest.Nearest(id, ids); ok {
		msg += "; did you mean " + near + "?"
	}
	return inputErrf("%s (see kmslint rules)", msg)
}

// profileNone selects the hygiene rules only.
const profileNone = "none"

// requirementProfiles are the --profile values the loaded rules answer to:
// the profiles their metadata names, besides "hygiene" (always on) and
// "audit" (the audit rules), plus "none".
func requirementProfiles(docs []lint.RuleDoc) []string {
	known := []string{lint.ProfileRecommendation, profileNone}
	for _, d := range docs {
		if p := d.Profile; p != "" && p != "hygiene" && p != "audit" && !slices.Contains(known, p) {
			known = append(known, p)
		}
	}
	slices.Sort(known)
	return known
}

// checkProfiles refuses a requirement profile no rule has: an unknown
// profile would silently switch every profile rule off. `--profile prod`
// is usually the AWS CLI's --profile, so that is suggested unless the value
// looks like a typo of a requirement profile. from names where the values
// came from (--profile or the config file).
func checkProfiles(from string, given []string, docs []lint.RuleDoc) error {
	known := requirementProfiles(docs)
	for _, p := range given {
		if slices.Contains(known, p) {
			continue
		}
		msg := fmt.Sprintf("%s %q: unknown requirement profile (known: %s)", from, p, strings.Join(known, ", "))
		if near, ok := suggest.Nearest(p, known); ok {
			msg += "; did you mean " + near + "?"
		} else {
			msg += fmt.Sprintf("; for the AWS shared-config profile %s use --aws-profile %s", p, p)
		}
		return inputErrf("%s", msg)
	}
	return nil
}

// checkIgnores refuses suppressions of rules that do not exist: a typo
// would otherwise suppress nothing, silently.
func checkIgnores(from string, specs []string, docs []lint.RuleDoc) error {
	for _, s := range specs {
		rule, _, _ := strings.Cut(strings.TrimSpace(s), ":")
		if _, ok := findRule(docs, rule); !ok {
			return unknownRule(from, s, rule, docs)
		}
	}
	return nil
}

// checkLintRules validates what lint was told about rules and profiles
// against the rules it loaded: --profile, --ignore and the config file's
// profile and ignore.
func checkLintRules(profiles, ignores []string, cfg config.Config, linter *lint.Linter) error {
	docs := catalogue(linter)
	if err := checkProfiles("--profile", profiles, docs); err != nil {
		return err
	}
	if err := checkProfiles(cfg.Path+": profile", cfg.Profiles, docs); err != nil {
		return err
	}
	if err := checkIgnores("--ignore", ignores, docs); err != nil {
		return err
	}
	return checkIgnores(cfg.Path+": ignore", cfg.Ignore, docs)
}

// checkRuleDirs says plainly that a --rules directory is missing or is no
// directory, before the rule loader reports it in its own terms.
func checkRuleDirs(dirs []string) error {
	for _, d := range dirs {
		fi, err := os.Stat(d)
		switch {
		case err != nil:
			return inputErrf("--rules %s: %v", d, unwrapPathError(err))
		case !fi.IsDir():
			return inputErrf("--rules %s: not a directory (--rules takes a directory of .rego files)", d)
		}
	}
	return nil
}
