package fake_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service/platform/fake"
)

func TestInstagramContainerRules(t *testing.T) {
	t.Parallel()
	f := fake.NewInstagram(t)
	token := f.IssueToken()
	media := "/v21.0/" + f.User.ID + "/media"
	create := func(params url.Values) (int, map[string]any) {
		params.Set("access_token", token)
		return graphCall(t, f.URL, http.MethodPost, media, params)
	}

	// Instagram's refusals at creation: a single VIDEO (videos are reels), a story with a
	// caption, a carousel item with one, a carousel of one or of eleven.
	for name, params := range map[string]url.Values{
		"single video":        {"media_type": {"VIDEO"}, "video_url": {"https://v.example/v.mp4"}},
		"story with caption":  {"media_type": {"STORIES"}, "image_url": {"https://i.example/a.jpg"}, "caption": {"hi"}},
		"item with caption":   {"image_url": {"https://i.example/a.jpg"}, "is_carousel_item": {"true"}, "caption": {"hi"}},
		"reel without video":  {"media_type": {"REELS"}, "image_url": {"https://i.example/a.jpg"}},
		"carousel of one":     {"media_type": {"CAROUSEL"}, "children": {"1"}},
		"not a URL":           {"image_url": {"a.jpg"}},
		"too many hashtags":   {"image_url": {"https://i.example/a.jpg"}, "caption": {strings.Repeat("#x ", 31)}},
		"nothing to post":     {"caption": {"words alone"}},
		"image and video url": {"image_url": {"https://i.example/a.jpg"}, "video_url": {"https://v.example/v.mp4"}},
	} {
		status, body := create(params)
		require.Equal(t, http.StatusBadRequest, status, name)
		require.EqualValues(t, 100, graphCode(t, body), name)
	}

	// Eleven finished items are one too many for a carousel.
	var children []string
	for range 11 {
		_, body := create(url.Values{"image_url": {"https://i.example/a.jpg"}, "is_carousel_item": {"true"}})
		id := body["id"].(string)
		_, st := graphCall(t, f.URL, http.MethodGet, "/v21.0/"+id, url.Values{"access_token": {token}, "fields": {"status_code"}})
		require.Equal(t, "FINISHED", st["status_code"])
		children = append(children, id)
	}
	status, _ := create(url.Values{"media_type": {"CAROUSEL"}, "children": {strings.Join(children, ",")}})
	require.Equal(t, http.StatusBadRequest, status)
	status, body := create(url.Values{"media_type": {"CAROUSEL"}, "children": {strings.Join(children[:10], ",")}, "caption": {"ten"}})
	require.Equal(t, http.StatusOK, status)

	// A carousel item cannot be published alone; the carousel can, once.
	publish := "/v21.0/" + f.User.ID + "/media_publish"
	status, _ = graphCall(t, f.URL, http.MethodPost, publish, url.Values{"access_token": {token}, "creation_id": {children[0]}})
	require.Equal(t, http.StatusBadRequest, status)
	status, _ = graphCall(t, f.URL, http.MethodPost, publish, url.Values{"access_token": {token}, "creation_id": {body["id"].(string)}})
	require.Equal(t, http.StatusOK, status)
	status, _ = graphCall(t, f.URL, http.MethodPost, publish, url.Values{"access_token": {token}, "creation_id": {body["id"].(string)}})
	require.Equal(t, http.StatusBadRequest, status)
	require.Len(t, f.Media(), 1)
	require.Len(t, f.Media()[0].Items, 10)
}
