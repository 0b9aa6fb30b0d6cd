package api

// Health probes
//
// GET /healthz and GET /readyz are outside /v1 and need no key: openapi.yaml gives them
// `security: []` and the marker x-octopost-public, which is the only way an operation may
// go without a permission (readRequirements refuses any other). The validator skips the
// rate limits for them, since a probe every second from each load balancer must never be
// refused, nor count against a key. Liveness answers from the process alone; readiness asks
// service.Readiness, which serve builds from the database, the migrations and the queue,
// and which turns not ready as soon as shutdown begins.

import (
	"context"

	"github.com/octopost/octopost/gen/oapi"
	"github.com/octopost/octopost/service"
)

// GetHealthz answers as long as the process serves HTTP.
func (s *Server) GetHealthz(context.Context, oapi.GetHealthzRequestObject) (oapi.GetHealthzResponseObject, error) {
	return oapi.GetHealthz200JSONResponse{Body: oapi.Health{Status: oapi.Ok}}, nil
}

// GetReadyz answers 200 when every part of the instance is ready, else 503 naming those
// that are not. Without a Readiness (Options.Readiness nil) the instance has no parts to
// check and is ready.
func (s *Server) GetReadyz(ctx context.Context, _ oapi.GetReadyzRequestObject) (oapi.GetReadyzResponseObject, error) {
	var failing []service.ReadinessPart
	if s.readiness != nil {
		failing = s.readiness.Failing(ctx)
	}
	body := oapi.Readiness{Status: oapi.Ready, Failing: make([]oapi.ReadinessPart, 0, len(failing))}
	for _, part := range failing {
		body.Failing = append(body.Failing, oapi.ReadinessPart(part))
	}
	if len(failing) > 0 {
		body.Status = oapi.NotReady
		return oapi.GetReadyz503JSONResponse{Body: body}, nil
	}
	return oapi.GetReadyz200JSONResponse{Body: body}, nil
}
