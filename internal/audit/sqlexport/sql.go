// Package sqlexport moves the audit's event selection onto AWS's
// distributed query engines for trails too large to download: it writes the
// SQL that selects exactly the events `kmslint audit` needs (for Amazon
// Athena over the documented CloudTrail table, or for a CloudTrail Lake
// event data store), and reads the query's result export back as
// cloudtrail.Events.
//
// Both queries return the same flat columns (Columns), so one reader maps a
// row back to an event whichever engine produced it. Struct columns such as
// useridentity are selected member by member rather than whole: how an
// engine renders a struct in CSV or in GetQueryResults is engine- and
// version-dependent (Athena writes {type=AssumedRole, ...}), a flat string
// column is not.
package sqlexport

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/kmslint/kmslint/internal/agentcore"
	"github.com/kmslint/kmslint/internal/cloudtrail"
)

// Dialect is the engine a query is written for.
type Dialect string

const (
	// Athena is Amazon Athena over the CloudTrail table created with
	// partition projection as documented in
	// https://docs.aws.amazon.com/athena/latest/ug/create-cloudtrail-table-partition-projection.html
	Athena Dialect = "athena"
	// CloudTrailLake is CloudTrail Lake SQL against an event data store
	// (schema: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/query-supported-event-schemas.html).
	CloudTrailLake Dialect = "cloudtrail-lake"
)

// DefaultAthenaTable is the table name of the AWS documentation's
// partition-projection example.
const DefaultAthenaTable = "cloudtrail_logs_pp"

// ParseDialect reads --emit-sql and --from values.
func ParseDialect(s string) (Dialect, error) {
	switch d := Dialect(s); d {
	case Athena, CloudTrailLake:
		return d, nil
	}
	return "", fmt.Errorf("%q: want athena or cloudtrail-lake", s)
}

// LifecycleEvents are the key state and policy changes the audit follows
// for the keys its recommendations used.
var LifecycleEvents = []string{"DisableKey", "EnableKey", "ScheduleKeyDeletion", "CancelKeyDeletion", "PutKeyPolicy"}

// Query describes what to select.
type Query struct {
	Dialect Dialect
	// Table is the Athena table, optionally "database.table"; empty means
	// DefaultAthenaTable.
	Table string
	// EventDataStore is the CloudTrail Lake event data store ID (or the ID
	// suffix of its ARN); required for CloudTrailLake.
	EventDataStore string
	// Since and Until bound eventTime, both inclusive; zero means unbounded.
	Since, Until time.Time
	// KeyARN, when set, restricts the query to one key.
	KeyARN string
}

// column is a result column and the expression that selects it in each
// dialect; "" where the dialect does not select it.
type column struct{ name, athena, lake string }

// field is a record field both engines name alike; member one they select
// by the same path.
func field(name string) column        { return column{name, name, name} }
func member(path, name string) column { return column{name, path, path} }

// columns are the result columns, in order. The record fields are alike in
// both engines; the key and the request parameters differ (Athena keeps
// requestparameters as the record's JSON text, CloudTrail Lake as a
// map<string,string>, so its query selects the three members the audit
// reads instead).
var columns = []column{
	field("eventversion"), field("eventid"), field("eventtime"), field("eventsource"), field("eventname"), field("awsregion"),
	field("sourceipaddress"), field("useragent"), field("errorcode"), field("errormessage"), field("readonly"), field("eventtype"),
	field("recipientaccountid"), field("requestid"), field("sharedeventid"), field("eventcategory"),
	member("useridentity.type", "useridentity_type"),
	member("useridentity.principalid", "useridentity_principalid"),
	member("useridentity.arn", "useridentity_arn"),
	member("useridentity.accountid", "useridentity_accountid"),
	member("useridentity.accesskeyid", "useridentity_accesskeyid"),
	member("useridentity.username", "useridentity_username"),
	member("useridentity.invokedby", "useridentity_invokedby"),
	member("useridentity.sessioncontext.sessionissuer.type", "sessionissuer_type"),
	member("useridentity.sessioncontext.sessionissuer.principalid", "sessionissuer_principalid"),
	member("useridentity.sessioncontext.sessionissuer.arn", "sessionissuer_arn"),
	member("useridentity.sessioncontext.sessionissuer.accountid", "sessionissuer_accountid"),
	member("useridentity.sessioncontext.sessionissuer.username", "sessionissuer_username"),
	member("useridentity.sessioncontext.attributes.creationdate", "session_creationdate"),
	member("useridentity.sessioncontext.attributes.mfaauthenticated", "session_mfaauthenticated"),
	// KMS records list one resource, the key; Athena's filter makes sure.
	{"kmskeyarn", "element_at(filter(resources, r -> r.type = 'AWS::KMS::Key'), 1).arn", "element_at(resources, 1).arn"},
	{"requestparameters", "requestparameters", ""},
	{"keyid", "", "element_at(requestparameters, 'keyId')"},
	{"encryptioncontext", "", "element_at(requestparameters, 'encryptionContext')"},
	{"policy", "", "element_at(requestparameters, 'policy')"},
}

