package codec

import (
	"fmt"
	"time"

	"github.com/octopost/octopost/service/slots"
)

// storedWeek is how a queue's active hours are stored: by weekday name, each range as
// [start, end] in minutes since local midnight. Names rather than an array indexed by
// time.Weekday, so a row reads the same to a person as to the code; minutes rather than
// "HH:MM", so that decoding cannot fail on a clock the rules would now refuse.
type storedWeek map[string][][2]int

// Week encodes a queue's active hours; every weekday is written, an empty one as [].
func Week(w slots.Week) []byte {
	out := make(storedWeek, len(w))
	for day, ranges := range w {
		stored := make([][2]int, len(ranges))
		for i, r := range ranges {
			stored[i] = [2]int{r.Start, r.End}
		}
		out[slots.DayName(time.Weekday(day))] = stored
	}
	return mustMarshal(out)
}

// ParseWeek decodes a queue's active hours into dst; a day without ranges is nil.
func ParseWeek[B ~string | ~[]byte](b B, dst *slots.Week) error {
	var stored storedWeek
	if err := unmarshal(b, &stored); err != nil {
		return err
	}
	var w slots.Week
	for day := range w {
		name := slots.DayName(time.Weekday(day))
		ranges, ok := stored[name]
		if !ok {
			return fmt.Errorf("decoding stored active hours: no %s", name)
		}
		for _, r := range ranges {
			w[day] = append(w[day], slots.Range{Start: r[0], End: r[1]})
		}
	}
	*dst = w
	return nil
}
