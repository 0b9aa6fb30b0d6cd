package e2e

// The container image, from the outside: scripts/build-image.sh builds it (or finds it,
// by its content tag) exactly as `make image` does, and testcontainers runs it as an
// operator would, next to the suite's PostgreSQL container. No registry is involved: the
// image is FROM scratch and the PostgreSQL one is local.
//
// The container uses the host's network: the rule on these machines is that traffic stays
// on 127.0.0.1, and the fakes (here the fake Mastodon) and pgtest's PostgreSQL listen
// there. So the server inside is told OCTOPOST_ADDR=127.0.0.1:0 and the test reads the
// port it got from its "octopost listening" log line, as for the child processes; the
// image's own :8080 default is checked in its configuration instead of bound on the host,
// where parallel tests would fight over it.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/stretchr/testify/require"
	"github.com/testcontainers/testcontainers-go"
	tcexec "github.com/testcontainers/testcontainers-go/exec"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/octopost/octopost/api/apitest"
	"github.com/octopost/octopost/gen/oapi"
	"github.com/octopost/octopost/service/platform/fake"
)

// imageUser is the numeric user build/Dockerfile runs the server as.
const imageUser = "10001:10001"

var (
	imageOnce sync.Once
	imageRef  string
	imageErr  error
)

// serverImage builds the image once per test binary through scripts/build-image.sh, which
// prints the content-tagged reference; a second run on unchanged sources reuses it.
func serverImage(t *testing.T) string {
	t.Helper()
	imageOnce.Do(func() { imageRef, imageErr = buildImage() })
	require.NoError(t, imageErr, "the image must build here (under CI=true a missing Docker is a failure, never a skip)")
	return imageRef
}

func buildImage() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	script, err := filepath.Abs(filepath.Join("..", "scripts", "build-image.sh"))
	if err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, script)
	// The script runs `go build`: give it the go command that runs these tests.
	cmd.Env = append(os.Environ(), "PATH="+filepath.Join(runtime.GOROOT(), "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("scripts/build-image.sh: %v\n%s", err, stderr.String())
	}
	ref := strings.TrimSpace(stdout.String())
	if !strings.HasPrefix(ref, "octopost:c-") || strings.Contains(ref, "\n") {
		return "", fmt.Errorf("scripts/build-image.sh printed %q, want one octopost:c-<hash> reference", ref)
	}
	return ref, nil
}

// imageServer is the server running in a container of the image.
type imageServer struct {
	*server // url and transport, for client and do
	ctr     *testcontainers.DockerContainer
}

// startImage runs the image with the configuration e (added to the image's own) on the
// host's network and waits until it answers. When t ends it is stopped with SIGTERM, must
// exit 0, and its logs must hold no secret.
func startImage(t *testing.T, e env) *imageServer {
	t.Helper()
	ref := serverImage(t)
	cfg := map[string]string{"OCTOPOST_ADDR": "127.0.0.1:0", "OCTOPOST_DEFAULT_TIER": "unlimited"}
	for k, v := range e {
		cfg[k] = v
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*readyTimeout)
	defer cancel()
	ctr, err := testcontainers.Run(ctx, ref,
		testcontainers.WithEnv(cfg),
		testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
			hc.NetworkMode = "host"
		}),
		testcontainers.WithWaitStrategyAndDeadline(readyTimeout, wait.ForLog("octopost listening")),
	)
	if ctr != nil {
		t.Cleanup(func() { stopImage(t, ctr) })
	}
	require.NoError(t, err, "run %s", ref)

	logs := containerLogs(t, ctr)
	m := listeningAddr.FindStringSubmatch(logs)
	require.NotNil(t, m, "no listening address in the logs:\n%s", logs)
	s := &imageServer{
		server: &server{url: "http://" + m[1], transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 4}},
		ctr:    ctr,
	}
	t.Cleanup(s.transport.CloseIdleConnections)
	s.waitReady(t)
	return s
}

// waitReady polls GET /readyz through the contract check until it answers 200.
func (s *imageServer) waitReady(t *testing.T) {
	t.Helper()
	probe := &http.Client{Transport: &apitest.ContractTransport{T: t, Base: s.transport}, Timeout: 2 * time.Second}
	var last string
	eventually(t, readyTimeout, "the container answers GET /readyz with 200", func() bool {
		resp, err := probe.Get(s.url + "/readyz")
		if err != nil {
			last = err.Error()
			return false
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		last = fmt.Sprintf("%d %s", resp.StatusCode, body)
		return resp.StatusCode == http.StatusOK
	}, func() string { return "last answer: " + last })
}

// stopImage stops the container as `docker stop` does (SIGTERM, then a kill after the
// grace), checks a graceful exit and clean logs, and removes it with its anonymous /data
// volume.
func stopImage(t *testing.T, ctr *testcontainers.DockerContainer) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*stopTimeout)
	defer cancel()
	grace := stopTimeout
	if err := ctr.Stop(ctx, &grace); err != nil {
		t.Errorf("stop the container: %v", err)
	}
	logs := containerLogs(t, ctr)
	if state, err := ctr.State(ctx); err != nil {
		t.Errorf("container state: %v", err)
	} else if state.ExitCode != 0 {
		t.Errorf("the server exited with %d after SIGTERM, want 0 (graceful shutdown)\nlogs:\n%s", state.ExitCode, logs)
	}
	requireNoSecrets(t, "the container's logs", logs)
	if err := ctr.Terminate(ctx); err != nil {
		t.Errorf("remove the container: %v", err)
	}
}

