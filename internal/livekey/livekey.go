// Package livekey reads a KMS key as it is in an AWS account (its metadata,
// key policy and grants) for `kmslint lint --key-arn`. It makes read-only
// calls only: DescribeKey, GetKeyPolicy and ListGrants.
//
// Configuration is loaded the standard way (aws-sdk-go-v2/config:
// environment, shared config and credentials files, profiles, SSO, IMDS),
// and every KMS call goes to the key's own region, taken from its ARN.
// Failures a user can act on come back as *Error with a Kind and a one-line
// message that says what to do.
package livekey

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/kmslint/kmslint/internal/arn"
)

// Options configure a Fetcher.
type Options struct {
	// Profile is the shared-config profile (`--aws-profile`). When set it
	// wins over credentials in the environment, as with the AWS CLI's
	// --profile; empty means AWS_PROFILE, then "default".
	Profile string
	// EndpointURL overrides the KMS endpoint (`--endpoint-url`), e.g. a
	// `kmslint serve`; empty means AWS_ENDPOINT_URL_KMS, AWS_ENDPOINT_URL,
	// then the regional KMS endpoint.
	EndpointURL string
	// FallbackRegion resolves key ids and alias names when the AWS
	// configuration names no region. Key ARNs always use their own region.
	FallbackRegion string
	// Getenv reads the environment; nil means os.Getenv. The AWS variables
	// kmslint passes on explicitly (credentials, profile, region, config
	// files, endpoint, IMDS switch) are read through it, so a caller that
	// injects its environment controls them.
	Getenv func(string) string
	// MaxAttempts per call, retries included; 0 means the SDK default (3).
	MaxAttempts int
}

// Fetcher reads live keys. It is safe for concurrent use.
type Fetcher struct {
	cfg      aws.Config
	endpoint string
	fallback string
	// accessKey names the caller in errors when AWS's message does not.
	accessKey string
}

// New loads the AWS configuration and checks that credentials are there,
// so that "no credentials" is reported once, before any key is read.
func New(ctx context.Context, opts Options) (*Fetcher, error) {
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	var load []func(*config.LoadOptions) error
	profile := opts.Profile
	if profile == "" {
		profile = getenv("AWS_PROFILE")
	}
	if profile != "" {
		load = append(load, config.WithSharedConfigProfile(profile))
	}
	// Environment credentials beat AWS_PROFILE (the SDK's and the CLI's
	// order) but not an explicit --aws-profile.
	if opts.Profile == "" {
		if id, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"); id != "" && secret != "" {
			load = append(load, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(id, secret, getenv("AWS_SESSION_TOKEN"))))
		}
	}
	if r := firstNonEmpty(getenv("AWS_REGION"), getenv("AWS_DEFAULT_REGION")); r != "" {
		load = append(load, config.WithRegion(r))
	}
	if f := getenv("AWS_CONFIG_FILE"); f != "" {
		load = append(load, config.WithSharedConfigFiles([]string{f}))
	}
	if f := getenv("AWS_SHARED_CREDENTIALS_FILE"); f != "" {
		load = append(load, config.WithSharedCredentialsFiles([]string{f}))
	}
	if strings.EqualFold(getenv("AWS_EC2_METADATA_DISABLED"), "true") {
		load = append(load, config.WithEC2IMDSClientEnableState(imds.ClientDisabled))
	}
	if opts.MaxAttempts > 0 {
		load = append(load, config.WithRetryMaxAttempts(opts.MaxAttempts))
	}
	cfg, err := config.LoadDefaultConfig(ctx, load...)
	if err != nil {
		var notExist config.SharedConfigProfileNotExistError
		if errors.As(err, &notExist) {
			return nil, &Error{Kind: NoCredentials, Msg: fmt.Sprintf("AWS profile %q not found in the shared config or credentials files: check --aws-profile / AWS_PROFILE (aws configure list-profiles)", notExist.Profile), Err: err}
		}
		return nil, &Error{Kind: Config, Msg: "load AWS configuration: " + err.Error(), Err: err}
	}
	f := &Fetcher{
		cfg:      cfg,
		endpoint: firstNonEmpty(opts.EndpointURL, getenv("AWS_ENDPOINT_URL_KMS"), getenv("AWS_ENDPOINT_URL")),
		fallback: opts.FallbackRegion,
	}
	if cfg.Credentials == nil {
		return nil, noCredentials(nil)
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return nil, noCredentials(err)
	}
	f.accessKey = creds.AccessKeyID
	return f, nil
}

func noCredentials(err error) *Error {
	msg := "no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, pass --aws-profile NAME (or AWS_PROFILE; `aws sso login` for SSO profiles), or run with an IAM role"
	if err != nil {
		msg += " (" + oneLine(err.Error()) + ")"
	}
	return &Error{Kind: NoCredentials, Msg: msg, Err: err}
}

