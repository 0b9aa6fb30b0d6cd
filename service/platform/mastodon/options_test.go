package mastodon

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service/platform"
)

func TestOptions(t *testing.T) {
	t.Parallel()
	post := platform.Post{Text: "Episode 4"}
	for name, c := range map[string]struct {
		raw  string
		want []platform.OptionProblem
	}{
		"none":             {`null`, nil},
		"empty":            {`{}`, nil},
		"both":             {`{"visibility": "direct", "spoiler_text": "Spoilers"}`, nil},
		"longest warning":  {`{"spoiler_text": "` + strings.Repeat("é", 500) + `"}`, nil},
		"unknown field":    {`{"visibility": "public", "sensitive": true}`, []platform.OptionProblem{{Message: "must be an object with visibility and spoiler_text"}}},
		"not an object":    {`"public"`, []platform.OptionProblem{{Message: "must be an object with visibility and spoiler_text"}}},
		"wrong visibility": {`{"visibility": "followers"}`, []platform.OptionProblem{{Path: "/visibility", Message: "must be one of public, unlisted, private, direct"}}},
		"long warning": {`{"visibility": "secret", "spoiler_text": "` + strings.Repeat("é", 501) + `"}`, []platform.OptionProblem{
			{Path: "/visibility", Message: "must be one of public, unlisted, private, direct"},
			{Path: "/spoiler_text", Message: "must be at most 500 characters"},
		}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, c.want, Spec.Options(json.RawMessage(c.raw), post))
		})
	}
}

func TestPublishWithOptions(t *testing.T) {
	t.Parallel()
	b := setup(t)
	opts := json.RawMessage(`{"visibility": "unlisted", "spoiler_text": "Episode 4 spoilers"}`)

	root, _, err := b.adapter.Publish(context.Background(), b.creds, platform.Post{Text: "1/2", IdempotencyKey: "o:0", Options: opts})
	require.NoError(t, err)
	_, _, err = b.adapter.Publish(context.Background(), b.creds, platform.Post{
		Text: "2/2", ReplyTo: &root, Root: &root, IdempotencyKey: "o:1", Options: opts,
	})
	require.NoError(t, err)

	statuses := b.fake.Statuses()
	require.Len(t, statuses, 2)
	for _, st := range statuses {
		require.Equal(t, "unlisted", st.Visibility, "every status of the thread")
		require.Equal(t, "Episode 4 spoilers", st.SpoilerText)
	}

	// Only the visibility: no content warning is sent.
	_, _, err = b.adapter.Publish(context.Background(), b.creds, platform.Post{Text: "quiet", IdempotencyKey: "o:2", Options: json.RawMessage(`{"visibility": "private"}`)})
	require.NoError(t, err)
	last := b.fake.Statuses()[2]
	require.Equal(t, "private", last.Visibility)
	require.Empty(t, last.SpoilerText)
}

func TestPublishOptionsTheInstanceRefuses(t *testing.T) {
	t.Parallel()
	b := setup(t)

	// A visibility Spec.Options would have refused reaches the instance, which refuses it.
	_, _, err := b.adapter.Publish(context.Background(), b.creds, platform.Post{Text: "hi", IdempotencyKey: "r:0", Options: json.RawMessage(`{"visibility": "secret"}`)})
	pe := requireKind(t, err, platform.Permanent, http.StatusUnprocessableEntity)
	require.Equal(t, "'secret' is not a valid visibility", pe.Message)

	// The content warning counts toward the instance's limit with the text.
	_, _, err = b.adapter.Publish(context.Background(), b.creds, platform.Post{
		Text: strings.Repeat("a", 450), IdempotencyKey: "r:1", Options: json.RawMessage(`{"spoiler_text": "` + strings.Repeat("w", 51) + `"}`),
	})
	pe = requireKind(t, err, platform.Permanent, http.StatusUnprocessableEntity)
	require.Equal(t, "Validation failed: Text character limit of 500 exceeded", pe.Message)
	require.Empty(t, b.fake.Statuses())

	// Options that are not Mastodon's are refused before any call.
	calls := b.fake.Calls("/api/v1/statuses")
	_, _, err = b.adapter.Publish(context.Background(), b.creds, platform.Post{Text: "hi", IdempotencyKey: "r:2", Options: json.RawMessage(`{"privacy_level": "SELF_ONLY"}`)})
	requireKind(t, err, platform.Permanent, 0)
	require.Equal(t, calls, b.fake.Calls("/api/v1/statuses"))
}
