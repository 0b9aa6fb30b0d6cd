package platforms_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/platforms"
)

// The registry lists every platform of the contract once, in the contract's order, each
// with what the service needs of it.
func TestRegistryIsTheContractsPlatforms(t *testing.T) {
	t.Parallel()
	var ids []service.Platform
	for _, spec := range platforms.All {
		ids = append(ids, service.Platform(spec.ID))
		require.NotEmpty(t, spec.Name, spec.ID)
		require.NotNil(t, spec.Text, spec.ID)
		require.NotNil(t, spec.Sandbox.Post, "%s needs a sandbox identity: test mode covers every platform", spec.ID)
		if spec.Connect.OAuth {
			require.Empty(t, spec.Connect.Forms, "%s connects through OAuth, not with credentials", spec.ID)
			require.NotNil(t, spec.OAuth, "%s connects through OAuth: its flow is described in its Spec", spec.ID)
			require.NotEmpty(t, spec.OAuth.Scopes, spec.ID)
			require.Equal(t, platform.OAuthSettings(spec.OAuth.Env, "", "", "")[0].Env, spec.Settings[0].Env, spec.ID)
			continue
		}
		require.NotEmpty(t, spec.Connect.Forms, spec.ID)
		require.NotEmpty(t, spec.Connect.Takes, spec.ID)
		require.NotNil(t, spec.Connect.Blame, spec.ID)
		require.NotNil(t, spec.New, "%s connects with credentials, so it needs an adapter", spec.ID)
	}
	require.Equal(t, service.Platforms, ids)
}

// Package service reads platforms only through the registry it is given, so that no
// platform's wire format reaches the business rules: it must not depend on any adapter.
// Adapter packages are those that export a Spec, which is every registered one.
func TestServiceImportsNoAdapter(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", "github.com/octopost/octopost/service").Output()
	require.NoError(t, err)
	deps := strings.Fields(string(out))
	require.Contains(t, deps, "github.com/octopost/octopost/service") // the listing worked
	for _, spec := range platforms.All {
		require.NotContains(t, deps, "github.com/octopost/octopost/service/platform/"+spec.ID,
			"package service imports the %s adapter: hand it what it needs through service.Config", spec.ID)
	}
	require.NotContains(t, deps, "github.com/octopost/octopost/service/platform/platforms")
}

// Every setting a platform reads is documented in the README, with its default.
func TestSettingsAreDocumented(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../../README.md")
	require.NoError(t, err)
	for _, spec := range platforms.All {
		for _, st := range spec.Settings {
			documented := "`" + st.Default + "`"
			if st.Default == "" {
				documented = "(unset)"
			}
			require.Contains(t, string(readme), "| `"+st.Env+"` | "+documented+" |", spec.ID)
		}
	}
}
