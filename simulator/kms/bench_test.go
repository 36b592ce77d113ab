package kms_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/kmslint/kmslint/simulator/identity"
	"github.com/kmslint/kmslint/simulator/kms"
)

// Environment of the endpoint mode: KMS_BENCH_ENDPOINT names a KMS
// endpoint in another process (the simulator run by benchserver, or a
// local-kms you started yourself) to measure with the same client code;
// KMS_BENCH_ACCESS_KEY and KMS_BENCH_SECRET_KEY sign its requests (default:
// the default identities' caller through bedrock-agentcore, which servers
// without SigV4 accept as well).
const (
	EndpointEnv  = "KMS_BENCH_ENDPOINT"
	AccessKeyEnv = "KMS_BENCH_ACCESS_KEY"
	SecretKeyEnv = "KMS_BENCH_SECRET_KEY"
)

// BenchmarkGenerateDataKeyDecrypt measures GenerateDataKey+Decrypt pairs
// through the official SDK over loopback, with SigV4 verification, key
// policy enforcement (the seed's canonical policy, as the caller through
// the service with a recommendation context) and the trail written to S3
// layout files. It reports pairs/s at 1 and 8 client goroutines, with the
// simulator in the benchmark's process ("inprocess") and, when
// KMS_BENCH_ENDPOINT is set, at that endpoint ("endpoint").
func BenchmarkGenerateDataKeyDecrypt(b *testing.B) {
	srv, k := benchServer(b)
	ctx := context.Background()
	client, _ := srv.Client(akFAS)
	for _, n := range []int{1, 8} {
		b.Run("inprocess/goroutines="+strconv.Itoa(n), func(b *testing.B) {
			runPairs(b, client, *k.KeyMetadata.Arn, recEC(recARN), n)
		})
	}

	ep := os.Getenv(EndpointEnv)
	if ep == "" {
		return
	}
	ak, secret := os.Getenv(AccessKeyEnv), os.Getenv(SecretKeyEnv)
	if ak == "" {
		ak, secret = akFAS, "fas-secret"
	}
	ext := awskms.NewFromConfig(aws.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider(ak, secret, ""),
		BaseEndpoint: aws.String(ep),
	})
	// The canonical policy does not let its creator change it, hence the
	// bypass; a server that does not enforce policies just stores it.
	ek, err := ext.CreateKey(ctx, &awskms.CreateKeyInput{Policy: aws.String(canonicalPolicy), BypassPolicyLockoutSafetyCheck: true})
	if err != nil {
		b.Fatalf("CreateKey at %s: %v", ep, err)
	}
	for _, n := range []int{1, 8} {
		b.Run("endpoint/goroutines="+strconv.Itoa(n), func(b *testing.B) {
			runPairs(b, ext, *ek.KeyMetadata.Arn, recEC(recARN), n)
		})
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

// BenchmarkServeHTTPPair measures the server alone: one GenerateDataKey
// and one Decrypt, signed beforehand, handed to the handler without a
// network or an SDK in between (SigV4 verification, authorization, crypto
// and the trail included). The end-to-end benchmark above is bounded by the
// SDK client and loopback; this is the simulator's own cost.
func BenchmarkServeHTTPPair(b *testing.B) {
	srv, k := benchServer(b)
	ctx := context.Background()
	fas, _ := srv.Client(akFAS)
	dk, err := fas.GenerateDataKey(ctx, gdk(*k.KeyMetadata.Arn, recEC(recARN)))
	if err != nil {
		b.Fatal(err)
	}
	gen, _ := json.Marshal(map[string]any{"KeyId": *k.KeyMetadata.Arn, "KeySpec": "AES_256", "EncryptionContext": recEC(recARN)})
	dec, _ := json.Marshal(map[string]any{"CiphertextBlob": dk.CiphertextBlob, "EncryptionContext": recEC(recARN)})
	reqs := []*http.Request{signedRequest(b, srv.Endpoint(), "GenerateDataKey", gen), signedRequest(b, srv.Endpoint(), "Decrypt", dec)}
	bodies := [][]byte{gen, dec}
	w := &discardWriter{h: http.Header{}}
	h := srv.Handler()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j, r := range reqs {
			r.Body = io.NopCloser(bytes.NewReader(bodies[j]))
			w.status = 0
			h.ServeHTTP(w, r)
			if w.status != http.StatusOK {
				b.Fatalf("status %d", w.status)
			}
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pairs/s")
}

func signedRequest(b *testing.B, endpoint, op string, body []byte) *http.Request {
	r, err := http.NewRequest("POST", endpoint+"/", bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	r.Header.Set("X-Amz-Target", "TrentService."+op)
	r.RemoteAddr = "127.0.0.1:40000"
	signAs(akFAS, "fas-secret", body, time.Now())(r)
	r.Host = r.URL.Host
	return r
}

type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(s int)           { w.status = s }

// benchServer starts the simulator as the benchmarks measure it (SigV4,
// the canonical policy, the trail written to S3-layout files, no memory
// trail) with one key, stopped when b ends.
func benchServer(b *testing.B) (*kms.Server, *awskms.CreateKeyOutput) {
	b.Helper()
	ids, err := identity.Parse("bench identities", []byte(testIdentities))
	if err != nil {
		b.Fatal(err)
	}
	srv, err := kms.Start(kms.Options{Identities: ids, TrailDir: b.TempDir(), NoMemoryTrail: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Shutdown(context.Background()) })
	admin, _ := srv.Client(akAdmin)
	k, err := admin.CreateKey(context.Background(), &awskms.CreateKeyInput{Policy: aws.String(withAdmin(canonicalPolicy))})
	if err != nil {
		b.Fatal(err)
	}
	return srv, k
}
