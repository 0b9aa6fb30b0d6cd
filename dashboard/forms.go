package dashboard

// Reading forms, one way for every page.
//
// A form's body is read only up to a limit the handler names, the most its form can
// honestly carry: a request costs what its size allows, and a body sent to exhaust
// memory is cut off at the limit instead of being parsed whole. Each limit is a named
// constant where its form is handled (smallFormLimit below for the forms of a few short
// fields). A body over its limit, or one that is not a form, is answered on the error
// page through fail, like every other error: 413 and 400.

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/octopost/octopost/service"
)

// smallFormLimit bounds the forms of a few short fields: an email, a password of at most
// service.PasswordMaxLength bytes and a next path; a key's name and its permissions; the
// platform of an OAuth connection. They fit with room to spare.
const smallFormLimit = 16 << 10

// readForm parses r's urlencoded form, reading at most limit bytes of its body. Its error
// is a *formError, which fail shows as 413 (too large) or 400 (not a form).
func readForm(w http.ResponseWriter, r *http.Request, limit int64) error {
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	if err := r.ParseForm(); err != nil {
		return &formError{err: err}
	}
	return nil
}

// formError is a form that could not be read.
type formError struct{ err error }

func (e *formError) Error() string { return "read form: " + e.err.Error() }
func (e *formError) Unwrap() error { return e.err }

// status and message are what the error page says about e.
func (e *formError) status() (int, string) {
	var tooLarge *http.MaxBytesError
	if errors.As(e.err, &tooLarge) {
		return http.StatusRequestEntityTooLarge, "This form is too large to send."
	}
	return http.StatusBadRequest, "This form could not be read: send it again from its page."
}

// readPlatforms reads a form's platform checkboxes (values): each known platform once, in
// the order sent; an unknown value is a problem of field ("/platforms").
func readPlatforms(values []string, field string, problems *service.Problems) []service.Platform {
	return readChoices(values, service.Platforms, field, "a platform", problems)
}

// readChoices reads a form's checkboxes (values) of known choices: each known one once, in
// the order sent; an unknown value is a problem of field, "is not <thing>".
func readChoices[T ~string](values []string, known []T, field, thing string, problems *service.Problems) []T {
	var out []T
	for _, v := range values {
		c := T(v)
		if !slices.Contains(known, c) {
			problems.Add(field, "%q is not %s", v, thing)
			continue
		}
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// inputOf is the form input a service field pointer is about: its first segment
// ("/platforms/0" → "platforms", "/platform_options/x/y" → "platform_options").
func inputOf(pointer string) string {
	input, _, _ := strings.Cut(strings.TrimPrefix(pointer, "/"), "/")
	return input
}

// count says n things: "one platform", "12 platforms".
func count(n int, thing string) string {
	if n == 1 {
		return "one " + thing
	}
	return strconv.Itoa(n) + " " + thing + "s"
}
