package kms

import (
	"fmt"
	"net/http"
)

// APIError is an error as the KMS JSON protocol returns it:
// {"__type": Code, "message": Message} with the HTTP status the KMS service
// model gives the error (statusOf).
// https://docs.aws.amazon.com/kms/latest/APIReference/CommonErrors.html
type APIError struct {
	Code    string
	Message string
	Status  int
}

func (e *APIError) Error() string { return e.Code + ": " + e.Message }

// Error codes the simulator returns.
const (
	CodeAccessDenied      = "AccessDeniedException"
	CodeAlreadyExists     = "AlreadyExistsException"
	CodeDisabled          = "DisabledException"
	CodeDryRun            = "DryRunOperationException"
	CodeIncorrectKey      = "IncorrectKeyException"
	CodeInvalidGrantID    = "InvalidGrantIdException"
	CodeInvalidGrantToken = "InvalidGrantTokenException"
	CodeInvalidMac        = "KMSInvalidMacException"
	CodeInvalidSignature  = "KMSInvalidSignatureException"
	CodeCustomKeyStoreNF  = "CustomKeyStoreNotFoundException"
	CodeInternal          = "KMSInternalException"
	CodeInvalidAliasName  = "InvalidAliasNameException"
	CodeInvalidCiphertext = "InvalidCiphertextException"
	CodeInvalidKeyUsage   = "InvalidKeyUsageException"
	CodeInvalidMarker     = "InvalidMarkerException"
	CodeInvalidState      = "KMSInvalidStateException"
	CodeLimitExceeded     = "LimitExceededException"
	CodeTag               = "TagException"
	CodeMalformedPolicy   = "MalformedPolicyDocumentException"
	CodeNotFound          = "NotFoundException"
	CodeSerialization     = "SerializationException"
	CodeUnknownOperation  = "UnknownOperationException"
	CodeUnsupportedOp     = "UnsupportedOperationException"
	CodeValidation        = "ValidationException"
)

// statusOf is the HTTP status of an error code in the KMS service model
// (the httpError traits of the model the AWS SDKs are generated from, e.g.
// NotFoundException 404, DisabledException and KMSInvalidStateException 409,
// DryRunOperationException 412); every other client error is 400.
func statusOf(code string) int {
	switch code {
	case CodeNotFound:
		return http.StatusNotFound
	case CodeAlreadyExists, CodeDisabled, CodeInvalidState, "ConflictException":
		return http.StatusConflict
	case CodeDryRun:
		return http.StatusPreconditionFailed
	case CodeInternal, "KeyUnavailableException":
		return http.StatusInternalServerError
	case "DependencyTimeoutException":
		return http.StatusServiceUnavailable
	}
	return http.StatusBadRequest
}

func clientErr(code, format string, args ...any) *APIError {
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	return &APIError{Code: code, Message: msg, Status: statusOf(code)}
}

func validation(format string, args ...any) *APIError {
	return clientErr(CodeValidation, format, args...)
}

// required is the message AWS's model validation gives for a missing member.
func required(member string) *APIError {
	return validation("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", member)
}

func internal(err error) *APIError {
	return &APIError{Code: CodeInternal, Message: "internal error: " + err.Error(), Status: http.StatusInternalServerError}
}

func dryRun() *APIError {
	// The wording KMS (and LocalStack, which copies it) uses.
	return clientErr(CodeDryRun, "The request would have succeeded, but the DryRun option is set.")
}

func notFoundKey(arn string) *APIError {
	return clientErr(CodeNotFound, "Key '%s' does not exist", arn)
}
