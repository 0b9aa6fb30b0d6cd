package api

import (
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/octopost/octopost/gen/oapi"
)

// Observer is told of every request the API answered: its operation id in openapi.yaml,
// the status it got and how long it took. The API knows no metrics library: the command
// implements Observer with Prometheus (package metrics). Labelling by operation id rather
// than by path keeps ids and other user data out of whatever the observer records, and
// bounds its series by the spec's operations.
type Observer interface {
	ObserveRequest(operationID string, status int, elapsed time.Duration)
}

// Operation ids of requests that reach no operation of the spec.
const (
	// OperationUnmatched is a request no operation matched (a 404 or 405).
	OperationUnmatched = "unmatched"
	// OperationOAuthCallback is the OAuth callback, which the spec describes in prose only.
	OperationOAuthCallback = "oauth_callback"
	// OperationPages is a request for a page of the dashboard (Options.Pages).
	OperationPages = "dashboard"
)

// noteOperation records id as the operation of the request w answers. w is the access
// log's recorder, which the validator is handed unwrapped (server.go), so the note costs a
// type assertion: no context value, no copy of the request.
func noteOperation(w http.ResponseWriter, id string) {
	if rec, ok := w.(*statusRecorder); ok {
		rec.operation = id
	}
}

// observe tells obs of a request answered: the operation the validator noted, or a fixed
// name for one that reached none, and the status (200 when the handler wrote nothing,
// which is what net/http sends).
func observe(obs Observer, r *http.Request, rec *statusRecorder, elapsed time.Duration) {
	id := rec.operation
	if id == "" {
		id = OperationUnmatched
		if _, ok := oauthCallbackPlatform(r); ok {
			id = OperationOAuthCallback
		}
	}
	status := rec.status
	if status == 0 {
		status = http.StatusOK
	}
	obs.ObserveRequest(id, status, elapsed)
}

// specOperationID is id as openapi.yaml spells it. The spec embedded by oapi-codegen
// capitalizes operation ids (ListPosts), whereas openapi.yaml's all start in lower case
// (listPosts), which is what an operator finds there and what the metrics are labelled by.
func specOperationID(id string) string {
	if id == "" || id[0] < 'A' || id[0] > 'Z' {
		return id
	}
	return string(id[0]+('a'-'A')) + id[1:]
}

// OperationIDs are the operation ids of the embedded openapi.yaml, as it spells them, for
// an observer to declare its series by.
func OperationIDs() ([]string, error) {
	spec, err := oapi.GetSpec()
	if err != nil {
		return nil, fmt.Errorf("load embedded spec: %w", err)
	}
	var out []string
	for _, item := range spec.Paths.Map() {
		for _, op := range item.Operations() {
			out = append(out, specOperationID(op.OperationID))
		}
	}
	slices.Sort(out)
	return out, nil
}
