package cloudtrail

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"golang.org/x/time/rate"
)

// lookupTargets are the X-Amz-Target values CloudTrail answers to for
// LookupEvents: the AWS CLI (botocore) sends the first, aws-sdk-go-v2 the
// second.
var lookupTargets = []string{
	"com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents",
	"CloudTrail_20131101.LookupEvents",
}

// fakeCloudTrail serves LookupEvents over the JSON 1.1 protocol, one page
// per request, chained by NextToken.
type fakeCloudTrail struct {
	pages  [][]map[string]any
	status int // when set, every request fails with it

	mu       sync.Mutex
	requests []lookupRequest
}

type lookupRequest struct {
	LookupAttributes []struct{ AttributeKey, AttributeValue string }
	MaxResults       int
	NextToken        string
	StartTime        *float64
	EndTime          *float64
}

func (f *fakeCloudTrail) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !slices.Contains(lookupTargets, r.Header.Get("X-Amz-Target")) ||
		r.Header.Get("Content-Type") != "application/x-amz-json-1.1" || !signedByTestKey(r) {
		http.Error(w, "unexpected request", http.StatusBadRequest)
		return
	}
	var req lookupRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.requests = append(f.requests, req)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if f.status != 0 {
		w.WriteHeader(f.status)
		fmt.Fprint(w, `{"__type":"InvalidLookupAttributesException","message":"no such attribute"}`)
		return
	}
	page := 0
	if req.NextToken != "" {
		page, _ = strconv.Atoi(strings.TrimPrefix(req.NextToken, "page-"))
	}
	out := map[string]any{"Events": f.pages[page]}
	if page+1 < len(f.pages) {
		out["NextToken"] = fmt.Sprintf("page-%d", page+1)
	}
	json.NewEncoder(w).Encode(out)
}

// lookupEvent is one element of a LookupEvents response.
func lookupEvent(id string, record *string) map[string]any {
	e := map[string]any{"EventId": id, "EventName": "Decrypt", "EventSource": KMSEventSource, "EventTime": 1704164645, "ReadOnly": "true"}
	if record != nil {
		e["CloudTrailEvent"] = *record
	}
	return e
}

// fakeClock is time that passes only when someone sleeps.
type fakeClock struct {
	now   time.Time
	slept []time.Duration
}

func (c *fakeClock) Now() time.Time { return c.now }

func (c *fakeClock) Sleep(_ context.Context, d time.Duration) error {
	c.slept = append(c.slept, d)
	c.now = c.now.Add(d)
	return nil
}

// clockedClient notes the fake time of each request it passes on.
type clockedClient struct {
	LookupAPI
	clock *fakeClock
	at    []time.Time
}

func (c *clockedClient) LookupEvents(ctx context.Context, in *cloudtrail.LookupEventsInput, opts ...func(*cloudtrail.Options)) (*cloudtrail.LookupEventsOutput, error) {
	c.at = append(c.at, c.clock.Now())
	return c.LookupAPI.LookupEvents(ctx, in, opts...)
}

func newCloudTrailClient(url string) *cloudtrail.Client {
	return cloudtrail.NewFromConfig(testAWSConfig(), func(o *cloudtrail.Options) { o.BaseEndpoint = aws.String(url) })
}

