package identity

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kmslint/kmslint/internal/authz"
)

func TestDefault(t *testing.T) {
	s := Default()
	if s.Account != "111122223333" || s.Region != "us-east-1" || len(s.Identities) != 4 {
		t.Fatalf("%+v", s)
	}
	caller, _ := s.Lookup("AKIAEXAMPLECALLER001")
	if caller.Kind != IAM || !caller.IsRole() || caller.SessionARN != "arn:aws:sts::111122223333:assumed-role/MyRecommendationRole/kmslint" ||
		caller.Principal.Kind != authz.AssumedRole || caller.Principal.RoleName != "MyRecommendationRole" ||
		!caller.AllowAll || len(caller.Policies) != 1 || !strings.HasPrefix(caller.PrincipalID, "AROA") || !strings.HasSuffix(caller.PrincipalID, ":kmslint") {
		t.Errorf("caller %+v", caller)
	}
	svc, _ := s.Lookup("AKIAEXAMPLESERVICE01")
	if svc.Kind != Service || svc.Service != "bedrock-agentcore.amazonaws.com" || svc.Principal.Kind != authz.ServicePrincipal ||
		svc.Context["aws:SourceAccount"][0] != "111122223333" || svc.Account != "" || svc.Policies != nil {
		t.Errorf("service %+v", svc)
	}
	fas, _ := s.Lookup("AKIAEXAMPLEFASCALLER")
	if fas.Kind != ViaService || fas.Service != "bedrock-agentcore.amazonaws.com" || fas.SessionARN != caller.SessionARN || fas.PrincipalID != caller.PrincipalID {
		t.Errorf("fas %+v", fas)
	}
	out, _ := s.Lookup("AKIAEXAMPLEOUTSIDER1")
	if out.Account != "444455556666" || !out.AllowAll {
		t.Errorf("outsider %+v", out)
	}
	if sec, ok := s.Secret("AKIAEXAMPLEFASCALLER"); !ok || sec != "fas-secret" {
		t.Error("Secret")
	}
	if _, ok := s.Lookup("AKIANOTTHERE00000000"); ok {
		t.Error("Lookup of an unknown key")
	}
}

func TestParse(t *testing.T) {
	dir := t.TempDir()
	pol := `{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "kms:Decrypt", "Resource": "*"}]}`
	if err := os.WriteFile(filepath.Join(dir, "deny.json"), []byte(pol), 0o600); err != nil {
		t.Fatal(err)
	}
	doc := `{"account": "123456789012", "region": "eu-west-1", "identities": [
	  {"arn": "arn:aws:iam::123456789012:user/alice", "accessKeyId": "AKIAALICE00000000001", "secretAccessKey": "s",
	   "policies": ["deny.json", {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}]},
	  {"arn": "arn:aws:iam::123456789012:root", "accessKeyId": "AKIAROOT000000000001", "secretAccessKey": "s"},
	  {"arn": "arn:aws:iam::123456789012:role/path/R", "sessionName": "ci-run", "accessKeyId": "AKIAROLE000000000001", "secretAccessKey": "s"},
	  {"service": "logs.amazonaws.com", "accessKeyId": "AKIASVC0000000000001", "secretAccessKey": "s", "context": {"aws:SourceArn": ["a", "b"]}}]}`
	path := filepath.Join(dir, "ids.json")
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	alice, _ := s.Lookup("AKIAALICE00000000001")
	if alice.Principal.Kind != authz.IAMUser || len(alice.Policies) != 2 || alice.AllowAll || !strings.HasPrefix(alice.PrincipalID, "AIDA") || len(alice.PolicyDocs) != 2 {
		t.Errorf("alice %+v", alice)
	}
	root, _ := s.Lookup("AKIAROOT000000000001")
	if root.Principal.Kind != authz.AccountRoot || root.PrincipalID != "123456789012" {
		t.Errorf("root %+v", root)
	}
	role, _ := s.Lookup("AKIAROLE000000000001")
	if role.SessionARN != "arn:aws:sts::123456789012:assumed-role/R/ci-run" || role.Principal.RoleName != "R" {
		t.Errorf("role %+v", role)
	}
	svc, _ := s.Lookup("AKIASVC0000000000001")
	if len(svc.Context["aws:SourceArn"]) != 2 {
		t.Errorf("service context %v", svc.Context)
	}
	// The same file gives the same principal ids.
	again, _ := Load(path)
	if a2, _ := again.Lookup("AKIAALICE00000000001"); a2.PrincipalID != alice.PrincipalID {
		t.Error("principal ids are not stable")
	}
}

