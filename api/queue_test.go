package api_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service"
)

// workedExampleBody is the example: 9 AM to 8 PM in New York, every 4 hours.
const workedExampleBody = `{"timezone": "America/New_York", "interval_minutes": 240, "active_hours": {
	"monday": [{"start": "09:00", "end": "20:00"}], "tuesday": [{"start": "09:00", "end": "20:00"}],
	"wednesday": [{"start": "09:00", "end": "20:00"}], "thursday": [{"start": "09:00", "end": "20:00"}],
	"friday": [{"start": "09:00", "end": "20:00"}], "saturday": [{"start": "09:00", "end": "20:00"}],
	"sunday": [{"start": "09:00", "end": "20:00"}]}}`

// atFriday8AMInNewYork sets the server's clock to Friday 2026-04-03, 08:00 EDT.
func (b *testBundle) atFriday8AMInNewYork() {
	b.clock.mu.Lock()
	defer b.clock.mu.Unlock()
	b.clock.now = time.Date(2026, 4, 3, 12, 0, 0, 0, time.UTC)
}

func TestQueueSettingsDefaultsAndPut(t *testing.T) {
	t.Parallel()
	b := setup(t)
	key := b.key(t, service.ModeLive)

	r := b.do(t, http.MethodGet, "/v1/queue", key, "")
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.raw)
	require.Equal(t, true, r.body["is_default"])
	require.Equal(t, "UTC", r.body["timezone"])
	require.EqualValues(t, 60, r.body["interval_minutes"])
	require.NotContains(t, r.body, "updated_at")
	hours := r.body["active_hours"].(map[string]any)
	require.Len(t, hours, 7)
	for day, ranges := range hours {
		require.Equal(t, []any{map[string]any{"start": "09:00", "end": "17:00"}}, ranges, day)
	}

	r = b.do(t, http.MethodPut, "/v1/queue", key, `{"timezone": "Europe/Paris", "interval_minutes": 90, "active_hours": {
		"monday": [{"start": "08:00", "end": "12:00"}, {"start": "14:00", "end": "24:00"}], "tuesday": [], "wednesday": [],
		"thursday": [], "friday": [{"start": "00:00", "end": "24:00"}], "saturday": [], "sunday": []}}`)
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.raw)
	require.Equal(t, false, r.body["is_default"])
	require.Contains(t, r.body, "updated_at")
	put := r.body

	r = b.do(t, http.MethodGet, "/v1/queue", key, "")
	require.Equal(t, http.StatusOK, r.status)
	require.Equal(t, put, r.body)
	require.Equal(t, "Europe/Paris", r.body["timezone"])
	require.Equal(t, []any{
		map[string]any{"start": "08:00", "end": "12:00"}, map[string]any{"start": "14:00", "end": "24:00"},
	}, r.body["active_hours"].(map[string]any)["monday"])
	require.Equal(t, []any{}, r.body["active_hours"].(map[string]any)["sunday"])

	// Per mode: the test key's queue still has the defaults.
	r = b.do(t, http.MethodGet, "/v1/queue", b.key(t, service.ModeTest), "")
	require.Equal(t, true, r.body["is_default"])
}

