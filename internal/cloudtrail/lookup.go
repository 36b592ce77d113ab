package cloudtrail

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"golang.org/x/time/rate"
)

// LookupSource is the Source of events and errors from the LookupEvents API.
const LookupSource = "cloudtrail:LookupEvents"

// LookupAPI is the part of *cloudtrail.Client the reader uses.
type LookupAPI interface {
	cloudtrail.LookupEventsAPIClient
}

// Lookup reads events through the CloudTrail LookupEvents API (the last 90
// days of management events of one account and region).
//
// The request asks for at most 50 events a page (the API's maximum), for
// the Filter's event source when it names exactly one (LookupEvents takes a
// single lookup attribute), and for the Filter's Since/Until as StartTime and
// EndTime. Events are still run through the whole Filter.
type Lookup struct {
	Client LookupAPI
	// Limiter paces the requests. nil means 2 per second without burst:
	// "The rate of lookup requests is limited to two per second, per
	// account, per Region. If this limit is exceeded, a throttling error
	// occurs." (https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html).
	// SDK retries of a throttled request are not paced by it; they back off
	// on their own.
	Limiter *rate.Limiter

	clock clock // nil means the system clock; tests set a fake one
}

// clock is what pacing needs from time, so tests can run it on fake time.
type clock interface {
	Now() time.Time
	Sleep(ctx context.Context, d time.Duration) error
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// lookupPageSize is LookupEvents' MaxResults ceiling.
const lookupPageSize = 50

func (l *Lookup) input(f *Filter) *cloudtrail.LookupEventsInput {
	in := &cloudtrail.LookupEventsInput{MaxResults: aws.Int32(lookupPageSize)}
	if len(f.EventSources) == 1 {
		in.LookupAttributes = []types.LookupAttribute{{
			AttributeKey:   types.LookupAttributeKeyEventSource,
			AttributeValue: aws.String(f.EventSources[0]),
		}}
	}
	if !f.Since.IsZero() {
		in.StartTime = aws.Time(f.Since)
	}
	if !f.Until.IsZero() {
		in.EndTime = aws.Time(f.Until)
	}
	return in
}

// wait blocks until the limiter lets one more request go.
func wait(ctx context.Context, lim *rate.Limiter, clk clock) error {
	now := clk.Now()
	res := lim.ReserveN(now, 1)
	if !res.OK() {
		return errors.New("lookup rate limiter admits no request")
	}
	if d := res.DelayFrom(now); d > 0 {
		if err := clk.Sleep(ctx, d); err != nil {
			res.CancelAt(clk.Now())
			return err
		}
	}
	return nil
}

// lookup reads all pages; it returns an error only when ctx ends.
func (r *run) lookup(ctx context.Context, l *Lookup) error {
	src := &source{r: r, seq: lookupSeq, name: LookupSource, named: true}
	var sp splitter
	sp.reset(ctx, nil, r.maxRec, src)
	answered := false
	defer func() { r.finish(src, answered, sp.next) }()

	lim, clk := l.Limiter, l.clock
	if lim == nil {
		lim = rate.NewLimiter(2, 1)
	}
	if clk == nil {
		clk = systemClock{}
	}
	pages := cloudtrail.NewLookupEventsPaginator(l.Client, l.input(r.filter))
	for pages.HasMorePages() && !sp.stop {
		if err := wait(ctx, lim, clk); err != nil {
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			src.problem(&sp, -1, -1, err)
			return nil
		}
		page, err := pages.NextPage(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			src.problem(&sp, -1, -1, fmt.Errorf("LookupEvents: %w", err))
			return nil
		}
		answered = true
		for _, e := range page.Events {
			idx := sp.next
			sp.next++
			if e.CloudTrailEvent == nil {
				sp.fail(idx, -1, fmt.Errorf("event %s has no CloudTrailEvent", aws.ToString(e.EventId)))
			} else {
				sp.innerRecord(idx, -1, []byte(*e.CloudTrailEvent))
			}
			if sp.stop {
				break
			}
		}
	}
	return nil
}
