// Package deploy holds the values that stand for the account, region and
// partition a template deploys to when kmslint is not told them
// (CloudFormation's AWS::AccountId, AWS::Region and AWS::Partition,
// Terraform's aws_caller_identity, aws_region and aws_partition data
// sources).
//
// Each is one fixed value, the same wherever the template uses it, so that
// ${AWS::AccountId} in a role ARN and in aws:SourceAccount are the same
// account to the engine, and the linter takes the account and region they
// stand for as the key's own: never as an outsider's.
package deploy

import (
	"sort"
	"strings"
)

const (
	// Account stands for the deploying account. Twelve digits, so that
	// ARNs built with it are valid principals; all zeros, which no real
	// policy names.
	Account = "000000000000"
	// Region stands for the deploying region: shaped like a region name
	// (so that recommendation ARNs and kms:ViaService values built with it
	// parse) and in the aws partition.
	Region = "deploying-region-1"
	// Partition is the partition of Region.
	Partition = "aws"
)

// Param names a value a file took as a placeholder.
type Param string

const (
	AccountParam   Param = "account"
	RegionParam    Param = "region"
	PartitionParam Param = "partition"
)

// Value is the placeholder of p.
func (p Param) Value() string {
	switch p {
	case AccountParam:
		return Account
	case RegionParam:
		return Region
	}
	return Partition
}

// Use is a placeholder a file used, and how the file spells it (for messages:
// ${AWS::AccountId}, data.aws_caller_identity.current.account_id).
type Use struct {
	Param Param
	// As is the file's own spelling of the value.
	As string
}

// Uses collects the placeholders of one document, first spelling first.
type Uses struct {
	list []Use
}

// Add records a use of p spelt as; a later spelling of the same p is kept
// out, so that messages name one.
func (u *Uses) Add(p Param, as string) {
	for _, x := range u.list {
		if x.Param == p {
			return
		}
	}
	u.list = append(u.list, Use{Param: p, As: as})
}

// Merge adds the uses of o.
func (u *Uses) Merge(o Uses) {
	for _, x := range o.list {
		u.Add(x.Param, x.As)
	}
}

// List is the uses in a fixed order: account, region, partition.
func (u Uses) List() []Use {
	out := append([]Use(nil), u.list...)
	sort.SliceStable(out, func(i, j int) bool { return order(out[i].Param) < order(out[j].Param) })
	return out
}

func order(p Param) int {
	switch p {
	case AccountParam:
		return 0
	case RegionParam:
		return 1
	}
	return 2
}

// Find returns the use of p among a document's uses.
func Find(uses []Use, p Param) (Use, bool) {
	for _, u := range uses {
		if u.Param == p {
			return u, true
		}
	}
	return Use{}, false
}

// Note is the one remark a file gets about the placeholders its documents
// used, for -v.
func Note(uses []Use) string {
	if len(uses) == 0 {
		return ""
	}
	names := make([]string, len(uses))
	vals := make([]string, len(uses))
	var what []string
	for i, u := range uses {
		names[i], vals[i] = u.As, u.Param.Value()
		what = append(what, string(u.Param))
	}
	verb := " stand for the "
	if len(uses) == 1 {
		verb = " stands for the "
	}
	return join(names) + verb + join(what) + " deployed to, linted as " + join(vals) +
		" (the key's own); give --account and --region to lint for particular ones"
}

func join(s []string) string {
	switch len(s) {
	case 0:
		return ""
	case 1:
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}

// Spell replaces the placeholders in a message with the file's spelling,
// so that a finding reads "account ${AWS::AccountId}", not an account
// number the user never wrote.
func Spell(msg string, uses []Use) string {
	for _, u := range uses {
		if u.Param == PartitionParam {
			// "aws" is a real partition and a word of many messages.
			continue
		}
		msg = strings.ReplaceAll(msg, u.Param.Value(), u.As)
	}
	return msg
}
