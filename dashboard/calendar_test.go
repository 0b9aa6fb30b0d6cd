package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service"
)

// dayCell returns the calendar's cell of date.
func dayCell(body string, date time.Time) string {
	return element(body, "div", `data-date="`+date.Format(time.DateOnly)+`"`)
}

var calendarPostIDs = regexp.MustCompile(`<li data-post-id="(post_[0-9A-Z]{26})"`)

// calendarPosts returns the ids of the posts a calendar page places.
func calendarPosts(body string) []string {
	var ids []string
	for _, m := range calendarPostIDs.FindAllStringSubmatch(body, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

func TestCalendarPlacesAPostOnItsLocalDay(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{})
	u, c := b.user(t, "owner@example.com")
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	ctx := context.Background()
	live := service.Scope{UserID: u.ID, Mode: service.ModeLive}

	// 23:30 on the 14th in New York is 03:30 or 04:30 on the 15th in UTC.
	month := b.clock.Now().In(ny).AddDate(0, 2, 0)
	at := time.Date(month.Year(), month.Month(), 14, 23, 30, 0, 0, ny)
	late, err := b.svc.CreatePost(ctx, live, service.PostInput{Content: "Late night thoughts", Platforms: []service.Platform{"twitter"}, ScheduledFor: &at})
	require.NoError(t, err)
	noon := time.Date(month.Year(), month.Month(), 14, 12, 0, 0, 0, ny)
	early, err := b.svc.CreatePost(ctx, live, service.PostInput{Content: "Lunch", Platforms: []service.Platform{"twitter"}, ScheduledFor: &noon})
	require.NoError(t, err)
	_, err = b.svc.CreatePost(ctx, live, service.PostInput{Content: "A draft is on no day", Platforms: []service.Platform{"twitter"}})
	require.NoError(t, err)
	param := at.Format("2006-01")
	the14th := time.Date(at.Year(), at.Month(), 14, 0, 0, 0, 0, time.UTC)
	the15th := the14th.AddDate(0, 0, 1)

	b.setZone(t, c, "America/New_York")
	resp, body := b.get(t, c, Prefix+"/posts/calendar?month="+param)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "<h1>"+at.Format("January 2006")+"</h1>")
	require.Equal(t, []string{early.ID, late.ID}, calendarPosts(dayCell(body, the14th)), "in the day's order")
	require.Empty(t, calendarPosts(dayCell(body, the15th)))
	require.Contains(t, dayCell(body, the14th), `<time datetime="`+at.UTC().Format(time.RFC3339)+`">23:30</time> Late night thoughts</a>`)
	require.Contains(t, dayCell(body, the15th), "no-posts", "a phone does not list it")
	require.Len(t, calendarPosts(body), 2)

	// A browser in UTC sees it on the 15th.
	b.setZone(t, c, "UTC")
	_, body = b.get(t, c, Prefix+"/posts/calendar?month="+param)
	require.Equal(t, []string{early.ID}, calendarPosts(dayCell(body, the14th)))
	require.Equal(t, []string{late.ID}, calendarPosts(dayCell(body, the15th)))

	// Test mode's calendar shows no live post.
	_, body = b.get(t, c, TestPrefix+"/posts/calendar?month="+param)
	require.Empty(t, calendarPosts(body))
	require.NotContains(t, body, "Late night thoughts")
}

