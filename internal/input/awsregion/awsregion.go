// Package awsregion finds the region the AWS tools are configured for, the
// last source of the recommendations' region when neither --region nor the
// policy gives one: AWS_REGION, AWS_DEFAULT_REGION, then the region of the
// shared-config profile, as the AWS CLI reads them.
// https://docs.aws.amazon.com/sdkref/latest/guide/feature-region.html
package awsregion

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/config"
)

// Default is the configured region, "" when none is. profile is the
// shared-config profile (`--aws-profile`); empty means AWS_PROFILE, then
// "default". getenv reads the environment (AWS_CONFIG_FILE names the config
// file, default ~/.aws/config). A missing or unreadable config file, or a
// profile it lacks, gives "": lint needs no credentials, only a region.
func Default(ctx context.Context, getenv func(string) string, profile string) string {
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION"} {
		if r := getenv(k); r != "" {
			return r
		}
	}
	if profile == "" {
		profile = getenv("AWS_PROFILE")
	}
	if profile == "" {
		profile = "default"
	}
	files := config.DefaultSharedConfigFiles
	if f := getenv("AWS_CONFIG_FILE"); f != "" {
		files = []string{f}
	}
	sc, err := config.LoadSharedConfigProfile(ctx, profile, func(o *config.LoadSharedConfigOptions) {
		o.ConfigFiles = files
		// The region lives in the config file; reading the credentials
		// file too would only widen what can go wrong.
		o.CredentialsFiles = []string{}
	})
	if err != nil {
		return ""
	}
	return sc.Region
}
