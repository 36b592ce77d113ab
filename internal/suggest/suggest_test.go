package suggest

import "testing"

func TestNearest(t *testing.T) {
	actions := []string{"kms:Decrypt", "kms:Encrypt", "kms:DescribeKey", "kms:GenerateDataKey"}
	tests := []struct {
		s, want string
		ok      bool
	}{
		{"kms:Decrpyt", "kms:Decrypt", true}, // transposition
		{"kms:decrypt", "kms:Decrypt", true}, // case
		{"kms:GenerateDatakeys", "kms:GenerateDataKey", true},
		{"kms:Describe", "kms:DescribeKey", true}, // 3 edits, long enough
		{"s3:GetObject", "", false},
		{"prod", "", false},
		{"", "", false},
	}
	for _, tc := range tests {
		got, ok := Nearest(tc.s, actions)
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("Nearest(%q) = %q, %v; want %q, %v", tc.s, got, ok, tc.want, tc.ok)
		}
	}
	if got, ok := Nearest("agentcore-recomendation", []string{"agentcore-recommendation", "none"}); !ok || got != "agentcore-recommendation" {
		t.Errorf("profile typo: %q %v", got, ok)
	}
	if _, ok := Nearest("prod", []string{"agentcore-recommendation", "none"}); ok {
		t.Error("prod is no typo of a profile")
	}
}

func TestDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"a", "", 1}, {"abc", "abc", 0}, {"ab", "ba", 1}, {"kitten", "sitting", 3}, {"ä", "a", 1}} {
		if got := distance(tc.a, tc.b); got != tc.d {
			t.Errorf("distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.d)
		}
	}
}
