// Command benchserver runs the fake KMS in a process of its own for
// bench/kms-throughput.sh, so that the simulator is measured the way another
// KMS server (local-kms) would be: the client's heap and garbage collector
// are not the server's. It serves the default identities on a free loopback
// port with the CloudTrail trail written under a temporary directory,
// prints "endpoint=URL" and runs until SIGINT or SIGTERM.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/kmslint/kmslint/simulator/kms"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "benchserver:", err)
		os.Exit(1)
	}
}

func run() error {
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
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(ctx)
}
