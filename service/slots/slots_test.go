package slots_test

import (
	"errors"
	"testing"
	"time"
	_ "time/tzdata" // the same zone rules on every machine, as the server embeds them

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service/slots"
)

// The expected times below were worked out by hand from the zones' rules for 2026, and are
// written with their UTC offsets, so each one says both the instant and the local clock:
//   - America/New_York: EST −05:00; spring forward Sunday 8 March 02:00 → 03:00 EDT −04:00,
//     fall back Sunday 1 November 02:00 EDT → 01:00 EST.
//   - Europe/London: GMT +00:00; spring forward Sunday 29 March 01:00 → 02:00 BST +01:00,
//     fall back Sunday 25 October 02:00 BST → 01:00 GMT.
//   - Australia/Lord_Howe: +10:30, with 30-minute daylight saving (+11:00): it ends Sunday
//     5 April 02:00 → 01:30, and starts Sunday 4 October 02:00 → 02:30.
//   - Asia/Kolkata: +05:30 all year.
// 2026-12-03 is a Thursday.

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	require.NoError(t, err)
	return loc
}

func clock(t *testing.T, s string) int {
	t.Helper()
	m, err := slots.ParseClock(s)
	require.NoError(t, err)
	return m
}

func rng(t *testing.T, start, end string) slots.Range {
	return slots.Range{Start: clock(t, start), End: clock(t, end)}
}

// every is the same ranges on all seven days.
func every(rs ...slots.Range) slots.Week {
	var w slots.Week
	for d := range w {
		w[d] = rs
	}
	return w
}

// on is the ranges on the given weekdays only.
func on(days []time.Weekday, rs ...slots.Range) slots.Week {
	var w slots.Week
	for _, d := range days {
		w[d] = rs
	}
	return w
}

var weekdays = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}

func instant(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	require.NoError(t, err)
	return v
}

// local writes instants in the schedule's zone, offset included.
func local(ts []time.Time, loc *time.Location) []string {
	if ts == nil {
		return nil
	}
	out := make([]string, len(ts))
	for i, v := range ts {
		out[i] = v.In(loc).Format(time.RFC3339)
	}
	return out
}

