package main

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestShutdownDelaySetting holds OCTOPOST_SHUTDOWN_DELAY to its documented values: unset
// is the default, 0 drains at once, and anything else that is not a duration of zero or
// more is a usage mistake (exit 2) naming the setting.
func TestShutdownDelaySetting(t *testing.T) {
	t.Parallel()
	for value, want := range map[string]time.Duration{"": defaultShutdownDelay, "0": 0, "0s": 0, "12s": 12 * time.Second} {
		c := &cli{getenv: func(string) string { return value }}
		got, err := c.shutdownDelay()
		require.NoError(t, err, value)
		require.Equal(t, want, got, value)
	}
	for _, value := range []string{"-1s", "5", "soon"} {
		c := &cli{getenv: func(string) string { return value }}
		_, err := c.shutdownDelay()
		var usage usageError
		require.True(t, errors.As(err, &usage), "%q: %v", value, err)
		require.ErrorContains(t, err, "OCTOPOST_SHUTDOWN_DELAY")
	}
}
