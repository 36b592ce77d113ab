package cloudtrail

import (
	"slices"
	"time"
)

// KMSEventSource is the eventSource of AWS KMS API calls.
const KMSEventSource = "kms.amazonaws.com"

// Filter selects the events a caller wants. Within a list any value matches;
// the conditions are combined with AND; an empty list or zero time does not
// restrict.
type Filter struct {
	EventSources []string
	EventNames   []string
	// Since and Until bound eventTime, both inclusive (as LookupEvents'
	// StartTime and EndTime).
	Since, Until time.Time
}

// DefaultFilter selects KMS events, which is what the audit needs.
func DefaultFilter() *Filter { return &Filter{EventSources: []string{KMSEventSource}} }

// pre is the prefilter: it looks at the raw eventSource and eventName members
// and rejects records that cannot match without decoding them. It never
// rejects a record that match would accept.
func (f *Filter) pre(r *rawRecord) bool {
	if r.fields.odd {
		return true
	}
	if len(f.EventSources) > 0 {
		if ok, unsure := stringIs(r.data, r.fields.source, f.EventSources); !ok && !unsure {
			return false
		}
	}
	if len(f.EventNames) > 0 {
		if ok, unsure := stringIs(r.data, r.fields.name, f.EventNames); !ok && !unsure {
			return false
		}
	}
	return true
}

// match is the exact test on a decoded event.
func (f *Filter) match(ev *Event) bool {
	if len(f.EventSources) > 0 && !slices.Contains(f.EventSources, ev.EventSource) {
		return false
	}
	if len(f.EventNames) > 0 && !slices.Contains(f.EventNames, ev.EventName) {
		return false
	}
	if !f.Since.IsZero() && ev.EventTime.Before(f.Since) {
		return false
	}
	if !f.Until.IsZero() && ev.EventTime.After(f.Until) {
		return false
	}
	return true
}
