package recommendation

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/kmslint/kmslint/internal/agentcore"
	"github.com/kmslint/kmslint/simulator/identity"
)

// Options configure a Service.
type Options struct {
	// KMSEndpoint is the fake KMS's base URL, e.g. http://127.0.0.1:41234.
	KMSEndpoint string
	// Identities are the callers and the identities the service uses
	// towards KMS: for each caller, the same ARN with viaService
	// bedrock-agentcore.amazonaws.com (its forward access session), and the
	// service principal bedrock-agentcore.amazonaws.com. Default
	// identity.Default().
	Identities *identity.Set
	// HTTPClient reaches KMS; default a client with keep-alive connections.
	HTTPClient *http.Client
	// Now is the clock of createdAt/updatedAt; default time.Now.
	Now func() time.Time
}

// Service is the fake recommendation API. It is safe for concurrent use.
type Service struct {
	ids     *identity.Set
	region  string
	now     func() time.Time
	crypto  *crypto
	service *identity.Identity // the service principal's KMS identity

	mu     sync.Mutex
	seq    uint64
	recs   map[string]*record // account/id -> record
	names  map[string]string  // account/name -> id
	tokens map[string]string  // account/clientToken -> id
	wg     sync.WaitGroup
}

// record is a stored recommendation. Name, type and status are plain; with
// a customer managed key the configuration and result are Encryption SDK
// messages.
type record struct {
	meta        Recommendation // Config and Result empty when encrypted
	account     string
	seq         uint64
	fingerprint string
	token       string
	config      []byte // Encryption SDK message (with a key)
	result      []byte // Encryption SDK message (with a key, COMPLETED)
	plainResult json.RawMessage
	done        chan struct{}
}

// New builds a Service.
func New(opts Options) (*Service, error) {
	ids := opts.Identities
	if ids == nil {
		ids = identity.Default()
	}
	if opts.KMSEndpoint == "" {
		return nil, errors.New("recommendation service: KMSEndpoint is required")
	}
	hc := opts.HTTPClient
	if hc == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 64
		hc = &http.Client{Transport: tr, Timeout: time.Minute}
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	c, err := newCrypto(opts.KMSEndpoint, ids.Region, hc)
	if err != nil {
		return nil, fmt.Errorf("recommendation service: %w", err)
	}
	s := &Service{
		ids: ids, region: ids.Region, crypto: c,
		now:    func() time.Time { return now().UTC().Truncate(time.Millisecond) },
		recs:   map[string]*record{},
		names:  map[string]string{},
		tokens: map[string]string{},
	}
	for _, id := range ids.Identities {
		if id.Kind == identity.Service && id.Service == agentcore.ServicePrincipal {
			s.service = id
			break
		}
	}
	return s, nil
}

// Region is the region the service plays.
func (s *Service) Region() string { return s.region }

// fasIdentity is the caller's forward access session: the same principal,
// through the service.
func (s *Service) fasIdentity(caller *identity.Identity) (*identity.Identity, *Error) {
	if caller.Kind != identity.IAM {
		return nil, accessDenied("%s cannot call the recommendation API; use an IAM role or user", caller.Name())
	}
	for _, id := range s.ids.Identities {
		if id.Kind == identity.ViaService && id.Service == agentcore.ServicePrincipal && id.ARN == caller.ARN {
			return id, nil
		}
	}
	return nil, accessDenied("the identities file has no forward access session for %s (an identity with this arn and viaService: %s)", caller.ARN, agentcore.ServicePrincipal)
}

func recKey(account, x string) string { return account + "/" + x }

