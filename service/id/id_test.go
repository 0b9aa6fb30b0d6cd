package id_test

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service/id"
)

// fakeClock is a settable clock for Generator.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

var epoch = time.Date(2026, 4, 3, 12, 0, 0, 0, time.UTC)

func TestNewShape(t *testing.T) {
	t.Parallel()
	for _, prefix := range []string{id.Post, id.Account, id.Preset, id.Webhook, id.Event, id.APIKey, id.Delivery, id.User} {
		s := id.New(prefix)
		require.True(t, strings.HasPrefix(s, prefix+"_"), s)
		require.Len(t, s, len(prefix)+1+26)
		require.True(t, id.Valid(prefix, s), s)
		require.Regexp(t, `^[a-z]+_[0-7][0-9A-HJKMNP-TV-Z]{25}$`, s)
	}
}

// TestSortedInTightLoop: many ids in the same millisecond still come out in
// strictly increasing string order.
func TestSortedInTightLoop(t *testing.T) {
	t.Parallel()
	ids := make([]string, 100_000)
	for i := range ids {
		ids[i] = id.New(id.Post)
	}
	requireStrictlyIncreasing(t, ids)
}

func TestSortedWithFrozenClock(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: epoch}
	g := &id.Generator{Now: clock.Now}
	ids := make([]string, 10_000)
	for i := range ids {
		ids[i] = g.New(id.Event)
	}
	requireStrictlyIncreasing(t, ids)
	for _, s := range ids {
		got, ok := id.Time(s)
		require.True(t, ok)
		require.Equal(t, epoch, got)
	}
}

func TestSortedAsClockAdvances(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: epoch}
	g := &id.Generator{Now: clock.Now}
	var ids []string
	now := epoch
	for i := range 5_000 {
		// Irregular steps: sub-millisecond (same ms), 1 ms, and large jumps.
		now = now.Add([]time.Duration{0, 300 * time.Microsecond, time.Millisecond, time.Hour}[i%4])
		clock.Set(now)
		s := g.New(id.Post)
		ids = append(ids, s)
		got, ok := id.Time(s)
		require.True(t, ok)
		require.Equal(t, now.Truncate(time.Millisecond), got)
	}
	requireStrictlyIncreasing(t, ids)
}

// TestSortedWhenClockStepsBack: an NTP step backwards must not reorder ids
// within the process; the timestamp holds at the latest one seen.
func TestSortedWhenClockStepsBack(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: epoch}
	g := &id.Generator{Now: clock.Now}
	a := g.New(id.Post)
	clock.Set(epoch.Add(-time.Second))
	b := g.New(id.Post)
	clock.Set(epoch.Add(time.Millisecond))
	c := g.New(id.Post)
	requireStrictlyIncreasing(t, []string{a, b, c})
	tb, _ := id.Time(b)
	require.Equal(t, epoch, tb)
}

// TestSortedAcrossGenerators: separate processes agree on order to the
// millisecond.
func TestSortedAcrossGenerators(t *testing.T) {
	t.Parallel()
	c1 := &fakeClock{t: epoch}
	c2 := &fakeClock{t: epoch.Add(time.Millisecond)}
	a := (&id.Generator{Now: c1.Now}).New(id.Post)
	b := (&id.Generator{Now: c2.Now}).New(id.Post)
	require.Less(t, a, b)
}

func TestUniqueAcrossGoroutines(t *testing.T) {
	t.Parallel()
	const workers, perWorker = 16, 5_000
	clock := &fakeClock{t: epoch} // frozen: every id hits the increment path
	g := &id.Generator{Now: clock.Now}
	results := make([][]string, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			ids := make([]string, perWorker)
			for i := range ids {
				ids[i] = g.New(id.Delivery)
			}
			results[w] = ids
		})
	}
	wg.Wait()

	seen := make(map[string]bool, workers*perWorker)
	for _, ids := range results {
		// Each goroutine's own ids are in its creation order.
		requireStrictlyIncreasing(t, ids)
		for _, s := range ids {
			require.False(t, seen[s], "duplicate id %s", s)
			seen[s] = true
		}
	}
	require.Len(t, seen, workers*perWorker)
}

func TestUniqueDefaultGeneratorAcrossGoroutines(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	seen := map[string]bool{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			local := make([]string, 2_000)
			for i := range local {
				local[i] = id.New(id.Webhook)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, s := range local {
				if seen[s] {
					t.Errorf("duplicate id %s", s)
				}
				seen[s] = true
			}
		})
	}
	wg.Wait()
	require.Len(t, seen, 8*2_000)
}

