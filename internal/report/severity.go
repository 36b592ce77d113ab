package report

import "fmt"

// Severity ranks findings. The numeric order is the severity order, so a
// threshold test is a plain comparison; the zero value is deliberately not a
// severity so that a finding whose producer forgot to set one is caught by
// Validate instead of silently ranking lowest.
type Severity uint8

const (
	SeverityInfo Severity = iota + 1
	SeverityWarning
	SeverityError
	// Never is a threshold only (--fail-on never): no finding reaches it.
	Never
)

// ParseSeverity reads a finding severity: "error", "warning" or "info".
func ParseSeverity(s string) (Severity, error) {
	switch s {
	case "error":
		return SeverityError, nil
	case "warning":
		return SeverityWarning, nil
	case "info":
		return SeverityInfo, nil
	}
	return 0, fmt.Errorf("unknown severity %q (want error, warning or info)", s)
}

// ParseFailOn reads a --fail-on value: a severity or "never".
func ParseFailOn(s string) (Severity, error) {
	if s == "never" {
		return Never, nil
	}
	sev, err := ParseSeverity(s)
	if err != nil {
		return 0, fmt.Errorf("unknown --fail-on value %q (want error, warning, info or never)", s)
	}
	return sev, nil
}

// Valid reports whether s is a finding severity (Never is not).
func (s Severity) Valid() bool { return s >= SeverityInfo && s <= SeverityError }

func (s Severity) String() string {
	switch s {
	case SeverityError:
		return "error"
	case SeverityWarning:
		return "warning"
	case SeverityInfo:
		return "info"
	case Never:
		return "never"
	}
	return fmt.Sprintf("Severity(%d)", uint8(s))
}

// MarshalText refuses invalid values so that a broken finding cannot reach a
// report as an empty or made-up severity.
func (s Severity) MarshalText() ([]byte, error) {
	if !s.Valid() && s != Never {
		return nil, fmt.Errorf("invalid severity %d", uint8(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText accepts what MarshalText writes.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseFailOn(string(b))
	if err != nil {
		return fmt.Errorf("unknown severity %q", b)
	}
	*s = v
	return nil
}

// threshold turns the zero Severity into the documented default, error, so
// that an Options or ExitCode call without an explicit --fail-on behaves like
// the CLI default rather than failing on everything.
func threshold(failOn Severity) Severity {
	if failOn == 0 {
		return SeverityError
	}
	return failOn
}
