package lint

import (
	"context"
	"testing"

	"github.com/kmslint/kmslint/internal/agentcore"
	"github.com/kmslint/kmslint/internal/generate"
	"github.com/kmslint/kmslint/internal/report"
)

// TestGeneratedPolicyLintsClean: what `kmslint generate` writes has no
// finding of error or warning severity, whatever the account (the probes'
// default outsider included), region, partition and callers.
func TestGeneratedPolicyLintsClean(t *testing.T) {
	l := newTestLinter(t, Options{})
	for _, o := range []generate.Options{
		{Account: "111122223333", Region: "us-east-1", Callers: []string{"arn:aws:iam::111122223333:role/MyRecommendationRole"}},
		// The account the probes use as an outsider by default.
		{Account: agentcore.ForeignAccount, Region: "us-east-1", Callers: []string{"arn:aws:iam::" + agentcore.ForeignAccount + ":role/MyRecommendationRole"}},
		{Account: "111122223333", Region: "eu-west-1", Callers: []string{"arn:aws:iam::111122223333:role/app/team/Recommender", "arn:aws:iam::111122223333:user/bob"},
			Admins: []string{"arn:aws:iam::111122223333:role/KeyAdmin"}},
		{Account: "111122223333", Region: "us-gov-west-1", Callers: []string{"arn:aws-us-gov:iam::111122223333:role/R"}},
	} {
		for _, form := range []struct {
			name string
			gen  func(generate.Options) ([]byte, error)
		}{{"policy.json", generate.JSON}, {"template.yaml", generate.CloudFormation}} {
			data, err := form.gen(o)
			if err != nil {
				t.Fatal(err)
			}
			docs := loadDocs(t, form.name, data)
			fs, err := l.Lint(context.Background(), docs, Env{Account: o.Account, Region: o.Region, Callers: o.Callers})
			if err != nil {
				t.Fatalf("%s %s: %v", o.Account, form.name, err)
			}
			for _, f := range fs {
				if f.Severity == report.SeverityError || f.Severity == report.SeverityWarning {
					t.Errorf("%s/%s/%v (%s): %s %s", o.Account, o.Region, o.Callers, form.name, f.Rule, f.Message)
				}
			}
		}
	}
}
