// Package pgtest gives tests a fresh, empty PostgreSQL database.
//
// One PostgreSQL container is started per test binary, lazily on the first call to [New],
// from the local image [Image] (built by scripts/build-postgres-image.sh: no registry can be
// reached here, so nothing is pulled). Every call to [New] creates a brand-new database in
// that container and returns its DSN. Wire [RunMain] into the package's TestMain so the
// container is removed when the test binary exits:
//
//	func TestMain(m *testing.M) { pgtest.RunMain(m) }
//
//	func TestSomething(t *testing.T) {
//		dsn := pgtest.New(t) // postgres://postgres@127.0.0.1:PORT/DB?sslmode=disable
//		...
//	}
//
// When Docker is unreachable or the image is missing, New skips the test, except under
// CI=true where it fails it: CI must never pass by skipping the database tests.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"
)

// Image is the local PostgreSQL image the tests run. scripts/build-postgres-image.sh builds
// exactly this tag; bump both together when the image recipe changes.
const Image = "octopost-postgres:15-r1"

// setupHint tells a developer (or CI log reader) how to make the database tests runnable.
const setupHint = "run scripts/ensure-docker.sh and scripts/build-postgres-image.sh (as root) first"

// Settings testcontainers-go needs on these machines (see the package doc of New):
//   - Ryuk, its reaper container, cannot be pulled: RunMain removes the container instead.
//   - The machines have /.dockerenv, so without the override testcontainers would dial the
//     default gateway instead of the port mapped on localhost.
var requiredEnv = [][2]string{
	{"TESTCONTAINERS_RYUK_DISABLED", "true"},
	{"TESTCONTAINERS_HOST_OVERRIDE", "localhost"},
}

// Labels on the container, so containers leaked by a killed test binary can be found and
// removed by the next run.
const (
	labelOwner = "org.octopost.pgtest"
	labelPID   = "org.octopost.pgtest.pid"
)

const (
	pgPort   = "5432/tcp"
	pgUser   = "postgres"
	pgReady  = "database system is ready to accept connections"
	startMax = 60 * time.Second
)

// envErr is set at init when a required variable is set to a value that cannot work.
var envErr error

func init() {
	// Set the variables before any testcontainers call reads them (its config is read once).
	for _, kv := range requiredEnv {
		v, ok := os.LookupEnv(kv[0])
		if !ok || v == "" {
			_ = os.Setenv(kv[0], kv[1])
			continue
		}
		if v != kv[1] {
			envErr = errors.Join(envErr, fmt.Errorf("%s=%q, but pgtest needs %s=%s", kv[0], v, kv[0], kv[1]))
		}
	}
}

// unavailableError marks an environment problem (no Docker, no image): skipped locally,
// fatal under CI=true. Other errors always fail the test.
type unavailableError struct{ err error }

func (e *unavailableError) Error() string { return e.err.Error() }
func (e *unavailableError) Unwrap() error { return e.err }

var (
	startOnce sync.Once
	startErr  error
	ctr       *testcontainers.DockerContainer
	hostPort  string // "127.0.0.1:PORT"
	mu        sync.Mutex
	dbCounter atomic.Int64
)

// New returns the DSN of a brand-new, empty database (owner postgres, trust auth) in the
// test binary's shared PostgreSQL container, starting the container on first use. The
// database is dropped when t ends; close your connections in a t.Cleanup registered after
// New (cleanups run last-in first-out) or they are cut.
func New(t testing.TB) string {
	t.Helper()
	if envErr != nil {
		t.Fatalf("pgtest: %v", envErr)
	}
	startOnce.Do(func() { startErr = start() })
	if startErr != nil {
		failOrSkip(t, ciMode(), startErr)
	}

	name := dbName(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := admin(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("pgtest: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		// FORCE: a test that leaked a connection must not fail the drop.
		if err := admin(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Logf("pgtest: drop database %s: %v", name, err)
		}
	})
	return dsn(name)
}

// RunMain is TestMain for a package that uses New: it runs the tests, removes the
// container and exits.
func RunMain(m *testing.M) { os.Exit(Run(m)) }

// Run runs the tests and removes the container, returning m.Run's exit code, for a
// TestMain with cleanup of its own to do afterwards.
func Run(m *testing.M) int {
	// Ctrl-C / SIGTERM: remove the container before dying (there is no reaper).
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sig
		terminate()
		fmt.Fprintf(os.Stderr, "pgtest: got %v, container removed\n", s)
		os.Exit(1)
	}()

	code := m.Run()
	signal.Stop(sig)
	terminate()
	return code
}

