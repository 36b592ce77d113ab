package report

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// validateSARIF checks what the SARIF 2.1.0 schema requires of the parts
// kmslint writes, plus what GitHub code scanning needs to rank and match
// alerts. It reads the output generically, not through the writer's structs,
// so a misspelt JSON tag fails it.
func validateSARIF(t *testing.T, out []byte, rep *Report) {
	t.Helper()
	var log struct {
		Schema  string `json:"$schema"`
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name           string `json:"name"`
					InformationURI string `json:"informationUri"`
					Rules          []struct {
						ID                   string `json:"id"`
						ShortDescription     *struct{ Text *string }
						FullDescription      *struct{ Text *string }
						Help                 *struct{ Text *string }
						DefaultConfiguration struct{ Level string } `json:"defaultConfiguration"`
						Properties           struct {
							Tags             []string `json:"tags"`
							Precision        string   `json:"precision"`
							SecuritySeverity string   `json:"security-severity"`
						} `json:"properties"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results *[]struct {
				RuleID    string                 `json:"ruleId"`
				RuleIndex *int                   `json:"ruleIndex"`
				Level     string                 `json:"level"`
				Message   struct{ Text *string } `json:"message"`
				Locations *[]struct {
					PhysicalLocation *struct {
						ArtifactLocation struct {
							URI       string `json:"uri"`
							URIBaseID string `json:"uriBaseId"`
						} `json:"artifactLocation"`
						Region *struct {
							StartLine   int `json:"startLine"`
							StartColumn int `json:"startColumn"`
						} `json:"region"`
					} `json:"physicalLocation"`
					LogicalLocations []struct {
						Name string `json:"name"`
						Kind string `json:"kind"`
					} `json:"logicalLocations"`
				} `json:"locations"`
				PartialFingerprints map[string]string `json:"partialFingerprints"`
				Suppressions        []struct {
					Kind string `json:"kind"`
				} `json:"suppressions"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(out, &log); err != nil {
		t.Fatalf("SARIF is not JSON: %v", err)
	}
	if log.Version != "2.1.0" || log.Schema != "https://json.schemastore.org/sarif-2.1.0.json" {
		t.Errorf("version %q, $schema %q", log.Version, log.Schema)
	}
	if len(log.Runs) != 1 {
		t.Fatalf("%d runs, want 1", len(log.Runs))
	}
	run := log.Runs[0]
	if run.Tool.Driver.Name == "" || run.Tool.Driver.InformationURI == "" {
		t.Error("tool.driver lacks name or informationUri")
	}
	levels := map[string]bool{"none": true, "note": true, "warning": true, "error": true}
	ruleIndex := map[string]int{}
	for i, r := range run.Tool.Driver.Rules {
		if r.ID == "" {
			t.Errorf("rule %d has no id", i)
		}
		if _, dup := ruleIndex[r.ID]; dup {
			t.Errorf("rule %s listed twice", r.ID)
		}
		ruleIndex[r.ID] = i
		for name, m := range map[string]*struct{ Text *string }{"shortDescription": r.ShortDescription, "fullDescription": r.FullDescription, "help": r.Help} {
			if m != nil && (m.Text == nil || *m.Text == "") {
				t.Errorf("rule %s: %s without text", r.ID, name)
			}
		}
		if !levels[r.DefaultConfiguration.Level] {
			t.Errorf("rule %s: level %q", r.ID, r.DefaultConfiguration.Level)
		}
		score, err := strconv.ParseFloat(r.Properties.SecuritySeverity, 64)
		if err != nil || score < 0 || score > 10 {
			t.Errorf("rule %s: security-severity %q is not a score from 0 to 10", r.ID, r.Properties.SecuritySeverity)
		}
		if !strings.Contains(strings.Join(r.Properties.Tags, ","), "security") {
			t.Errorf("rule %s: tags %q lack security, so GitHub ignores security-severity", r.ID, r.Properties.Tags)
		}
		switch r.Properties.Precision {
		case "very-high", "high", "medium", "low":
		default:
			t.Errorf("rule %s: precision %q", r.ID, r.Properties.Precision)
		}
	}
	if run.Results == nil {
		t.Fatal("run has no results array (GitHub requires one, even empty)")
	}
	if len(*run.Results) != len(rep.Findings) {
		t.Errorf("%d results for %d findings", len(*run.Results), len(rep.Findings))
	}
	fingerprints := map[string]bool{}
	suppressed := 0
	for i, res := range *run.Results {
		idx, ok := ruleIndex[res.RuleID]
		if !ok {
			t.Errorf("result %d: rule %q not in tool.driver.rules", i, res.RuleID)
		}
		if res.RuleIndex == nil || *res.RuleIndex != idx {
			t.Errorf("result %d: ruleIndex does not point at %s", i, res.RuleID)
		}
		if !levels[res.Level] {
			t.Errorf("result %d: level %q", i, res.Level)
		}
		if res.Message.Text == nil || *res.Message.Text == "" {
			t.Errorf("result %d: no message text", i)
		}
		if res.Locations == nil {
			t.Errorf("result %d: no locations array", i)
		} else {
			for _, loc := range *res.Locations {
				if p := loc.PhysicalLocation; p != nil {
					uri := p.ArtifactLocation.URI
					if uri == "" || strings.Contains(uri, `\`) || (p.ArtifactLocation.URIBaseID != "" && (strings.HasPrefix(uri, "/") || strings.Contains(uri, "://"))) {
						t.Errorf("result %d: bad artifact uri %q (base %q)", i, uri, p.ArtifactLocation.URIBaseID)
					}
					if p.Region != nil && (p.Region.StartLine < 1 || p.Region.StartColumn < 0) {
						t.Errorf("result %d: region %+v", i, *p.Region)
					}
				}
				if loc.PhysicalLocation == nil && len(loc.LogicalLocations) == 0 {
					t.Errorf("result %d: location with neither physical nor logical part", i)
				}
			}
		}
		fp := res.PartialFingerprints[fingerprintKey]
		if fp == "" || fingerprints[fp] {
			t.Errorf("result %d: fingerprint %q missing or repeated", i, fp)
		}
		fingerprints[fp] = true
		for _, s := range res.Suppressions {
			if s.Kind != "external" && s.Kind != "inSource" {
				t.Errorf("result %d: suppression kind %q", i, s.Kind)
			}
		}
		if len(res.Suppressions) > 0 {
			suppressed++
		}
	}
	if want := rep.Counts().Suppressed; suppressed != want {
		t.Errorf("%d suppressed results, want %d", suppressed, want)
	}
}

func TestSARIFValid(t *testing.T) {
	for name, rep := range map[string]*Report{"lint": lintReport(), "audit": auditReport(), "empty": New(KindLint, "dev")} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, FormatSARIF, rep, Options{}); err != nil {
				t.Fatal(err)
			}
			validateSARIF(t, buf.Bytes(), rep)
		})
	}
}

func TestSARIFLogicalLocation(t *testing.T) {
	log := buildSARIF(lintReport(), Options{})
	for _, res := range log.Runs[0].Results {
		if res.RuleID != "ACR009" {
			continue
		}
		loc := res.Locations[0]
		if loc.PhysicalLocation != nil || len(loc.LogicalLocations) != 1 || loc.LogicalLocations[0].Name != liveKey {
			t.Errorf("live-key result location = %+v, want a logical location naming the key", loc)
		}
		return
	}
	t.Fatal("no ACR009 result")
}

func TestSARIFRulesFromFindings(t *testing.T) {
	// A rule that ran without metadata (a --rules directory, say) is still
	// described, from its finding.
	rep := New(KindLint, "dev")
	rep.Findings = []Finding{{Rule: "CUSTOM1", Severity: SeverityWarning, Title: "Custom check", Message: "m", File: "a.json", Line: 1, Column: 1}}
	var buf bytes.Buffer
	if err := Write(&buf, FormatSARIF, rep, Options{}); err != nil {
		t.Fatal(err)
	}
	validateSARIF(t, buf.Bytes(), rep)
	log := buildSARIF(rep, Options{})
	r := log.Runs[0].Tool.Driver.Rules
	if len(r) != 1 || r[0].ID != "CUSTOM1" || r[0].ShortDescription.Text != "Custom check" || r[0].DefaultConfiguration.Level != "warning" {
		t.Errorf("rules = %+v", r)
	}
}

func TestArtifactURI(t *testing.T) {
	base := filepath.FromSlash("/repo")
	tests := []struct {
		file, base   string
		want         string
		wantRelative bool
	}{
		{"templates/key.yaml", "", "templates/key.yaml", true},
		{"./templates/key.yaml", "", "templates/key.yaml", true},
		{filepath.FromSlash("dir/sub/key.json"), "", "dir/sub/key.json", true},
		{"my policies/key.json", "", "my%20policies/key.json", true},
		{"a:b/key.json", "", "./a:b/key.json", true},
		{"100%.json", "", "100%25.json", true},
		{filepath.FromSlash("/repo/policies/key.json"), base, "policies/key.json", true},
		{filepath.FromSlash("/elsewhere/key.json"), base, "file:///elsewhere/key.json", false},
		{filepath.FromSlash("/repo/../x.json"), base, "file:///x.json", false},
		{filepath.FromSlash("/abs/key.json"), "", "file:///abs/key.json", false},
	}
	for _, tt := range tests {
		got, rel := artifactURI(tt.file, tt.base)
		if got != tt.want || rel != tt.wantRelative {
			t.Errorf("artifactURI(%q, %q) = %q, %v; want %q, %v", tt.file, tt.base, got, rel, tt.want, tt.wantRelative)
		}
	}
}

func TestFingerprint(t *testing.T) {
	f := Finding{Rule: "ACR006", File: "a.yaml", Line: 10, Column: 3, Resource: "Key", Statement: "S", Message: "m"}
	fp := func(f Finding) string { return fingerprint(&f, "", map[string]int{}) }
	moved := f
	moved.Line, moved.Column = 42, 9
	if fp(f) != fp(moved) {
		t.Error("fingerprint changed when the finding moved to another line")
	}
	for name, change := range map[string]func(*Finding){
		"rule":      func(f *Finding) { f.Rule = "ACR007" },
		"file":      func(f *Finding) { f.File = "b.yaml" },
		"resource":  func(f *Finding) { f.Resource = "Other" },
		"statement": func(f *Finding) { f.Statement = "T" },
		"message":   func(f *Finding) { f.Message = "n" },
	} {
		g := f
		change(&g)
		if fp(f) == fp(g) {
			t.Errorf("fingerprint ignores the %s", name)
		}
	}
	seen := map[string]int{}
	a, b := fingerprint(&f, "", seen), fingerprint(&moved, "", seen)
	if a == b || !strings.HasSuffix(a, ":1") || !strings.HasSuffix(b, ":2") {
		t.Errorf("repeated findings got %q and %q, want occurrence numbers 1 and 2", a, b)
	}
}

func TestPascalCase(t *testing.T) {
	tests := map[string]string{
		"Service principal open to confused deputy":           "ServicePrincipalOpenToConfusedDeputy",
		"Caller not scoped to this account's recommendations": "CallerNotScopedToThisAccountsRecommendations",
		`Resource other than "*"`:                             "ResourceOtherThan",
		"...IfExists on aws:SourceArn":                        "IfExistsOnAwsSourceArn",
		"":                                                    "",
	}
	for in, want := range tests {
		if got := pascalCase(in); got != want {
			t.Errorf("pascalCase(%q) = %q, want %q", in, got, want)
		}
	}
}
