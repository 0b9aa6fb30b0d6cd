package dashboard

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/slots"
)

// queueInputValue returns the value attribute of the input with id in body.
func queueInputValue(t *testing.T, body, id string) string {
	t.Helper()
	in := element(body, "input", `id="`+id+`"`)
	require.NotEmpty(t, in, "no input #%s", id)
	m := regexp.MustCompile(` value="([^"]*)"`).FindStringSubmatch(in[:strings.IndexByte(in, '>')])
	require.NotNil(t, m, in)
	return m[1]
}

var slotPosts = regexp.MustCompile(`<tr data-slot="(\d+)"(?: data-slot-post="(post_[0-9A-Z]{26})")?>`)

// plannedPosts returns the queue page's slots, each the id of the post expected to take
// it or "" for a free one.
func plannedPosts(body string) []string {
	var out []string
	for _, m := range slotPosts.FindAllStringSubmatch(body, -1) {
		out = append(out, m[2])
	}
	return out
}

// everyDay is a week with the same ranges each day.
func everyDay(ranges ...service.ClockRange) [7][]service.ClockRange {
	var w [7][]service.ClockRange
	for i := range w {
		w[i] = ranges
	}
	return w
}

func TestQueueSettingsAreSavedAndShownPerMode(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{})
	u, c := b.user(t, "owner@example.com")
	ctx := context.Background()
	live := service.Scope{UserID: u.ID, Mode: service.ModeLive}
	test := service.Scope{UserID: u.ID, Mode: service.ModeTest}

	// Never set: the defaults, said plainly, in the form.
	resp, body := b.get(t, c, Prefix+"/queue")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, `<a id="nav-queue" href="`+Prefix+`/queue" aria-current="page">Queue</a>`)
	require.Contains(t, element(body, "p", `id="queue-defaults"`), "the defaults are in force: every day 09:00–17:00, every 60 minutes, in UTC.")
	require.Equal(t, "UTC", queueInputValue(t, body, "timezone"))
	require.Equal(t, "60", queueInputValue(t, body, "interval_minutes"))
	for _, day := range []string{"monday", "sunday"} {
		require.Equal(t, "09:00", queueInputValue(t, body, day+"-0-start"))
		require.Equal(t, "17:00", queueInputValue(t, body, day+"-0-end"))
		require.Equal(t, "", queueInputValue(t, body, day+"-1-start"), "a spare row to add a range")
	}
	require.Contains(t, body, `<label for="monday-1-end">to</label>`)

	// Saved whole: a row left empty is no range, and a day may have none.
	resp, _ = b.post(t, c, Prefix+"/queue", url.Values{
		"timezone":       {"America/New_York"},
		"monday-0-start": {"09:00"}, "monday-0-end": {"12:00"},
		"monday-1-start": {""}, "monday-1-end": {""},
		"monday-2-start": {"13:00"}, "monday-2-end": {"24:00"},
		"tuesday-0-start": {" 09:00 "}, "tuesday-0-end": {"20:00"},
		"interval_minutes": {"240"},
	})
	requireRedirect(t, resp, Prefix+"/queue")
	q, err := b.svc.QueueSettings(ctx, live)
	require.NoError(t, err)
	require.Equal(t, "America/New_York", q.Timezone)
	require.Equal(t, 240, q.IntervalMinutes)
	require.NotNil(t, q.UpdatedAt)
	var want slots.Week
	want[time.Monday] = []slots.Range{{Start: 9 * 60, End: 12 * 60}, {Start: 13 * 60, End: 24 * 60}}
	want[time.Tuesday] = []slots.Range{{Start: 9 * 60, End: 20 * 60}}
	for wd := range want {
		require.Equal(t, len(want[wd]), len(q.Week[wd]), time.Weekday(wd).String())
		for i := range want[wd] {
			require.Equal(t, want[wd][i], q.Week[wd][i])
		}
	}

	_, body = b.get(t, c, Prefix+"/queue")
	require.Contains(t, body, "Queue settings saved.")
	require.NotContains(t, body, `id="queue-defaults"`)
	require.Contains(t, element(body, "p", `id="queue-saved"`),
		": Monday 09:00–12:00 and 13:00–24:00; Tuesday 09:00–20:00; Wednesday none; Thursday none; Friday none; Saturday none; Sunday none, every 240 minutes, in America/New_York.")
	require.Equal(t, "America/New_York", queueInputValue(t, body, "timezone"))
	require.Equal(t, "240", queueInputValue(t, body, "interval_minutes"))
	require.Equal(t, "13:00", queueInputValue(t, body, "monday-1-start"), "the ranges as saved, in order")
	require.Equal(t, "24:00", queueInputValue(t, body, "monday-1-end"))
	require.Equal(t, "", queueInputValue(t, body, "monday-2-start"))
	require.Equal(t, "", queueInputValue(t, body, "wednesday-0-start"))
	require.Equal(t, "", queueInputValue(t, body, "wednesday-1-start"))
	require.NotContains(t, body, `id="wednesday-2-start"`, "an empty day has two rows")

	// Test mode has its own settings: still the defaults.
	_, body = b.get(t, c, TestPrefix+"/queue")
	require.Contains(t, body, `id="queue-defaults"`)
	require.Contains(t, body, "in test mode")
	require.Equal(t, "UTC", queueInputValue(t, body, "timezone"))
	tq, err := b.svc.QueueSettings(ctx, test)
	require.NoError(t, err)
	require.Nil(t, tq.UpdatedAt)

	// And so has another user.
	_, other := b.user(t, "other@example.com")
	_, body = b.get(t, other, Prefix+"/queue")
	require.Contains(t, body, `id="queue-defaults"`)
}