// Start is StartRecommendation. With a KMS key it validates the key and the
// caller's permissions before storing anything, encrypts the configuration
// as the caller through the service, and starts the workflow.
func (s *Service) Start(ctx context.Context, caller *identity.Identity, in StartInput) (*Recommendation, error) {
	if e := validateStart(&in); e != nil {
		return nil, e
	}
	fas, apiErr := s.fasIdentity(caller)
	if apiErr != nil {
		return nil, apiErr
	}
	account := caller.Account
	fp := fingerprint(&in)
	s.mu.Lock()
	if in.ClientToken != "" {
		if id, ok := s.tokens[recKey(account, in.ClientToken)]; ok {
			r := s.recs[recKey(account, id)]
			s.mu.Unlock()
			if r == nil {
				return nil, conflict("the request with client token %s is being processed", in.ClientToken)
			}
			if r.fingerprint != fp {
				e := validationErr("client token %s was used with other parameters", in.ClientToken)
				e.Reason = ReasonIdempotenceFailed
				return nil, e
			}
			return s.view(r, false), nil
		}
	}
	if _, taken := s.names[recKey(account, in.Name)]; taken {
		s.mu.Unlock()
		return nil, conflict("A recommendation named %s already exists", in.Name)
	}
	id, err := newID(in.Name)
	if err != nil {
		s.mu.Unlock()
		return nil, internalErr(err)
	}
	// Reserve the name (and token) while KMS is asked, so that two
	// concurrent Starts cannot both take it; released on failure.
	s.names[recKey(account, in.Name)] = id
	if in.ClientToken != "" {
		s.tokens[recKey(account, in.ClientToken)] = id
	}
	s.mu.Unlock()
	release := func() {
		s.mu.Lock()
		delete(s.names, recKey(account, in.Name))
		if in.ClientToken != "" {
			delete(s.tokens, recKey(account, in.ClientToken))
		}
		s.mu.Unlock()
	}

	arn := agentcore.RecommendationARN("", s.region, account, id)
	now := s.now()
	r := &record{
		meta: Recommendation{ID: id, ARN: arn, Name: in.Name, Description: in.Description, Type: in.Type,
			Status: StatusPending, CreatedAt: now, UpdatedAt: now, KMSKeyARN: in.KMSKeyARN, Tags: in.Tags},
		account: account, fingerprint: fp, token: in.ClientToken, done: make(chan struct{}),
	}
	if in.KMSKeyARN != "" {
		if e := s.checkKey(ctx, fas, in.KMSKeyARN, arn); e != nil {
			release()
			return nil, e
		}
		sess := s.crypto.session(fas, "")
		msg, err := s.crypto.seal(ctx, sess, in.KMSKeyARN, arn, in.Config)
		if err != nil {
			release()
			return nil, keyProblem(in.KMSKeyARN, err)
		}
		r.config = msg
	} else {
		r.meta.Config = slices.Clone(in.Config)
	}
	out := s.view(r, false)
	out.Config = slices.Clone(in.Config)

	s.mu.Lock()
	s.seq++
	r.seq = s.seq
	s.recs[recKey(account, id)] = r
	s.wg.Add(1)
	s.mu.Unlock()
	go s.workflow(r, in.Config)
	return out, nil
}

