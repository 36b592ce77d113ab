package kms_test

import (
	"context"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/kmslint/kmslint/simulator/identity"
	"github.com/kmslint/kmslint/simulator/kms"
)

// ExternalEndpointEnv names another KMS endpoint (e.g. a local-kms you
// started yourself) to benchmark side by side with the simulator, using
// the same client code; it is called with dummy credentials.
const ExternalEndpointEnv = "KMS_BENCH_EXTERNAL_ENDPOINT"

// BenchmarkGenerateDataKeyDecrypt measures GenerateDataKey+Decrypt pairs
// through the official SDK over loopback, with SigV4 verification, key
// policy enforcement (the seed's canonical policy, as the caller through
// the service with a recommendation context) and the trail written to S3
// layout files. It reports pairs/s at 1 and 8 client goroutines.
func BenchmarkGenerateDataKeyDecrypt(b *testing.B) {
	ids, err := identity.Parse("bench identities", []byte(testIdentities))
	if err != nil {
		b.Fatal(err)
	}
	srv, err := kms.Start(kms.Options{Identities: ids, TrailDir: b.TempDir(), NoMemoryTrail: true})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	admin, _ := srv.Client(akAdmin)
	ctx := context.Background()
	k, err := admin.CreateKey(ctx, &awskms.CreateKeyInput{Policy: aws.String(withAdmin(canonicalPolicy))})
	if err != nil {
		b.Fatal(err)
	}
	client, _ := srv.Client(akFAS)
	for _, n := range []int{1, 8} {
		b.Run("simulator/goroutines="+strconv.Itoa(n), func(b *testing.B) {
			runPairs(b, client, *k.KeyMetadata.Arn, recEC(recARN), n)
		})
	}

	if ep := os.Getenv(ExternalEndpointEnv); ep != "" {
		ext := awskms.NewFromConfig(aws.Config{
			Region:       region,
			Credentials:  credentials.NewStaticCredentialsProvider("AKIAEXAMPLEBENCH0001", "bench-secret", ""),
			BaseEndpoint: aws.String(ep),
		})
		ek, err := ext.CreateKey(ctx, &awskms.CreateKeyInput{})
		if err != nil {
			b.Fatalf("CreateKey at %s: %v", ep, err)
		}
		for _, n := range []int{1, 8} {
			b.Run("external/goroutines="+strconv.Itoa(n), func(b *testing.B) {
				runPairs(b, ext, *ek.KeyMetadata.Arn, recEC(recARN), n)
			})
		}
	}
}

func runPairs(b *testing.B, c *awskms.Client, keyARN string, ec map[string]string, goroutines int) {
	ctx := context.Background()
	var next atomic.Int64
	var failed atomic.Value
	var wg sync.WaitGroup
	b.ResetTimer()
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				dk, err := c.GenerateDataKey(ctx, gdk(keyARN, ec))
				if err != nil {
					failed.Store(err)
					return
				}
				if _, err := c.Decrypt(ctx, &awskms.DecryptInput{CiphertextBlob: dk.CiphertextBlob, EncryptionContext: ec}); err != nil {
					failed.Store(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pairs/s")
}