func TestQueueSettingsProblemsAreUnderTheirInputs(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{})
	u, c := b.user(t, "owner@example.com")
	live := service.Scope{UserID: u.ID, Mode: service.ModeLive}

	// requireProblem checks that input shows message, described by its error.
	requireProblem := func(body, input, message string) {
		t.Helper()
		require.Contains(t, body, `<p class="field-error" id="`+input+`-error">`+message, input)
		require.Regexp(t, `aria-describedby="([^"]* )?`+input+`-error"`, body, input)
	}

	for _, tc := range []struct {
		name     string
		form     url.Values
		problems map[string]string // input → the start of its message
		kept     map[string]string // input → the value shown again
	}{{
		name: "unknown zone, a time out of range in the second row, an interval not a number",
		form: url.Values{
			"timezone":       {"Mars/Olympus"},
			"monday-1-start": {"09:00"}, "monday-1-end": {"25:00"},
			"interval_minutes": {"hourly"},
		},
		problems: map[string]string{
			"timezone":         "must be an IANA time zone name",
			"monday-1-end":     "must be a time HH:MM",
			"interval_minutes": "must be a whole number of minutes",
		},
		kept: map[string]string{"timezone": "Mars/Olympus", "monday-1-end": "25:00", "monday-1-start": "09:00", "interval_minutes": "hourly"},
	}, {
		name: "overlapping ranges, an end before its start after empty rows, an interval too short",
		form: url.Values{
			"timezone":       {"Europe/Paris"},
			"monday-0-start": {"09:00"}, "monday-0-end": {"12:00"},
			"monday-3-start": {"11:00"}, "monday-3-end": {"14:00"},
			"tuesday-2-start": {"17:00"}, "tuesday-2-end": {"16:00"},
			"interval_minutes": {"3"},
		},
		problems: map[string]string{
			"monday-3-start":   "must not be before the end of the previous range (12:00)",
			"tuesday-2-end":    "must be after the range&#39;s start (17:00)",
			"interval_minutes": "must be from 5 to 1440 minutes",
		},
		kept: map[string]string{"monday-3-start": "11:00", "tuesday-2-end": "16:00", "interval_minutes": "3"},
	}, {
		name:     "no range in the week",
		form:     url.Values{"timezone": {"UTC"}, "interval_minutes": {"60"}},
		problems: map[string]string{"active_hours": "at least one range in the week"},
	}} {
		resp, body := b.post(t, c, Prefix+"/queue", tc.form)
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, tc.name)
		for input, message := range tc.problems {
			requireProblem(body, input, message)
		}
		require.Equal(t, len(tc.problems), strings.Count(body, `class="field-error"`), tc.name)
		for input, value := range tc.kept {
			require.Equal(t, value, queueInputValue(t, body, input), tc.name)
		}
		require.Contains(t, body, `id="queue-defaults"`, "nothing was saved")
	}
	q, err := b.svc.QueueSettings(context.Background(), live)
	require.NoError(t, err)
	require.Nil(t, q.UpdatedAt)
}

