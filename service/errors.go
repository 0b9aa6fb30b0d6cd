package service

import (
	"fmt"
	"strings"
)

// Kind says which rule a request broke; the api package maps each kind to one status.
type Kind int

const (
	KindValidation Kind = iota + 1 // the input is wrong: 422
	KindNotFound                   // no such resource for this scope: 404
	KindConflict                   // the resource's state forbids it: 409
	KindForbidden                  // the resource can never be changed this way: 403
)

// FieldError is one problem with one field of the input.
type FieldError struct {
	Field   string // a JSON pointer into the request body, e.g. "/platforms/0"
	Message string
}

// Error is a failure the caller can act on. Anything else a service returns is internal.
type Error struct {
	Kind    Kind
	Message string
	Fields  []FieldError // for KindValidation, one entry per problem
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return e.Message
	}
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return e.Message + " (" + strings.Join(parts, "; ") + ")"
}

// NotFound reports that a resource ("Post", "Preset", …) does not exist for the caller;
// it never says whether it exists for someone else.
func NotFound(resource string) *Error {
	return &Error{Kind: KindNotFound, Message: resource + " not found"}
}

// Conflict reports that the resource's current state forbids the change.
func Conflict(format string, args ...any) *Error {
	return &Error{Kind: KindConflict, Message: fmt.Sprintf(format, args...)}
}

// Forbidden reports a change that is never allowed on this resource.
func Forbidden(message string) *Error {
	return &Error{Kind: KindForbidden, Message: message}
}

// Problems collects validation failures so a request gets all of them at once.
type Problems []FieldError

// Add records that field is wrong.
func (p *Problems) Add(field, format string, args ...any) {
	*p = append(*p, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Err returns nil when nothing was wrong, else a KindValidation *Error listing every problem.
func (p Problems) Err() error {
	if len(p) == 0 {
		return nil
	}
	return &Error{Kind: KindValidation, Message: "Validation failed", Fields: p}
}
