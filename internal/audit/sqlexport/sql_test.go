package sqlexport

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSQL(t *testing.T) {
	since := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	until := time.Date(2025, 6, 30, 23, 59, 59, 0, time.UTC)
	key := "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	tests := []struct {
		name    string
		q       Query
		want    []string // substrings, in this order
		notWant []string
		wantErr string
	}{
		{"athena default table, no window", Query{Dialect: Athena}, []string{
			"-- No --since: the whole trail is scanned (and billed).",
			"useridentity.sessioncontext.sessionissuer.arn AS sessionissuer_arn",
			`FROM "cloudtrail_logs_pp"`,
			"WHERE eventsource = 'kms.amazonaws.com'",
			`strpos(requestparameters, '"aws:bedrock-agentcore:recommendationArn"') > 0`,
			"eventname NOT IN ('DisableKey', 'EnableKey', 'ScheduleKeyDeletion', 'CancelKeyDeletion', 'PutKeyPolicy')",
			"OR (eventname = 'DescribeKey'\n      AND useridentity.invokedby = 'bedrock-agentcore.amazonaws.com')",
			"OR (eventname IN ('DisableKey', 'EnableKey', 'ScheduleKeyDeletion', 'CancelKeyDeletion', 'PutKeyPolicy')",
			"IN (\n      SELECT DISTINCT regexp_extract(",
			"ORDER BY eventtime, eventid",
		}, []string{`"timestamp"`, "eventtime >="}, ""},
		{"athena window prunes partitions a day wider", Query{Dialect: Athena, Table: "audit.trail", Since: since, Until: until}, []string{
			`FROM "audit"."trail"`,
			`"timestamp" >= '2025/05/31'`,
			`"timestamp" <= '2025/07/01'`,
			"eventtime >= '2025-06-01T00:00:00Z'",
			"eventtime <= '2025-06-30T23:59:59Z'",
		}, []string{"No --since"}, ""},
		{"athena one key needs no subquery", Query{Dialect: Athena, KeyARN: key}, []string{
			"'[^/]+$') = '1234abcd-12ab-34cd-56ef-1234567890ab'",
			"OR (eventname = 'DescribeKey'\n      AND useridentity.invokedby = 'bedrock-agentcore.amazonaws.com'\n      AND regexp_extract(",
			"'[^/]+$') = '1234abcd-12ab-34cd-56ef-1234567890ab')",
			"OR (eventname IN (",
		}, []string{"SELECT DISTINCT"}, ""},
		{"lake", Query{Dialect: CloudTrailLake, EventDataStore: "arn:aws:cloudtrail:us-east-1:111122223333:eventdatastore/EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE", Since: since}, []string{
			"element_at(requestparameters, 'encryptionContext') AS encryptioncontext",
			"FROM EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE\n",
			"eventtime >= '2025-06-01 00:00:00'",
			"element_at(requestparameters, 'encryptionContext') LIKE '%aws:bedrock-agentcore:recommendationArn%'",
			"FROM EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE\n      WHERE",
		}, []string{`"timestamp"`, "requestparameters,\n", "eventtime <="}, ""},
		{"lake needs a store", Query{Dialect: CloudTrailLake}, nil, nil, "event data store"},
		{"lake store injection", Query{Dialect: CloudTrailLake, EventDataStore: "x; DROP"}, nil, nil, "want its ID"},
		{"table injection", Query{Dialect: Athena, Table: `t" OR 1=1`}, nil, nil, "athena table"},
		{"bad key", Query{Dialect: Athena, KeyARN: "alias/x'"}, nil, nil, "key ARN"},
		{"until before since", Query{Dialect: Athena, Since: until, Until: since}, nil, nil, "before"},
		{"unknown dialect", Query{Dialect: "bigquery"}, nil, nil, "unknown dialect"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sql, err := tc.q.SQL()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			rest := sql
			for _, w := range tc.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("missing (or out of order) %q in:\n%s", w, sql)
				}
				rest = rest[i+len(w):]
			}
			for _, w := range tc.notWant {
				if strings.Contains(sql, w) {
					t.Errorf("unexpected %q in:\n%s", w, sql)
				}
			}
			if strings.Count(sql, "(") != strings.Count(sql, ")") {
				t.Errorf("unbalanced parentheses:\n%s", sql)
			}
		})
	}
}

// TestSQLColumns: each engine selects every column, under its name, but
// the request parameters (Athena keeps the JSON text, Lake its members).
func TestSQLColumns(t *testing.T) {
	params := map[Dialect][]string{Athena: {"requestparameters"}, CloudTrailLake: {"keyid", "encryptioncontext", "policy"}}
	other := map[Dialect]Dialect{Athena: CloudTrailLake, CloudTrailLake: Athena}
	for _, d := range []dialect{athena{}, lake{}} {
		var names []string
		for _, e := range selectList(d) {
			names = append(names, e[strings.LastIndex(e, " ")+1:])
		}
		var want []string
		for _, c := range Columns {
			if !slices.Contains(params[other[Dialect(d.name())]], c) {
				want = append(want, c)
			}
		}
		if !slices.Equal(names, want) {
			t.Errorf("%s selects %q, want %q", d.name(), names, want)
		}
	}
}

func TestParseDialect(t *testing.T) {
	for in, want := range map[string]Dialect{"athena": Athena, "cloudtrail-lake": CloudTrailLake, "lake": "", "": ""} {
		got, err := ParseDialect(in)
		if got != want || (err == nil) != (want != "") {
			t.Errorf("ParseDialect(%q) = %q, %v", in, got, err)
		}
	}
}