// Columns are the result columns of both dialects, in order. The reader
// looks columns up by name, so a result with more columns, or in another
// order, is read too.
var Columns = func() []string {
	names := make([]string, len(columns))
	for i, c := range columns {
		names[i] = c.name
	}
	return names
}()

var (
	tableName = regexp.MustCompile(`^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)?$`)
	edsID     = regexp.MustCompile(`^[A-Za-z0-9._/\-:]+$`)
	keyARN    = regexp.MustCompile(`^arn:[a-z-]+:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$`)
)

// SQL returns the query text.
func (q Query) SQL() (string, error) {
	if !q.Since.IsZero() && !q.Until.IsZero() && q.Until.Before(q.Since) {
		return "", fmt.Errorf("until %s is before since %s", q.Until.Format(time.RFC3339), q.Since.Format(time.RFC3339))
	}
	if q.KeyARN != "" && !keyARN.MatchString(q.KeyARN) {
		return "", fmt.Errorf("key ARN %q: want arn:aws:kms:REGION:ACCOUNT:key/ID", q.KeyARN)
	}
	var d dialect
	switch q.Dialect {
	case Athena:
		table := q.Table
		if table == "" {
			table = DefaultAthenaTable
		}
		if !tableName.MatchString(table) {
			return "", fmt.Errorf("athena table %q: want [database.]table of letters, digits and _", table)
		}
		d = athena{from: `"` + strings.ReplaceAll(table, ".", `"."`) + `"`}
	case CloudTrailLake:
		if q.EventDataStore == "" {
			return "", fmt.Errorf("cloudtrail-lake needs the event data store ID")
		}
		// The FROM clause takes the ID, which is the last part of the ARN.
		id := q.EventDataStore
		if i := strings.LastIndex(id, "/"); i >= 0 && strings.HasPrefix(id, "arn:") {
			id = id[i+1:]
		}
		if !edsID.MatchString(id) || strings.Contains(id, "/") {
			return "", fmt.Errorf("event data store %q: want its ID or ARN", q.EventDataStore)
		}
		d = lake{from: id}
	default:
		return "", fmt.Errorf("unknown dialect %q", q.Dialect)
	}
	return q.build(d), nil
}

// dialect is what differs between the engines.
type dialect interface {
	name() string
	source() string
	// where is the time and source restriction, with partition pruning.
	where(since, until time.Time) []string
	// recommendation is true for events with the recommendation context.
	recommendation() string
	// keyID is the id of the key an event used, from its resources or its
	// keyId parameter (an ARN's last part, or the bare id).
	keyID() string
	// expr is the expression that selects c, "" for none.
	expr(c column) string
}

// selectList is the SELECT list of a dialect.
func selectList(d dialect) []string {
	var out []string
	for _, c := range columns {
		switch e := d.expr(c); e {
		case "":
		case c.name:
			out = append(out, e)
		default:
			out = append(out, e+" AS "+c.name)
		}
	}
	return out
}

