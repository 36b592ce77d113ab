package recommendation

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/kmslint/kmslint/simulator/kms"
)

// Stack is the fake KMS and the recommendation API on one loopback
// endpoint, as `kmslint serve` runs them.
type Stack struct {
	KMS     *kms.Server
	Service *Service

	endpoint string
	httpSrv  *http.Server
	serveErr chan error
	once     sync.Once
	err      error
}

// StackOptions configure Start.
type StackOptions struct {
	// Addr to listen on; default kms.DefaultAddr (127.0.0.1, a free port).
	Addr string
	// KMS configures the fake KMS (its Addr is ignored).
	KMS kms.Options
	// Now is the service's clock; default KMS.Now, then time.Now.
	Now func() time.Time
}

// Start serves the fake KMS and the recommendation API on one listener.
func Start(opts StackOptions) (*Stack, error) {
	addr := opts.Addr
	if addr == "" {
		addr = kms.DefaultAddr
	}
	k, err := kms.New(opts.KMS)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		k.Shutdown(context.Background())
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	endpoint := "http://" + ln.Addr().String()
	now := opts.Now
	if now == nil {
		now = opts.KMS.Now
	}
	svc, err := New(Options{KMSEndpoint: endpoint, Identities: k.Identities(), Now: now})
	if err != nil {
		ln.Close()
		k.Shutdown(context.Background())
		return nil, err
	}
	st := &Stack{KMS: k, Service: svc, endpoint: endpoint, serveErr: make(chan error, 1)}
	st.httpSrv = &http.Server{
		Handler:           Router(k.Handler(), svc.Handler()),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	go func() {
		err := st.httpSrv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		st.serveErr <- err
	}()
	return st, nil
}

// Endpoint is the base URL of both APIs, e.g. http://127.0.0.1:41234.
func (st *Stack) Endpoint() string { return st.endpoint }

// Shutdown lets running workflows finish (within ctx), stops the listener
// and flushes the trail.
func (st *Stack) Shutdown(ctx context.Context) error {
	st.once.Do(func() {
		var errs []error
		if err := st.Service.Wait(ctx); err != nil {
			errs = append(errs, fmt.Errorf("recommendation workflows: %w", err))
		}
		if err := st.httpSrv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("shutdown: %w", err))
		}
		if err := <-st.serveErr; err != nil {
			errs = append(errs, fmt.Errorf("serve: %w", err))
		}
		if err := st.KMS.Shutdown(ctx); err != nil {
			errs = append(errs, err)
		}
		st.err = errors.Join(errs...)
	})
	return st.err
}

// Config returns an aws.Config that signs as the identity with this access
// key and talks to the stack: use it with kms.NewFromConfig and
// bedrockagentcore.NewFromConfig.
func (st *Stack) Config(accessKeyID string) (aws.Config, error) {
	creds, err := st.KMS.Credentials(accessKeyID)
	if err != nil {
		return aws.Config{}, err
	}
	return aws.Config{
		Region:       st.Service.Region(),
		Credentials:  credentials.StaticCredentialsProvider{Value: creds},
		BaseEndpoint: aws.String(st.endpoint),
		// One SDK call is one request: traces and trails stay exact.
		Retryer: func() aws.Retryer { return aws.NopRetryer{} },
	}, nil
}