func TestNext(t *testing.T) {
	t.Parallel()
	type tc struct {
		name     string
		zone     string
		week     func(t *testing.T) slots.Week
		interval time.Duration
		after    string
		n        int
		want     []string
	}
	weekly := func(first string, count int) func(t *testing.T) []string {
		return func(t *testing.T) []string {
			// Wall-clock weeks: the same local time seven calendar days apart.
			f := instant(t, first).In(zone(t, "America/New_York"))
			out := make([]string, count)
			for k := range out {
				out[k] = f.AddDate(0, 0, 7*k).Format(time.RFC3339)
			}
			return out
		}
	}
	cases := []tc{
		{
			name: "worked example: 09:00–20:00 New York every 4 hours is 09:00, 13:00, 17:00",
			zone: "America/New_York", interval: 4 * time.Hour,
			week:  func(t *testing.T) slots.Week { return every(rng(t, "09:00", "20:00")) },
			after: "2026-12-03T05:00:00-05:00", n: 4,
			want: []string{"2026-12-03T09:00:00-05:00", "2026-12-03T13:00:00-05:00", "2026-12-03T17:00:00-05:00", "2026-12-04T09:00:00-05:00"},
		},
		{
			name: "strictly after: a slot equal to after is not returned",
			zone: "America/New_York", interval: 4 * time.Hour,
			week:  func(t *testing.T) slots.Week { return every(rng(t, "09:00", "20:00")) },
			after: "2026-12-03T13:00:00-05:00", n: 2,
			want: []string{"2026-12-03T17:00:00-05:00", "2026-12-04T09:00:00-05:00"},
		},
		{
			name: "New York spring forward: the slots stay at 09:00, 13:00, 17:00 local",
			zone: "America/New_York", interval: 4 * time.Hour,
			week:  func(t *testing.T) slots.Week { return every(rng(t, "09:00", "20:00")) },
			after: "2026-03-07T16:00:00-05:00", n: 4,
			want: []string{"2026-03-07T17:00:00-05:00", "2026-03-08T09:00:00-04:00", "2026-03-08T13:00:00-04:00", "2026-03-08T17:00:00-04:00"},
		},
		{
			name: "New York spring forward: 02:00 and 02:30 do not exist that day and have no slot",
			zone: "America/New_York", interval: 30 * time.Minute,
			week:  func(t *testing.T) slots.Week { return every(rng(t, "01:00", "04:00")) },
			after: "2026-03-08T00:00:00-05:00", n: 6,
			want: []string{"2026-03-08T01:00:00-05:00", "2026-03-08T01:30:00-05:00", "2026-03-08T03:00:00-04:00", "2026-03-08T03:30:00-04:00", "2026-03-09T01:00:00-04:00", "2026-03-09T01:30:00-04:00"},
		},
		{
			name: "New York spring forward: a day whose only slot is 02:30 has none",
			zone: "America/New_York", interval: time.Hour,
			week:  func(t *testing.T) slots.Week { return every(rng(t, "02:30", "03:00")) },
			after: "2026-03-07T12:00:00-05:00", n: 2,
			want: []string{"2026-03-09T02:30:00-04:00", "2026-03-10T02:30:00-04:00"},
		},
		{
			name: "New York fall back: 01:00 and 01:30 happen twice and have one slot each, the first",
			zone: "America/New_York", interval: 30 * time.Minute,
			week:  func(t *testing.T) slots.Week { return every(rng(t, "00:30", "03:00")) },
			after: "2026-11-01T00:00:00-04:00", n: 5,
			want: []string{"2026-11-01T00:30:00-04:00", "2026-11-01T01:00:00-04:00", "2026-11-01T01:30:00-04:00", "2026-11-01T02:00:00-05:00", "2026-11-01T02:30:00-05:00"},
		},
		{
			name: "New York fall back: after the first 01:30, the second one is no slot",
			zone: "America/New_York", interval: 30 * time.Minute,
			week:  func(t *testing.T) slots.Week { return every(rng(t, "00:30", "03:00")) },
			after: "2026-11-01T01:30:00-04:00", n: 2,
			want: []string{"2026-11-01T02:00:00-05:00", "2026-11-01T02:30:00-05:00"},
		},
		{
			name: "New York fall back: the slots stay at 09:00, 13:00, 17:00 local",
			zone: "America/New_York", interval: 4 * time.Hour,
			week:  func(t *testing.T) slots.Week { return every(rng(t, "09:00", "20:00")) },
			after: "2026-10-31T16:00:00-04:00", n: 3,
			want: []string{"2026-10-31T17:00:00-04:00", "2026-11-01T09:00:00-05:00", "2026-11-01T13:00:00-05:00"},
		},
		{
			name: "London spring forward: 01:00 does not exist and has no slot; 09:00 stays 09:00",
			zone: "Europe/London", interval: time.Hour,
			week:  func(t *testing.T) slots.Week { return every(rng(t, "00:00", "03:00"), rng(t, "09:00", "10:00")) },
			after: "2026-03-28T23:30:00Z", n: 4,
			want: []string{"2026-03-29T00:00:00Z", "2026-03-29T02:00:00+01:00", "2026-03-29T09:00:00+01:00", "2026-03-30T00:00:00+01:00"},
		},
		{
			name: "London fall back: 01:00 and 01:30 have one slot each, in BST",
			zone: "Europe/London", interval: 30 * time.Minute,
			week:  func(t *testing.T) slots.Week { return every(rng(t, "00:00", "03:00")) },
			after: "2026-10-24T22:59:00Z", n: 6,
			want: []string{"2026-10-25T00:00:00+01:00", "2026-10-25T00:30:00+01:00", "2026-10-25T01:00:00+01:00", "2026-10-25T01:30:00+01:00", "2026-10-25T02:00:00Z", "2026-10-25T02:30:00Z"},
		},
		{
			name: "Kolkata, a 30-minute offset: slots on the local clock",
			zone: "Asia/Kolkata", interval: 3 * time.Hour,
			week:  func(t *testing.T) slots.Week { return every(rng(t, "09:00", "17:00")) },
			after: "2026-06-01T00:00:00Z", n: 4,
			want: []string{"2026-06-01T09:00:00+05:30", "2026-06-01T12:00:00+05:30", "2026-06-01T15:00:00+05:30", "2026-06-02T09:00:00+05:30"},
		},
		{
			name: "Lord Howe, 30-minute daylight saving starts: 02:00 does not exist",
			zone: "Australia/Lord_Howe", interval: 30 * time.Minute,
			week:  func(t *testing.T) slots.Week { return every(rng(t, "01:00", "04:00")) },
			after: "2026-10-04T00:59:00+10:30", n: 5,
			want: []string{"2026-10-04T01:00:00+10:30", "2026-10-04T01:30:00+10:30", "2026-10-04T02:30:00+11:00", "2026-10-04T03:00:00+11:00", "2026-10-04T03:30:00+11:00"},
		},
		{
			name: "Lord Howe, 30-minute daylight saving ends: 01:30 and 01:45 once, at the first",
			zone: "Australia/Lord_Howe", interval: 15 * time.Minute,
			week:  func(t *testing.T) slots.Week { return every(rng(t, "01:00", "03:00")) },
			after: "2026-04-05T00:59:00+11:00", n: 6,
			want: []string{"2026-04-05T01:00:00+11:00", "2026-04-05T01:15:00+11:00", "2026-04-05T01:30:00+11:00", "2026-04-05T01:45:00+11:00", "2026-04-05T02:00:00+10:30", "2026-04-05T02:15:00+10:30"},
		},
		{
			name: "weekday gaps: Friday's last slot is followed by Monday's first",
			zone: "America/New_York", interval: 8 * time.Hour,
			week:  func(t *testing.T) slots.Week { return on(weekdays, rng(t, "09:00", "17:00")) },
			after: "2026-12-04T10:00:00-05:00", n: 3,
			want: []string{"2026-12-07T09:00:00-05:00", "2026-12-08T09:00:00-05:00", "2026-12-09T09:00:00-05:00"},
		},
		{
			name: "the interval restarts at each range's start",
			zone: "UTC", interval: 4 * time.Hour,
			week: func(t *testing.T) slots.Week {
				return every(rng(t, "09:00", "12:00"), rng(t, "12:00", "17:00"), rng(t, "21:00", "22:00"))
			},
			after: "2026-05-01T00:00:00Z", n: 5,
			want: []string{"2026-05-01T09:00:00Z", "2026-05-01T12:00:00Z", "2026-05-01T16:00:00Z", "2026-05-01T21:00:00Z", "2026-05-02T09:00:00Z"},
		},
		{
			name: "a range ending at 24:00: its last slot is before midnight",
			zone: "UTC", interval: 30 * time.Minute,
			week:  func(t *testing.T) slots.Week { return every(rng(t, "23:00", "24:00")) },
			after: "2026-05-01T23:10:00Z", n: 3,
			want: []string{"2026-05-01T23:30:00Z", "2026-05-02T23:00:00Z", "2026-05-02T23:30:00Z"},
		},
		{
			name: "year end: Thursday 31 December, then Friday 1 January, then Monday",
			zone: "America/New_York", interval: time.Hour,
			week:  func(t *testing.T) slots.Week { return on(weekdays, rng(t, "09:00", "10:00")) },
			after: "2026-12-31T12:00:00-05:00", n: 2,
			want: []string{"2027-01-01T09:00:00-05:00", "2027-01-04T09:00:00-05:00"},
		},
		{
			name: "a day-long interval: one slot a day at the range's start",
			zone: "Asia/Kolkata", interval: 24 * time.Hour,
			week:  func(t *testing.T) slots.Week { return every(rng(t, "00:00", "24:00")) },
			after: "2026-06-01T00:00:00+05:30", n: 2,
			want: []string{"2026-06-02T00:00:00+05:30", "2026-06-03T00:00:00+05:30"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			loc := zone(t, c.zone)
			s := slots.Schedule{Location: loc, Week: c.week(t), Interval: c.interval}
			require.Empty(t, s.Problems(), "the cases are valid settings")
			require.Equal(t, c.want, local(s.Next(instant(t, c.after), c.n), loc))
		})
	}

	t.Run("a queue longer than a week: 30 slots of one a week span 30 weeks, across spring forward", func(t *testing.T) {
		t.Parallel()
		loc := zone(t, "America/New_York")
		s := slots.Schedule{Location: loc, Week: on([]time.Weekday{time.Wednesday}, rng(t, "12:00", "12:30")), Interval: time.Hour}
		got := local(s.Next(instant(t, "2026-01-01T00:00:00Z"), 30), loc)
		require.Equal(t, weekly("2026-01-07T12:00:00-05:00", 30)(t), got)
		require.Equal(t, "2026-03-04T12:00:00-05:00", got[8])
		require.Equal(t, "2026-03-11T12:00:00-04:00", got[9])
		require.Equal(t, "2026-07-29T12:00:00-04:00", got[29])
	})
}

