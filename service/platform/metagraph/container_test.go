package metagraph

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service/platform"
)

// containerServer is a small container API: containers are FINISHED after ready status
// reads, or end in final (when set); it records what was created and published.
type containerServer struct {
	mu        sync.Mutex
	ready     int
	final     string
	reads     map[string]int
	created   []string
	published []string
}

func (s *containerServer) handler(t *testing.T) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		require.NoError(t, r.ParseForm())
		require.Equal(t, "tok", r.Form.Get("access_token"))
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/v9/7/make":
			id := "c" + string(rune('0'+len(s.created)))
			s.created = append(s.created, r.PostForm.Get("kind")+":"+r.PostForm.Get("children"))
			_, _ = w.Write([]byte(`{"id":"` + id + `"}`))
		case r.Method == http.MethodPost && r.URL.Path == "/v9/7/make_publish":
			s.published = append(s.published, r.PostForm.Get("creation_id"))
			_, _ = w.Write([]byte(`{"id":1790}`))
		case r.Method == http.MethodGet && r.URL.Query().Get("fields") == "state,why":
			id := strings.TrimPrefix(r.URL.Path, "/v9/")
			s.reads[id]++
			state := "IN_PROGRESS"
			if s.final != "" {
				state = s.final
			} else if s.reads[id] > s.ready {
				state = "FINISHED"
			}
			_, _ = w.Write([]byte(`{"state":"` + state + `","why":"media for tok was too big"}`))
		case r.Method == http.MethodGet && r.URL.Path == "/v9/1790" && r.URL.Query().Get("fields") == "permalink":
			_, _ = w.Write([]byte(`{"permalink":"https://example.com/p/1790"}`))
		default:
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(graphBody(100, 0, "unexpected "+r.Method+" "+r.URL.Path, false)))
		}
	}
}

func containers(t *testing.T, s *containerServer) Containers {
	s.reads = map[string]int{}
	return Containers{Graph: server(t, threadsLike, s.handler(t)), Version: "/v9", CreateEdge: "make", PublishEdge: "make_publish", State: "state", Reason: "why"}
}

func TestContainersPostACarousel(t *testing.T) {
	t.Parallel()
	s := &containerServer{ready: 2}
	c := containers(t, s)
	items := []url.Values{{"kind": {"item"}}, {"kind": {"item"}}}
	ref, err := c.Post(t.Context(), "tok", "7", items, url.Values{"kind": {"top"}}, time.Millisecond, time.Minute)
	require.NoError(t, err)
	require.Equal(t, platform.Ref{ID: "1790", URL: "https://example.com/p/1790"}, ref)
	require.Equal(t, []string{"item:", "item:", "top:c0,c1"}, s.created, "the items first, then the top one naming them")
	require.Equal(t, []string{"c2"}, s.published)
	require.Equal(t, map[string]int{"c0": 3, "c1": 3, "c2": 3}, s.reads, "each container polled until FINISHED")
}

func TestContainersWaitEnds(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		final   string
		kind    platform.Kind
		message string
	}{
		{"ERROR", platform.Permanent, "Meta could not process the post's media: media for [redacted] was too big"},
		{"EXPIRED", platform.Transient, "Meta let the post's container expire before it was published"},
		{"PUBLISHED", platform.Permanent, "Meta says the post's container is already published"},
	} {
		s := &containerServer{final: tc.final}
		_, err := containers(t, s).Post(t.Context(), "tok", "7", nil, url.Values{"kind": {"top"}}, time.Millisecond, time.Minute)
		var pe *platform.Error
		require.True(t, errors.As(err, &pe), tc.final)
		require.Equal(t, tc.kind, pe.Kind, tc.final)
		require.Equal(t, tc.message, pe.Message, tc.final)
		require.Empty(t, s.published, tc.final)
	}
}

func TestContainersWaitIsBounded(t *testing.T) {
	t.Parallel()
	s := &containerServer{ready: 1_000_000}
	c := containers(t, s)
	// MaxWait: the next poll would pass it, so the wait ends Transient at once.
	err := c.Wait(t.Context(), "tok", "c0", time.Hour, time.Minute)
	var pe *platform.Error
	require.True(t, errors.As(err, &pe))
	require.Equal(t, platform.Transient, pe.Kind)
	require.Equal(t, 1, s.reads["c0"])
	// The context's deadline cuts MaxWait shorter.
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = c.Wait(ctx, "tok", "c1", 5*time.Millisecond, time.Hour)
	require.True(t, errors.As(err, &pe))
	require.Equal(t, platform.Transient, pe.Kind)
	require.Less(t, time.Since(start), 5*time.Second)
	require.Greater(t, s.reads["c1"], 1, "polled every interval until the deadline")
}
