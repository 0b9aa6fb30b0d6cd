package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/api"
	"github.com/octopost/octopost/db"
	"github.com/octopost/octopost/gen/oapi"
	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/platform/platforms"
)

// BenchmarkUnknownFieldsBody sends the costliest body the validator can be given, a full
// MaxBodyBytes of unknown fields ({"k0000000":1,…}, some 80,000 of them), to every
// operation that takes a body, with a valid key; each must be answered 422 with the first
// 20 problems. ns/op and B/op are the cost of one such request: its bound is linear in the
// body's size (run with -benchmem; -cpuprofile shows where the time goes).
func BenchmarkUnknownFieldsBody(b *testing.B) {
	h, key := benchHandler(b)
	body := unknownFieldsOfSize(api.MaxBodyBytes)
	require.LessOrEqual(b, len(body), api.MaxBodyBytes)
	require.Greater(b, len(body), api.MaxBodyBytes-20)
	for _, op := range bodyOperations(b) {
		b.Run(op.method+" "+op.path, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				got := sendBenchBody(b, h, key, op.method, op.path, body)
				require.Len(b, *got.Details.Errors, 20)
				require.True(b, *got.Details.Truncated)
			}
		})
	}
}

// BenchmarkLongArrayBody sends, for every array a request body can hold (found in the
// spec, nested ones included, through index 0 of the arrays above them), a full
// MaxBodyBytes body whose only content is that array, of bad items ("x" for strings, {}
// for objects: 260,000 bad platforms, 350,000 images without a url). Each must be
// answered 422 with one problem, on the array: its length is over maxItems, and its items
// are never checked one by one.
func BenchmarkLongArrayBody(b *testing.B) {
	h, key := benchHandler(b)
	for _, op := range bodyOperations(b) {
		for _, a := range bodyArrays(op.schema, nil, map[*openapi3.Schema]bool{}) {
			body := a.body(api.MaxBodyBytes)
			require.LessOrEqual(b, len(body), api.MaxBodyBytes)
			require.Greater(b, len(body), api.MaxBodyBytes-20)
			b.Run(op.method+" "+op.path+" "+a.pointer(), func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(body)))
				for b.Loop() {
					got := sendBenchBody(b, h, key, op.method, op.path, body)
					require.Len(b, *got.Details.Errors, 1)
					require.Equal(b, a.pointer(), (*got.Details.Errors)[0].Field)
				}
			})
		}
	}
}

// bodyArray is an array a request body can hold: where it is, and an item of it that is
// not valid.
type bodyArray struct {
	path []string // "0" for an index
	item string
}

func (a bodyArray) pointer() string { return "/" + strings.Join(a.path, "/") }

// body is the largest body that fits in size bytes and holds, at a's place, an array of
// a's bad item.
func (a bodyArray) body(size int) string {
	prefix, suffix := "", ""
	for _, p := range a.path {
		if p == "0" {
			prefix, suffix = prefix+"[", "]"+suffix
		} else {
			prefix, suffix = prefix+`{"`+p+`":`, "}"+suffix
		}
	}
	n := (size - len(prefix) - len(suffix) - 2 + 1) / (len(a.item) + 1)
	return prefix + "[" + strings.Repeat(a.item+",", n-1) + a.item + "]" + suffix
}

// bodyArrays lists the arrays under schema, at path.
func bodyArrays(s *openapi3.Schema, path []string, seen map[*openapi3.Schema]bool) []bodyArray {
	if s == nil || seen[s] {
		return nil
	}
	seen[s] = true
	defer delete(seen, s)
	var out []bodyArray
	if s.Items != nil {
		item := "0"
		switch {
		case s.Items.Value.Type.Is(openapi3.TypeString):
			item = `"x"`
		case s.Items.Value.Type.Is(openapi3.TypeObject):
			item = "{}"
		}
		out = append(out, bodyArray{path: slices.Clone(path), item: item})
		out = append(out, bodyArrays(s.Items.Value, append(path, "0"), seen)...)
	}
	names := slices.Sorted(maps.Keys(s.Properties))
	for _, name := range names {
		out = append(out, bodyArrays(s.Properties[name].Value, append(path, name), seen)...)
	}
	for _, sub := range s.AllOf {
		out = append(out, bodyArrays(sub.Value, path, seen)...)
	}
	return out
}

// benchHandler is the API on an empty SQLite database, with a live key.
func benchHandler(b *testing.B) (http.Handler, string) {
	ctx := context.Background()
	d, err := db.Open(ctx, "sqlite:"+filepath.Join(b.TempDir(), "bench.db"))
	require.NoError(b, err)
	b.Cleanup(func() { d.Close() })
	require.NoError(b, d.Migrate(ctx))
	svc := service.New(d, nil, nil, service.Config{Platforms: platforms.All})
	_, err = svc.CreateUser(ctx, "bench@example.com", "")
	require.NoError(b, err)
	_, key, err := svc.CreateAPIKey(ctx, "bench@example.com", "bench", service.ModeLive, nil)
	require.NoError(b, err)
	h, err := api.NewHandler(svc, api.Options{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	require.NoError(b, err)
	return h, key
}

// sendBenchBody sends body and expects a 422.
func sendBenchBody(b *testing.B, h http.Handler, key, method, path, body string) oapi.Error {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusUnprocessableEntity {
		b.Fatalf("status %d: %.300s", rec.Code, rec.Body)
	}
	var got oapi.Error
	require.NoError(b, json.Unmarshal(rec.Body.Bytes(), &got))
	return got
}
