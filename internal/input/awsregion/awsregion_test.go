package awsregion

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

func TestDefault(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config")
	if err := os.WriteFile(cfg, []byte("[default]\nregion = eu-west-1\n\n[profile prod]\nregion = ap-southeast-2\n\n[profile noregion]\noutput = json\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "nope")
	tests := []struct {
		name    string
		env     map[string]string
		profile string
		want    string
	}{
		{"AWS_REGION first", map[string]string{"AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-west-2", "AWS_CONFIG_FILE": cfg}, "", "us-east-1"},
		{"then AWS_DEFAULT_REGION", map[string]string{"AWS_DEFAULT_REGION": "us-west-2", "AWS_CONFIG_FILE": cfg}, "", "us-west-2"},
		{"then the default profile", map[string]string{"AWS_CONFIG_FILE": cfg}, "", "eu-west-1"},
		{"AWS_PROFILE", map[string]string{"AWS_CONFIG_FILE": cfg, "AWS_PROFILE": "prod"}, "", "ap-southeast-2"},
		{"--aws-profile beats AWS_PROFILE", map[string]string{"AWS_CONFIG_FILE": cfg, "AWS_PROFILE": "noregion"}, "prod", "ap-southeast-2"},
		{"profile without region", map[string]string{"AWS_CONFIG_FILE": cfg}, "noregion", ""},
		{"unknown profile", map[string]string{"AWS_CONFIG_FILE": cfg}, "nope", ""},
		{"no config file", map[string]string{"AWS_CONFIG_FILE": missing}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Default(context.Background(), func(k string) string { return tt.env[k] }, tt.profile)
			if got != tt.want {
				t.Errorf("region %q, want %q", got, tt.want)
			}
		})
	}
}
