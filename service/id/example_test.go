package id_test

import (
	"fmt"
	"time"

	"github.com/octopost/octopost/service/id"
)

func ExampleNew() {
	s := id.New(id.Post)
	fmt.Println(s[:5], len(s), id.Valid(id.Post, s))
	// Output: post_ 31 true
}

// A Generator with a fixed clock, as in tests; the random part still varies,
// but the timestamp and the order do not.
func ExampleGenerator() {
	created := time.Date(2026, 4, 3, 12, 0, 0, 0, time.UTC)
	g := &id.Generator{Now: func() time.Time { return created }}
	a, b := g.New(id.Event), g.New(id.Event)
	t, _ := id.Time(a)
	fmt.Println(a[:14], t.Format(time.RFC3339), a < b)
	// Output: evt_01KN9KDSG0 2026-04-03T12:00:00Z true
}
