// Package slots computes the times at which a user's queue publishes: its slots.
//
// A Schedule is a time zone, a week of active hours (for each weekday, zero or more ranges
// of local time such as 09:00–20:00) and an interval. Within each range the slots are at
// start, start+interval, start+2·interval, … while before the range's end, and the
// interval restarts at the start of every range: 09:00–20:00 every 4 hours gives 09:00,
// 13:00 and 17:00 (20:00 is the end, not a slot), and a second range 21:00–23:00 that day
// adds 21:00. Everything is wall-clock time in the schedule's zone, computed for each local
// calendar date: a slot at 09:00 is at 09:00 local on every day, before and after a
// daylight-saving change, so the gap between two slots across a change is an hour more or
// less than the interval, never a slot at 08:00 or 10:00.
//
// Daylight-saving changes make some local times happen never or twice:
//   - A local time that does not exist that day (the spring-forward gap, 02:30 in New York
//     on the second Sunday of March) has no slot that day; the next slot is the range's next
//     one. The slots are not shifted to 03:30: moving them would put two slots at once.
//   - A local time that happens twice (the fall-back fold, 01:30 in New York on the first
//     Sunday of November) has one slot, at its first occurrence, so a queue never publishes
//     two posts for one slot of the settings.
//
// The zone's rules are read from time.Location (ZoneBounds), so the same code serves zones
// with 30- and 45-minute offsets and 30-minute daylight saving (Australia/Lord_Howe), with
// no assumption that a change is one hour or happens at 02:00.
//
// Next and Last cost bounded work, whatever the schedule. Next walks the local dates from
// the one of `after`, jumping straight over weekdays without ranges, so for n slots it
// visits about n+1 dates that have ranges, whatever the number of weeks the n slots span
// (one range a week and n = 30 spans 30 weeks in 31 dates visited). Last looks back at most
// 8 days: a week with any range has a slot in every 7 days of local time, and 8 days of
// real time rather than 7 leave room for a daylight-saving change between the two
// occurrences of a weekly slot (7 days and 1 hour apart in the fall-back week). The queue's
// sweep only asks whether a slot passed in the last few minutes, so nothing further back
// matters to it; a schedule whose only slot of the week fell in a gap has none in the 8 days.
//
// Next and Last do not validate: Problems reports what breaks the settings' rules, and the
// caller refuses such settings. They stay safe on any input: a range out of 00:00–24:00 or
// ending before it starts is ignored, overlapping ranges give each slot once, an interval
// under a minute gives no slots, and a nil Location is UTC.
//
// The package does no I/O and reads no clock: every instant is a parameter.
package slots

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// MinutesPerDay is the end of a local day, "24:00", the largest End of a Range.
const MinutesPerDay = 24 * 60

// The settings' limits, checked by Problems.
const (
	MaxRangesPerDay = 8
	MinInterval     = 5 * time.Minute
	MaxInterval     = 24 * time.Hour
)

// lookBack is how far Last looks back (see the package comment).
const lookBack = 8 * 24 * time.Hour

// Range is a span of local time in a day, in minutes since local midnight:
// 0 ≤ Start < End ≤ 1440. End is not a slot.
type Range struct{ Start, End int }

// Week holds the ranges of each weekday, indexed by time.Weekday (Sunday = 0), each day's
// ranges sorted and not overlapping.
type Week [7][]Range

// Schedule is a queue's settings in the form the slots are computed from.
type Schedule struct {
	Location *time.Location
	Week     Week
	Interval time.Duration // whole minutes, ≥ 1 minute
}

// Problem is one broken rule of a Schedule: Path names the setting as the API spells it
// ("active_hours/monday/0/end", "active_hours/monday", "active_hours", "interval_minutes"),
// and Message says what is wrong in words a user can act on.
type Problem struct{ Path, Message string }

// ErrClock is the error of ParseClock (wrapped with the text it refused).
var ErrClock = errors.New("a time of day must be HH:MM, from 00:00 to 24:00")

// ParseClock reads a time of day, strictly "HH:MM" (two digits each, 00:00 to 24:00 where
// 24:00 is the end of the day), as minutes since midnight: "09:00" → 540, "24:00" → 1440.
// Whether 24:00 is allowed where it appears (only as an end) is for Problems to say.
func ParseClock(s string) (int, error) {
	if len(s) != 5 || s[2] != ':' || !digits(s[:2]) || !digits(s[3:]) {
		return 0, fmt.Errorf("%w: %q", ErrClock, s)
	}
	h := int(s[0]-'0')*10 + int(s[1]-'0')
	m := int(s[3]-'0')*10 + int(s[4]-'0')
	if h > 24 || m > 59 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("%w: %q", ErrClock, s)
	}
	return h*60 + m, nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// FormatClock writes minutes since midnight (0 to 1440) as "HH:MM": 540 → "09:00",
