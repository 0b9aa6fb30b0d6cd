package metagraph

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service/platform"
)

func TestTokenRefusals(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		status  int
		body    string
		refresh bool
		kind    platform.Kind
		message string
	}{
		{"5xx", 502, "", false, platform.Transient, "Meta' token endpoint failed"},
		{"rate code", 400, graphBody(4, 0, "x", false), false, platform.Transient, "Meta' token endpoint failed"},
		{"app", 400, graphBody(101, 0, "x", false), false, platform.InvalidCredentials, "Meta refused this server's app credentials (OCTOPOST_META_CLIENT_ID)"},
		{"190 on a refresh", 400, graphBody(190, 0, "x", false), true, platform.TokenRejected, "Meta refused the account's token (expired or revoked): connect the account again"},
		{"190 elsewhere", 400, graphBody(190, 0, "x", false), false, platform.Permanent, "Meta refused to trade (Graph error code 190)"},
		{"other", 400, graphBody(100, 0, "x", false), false, platform.Permanent, "Meta refused to trade (Graph error code 100)"},
	}
	for _, tc := range cases {
		g := server(t, threadsLike, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(tc.status)
			_, _ = w.Write([]byte(tc.body))
		})
		_, err := g.Token(t.Context(), TokenCall{Method: http.MethodGet, URL: g.Base + "/access_token", Refresh: tc.refresh, Refused: "to trade"})
		var pe *platform.Error
		require.True(t, errors.As(err, &pe), tc.name)
		require.Equal(t, tc.kind, pe.Kind, tc.name)
		require.Equal(t, tc.message, pe.Message, tc.name)
	}
}

func TestLongLivedAndRefresh(t *testing.T) {
	t.Parallel()
	g := server(t, threadsLike, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		require.Equal(t, http.MethodGet, r.Method)
		switch {
		case r.URL.Path == "/access_token" && q.Get("grant_type") == "x_exchange_token" && q.Get("client_secret") == "app-secret" && q.Get("access_token") == "short":
			_, _ = w.Write([]byte(`{"access_token":"long","token_type":"bearer","expires_in":5184000}`))
		case r.URL.Path == "/refresh_access_token" && q.Get("grant_type") == "x_refresh_token" && q.Get("access_token") == "long":
			_, _ = w.Write([]byte(`{"access_token":"longer","expires_in":5184000}`))
		default:
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(graphBody(100, 0, "bad", false)))
		}
	})
	fixed := time.Unix(1_700_000_000, 0)
	g.Now = func() time.Time { return fixed }
	app := platform.OAuthApp{APIURL: g.Base + "/", ClientSecret: "app-secret"}
	long, err := g.LongLived(t.Context(), app, "x_exchange_token", "short", "to trade")
	require.NoError(t, err)
	grant, err := g.Grant(long, "user_id", "42")
	require.NoError(t, err)
	require.Equal(t, platform.Grant{Access: "long", Expiry: fixed.Add(60 * 24 * time.Hour), Extra: platform.Credentials{"user_id": "42"}}, grant)
	renewed, err := g.Refresh(t.Context(), app, "x_refresh_token", "long")
	require.NoError(t, err)
	require.Equal(t, "longer", renewed.AccessToken)
	_, err = g.Refresh(t.Context(), app, "x_refresh_token", "")
	var pe *platform.Error
	require.True(t, errors.As(err, &pe))
	require.Equal(t, platform.TokenRejected, pe.Kind)
	_, err = g.Grant(Token{}, "user_id", "42")
	require.True(t, errors.As(err, &pe))
	require.Equal(t, platform.Transient, pe.Kind)
}