// terminate removes the shared container, if one was started.
func terminate() {
	mu.Lock()
	c := ctr
	ctr = nil
	mu.Unlock()
	if c == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// StopTimeout(0): the data is disposable, so kill at once instead of a clean shutdown.
	if err := c.Terminate(ctx, testcontainers.StopTimeout(0)); err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: terminate container %s: %v\n", c.GetContainerID(), err)
	}
}

// ciMode reports whether CI=true (or 1): then a missing Docker or image fails the tests.
func ciMode() bool {
	v, err := strconv.ParseBool(os.Getenv("CI"))
	return err == nil && v
}

// failOrSkip ends the test for err: a skip for a local missing-environment problem, a
// failure under CI or for any other error.
func failOrSkip(t testing.TB, ci bool, err error) {
	t.Helper()
	var ue *unavailableError
	switch {
	case !errors.As(err, &ue):
		t.Fatalf("pgtest: %v", err)
	case ci:
		t.Fatalf("pgtest: %v (CI=true, so this is a failure, not a skip): %s", err, setupHint)
	default:
		t.Skipf("pgtest: %v: %s (skipping; under CI=true this fails)", err, setupHint)
	}
}

// start checks Docker and the image, then runs the shared container.
func start() error {
	ctx, cancel := context.WithTimeout(context.Background(), startMax)
	defer cancel()

	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return &unavailableError{fmt.Errorf("docker is not reachable: %w", err)}
	}
	if _, err := cli.ImageInspect(ctx, Image); err != nil {
		return &unavailableError{fmt.Errorf("image %s is not available locally: %w", Image, err)}
	}
	removeStale(ctx, cli)

	c, err := testcontainers.Run(ctx, Image,
		testcontainers.WithExposedPorts(pgPort),
		// Publish on 127.0.0.1 only: a trust-auth server must not listen on other addresses.
		testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
			hc.PortBindings = network.PortMap{
				network.MustParsePort(pgPort): {{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: "0"}},
			}
		}),
		testcontainers.WithLabels(map[string]string{
			labelOwner: "1",
			labelPID:   strconv.Itoa(os.Getpid()),
		}),
		testcontainers.WithWaitStrategyAndDeadline(startMax, wait.ForLog(pgReady)),
	)
	if c != nil {
		mu.Lock()
		ctr = c
		mu.Unlock()
	}
	if err != nil {
		return fmt.Errorf("start %s: %w", Image, err)
	}

	port, err := c.MappedPort(ctx, pgPort)
	if err != nil {
		return fmt.Errorf("mapped port: %w", err)
	}
	hostPort = net.JoinHostPort("127.0.0.1", port.Port())

	// The log line can precede the socket by a moment; wait until a query answers.
	var lastErr error
	for ctx.Err() == nil {
		if lastErr = admin(ctx, "SELECT 1"); lastErr == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("postgres at %s did not answer: %w", hostPort, lastErr)
}

// removeStale removes pgtest containers whose test binary is gone (killed by a timeout
// panic or SIGKILL, so RunMain could not clean up). Best effort.
func removeStale(ctx context.Context, cli *testcontainers.DockerClient) {
	res, err := cli.ContainerList(ctx, client.ContainerListOptions{
		All:     true,
		Filters: client.Filters{}.Add("label", labelOwner+"=1"),
	})
	if err != nil {
		return
	}
	for _, c := range res.Items {
		pid, err := strconv.Atoi(c.Labels[labelPID])
		if err != nil || pid <= 0 || pid == os.Getpid() {
			continue
		}
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			continue // the owner may still be running
		}
		_, _ = cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	}
}

// admin runs one statement on the maintenance database.
func admin(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, dsn("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

func dsn(db string) string {
	return fmt.Sprintf("postgres://%s@%s/%s?sslmode=disable", pgUser, hostPort, db)
}

var nonIdent = regexp.MustCompile(`[^a-z0-9]+`)

// dbName is unique in the binary and carries the test's name to help debugging.
func dbName(t testing.TB) string {
	n := dbCounter.Add(1)
	slug := strings.Trim(nonIdent.ReplaceAllString(strings.ToLower(t.Name()), "_"), "_")
	name := fmt.Sprintf("t%d_%s", n, slug)
	if len(name) > 63 { // PostgreSQL's identifier limit
		name = strings.TrimRight(name[:63], "_")
	}
	return name
}
