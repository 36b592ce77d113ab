package partition

import "testing"

func TestOf(t *testing.T) {
	for region, want := range map[string]string{
		"us-east-1": "aws", "eu-west-1": "aws", "cn-north-1": "aws-cn", "cn-northwest-1": "aws-cn",
		"us-gov-west-1": "aws-us-gov", "us-iso-east-1": "aws-iso", "us-isob-east-1": "aws-iso-b", "": "aws",
	} {
		if got := Of(region); got != want {
			t.Errorf("Of(%q) = %q, want %q", region, got, want)
		}
	}
}