func TestQueuedPostShowsItsPlaceOnItsPageTheListAndThePlan(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{})
	u, c := b.user(t, "owner@example.com")
	ctx := context.Background()
	live := service.Scope{UserID: u.ID, Mode: service.ModeLive}
	settings, err := b.svc.PutQueueSettings(ctx, live, service.QueueSettingsInput{
		Timezone: "America/New_York", ActiveHours: everyDay(service.ClockRange{Start: "09:00", End: "20:00"}), IntervalMinutes: 240,
	})
	require.NoError(t, err)
	sched, err := settings.Schedule()
	require.NoError(t, err)
	paris, err := time.LoadLocation("Europe/Paris")
	require.NoError(t, err)
	b.setZone(t, c, "Europe/Paris")

	// The form offers the queue beside the other intents.
	_, body := b.get(t, c, Prefix+"/posts/new")
	form := element(body, "form", `id="post-form"`)
	require.Contains(t, form, `<button id="add-to-queue" type="submit" name="action" value="queue" class="btn">Add to queue</button>`)
	require.Contains(t, form, `<button id="add-for-approval" type="submit" name="action" value="pending" class="btn">Add for approval</button>`)

	var posts []service.Post
	for _, content := range []string{"First in line", "Second in line"} {
		resp, _ := b.post(t, c, Prefix+"/posts", url.Values{
			"content": {content}, "platforms": {"mastodon"}, "action": {"queue"}, "scheduled_at": {""},
		})
		posts = append(posts, postFrom(t, b, resp, Prefix, live))
	}
	slotTimes := sched.Next(b.clock.Now(), 10)
	require.Len(t, slotTimes, 10)
	for i, p := range posts {
		require.Equal(t, service.PostQueued, p.Status)
		require.Equal(t, service.QueueQueued, p.Queue)
		require.Equal(t, i+1, p.QueuePlace.Position)
		require.True(t, slotTimes[i].Equal(*p.QueuePlace.ExpectedAt))
	}

	// Its page: the notice, its place and expected time in the browser's zone; it may be
	// published now, and needs no approval.
	_, page := b.get(t, c, Prefix+"/posts/"+posts[1].ID)
	require.Contains(t, page, "Added to the queue: number 2 in the queue, expected "+slotTimes[1].In(paris).Format("Monday 2 January 2006, 15:04 MST")+".")
	require.Contains(t, page, `<span id="post-status" class="badge badge-queued">queued</span>`)
	require.Contains(t, page, `<span id="queue-position">number 2</span>`)
	require.Contains(t, element(page, "dd", `id="queue-expected"`), string(when(paris, slotTimes[1])))
	require.Contains(t, page, `<form method="post" action="`+Prefix+`/posts/`+posts[1].ID+`/publish"`)
	require.NotContains(t, page, `id="approve"`)

	// The list, filtered by status queued, with the expected time in its When column.
	_, list := b.get(t, c, Prefix+"/posts?status=queued")
	require.Equal(t, []string{posts[1].ID, posts[0].ID}, listedPosts(list))
	require.Contains(t, list, `<option value="queued" selected>queued</option>`)
	row := element(list, "tr", `data-post-id="`+posts[0].ID+`"`)
	require.Contains(t, row, `<span class="badge badge-queued">queued</span>`)
	require.Contains(t, row, "number 1 in the queue, expected "+string(when(paris, slotTimes[0])))

	// The plan: the next 10 slots, each post in its slot, in both zones.
	resp, plan := b.get(t, c, Prefix+"/queue")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, []string{posts[0].ID, posts[1].ID, "", "", "", "", "", "", "", ""}, plannedPosts(plan))
	require.Contains(t, plan, `<th scope="col">Your time (Europe/Paris)</th><th scope="col">The queue's time (America/New_York)</th>`)
	ny := sched.Location
	for i, at := range slotTimes {
		slot := element(plan, "tr", `data-slot="`+strconv.Itoa(i+1)+`"`)
		require.Contains(t, slot, "<td>"+string(when(paris, at))+"</td>")
		require.Contains(t, slot, `<td class="queue-zone">`+string(when(ny, at))+"</td>")
	}
	require.Contains(t, element(plan, "tr", `data-slot="1"`), "First in line")

	// A browser in the queue's zone sees one column.
	b.setZone(t, c, "America/New_York")
	_, plan = b.get(t, c, Prefix+"/queue")
	require.NotContains(t, plan, "queue-zone")
	require.Contains(t, element(plan, "tr", `data-slot="2"`), "<td>"+string(when(ny, slotTimes[1]))+"</td>")

	// Test mode shows none of it, and has its own plan.
	_, plan = b.get(t, c, TestPrefix+"/queue")
	require.Equal(t, make([]string, 10), plannedPosts(plan))
	_, list = b.get(t, c, TestPrefix+"/posts?status=queued")
	require.Empty(t, listedPosts(list))
}

