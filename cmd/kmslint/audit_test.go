package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const auditTrails = "../../internal/audit/testdata/trails/"

func TestAuditCLI(t *testing.T) {
	tests := []struct {
		name     string
		stdin    string
		args     []string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{"healthy passes", "", []string{"audit", auditTrails + "healthy.json"}, 0, "1 info in 1 file (7 records, 7 KMS events, 1 recommendation)", ""},
		{"healthy fails on info", "", []string{"audit", "--fail-on", "info", auditTrails + "healthy.json"}, 1, "AUD007", ""},
		{"intruder is an error", "", []string{"audit", auditTrails + "intruder.json"}, 1, "AUD002", ""},
		{"denial explained", "", []string{"audit", "--policy", "../../internal/audit/testdata/no-service-statement.json", auditTrails + "denied-service.json"}, 1, "no statement of the key policy allows it", ""},
		{"disabled key warns", "", []string{"audit", "--fail-on", "warning", auditTrails + "disabled.json"}, 1, "AUD004", ""},
		{"stdin", readTrail("healthy.json"), []string{"audit", "-"}, 0, "1 info in 1 file (7 records, 7 KMS events, 1 recommendation)", ""},
		{"truncated file reported, rest audited", "", []string{"audit", auditTrails + "truncated"}, 0, "1 input error(s), the rest was audited", "cut.json.gz"},
		{"since after the trail", "", []string{"audit", "--since", "2026-01-06", auditTrails + "healthy.json"}, 0, "0 KMS events", ""},
		{"sarif", "", []string{"audit", "--format", "sarif", auditTrails + "intruder.json"}, 1, `"AUD002"`, ""},
		{"no input", "", []string{"audit"}, 2, "", "audit needs CloudTrail input"},
		{"bad format", "", []string{"audit", "--format", "junit", auditTrails + "healthy.json"}, 2, "", "--format"},
		{"bad since", "", []string{"audit", "--since", "yesterday", auditTrails + "healthy.json"}, 2, "", "--since"},
		{"bad key arn", "", []string{"audit", "--key-arn", "1234", auditTrails + "healthy.json"}, 2, "", "--key-arn"},
		{"bad caller", "", []string{"audit", "--caller", "Bob", auditTrails + "healthy.json"}, 2, "", "--caller"},
		{"missing path", "", []string{"audit", "/nonexistent/trail"}, 2, "", "/nonexistent/trail"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tc.stdin, tc.args...)
			if code != tc.wantCode {
				t.Fatalf("exit = %d, want %d\nstdout: %s\nstderr: %s", code, tc.wantCode, out, errOut)
			}
			if !strings.Contains(out, tc.wantOut) {
				t.Errorf("stdout lacks %q:\n%s", tc.wantOut, out)
			}
			if !strings.Contains(errOut, tc.wantErr) {
				t.Errorf("stderr lacks %q:\n%s", tc.wantErr, errOut)
			}
			if strings.Contains(errOut, "goroutine ") {
				t.Errorf("stack trace on stderr: %s", errOut)
			}
		})
	}
}

func readTrail(name string) string {
	data, err := os.ReadFile(auditTrails + name)
	if err != nil {
		return ""
	}
	return string(data)
}

func TestAuditJSON(t *testing.T) {
	out := filepath.Join(t.TempDir(), "report.json")
	code, _, errOut := runCLI(t, "", "audit", "--format", "json", "-o", out, auditTrails+"truncated", auditTrails+"unfinished.json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Findings []struct {
			Rule              string   `json:"rule"`
			RecommendationARN string   `json:"recommendationArn"`
			EventIDs          []string `json:"eventIds"`
		} `json:"findings"`
		Timelines []struct {
			RecommendationARN string `json:"recommendationArn"`
			Events            []struct {
				Who     string    `json:"who"`
				Outcome string    `json:"outcome"`
				Time    time.Time `json:"time"`
			} `json:"events"`
		} `json:"timelines"`
		InputErrors []struct {
			File   string `json:"file"`
			Record int    `json:"record"`
		} `json:"inputErrors"`
		Summary map[string]int `json:"summary"`
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.InputErrors) != 1 || !strings.HasSuffix(rep.InputErrors[0].File, "cut.json.gz") {
		t.Errorf("inputErrors %+v", rep.InputErrors)
	}
	if rep.Summary["files"] != 3 || rep.Summary["recommendations"] != 2 || rep.Summary["warning"] != 1 {
		t.Errorf("summary %v", rep.Summary)
	}
	found := false
	for _, f := range rep.Findings {
		if f.Rule == "AUD005" && strings.HasSuffix(f.RecommendationARN, "StuckRec-EEEEEEEEEE") && len(f.EventIDs) == 1 {
			found = true
		}
	}
	if !found {
		t.Errorf("no AUD005 on StuckRec: %+v", rep.Findings)
	}
}

func TestParseWhen(t *testing.T) {
	now := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"":                     {},
		"2026-01-02":           time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC),
		"2026-01-02T03:04:05Z": time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		"24h":                  time.Date(2026, 1, 9, 0, 0, 0, 0, time.UTC),
	} {
		got, err := parseWhen(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseWhen(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := parseWhen("-5h", now); err == nil {
		t.Error("a negative duration was accepted")
	}
}
