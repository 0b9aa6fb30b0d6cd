package slots

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Next's cost is bounded by the slots asked for, not by the weeks they span: it computes
// the slots of the local dates that have ranges only, about one date per slot when a day
// has a single slot, and jumps over the others.
func TestNextVisitsAboutOneDatePerSlot(t *testing.T) {
	t.Parallel()
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	after := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var weekly, weekdays, daily Week
	weekly[time.Wednesday] = []Range{{Start: 720, End: 750}}
	for d := time.Monday; d <= time.Friday; d++ {
		weekdays[d] = []Range{{Start: 540, End: 600}}
	}
	for d := range daily {
		daily[d] = []Range{{Start: 540, End: 1200}}
	}
	cases := []struct {
		name     string
		week     Week
		interval time.Duration
		n        int
		maxDates int
	}{
		{"one slot a week, 30 slots over 30 weeks", weekly, time.Hour, 30, 31},
		{"one slot each weekday, 100 slots over 20 weeks", weekdays, time.Hour, 100, 101},
		{"three slots a day, 100 slots over 34 days", daily, 4 * time.Hour, 100, 35},
		{"one slot a week, 1000 slots over 19 years of DST changes", weekly, time.Hour, 1000, 1001},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, dates := Schedule{Location: ny, Week: c.week, Interval: c.interval}.next(after, c.n)
			require.Len(t, got, c.n)
			require.LessOrEqual(t, dates, c.maxDates)
		})
	}
}

func BenchmarkNext(b *testing.B) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		b.Fatal(err)
	}
	var w Week
	for d := range w {
		w[d] = []Range{{Start: 540, End: 1200}} // the worked example: 09:00–20:00
	}
	s := Schedule{Location: ny, Week: w, Interval: 4 * time.Hour}
	after := time.Date(2026, 2, 20, 12, 0, 0, 0, time.UTC) // 100 slots across spring forward
	b.ReportAllocs()
	for b.Loop() {
		if got := s.Next(after, 100); len(got) != 100 {
			b.Fatal(len(got))
		}
	}
}

func BenchmarkLast(b *testing.B) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		b.Fatal(err)
	}
	var w Week
	w[time.Wednesday] = []Range{{Start: 720, End: 750}} // the worst case: a week back
	s := Schedule{Location: ny, Week: w, Interval: time.Hour}
	at := time.Date(2026, 11, 4, 16, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := s.Last(at); !ok {
			b.Fatal("no slot")
		}
	}
}
