package fake

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"
	"unicode"
)

// writeJSON writes v as the JSON response body with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client went away; nothing to tell it
}

// graphemeLen counts user-perceived characters (extended grapheme clusters) the way
// Bluesky and Mastodon count text length, closely enough for the text the tests send:
// combining marks, variation selectors, emoji modifiers and tags, zero-width-joiner emoji
// sequences, flag pairs, Hangul jamo and CR LF each stay with the character they extend.
// It is a compact approximation of UAX #29, not the whole algorithm.
func graphemeLen(s string) int {
	n := 0
	var prev rune = -1
	riRun := 0 // regional indicators in a row: two make one flag
	for _, r := range s {
		joins := false
		switch {
		case prev < 0:
		case prev == '\r' && r == '\n':
			joins = true
		case isExtend(r) || r == '\u200d':
			joins = prev != '\r' && prev != '\n'
		case prev == '\u200d' && isPictographic(r):
			joins = true
		case isRegionalIndicator(r) && isRegionalIndicator(prev) && riRun%2 == 1:
			joins = true
		case isHangulVowelOrTrail(r) && isHangul(prev):
			joins = true
		}
		if isRegionalIndicator(r) {
			riRun++
		} else {
			riRun = 0
		}
		if !joins {
			n++
		}
		prev = r
	}
	return n
}

func isExtend(r rune) bool {
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Mc) ||
		(r >= 0x1f3fb && r <= 0x1f3ff) || // emoji skin-tone modifiers
		(r >= 0xe0020 && r <= 0xe007f) // emoji tag sequences (subdivision flags)
}

func isPictographic(r rune) bool {
	return unicode.Is(unicode.So, r) || (r >= 0x1f000 && r <= 0x1faff) || (r >= 0x2600 && r <= 0x27bf)
}

func isRegionalIndicator(r rune) bool { return r >= 0x1f1e6 && r <= 0x1f1ff }

func isHangul(r rune) bool {
	return (r >= 0x1100 && r <= 0x11ff) || (r >= 0xa960 && r <= 0xa97f) ||
		(r >= 0xac00 && r <= 0xd7a3) || (r >= 0xd7b0 && r <= 0xd7ff)
}

func isHangulVowelOrTrail(r rune) bool {
	return (r >= 0x1160 && r <= 0x11ff) || (r >= 0xd7b0 && r <= 0xd7ff)
}

// failureScript holds injected failures: the next n requests to a route (a path, an API
// method; any route when it is empty) are answered with failure F instead of being
// served. The fakes guard it with their own mutex.
type failureScript[F any] struct {
	items []scriptedFailure[F]
}

type scriptedFailure[F any] struct {
	route   string
	failure F
	left    int
}

func (f *failureScript[F]) add(route string, n int, failure F) {
	if n > 0 {
		f.items = append(f.items, scriptedFailure[F]{route: route, failure: failure, left: n})
	}
}

// take consumes one failure planned for route; ok is false when none is.
func (f *failureScript[F]) take(route string) (failure F, ok bool) {
	for i := range f.items {
		it := &f.items[i]
		if it.route != "" && it.route != route {
			continue
		}
		failure = it.failure
		if it.left--; it.left == 0 {
			f.items = slices.Delete(f.items, i, i+1)
		}
		return failure, true
	}
	return failure, false
}

// scriptedHTTP is the state a fake of an HTTP API keeps for its tests: calls counted by
// path, failures scripted by path (an HTTP status), and a delay on every answer. Its mu
// also guards the embedding fake's own state.
type scriptedHTTP struct {
	mu       sync.Mutex
	delay    time.Duration
	failures failureScript[int] // by path: an HTTP status
	calls    map[string]int
}

// serve returns the fake's server handler: it counts the call, answers with a failure
// scripted for its path (written by fail) or else serves mux, after the delay.
func (s *scriptedHTTP) serve(mux http.Handler, fail func(w http.ResponseWriter, status int)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		if s.calls == nil {
			s.calls = map[string]int{}
		}
		s.calls[r.URL.Path]++
		status, failed := s.failures.take(r.URL.Path)
		delay := s.delay
		s.mu.Unlock()
		if failed {
			serveDelayed(w, r, delay, func(w http.ResponseWriter, _ *http.Request) { fail(w, status) })
			return
		}
		serveDelayed(w, r, delay, mux.ServeHTTP)
	})
}

// serveDelayed runs h, then holds its finished response back for d before sending it, as a
// slow platform would: the work is done (a post created) before the client hears of it.
// That is the window in which a client that crashes or times out must not post twice when
// it retries. A client that gives up early stops the wait.
func serveDelayed(w http.ResponseWriter, r *http.Request, d time.Duration, h http.HandlerFunc) {
	if d <= 0 {
		h(w, r)
		return
	}
	rec := httptest.NewRecorder()
	h(rec, r)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
		return
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// Images is a stand-in for the public web server a post's images are fetched from.
type Images struct {
	URL string

	mu       sync.Mutex
	files    map[string]imageFile
	requests int
}

type imageFile struct {
	contentType string
	body        []byte
}

// NewImages starts an image host, closed when the test ends. Unknown paths answer 404.
func NewImages(t testing.TB) *Images {
	t.Helper()
	h := &Images{files: map[string]imageFile{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		f, ok := h.files[r.URL.Path]
		h.requests++
		h.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		if f.contentType != "" {
			w.Header().Set("Content-Type", f.contentType)
		}
		_, _ = w.Write(f.body)
	}))
	t.Cleanup(srv.Close)
	h.URL = srv.URL
	return h
}

// Requests returns how many requests the image host has answered.
func (h *Images) Requests() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.requests
}

// Add serves body at path (which starts with "/") with the given Content-Type, none if
// empty, and returns its URL.
func (h *Images) Add(path, contentType string, body []byte) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.files[path] = imageFile{contentType: contentType, body: body}
	return h.URL + path
}

// PNG returns a valid PNG image of w×h pixels of noise, so its size grows with its area
// (about 3 bytes a pixel): a test can make one over a platform's size limit. The same
// size gives the same bytes.
func PNG(w, h int) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(uint64(w), uint64(h)))
	for y := range h {
		for x := range w {
			v := rng.Uint32()
			img.Set(x, y, color.NRGBA{R: uint8(v), G: uint8(v >> 8), B: uint8(v >> 16), A: 255})
		}
	}
	var buf bytes.Buffer
	_ = png.Encode(&buf, img) // encoding an in-memory image into a buffer cannot fail
	return buf.Bytes()
}
