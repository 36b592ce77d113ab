// Package arn splits Amazon Resource Names and checks account ids: the one
// place kmslint takes an ARN apart.
//
// An ARN is arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE; the resource is
// everything after the fifth colon and may hold further colons.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
//
// Parse accepts exactly what aws-sdk-go-v2's aws/arn.Parse accepts and
// splits it the same way (FuzzParse checks both against each other), but
// it returns substrings of its argument instead of allocating a slice: the
// authorization engine splits the request's key ARN and every ARN
// condition value on each decision. The SDK is not imported here so that
// the engine and the prover, which import this package, stay free of it.
package arn

import "strings"

// ARN is an ARN's components, named as aws-sdk-go-v2's aws/arn.ARN names
// them.
type ARN struct {
	Partition, Service, Region, AccountID, Resource string
}

// String is the ARN's text.
func (a ARN) String() string {
	return "arn:" + a.Partition + ":" + a.Service + ":" + a.Region + ":" + a.AccountID + ":" + a.Resource
}

// Parse splits s; ok is false when s is not an ARN: it does not start with
// "arn:" or has fewer than six colon-separated components. Components may
// be empty (IAM ARNs have no region).
func Parse(s string) (a ARN, ok bool) {
	p, ok := Split(s)
	return ARN{Partition: p[1], Service: p[2], Region: p[3], AccountID: p[4], Resource: p[5]}, ok
}

// Split is Parse as six components, p[0] being "arn", for code that treats
// them alike (ArnLike matches each one separately). On failure p is zero.
func Split(s string) (p [6]string, ok bool) {
	rest := s
	for i := 0; i < 5; i++ {
		j := strings.IndexByte(rest, ':')
		if j < 0 {
			return [6]string{}, false
		}
		p[i] = rest[:j]
		rest = rest[j+1:]
	}
	if p[0] != "arn" {
		return [6]string{}, false
	}
	p[5] = rest
	return p, true
}

// IsAccountID reports whether s is an AWS account id: exactly twelve
// decimal digits.
// https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-identifiers.html
func IsAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < 12; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
