package dashboard

// The calendar: a month of scheduled and published posts, in the browser's time zone.
//
// Design:
//
//   - A post is placed on the day of its publication (published_at) or, before that,
//     of its schedule (scheduled_for), as the browser's zone sees it: a post scheduled for
//     03:30 UTC on the 8th is on the 7th in New York. The month itself is the browser's
//     month, from its first midnight to the next month's.
//   - The month is read through the service's post listing, newest first, starting at
//     the posts created before the month's end (PostsCreatedBefore): nothing created
//     later can be scheduled or published within it. A post created long before the
//     month can still be published in it (a draft published later), so there is no
//     earlier bound by creation; instead the work is bounded: at most calendarMaxPosts
//     posts are read, and the page says so when it stopped there.
//   - Weeks start on Monday. On a phone the grid becomes a list of the days that have
//     posts (style.css): days without posts are marked no-posts.

import (
	"net/http"
	"slices"
	"time"

	"github.com/octopost/octopost/service"
)

func init() { sections = append(sections, (*Dashboard).routesCalendar) }

func (d *Dashboard) routesCalendar() {
	d.page("GET /posts/calendar", d.calendar)
}

const (
	// calendarMaxPosts bounds the posts one month's view reads.
	calendarMaxPosts = 500
	// calendarPage is how many posts each read of the listing asks for: its maximum.
	calendarPage = 100
	// monthLayout is the month parameter's form, as <input type="month"> sends it.
	monthLayout = "2006-01"
)

// calendarDay is one cell of the grid.
type calendarDay struct {
	Date    time.Time // midnight, in the browser's zone
	Outside bool      // a day of the previous or next month, filling the first or last week
	Today   bool
	Posts   []calendarPost
}

// calendarPost is a post on its day.
type calendarPost struct {
	ID      string
	At      time.Time
	Status  service.PostStatus
	Excerpt string
}

// calendarData is what the calendar page shows.
type calendarData struct {
	Month     time.Time // the first day, at midnight in the browser's zone
	Prev      string    // the previous month, as the month parameter
	Next      string
	ThisMonth string
	Weekdays  []string
	Days      []calendarDay
	Count     int // posts placed
	// Cut is true when the month's posts were not all read: the view shows what the
	// calendarMaxPosts newest posts created before the month's end hold.
	Cut bool
	Max int
}

func (d *Dashboard) calendar(w http.ResponseWriter, r *request) error {
	now := d.svc.Now().In(r.TZ)
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, r.TZ)
	if v := r.URL.Query().Get("month"); v != "" {
		m, err := time.ParseInLocation(monthLayout, v, r.TZ)
		if err != nil || m.Year() < 1970 {
			var p service.Problems
			p.Add("month", "must be a month as YYYY-MM, such as %s", now.Format(monthLayout))
			return p.Err()
		}
		month = m
	}
	end := month.AddDate(0, 1, 0)
	data := calendarData{
		Month: month, Prev: month.AddDate(0, -1, 0).Format(monthLayout), Next: end.Format(monthLayout),
		ThisMonth: now.Format(monthLayout),
		Weekdays:  []string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"},
		Max:       calendarMaxPosts,
	}

	// The grid: from the Monday on or before the 1st to the Sunday on or after the last day.
	first := month.AddDate(0, 0, -((int(month.Weekday()) + 6) % 7))
	last := end.AddDate(0, 0, -1)
	last = last.AddDate(0, 0, (7-int(last.Weekday()))%7)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, r.TZ)
	index := map[string]int{}
	for day := first; !day.After(last); day = day.AddDate(0, 0, 1) {
		index[day.Format(time.DateOnly)] = len(data.Days)
		data.Days = append(data.Days, calendarDay{Date: day, Outside: day.Month() != month.Month(), Today: day.Equal(today)})
	}

	posts, cut, err := d.monthPosts(r, month, end)
	if err != nil {
		return err
	}
	data.Cut = cut
	for _, p := range posts {
		at := *calendarTime(p)
		i, ok := index[at.In(r.TZ).Format(time.DateOnly)]
		if !ok {
			continue // monthPosts keeps the month's posts only
		}
		data.Days[i].Posts = append(data.Days[i].Posts, calendarPost{
			ID: p.ID, At: at, Status: p.Status, Excerpt: excerpt(p.Content, 60),
		})
		data.Count++
	}
	for i := range data.Days {
		slices.SortStableFunc(data.Days[i].Posts, func(a, b calendarPost) int { return a.At.Compare(b.At) })
	}
	return d.render(w, r, 0, "calendar", page{Title: month.Format("January 2006"), Nav: "calendar", Data: data})
}

// calendarTime is when p is on the calendar: when it was published, else when it is
// scheduled for; nil for a post that has neither (a draft).
func calendarTime(p service.Post) *time.Time {
	if p.PublishedAt != nil {
		return p.PublishedAt
	}
	return p.ScheduledFor
}

// monthPosts returns the scope's posts on the calendar within [start, end), reading at
// most calendarMaxPosts; cut is true when there were more to read.
func (d *Dashboard) monthPosts(r *request, start, end time.Time) (posts []service.Post, cut bool, err error) {
	cursor := service.PostsCreatedBefore(end)
	for read := 0; ; {
		list, err := d.svc.ListPosts(r.Context(), r.Scope, nil, nil, min(calendarPage, calendarMaxPosts-read), cursor)
		if err != nil {
			return nil, false, err
		}
		for _, p := range list.Posts {
			if at := calendarTime(p); at != nil && !at.Before(start) && at.Before(end) {
				posts = append(posts, p)
			}
		}
		read += len(list.Posts)
		switch {
		case !list.HasMore:
			return posts, false, nil
		case read >= calendarMaxPosts:
			return posts, true, nil
		}
		cursor = list.NextCursor
	}
}