func TestNextHasNoSlots(t *testing.T) {
	t.Parallel()
	ny := zone(t, "America/New_York")
	after := instant(t, "2026-12-03T05:00:00-05:00")
	day := every(slots.Range{Start: 540, End: 1200})
	cases := []struct {
		name string
		s    slots.Schedule
		n    int
	}{
		{"an empty week", slots.Schedule{Location: ny, Interval: time.Hour}, 5},
		{"days with empty lists only", slots.Schedule{Location: ny, Week: every(), Interval: time.Hour}, 5},
		{"n is 0", slots.Schedule{Location: ny, Week: day, Interval: time.Hour}, 0},
		{"n is negative", slots.Schedule{Location: ny, Week: day, Interval: time.Hour}, -1},
		{"no interval", slots.Schedule{Location: ny, Week: day}, 5},
		{"an interval under a minute", slots.Schedule{Location: ny, Week: day, Interval: time.Second}, 5},
		{"only ranges that break the rules", slots.Schedule{Location: ny, Week: every(slots.Range{Start: 600, End: 600}, slots.Range{Start: -5, End: 10}, slots.Range{Start: 1400, End: 1500}), Interval: time.Hour}, 5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			require.Nil(t, c.s.Next(after, c.n))
			if c.n > 0 {
				_, ok := c.s.Last(after)
				require.False(t, ok)
			}
		})
	}
}

