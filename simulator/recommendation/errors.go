package recommendation

import (
	"fmt"
	"net/http"
)

// Error codes of the AgentCore API (restJson1: X-Amzn-ErrorType header and
// a {"message": ...} body).
const (
	CodeValidation   = "ValidationException"
	CodeAccessDenied = "AccessDeniedException"
	CodeNotFound     = "ResourceNotFoundException"
	CodeConflict     = "ConflictException"
	CodeInternal     = "InternalServerException"
)

// Validation reasons (types.ValidationExceptionReason of the SDK).
const (
	ReasonFieldValidation   = "FieldValidationFailed"
	ReasonCannotParse       = "CannotParse"
	ReasonIdempotenceFailed = "IdempotentParameterMismatchException"
)

// Error is an API error with its HTTP status.
type Error struct {
	Code    string
	Status  int
	Message string
	// Reason and Fields are set on ValidationException only.
	Reason string
	Fields []FieldError
}

// FieldError names one invalid input member.
type FieldError struct {
	Name    string `json:"name"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func fieldErr(field, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	return &Error{Code: CodeValidation, Status: http.StatusBadRequest, Reason: ReasonFieldValidation,
		Message: "1 validation error detected: " + msg, Fields: []FieldError{{Name: field, Message: msg}}}
}

func validationErr(format string, args ...any) *Error {
	return &Error{Code: CodeValidation, Status: http.StatusBadRequest, Message: fmt.Sprintf(format, args...)}
}

func accessDenied(format string, args ...any) *Error {
	return &Error{Code: CodeAccessDenied, Status: http.StatusForbidden, Message: fmt.Sprintf(format, args...)}
}

func notFound(id string) *Error {
	return &Error{Code: CodeNotFound, Status: http.StatusNotFound, Message: fmt.Sprintf("Recommendation %s not found", id)}
}

func conflict(format string, args ...any) *Error {
	return &Error{Code: CodeConflict, Status: http.StatusConflict, Message: fmt.Sprintf(format, args...)}
}

func internalErr(err error) *Error {
	return &Error{Code: CodeInternal, Status: http.StatusInternalServerError, Message: "internal error: " + err.Error()}
}
