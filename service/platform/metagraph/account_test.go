package metagraph

import (
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service/platform"
)

func accountServer(t *testing.T) Containers {
	g := server(t, threadsLike, func(w http.ResponseWriter, r *http.Request) {
		require.Equal(t, "/v9/me", r.URL.Path)
		require.Equal(t, "user_id,username,name,pic", r.URL.Query().Get("fields"))
		switch r.URL.Query().Get("access_token") {
		case "good":
			_, _ = w.Write([]byte(`{"id":"app-scoped","user_id":17841405822304914,"username":"octo","pic":"https://example.com/p.jpg"}`))
		case "no-id":
			_, _ = w.Write([]byte(`{"id":"app-scoped","username":"octo"}`))
		default:
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(graphBody(190, 460, "session invalidated", false)))
		}
	})
	return Containers{Graph: g, Version: "/v9", IDField: "user_id", PictureField: "pic"}
}

func TestConnectReadsTheConfiguredFields(t *testing.T) {
	t.Parallel()
	c := accountServer(t)
	p, creds, err := c.Connect(t.Context(), platform.Credentials{KeyAccessToken: "good", "other": "kept"})
	require.NoError(t, err)
	require.Equal(t, platform.Profile{UserID: "17841405822304914", Username: "octo", DisplayName: "octo", AvatarURL: "https://example.com/p.jpg"}, p)
	require.Equal(t, platform.Credentials{KeyAccessToken: "good", "other": "kept", KeyUserID: "17841405822304914"}, creds)

	var pe *platform.Error
	_, _, err = c.Connect(t.Context(), platform.Credentials{KeyAccessToken: "no-id"})
	require.True(t, errors.As(err, &pe))
	require.Equal(t, platform.Transient, pe.Kind)
	require.Equal(t, "Meta sent a profile without a user_id", pe.Message)
	_, _, err = c.Connect(t.Context(), platform.Credentials{KeyAccessToken: "dead"})
	require.True(t, errors.As(err, &pe))
	require.Equal(t, platform.InvalidCredentials, pe.Kind, "a token given to connect is the caller's mistake")
	_, _, err = c.Connect(t.Context(), platform.Credentials{})
	require.True(t, errors.As(err, &pe))
	require.Equal(t, platform.InvalidCredentials, pe.Kind)
}

func TestUserID(t *testing.T) {
	t.Parallel()
	c := accountServer(t)
	id, changed, err := c.UserID(t.Context(), platform.Credentials{KeyAccessToken: "dead", KeyUserID: "42"})
	require.NoError(t, err, "a stored id needs no call")
	require.Equal(t, "42", id)
	require.Nil(t, changed)
	id, changed, err = c.UserID(t.Context(), platform.Credentials{KeyAccessToken: "good"})
	require.NoError(t, err)
	require.Equal(t, "17841405822304914", id)
	require.Equal(t, id, changed[KeyUserID])
	_, _, err = c.UserID(t.Context(), platform.Credentials{KeyAccessToken: "dead"})
	var pe *platform.Error
	require.True(t, errors.As(err, &pe))
	require.Equal(t, platform.TokenRejected, pe.Kind, "a stored token that died is TokenRejected for a publish")
}