func TestCalendarIsAMonthOfWeeksFromMonday(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{})
	_, c := b.user(t, "owner@example.com")
	b.setZone(t, c, "Asia/Tokyo")
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	require.NoError(t, err)

	// December 2026 starts on a Tuesday and ends on a Thursday: the grid runs from
	// Monday 30 November to Sunday 3 January.
	resp, body := b.get(t, c, Prefix+"/posts/calendar?month=2026-12")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	dates := regexp.MustCompile(`data-date="([0-9-]+)"`).FindAllStringSubmatch(body, -1)
	require.Len(t, dates, 35)
	require.Equal(t, "2026-11-30", dates[0][1])
	require.Equal(t, "2027-01-03", dates[34][1])
	require.Contains(t, dayCell(body, time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)), `class="day outside no-posts"`)
	require.Contains(t, dayCell(body, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)), `class="day no-posts"`)
	require.Less(t, strings.Index(body, `<div class="weekday" aria-hidden="true">Mon</div>`), strings.Index(body, `<div class="weekday" aria-hidden="true">Sun</div>`))
	require.Contains(t, body, `<a id="prev-month" class="btn" href="`+Prefix+`/posts/calendar?month=2026-11">`)
	require.Contains(t, body, `<a id="next-month" class="btn" href="`+Prefix+`/posts/calendar?month=2027-01">`)

	// Without a month, this month, with today marked in the browser's zone.
	_, body = b.get(t, c, Prefix+"/posts/calendar")
	today := b.clock.Now().In(tokyo)
	require.Contains(t, body, "<h1>"+today.Format("January 2006")+"</h1>")
	marked := regexp.MustCompile(`data-date="([0-9-]+)" aria-current="date"`).FindAllStringSubmatch(body, -1)
	require.Len(t, marked, 1)
	require.Equal(t, today.Format(time.DateOnly), marked[0][1])

	for _, bad := range []string{"2026-13", "December", "1969-12", "2026-12-01"} {
		resp, _ = b.get(t, c, Prefix+"/posts/calendar?month="+bad)
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, bad)
	}
}

func TestCalendarReadsAtMostItsBound(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{})
	u, c := b.user(t, "owner@example.com")
	ctx := context.Background()
	test := service.Scope{UserID: u.ID, Mode: service.ModeTest}

	at := b.clock.Now().Add(24 * time.Hour)
	oldest, err := b.svc.CreatePost(ctx, test, service.PostInput{Content: "Made first", Platforms: []service.Platform{"twitter"}, ScheduledFor: &at})
	require.NoError(t, err)
	param := at.Format("2006-01")
	_, body := b.get(t, c, TestPrefix+"/posts/calendar?month="+param)
	require.Equal(t, []string{oldest.ID}, calendarPosts(body))
	require.NotContains(t, body, `class="warning"`)

	// calendarMaxPosts newer posts: the month's view reads those and says it stopped.
	for i := range calendarMaxPosts {
		_, err := b.svc.CreatePost(ctx, test, service.PostInput{Content: fmt.Sprintf("Draft %d", i), Platforms: []service.Platform{"twitter"}})
		require.NoError(t, err)
	}
	_, body = b.get(t, c, TestPrefix+"/posts/calendar?month="+param)
	require.Empty(t, calendarPosts(body))
	require.Contains(t, body, fmt.Sprintf(`<p class="warning" role="status">This month shows what the %d newest posts created before its end hold`, calendarMaxPosts))
}

func TestPostsCreatedBeforeStartsTheListingThere(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{})
	u, _ := b.user(t, "owner@example.com")
	ctx := context.Background()
	live := service.Scope{UserID: u.ID, Mode: service.ModeLive}
	before := time.Now().Add(-time.Second)
	p, err := b.svc.CreatePost(ctx, live, service.PostInput{Content: "Now", Platforms: []service.Platform{"twitter"}})
	require.NoError(t, err)

	// Ids carry their creation time: a post made now is after a second ago, and before
	// a second from now.
	list, err := b.svc.ListPosts(ctx, live, nil, nil, 0, service.PostsCreatedBefore(before))
	require.NoError(t, err)
	require.Empty(t, list.Posts)
	list, err = b.svc.ListPosts(ctx, live, nil, nil, 0, service.PostsCreatedBefore(time.Now().Add(time.Second)))
	require.NoError(t, err)
	require.Len(t, list.Posts, 1)
	require.Equal(t, p.ID, list.Posts[0].ID)
}