// Region is the region of the AWS configuration (AWS_REGION, the profile's
// region), empty when none is configured.
func (f *Fetcher) Region() string { return f.cfg.Region }

// client returns a KMS client for region. Clients are cheap: they share the
// configuration, credentials cache and HTTP client.
func (f *Fetcher) client(region string) *kms.Client {
	return kms.NewFromConfig(f.cfg, func(o *kms.Options) {
		o.Region = region
		if f.endpoint != "" {
			o.BaseEndpoint = aws.String(f.endpoint)
		}
	})
}

// Fetch reads one key. ref is a key ARN, an alias ARN, a key id or an
// alias name (alias/...); ids and alias names are resolved in the
// configured region (then Options.FallbackRegion). DescribeKey and
// GetKeyPolicy must succeed; a ListGrants denial is kept in Key.GrantsNote
// and the key is still returned.
func (f *Fetcher) Fetch(ctx context.Context, ref string) (*Key, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return nil, &Error{Kind: Invalid, Msg: "--key-arn: empty key reference"}
	}
	region, err := f.regionOf(ref)
	if err != nil {
		return nil, err
	}
	c := f.client(region)
	dk, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(ref)})
	if err != nil {
		return nil, f.apiError(err, "DescribeKey", ref, region)
	}
	if dk.KeyMetadata == nil || aws.ToString(dk.KeyMetadata.Arn) == "" {
		return nil, &Error{Kind: API, Key: ref, Msg: fmt.Sprintf("KMS DescribeKey on %s returned no key metadata", ref)}
	}
	md := dk.KeyMetadata
	k := &Key{
		ARN:        aws.ToString(md.Arn),
		ID:         aws.ToString(md.KeyId),
		Account:    aws.ToString(md.AWSAccountId),
		Region:     region,
		KeySpec:    string(md.KeySpec),
		KeyUsage:   string(md.KeyUsage),
		KeyState:   string(md.KeyState),
		KeyManager: string(md.KeyManager),
	}
	if a, ok := arn.Parse(k.ARN); ok && a.Partition != "" {
		k.Region = a.Region
		if k.Account == "" {
			k.Account = a.AccountID
		}
	}
	// GetKeyPolicy takes no alias, so the ARN DescribeKey resolved is used.
	// https://docs.aws.amazon.com/kms/latest/APIReference/API_GetKeyPolicy.html
	gp, err := c.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String(k.ARN), PolicyName: aws.String("default")})
	if err != nil {
		return nil, f.apiError(err, "GetKeyPolicy", k.ARN, region)
	}
	k.Policy = aws.ToString(gp.Policy)
	if k.Policy == "" {
		return nil, &Error{Kind: API, Key: k.ARN, Msg: fmt.Sprintf("KMS GetKeyPolicy on %s returned no policy", k.ARN)}
	}
	k.Grants, k.GrantsNote, err = f.grants(ctx, c, k.ARN, region)
	if err != nil {
		return nil, err
	}
	return k, nil
}

// grants lists every grant on the key, page by page. Being denied
// kms:ListGrants is not fatal: the key policy is what the rules check.
func (f *Fetcher) grants(ctx context.Context, c *kms.Client, arn, region string) ([]Grant, string, error) {
	var out []Grant
	pages := kms.NewListGrantsPaginator(c, &kms.ListGrantsInput{KeyId: aws.String(arn)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			e := f.apiError(err, "ListGrants", arn, region)
			if e.Kind == AccessDenied {
				return nil, "grants not checked: " + e.Msg, nil
			}
			return nil, "", e
		}
		for _, g := range page.Grants {
			out = append(out, grantOf(g))
		}
	}
	return out, "", nil
}

// regionOf is the region a KMS call for ref must go to: an ARN's own, else
// the configured one.
func (f *Fetcher) regionOf(ref string) (string, error) {
	if strings.HasPrefix(ref, "arn:") {
		a, ok := arn.Parse(ref)
		if !ok || a.Partition == "" || a.Service != "kms" || a.Region == "" || !(strings.HasPrefix(a.Resource, "key/") || strings.HasPrefix(a.Resource, "alias/")) {
			return "", &Error{Kind: Invalid, Key: ref, Msg: fmt.Sprintf("--key-arn %q: want arn:PARTITION:kms:REGION:ACCOUNT:key/ID (or :alias/NAME), a key id, or alias/NAME", ref)}
		}
		return a.Region, nil
	}
	if r := firstNonEmpty(f.cfg.Region, f.fallback); r != "" {
		return r, nil
	}
	return "", &Error{Kind: Invalid, Key: ref, Msg: fmt.Sprintf("--key-arn %q is not an ARN and no AWS region is configured: pass the key ARN, or set AWS_REGION (or the profile's region)", ref)}
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

func oneLine(s string) string {
	return strings.ReplaceAll(strings.TrimSpace(s), "\n", "; ")
}