func TestParseErrors(t *testing.T) {
	cases := map[string]string{
		"empty":                   ``,
		"not yaml":                `identities: [`,
		"unknown field":           `identities: [{arn: "arn:aws:iam::111122223333:user/a", accessKeyId: AKIAAAAAAAAAAAAAAAAA, secretAccessKey: s, polices: []}]`,
		"no identities":           `account: "111122223333"`,
		"bad account":             `account: "1234"` + "\nidentities: [{service: x.amazonaws.com, accessKeyId: AKIAAAAAAAAAAAAAAAAA, secretAccessKey: s}]",
		"bad region":              `region: Europe` + "\nidentities: [{service: x.amazonaws.com, accessKeyId: AKIAAAAAAAAAAAAAAAAA, secretAccessKey: s}]",
		"arn and service":         `identities: [{arn: "arn:aws:iam::111122223333:user/a", service: x.amazonaws.com, accessKeyId: AKIAAAAAAAAAAAAAAAAA, secretAccessKey: s}]`,
		"neither":                 `identities: [{accessKeyId: AKIAAAAAAAAAAAAAAAAA, secretAccessKey: s}]`,
		"bad access key":          `identities: [{service: x.amazonaws.com, accessKeyId: short, secretAccessKey: s}]`,
		"no secret":               `identities: [{service: x.amazonaws.com, accessKeyId: AKIAAAAAAAAAAAAAAAAA}]`,
		"duplicate key":           `identities: [{service: x.amazonaws.com, accessKeyId: AKIAAAAAAAAAAAAAAAAA, secretAccessKey: s}, {service: y.amazonaws.com, accessKeyId: AKIAAAAAAAAAAAAAAAAA, secretAccessKey: s}]`,
		"bad service":             `identities: [{service: "not a service", accessKeyId: AKIAAAAAAAAAAAAAAAAA, secretAccessKey: s}]`,
		"service with policies":   `identities: [{service: x.amazonaws.com, accessKeyId: AKIAAAAAAAAAAAAAAAAA, secretAccessKey: s, policies: []}]`,
		"context on an arn":       `identities: [{arn: "arn:aws:iam::111122223333:user/a", accessKeyId: AKIAAAAAAAAAAAAAAAAA, secretAccessKey: s, context: {"aws:SourceArn": x}}]`,
		"viaService on a service": `identities: [{service: x.amazonaws.com, viaService: y.amazonaws.com, accessKeyId: AKIAAAAAAAAAAAAAAAAA, secretAccessKey: s}]`,
		"bad arn":                 `identities: [{arn: "arn:aws:s3:::bucket", accessKeyId: AKIAAAAAAAAAAAAAAAAA, secretAccessKey: s}]`,
		"session arn":             `identities: [{arn: "arn:aws:sts::111122223333:assumed-role/R/s", accessKeyId: AKIAAAAAAAAAAAAAAAAA, secretAccessKey: s}]`,
		"sessionName on a user":   `identities: [{arn: "arn:aws:iam::111122223333:user/a", sessionName: x1, accessKeyId: AKIAAAAAAAAAAAAAAAAA, secretAccessKey: s}]`,
		"invalid policy":          `identities: [{arn: "arn:aws:iam::111122223333:user/a", accessKeyId: AKIAAAAAAAAAAAAAAAAA, secretAccessKey: s, policies: [{"Statement": [{"Effect": "allow", "Action": "*", "Resource": "*"}]}]}]`,
		"key policy as identity":  `identities: [{arn: "arn:aws:iam::111122223333:user/a", accessKeyId: AKIAAAAAAAAAAAAAAAAA, secretAccessKey: s, policies: ['{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}']}]`,
		"policies not a list":     `identities: [{arn: "arn:aws:iam::111122223333:user/a", accessKeyId: AKIAAAAAAAAAAAAAAAAA, secretAccessKey: s, policies: x}]`,
		"missing policy file":     `identities: [{arn: "arn:aws:iam::111122223333:user/a", accessKeyId: AKIAAAAAAAAAAAAAAAAA, secretAccessKey: s, policies: [nope.json]}]`,
		"context not a map":       `identities: [{service: x.amazonaws.com, accessKeyId: AKIAAAAAAAAAAAAAAAAA, secretAccessKey: s, context: [a]}]`,
		"context key twice":       `identities: [{service: x.amazonaws.com, accessKeyId: AKIAAAAAAAAAAAAAAAAA, secretAccessKey: s, context: {"a:b": x, "A:B": y}}]`,
	}
	for name, doc := range cases {
		if _, err := parse(name, []byte(doc), noFiles); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func noFiles(string) ([]byte, error) { return nil, errors.New("no files in this test") }

// FuzzParse: any identities document parses or fails, without panics, and
// what parses is consistent.
func FuzzParse(f *testing.F) {
	f.Add([]byte(DefaultYAML))
	f.Add([]byte(`{"identities": [{"arn": "arn:aws:iam::111122223333:user/a", "accessKeyId": "AKIAAAAAAAAAAAAAAAAA", "secretAccessKey": "s", "policies": [{"Statement": []}]}]}`))
	f.Add([]byte("identities:\n  - &a {service: x.amazonaws.com, accessKeyId: AKIAAAAAAAAAAAAAAAAA, secretAccessKey: s}\n  - *a\n"))
	f.Add([]byte("identities: [{service: x.amazonaws.com, accessKeyId: AKIAAAAAAAAAAAAAAAAA, secretAccessKey: s, context: {\"a:b\": [1, 2]}}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := parse("fuzz", data, noFiles)
		if err != nil {
			return
		}
		for _, id := range s.Identities {
			got, ok := s.Lookup(id.AccessKeyID)
			if !ok || got != id || id.Kind == 0 {
				t.Fatalf("identity %+v not consistent", id)
			}
			if id.Kind != Service && (id.Account == "" || id.SessionARN == "" || len(id.Policies) == 0) {
				t.Fatalf("IAM identity without account, ARN or policies: %+v", id)
			}
		}
	})
}