func TestNextOnUnsortedOrOverlappingRanges(t *testing.T) {
	t.Parallel()
	// Problems refuses these settings; Next still gives each slot once, in order.
	s := slots.Schedule{Location: time.UTC, Interval: time.Hour, Week: every(
		slots.Range{Start: 12 * 60, End: 14 * 60}, slots.Range{Start: 9 * 60, End: 13 * 60},
	)}
	require.NotEmpty(t, s.Problems())
	got := local(s.Next(instant(t, "2026-05-01T00:00:00Z"), 6), time.UTC)
	require.Equal(t, []string{"2026-05-01T09:00:00Z", "2026-05-01T10:00:00Z", "2026-05-01T11:00:00Z", "2026-05-01T12:00:00Z", "2026-05-01T13:00:00Z", "2026-05-02T09:00:00Z"}, got)
}

func TestNextNilLocationIsUTC(t *testing.T) {
	t.Parallel()
	s := slots.Schedule{Week: every(slots.Range{Start: 540, End: 600}), Interval: time.Hour}
	// 08:30 UTC: 09:00 UTC is still to come, though 09:00 at the instant's own offset is past.
	got := s.Next(instant(t, "2026-05-01T10:30:00+02:00"), 1)
	require.Equal(t, []string{"2026-05-01T09:00:00Z"}, local(got, time.UTC))
}

