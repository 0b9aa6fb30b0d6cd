package api_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/api"
	"github.com/octopost/octopost/gen/oapi"
	"github.com/octopost/octopost/service"
)

func TestHealthzAnswersWithoutAKey(t *testing.T) {
	t.Parallel()
	b := setup(t)
	res, err := b.client(t, "").GetHealthzWithResponse(context.Background())
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), "body: %s", res.Body)
	require.Equal(t, oapi.Ok, res.JSON200.Status)
	// A key that is not one is ignored, not refused: the probe never reads it.
	r := b.do(t, http.MethodGet, "/healthz", "oct_live_notakey", "")
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.raw)
}

func TestReadyzNamesTheFailingParts(t *testing.T) {
	t.Parallel()
	var databaseDown atomic.Bool
	readiness := service.NewReadiness(
		service.ReadinessCheck{Part: service.PartDatabase, Check: func(context.Context) error {
			if databaseDown.Load() {
				return errors.New("connection refused")
			}
			return nil
		}},
		service.ReadinessCheck{Part: service.PartQueue, Check: func(context.Context) error { return nil }},
	)
	b := setupWith(t, setupOptions{api: api.Options{Readiness: readiness}})
	c := b.client(t, "")
	ready := func(wantStatus int, wantFailing ...oapi.ReadinessPart) {
		t.Helper()
		res, err := c.GetReadyzWithResponse(context.Background())
		require.NoError(t, err)
		require.Equal(t, wantStatus, res.StatusCode(), "body: %s", res.Body)
		body := res.JSON200
		if wantStatus != http.StatusOK {
			body = res.JSON503
		}
		require.NotNil(t, body)
		if wantFailing == nil {
			wantFailing = []oapi.ReadinessPart{}
		}
		require.Equal(t, wantFailing, body.Failing)
		if len(wantFailing) == 0 {
			require.Equal(t, oapi.Ready, body.Status)
		} else {
			require.Equal(t, oapi.NotReady, body.Status)
		}
	}
	ready(http.StatusOK)
	databaseDown.Store(true)
	ready(http.StatusServiceUnavailable, oapi.Database)
	readiness.Drain()
	ready(http.StatusServiceUnavailable, oapi.ShuttingDown, oapi.Database)
	databaseDown.Store(false)
	ready(http.StatusServiceUnavailable, oapi.ShuttingDown)
	// Liveness does not follow readiness: the draining process still answers.
	require.Equal(t, http.StatusOK, b.do(t, http.MethodGet, "/healthz", "", "").status)
}

func TestHealthProbesAreNotRateLimited(t *testing.T) {
	t.Parallel()
	b := limitedSetup(t, service.RateLimitConfig{}) // the free tier: 60 requests a minute
	for range 61 {
		for _, path := range []string{"/healthz", "/readyz"} {
			r := b.do(t, http.MethodGet, path, "", "")
			require.Equal(t, http.StatusOK, r.status, "%s: %s", path, r.raw)
			requireNoLimitHeaders(t, r)
		}
	}
}

// TestOnlyMarkedOperationsGoWithoutAKey holds the start-up check to its rule: an operation
// may lack a permission only when it is marked x-octopost-public and says security: [];
// any other combination stops the server.
func TestOnlyMarkedOperationsGoWithoutAKey(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		edit func(spec *openapi3.T)
		want string
	}{
		"probe without the marker": {
			edit: func(spec *openapi3.T) { delete(spec.Paths.Find("/readyz").Get.Extensions, "x-octopost-public") },
			want: "security: [] without x-octopost-public",
		},
		"probe with a permission": {
			edit: func(spec *openapi3.T) {
				spec.Paths.Find("/healthz").Get.Extensions["x-octopost-permission"] = "posts:read"
			},
			want: "x-octopost-public cannot have x-octopost-permission",
		},
		"keyless operation with a permission but no marker": {
			edit: func(spec *openapi3.T) { spec.Paths.Find("/v1/presets").Get.Security = &openapi3.SecurityRequirements{} },
			want: "security: [] without x-octopost-public",
		},
		"marker on an operation that takes a key": {
			edit: func(spec *openapi3.T) {
				op := spec.Paths.Find("/v1/presets").Get
				op.Extensions["x-octopost-public"] = true
				delete(op.Extensions, "x-octopost-permission")
			},
			want: "x-octopost-public needs security: []",
		},
		"marker on an operation with the spec's security": {
			edit: func(spec *openapi3.T) { spec.Paths.Find("/healthz").Get.Security = nil },
			want: "x-octopost-public needs security: []",
		},
		"operation with neither": {
			edit: func(spec *openapi3.T) { delete(spec.Paths.Find("/v1/presets").Get.Extensions, "x-octopost-permission") },
			want: "x-octopost-permission",
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			spec, err := oapi.GetSpec()
			require.NoError(t, err)
			tc.edit(spec)
			_, err = api.NewHandler(nil, api.Options{Spec: spec, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			require.ErrorContains(t, err, tc.want)
		})
	}
	spec, err := oapi.GetSpec()
	require.NoError(t, err)
	_, err = api.NewHandler(nil, api.Options{Spec: spec})
	require.NoError(t, err, "the shipped spec passes the check")
}
