package report

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
)

// The SARIF writer uses its own structs rather than a SARIF library: the
// subset kmslint emits is small, and plain structs give a fixed member order
// and no empty placeholder arrays, which keeps golden files readable.
//
// GitHub code scanning reads the SARIF properties used here as documented in
// https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning

const (
	sarifSchema    = "https://json.schemastore.org/sarif-2.1.0.json"
	sarifVersion   = "2.1.0"
	informationURI = "https://github.com/kmslint/kmslint"
	srcRoot        = "%SRCROOT%"
	// fingerprintKey names kmslint's partial fingerprint; bump the version
	// if what goes into the hash changes, so old alerts are not mismatched.
	fingerprintKey = "kmslint/v1"
)

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool sarifTool `json:"tool"`
	// Invocations are written only to report input errors, as
	// notifications of an execution that did not succeed.
	Invocations []sarifInvocation `json:"invocations,omitempty"`
	Results     []sarifResult     `json:"results"`
	// Columns are counted in characters, not in the UTF-16 code units that
	// SARIF assumes by default.
	ColumnKind string `json:"columnKind"`
}

type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications"`
}

type sarifNotification struct {
	Level     string          `json:"level"`
	Message   sarifMessage    `json:"message"`
	Locations []sarifLocation `json:"locations,omitempty"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string            `json:"id"`
	Name                 string            `json:"name,omitempty"`
	ShortDescription     *sarifMessage     `json:"shortDescription,omitempty"`
	FullDescription      *sarifMessage     `json:"fullDescription,omitempty"`
	Help                 *sarifMessage     `json:"help,omitempty"`
	HelpURI              string            `json:"helpUri,omitempty"`
	DefaultConfiguration sarifRuleConfig   `json:"defaultConfiguration"`
	Properties           sarifRuleProperty `json:"properties"`
}

type sarifMessage struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifRuleConfig struct {
	Level string `json:"level"`
}

type sarifRuleProperty struct {
	Tags []string `json:"tags"`
	// Precision and security-severity are what GitHub ranks alerts by; it
	// reads security-severity only when tags include "security".
	Precision        string `json:"precision"`
	SecuritySeverity string `json:"security-severity"`
}

type sarifResult struct {
	RuleID              string               `json:"ruleId"`
	RuleIndex           int                  `json:"ruleIndex"`
	Level               string               `json:"level"`
	Message             sarifMessage         `json:"message"`
	Locations           []sarifLocation      `json:"locations"`
	PartialFingerprints map[string]string    `json:"partialFingerprints"`
	Suppressions        []sarifSuppression   `json:"suppressions"`
	Properties          *sarifResultProperty `json:"properties,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation *sarifPhysicalLocation `json:"physicalLocation,omitempty"`
	LogicalLocations []sarifLogicalLocation `json:"logicalLocations,omitempty"`
}

type sarifPhysicalLocation struct {
	ArtifactLocation sarifArtifactLocation `json:"artifactLocation"`
	Region           *sarifRegion          `json:"region,omitempty"`
}

type sarifArtifactLocation struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

type sarifLogicalLocation struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName,omitempty"`
	Kind               string `json:"kind"`
}

type sarifSuppression struct {
	Kind string `json:"kind"`
}

type sarifResultProperty struct {
	Resource          string    `json:"resource,omitempty"`
	Statement         string    `json:"statement,omitempty"`
	Evidence          *Evidence `json:"evidence,omitempty"`
	RecommendationARN string    `json:"recommendationArn,omitempty"`
	EventIDs          []string  `json:"eventIds,omitempty"`
}

func writeSARIF(w io.Writer, rep *Report, opts Options) error {
	return encodeJSON(w, buildSARIF(rep, opts))
}