func TestLast(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		zone     string
		week     func(t *testing.T) slots.Week
		interval time.Duration
		at       string
		want     string // "" for none
	}{
		{
			name: "exactly at a slot: that slot",
			zone: "America/New_York", interval: 4 * time.Hour,
			week: func(t *testing.T) slots.Week { return every(rng(t, "09:00", "20:00")) },
			at:   "2026-12-03T13:00:00-05:00", want: "2026-12-03T13:00:00-05:00",
		},
		{
			name: "a nanosecond before a slot: the one before",
			zone: "America/New_York", interval: 4 * time.Hour,
			week: func(t *testing.T) slots.Week { return every(rng(t, "09:00", "20:00")) },
			at:   "2026-12-03T12:59:59.999999999-05:00", want: "2026-12-03T09:00:00-05:00",
		},
		{
			name: "before the day's first slot: the previous day's last",
			zone: "America/New_York", interval: 4 * time.Hour,
			week: func(t *testing.T) slots.Week { return every(rng(t, "09:00", "20:00")) },
			at:   "2026-12-03T08:00:00-05:00", want: "2026-12-02T17:00:00-05:00",
		},
		{
			name: "after a weekend: Friday's last slot",
			zone: "America/New_York", interval: 4 * time.Hour,
			week: func(t *testing.T) slots.Week { return on(weekdays, rng(t, "09:00", "20:00")) },
			at:   "2026-12-07T08:59:00-05:00", want: "2026-12-04T17:00:00-05:00",
		},
		{
			name: "one slot a week, across fall back: 7 days and 59 minutes back",
			zone: "America/New_York", interval: time.Hour,
			week: func(t *testing.T) slots.Week { return on([]time.Weekday{time.Wednesday}, rng(t, "12:00", "12:30")) },
			at:   "2026-11-04T11:59:00-05:00", want: "2026-10-28T12:00:00-04:00",
		},
		{
			name: "at the second 01:40 of fall back: the first 01:30 is the slot",
			zone: "America/New_York", interval: time.Hour,
			week: func(t *testing.T) slots.Week { return every(rng(t, "01:30", "02:00")) },
			at:   "2026-11-01T01:40:00-05:00", want: "2026-11-01T01:30:00-04:00",
		},
		{
			name: "a day whose slot fell in the spring-forward gap: the day before's",
			zone: "America/New_York", interval: time.Hour,
			week: func(t *testing.T) slots.Week { return every(rng(t, "02:30", "03:00")) },
			at:   "2026-03-08T12:00:00-04:00", want: "2026-03-07T02:30:00-05:00",
		},
		{
			name: "the week's only slot fell in the gap: none in the last 8 days",
			zone: "America/New_York", interval: time.Hour,
			week: func(t *testing.T) slots.Week { return on([]time.Weekday{time.Sunday}, rng(t, "02:30", "03:00")) },
			at:   "2026-03-14T12:00:00-04:00", want: "",
		},
		{
			name: "across the year end",
			zone: "Asia/Kolkata", interval: time.Hour,
			week: func(t *testing.T) slots.Week { return on(weekdays, rng(t, "09:00", "10:00")) },
			at:   "2027-01-03T23:00:00+05:30", want: "2027-01-01T09:00:00+05:30",
		},
		{
			name: "a range ending at 24:00",
			zone: "Europe/London", interval: 30 * time.Minute,
			week: func(t *testing.T) slots.Week { return every(rng(t, "23:00", "24:00")) },
			at:   "2026-07-02T00:10:00+01:00", want: "2026-07-01T23:30:00+01:00",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			loc := zone(t, c.zone)
			s := slots.Schedule{Location: loc, Week: c.week(t), Interval: c.interval}
			require.Empty(t, s.Problems())
			got, ok := s.Last(instant(t, c.at))
			if c.want == "" {
				require.False(t, ok)
				require.True(t, got.IsZero())
				return
			}
			require.True(t, ok)
			require.Equal(t, c.want, got.In(loc).Format(time.RFC3339))
		})
	}
}

