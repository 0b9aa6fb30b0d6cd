package dashboard

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service"
)

var postIDs = regexp.MustCompile(`<tr data-post-id="(post_[0-9A-Z]{26})"`)

// listedPosts returns the ids of the posts a list page shows, in its order.
func listedPosts(body string) []string {
	var ids []string
	for _, m := range postIDs.FindAllStringSubmatch(body, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

// postFrom returns the post a 303 to its page is about.
func postFrom(t *testing.T, b *bench, resp *http.Response, base string, scope service.Scope) service.Post {
	t.Helper()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	id, ok := strings.CutPrefix(resp.Header.Get("Location"), base+"/posts/")
	require.True(t, ok, resp.Header.Get("Location"))
	p, err := b.svc.GetPost(context.Background(), scope, id)
	require.NoError(t, err)
	return p
}

func TestPublishNowInTestModeShowsEachPlatformsResult(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{runJobs: true})
	u, c := b.user(t, "owner@example.com")
	test := service.Scope{UserID: u.ID, Mode: service.ModeTest}
	for _, p := range []string{"mastodon", "bluesky"} {
		resp, _ := b.post(t, c, TestPrefix+"/accounts", url.Values{"platform": {p}})
		requireRedirect(t, resp, TestPrefix+"/accounts")
	}

	// The form offers the platforms with an account first, with the account's handle.
	resp, body := b.get(t, c, TestPrefix+"/posts/new")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	form := element(body, "form", `id="post-form"`)
	for _, id := range []string{`id="content"`, `id="platform-mastodon"`, `id="platform-bluesky"`, `id="platform-twitter"`,
		`id="preset"`, `id="scheduled_at"`, `id="save-draft"`, `id="schedule"`, `id="publish-now"`,
		`id="add-to-queue"`, `id="add-for-approval"`} {
		require.Contains(t, form, id)
	}
	require.Less(t, strings.Index(form, `id="platform-mastodon"`), strings.Index(form, "Platforms without an account"))
	require.Greater(t, strings.Index(form, `id="platform-twitter"`), strings.Index(form, "Platforms without an account"))

	resp, _ = b.post(t, c, TestPrefix+"/posts", url.Values{
		"content": {"Hello from the dashboard\r\nsecond line"}, "platforms": {"mastodon", "bluesky"},
		"preset_id": {""}, "scheduled_at": {""}, "action": {"publish"},
	})
	post := postFrom(t, b, resp, TestPrefix, test)
	require.Equal(t, "Hello from the dashboard\nsecond line", post.Content, "a textarea's CRLF is stored as LF")
	require.Equal(t, []service.Platform{"mastodon", "bluesky"}, post.Platforms)

	// The page shows each platform's result as the queue publishes it.
	var page string
	require.Eventually(t, func() bool {
		resp, page = b.get(t, c, TestPrefix+"/posts/"+post.ID)
		return resp.StatusCode == http.StatusOK && strings.Contains(page, `<span id="post-status" class="badge badge-published">published</span>`)
	}, 10*time.Second, 20*time.Millisecond)
	published, err := b.svc.GetPost(context.Background(), test, post.ID)
	require.NoError(t, err)
	for _, p := range post.Platforms {
		result := published.PlatformResults[p]
		require.True(t, result.Success, p)
		require.NotEmpty(t, result.PostURL, p)
		row := element(page, "tr", `data-platform="`+string(p)+`"`)
		require.Contains(t, row, `<span class="result-status badge badge-published">published</span>`)
		require.Contains(t, row, `<a class="result-url" href="`+html.EscapeString(result.PostURL)+`"`)
	}
	require.Contains(t, page, "Hello from the dashboard<br>second line")
	require.Empty(t, resp.Header.Get("Refresh"), "a published post's page stays put")

	// The list shows it with its results; the live list does not, and its page is not found there.
	_, list := b.get(t, c, TestPrefix+"/posts")
	require.Equal(t, []string{post.ID}, listedPosts(list))
	row := element(list, "tr", `data-post-id="`+post.ID+`"`)
	require.Contains(t, row, "Hello from the dashboard second line")
	require.Contains(t, row, "Mastodon: published")
	require.Contains(t, row, "Bluesky: published")
	_, list = b.get(t, c, Prefix+"/posts")
	require.Empty(t, listedPosts(list))
	require.NotContains(t, list, "Hello from the dashboard")
	resp, _ = b.get(t, c, Prefix+"/posts/"+post.ID)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
}

func TestPublishNowThatIsRefusedKeepsTheFormAndNoPost(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{})
	u, c := b.user(t, "owner@example.com")
	test := service.Scope{UserID: u.ID, Mode: service.ModeTest}

	// No account on X: publishing is refused, the form comes back as typed, and the post
	// made on the way is gone.
	resp, body := b.post(t, c, TestPrefix+"/posts", url.Values{
		"content": {"Nothing to publish <it> with"}, "platforms": {"twitter"}, "action": {"publish"},
		"scheduled_at": {"2031-05-06T07:08"},
	})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, `<textarea id="content" name="content" required maxlength="10000">Nothing to publish &lt;it&gt; with</textarea>`)
	require.Contains(t, body, `id="platform-twitter" name="platforms" value="twitter" checked`)
	require.Contains(t, body, `value="2031-05-06T07:08"`)
	require.Contains(t, body, `<p class="field-error" id="platforms-error">twitter: no active twitter account is connected</p>`)
	list, err := b.svc.ListPosts(context.Background(), test, nil, nil, 0, "")
	require.NoError(t, err)
	require.Empty(t, list.Posts)
}

