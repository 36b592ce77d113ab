package recommendation

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	mpl "github.com/aws/aws-cryptographic-material-providers-library/releases/go/mpl/awscryptographymaterialproviderssmithygenerated"
	mpltypes "github.com/aws/aws-cryptographic-material-providers-library/releases/go/mpl/awscryptographymaterialproviderssmithygeneratedtypes"
	esdk "github.com/aws/aws-encryption-sdk/releases/go/encryption-sdk/awscryptographyencryptionsdksmithygenerated"
	esdktypes "github.com/aws/aws-encryption-sdk/releases/go/encryption-sdk/awscryptographyencryptionsdksmithygeneratedtypes"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/kmslint/kmslint/internal/agentcore"
	"github.com/kmslint/kmslint/internal/arn"
	"github.com/kmslint/kmslint/simulator/identity"
	"github.com/kmslint/kmslint/simulator/kms"
)

// suite is the Encryption SDK algorithm suite: committing (as required) and
// without an ECDSA signature, whose public key would add an
// aws-crypto-public-key pair to the encryption context of every KMS call;
// the documented context has the recommendation ARN only.
var suite = mpltypes.ESDKAlgorithmSuiteIdAlgAes256GcmHkdfSha512CommitKey

// KMSError is a KMS call that failed, with KMS's error code.
type KMSError struct {
	Operation string
	Code      string
	Message   string
}

func (e *KMSError) Error() string {
	return fmt.Sprintf("KMS %s failed: %s: %s", e.Operation, e.Code, e.Message)
}

// crypto talks to KMS as the identities the service uses.
type crypto struct {
	endpoint string
	region   string
	http     *http.Client
	matProv  *mpl.Client
	esdk     *esdk.Client
}

func newCrypto(endpoint, region string, hc *http.Client) (*crypto, error) {
	matProv, err := mpl.NewClient(mpltypes.MaterialProvidersConfig{})
	if err != nil {
		return nil, fmt.Errorf("material providers: %w", err)
	}
	policy := mpltypes.ESDKCommitmentPolicyRequireEncryptRequireDecrypt
	client, err := esdk.NewClient(esdktypes.AwsEncryptionSdkConfig{CommitmentPolicy: &policy})
	if err != nil {
		return nil, fmt.Errorf("encryption SDK: %w", err)
	}
	return &crypto{endpoint: endpoint, region: region, http: hc, matProv: matProv, esdk: client}, nil
}

// session is a KMS client for one piece of work, remembering the KMS error
// of its last failed call: the Encryption SDK's KMS keyring calls KMS with
// context.Background() and flattens errors into text, so the code is taken
// from the response itself.
type session struct {
	client *awskms.Client
	mu     sync.Mutex
	last   *KMSError
}

// session builds a session signing as id; extra, for a service principal,
// is sent in kms.ContextHeader (aws:SourceAccount, aws:SourceArn).
func (c *crypto) session(id *identity.Identity, extra string) *session {
	s := &session{}
	opts := awskms.Options{
		Region:       c.region,
		Credentials:  credentials.StaticCredentialsProvider{Value: aws.Credentials{AccessKeyID: id.AccessKeyID, SecretAccessKey: id.SecretAccessKey, Source: "kmslint recommendation service"}},
		BaseEndpoint: aws.String(c.endpoint),
		HTTPClient:   c.http,
		// One SDK call is one KMS request, so the trail shows exactly the
		// calls the service makes.
		Retryer: aws.NopRetryer{},
	}
	opts.APIOptions = append(opts.APIOptions, func(st *middleware.Stack) error {
		return st.Deserialize.Add(middleware.DeserializeMiddlewareFunc("kmslintRecordError",
			func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
				out, md, err := next.HandleDeserialize(ctx, in)
				if err != nil {
					s.note(middleware.GetOperationName(ctx), err)
				}
				return out, md, err
			}), middleware.Before)
	})
	if extra != "" {
		opts.APIOptions = append(opts.APIOptions, smithyhttp.AddHeaderValue(kms.ContextHeader, extra))
	}
	s.client = awskms.New(opts)
	return s
}