func TestQueueSettingsProblemsAre422sNamingTheField(t *testing.T) {
	t.Parallel()
	b := setup(t)
	key := b.key(t, service.ModeLive)
	week := func(monday string) string {
		return `{"monday": ` + monday + `, "tuesday": [], "wednesday": [], "thursday": [], "friday": [], "saturday": [], "sunday": []}`
	}
	for _, tc := range []struct {
		name, body string
		fields     []string
	}{
		{"UnknownZone", `{"timezone": "Moon/Tranquility", "interval_minutes": 60, "active_hours": ` + week(`[{"start": "09:00", "end": "17:00"}]`) + `}`,
			[]string{"/timezone"}},
		{"EndPastMidnight", `{"timezone": "UTC", "interval_minutes": 60, "active_hours": ` + week(`[{"start": "09:00", "end": "24:30"}]`) + `}`,
			[]string{"/active_hours/monday/0/end"}},
		{"NoRangeAllWeek", `{"timezone": "UTC", "interval_minutes": 60, "active_hours": ` + week(`[]`) + `}`,
			[]string{"/active_hours"}},
		{"IntervalTooShort", `{"timezone": "UTC", "interval_minutes": 4, "active_hours": ` + week(`[{"start": "09:00", "end": "17:00"}]`) + `}`,
			[]string{"/interval_minutes"}},
		{"NotAClock", `{"timezone": "UTC", "interval_minutes": 60, "active_hours": ` + week(`[{"start": "9am", "end": "17:00"}]`) + `}`,
			[]string{"/active_hours/monday/0/start"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			requireFields(t, b.do(t, http.MethodPut, "/v1/queue", key, tc.body), tc.fields...)
		})
	}
	// A day left out is the contract's to refuse.
	r := b.do(t, http.MethodPut, "/v1/queue", key, `{"timezone": "UTC", "interval_minutes": 60, "active_hours": {"monday": []}}`)
	require.Equal(t, http.StatusUnprocessableEntity, r.status, "body: %s", r.raw)
	require.Equal(t, true, b.do(t, http.MethodGet, "/v1/queue", key, "").body["is_default"], "nothing stored")
}

func TestQueueNeedsThePresetsPermissions(t *testing.T) {
	t.Parallel()
	b := setup(t)
	postsOnly := b.key(t, service.ModeLive, "posts:read", "posts:write")
	readOnly := b.key(t, service.ModeLive, "presets:read")

	requireForbidden(t, b.do(t, http.MethodGet, "/v1/queue", postsOnly, ""))
	requireForbidden(t, b.do(t, http.MethodGet, "/v1/queue/slots", postsOnly, ""))
	requireForbidden(t, b.do(t, http.MethodPut, "/v1/queue", readOnly, workedExampleBody))
	require.Equal(t, http.StatusOK, b.do(t, http.MethodGet, "/v1/queue", readOnly, "").status)
	require.Equal(t, http.StatusOK, b.do(t, http.MethodGet, "/v1/queue/slots", readOnly, "").status)
}