func TestNewPostFormChecksWhatTheContractWould(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{})
	u, c := b.user(t, "owner@example.com")

	for _, tc := range []struct {
		name  string
		form  url.Values
		field string
		want  string
	}{
		{"no content", url.Values{"content": {" \r\n "}, "platforms": {"twitter"}, "action": {"draft"}},
			"content", "is required"},
		{"content too long", url.Values{"content": {strings.Repeat("é", 10000+1)}, "platforms": {"twitter"}, "action": {"draft"}},
			"content", "must be at most 10000 characters, not 10001"},
		{"unknown platform", url.Values{"content": {"hi"}, "platforms": {"myspace"}, "action": {"draft"}},
			"platforms", `&#34;myspace&#34; is not a platform`},
		{"no platform, no preset", url.Values{"content": {"hi"}, "action": {"draft"}},
			"platforms", "is required unless preset_id is given"},
		{"unknown preset", url.Values{"content": {"hi"}, "preset_id": {"preset_nope"}, "action": {"draft"}},
			"preset", "no preset with this id"},
		{"schedule without a time", url.Values{"content": {"hi"}, "platforms": {"twitter"}, "action": {"schedule"}},
			"scheduled_at", "is required to schedule: choose a date and time"},
		{"schedule with no date", url.Values{"content": {"hi"}, "platforms": {"twitter"}, "action": {"schedule"}, "scheduled_at": {"soon"}},
			"scheduled_at", "is not a date and time"},
		{"schedule in the past", url.Values{"content": {"hi"}, "platforms": {"twitter"}, "action": {"schedule"}, "scheduled_at": {"2001-01-01T10:00"}},
			"scheduled_at", "must be in the future"},
	} {
		resp, body := b.post(t, c, Prefix+"/posts", tc.form)
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, tc.name)
		require.Contains(t, body, `<p class="field-error" id="`+tc.field+`-error">`+tc.want+`</p>`, tc.name)
		require.Contains(t, body, `aria-describedby="`+tc.field+`-error"`, tc.name)
	}
	for _, mode := range []service.Mode{service.ModeLive, service.ModeTest} {
		list, err := b.svc.ListPosts(context.Background(), service.Scope{UserID: u.ID, Mode: mode}, nil, nil, 0, "")
		require.NoError(t, err)
		require.Empty(t, list.Posts, "nothing was stored")
	}
}

func TestScheduleIsReadInTheBrowsersZone(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{})
	u, c := b.user(t, "owner@example.com")
	b.setZone(t, c, "America/New_York")
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)

	_, body := b.get(t, c, Prefix+"/posts/new")
	require.Contains(t, body, `<label for="scheduled_at">Schedule for <span class="muted">(America/New_York)</span></label>`)

	day := b.clock.Now().In(ny).AddDate(0, 0, 40)
	typed := time.Date(day.Year(), day.Month(), day.Day(), 21, 30, 0, 0, ny)
	resp, _ := b.post(t, c, Prefix+"/posts", url.Values{
		"content": {"Evening post"}, "platforms": {"mastodon"}, "action": {"schedule"},
		"scheduled_at": {typed.Format("2006-01-02T15:04")},
	})
	post := postFrom(t, b, resp, Prefix, service.Scope{UserID: u.ID, Mode: service.ModeLive})
	require.Equal(t, service.PostScheduled, post.Status)
	require.True(t, typed.Equal(*post.ScheduledFor), "stored %s, typed %s", post.ScheduledFor, typed)
	require.NotEqual(t, typed.Day(), post.ScheduledFor.UTC().Day(), "21:30 in New York is the next day in UTC")

	// Both the notice and the page show it in New York time.
	_, page := b.get(t, c, Prefix+"/posts/"+post.ID)
	local := typed.Format("2 Jan 2006, 15:04 MST")
	require.Contains(t, page, "Scheduled for "+typed.Format("Monday 2 January 2006, 15:04 MST")+".")
	require.Contains(t, page, `<time datetime="`+typed.UTC().Format(time.RFC3339)+`">`+local+`</time>`)
	require.Contains(t, page, `<span id="post-status" class="badge badge-scheduled">scheduled</span>`)
}

