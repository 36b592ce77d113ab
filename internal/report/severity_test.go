package report

import (
	"encoding/json"
	"testing"
)

func TestParseSeverity(t *testing.T) {
	tests := []struct {
		in      string
		want    Severity
		wantErr bool
	}{
		{"error", SeverityError, false},
		{"warning", SeverityWarning, false},
		{"info", SeverityInfo, false},
		{"never", 0, true}, // a threshold, not a finding severity
		{"Error", 0, true},
		{"", 0, true},
		{"critical", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseSeverity(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseSeverity(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestParseFailOn(t *testing.T) {
	tests := []struct {
		in      string
		want    Severity
		wantErr bool
	}{
		{"error", SeverityError, false},
		{"warning", SeverityWarning, false},
		{"info", SeverityInfo, false},
		{"never", Never, false},
		{"none", 0, true},
		{"", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseFailOn(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseFailOn(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestSeverityOrder(t *testing.T) {
	if !(SeverityInfo < SeverityWarning && SeverityWarning < SeverityError && SeverityError < Never) {
		t.Fatal("severities are not ordered info < warning < error < never")
	}
	if Severity(0).Valid() || Never.Valid() || !SeverityInfo.Valid() || !SeverityError.Valid() {
		t.Error("Valid accepts only info, warning and error")
	}
}

func TestSeverityJSON(t *testing.T) {
	for _, s := range []Severity{SeverityInfo, SeverityWarning, SeverityError, Never} {
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatalf("marshal %v: %v", s, err)
		}
		var back Severity
		if err := json.Unmarshal(b, &back); err != nil || back != s {
			t.Errorf("round trip of %v through %s = %v, %v", s, b, back, err)
		}
	}
	if _, err := json.Marshal(Severity(0)); err == nil {
		t.Error("marshalling the zero severity succeeded; want an error")
	}
	var s Severity
	if err := json.Unmarshal([]byte(`"fatal"`), &s); err == nil {
		t.Error(`unmarshalling "fatal" succeeded`)
	}
}