func TestLastLooksBackEightDays(t *testing.T) {
	t.Parallel()
	// Sunday 02:30 New York only: the slot of 1 March is followed by none on 8 March (the
	// spring-forward gap), so Last finds 1 March's for 8×24h after it, and nothing from then.
	s := slots.Schedule{Location: zone(t, "America/New_York"), Interval: time.Hour,
		Week: on([]time.Weekday{time.Sunday}, slots.Range{Start: 150, End: 180})}
	slot := instant(t, "2026-03-01T02:30:00-05:00")
	got, ok := s.Last(slot.Add(8*24*time.Hour - time.Nanosecond))
	require.True(t, ok)
	require.True(t, slot.Equal(got))
	_, ok = s.Last(slot.Add(8 * 24 * time.Hour))
	require.False(t, ok)
}

func TestParseClock(t *testing.T) {
	t.Parallel()
	good := map[string]int{"00:00": 0, "09:00": 540, "13:45": 825, "23:59": 1439, "24:00": 1440}
	for s, want := range good {
		got, err := slots.ParseClock(s)
		require.NoError(t, err, s)
		require.Equal(t, want, got, s)
		require.Equal(t, s, slots.FormatClock(got), "FormatClock is ParseClock's inverse")
	}
	for _, s := range []string{"", "9:00", "09:0", "09:00:00", "0900", "09-00", "24:01", "25:00", "12:60", "-1:00", "+9:00", "09:+5", " 9:00", "09:00 ", "１２:00", "ab:cd"} {
		_, err := slots.ParseClock(s)
		require.ErrorIs(t, err, slots.ErrClock, "%q", s)
	}
}