func buildSARIF(rep *Report, opts Options) sarifLog {
	findings := rep.sorted()
	rules := newRuleSet(rep, findings)
	driver := sarifDriver{
		Name:           rep.Tool.Name,
		Version:        rep.Tool.Version,
		InformationURI: informationURI,
		Rules:          make([]sarifRule, len(rules.rules)),
	}
	if driver.Name == "" {
		driver.Name = "kmslint"
	}
	for i, r := range rules.rules {
		driver.Rules[i] = sarifRuleFor(r)
	}
	results := make([]sarifResult, len(findings))
	seen := make(map[string]int, len(findings))
	for i := range findings {
		f := &findings[i]
		results[i] = sarifResult{
			RuleID:    f.Rule,
			RuleIndex: rules.index[f.Rule],
			Level:     sarifLevel(f.Severity),
			Message:   sarifMessage{Text: f.Message},
			Locations: sarifLocations(f, opts.BaseDir),
			// GitHub matches alerts across runs by this; an occurrence
			// number keeps identical findings apart without using the line,
			// which moves whenever the file is edited above it.
			PartialFingerprints: map[string]string{fingerprintKey: fingerprint(f, opts.BaseDir, seen)},
			Suppressions:        []sarifSuppression{},
			Properties:          sarifProperties(f),
		}
		if f.Suppressed {
			results[i].Suppressions = []sarifSuppression{{Kind: "external"}}
		}
	}
	return sarifLog{
		Schema:  sarifSchema,
		Version: sarifVersion,
		Runs: []sarifRun{{
			Tool:        sarifTool{Driver: driver},
			Invocations: sarifInvocations(rep.inputErrors(), opts.BaseDir),
			Results:     results,
			ColumnKind:  "unicodeCodePoints",
		}},
	}
}

// sarifInvocations reports input errors as error notifications of an
// execution that did not succeed (SARIF 2.1.0 §3.20.21), each at its file.
func sarifInvocations(errs []InputError, baseDir string) []sarifInvocation {
	if len(errs) == 0 {
		return nil
	}
	inv := sarifInvocation{ToolExecutionNotifications: make([]sarifNotification, 0, len(errs))}
	for _, e := range errs {
		f := Finding{File: e.File, Line: e.Line, Column: e.Column}
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sarifNotification{
			Level: "error", Message: sarifMessage{Text: e.Error}, Locations: sarifLocations(&f, baseDir),
		})
	}
	return []sarifInvocation{inv}
}

func sarifRuleFor(r RuleMeta) sarifRule {
	sr := sarifRule{
		ID:                   r.ID,
		Name:                 pascalCase(r.Title),
		HelpURI:              r.HelpURI,
		DefaultConfiguration: sarifRuleConfig{Level: sarifLevel(r.Severity)},
		Properties: sarifRuleProperty{
			Tags:             []string{"security", "kms"},
			Precision:        "very-high",
			SecuritySeverity: securitySeverity(r.Severity),
		},
	}
	if r.Profile != "" {
		sr.Properties.Tags = append(sr.Properties.Tags, r.Profile)
	}
	if r.Title != "" {
		sr.ShortDescription = &sarifMessage{Text: r.Title}
	}
	if r.Description != "" {
		sr.FullDescription = &sarifMessage{Text: r.Description}
	}
	if r.Description != "" || r.Fix != "" {
		var text, md []string
		if r.Description != "" {
			text = append(text, r.Description)
			md = append(md, r.Description)
		}
		if r.Fix != "" {
			text = append(text, "Fix: "+r.Fix)
			md = append(md, "**Fix:** "+r.Fix)
		}
		if r.HelpURI != "" {
			md = append(md, "[More information]("+r.HelpURI+")")
		}
		sr.Help = &sarifMessage{Text: strings.Join(text, "\n\n"), Markdown: strings.Join(md, "\n\n")}
	}
	return sr
}

