package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name, doc, wantErr string
		want               Config
	}{
		{"full", "profile: [agentcore-recommendation]\naccount: \"111122223333\"\nregion: us-east-1\ncallers: [arn:aws:iam::111122223333:role/R]\nignore: [ACR008]\nfail-on: warning\n", "",
			Config{Profiles: []string{"agentcore-recommendation"}, Account: "111122223333", Region: "us-east-1", Callers: []string{"arn:aws:iam::111122223333:role/R"}, Ignore: []string{"ACR008"}, FailOn: "warning"}},
		{"org", "org: o-a1b2c3d4e5\n", "", Config{Org: "o-a1b2c3d4e5"}},
		{"empty", "", "", Config{}},
		{"typo is an error with its line", "account: \"1\"\nignores: [ACR008]\n", ".kmslint.yaml:2:1: field ignores not found", Config{}},
		{"not yaml", "account: [\n", ".kmslint.yaml:", Config{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(".kmslint.yaml", []byte(tc.doc))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got.Callers, ",") != strings.Join(tc.want.Callers, ",") || got.Account != tc.want.Account || got.Org != tc.want.Org || got.FailOn != tc.want.FailOn || strings.Join(got.Ignore, ",") != strings.Join(tc.want.Ignore, ",") {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestFind(t *testing.T) {
	top := t.TempDir()
	mk := func(parts ...string) string {
		p := filepath.Join(append([]string{top}, parts...)...)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("region: eu-west-1\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// repo/.git is a directory; work/.git a worktree's file.
	if err := os.MkdirAll(filepath.Join(top, "repo", ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	mk("work", ".git")
	mk(DefaultFile) // above both repositories: never theirs
	rootCfg := mk("repo", DefaultFile)
	nearCfg := mk("repo", "infra", DefaultFile)
	for _, d := range []string{"repo/infra/templates/deep", "repo/docs", "work/a/b", "loose/dir"} {
		if err := os.MkdirAll(filepath.Join(top, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct{ dir, want string }{
		{"repo/infra/templates/deep", nearCfg},
		{"repo/infra", nearCfg},
		{"repo/docs", rootCfg},
		{"repo", rootCfg},
		{"work/a/b", ""},  // the worktree has none; the one above it is not its
		{"loose/dir", ""}, // no repository: only the directory's own
		{"", filepath.Join(top, DefaultFile)},
	}
	for _, tc := range tests {
		got, err := Find(filepath.Join(top, tc.dir))
		if err != nil || got != tc.want {
			t.Errorf("Find(%s) = %q, %v; want %q", tc.dir, got, err, tc.want)
		}
	}
	t.Chdir(filepath.Join(top, "repo", "infra", "templates", "deep"))
	if got, err := Find("."); err != nil || got != "../../.kmslint.yaml" {
		t.Errorf("Find(.) = %q, %v; want the relative path ../../.kmslint.yaml", got, err)
	}
	c, err := Load("", false)
	if err != nil || c.Region != "eu-west-1" || c.Path != "../../.kmslint.yaml" {
		t.Errorf("Load from a subdirectory = %+v, %v", c, err)
	}
}

func TestLoadMissingDefaultIsFine(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if _, err := Load("", false); err != nil {
		t.Fatalf("missing default config: %v", err)
	}
	if _, err := Load(filepath.Join(dir, "named.yaml"), true); err == nil {
		t.Fatal("missing explicit config accepted")
	}
	p := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(p, []byte("region: eu-west-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if c, err := Load(p, true); err != nil || c.Region != "eu-west-1" {
		t.Fatalf("%+v %v", c, err)
	}
}

func TestIgnores(t *testing.T) {
	ig, err := ParseIgnores([]string{"acr008", "KMS006:LegacyKey", "ACR004:templates/*.yaml", "AUD001:arn:aws:kms:us-east-1:111122223333:key/k"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		rule, resource, file string
		want                 bool
	}{
		{"ACR008", "Any", "x.json", true},
		{"KMS006", "LegacyKey", "a.yaml", true},
		{"KMS006", "OtherKey", "a.yaml", false},
		{"ACR004", "K", "templates/key.yaml", true},
		{"ACR004", "K", "other/key.yaml", false},
		{"AUD001", "arn:aws:kms:us-east-1:111122223333:key/k", "", true},
		{"ACR001", "", "", false},
	}
	for _, tc := range tests {
		if got := ig.Match(tc.rule, tc.resource, tc.file); got != tc.want {
			t.Errorf("Match(%s, %s, %s) = %v", tc.rule, tc.resource, tc.file, got)
		}
	}
	for _, bad := range []string{"", ":LegacyKey", "ACR 008", "ACR*", "8ACR", "nonsense thing:x"} {
		if _, err := ParseIgnores([]string{bad}); err == nil {
			t.Errorf("ParseIgnores(%q) accepted", bad)
		}
	}
}