// checkKey is the validation at API time: the key's region from its ARN,
// then as the caller through the service DescribeKey (exists, Enabled,
// symmetric encryption key) and the dry-run permission checks.
func (s *Service) checkKey(ctx context.Context, fas *identity.Identity, keyARN, recARN string) *Error {
	region, ok := parseKeyARN(keyARN)
	if !ok {
		return fieldErr("kmsKeyArn", "Value '%s' at 'kmsKeyArn' failed to satisfy constraint: Member must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)", keyARN)
	}
	if region != s.region {
		// "The KMS key must be in the same AWS Region as the recommendation."
		return validationErr("KMS key %s is in %s; it must be in the recommendation's region %s", keyARN, region, s.region)
	}
	sess := s.crypto.session(fas, "")
	desc, err := sess.client.DescribeKey(ctx, &awskms.DescribeKeyInput{KeyId: aws.String(keyARN)})
	if err != nil {
		return keyProblem(keyARN, sess.failure(err))
	}
	md := desc.KeyMetadata
	switch {
	case md == nil:
		return internalErr(errors.New("DescribeKey returned no key metadata"))
	case md.KeyState != kmstypes.KeyStateEnabled:
		return validationErr("KMS key %s is %s; it must be Enabled", keyARN, md.KeyState)
	case md.KeySpec != kmstypes.KeySpecSymmetricDefault || md.KeyUsage != kmstypes.KeyUsageTypeEncryptDecrypt:
		return validationErr("KMS key %s is %s for %s; recommendations support only symmetric encryption keys (SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT)", keyARN, md.KeySpec, md.KeyUsage)
	}
	ec := encryptionContext(recARN)
	_, err = sess.client.GenerateDataKey(ctx, &awskms.GenerateDataKeyInput{KeyId: aws.String(keyARN), KeySpec: kmstypes.DataKeySpecAes256, EncryptionContext: ec, DryRun: aws.Bool(true)})
	if !dryRunOK(err) {
		return keyProblem(keyARN, sess.failure(orUnexpected(err, "GenerateDataKey")))
	}
	sess = s.crypto.session(fas, "")
	_, err = sess.client.Decrypt(ctx, &awskms.DecryptInput{KeyId: aws.String(keyARN), CiphertextBlob: []byte{0}, EncryptionContext: ec,
		DryRun: aws.Bool(true), DryRunModifiers: []kmstypes.DryRunModifierType{kmstypes.DryRunModifierTypeIgnoreCiphertext}})
	if !dryRunOK(err) {
		return keyProblem(keyARN, sess.failure(orUnexpected(err, "Decrypt")))
	}
	return nil
}

// orUnexpected: a DryRun call that succeeds outright is a KMS that ignored
// DryRun, which the service treats as a fault.
func orUnexpected(err error, op string) error {
	if err == nil {
		return fmt.Errorf("KMS %s with DryRun returned success instead of DryRunOperationException", op)
	}
	return err
}