func sarifLocations(f *Finding, baseDir string) []sarifLocation {
	if f.File != "" {
		uri, relative := artifactURI(f.File, baseDir)
		loc := sarifPhysicalLocation{ArtifactLocation: sarifArtifactLocation{URI: uri}}
		if relative {
			loc.ArtifactLocation.URIBaseID = srcRoot
		}
		if f.Line > 0 {
			loc.Region = &sarifRegion{StartLine: f.Line, StartColumn: f.Column}
		}
		return []sarifLocation{{PhysicalLocation: &loc}}
	}
	if f.Resource != "" {
		logical := sarifLogicalLocation{Name: f.Resource, FullyQualifiedName: f.Resource, Kind: "resource"}
		if f.Statement != "" {
			logical.FullyQualifiedName += "/" + f.Statement
		}
		return []sarifLocation{{LogicalLocations: []sarifLogicalLocation{logical}}}
	}
	return []sarifLocation{}
}

func sarifProperties(f *Finding) *sarifResultProperty {
	p := sarifResultProperty{
		Resource:          f.Resource,
		Statement:         f.Statement,
		Evidence:          f.Evidence,
		RecommendationARN: f.RecommendationARN,
		EventIDs:          f.EventIDs,
	}
	if p.Resource == "" && p.Statement == "" && p.Evidence == nil && p.RecommendationARN == "" && len(p.EventIDs) == 0 {
		return nil
	}
	return &p
}

// artifactURI turns a finding's file into a SARIF artifact URI: relative
// with forward slashes (to be resolved against %SRCROOT%) when possible,
// else an absolute file:// URI.
func artifactURI(file, baseDir string) (uri string, relative bool) {
	p := filepath.Clean(file)
	if filepath.IsAbs(p) && baseDir != "" {
		if rel, err := filepath.Rel(baseDir, p); err == nil && rel != ".." &&
			!strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			p = rel
		}
	}
	if filepath.IsAbs(p) {
		path := filepath.ToSlash(p)
		if !strings.HasPrefix(path, "/") { // C:/x on Windows
			path = "/" + path
		}
		return (&url.URL{Scheme: "file", Path: path}).String(), false
	}
	path := filepath.ToSlash(p)
	escaped := (&url.URL{Path: path}).EscapedPath()
	// A colon in the first segment would read as a URI scheme.
	if first, _, _ := strings.Cut(escaped, "/"); strings.Contains(first, ":") {
		escaped = "./" + escaped
	}
	return escaped, true
}

// fingerprint hashes what identifies a finding regardless of where in the
// file it moved, numbering repeats in output order.
func fingerprint(f *Finding, baseDir string, seen map[string]int) string {
	uri := ""
	if f.File != "" {
		uri, _ = artifactURI(f.File, baseDir)
	}
	h := sha256.New()
	for _, s := range []string{f.Rule, uri, f.Resource, f.Statement, f.Message} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	sum := hex.EncodeToString(h.Sum(nil)[:16])
	seen[sum]++
	return sum + ":" + strconv.Itoa(seen[sum])
}

func sarifLevel(s Severity) string {
	switch s {
	case SeverityError:
		return "error"
	case SeverityWarning:
		return "warning"
	}
	return "note"
}

// securitySeverity maps a severity onto GitHub's score bands (9.0+ critical,
// 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low). kmslint's three severities
// take high, medium and low; nothing is critical because a finding is a
// policy flaw to fix, not an exploit in progress.
func securitySeverity(s Severity) string {
	switch s {
	case SeverityError:
		return "8.0"
	case SeverityWarning:
		return "5.0"
	}
	return "2.0"
}

// pascalCase turns a title into the identifier-like name SARIF expects:
// "Service principal open to confused deputy" -> "ServicePrincipalOpenToConfusedDeputy".
func pascalCase(title string) string {
	var b strings.Builder
	title = strings.NewReplacer("'", "", "’", "").Replace(title)
	for _, word := range strings.FieldsFunc(title, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		r := []rune(word)
		b.WriteString(strings.ToUpper(string(r[0])) + string(r[1:]))
	}
	return b.String()
}