func TestPendingPostIsApprovedFromItsPage(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{})
	u, c := b.user(t, "owner@example.com")
	test := service.Scope{UserID: u.ID, Mode: service.ModeTest}

	resp, _ := b.post(t, c, TestPrefix+"/posts", url.Values{"content": {"Needs a second look"}, "platforms": {"bluesky"}, "action": {"pending"}})
	pending := postFrom(t, b, resp, TestPrefix, test)
	require.Equal(t, service.QueuePending, pending.Queue)
	_, page := b.get(t, c, TestPrefix+"/posts/"+pending.ID)
	require.Contains(t, page, "Added to the queue, waiting for approval.")
	b.clock.Advance(time.Minute)
	resp, _ = b.post(t, c, TestPrefix+"/posts", url.Values{"content": {"Good to go"}, "platforms": {"bluesky"}, "action": {"queue"}})
	queued := postFrom(t, b, resp, TestPrefix, test)
	require.Equal(t, 1, queued.QueuePlace.Position, "a pending post holds no slot")

	_, page = b.get(t, c, TestPrefix+"/posts/"+pending.ID)
	require.Contains(t, element(page, "dd", `id="queue-state"`), "waiting for approval")
	require.NotContains(t, page, `id="queue-position"`)
	require.Contains(t, page, `<form method="post" action="`+TestPrefix+`/posts/`+pending.ID+`/approve" class="inline">`)
	require.Contains(t, page, `<button id="approve" type="submit" class="btn btn-primary">Approve</button>`)
	_, list := b.get(t, c, TestPrefix+"/posts?status=queued")
	require.Contains(t, element(list, "tr", `data-post-id="`+pending.ID+`"`), "waiting for approval")

	// Another user cannot see or approve it; nor can the live mode.
	_, other := b.user(t, "other@example.com")
	resp, _ = b.post(t, other, TestPrefix+"/posts/"+pending.ID+"/approve", nil)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, _ = b.get(t, other, TestPrefix+"/posts/"+pending.ID)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, _ = b.post(t, c, Prefix+"/posts/"+pending.ID+"/approve", nil)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)

	// Approved, it takes its original place: before the post queued after it.
	resp, _ = b.post(t, c, TestPrefix+"/posts/"+pending.ID+"/approve", nil)
	requireRedirect(t, resp, TestPrefix+"/posts/"+pending.ID)
	_, page = b.get(t, c, TestPrefix+"/posts/"+pending.ID)
	require.Contains(t, page, "Approved: number 1 in the queue, expected ")
	require.Contains(t, page, `<span id="queue-position">number 1</span>`)
	require.NotContains(t, page, `id="approve"`)
	_, page = b.get(t, c, TestPrefix+"/posts/"+queued.ID)
	require.Contains(t, page, `<span id="queue-position">number 2</span>`)
	_, plan := b.get(t, c, TestPrefix+"/queue")
	require.Equal(t, []string{pending.ID, queued.ID}, plannedPosts(plan)[:2])

	// Approving twice is a conflict.
	resp, _ = b.post(t, c, TestPrefix+"/posts/"+pending.ID+"/approve", nil)
	require.Equal(t, http.StatusConflict, resp.StatusCode)
}

func TestQueuedPostIsPublishedNowFromItsPage(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{})
	u, c := b.user(t, "owner@example.com")
	test := service.Scope{UserID: u.ID, Mode: service.ModeTest}
	resp, _ := b.post(t, c, TestPrefix+"/accounts", url.Values{"platform": {"mastodon"}})
	requireRedirect(t, resp, TestPrefix+"/accounts")

	resp, _ = b.post(t, c, TestPrefix+"/posts", url.Values{"content": {"Not waiting"}, "platforms": {"mastodon"}, "action": {"queue"}})
	post := postFrom(t, b, resp, TestPrefix, test)
	resp, _ = b.post(t, c, TestPrefix+"/posts/"+post.ID+"/publish", nil)
	requireRedirect(t, resp, TestPrefix+"/posts/"+post.ID)
	got, err := b.svc.GetPost(context.Background(), test, post.ID)
	require.NoError(t, err)
	require.Equal(t, service.PostPublishing, got.Status)
	require.Equal(t, service.QueueNone, got.Queue, "publishing now takes it out of the queue")
	_, plan := b.get(t, c, TestPrefix+"/queue")
	require.Empty(t, strings.Join(plannedPosts(plan), ""))
}