func TestReadLookup(t *testing.T) {
	str := func(s string) *string { return &s }
	fake := &fakeCloudTrail{}
	var wantIDs []string
	for p := range 4 {
		var page []map[string]any
		for i := range 3 {
			id := fmt.Sprintf("p%d-e%d", p, i)
			r := rec(id, "kms")
			if i == 2 {
				r = rec(id, "s3.amazonaws.com") // not wanted: the filter still applies
			} else {
				wantIDs = append(wantIDs, id)
			}
			page = append(page, lookupEvent(id, &r))
		}
		fake.pages = append(fake.pages, page)
	}
	fake.pages[1] = append(fake.pages[1], lookupEvent("broken", str(`{"eventSource":"kms.amazonaws.com",`)), lookupEvent("absent", nil))
	srv := httptest.NewServer(fake)
	defer srv.Close()

	since := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	until := time.Date(2024, 1, 3, 12, 30, 0, 0, time.UTC)
	for _, tt := range []struct {
		name    string
		limiter *rate.Limiter
		gap     time.Duration
	}{
		{"CloudTrail's quota by default", nil, 500 * time.Millisecond},
		{"injected limiter", rate.NewLimiter(rate.Every(2*time.Second), 1), 2 * time.Second},
		{"unlimited", rate.NewLimiter(rate.Inf, 0), 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fake.mu.Lock()
			fake.requests = nil
			fake.mu.Unlock()
			clock := &fakeClock{now: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)}
			client := &clockedClient{LookupAPI: newCloudTrailClient(srv.URL), clock: clock}
			start := clock.Now()
			events, res, err := readAll(t, Inputs{Lookup: &Lookup{Client: client, Limiter: tt.limiter, clock: clock}},
				Options{Filter: &Filter{EventSources: []string{KMSEventSource}, Since: since, Until: until}})
			if err != nil {
				t.Fatal(err)
			}
			ids := eventIDs(events)
			slices.Sort(ids)
			want := slices.Sorted(slices.Values(wantIDs))
			if !slices.Equal(ids, want) {
				t.Errorf("events %v, want %v", ids, want)
			}
			for _, ev := range events {
				if ev.Source != LookupSource {
					t.Errorf("source %q", ev.Source)
				}
			}
			if want := (Stats{Files: 1, Records: 14, Matched: len(wantIDs)}); res.Stats != want {
				t.Errorf("stats %+v, want %+v", res.Stats, want)
			}
			if len(res.Errors) != 2 || res.Errors[0].Record != 6 || res.Errors[1].Record != 7 ||
				!strings.Contains(res.Errors[0].Error(), "CloudTrailEvent, byte 36: unexpected end of input") ||
				!strings.Contains(res.Errors[1].Error(), "event absent has no CloudTrailEvent") {
				t.Errorf("errors %v", res.Errors)
			}

			// The requests: paged by NextToken, 50 at a time, KMS only, in the window.
			fake.mu.Lock()
			reqs := fake.requests
			fake.mu.Unlock()
			if len(reqs) != 4 {
				t.Fatalf("%d requests, want 4", len(reqs))
			}
			for i, r := range reqs {
				token := ""
				if i > 0 {
					token = fmt.Sprintf("page-%d", i)
				}
				if r.NextToken != token || r.MaxResults != 50 || len(r.LookupAttributes) != 1 ||
					r.LookupAttributes[0].AttributeKey != "EventSource" || r.LookupAttributes[0].AttributeValue != KMSEventSource ||
					r.StartTime == nil || *r.StartTime != float64(since.Unix()) || r.EndTime == nil || *r.EndTime != float64(until.Unix()) {
					t.Errorf("request %d: %+v", i, r)
				}
			}

			// The pacing, on fake time: requests exactly one gap apart.
			for i, at := range client.at {
				if want := start.Add(time.Duration(i) * tt.gap); !at.Equal(want) {
					t.Errorf("request %d at +%v, want +%v", i, at.Sub(start), want.Sub(start))
				}
			}
		})
	}
}

func TestReadLookupFailure(t *testing.T) {
	fake := &fakeCloudTrail{status: http.StatusBadRequest}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	clock := &fakeClock{}
	_, res, err := readAll(t, Inputs{Lookup: &Lookup{Client: newCloudTrailClient(srv.URL), clock: clock}}, Options{Filter: &Filter{}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) != 1 || !res.Errors[0].Unreadable || res.Errors[0].Source != LookupSource ||
		!strings.Contains(res.Errors[0].Error(), "InvalidLookupAttributesException") {
		t.Errorf("errors %v", res.Errors)
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if len(fake.requests) != 1 || len(fake.requests[0].LookupAttributes) != 0 || fake.requests[0].StartTime != nil {
		t.Errorf("requests %+v: want one, with no attribute or window for an unrestricted filter", fake.requests)
	}
}

var _ LookupAPI = (*cloudtrail.Client)(nil)
