package slots_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service/slots"
)

// The property test checks Next and Last against an oracle that shares no code with them:
// it walks time minute by minute, reads each minute's local clock in the zone, and calls
// the minute a slot when its local time is on the grid of a range of its local weekday
// (start + k·interval) and is the first occurrence of that local date and time (the local
// clock has not read it before: a fold shows it again, a gap never shows it). Random
// schedules are valid settings; the instants are random within 2010–2035, half of them in
// the days around one of the zone's offset changes. The zones cover one-hour daylight
// saving both ways (New York, London), half-hour offsets and half-hour saving (Kolkata,
// St John's, Lord Howe), a 45-minute offset (Chatham), changes at midnight that fold a
// day back into the one before (Santiago), Ramadan switches (Casablanca) and a skipped
// calendar day (Apia, 30 December 2011). A fixed seed makes a failure reproducible.

var propertyZones = []string{
	"UTC", "America/New_York", "Europe/London", "Asia/Kolkata", "America/St_Johns",
	"Australia/Lord_Howe", "Pacific/Chatham", "America/Santiago", "Africa/Casablanca", "Pacific/Apia",
}

func randomSchedule(r *rand.Rand, loc *time.Location) slots.Schedule {
	s := slots.Schedule{Location: loc}
	intervals := []int{5, 15, 30, 45, 60, 90, 240, 1440, 5 + r.IntN(1436)}
	s.Interval = time.Duration(intervals[r.IntN(len(intervals))]) * time.Minute
	for d := range s.Week {
		if r.IntN(10) < 3 {
			continue // a day without ranges
		}
		// 2·k distinct times of day, sorted, paired: sorted, non-overlapping ranges. Half of
		// them on the half hour, where offset changes happen.
		k := 1 + r.IntN(3)
		seen := map[int]bool{}
		var points []int
		for len(points) < 2*k {
			p := r.IntN(slots.MinutesPerDay + 1)
			if r.IntN(2) == 0 {
				p = p / 30 * 30
			}
			if !seen[p] {
				seen[p] = true
				points = append(points, p)
			}
		}
		sortInts(points)
		for i := 0; i < len(points); i += 2 {
			s.Week[d] = append(s.Week[d], slots.Range{Start: points[i], End: points[i+1]})
		}
	}
	empty := true
	for _, rs := range s.Week {
		empty = empty && len(rs) == 0
	}
	if empty {
		s.Week[r.IntN(7)] = []slots.Range{{Start: 60 * r.IntN(24), End: slots.MinutesPerDay}}
	}
	return s
}

func sortInts(a []int) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

// randomInstant is a random instant of 2010–2035, with nanoseconds, or one within a few
// days of the zone's offset change nearest to such an instant.
func randomInstant(r *rand.Rand, loc *time.Location) time.Time {
	lo := time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	hi := time.Date(2035, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	t := time.Unix(0, lo+r.Int64N(hi-lo)).In(loc)
	if r.IntN(2) == 0 {
		if _, end := t.ZoneBounds(); !end.IsZero() {
			t = end.Add(time.Duration(r.Int64N(int64(4*24*time.Hour))) - 3*24*time.Hour)
		}
	}
	return t
}

// onGrid says whether a local minute of a weekday is start + k·interval of one of its ranges.
func onGrid(s slots.Schedule, wd time.Weekday, minute int) bool {
	iv := int(s.Interval / time.Minute)
	for _, rg := range s.Week[wd] {
		if minute >= rg.Start && minute < rg.End && (minute-rg.Start)%iv == 0 {
			return true
		}
	}
	return false
}

// oracle returns the slots in (from, to], by the minute-by-minute walk.
func oracle(s slots.Schedule, from, to time.Time) []time.Time {
	var out []time.Time
	maxSeen := int64(-1 << 62)
	// Three hours of history before from: enough to know a fold's first occurrences.
	for u := from.Truncate(time.Minute).Add(-3 * time.Hour); !u.After(to); u = u.Add(time.Minute) {
		l := u.In(s.Location)
		y, m, d := l.Date()
		minute := l.Hour()*60 + l.Minute()
		key := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix()/60 + int64(minute)
		first := key > maxSeen
		maxSeen = max(maxSeen, key)
		if first && u.After(from) && onGrid(s, l.Weekday(), minute) {
			out = append(out, u)
		}
	}
	return out
}

func TestSlotsProperties(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(11, 2))
	cases := 400
	if testing.Short() {
		cases = 60
	}
	for i := range cases {
		loc, err := time.LoadLocation(propertyZones[i%len(propertyZones)])
		require.NoError(t, err)
		s := randomSchedule(r, loc)
		require.Empty(t, s.Problems(), "the generator makes valid settings: %+v", s)
		after := randomInstant(r, loc)
		n := 1 + r.IntN(12)
		msg := fmt.Sprintf("case %d: %s after %s, n=%d, interval %s, week %v", i, loc, after.Format(time.RFC3339Nano), n, s.Interval, s.Week)

		got := s.Next(after, n)
		require.Len(t, got, n, msg)
		for k, v := range got {
			require.True(t, v.After(after), msg)
			if k > 0 {
				require.True(t, v.After(got[k-1]), "strictly ascending: %s", msg)
			}
			l := v.In(loc)
			require.True(t, v.Equal(l.Truncate(time.Minute)) && onGrid(s, l.Weekday(), l.Hour()*60+l.Minute()),
				"every result is a slot of its local weekday: %s", msg)
		}
		// No slot skipped, none invented: within a 10-day window, the results are the
		// oracle's slots; past the window, the oracle had no more.
		to := after.Add(10 * 24 * time.Hour)
		want := oracle(s, after, to)
		inWindow := 0
		for inWindow < len(got) && !got[inWindow].After(to) {
			inWindow++
		}
		require.Equal(t, want[:min(len(want), n)], got[:inWindow], msg)

		// Last: the latest of the oracle's slots in (at − 8 days, at].
		at := randomInstant(r, loc)
		last, ok := s.Last(at)
		before := oracle(s, at.Add(-8*24*time.Hour), at)
		if len(before) == 0 {
			require.False(t, ok, "Last(%s): %s", at, msg)
			continue
		}
		require.True(t, ok, "Last(%s): %s", at, msg)
		require.True(t, before[len(before)-1].Equal(last), "Last(%s) = %s, want %s: %s", at, last, before[len(before)-1], msg)
		// And Next from just before Last's answer finds it again.
		require.True(t, last.Equal(s.Next(last.Add(-time.Nanosecond), 1)[0]))
	}
}
