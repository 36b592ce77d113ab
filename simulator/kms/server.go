package kms

import (
	"context"
	"errors"
	"fmt"
	"github.com/kmslint/kmslint/internal/partition"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/kmslint/kmslint/internal/authz"
	"github.com/kmslint/kmslint/internal/policy"
	"github.com/kmslint/kmslint/simulator/identity"
	"github.com/kmslint/kmslint/simulator/kms/trail"
	"github.com/kmslint/kmslint/simulator/sigv4"
)

// DefaultAddr is where Start listens unless told otherwise: loopback, on a
// free port.
const DefaultAddr = "127.0.0.1:0"

// Options configure a Server.
type Options struct {
	// Addr to listen on (Start only); default DefaultAddr.
	Addr string
	// Identities that may call; default identity.Default().
	Identities *identity.Set
	// StateDir persists keys, aliases and grants there (created 0700; the
	// state file is 0600 and replaced atomically). Empty keeps state in
	// memory only.
	StateDir string
	// TrailDir writes the CloudTrail records as files in S3 layout there.
	TrailDir string
	// NoMemoryTrail turns off the in-memory trail (Trail returns nothing),
	// for long-running servers whose trail goes to files.
	NoMemoryTrail bool
	// Sinks receive every record too.
	Sinks []trail.Sink
	// Now is the simulated clock (key dates, deletion, request context,
	// CloudTrail event times); default time.Now. Tests use it to pass a
	// key's deletion date. Signature freshness uses the wall clock.
	Now func() time.Time
}

// Server is the fake KMS. Its methods are safe for concurrent use.
type Server struct {
	ids       *identity.Set
	region    string
	partition string
	now       func() time.Time
	started   time.Time

	verifier *sigv4.Verifier
	store    *store
	state    *stateFile // nil without StateDir
	memory   *trail.Memory
	sinks    trail.Multi

	rootPolicies sync.Map  // account -> *authz.Policy (IAM-only operations)
	bodies       sync.Pool // request body buffers

	mu       sync.Mutex
	httpSrv  *http.Server
	ln       net.Listener
	serveErr chan error
	closed   bool
	trailErr error // first failure to write a record
}

// New builds a server and loads its state, without listening: mount
// Handler in your own http.Server, or call Start.
func New(opts Options) (*Server, error) {
	ids := opts.Identities
	if ids == nil {
		ids = identity.Default()
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	s := &Server{
		ids:       ids,
		region:    ids.Region,
		partition: partition.Of(ids.Region),
		now:       func() time.Time { return now().UTC() },
		store:     newStore(),
	}
	s.started = s.now().Truncate(time.Second)
	// Clients sign with the wall clock, so signature freshness is checked
	// against it even when the simulated clock runs elsewhere.
	s.verifier = &sigv4.Verifier{Service: "kms", Region: ids.Region, Secret: ids.Secret}
	if !opts.NoMemoryTrail {
		s.memory = trail.NewMemory()
		s.sinks = append(s.sinks, s.memory)
	}
	s.sinks = append(s.sinks, opts.Sinks...)
	if opts.TrailDir != "" {
		d, err := trail.NewS3Dir(opts.TrailDir, trail.S3DirOptions{})
		if err != nil {
			return nil, err
		}
		s.sinks = append(s.sinks, d)
	}
	if opts.StateDir != "" {
		st, err := openState(opts.StateDir)
		if err != nil {
			s.sinks.Close()
			return nil, err
		}
		if err := st.load(s); err != nil {
			s.sinks.Close()
			return nil, err
		}
		s.state = st
	}
	return s, nil
}

// Start builds a server and serves it on opts.Addr (default
// 127.0.0.1:0) until Shutdown.
func Start(opts Options) (*Server, error) {
	s, err := New(opts)
	if err != nil {
		return nil, err
	}
	addr := opts.Addr
	if addr == "" {
		addr = DefaultAddr
	}
	if err := s.Listen(addr); err != nil {
		s.sinks.Close()
		return nil, err
	}
	return s, nil
}

// Listen serves the server on addr in the background.
func (s *Server) Listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("kms simulator: listen %s: %w", addr, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil || s.closed {
		ln.Close()
		return errors.New("kms simulator: already listening or shut down")
	}
	s.ln = ln
	s.httpSrv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	s.serveErr = make(chan error, 1)
	go func(srv *http.Server) {
		err := srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.serveErr <- err
	}(s.httpSrv)
	return nil
}

// Endpoint is the base URL clients use, e.g. http://127.0.0.1:41234; empty
// before Listen.
func (s *Server) Endpoint() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return ""
	}
	return "http://" + s.ln.Addr().String()
}

// Handler is the KMS endpoint as an http.Handler, for mounting next to
// other simulated services (requests carry X-Amz-Target: TrentService.*).
func (s *Server) Handler() http.Handler { return s }

// Identities returns the identities the server accepts.
func (s *Server) Identities() *identity.Set { return s.ids }

