// Package generate writes the minimal key policy that gives the AgentCore
// recommendation workflow what it needs and nothing more: the three
// statements of the AWS documentation (callers may DescribeKey; callers may
// GenerateDataKey/Decrypt only for this account's recommendations in this
// region; the service principal likewise, pinned by aws:SourceAccount and
// aws:SourceArn), plus an administration statement so the key cannot
// become unmanageable.
package generate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/kmslint/kmslint/internal/agentcore"
	"github.com/kmslint/kmslint/internal/authz"
	"github.com/kmslint/kmslint/internal/profile"
)

// Options are the inputs of `kmslint generate`.
type Options struct {
	// Profile names the feature (internal/profile); empty is
	// agentcore-recommendation.
	Profile string
	Account string
	Region  string
	Callers []string // IAM role or user ARNs that call the feature's API (StartRecommendation, ...)
	// ExecutionRoles are the roles the feature's service assumes (payments'
	// execution role, the gateway's service role).
	ExecutionRoles []string
	// Admins administer the key. Empty: the account root, i.e. IAM policies
	// of the account decide (AWS's default key-policy statement), which
	// keeps the key manageable.
	Admins []string
}

// profile is the options' profile.
func (o Options) profile() (*profile.Profile, error) {
	name := o.Profile
	if name == "" {
		name = profile.Recommendation
	}
	p, ok := profile.Lookup(name)
	if !ok {
		return nil, fmt.Errorf("--profile %q: want one of %s", o.Profile, strings.Join(profile.Names(), ", "))
	}
	return p, nil
}

// Validate checks the options the way lint would read them back.
func (o Options) Validate() error {
	prof, err := o.profile()
	if err != nil {
		return err
	}
	if len(o.Account) != 12 || strings.Trim(o.Account, "0123456789") != "" {
		return fmt.Errorf("--account %q: want a 12-digit account id", o.Account)
	}
	if o.Region == "" || strings.ContainsAny(o.Region, ":/* ") {
		return fmt.Errorf("--region %q: want a region such as us-east-1", o.Region)
	}
	if prof.Needs(profile.Caller) && len(o.Callers) == 0 {
		return fmt.Errorf("at least one --caller ARN is needed (the role or user that calls %s)", prof.API)
	}
	if prof.Needs(profile.ExecutionRole) && len(o.ExecutionRoles) == 0 {
		return fmt.Errorf("at least one --execution-role ARN is needed (the role %s's service assumes)", prof.Title)
	}
	if !prof.Needs(profile.Caller) && len(o.Callers) > 0 {
		return fmt.Errorf("--caller: profile %s has no caller legs (its service calls KMS as the --execution-role)", prof.Name)
	}
	if !prof.Needs(profile.ExecutionRole) && len(o.ExecutionRoles) > 0 {
		return fmt.Errorf("--execution-role: profile %s uses no execution role", prof.Name)
	}
	all := append(append(append([]string(nil), o.Callers...), o.ExecutionRoles...), o.Admins...)
	for _, c := range all {
		p, err := authz.ParsePrincipal(c)
		if err != nil {
			return fmt.Errorf("%q: %v", c, err)
		}
		switch p.Kind {
		case authz.IAMRole, authz.IAMUser, authz.AccountRoot:
		default:
			return fmt.Errorf("%q: a key policy names IAM roles, users or accounts, not a %s", c, p.Kind)
		}
	}
	return nil
}

// statement is one key-policy statement in the order AWS documents its
// elements (encoding/json keeps struct field order).
type statement struct {
	Sid       string         `json:"Sid"`
	Effect    string         `json:"Effect"`
	Principal map[string]any `json:"Principal"`
	Action    any            `json:"Action"`
	Resource  string         `json:"Resource"`
	Condition map[string]any `json:"Condition,omitempty"`
}

type document struct {
	Version   string      `json:"Version"`
	Statement []statement `json:"Statement"`
}

// adminActions are the key-administration actions of the AWS console's
// "key administrators" statement; they cannot use the key for crypto.
// https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-administrators
var adminActions = []string{
	"kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*",
	"kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:TagResource",
	"kms:UntagResource", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion", "kms:RotateKeyOnDemand",
}

func principalValue(arns []string) any {
	if len(arns) == 1 {
		return arns[0]
	}
	return arns
}

