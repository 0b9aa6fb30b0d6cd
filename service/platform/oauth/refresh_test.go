package oauth_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/fake"
)

func TestRefreshRotatesTheRefreshToken(t *testing.T) {
	t.Parallel()
	x := fake.NewTwitterOAuth(t)
	c := xClient(t, x)
	old := x.IssueRefreshToken()
	before := time.Now()
	tok, err := c.Refresh(context.Background(), platform.Credentials{"refresh_token": old})
	require.NoError(t, err)
	require.NotEmpty(t, tok.Access)
	require.NotEmpty(t, tok.Refresh)
	require.NotEqual(t, old, tok.Refresh, "X rotates the refresh token")
	require.WithinDuration(t, before.Add(2*time.Hour), tok.Expiry, time.Minute)

	_, err = c.Refresh(context.Background(), platform.Credentials{"refresh_token": old})
	require.Equal(t, platform.TokenRejected, platform.KindOf(err), "the old refresh token died: %v", err)
	_, err = c.Refresh(context.Background(), platform.Credentials{"refresh_token": tok.Refresh})
	require.NoError(t, err, "the rotated one works")
	issued, refused := x.Refreshes()
	require.Equal(t, 2, issued)
	require.Equal(t, 1, refused)
}

func TestRefreshClassifiesFailures(t *testing.T) {
	t.Parallel()
	x := fake.NewTwitterOAuth(t)
	c := xClient(t, x)
	refresh := x.IssueRefreshToken()

	x.FailRefreshes(1)
	_, err := c.Refresh(context.Background(), platform.Credentials{"refresh_token": refresh})
	var pe *platform.Error
	require.ErrorAs(t, err, &pe)
	require.Equal(t, platform.Transient, pe.Kind, "a 503 is an outage, not a dead token")
	require.Equal(t, http.StatusServiceUnavailable, pe.Status)
	_, err = c.Refresh(context.Background(), platform.Credentials{"refresh_token": refresh})
	require.NoError(t, err, "the refresh token survived the outage")

	revoked := x.IssueRefreshToken()
	x.RevokeRefreshToken(revoked)
	_, err = c.Refresh(context.Background(), platform.Credentials{"refresh_token": revoked})
	require.ErrorAs(t, err, &pe)
	require.Equal(t, platform.TokenRejected, pe.Kind)
	require.Equal(t, http.StatusBadRequest, pe.Status)

	x.ClientSecret = "rotated by the operator"
	_, err = c.Refresh(context.Background(), platform.Credentials{"refresh_token": x.IssueRefreshToken()})
	require.Equal(t, platform.InvalidCredentials, platform.KindOf(err), "the app's credentials, not the account's token: %v", err)
}

func TestRefreshTimeoutIsTransient(t *testing.T) {
	t.Parallel()
	x := fake.NewTwitterOAuth(t)
	c := xClient(t, x)
	ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-ctx.Done()
	_, err := c.Refresh(ctx, platform.Credentials{"refresh_token": x.IssueRefreshToken()})
	require.Equal(t, platform.Transient, platform.KindOf(err), "%v", err)
}