func TestPostsListFiltersAndPages(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{})
	u, c := b.user(t, "owner@example.com")
	live := service.Scope{UserID: u.ID, Mode: service.ModeLive}
	ctx := context.Background()
	var drafts []string
	for i := range postsPerPage + 3 {
		p, err := b.svc.CreatePost(ctx, live, service.PostInput{Content: fmt.Sprintf("Draft %d", i), Platforms: []service.Platform{"twitter"}})
		require.NoError(t, err)
		drafts = append([]string{p.ID}, drafts...) // newest first
	}
	at := b.clock.Now().Add(48 * time.Hour)
	scheduled, err := b.svc.CreatePost(ctx, live, service.PostInput{Content: "Later", Platforms: []service.Platform{"twitter"}, ScheduledFor: &at})
	require.NoError(t, err)

	_, body := b.get(t, c, Prefix+"/posts")
	first := append([]string{scheduled.ID}, drafts[:postsPerPage-1]...)
	require.Equal(t, first, listedPosts(body))
	next := regexp.MustCompile(`<a id="older" class="btn" href="([^"]+)">`).FindStringSubmatch(body)
	require.NotNil(t, next)
	_, body = b.get(t, c, html.UnescapeString(next[1]))
	require.Equal(t, drafts[postsPerPage-1:], listedPosts(body))
	require.NotContains(t, body, `id="older"`)
	require.Contains(t, body, `<a class="btn" href="`+Prefix+`/posts">Newest</a>`)

	_, body = b.get(t, c, Prefix+"/posts?status=scheduled")
	require.Equal(t, []string{scheduled.ID}, listedPosts(body))
	require.Contains(t, body, `<option value="scheduled" selected>scheduled</option>`)
	row := element(body, "tr", `data-post-id="`+scheduled.ID+`"`)
	require.Contains(t, row, `<span class="badge badge-scheduled">scheduled</span>`)
	require.Contains(t, row, "scheduled "+string(when(time.UTC, at)))

	// The filter is kept across pages.
	_, body = b.get(t, c, Prefix+"/posts?status=draft")
	next = regexp.MustCompile(`<a id="older" class="btn" href="([^"]+)">`).FindStringSubmatch(body)
	require.NotNil(t, next)
	require.Contains(t, html.UnescapeString(next[1]), "status=draft")

	resp, _ := b.get(t, c, Prefix+"/posts?status=lost")
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	resp, _ = b.get(t, c, Prefix+"/posts?cursor=not-a-cursor")
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
}