// 1440 → "24:00". It is ParseClock's inverse.
func FormatClock(m int) string {
	return fmt.Sprintf("%02d:%02d", m/60, m%60)
}

// Problems lists every rule of the queue settings the schedule breaks, in the order of the
// settings (weekdays from Monday, as the API lists them, then the interval); nil when it has
// none. The time zone is the caller's to check (it is a name before it is a Location).
func (s Schedule) Problems() []Problem {
	var ps []Problem
	add := func(path, format string, args ...any) {
		ps = append(ps, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
	}
	ranges := 0
	for _, wd := range Weekdays {
		day := DayName(wd)
		rs := s.Week[wd]
		ranges += len(rs)
		if len(rs) > MaxRangesPerDay {
			add("active_hours/"+day, "at most %d ranges a day; %d given", MaxRangesPerDay, len(rs))
		}
		for i, r := range rs {
			at := fmt.Sprintf("active_hours/%s/%d/", day, i)
			startOK := r.Start >= 0 && r.Start < MinutesPerDay
			endOK := r.End > 0 && r.End <= MinutesPerDay
			if !startOK {
				add(at+"start", "must be a time from 00:00 to 23:59")
			} else if i > 0 && r.Start < rs[i-1].End {
				add(at+"start", "must not be before the end of the previous range (%s): a day's ranges are sorted and do not overlap", clockOrRaw(rs[i-1].End))
			}
			if !endOK {
				add(at+"end", "must be a time from 00:01 to 24:00")
			} else if startOK && r.End <= r.Start {
				add(at+"end", "must be after the range's start (%s)", FormatClock(r.Start))
			}
		}
	}
	if ranges == 0 {
		add("active_hours", "at least one range in the week: with none, the queue would never publish")
	}
	switch {
	case s.Interval%time.Minute != 0:
		add("interval_minutes", "must be a whole number of minutes")
	case s.Interval < MinInterval || s.Interval > MaxInterval:
		add("interval_minutes", "must be from %d to %d minutes", int(MinInterval/time.Minute), int(MaxInterval/time.Minute))
	}
	return ps
}

// clockOrRaw formats a time of day for a message, even one out of range.
func clockOrRaw(m int) string {
	if m < 0 || m > MinutesPerDay {
		return fmt.Sprint(m)
	}
	return FormatClock(m)
}

// Weekdays are the weekdays in the order the API lists them, Monday first: the order of
// Problems.
var Weekdays = [7]time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

// DayName is a weekday as the API names it, in Problems' paths and the settings' fields:
// "monday".
func DayName(wd time.Weekday) string { return strings.ToLower(wd.String()) }

// Next returns the first n slots strictly after `after`, ascending (in the schedule's
// Location); nil when n ≤ 0 or the week has no slots.
func (s Schedule) Next(after time.Time, n int) []time.Time {
	out, _ := s.next(after, n)
	return out
}

// next is Next, also returning the number of local dates it computed the slots of, which
// the tests hold to about n+1 (see the package comment).
func (s Schedule) next(after time.Time, n int) ([]time.Time, int) {
	p := s.plan()
	if n <= 0 || p.empty() {
		return nil, 0
	}
	out := make([]time.Time, 0, min(n, 1024))
	// A slot of an earlier local date than after's was passed before after: its local
	// time occurred before the local clock first read after's date (even a change at
	// midnight that folds a day back into the one before, as in America/Santiago, repeats
	// times that already occurred). So the walk starts at after's date.
	day := p.date(after)
	dates := 0
	var buf []time.Time
	// Every date visited has ranges, so it gives at least one slot unless all of them fall
	// in a spring-forward gap, which no zone does on many dates in a row: the bound only
	// guards against a loop, it never cuts a valid answer short.
	for len(out) < n && dates < n+64 {
		day = day.AddDate(0, 0, p.skip[day.Weekday()])
		dates++
		buf = p.daySlots(day, buf[:0])
		for _, t := range buf {
			// Strictly after `after`, and after the last one taken: a zone whose rules move
			// a date's first occurrences before the previous date's cannot reorder them.
			if t.After(after) && (len(out) == 0 || t.After(out[len(out)-1])) {
				out = append(out, t)
				if len(out) == n {
					break
				}
			}
		}
		day = day.AddDate(0, 0, 1)
	}
	return out, dates
}

// Last returns the latest slot at or before atOrBefore, looking back 8 days
// (atOrBefore − 8×24h excluded); false when there is none in that window.
func (s Schedule) Last(atOrBefore time.Time) (time.Time, bool) {
	p := s.plan()
	if p.empty() {
		return time.Time{}, false
	}
	from := atOrBefore.Add(-lookBack)
	// From atOrBefore's local date down to from's (a later date's slots come later, as in
	// Next); empty weekdays cost nothing.
	first := p.date(from)
	var buf []time.Time
	for day := p.date(atOrBefore); !day.Before(first); day = day.AddDate(0, 0, -1) {
		if len(p.week[day.Weekday()]) == 0 {
			continue
		}
		buf = p.daySlots(day, buf[:0])
		for i := len(buf) - 1; i >= 0; i-- {
			if t := buf[i]; !t.After(atOrBefore) && t.After(from) {
				return t, true
			}
		}
	}
	return time.Time{}, false
}

// plan is a Schedule made safe to walk: the ranges that can hold a slot, a whole-minute
// interval of at least a minute, a Location, and for each weekday how many days on the
// next one with ranges is.
type plan struct {
	loc      *time.Location
	week     Week
	interval int // minutes
	skip     [7]int
}

func (s Schedule) plan() plan {
	p := plan{loc: s.Location, interval: int(s.Interval / time.Minute), skip: [7]int{-1, -1, -1, -1, -1, -1, -1}}
	if p.loc == nil {
		p.loc = time.UTC
	}
	if p.interval < 1 {
		return p // empty: no slots
	}
	for wd, rs := range s.Week {
		for _, r := range rs {
			if r.Start >= 0 && r.Start < r.End && r.End <= MinutesPerDay {
				p.week[wd] = append(p.week[wd], r)
			}
		}
	}
	for wd := range 7 {
		for k := range 7 {
			if len(p.week[(wd+k)%7]) > 0 {
				p.skip[wd] = k
				break
			}
		}
	}
	return p
}

func (p plan) empty() bool { return p.skip[0] < 0 }

// date is the local calendar date of t in the plan's zone, as midnight UTC of that date:
// a day counter with no daylight saving of its own, whose Weekday is the local weekday.
func (p plan) date(t time.Time) time.Time {
	y, m, d := t.In(p.loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// daySlots appends the slots of one local date (given as its midnight UTC), ascending.
func (p plan) daySlots(day time.Time, out []time.Time) []time.Time {
	start := len(out)
	base := day.Unix()
	for _, r := range p.week[day.Weekday()] {
		for m := r.Start; m < r.End; m += p.interval {
			if t, ok := firstAt(p.loc, base+int64(m)*60); ok {
				out = append(out, t)
			}
		}
	}
	// Valid settings give them in order already; overlapping ranges (which Problems
	// refuses) would give some twice.
	day2 := out[start:]
	slices.SortFunc(day2, func(a, b time.Time) int { return a.Compare(b) })
	return out[:start+len(slices.CompactFunc(day2, time.Time.Equal))]
}

// zoneReach bounds how far a zone's local time can be from UTC: no zone's offset, present
// or historical, reaches 16 hours, so every instant whose local time is L lies within
// zoneReach of L read as UTC.
const zoneReach = 26 * 60 * 60

// firstAt returns the first instant whose local time in loc is the wall-clock time wall
// (seconds since 1970-01-01 00:00 of local time, as if it were UTC); false when no instant
// has it (the wall time falls in a gap). It walks the zone's periods of constant offset
// (ZoneBounds) that overlap the window where such an instant can be, earliest first, and
// takes the first period that holds wall − offset: that is the first occurrence, so a
// fall-back fold gives its earlier instant. time.Date leaves both cases unspecified.
func firstAt(loc *time.Location, wall int64) (time.Time, bool) {
	t := time.Unix(wall-zoneReach, 0).In(loc)
	for range 16 { // a 52-hour window never holds that many changes of offset
		start, end := t.ZoneBounds()
		_, off := t.Zone()
		u := wall - int64(off)
		if (start.IsZero() || u >= start.Unix()) && (end.IsZero() || u < end.Unix()) {
			return time.Unix(u, 0).In(loc), true
		}
		if end.IsZero() || end.Unix() > wall+zoneReach {
			break
		}
		t = end.In(loc)
	}
	return time.Time{}, false
}
