package cloudtrail

import "testing"

func TestSkipReason(t *testing.T) {
	const notLog = "not a .json, .jsonl or .ndjson file (optionally .gz)"
	for _, tt := range []struct {
		full, rel string
		dir       bool
		want      string
	}{
		{full: "b/AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/02/111122223333_CloudTrail_us-east-1_20240102T0005Z_abc.json.gz"},
		{full: "AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail/us-east-1/2024/01/02/x.json.gz"},
		{full: "AWSLogs/111122223333/CloudTrail-Insight/us-east-1/2024/01/02/x.json.gz"},
		{full: "AWSLogs/111122223333/CloudTrail", dir: true},
		{full: "AWSLogs/111122223333/CloudTrail-Digest", dir: true, want: "CloudTrail digest files"},
		{full: "AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail-Digest/us-east-1/x.json.gz", want: "CloudTrail digest files"},
		{full: "flat/111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20240102T000000Z.json.gz", want: "CloudTrail digest file"},
		{full: "AWSLogs/111122223333/Config", dir: true, want: "not CloudTrail logs (AWSLogs/.../Config)"},
		{full: "AWSLogs/o-a1b2c3d4e5/111122223333/elasticloadbalancing/x.json.gz", want: "not CloudTrail logs (AWSLogs/.../elasticloadbalancing)"},
		{full: "AWSLogs/111122223333/x.json"}, // too shallow to tell the service
		{full: "AWSLogs/notanaccount/Config/x.json"},
		{full: "exports/events.JSONL"},
		{full: "exports/events.ndjson.gz"},
		{full: "exports/events.json.GZ"},
		{full: "exports/events.gz", want: notLog},
		{full: "exports/README", want: notLog},
		{full: "/home/u/.cache/trail/x.json", rel: "x.json"},
		{full: "trail/.git", rel: ".git", dir: true, want: "hidden"},
		{full: "trail/.x.json", rel: ".x.json", want: "hidden"},
		{full: "trail/../x.json", rel: "../x.json"},
	} {
		rel := tt.rel
		if rel == "" {
			rel = tt.full
		}
		if got := skipReason(tt.full, rel, tt.dir); got != tt.want {
			t.Errorf("skipReason(%q, %q, %v) = %q, want %q", tt.full, rel, tt.dir, got, tt.want)
		}
	}
}