func TestDraftIsPublishedFromItsPageAndDeletedAfterAConfirmation(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{})
	u, c := b.user(t, "owner@example.com")
	test := service.Scope{UserID: u.ID, Mode: service.ModeTest}

	resp, _ := b.post(t, c, TestPrefix+"/posts", url.Values{"content": {"A draft"}, "platforms": {"slack"}, "action": {"draft"}})
	draft := postFrom(t, b, resp, TestPrefix, test)
	require.Equal(t, service.PostDraft, draft.Status)
	_, page := b.get(t, c, TestPrefix+"/posts/"+draft.ID)
	require.Contains(t, page, "Draft saved.")
	require.Contains(t, page, `<form method="post" action="`+TestPrefix+`/posts/`+draft.ID+`/publish"`)
	require.Contains(t, element(page, "tr", `data-platform="slack"`), "not sent")

	// Without a Slack account, publishing is refused on the post's page, which says why.
	resp, page = b.post(t, c, TestPrefix+"/posts/"+draft.ID+"/publish", nil)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, page, "<li>slack: no active slack account is connected</li>")

	// With one, it goes: the page refreshes itself while the post is publishing.
	resp, _ = b.post(t, c, TestPrefix+"/accounts", url.Values{"platform": {"slack"}})
	requireRedirect(t, resp, TestPrefix+"/accounts")
	resp, _ = b.post(t, c, TestPrefix+"/posts/"+draft.ID+"/publish", nil)
	requireRedirect(t, resp, TestPrefix+"/posts/"+draft.ID)
	resp, page = b.get(t, c, TestPrefix+"/posts/"+draft.ID)
	require.Equal(t, "3", resp.Header.Get("Refresh"))
	require.Contains(t, page, `<span id="post-status" class="badge badge-publishing">publishing</span>`)
	require.Contains(t, element(page, "tr", `data-platform="slack"`), `<span class="result-status badge badge-pending">pending</span>`)
	require.NotContains(t, page, `id="delete"`, "a post being published cannot be deleted")

	// Another user sees none of it.
	_, other := b.user(t, "other@example.com")
	resp, _ = b.get(t, other, TestPrefix+"/posts/"+draft.ID)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, _ = b.get(t, other, TestPrefix+"/posts/"+draft.ID+"/delete")
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, _ = b.post(t, other, TestPrefix+"/posts/"+draft.ID+"/publish", nil)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)

	// A second draft is deleted through the confirmation page.
	resp, _ = b.post(t, c, TestPrefix+"/posts", url.Values{"content": {"Second thoughts"}, "platforms": {"slack"}, "action": {"draft"}})
	second := postFrom(t, b, resp, TestPrefix, test)
	resp, page = b.get(t, c, TestPrefix+"/posts/"+second.ID+"/delete")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, page, "Second thoughts")
	require.Contains(t, page, `<button id="confirm" type="submit" class="btn btn-danger">`)
	resp, _ = b.post(t, other, TestPrefix+"/posts/"+second.ID+"/delete", nil)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, _ = b.post(t, c, TestPrefix+"/posts/"+second.ID+"/delete", nil)
	requireRedirect(t, resp, TestPrefix+"/posts")
	_, err := b.svc.GetPost(context.Background(), test, second.ID)
	require.Error(t, err)
	_, list := b.get(t, c, TestPrefix+"/posts")
	require.Contains(t, list, "Post deleted.")
	require.Equal(t, []string{draft.ID}, listedPosts(list))
}

func TestNewPostFormChoosesTheDefaultPreset(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{})
	u, c := b.user(t, "owner@example.com")
	live := service.Scope{UserID: u.ID, Mode: service.ModeLive}
	preset, err := b.svc.CreatePreset(context.Background(), live, service.PresetInput{
		Name: "Fediverse", Platforms: []service.Platform{"mastodon", "bluesky"}, IsDefault: true,
	})
	require.NoError(t, err)

	_, body := b.get(t, c, Prefix+"/posts/new")
	require.Contains(t, body, `<option value="`+preset.ID+`" selected>Fediverse (default)</option>`)
	_, body = b.get(t, c, TestPrefix+"/posts/new")
	require.NotContains(t, body, "Fediverse", "a live preset is not offered in test mode")

	// No platform checked: the preset's.
	resp, _ := b.post(t, c, Prefix+"/posts", url.Values{"content": {"Toot and skeet"}, "preset_id": {preset.ID}, "action": {"draft"}})
	post := postFrom(t, b, resp, Prefix, live)
	require.Equal(t, []service.Platform{"mastodon", "bluesky"}, post.Platforms)
	require.Equal(t, preset.ID, *post.PresetID)
}

// TestPostPageShowsEachPlatformsOwnContent: a post's per-platform content is on its page,
// each platform with the text and media it will get.
func TestPostPageShowsEachPlatformsOwnContent(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{})
	u, c := b.user(t, "owner@example.com")
	test := service.Scope{UserID: u.ID, Mode: service.ModeTest}
	long := "A longer text\nfor Mastodon"
	p, err := b.svc.CreatePost(context.Background(), test, service.PostInput{
		Content: "Short", Platforms: []service.Platform{"mastodon", "linkedin", "bluesky"},
		PlatformContent: map[service.Platform]service.PlatformContent{
			"mastodon": {Content: &long},
			"linkedin": {Media: &service.Media{}},
		},
	})
	require.NoError(t, err)

	_, page := b.get(t, c, TestPrefix+"/posts/"+p.ID)
	mastodon := element(page, "div", `data-platform-content="mastodon"`)
	require.Contains(t, mastodon, "Mastodon gets its own text and the post's media")
	require.Contains(t, mastodon, `<p class="prewrap">A longer text
for Mastodon</p>`)
	require.Contains(t, element(page, "div", `data-platform-content="linkedin"`), "No media.")
	require.NotContains(t, page, `data-platform-content="bluesky"`, "Bluesky gets the post as written")

	plain, err := b.svc.CreatePost(context.Background(), test, service.PostInput{Content: "Plain", Platforms: []service.Platform{"bluesky"}})
	require.NoError(t, err)
	_, page = b.get(t, c, TestPrefix+"/posts/"+plain.ID)
	require.NotContains(t, page, "platform-content-heading")
}