func (q Query) build(d dialect) string {
	var b strings.Builder
	fmt.Fprintf(&b, "-- kmslint audit --emit-sql %s: the KMS events with the AgentCore recommendation\n", d.name())
	b.WriteString("-- encryption context, AgentCore's key validations (DescribeKey), and the lifecycle events\n")
	b.WriteString("-- (" + strings.Join(LifecycleEvents, ", ") + ")\n")
	b.WriteString("-- of the keys they used. Export the result and run: kmslint audit --from " + d.name() + " RESULT\n")
	if q.Since.IsZero() {
		b.WriteString("-- No --since: the whole trail is scanned (and billed).\n")
	}
	where := d.where(q.Since, q.Until)
	lifecycle := quoteList(LifecycleEvents)
	rec := append(slices.Clone(where), d.recommendation(), "eventname NOT IN ("+lifecycle+")")
	// StartRecommendation validates the key with DescribeKey, through
	// AgentCore and without an encryption context; a denied one is the only
	// trace of a Start that failed there.
	validation := []string{"eventname = 'DescribeKey'", "useridentity.invokedby = " + quote(agentcore.ServicePrincipal)}
	var keys string
	if q.KeyARN != "" {
		id := q.KeyARN[strings.LastIndex(q.KeyARN, "/")+1:]
		rec = append(rec, d.keyID()+" = "+quote(id))
		validation = append(validation, d.keyID()+" = "+quote(id))
		keys = d.keyID() + " = " + quote(id)
	} else {
		// A key is involved when a recommendation's call used it.
		keys = d.keyID() + " IN (\n      SELECT DISTINCT " + d.keyID() + "\n      FROM " + d.source() +
			"\n      WHERE " + strings.Join(append(slices.Clone(where), d.recommendation()), "\n        AND ") + ")"
	}
	b.WriteString("SELECT\n  " + strings.Join(selectList(d), ",\n  ") + "\n")
	b.WriteString("FROM " + d.source() + "\n")
	b.WriteString("WHERE " + strings.Join(where, "\n  AND ") + "\n")
	b.WriteString("  AND (\n    (" + strings.Join(rec[len(where):], "\n      AND ") + ")\n")
	b.WriteString("    OR (" + strings.Join(validation, "\n      AND ") + ")\n")
	b.WriteString("    OR (eventname IN (" + lifecycle + ")\n      AND " + keys + ")\n  )\n")
	b.WriteString("ORDER BY eventtime, eventid\n")
	return b.String()
}

type athena struct{ from string }

func (athena) name() string     { return string(Athena) }
func (a athena) source() string { return a.from }

func (athena) where(since, until time.Time) []string {
	w := []string{"eventsource = " + quote(cloudtrail.KMSEventSource)}
	// The projected partition is the log file's delivery date
	// (yyyy/MM/dd, storage.location.template .../${timestamp}); an event
	// near midnight can land in the next day's file, so the partition
	// range is one day wider than the event range, which eventtime then
	// bounds exactly.
	const day = 24 * time.Hour
	if !since.IsZero() {
		w = append(w, `"timestamp" >= `+quote(since.UTC().Add(-day).Format("2006/01/02")))
	}
	if !until.IsZero() {
		w = append(w, `"timestamp" <= `+quote(until.UTC().Add(day).Format("2006/01/02")))
	}
	// eventtime is a STRING in CloudTrail's own yyyy-MM-ddTHH:mm:ssZ form,
	// which sorts as text in time order.
	if !since.IsZero() {
		w = append(w, "eventtime >= "+quote(since.UTC().Format("2006-01-02T15:04:05Z")))
	}
	if !until.IsZero() {
		w = append(w, "eventtime <= "+quote(until.UTC().Format("2006-01-02T15:04:05Z")))
	}
	return w
}

func (athena) recommendation() string {
	// requestparameters is the record's JSON text; the audit checks the
	// parsed context exactly, the query only has to keep every candidate.
	return "strpos(requestparameters, " + quote(`"`+agentcore.ContextKey+`"`) + ") > 0"
}

func (athena) keyID() string {
	return "regexp_extract(coalesce(element_at(filter(resources, r -> r.type = 'AWS::KMS::Key'), 1).arn, " +
		"json_extract_scalar(requestparameters, '$.keyId')), '[^/]+$')"
}

func (athena) expr(c column) string { return c.athena }

type lake struct{ from string }

func (lake) name() string     { return string(CloudTrailLake) }
func (l lake) source() string { return l.from }

func (lake) where(since, until time.Time) []string {
	w := []string{"eventsource = " + quote(cloudtrail.KMSEventSource)}
	// eventTime is a timestamp in Lake; the AWS sample queries compare it
	// with 'yyyy-MM-dd HH:mm:ss' literals. The event data store is pruned
	// by eventTime itself.
	if !since.IsZero() {
		w = append(w, "eventtime >= "+quote(since.UTC().Format("2006-01-02 15:04:05")))
	}
	if !until.IsZero() {
		w = append(w, "eventtime <= "+quote(until.UTC().Format("2006-01-02 15:04:05")))
	}
	return w
}

func (lake) recommendation() string {
	return "element_at(requestparameters, 'encryptionContext') LIKE " + quote("%"+agentcore.ContextKey+"%")
}

func (lake) keyID() string {
	// KMS records list one resource, the key.
	return "regexp_extract(coalesce(element_at(resources, 1).arn, element_at(requestparameters, 'keyId')), '[^/]+$')"
}

func (lake) expr(c column) string { return c.lake }

// quote is a SQL string literal; both engines double a quote inside.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = quote(s)
	}
	return strings.Join(q, ", ")
}