// Region is the region the server plays.
func (s *Server) Region() string { return s.region }

// Account is the identities file's account.
func (s *Server) Account() string { return s.ids.Account }

// Trail returns the records written so far (nil with NoMemoryTrail).
func (s *Server) Trail() []trail.Record {
	if s.memory == nil {
		return nil
	}
	return s.memory.Records()
}

// ResetTrail forgets the in-memory records, between test cases.
func (s *Server) ResetTrail() {
	if s.memory != nil {
		s.memory.Reset()
	}
}

// FlushTrail writes pending records to every sink (files included) and
// reports the first record that could not be written.
func (s *Server) FlushTrail() error {
	err := s.sinks.Flush()
	s.mu.Lock()
	defer s.mu.Unlock()
	return errors.Join(s.trailErr, err)
}

// Credentials returns the static credentials of an identity.
func (s *Server) Credentials(accessKeyID string) (aws.Credentials, error) {
	id, ok := s.ids.Lookup(accessKeyID)
	if !ok {
		return aws.Credentials{}, fmt.Errorf("kms simulator: no identity has access key %s", accessKeyID)
	}
	return aws.Credentials{AccessKeyID: id.AccessKeyID, SecretAccessKey: id.SecretAccessKey, Source: "kmslint simulator"}, nil
}

// Config returns an aws.Config that signs as the identity with this access
// key and talks to the server. It needs Listen or Start first.
func (s *Server) Config(accessKeyID string) (aws.Config, error) {
	creds, err := s.Credentials(accessKeyID)
	if err != nil {
		return aws.Config{}, err
	}
	ep := s.Endpoint()
	if ep == "" {
		return aws.Config{}, errors.New("kms simulator: not listening")
	}
	return aws.Config{
		Region:       s.region,
		Credentials:  credentials.StaticCredentialsProvider{Value: creds},
		BaseEndpoint: aws.String(ep),
	}, nil
}

// Client returns an AWS SDK KMS client for the identity with this access
// key, pointed at the server.
func (s *Server) Client(accessKeyID string, optFns ...func(*awskms.Options)) (*awskms.Client, error) {
	cfg, err := s.Config(accessKeyID)
	if err != nil {
		return nil, err
	}
	return awskms.NewFromConfig(cfg, optFns...), nil
}

// Shutdown stops accepting requests, waits for those in flight (so each
// has its trail record), flushes and closes the trail sinks. State needs no
// flushing: every change is on disk before its response is sent.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	srv, errc := s.httpSrv, s.serveErr
	s.mu.Unlock()
	var errs []error
	if srv != nil {
		if err := srv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("kms simulator: shutdown: %w", err))
		}
		if err := <-errc; err != nil {
			errs = append(errs, fmt.Errorf("kms simulator: serve: %w", err))
		}
	}
	if err := s.sinks.Close(); err != nil {
		errs = append(errs, fmt.Errorf("kms simulator: trail: %w", err))
	}
	s.mu.Lock()
	if s.trailErr != nil && !errors.Is(s.trailErr, trail.ErrClosed) {
		errs = append(errs, fmt.Errorf("kms simulator: trail: %w", s.trailErr))
	}
	s.mu.Unlock()
	return errors.Join(errs...)
}

func (s *Server) keyARN(account, id string) string {
	return "arn:" + s.partition + ":kms:" + s.region + ":" + account + ":key/" + id
}

func (s *Server) aliasARN(account, name string) string {
	return "arn:" + s.partition + ":kms:" + s.region + ":" + account + ":" + name
}

// defaultKeyPolicy is the policy KMS gives a key created without one: the
// account may use IAM policies to allow access.
// https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
func (s *Server) defaultKeyPolicy(account string) string {
	return `{
  "Version" : "2012-10-17",
  "Id" : "key-default-1",
  "Statement" : [ {
    "Sid" : "Enable IAM User Permissions",
    "Effect" : "Allow",
    "Principal" : {
      "AWS" : "arn:` + s.partition + `:iam::` + account + `:root"
    },
    "Action" : "kms:*",
    "Resource" : "*"
  } ]
}`
}

// rootPolicy is the compiled default key policy of an account. Operations
// on no key (CreateKey, ListKeys, ListAliases, GenerateRandom) are
// authorized by IAM policies alone; deciding them against this policy, which
// delegates everything to IAM, lets the engine answer them exactly.
func (s *Server) rootPolicy(account string) (*authz.Policy, error) {
	if p, ok := s.rootPolicies.Load(account); ok {
		return p.(*authz.Policy), nil
	}
	pol, err := policy.ParseKeyPolicy("IAM", []byte(s.defaultKeyPolicy(account)))
	if err != nil {
		return nil, err
	}
	cp, err := authz.Compile("IAM authorization", pol)
	if err != nil {
		return nil, err
	}
	s.rootPolicies.Store(account, cp)
	return cp, nil
}