func TestProblems(t *testing.T) {
	t.Parallel()
	day := []slots.Range{{Start: 540, End: 1020}}
	valid := func() slots.Schedule {
		return slots.Schedule{Location: time.UTC, Interval: time.Hour, Week: every(day...)}
	}
	cases := []struct {
		name   string
		change func(s *slots.Schedule)
		want   []slots.Problem
	}{
		{"valid", func(*slots.Schedule) {}, nil},
		{"whole day, every 5 minutes", func(s *slots.Schedule) {
			s.Week[time.Monday] = []slots.Range{{Start: 0, End: 1440}}
			s.Interval = 5 * time.Minute
		}, nil},
		{"adjacent ranges do not overlap", func(s *slots.Schedule) {
			s.Week[time.Monday] = []slots.Range{{Start: 540, End: 720}, {Start: 720, End: 1020}}
		}, nil},
		{"an interval of a day", func(s *slots.Schedule) { s.Interval = 24 * time.Hour }, nil},
		{"only Sunday has a range", func(s *slots.Schedule) {
			s.Week = slots.Week{}
			s.Week[time.Sunday] = day
		}, nil},
		{"no range in the week", func(s *slots.Schedule) { s.Week = slots.Week{} }, []slots.Problem{
			{Path: "active_hours", Message: "at least one range in the week: with none, the queue would never publish"},
		}},
		{"start at 24:00", func(s *slots.Schedule) {
			s.Week[time.Tuesday] = []slots.Range{{Start: 1440, End: 1440}}
		}, []slots.Problem{{Path: "active_hours/tuesday/0/start", Message: "must be a time from 00:00 to 23:59"}}},
		{"times out of the day", func(s *slots.Schedule) {
			s.Week[time.Wednesday] = []slots.Range{{Start: -1, End: 1441}}
		}, []slots.Problem{
			{Path: "active_hours/wednesday/0/start", Message: "must be a time from 00:00 to 23:59"},
			{Path: "active_hours/wednesday/0/end", Message: "must be a time from 00:01 to 24:00"},
		}},
		{"end not after start", func(s *slots.Schedule) {
			s.Week[time.Monday] = []slots.Range{{Start: 540, End: 540}}
			s.Week[time.Sunday] = []slots.Range{{Start: 600, End: 540}}
		}, []slots.Problem{
			{Path: "active_hours/monday/0/end", Message: "must be after the range's start (09:00)"},
			{Path: "active_hours/sunday/0/end", Message: "must be after the range's start (10:00)"},
		}},
		{"overlapping ranges", func(s *slots.Schedule) {
			s.Week[time.Friday] = []slots.Range{{Start: 540, End: 720}, {Start: 700, End: 800}}
		}, []slots.Problem{{Path: "active_hours/friday/1/start", Message: "must not be before the end of the previous range (12:00): a day's ranges are sorted and do not overlap"}}},
		{"ranges out of order", func(s *slots.Schedule) {
			s.Week[time.Saturday] = []slots.Range{{Start: 900, End: 1000}, {Start: 540, End: 600}}
		}, []slots.Problem{{Path: "active_hours/saturday/1/start", Message: "must not be before the end of the previous range (16:40): a day's ranges are sorted and do not overlap"}}},
		{"nine ranges a day", func(s *slots.Schedule) {
			var rs []slots.Range
			for i := range 9 {
				rs = append(rs, slots.Range{Start: i * 60, End: i*60 + 30})
			}
			s.Week[time.Thursday] = rs
		}, []slots.Problem{{Path: "active_hours/thursday", Message: "at most 8 ranges a day; 9 given"}}},
		{"eight ranges a day", func(s *slots.Schedule) {
			var rs []slots.Range
			for i := range 8 {
				rs = append(rs, slots.Range{Start: i * 60, End: i*60 + 30})
			}
			s.Week[time.Thursday] = rs
		}, nil},
		{"interval under 5 minutes", func(s *slots.Schedule) { s.Interval = 4 * time.Minute }, []slots.Problem{
			{Path: "interval_minutes", Message: "must be from 5 to 1440 minutes"},
		}},
		{"interval over a day", func(s *slots.Schedule) { s.Interval = 1441 * time.Minute }, []slots.Problem{
			{Path: "interval_minutes", Message: "must be from 5 to 1440 minutes"},
		}},
		{"interval not whole minutes", func(s *slots.Schedule) { s.Interval = 90 * time.Second }, []slots.Problem{
			{Path: "interval_minutes", Message: "must be a whole number of minutes"},
		}},
		{"every problem at once, in the API's order of days", func(s *slots.Schedule) {
			s.Week = slots.Week{}
			s.Week[time.Sunday] = []slots.Range{{Start: 600, End: 500}}
			s.Week[time.Monday] = []slots.Range{{Start: 60, End: 120}, {Start: 100, End: 1500}}
			s.Interval = 0
		}, []slots.Problem{
			{Path: "active_hours/monday/1/start", Message: "must not be before the end of the previous range (02:00): a day's ranges are sorted and do not overlap"},
			{Path: "active_hours/monday/1/end", Message: "must be a time from 00:01 to 24:00"},
			{Path: "active_hours/sunday/0/end", Message: "must be after the range's start (10:00)"},
			{Path: "interval_minutes", Message: "must be from 5 to 1440 minutes"},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := valid()
			s.Week = every(day...) // a fresh array whose days the change may replace
			c.change(&s)
			require.Equal(t, c.want, s.Problems())
		})
	}
}

func TestParseClockErrorSaysWhatItRefused(t *testing.T) {
	t.Parallel()
	_, err := slots.ParseClock("7")
	require.True(t, errors.Is(err, slots.ErrClock))
	require.Contains(t, err.Error(), `"7"`)
}
