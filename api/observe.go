package api

import (
	"context"
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
)

// operationSlot is where the validator writes the operation it routed a request to, for
// observed, which runs outside it, to read once the request is answered.
type operationSlot struct{ id string }

type operationKey struct{}

// noteOperation records id as r's operation, when r is observed.
func noteOperation(ctx context.Context, id string) {
	if slot, ok := ctx.Value(operationKey{}).(*operationSlot); ok {
		slot.id = id
	}
}

// observed reports each request to obs when it has been answered. It wraps the access
// log, so that a panic is counted as the 500 it turns into, and it times the whole stack.
func observed(obs Observer, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		slot := &operationSlot{}
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), operationKey{}, slot)))
		id := slot.id
		if id == "" {
			id = OperationUnmatched
			if _, ok := oauthCallbackPlatform(r); ok {
				id = OperationOAuthCallback
			}
		}
		status := rec.status
		if status == 0 {
			status = http.StatusOK // net/http's answer to a handler that wrote nothing
		}
		obs.ObserveRequest(id, status, time.Since(start))
	})
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
