package kmsaction

import (
	"slices"
	"strings"
	"testing"
)

func TestLookup(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"kms:Decrypt", "kms:Decrypt", true},
		{"KMS:generatedatakey", "kms:GenerateDataKey", true},
		{"kms:ReEncrypt", "", false}, // authorized as ReEncryptFrom/To
		{"kms:*", "", false},
		{"s3:GetObject", "", false},
	} {
		got, ok := Lookup(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Lookup(%q) = %q, %v", tc.in, got, ok)
		}
	}
}

func TestProblem(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"kms:Decrypt", ""},
		{"kms:Decrpyt", "not a KMS action; did you mean kms:Decrypt?"},
		{"kms:Frobnicate", "not a KMS action"},
		{"Decrypt", "not service:Action, e.g. kms:Decrypt"},
		{"s3:GetObject", "not a KMS action: a key policy decides only kms: actions"},
		{"kms:Decrypt*", "a request names one action, not a pattern; did you mean kms:Decrypt?"},
	} {
		if got := Problem(tc.in); got != tc.want {
			t.Errorf("Problem(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestNamesSortedAndUnique(t *testing.T) {
	n := Names()
	if !slices.IsSorted(n) || len(slices.Compact(slices.Clone(n))) != len(n) {
		t.Error("names not sorted or not unique")
	}
	for _, a := range n {
		if !strings.HasPrefix(a, "kms:") {
			t.Errorf("%s", a)
		}
	}
}
