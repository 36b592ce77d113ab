package authz

import (
	"math/big"
	"net/netip"
	"time"
)

// ParseNumber, ParseDate and ParseIPOrCIDR parse a policy value the way the
// numeric, date and IP address operators do (false: the value is not one,
// and the operator skips it). The prover (internal/prove) splits a
// condition key's domain at exactly these values.
func ParseNumber(s string) (*big.Rat, bool) { return parseNumber(s) }

// ParseDate: see ParseNumber.
func ParseDate(s string) (time.Time, bool) { return parseDate(s) }

// ParseIPOrCIDR: see ParseNumber.
func ParseIPOrCIDR(s string) (netip.Prefix, bool) { return parseIPOrCIDR(s) }