func (s *session) note(op string, err error) {
	ke := &KMSError{Operation: op, Code: "KMSError", Message: err.Error()}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		ke.Code, ke.Message = ae.ErrorCode(), ae.ErrorMessage()
	}
	s.mu.Lock()
	s.last = ke
	s.mu.Unlock()
}

// failure returns the KMS error behind err when there was one, else err.
func (s *session) failure(err error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.last != nil {
		return s.last
	}
	return err
}

func encryptionContext(recARN string) map[string]string {
	return map[string]string{agentcore.ContextKey: recARN}
}

func (c *crypto) keyring(ctx context.Context, s *session, keyARN string) (mpltypes.IKeyring, error) {
	kr, err := c.matProv.CreateAwsKmsKeyring(ctx, mpltypes.CreateAwsKmsKeyringInput{KmsClient: s.client, KmsKeyId: keyARN})
	if err != nil {
		return nil, fmt.Errorf("KMS keyring for %s: %w", keyARN, err)
	}
	return kr, nil
}

// seal encrypts plaintext under keyARN as the session's identity: one
// GenerateDataKey call.
func (c *crypto) seal(ctx context.Context, s *session, keyARN, recARN string, plaintext []byte) ([]byte, error) {
	kr, err := c.keyring(ctx, s, keyARN)
	if err != nil {
		return nil, err
	}
	out, err := c.esdk.Encrypt(ctx, esdktypes.EncryptInput{Plaintext: plaintext, AlgorithmSuiteId: &suite, EncryptionContext: encryptionContext(recARN), Keyring: kr})
	if err != nil {
		return nil, s.failure(err)
	}
	return out.Ciphertext, nil
}

// open decrypts a message as the session's identity: one Decrypt call. The
// recommendation ARN must be in the message's encryption context.
func (c *crypto) open(ctx context.Context, s *session, keyARN, recARN string, message []byte) ([]byte, error) {
	kr, err := c.keyring(ctx, s, keyARN)
	if err != nil {
		return nil, err
	}
	out, err := c.esdk.Decrypt(ctx, esdktypes.DecryptInput{Ciphertext: message, EncryptionContext: encryptionContext(recARN), Keyring: kr})
	if err != nil {
		return nil, s.failure(err)
	}
	return out.Plaintext, nil
}

// keyProblem turns a KMS failure on the customer's key into the API error
// the seed documents: an unusable key is a ValidationException, a denial an
// AccessDeniedException; anything else is a fault.
func keyProblem(keyARN string, err error) *Error {
	var ke *KMSError
	if !errors.As(err, &ke) {
		return internalErr(err)
	}
	switch ke.Code {
	case "AccessDeniedException":
		return accessDenied("The caller does not have %s permission on KMS key %s: %s", kmsAction(ke.Operation), keyARN, ke.Message)
	case "DisabledException":
		return validationErr("KMS key %s is disabled: %s", keyARN, ke.Message)
	case "KMSInvalidStateException":
		return validationErr("KMS key %s is not usable (pending deletion or otherwise unavailable): %s", keyARN, ke.Message)
	case "NotFoundException":
		return validationErr("KMS key %s does not exist or has been deleted: %s", keyARN, ke.Message)
	case "InvalidKeyUsageException", "IncorrectKeyException", "InvalidCiphertextException":
		return validationErr("KMS key %s cannot be used for recommendation encryption: %s", keyARN, ke.Message)
	}
	return &Error{Code: CodeInternal, Status: http.StatusInternalServerError, Message: ke.Error()}
}

func kmsAction(op string) string {
	if op == "" {
		return "KMS"
	}
	return "kms:" + op
}

// dryRunOK reports whether a DryRun call said it would have succeeded.
func dryRunOK(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "DryRunOperationException"
}

// parseKeyARN accepts a key ARN, arn:P:kms:R:A:key/ID.
func parseKeyARN(s string) (region string, ok bool) {
	a, ok := arn.Parse(s)
	if !ok || a.Service != "kms" || a.Region == "" || !arn.IsAccountID(a.AccountID) {
		return "", false
	}
	id, found := strings.CutPrefix(a.Resource, "key/")
	if !found || id == "" || strings.Contains(id, "/") {
		return "", false
	}
	return a.Region, true
}
