package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/api"
	"github.com/octopost/octopost/db"
	"github.com/octopost/octopost/gen/oapi"
	"github.com/octopost/octopost/service"
)

// BenchmarkUnknownFieldsBody sends the costliest body the validator can be given, a full
// MaxBodyBytes of unknown fields ({"k0000000":1,…}, some 80,000 of them), to every
// operation that takes a body, with a valid key; each must be answered 422 with the first
// 20 problems. ns/op and B/op are the cost of one such request: its bound is linear in the
// body's size (run with -benchmem; -cpuprofile shows where the time goes).
func BenchmarkUnknownFieldsBody(b *testing.B) {
	ctx := context.Background()
	d, err := db.Open(ctx, "sqlite:"+filepath.Join(b.TempDir(), "bench.db"))
	require.NoError(b, err)
	b.Cleanup(func() { d.Close() })
	require.NoError(b, d.Migrate(ctx))
	svc := service.New(d, nil, nil, service.Config{})
	_, err = svc.CreateUser(ctx, "bench@example.com")
	require.NoError(b, err)
	_, key, err := svc.CreateAPIKey(ctx, "bench@example.com", "bench", service.ModeLive, nil)
	require.NoError(b, err)
	h, err := api.NewHandler(svc, api.Options{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	require.NoError(b, err)

	body := unknownFieldsOfSize(api.MaxBodyBytes)
	require.LessOrEqual(b, len(body), api.MaxBodyBytes)
	require.Greater(b, len(body), api.MaxBodyBytes-20)
	for _, op := range bodyOperations(b) {
		b.Run(op.method+" "+op.path, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				req := httptest.NewRequest(op.method, op.path, strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+key)
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusUnprocessableEntity {
					b.Fatalf("status %d: %.300s", rec.Code, rec.Body)
				}
				var got oapi.Error
				require.NoError(b, json.Unmarshal(rec.Body.Bytes(), &got))
				require.Len(b, *got.Details.Errors, 20)
				require.True(b, *got.Details.Truncated)
			}
		})
	}
}
