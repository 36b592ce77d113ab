package kms_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
)

// The request context reaches the engine: each row is a key policy
// condition, and which identities it lets GenerateDataKey.
func TestRequestContextKeys(t *testing.T) {
	e := newEnv(t)
	type who struct {
		ak        string
		sourceArn string
		ec        map[string]string
	}
	caller := who{ak: akCaller, ec: map[string]string{"k": "v"}}
	fas := who{ak: akFAS, ec: map[string]string{"k": "v"}}
	svc := who{ak: akService, sourceArn: recARN, ec: map[string]string{"k": "v"}}
	outsider := who{ak: akOutsider, ec: map[string]string{"k": "v"}}
	noEC := who{ak: akCaller}

	cases := []struct {
		name      string
		condition string
		allowed   []who
		denied    []who
	}{
		{"kms:ViaService", `{"StringEquals": {"kms:ViaService": "bedrock-agentcore.us-east-1.amazonaws.com"}}`, []who{fas}, []who{caller, svc}},
		{"aws:CalledVia", `{"ForAnyValue:StringEquals": {"aws:CalledVia": "bedrock-agentcore.amazonaws.com"}}`, []who{fas}, []who{caller, svc}},
		{"aws:CalledViaFirst and Last", `{"StringEquals": {"aws:CalledViaFirst": "bedrock-agentcore.amazonaws.com", "aws:CalledViaLast": "bedrock-agentcore.amazonaws.com"}}`, []who{fas}, []who{caller}},
		{"aws:ViaAWSService", `{"Bool": {"aws:ViaAWSService": "true"}}`, []who{fas}, []who{caller, svc}},
		{"aws:SecureTransport is false over HTTP", `{"Bool": {"aws:SecureTransport": "false"}}`, []who{caller, svc}, nil},
		{"deny without TLS denies everyone", `{"Bool": {"aws:SecureTransport": "true"}}`, nil, []who{caller, fas, svc}},
		{"kms:CallerAccount", `{"StringEquals": {"kms:CallerAccount": "111122223333"}}`, []who{caller, fas}, []who{outsider, svc}},
		{"aws:PrincipalArn is the role, not the session", `{"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/MyRecommendationRole"}}`, []who{caller, fas}, []who{outsider}},
		{"aws:PrincipalType", `{"StringEquals": {"aws:PrincipalType": "AssumedRole"}}`, []who{caller, outsider}, []who{svc}},
		{"aws:userid of a role session", `{"StringLike": {"aws:userid": "AROA*:kmslint"}}`, []who{caller}, []who{svc}},
		{"aws:PrincipalAccount", `{"StringEquals": {"aws:PrincipalAccount": "444455556666"}}`, []who{outsider}, []who{caller}},
		{"aws:PrincipalIsAWSService", `{"Bool": {"aws:PrincipalIsAWSService": "true"}}`, []who{svc}, []who{caller, fas}},
		{"aws:PrincipalServiceName", `{"StringEquals": {"aws:PrincipalServiceName": "bedrock-agentcore.amazonaws.com"}}`, []who{svc}, []who{fas}},
		{"fixed aws:SourceAccount of the service", `{"StringEquals": {"aws:SourceAccount": "111122223333"}}`, []who{svc}, []who{caller}},
		{"header aws:SourceArn of the service", `{"ArnLike": {"aws:SourceArn": "arn:aws:bedrock-agentcore:us-east-1:111122223333:recommendation/*"}}`, []who{svc}, []who{caller, {ak: akService, ec: map[string]string{"k": "v"}}}},
		{"kms:EncryptionAlgorithm", `{"StringEquals": {"kms:EncryptionAlgorithm": "SYMMETRIC_DEFAULT"}}`, []who{caller}, nil},
		{"Null kms:EncryptionContextKeys requires a context", `{"Null": {"kms:EncryptionContextKeys": "false"}}`, []who{caller}, []who{noEC}},
		{"kms:EncryptionContextKeys", `{"ForAllValues:StringEquals": {"kms:EncryptionContextKeys": ["k"]}, "Null": {"kms:EncryptionContextKeys": "false"}}`, []who{caller}, []who{{ak: akCaller, ec: map[string]string{"k": "v", "x": "y"}}}},
		{"kms:KeySpec, KeyUsage, KeyOrigin", `{"StringEquals": {"kms:KeySpec": "SYMMETRIC_DEFAULT", "kms:KeyUsage": "ENCRYPT_DECRYPT", "kms:KeyOrigin": "AWS_KMS"}}`, []who{caller}, nil},
		{"aws:RequestedRegion", `{"StringEquals": {"aws:RequestedRegion": "us-east-1"}}`, []who{caller}, nil},
		{"aws:SourceIp", `{"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}`, []who{caller, fas}, []who{svc}},
		{"aws:ResourceTag", `{"StringEquals": {"aws:ResourceTag/team": "a"}}`, []who{caller}, nil},
		{"aws:CurrentTime", `{"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}`, []who{caller}, nil},
		{"policy variable ${aws:PrincipalAccount}", `{"StringEquals": {"kms:CallerAccount": "${aws:PrincipalAccount}"}}`, []who{caller, outsider}, []who{svc}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			keyARN := e.createKey(`{"Version": "2012-10-17", "Statement": [`+adminStatement+`,
			  {"Effect": "Allow", "Principal": "*", "Action": "kms:GenerateDataKey", "Resource": "*", "Condition": `+tc.condition+`}]}`,
				func(in *awskms.CreateKeyInput) {
					in.Tags = []types.Tag{{TagKey: aws.String("team"), TagValue: aws.String("a")}}
				})
			try := func(w who) error {
				c := e.client(w.ak)
				if w.ak == akService {
					c = e.serviceClient(w.sourceArn)
				}
				_, err := c.GenerateDataKey(e.ctx, gdk(keyARN, w.ec))
				return err
			}
			for _, w := range tc.allowed {
				wantCode(t, "allowed "+w.ak, try(w), "")
			}
			for _, w := range tc.denied {
				wantCode(t, "denied "+w.ak, try(w), "AccessDeniedException")
			}
		})
	}
}

func TestContextHeader(t *testing.T) {
	e := newEnv(t)
	keyARN := e.createKey("")
	bad := []struct {
		ak, header string
	}{
		{akCaller, `{"aws:SourceArn": "x"}`},    // not a service identity
		{akService, `not json`},                 // not JSON
		{akService, `{"SourceArn": "x"}`},       // not a condition key
		{akService, `{"aws:SourceArn": 5}`},     // not a string
		{akService, `{"a:b": "1", "A:B": "2"}`}, // a key twice
		{akService, `{"a:b": "1"} x`},           // trailing data
	}
	for _, b := range bad {
		_, err := e.client(b.ak, withContextHeader(b.header)).DescribeKey(e.ctx, &awskms.DescribeKeyInput{KeyId: aws.String(keyARN)})
		wantCode(t, b.ak+" with "+b.header, err, "ValidationException")
	}
}