func containerLogs(t *testing.T, ctr *testcontainers.DockerContainer) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cliTimeout)
	defer cancel()
	r, err := ctr.Logs(ctx)
	require.NoError(t, err)
	defer r.Close()
	b, err := io.ReadAll(r)
	require.NoError(t, err)
	return string(b)
}

// execCLI runs an operator command inside the container (its user, its environment, its
// /data) and returns its stdout; a non-zero exit fails t.
func (s *imageServer) execCLI(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), cliTimeout)
	defer cancel()
	code, r, err := s.ctr.Exec(ctx, append([]string{"/octopost"}, args...), tcexec.Multiplexed())
	require.NoError(t, err)
	out, err := io.ReadAll(r)
	require.NoError(t, err)
	require.Equal(t, 0, code, "octopost %s in the container: %s", strings.Join(args, " "), out)
	return string(out)
}

// requireImageConfig checks what the image promises an operator: a numeric non-root
// user, :8080, SQLite under the /data volume, and the server as the default command.
func requireImageConfig(t *testing.T, s *imageServer) {
	t.Helper()
	info, err := s.ctr.Inspect(t.Context())
	require.NoError(t, err)
	require.Equal(t, imageUser, info.Config.User, "a numeric non-root user")
	require.Contains(t, info.Config.Env, "OCTOPOST_ADDR=127.0.0.1:0", "the test's address overrides the image's")
	require.Equal(t, []string{"/octopost"}, []string(info.Config.Entrypoint))
	require.Equal(t, []string{"serve"}, []string(info.Config.Cmd))

	cli, err := testcontainers.NewDockerClientWithOpts(t.Context())
	require.NoError(t, err)
	img, err := cli.ImageInspect(t.Context(), info.Config.Image)
	require.NoError(t, err)
	require.Equal(t, imageUser, img.Config.User)
	require.Contains(t, img.Config.Env, "OCTOPOST_ADDR=:8080", "listens on :8080 inside by default")
	require.Contains(t, img.Config.Env, "OCTOPOST_DATABASE_URL=sqlite:/data/octopost.db", "SQLite under /data by default")
	require.Contains(t, img.Config.Volumes, "/data")
	require.Contains(t, img.Config.ExposedPorts, "8080/tcp")
}

// publishThroughMastodon connects the fake Mastodon with key and publishes a post to it.
func publishThroughMastodon(t *testing.T, s *imageServer, key string) {
	t.Helper()
	m := fake.NewMastodon(t)
	c := client(t, s.server, key)
	connectMastodon(t, c, m)
	text := "Published from the container image"
	p := createPost(t, c, oapi.CreatePostRequest{Content: text, Platforms: &[]oapi.Platform{"mastodon"}})
	publish(t, c, p.Id)
	p = waitSettled(t, c, p.Id, publishTimeout)
	require.Equal(t, oapi.PostStatus("published"), p.Status, "results: %+v", p.PlatformResults)
	statuses := mastodonWith(m, text)
	require.Len(t, statuses, 1)
	requireSuccess(t, p, "mastodon", statuses[0].ID)
}

// TestImageOnPostgreSQL runs the image against the suite's PostgreSQL, as the README's
// `docker run -e OCTOPOST_DATABASE_URL=postgres://…` does, with a key made by the host's
// CLI on the same database, and publishes through the fake Mastodon on 127.0.0.1.
func TestImageOnPostgreSQL(t *testing.T) {
	t.Parallel()
	e := pgEnv(t)
	e["OCTOPOST_PLATFORMS_ALLOW_PRIVATE"] = "true"
	s := startImage(t, e)
	requireImageConfig(t, s)
	publishThroughMastodon(t, s, liveKey(t, e))
}

// TestImageOnSQLiteInItsVolume runs the image with its defaults: SQLite in the /data
// volume (an anonymous one here, created from the image's /data and so owned by the
// image's user), the credentials key generated beside the database, and the operator
// CLI run inside the container with `docker exec`.
func TestImageOnSQLiteInItsVolume(t *testing.T) {
	t.Parallel()
	s := startImage(t, env{"OCTOPOST_PLATFORMS_ALLOW_PRIVATE": "true"})
	requireImageConfig(t, s)
	require.Contains(t, containerLogs(t, s.ctr), "/data/octopost.db.key", "the generated credentials key is kept in the volume")

	require.Regexp(t, `^usr_[0-9A-Z]{26}\n$`, s.execCLI(t, "users", "create", "--email", "dev@example.com"))
	var k apiKey
	out := s.execCLI(t, "keys", "create", "--user", "dev@example.com", "--name", "image", "--mode", "live", "--json")
	require.NoError(t, json.Unmarshal([]byte(out), &k), "keys create --json printed %q", out)
	publishThroughMastodon(t, s, k.Key)
}
