package slots_test

import (
	"fmt"
	"time"

	"github.com/octopost/octopost/service/slots"
)

// The issue's worked example: 09:00–20:00 in New York every 4 hours gives 09:00, 13:00 and
// 17:00 local, and the same local times after the clocks spring forward on 8 March 2026.
func ExampleSchedule_Next() {
	ny, _ := time.LoadLocation("America/New_York")
	start, _ := slots.ParseClock("09:00")
	end, _ := slots.ParseClock("20:00")
	var week slots.Week
	for d := range week {
		week[d] = []slots.Range{{Start: start, End: end}}
	}
	s := slots.Schedule{Location: ny, Week: week, Interval: 4 * time.Hour}
	if ps := s.Problems(); ps != nil {
		fmt.Println(ps)
		return
	}
	for _, t := range s.Next(time.Date(2026, 3, 7, 12, 0, 0, 0, time.UTC), 5) {
		fmt.Println(t.Format("Mon 2006-01-02 15:04 MST"), "=", t.UTC().Format("15:04 UTC"))
	}
	// Output:
	// Sat 2026-03-07 09:00 EST = 14:00 UTC
	// Sat 2026-03-07 13:00 EST = 18:00 UTC
	// Sat 2026-03-07 17:00 EST = 22:00 UTC
	// Sun 2026-03-08 09:00 EDT = 13:00 UTC
	// Sun 2026-03-08 13:00 EDT = 17:00 UTC
}

// The queue's sweep asks for the latest slot at or before now, and fires it when it is recent.
func ExampleSchedule_Last() {
	ny, _ := time.LoadLocation("America/New_York")
	var week slots.Week
	week[time.Monday] = []slots.Range{{Start: 9 * 60, End: 10 * 60}}
	s := slots.Schedule{Location: ny, Week: week, Interval: time.Hour}
	now := time.Date(2026, 12, 7, 14, 2, 0, 0, time.UTC) // Monday 09:02 in New York
	if last, ok := s.Last(now); ok {
		fmt.Println(last.Format("Mon 15:04 MST"), now.Sub(last))
	}
	// Output: Mon 09:00 EST 2m0s
}

// A settings' problems name the field, as the API reports them.
func ExampleSchedule_Problems() {
	var week slots.Week
	week[time.Monday] = []slots.Range{{Start: 600, End: 540}}
	for _, p := range (slots.Schedule{Location: time.UTC, Week: week, Interval: time.Minute}).Problems() {
		fmt.Println(p.Path+":", p.Message)
	}
	// Output:
	// active_hours/monday/0/end: must be after the range's start (10:00)
	// interval_minutes: must be from 5 to 1440 minutes
}