// Wait blocks until the workflow of every started recommendation has
// finished (COMPLETED or FAILED) or ctx ends.
func (s *Service) Wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// WaitFor blocks until one recommendation's workflow has finished and
// returns its status.
func (s *Service) WaitFor(ctx context.Context, account, id string) (string, error) {
	s.mu.Lock()
	r := s.recs[recKey(account, id)]
	s.mu.Unlock()
	if r == nil {
		return "", notFound(id)
	}
	select {
	case <-r.done:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return r.meta.Status, nil
}

// Get is GetRecommendation: metadata in plain, configuration and result
// decrypted as the caller through the service.
func (s *Service) Get(ctx context.Context, caller *identity.Identity, id string) (*Recommendation, error) {
	if !agentcore.ValidRecommendationID(id) {
		return nil, fieldErr("recommendationId", "Value '%s' at 'recommendationId' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][a-zA-Z0-9_-]{0,47}-[0-9A-Z]{10}", id)
	}
	fas, apiErr := s.fasIdentity(caller)
	if apiErr != nil {
		return nil, apiErr
	}
	s.mu.Lock()
	r := s.recs[recKey(caller.Account, id)]
	var out *Recommendation
	var config, result []byte
	if r != nil {
		out = s.view(r, true)
		config, result = r.config, r.result
	}
	s.mu.Unlock()
	if r == nil {
		return nil, notFound(id)
	}
	if out.KMSKeyARN == "" {
		return out, nil
	}
	sess := s.crypto.session(fas, "")
	plain, err := s.crypto.open(ctx, sess, out.KMSKeyARN, out.ARN, config)
	if err != nil {
		return nil, keyProblem(out.KMSKeyARN, err)
	}
	out.Config = plain
	if result != nil {
		sess = s.crypto.session(fas, "")
		plain, err := s.crypto.open(ctx, sess, out.KMSKeyARN, out.ARN, result)
		if err != nil {
			return nil, keyProblem(out.KMSKeyARN, err)
		}
		out.Result = plain
	}
	return out, nil
}

// view copies a record's metadata; withResult adds the plain result of a
// recommendation without a key, or the error of a FAILED one. The caller
// holds s.mu.
func (s *Service) view(r *record, withResult bool) *Recommendation {
	out := r.meta
	out.Config = slices.Clone(r.meta.Config)
	if withResult {
		out.Result = slices.Clone(r.plainResult)
		if r.meta.ResultObject != nil {
			ro := *r.meta.ResultObject
			out.ResultObject = &ro
		}
	} else {
		out.ResultObject = nil
	}
	return &out
}

// List is ListRecommendations: metadata only, no KMS call.
func (s *Service) List(_ context.Context, caller *identity.Identity, in ListInput) (*ListOutput, error) {
	max := in.MaxResults
	if max == 0 {
		max = DefaultMaxResults
	}
	if max < 1 || max > MaxMaxResults {
		return nil, fieldErr("maxResults", "Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and %d", in.MaxResults, MaxMaxResults)
	}
	switch in.Status {
	case "", StatusPending, StatusInProgress, StatusCompleted, StatusFailed, StatusDeleting:
	default:
		return nil, fieldErr("statusFilter", "Value '%s' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [PENDING, IN_PROGRESS, COMPLETED, FAILED, DELETING]", in.Status)
	}
	var after uint64
	if in.NextToken != "" {
		var ok bool
		if after, ok = parseToken(in.NextToken); !ok {
			return nil, validationErr("Invalid nextToken")
		}
	}
	s.mu.Lock()
	var page []*record
	for _, r := range s.recs {
		if r.account == caller.Account && r.seq > after && (in.Status == "" || r.meta.Status == in.Status) {
			page = append(page, r)
		}
	}
	slices.SortFunc(page, func(a, b *record) int { return cmp.Compare(a.seq, b.seq) })
	out := &ListOutput{Summaries: []Summary{}}
	for i, r := range page {
		if i == max {
			out.NextToken = formatToken(page[i-1].seq)
			break
		}
		m := r.meta
		out.Summaries = append(out.Summaries, Summary{ID: m.ID, ARN: m.ARN, Name: m.Name, Description: m.Description,
			Type: m.Type, Status: m.Status, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt})
	}
	s.mu.Unlock()
	return out, nil
}

// Delete is DeleteRecommendation: no KMS call; refused while the workflow
// runs.
func (s *Service) Delete(_ context.Context, caller *identity.Identity, id string) (*Recommendation, error) {
	if !agentcore.ValidRecommendationID(id) {
		return nil, fieldErr("recommendationId", "Value '%s' at 'recommendationId' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][a-zA-Z0-9_-]{0,47}-[0-9A-Z]{10}", id)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := recKey(caller.Account, id)
	r := s.recs[k]
	if r == nil {
		return nil, notFound(id)
	}
	if r.meta.Status == StatusPending || r.meta.Status == StatusInProgress {
		return nil, conflict("Recommendation %s is %s; delete it once it has completed or failed", id, r.meta.Status)
	}
	delete(s.recs, k)
	delete(s.names, recKey(r.account, r.meta.Name))
	if r.token != "" {
		delete(s.tokens, recKey(r.account, r.token))
	}
	out := s.view(r, false)
	out.Status = StatusDeleting
	out.UpdatedAt = s.now()
	return out, nil
}

func newID(name string) (string, error) {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	var b [10]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("recommendation id: %w", err)
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return name + "-" + string(b[:]), nil
}

func formatToken(seq uint64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("rec:" + strconv.FormatUint(seq, 10)))
}

func parseToken(t string) (uint64, bool) {
	b, err := base64.RawURLEncoding.DecodeString(t)
	if err != nil || len(b) < 5 || string(b[:4]) != "rec:" {
		return 0, false
	}
	n, err := strconv.ParseUint(string(b[4:]), 10, 64)
	return n, err == nil
}