func TestTimeRoundTrip(t *testing.T) {
	t.Parallel()
	for _, tm := range []time.Time{
		time.UnixMilli(0).UTC(),
		epoch,
		epoch.Add(123 * time.Millisecond),
		time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC),
		time.UnixMilli(1<<48 - 1).UTC(), // the last representable millisecond
	} {
		g := &id.Generator{Now: func() time.Time { return tm }}
		s := g.New(id.Post)
		got, ok := id.Time(s)
		require.True(t, ok, s)
		require.Equal(t, tm, got, s)
	}

	// Sub-millisecond precision and zones are dropped; the result is UTC.
	in := time.Date(2026, 4, 3, 14, 0, 0, 987_654_321, time.FixedZone("CEST", 2*3600))
	s := (&id.Generator{Now: func() time.Time { return in }}).New(id.Post)
	got, ok := id.Time(s)
	require.True(t, ok)
	require.Equal(t, time.UTC, got.Location())
	require.True(t, got.Equal(in.Truncate(time.Millisecond)))

	// Known vector from the ULID spec: 01ARYZ6S41 is 1469918176385 ms.
	got, ok = id.Time("post_01ARYZ6S41TSV4RRFFQ69G5FAV")
	require.True(t, ok)
	require.Equal(t, int64(1469918176385), got.UnixMilli())
}

// TestClockOutOfRange: a broken clock gives valid ids, not corrupt ones.
func TestClockOutOfRange(t *testing.T) {
	t.Parallel()
	for _, tm := range []time.Time{{}, time.Date(1969, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(20000, 1, 1, 0, 0, 0, 0, time.UTC)} {
		s := (&id.Generator{Now: func() time.Time { return tm }}).New(id.Post)
		require.True(t, id.Valid(id.Post, s), s)
	}
}

func TestTimeRejectsMalformed(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		"",
		"post",
		"post_",
		"01ARYZ6S41TSV4RRFFQ69G5FAV", // no underscore
		"post_01ARYZ6S41TSV4RRFFQ69G5FA",
		"post_01ARYZ6S41TSV4RRFFQ69G5FAVX",
		"post_81ARYZ6S41TSV4RRFFQ69G5FAV", // timestamp overflows 48 bits
		"post_01ARYZ6S41TSV4RRFFQ69G5FAU", // U is not Crockford
		"post_01aryz6s41tsv4rrffq69g5fav", // not canonical case
	} {
		_, ok := id.Time(s)
		require.False(t, ok, s)
	}
}

func TestValid(t *testing.T) {
	t.Parallel()
	good := "post_01ARYZ6S41TSV4RRFFQ69G5FAV"
	tests := []struct {
		prefix, s string
		want      bool
	}{
		{id.Post, good, true},
		{id.Post, id.New(id.Post), true},
		{id.Preset, id.New(id.Preset), true},
		{id.Account, good, false}, // wrong type
		{id.Preset, id.New(id.Post), false},
		{id.Post, "Post_01ARYZ6S41TSV4RRFFQ69G5FAV", false},
		{id.Post, "post-01ARYZ6S41TSV4RRFFQ69G5FAV", false},
		{id.Post, "post_01ARYZ6S41TSV4RRFFQ69G5FA", false},
		{id.Post, "post_01ARYZ6S41TSV4RRFFQ69G5FAVV", false},
		{id.Post, "post_01ARYZ6S41TSV4RRFFQ69G5FAI", false}, // I excluded
		{id.Post, "post_01ARYZ6S41TSV4RRFFQ69G5FAL", false}, // L excluded
		{id.Post, "post_01ARYZ6S41TSV4RRFFQ69G5FAO", false}, // O excluded
		{id.Post, "post_01ARYZ6S41TSV4RRFFQ69G5FA ", false},
		{id.Post, "post_01ARYZ6S41TSV4RRFFQ69G5FAé", false},
		{id.Post, "post_81ARYZ6S41TSV4RRFFQ69G5FAV", false},
		{id.Post, "post_01aryz6s41tsv4rrffq69g5fav", false},
		{id.Post, "post__1ARYZ6S41TSV4RRFFQ69G5FAV", false},
		{id.Post, "", false},
		{id.Preset, "preset_sys_all", false}, // system presets are named, not generated
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, id.Valid(tt.prefix, tt.s), "Valid(%q, %q)", tt.prefix, tt.s)
	}
}

func FuzzTime(f *testing.F) {
	f.Add("post_01ARYZ6S41TSV4RRFFQ69G5FAV")
	f.Add("post_7ZZZZZZZZZZZZZZZZZZZZZZZZZ")
	f.Add("post_81ARYZ6S41TSV4RRFFQ69G5FAV")
	f.Add("")
	f.Add("_")
	f.Add("a_b_01ARYZ6S41TSV4RRFFQ69G5FAV")
	f.Fuzz(func(t *testing.T, s string) {
		tm, ok := id.Time(s)
		if !ok {
			return
		}
		// Re-encoding the extracted time must reproduce the timestamp chars.
		i := strings.LastIndexByte(s, '_')
		again := (&id.Generator{Now: func() time.Time { return tm }}).New("x")
		if again[2:12] != s[i+1:i+11] {
			t.Fatalf("Time(%q) = %v, re-encodes as %q", s, tm, again)
		}
		if !id.Valid(s[:i], s) {
			t.Fatalf("Time accepted %q but Valid rejects it", s)
		}
	})
}

func BenchmarkNew(b *testing.B) {
	for b.Loop() {
		_ = id.New(id.Post)
	}
}

func requireStrictlyIncreasing(t *testing.T, ids []string) {
	t.Helper()
	require.True(t, slices.IsSorted(ids), "ids not sorted")
	for i := 1; i < len(ids); i++ {
		require.Less(t, ids[i-1], ids[i], "at %d", i)
	}
}
