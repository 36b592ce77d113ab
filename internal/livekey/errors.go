package livekey

import (
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Kind classifies an Error by what the user has to do about it.
type Kind int

const (
	// API is any other error KMS returned.
	API Kind = iota
	// Config: the AWS configuration could not be loaded.
	Config
	// NoCredentials: no credentials were found, or KMS rejected them.
	NoCredentials
	// AccessDenied: the caller lacks Permission on the key.
	AccessDenied
	// NotFound: no such key or alias in that account and region.
	NotFound
	// Unreachable: the KMS endpoint could not be reached.
	Unreachable
	// Invalid: the key reference is malformed.
	Invalid
)

// Error is a failure to read a live key. Msg is one line that says what
// went wrong and what to do.
type Error struct {
	Kind Kind
	// Key is the reference or ARN the failing call named.
	Key string
	// Operation is the KMS API (DescribeKey, GetKeyPolicy, ListGrants).
	Operation string
	// Permission the caller lacks (AccessDenied), e.g. kms:GetKeyPolicy.
	Permission string
	// Identity is the caller as AWS named it (AccessDenied).
	Identity string
	Msg      string
	Err      error
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Err }

// AWS names the caller in its AccessDenied wording: "User: ARN is not
// authorized to perform: ACTION on resource: ...".
// https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html
var deniedUser = regexp.MustCompile(`User: (\S+) is not authorized`)

// apiError turns an SDK error of one call into an actionable Error.
func (f *Fetcher) apiError(err error, op, key, region string) *Error {
	e := &Error{Kind: API, Key: key, Operation: op, Err: err}
	var rse *smithyhttp.RequestSendError
	if errors.As(err, &rse) {
		ep := f.endpoint
		if ep == "" {
			ep = "the KMS endpoint of " + region
		}
		e.Kind = Unreachable
		e.Msg = fmt.Sprintf("cannot reach %s for %s on %s: %s; check --endpoint-url, the network and proxy settings", ep, op, key, oneLine(rootCause(rse.Err)))
		return e
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		e.Msg = fmt.Sprintf("KMS %s on %s: %s", op, key, oneLine(err.Error()))
		return e
	}
	code, msg := ae.ErrorCode(), ae.ErrorMessage()
	switch code {
	case "AccessDeniedException", "AccessDenied":
		e.Kind = AccessDenied
		e.Permission = "kms:" + op
		e.Identity = f.identity(msg)
		e.Msg = fmt.Sprintf("access denied: %s lacks %s on %s; allow it in the key policy (or in the identity's IAM policy when the key policy delegates to IAM) and run again (AWS: %s)", e.Identity, e.Permission, key, oneLine(msg))
		if op == "GetKeyPolicy" {
			e.Msg += "; GetKeyPolicy works only with credentials of the key's own account"
		}
	case "NotFoundException":
		e.Kind = NotFound
		e.Msg = fmt.Sprintf("key %s not found in %s (%s): check the ARN, or the account and region of your AWS credentials for a key id or alias", key, region, oneLine(msg))
		if op == "GetKeyPolicy" {
			// DescribeKey found it, so the key is in another account.
			// https://docs.aws.amazon.com/kms/latest/APIReference/API_GetKeyPolicy.html
			e.Msg = fmt.Sprintf("KMS GetKeyPolicy on %s: %s: GetKeyPolicy works only with credentials of the key's own account; run kmslint there", key, oneLine(msg))
		}
	case "InvalidSignatureException":
		if f.endpoint != "" && strings.Contains(msg, "region") {
			// The request was signed for the key's region and an
			// --endpoint-url of another region refused the scope.
			e.Msg = fmt.Sprintf("KMS at %s does not serve %s, the region of %s (%s: %s): point --endpoint-url at a KMS endpoint of %s", f.endpoint, region, key, code, oneLine(msg), region)
			return e
		}
		e.Kind = NoCredentials
		e.Msg = fmt.Sprintf("KMS rejected the AWS credentials (%s: %s): check AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN or --aws-profile, and the system clock", code, oneLine(msg))
	case "UnrecognizedClientException", "InvalidClientTokenId",
		"ExpiredTokenException", "ExpiredToken", "SignatureDoesNotMatch":
		e.Kind = NoCredentials
		e.Msg = fmt.Sprintf("KMS rejected the AWS credentials (%s: %s): check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN or --aws-profile, and renew expired sessions", code, oneLine(msg))
	case "InvalidArnException":
		e.Kind = Invalid
		e.Msg = fmt.Sprintf("--key-arn %s: %s", key, oneLine(msg))
	default:
		e.Msg = fmt.Sprintf("KMS %s on %s: %s: %s", op, key, code, oneLine(msg))
	}
	return e
}

// identity names the caller: as AWS did, else by access key id.
func (f *Fetcher) identity(msg string) string {
	if m := deniedUser.FindStringSubmatch(msg); m != nil {
		return m[1]
	}
	if f.accessKey != "" {
		return "the identity with access key " + f.accessKey
	}
	return "your AWS identity"
}

// rootCause strips the URL and retry wrappers of a transport error down to
// the network operation that failed ("dial tcp 127.0.0.1:1: connect:
// connection refused").
func rootCause(err error) string {
	var op *net.OpError
	if errors.As(err, &op) {
		return op.Error()
	}
	return err.Error()
}
