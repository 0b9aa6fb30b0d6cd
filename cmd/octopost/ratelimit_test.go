package main

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/db"
	"github.com/octopost/octopost/service"
)

func TestUsersSetTier(t *testing.T) {
	t.Parallel()
	b := setupCLI(t)
	userID := strings.TrimSpace(b.mustRun(t, "users", "create", "--email", "dev@example.com"))

	out := b.mustRun(t, "users", "set-tier", "--email", "Dev@Example.com", "--tier", "pro")
	require.Equal(t, userID+" pro\n", out)
	require.Equal(t, service.TierPro, storedTier(t, b, userID))

	b.mustRun(t, "users", "set-tier", "--email", "dev@example.com", "--tier", "unlimited")
	require.Equal(t, service.TierUnlimited, storedTier(t, b, userID))

	for name, args := range map[string][]string{
		"unknown tier":  {"users", "set-tier", "--email", "dev@example.com", "--tier", "gold"},
		"missing tier":  {"users", "set-tier", "--email", "dev@example.com"},
		"missing email": {"users", "set-tier", "--tier", "pro"},
	} {
		code, _, stderr := b.run(t, args...)
		require.Equal(t, exitUsage, code, name)
		require.NotEmpty(t, stderr, name)
	}
	code, _, stderr := b.run(t, "users", "set-tier", "--email", "nobody@example.com", "--tier", "pro")
	require.NotEqual(t, 0, code)
	require.Contains(t, stderr, "nobody@example.com")
	require.Equal(t, service.TierUnlimited, storedTier(t, b, userID), "unchanged by the failures")
}

func storedTier(t *testing.T, b *cliBundle, userID string) service.Tier {
	t.Helper()
	d, err := db.Open(context.Background(), "sqlite:"+b.dbPath)
	require.NoError(t, err)
	defer d.Close()
	tier, err := d.GetUserTier(context.Background(), userID)
	require.NoError(t, err)
	return tier
}

func TestDefaultTierSetting(t *testing.T) {
	t.Parallel()
	for value, want := range map[string]service.Tier{"": service.TierFree, "starter": service.TierStarter, "unlimited": service.TierUnlimited} {
		c := &cli{getenv: func(k string) string {
			if k == "OCTOPOST_DEFAULT_TIER" {
				return value
			}
			return ""
		}}
		got, err := c.defaultTier()
		require.NoError(t, err, value)
		require.Equal(t, want, got, value)
	}
	c := &cli{getenv: func(string) string { return "platinum" }}
	_, err := c.defaultTier()
	var usage usageError
	require.ErrorAs(t, err, &usage)
	require.Contains(t, err.Error(), "OCTOPOST_DEFAULT_TIER")
}
