package recommendation_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcore"
)

// BenchmarkLifecycle is one complete lifecycle per iteration through the
// official client over HTTP: Start (DescribeKey, two dry runs, the
// Encryption SDK's GenerateDataKey), the workflow to COMPLETED (Decrypt,
// GenerateDataKey as the service principal), Get (two Decrypts), Delete.
// `-benchtime=1000x` is the 1,000 lifecycles.
func BenchmarkLifecycle(b *testing.B) {
	e := newEnv(b)
	key := e.createKey(b, canonicalPolicy(b), "")
	b.ResetTimer()
	for i := range b.N {
		st := e.start(b, fmt.Sprintf("Bench%d", i), key)
		if got := e.wait(b, *st.RecommendationId); got != recommendationCompleted {
			b.Fatalf("workflow ended %s", got)
		}
		if _, err := e.ac.GetRecommendation(e.ctx, &bedrockagentcore.GetRecommendationInput{RecommendationId: st.RecommendationId}); err != nil {
			b.Fatal(err)
		}
		if _, err := e.ac.DeleteRecommendation(e.ctx, &bedrockagentcore.DeleteRecommendationInput{RecommendationId: st.RecommendationId}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLifecycleParallel runs the lifecycles from several clients at
// once, as independent users would; the Encryption SDK is CPU-bound, so
// this uses every core.
func BenchmarkLifecycleParallel(b *testing.B) {
	e := newEnv(b)
	key := e.createKey(b, canonicalPolicy(b), "")
	var n atomic.Int64
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			st := e.start(b, fmt.Sprintf("Bench%d", n.Add(1)), key)
			if got := e.wait(b, *st.RecommendationId); got != recommendationCompleted {
				b.Errorf("workflow ended %s", got)
				return
			}
			if _, err := e.ac.GetRecommendation(e.ctx, &bedrockagentcore.GetRecommendationInput{RecommendationId: st.RecommendationId}); err != nil {
				b.Error(err)
				return
			}
			if _, err := e.ac.DeleteRecommendation(e.ctx, &bedrockagentcore.DeleteRecommendationInput{RecommendationId: st.RecommendationId}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
