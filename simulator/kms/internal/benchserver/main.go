// Command benchserver runs the fake KMS in a process of its own for
// bench/kms-throughput.sh, so that the simulator is measured the way another
// KMS server (local-kms) would be: the client's heap and garbage collector
// are not the server's. It serves the default identities on a free loopback
// port with the CloudTrail trail written under a temporary directory,
// prints "endpoint=URL" and runs until SIGINT or SIGTERM.
//
// With -canned it serves fixed CreateKey, GenerateDataKey and Decrypt
// responses instead, with no SigV4, policy, crypto or trail behind them: the
// most that any KMS server in its own process can reach with the official
// SDK client on this machine. The Bar of the fake KMS compares with another
// server in its own process, so this ceiling says how much of the gap is
// the server's.
package main

import (
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/kmslint/kmslint/simulator/kms"
)

func main() {
	canned := flag.Bool("canned", false, "serve fixed responses (the own-process ceiling) instead of the simulator")
	flag.Parse()
	if err := run(*canned); err != nil {
		fmt.Fprintln(os.Stderr, "benchserver:", err)
		os.Exit(1)
	}
}

func run(canned bool) error {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	if canned {
		return serveCanned(sig)
	}
	dir, err := os.MkdirTemp("", "kms-bench-trail-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	srv, err := kms.Start(kms.Options{TrailDir: dir, NoMemoryTrail: true})
	if err != nil {
		return err
	}
	fmt.Printf("endpoint=%s\n", srv.Endpoint())
	<-sig
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(ctx)
}

const cannedKey = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"

// cannedResponses have the sizes of the simulator's: a 32-byte data key and
// a ciphertext blob of about the length the simulator returns.
func cannedResponses() map[string][]byte {
	ct := base64.StdEncoding.EncodeToString(make([]byte, 160))
	pt := base64.StdEncoding.EncodeToString(make([]byte, 32))
	return map[string][]byte{
		"TrentService.CreateKey":       []byte(`{"KeyMetadata":{"Arn":"` + cannedKey + `","KeyId":"1234abcd-12ab-34cd-56ef-1234567890ab","KeyState":"Enabled"}}`),
		"TrentService.GenerateDataKey": []byte(`{"CiphertextBlob":"` + ct + `","Plaintext":"` + pt + `","KeyId":"` + cannedKey + `"}`),
		"TrentService.Decrypt":         []byte(`{"Plaintext":"` + pt + `","KeyId":"` + cannedKey + `","EncryptionAlgorithm":"SYMMETRIC_DEFAULT"}`),
	}
}

func serveCanned(sig <-chan os.Signal) error {
	responses := cannedResponses()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Read the request as a real server must before answering.
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			return
		}
		body, ok := responses[r.Header.Get("X-Amz-Target")]
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if !ok {
			w.WriteHeader(http.StatusBadRequest)
			body = []byte(`{"__type":"UnknownOperationException"}`)
		}
		w.Write(body)
	})}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	fmt.Printf("endpoint=http://%s\n", l.Addr())
	select {
	case <-sig:
	case err := <-errc:
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
