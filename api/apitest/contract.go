// Package apitest helps tests hold Octopost to its contract: every response that passes
// through a ContractTransport is validated against openapi.yaml (status, headers, body)
// twice, by kin-openapi and by libopenapi-validator (see strict.go), and must pass both.
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/octopost/octopost/gen/oapi"
)

var (
	specOnce   sync.Once
	specRouter routers.Router
	specErr    error
)

func router() (routers.Router, error) {
	specOnce.Do(func() {
		var spec *openapi3.T
		if spec, specErr = oapi.GetSpec(); specErr != nil {
			return
		}
		spec.Servers = nil
		specRouter, specErr = gorillamux.NewRouter(spec)
	})
	return specRouter, specErr
}

// ContractTransport sends requests through Base and fails the test when a response does not
// match openapi.yaml. Responses to requests that match no operation (404 on an unknown path,
// 405) are checked against the error envelope instead.
type ContractTransport struct {
	T    testing.TB
	Base http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (c *ContractTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := c.Base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err := ValidateResponse(req, resp.StatusCode, resp.Header, body); err != nil {
		c.T.Errorf("contract violation: %s %s → %d: %v\nbody: %s", req.Method, req.URL.Path, resp.StatusCode, err, body)
	}
	return resp, nil
}

// ValidateResponse checks one response against the operation req matches in openapi.yaml.
func ValidateResponse(req *http.Request, status int, header http.Header, body []byte) error {
	if header.Get("X-Request-Id") == "" {
		return fmt.Errorf("no X-Request-Id header")
	}
	r, err := router()
	if err != nil {
		return err
	}
	route, params, err := r.FindRoute(req)
	if err != nil {
		// Not an operation of the spec: the server must still answer with the envelope.
		return validateEnvelope(status, header, body)
	}
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
		},
		Status:  status,
		Header:  header,
		Body:    io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	// Both validators always run, so one failure shows everything each of them sees.
	var errs []error
	if err := openapi3filter.ValidateResponse(context.Background(), input); err != nil {
		errs = append(errs, fmt.Errorf("kin-openapi: %w", err))
	}
	if err := validateStrict(req, status, header, body); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if status == http.StatusUnauthorized && header.Get("WWW-Authenticate") != `Bearer realm="octopost"` {
		return fmt.Errorf("401 without WWW-Authenticate: Bearer realm=\"octopost\"")
	}
	return nil
}

func validateEnvelope(status int, header http.Header, body []byte) error {
	if status < 400 {
		return fmt.Errorf("status %d for a request that matches no operation", status)
	}
	spec, err := oapi.GetSpec()
	if err != nil {
		return err
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return fmt.Errorf("error body is not JSON: %w", err)
	}
	if header.Get("Content-Type") != "application/json" {
		return fmt.Errorf("error Content-Type is %q", header.Get("Content-Type"))
	}
	return spec.Components.Schemas["Error"].Value.VisitJSON(v)
}