func TestQueuedPostsShowTheirPlaceAndTheSlotsPreview(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.atFriday8AMInNewYork()
	key := b.key(t, service.ModeLive)
	require.Equal(t, http.StatusOK, b.do(t, http.MethodPut, "/v1/queue", key, workedExampleBody).status)

	create := func(body string) map[string]any {
		t.Helper()
		r := b.do(t, http.MethodPost, "/v1/posts", key, body)
		require.Equal(t, http.StatusCreated, r.status, "body: %s", r.raw)
		b.clock.Advance(time.Second)
		return r.body
	}
	first := create(`{"content": "first", "platforms": ["bluesky"], "queue_status": "queued"}`)
	require.Equal(t, "queued", first["status"])
	require.Equal(t, map[string]any{"state": "queued", "position": 1.0, "expected_at": "2026-04-03T13:00:00Z"}, first["queue"])
	// The cloud API's spelling.
	pending := create(`{"content": "pending", "platforms": ["bluesky"], "queueStatus": "pending"}`)
	require.Equal(t, map[string]any{"state": "pending", "position": nil, "expected_at": nil}, pending["queue"])
	third := create(`{"content": "third", "platforms": ["bluesky"], "queue_status": "queued", "queueStatus": "queued"}`)
	require.Equal(t, map[string]any{"state": "queued", "position": 2.0, "expected_at": "2026-04-03T17:00:00Z"}, third["queue"])
	draft := create(`{"content": "draft", "platforms": ["bluesky"]}`)
	require.Nil(t, draft["queue"])
	require.Contains(t, draft, "queue", "null, not absent")

	r := b.do(t, http.MethodGet, "/v1/queue/slots?limit=3", key, "")
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.raw)
	require.Equal(t, "America/New_York", r.body["timezone"])
	slots := r.body["data"].([]any)
	require.Len(t, slots, 3)
	for i, want := range []struct {
		at   string
		post any
	}{{"2026-04-03T13:00:00Z", first["id"]}, {"2026-04-03T17:00:00Z", third["id"]}, {"2026-04-03T21:00:00Z", nil}} {
		slot := slots[i].(map[string]any)
		require.Equal(t, want.at, slot["at"], "slot %d", i)
		if want.post == nil {
			require.NotContains(t, slot, "post", "slot %d", i)
			continue
		}
		require.Equal(t, want.post, slot["post"].(map[string]any)["id"], "slot %d", i)
	}
	require.Len(t, b.do(t, http.MethodGet, "/v1/queue/slots", key, "").body["data"], 10, "ten by default")
	requireFields(t, b.do(t, http.MethodGet, "/v1/queue/slots?limit=101", key, ""), "limit")

	// Approval puts the pending post back at its place, before the third.
	r = b.do(t, http.MethodPost, "/v1/posts/"+pending["id"].(string)+"/approve", key, "")
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.raw)
	require.Equal(t, map[string]any{"state": "queued", "position": 2.0, "expected_at": "2026-04-03T17:00:00Z"}, r.body["queue"])
	r = b.do(t, http.MethodGet, "/v1/posts/"+third["id"].(string), key, "")
	require.Equal(t, map[string]any{"state": "queued", "position": 3.0, "expected_at": "2026-04-03T21:00:00Z"}, r.body["queue"])
	// Approving again, or a draft, is a conflict.
	for _, postID := range []any{pending["id"], draft["id"]} {
		r = b.do(t, http.MethodPost, "/v1/posts/"+postID.(string)+"/approve", key, "")
		require.Equal(t, http.StatusConflict, r.status, "body: %s", r.raw)
	}

	// Listed by status, with their places.
	r = b.do(t, http.MethodGet, "/v1/posts?status=queued", key, "")
	require.Equal(t, http.StatusOK, r.status)
	require.Len(t, r.body["posts"], 3)

	// Unapproved through an update (the alias too), it frees its place.
	r = b.do(t, http.MethodPut, "/v1/posts/"+first["id"].(string), key, `{"queueStatus": "pending"}`)
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.raw)
	require.Equal(t, map[string]any{"state": "pending", "position": nil, "expected_at": nil}, r.body["queue"])
	r = b.do(t, http.MethodGet, "/v1/posts/"+pending["id"].(string), key, "")
	require.Equal(t, 1.0, r.body["queue"].(map[string]any)["position"])

	// A time takes a post out of the queue.
	at := b.clock.Now().Add(48 * time.Hour).Format(time.RFC3339)
	r = b.do(t, http.MethodPut, "/v1/posts/"+third["id"].(string), key, `{"scheduled_for": "`+at+`"}`)
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.raw)
	require.Equal(t, "scheduled", r.body["status"])
	require.Nil(t, r.body["queue"])
}

func TestQueueStatusConflicts(t *testing.T) {
	t.Parallel()
	b := setup(t)
	key := b.key(t, service.ModeLive)
	at := b.clock.Now().Add(time.Hour).Format(time.RFC3339)

	requireFields(t, b.do(t, http.MethodPost, "/v1/posts", key,
		`{"content": "x", "platforms": ["bluesky"], "queue_status": "queued", "queueStatus": "pending"}`), "/queueStatus")
	requireFields(t, b.do(t, http.MethodPost, "/v1/posts", key,
		`{"content": "x", "platforms": ["bluesky"], "queue_status": "queued", "scheduled_for": "`+at+`"}`), "/queue_status")
	// The problem names the field the caller sent.
	requireFields(t, b.do(t, http.MethodPost, "/v1/posts", key,
		`{"content": "x", "platforms": ["bluesky"], "queueStatus": "queued", "scheduled_for": "`+at+`"}`), "/queueStatus")
	requireFields(t, b.do(t, http.MethodPost, "/v1/posts", key,
		`{"content": "x", "platforms": ["bluesky"], "queue_status": "later"}`), "/queue_status")

	r := b.do(t, http.MethodPost, "/v1/posts", key, `{"content": "x", "platforms": ["bluesky"]}`)
	require.Equal(t, http.StatusCreated, r.status)
	postID := r.body["id"].(string)
	requireFields(t, b.do(t, http.MethodPut, "/v1/posts/"+postID, key,
		`{"queue_status": "queued", "scheduled_for": "`+at+`"}`), "/queue_status")
	requireFields(t, b.do(t, http.MethodPut, "/v1/posts/"+postID, key,
		`{"queue_status": "pending", "queueStatus": "queued"}`), "/queueStatus")
}