func build(o Options) document {
	partition := agentcore.PartitionOf(o.Region)
	callers := append([]string(nil), o.Callers...)
	sort.Strings(callers)
	recs := agentcore.RecommendationARN(partition, o.Region, o.Account, "*")
	doc := document{Version: "2012-10-17", Statement: []statement{adminStatement(o, partition)}}
	doc.Statement = append(doc.Statement,
		statement{
			Sid: "AllowCallerAccess", Effect: "Allow",
			Principal: map[string]any{"AWS": principalValue(callers)},
			Action:    "kms:DescribeKey", Resource: "*",
		},
		statement{
			Sid: "AllowCallerCryptoOps", Effect: "Allow",
			Principal: map[string]any{"AWS": principalValue(callers)},
			Action:    []string{"kms:GenerateDataKey", "kms:Decrypt"}, Resource: "*",
			Condition: map[string]any{"StringLike": map[string]any{agentcore.ConditionKey: recs}},
		},
		statement{
			Sid: "AllowServicePrincipalAccess", Effect: "Allow",
			Principal: map[string]any{"Service": agentcore.ServicePrincipal},
			Action:    []string{"kms:GenerateDataKey", "kms:Decrypt"}, Resource: "*",
			Condition: map[string]any{
				"StringEquals": map[string]any{"aws:SourceAccount": o.Account},
				"ArnLike":      map[string]any{"aws:SourceArn": recs},
			},
		},
	)
	return doc
}

// JSON returns the key policy as indented JSON.
func JSON(o Options) ([]byte, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	prof, _ := o.profile()
	doc := buildProfile(o, prof)
	if prof.Name == profile.Recommendation {
		// The recommendation policy keeps the shape of AWS's seed document
		// (and policies/canonical.json).
		doc = build(o)
	}
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("encode key policy: %w", err)
	}
	return b.Bytes(), nil
}

// CloudFormation returns a YAML template with the key (symmetric, rotation
// on) and its policy, pseudo parameters left to CloudFormation where they
// are the stack's own account and region.
func CloudFormation(o Options) ([]byte, error) {
	pol, err := JSON(o)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString("AWSTemplateFormatVersion: \"2010-09-09\"\n")
	prof, _ := o.profile()
	camel, _ := resourceName(prof)
	header, desc := describe(prof)
	b.WriteString("Description: " + header + "\n")
	b.WriteString("Resources:\n  " + camel + "Key:\n    Type: AWS::KMS::Key\n    Properties:\n")
	b.WriteString("      Description: " + desc + "\n")
	b.WriteString("      KeySpec: SYMMETRIC_DEFAULT\n      KeyUsage: ENCRYPT_DECRYPT\n      EnableKeyRotation: true\n")
	b.WriteString("      KeyPolicy:\n")
	for _, line := range strings.Split(strings.TrimRight(string(pol), "\n"), "\n") {
		b.WriteString("        " + line + "\n")
	}
	b.WriteString("Outputs:\n  " + camel + "KeyArn:\n    Value: !GetAtt " + camel + "Key.Arn\n")
	return []byte(b.String()), nil
}

// Terraform returns an aws_kms_key resource with the policy as a heredoc.
func Terraform(o Options) ([]byte, error) {
	pol, err := JSON(o)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	prof, _ := o.profile()
	_, snake := resourceName(prof)
	header, desc := describe(prof)
	b.WriteString("# " + header + "\n")
	b.WriteString("resource \"aws_kms_key\" \"" + snake + "\" {\n")
	b.WriteString("  description              = \"" + desc + "\"\n")
	b.WriteString("  customer_master_key_spec = \"SYMMETRIC_DEFAULT\"\n  key_usage                = \"ENCRYPT_DECRYPT\"\n")
	b.WriteString("  enable_key_rotation      = true\n  policy                   = <<-POLICY\n")
	for _, line := range strings.Split(strings.TrimRight(string(pol), "\n"), "\n") {
		// ${ would start a Terraform template interpolation.
		b.WriteString("    " + strings.ReplaceAll(line, "${", "$${") + "\n")
	}
	b.WriteString("  POLICY\n}\n")
	return []byte(b.String()), nil
}

// describe is the templates' header comment and the key's description.
func describe(prof *profile.Profile) (header, desc string) {
	if prof.Name == profile.Recommendation {
		return "Customer managed KMS key for Amazon Bedrock AgentCore recommendations (kmslint generate)",
			"Encrypts AgentCore recommendation configurations and results"
	}
	return "Customer managed KMS key for Amazon Bedrock " + prof.Title + " (kmslint generate --profile " + prof.Name + ")",
		"Encrypts " + prof.Title
}
