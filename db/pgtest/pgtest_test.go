package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { RunMain(m) }

func TestNewGivesDistinctEmptyDatabases(t *testing.T) {
	ctx := context.Background()
	dsnA, dsnB := New(t), New(t)
	if dsnA == dsnB {
		t.Fatalf("New returned the same DSN twice: %s", dsnA)
	}
	for _, d := range []string{dsnA, dsnB} {
		if !strings.HasPrefix(d, "postgres://postgres@127.0.0.1:") || !strings.HasSuffix(d, "?sslmode=disable") {
			t.Errorf("unexpected DSN shape: %s", d)
		}
	}

	a, b := connect(t, dsnA), connect(t, dsnB)
	var nameA, nameB string
	if err := a.QueryRow(ctx, "SELECT current_database()").Scan(&nameA); err != nil {
		t.Fatal(err)
	}
	if err := b.QueryRow(ctx, "SELECT current_database()").Scan(&nameB); err != nil {
		t.Fatal(err)
	}
	if nameA == nameB {
		t.Fatalf("both DSNs point at database %q", nameA)
	}

	for _, c := range []*pgx.Conn{a, b} {
		if n := userTables(t, c); n != 0 {
			t.Fatalf("fresh database has %d user tables", n)
		}
	}

	// A table made in one database must not appear in the other.
	if _, err := a.Exec(ctx, "CREATE TABLE only_in_a (id int)"); err != nil {
		t.Fatal(err)
	}
	if n := userTables(t, a); n != 1 {
		t.Fatalf("database A has %d user tables, want 1", n)
	}
	if n := userTables(t, b); n != 0 {
		t.Fatalf("database B sees %d user tables, want 0", n)
	}
}

func connect(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatalf("connect %s: %v", dsn, err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func userTables(t *testing.T, c *pgx.Conn) int {
	t.Helper()
	var n int
	err := c.QueryRow(context.Background(),
		"SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')").Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// The Go constant and the build script must name the same image.
func TestImageMatchesBuildScript(t *testing.T) {
	script, err := os.ReadFile("../../scripts/build-postgres-image.sh")
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("IMAGE=%q", Image); !strings.Contains(string(script), want) {
		t.Fatalf("scripts/build-postgres-image.sh does not contain %s", want)
	}
}

func TestRequiredEnvIsSet(t *testing.T) {
	for _, kv := range requiredEnv {
		if got := os.Getenv(kv[0]); got != kv[1] {
			t.Errorf("%s=%q, want %q", kv[0], got, kv[1])
		}
	}
}

// recorder stands in for a testing.TB to see whether failOrSkip fails or skips. Only the
// methods failOrSkip calls are implemented; the embedded nil TB panics on any other.
type recorder struct {
	testing.TB
	fatal, skip bool
}

func (r *recorder) Helper()               {}
func (r *recorder) Fatalf(string, ...any) { r.fatal = true }
func (r *recorder) Skipf(string, ...any)  { r.skip = true }

func TestMissingDockerFailsUnderCI(t *testing.T) {
	missing := &unavailableError{errors.New("docker is not reachable")}
	for _, tc := range []struct {
		name        string
		ci          bool
		err         error
		fatal, skip bool
	}{
		{"local, no docker: skip", false, missing, false, true},
		{"CI, no docker: fail", true, missing, true, false},
		{"local, other error: fail", false, errors.New("boom"), true, false},
		{"CI, other error: fail", true, errors.New("boom"), true, false},
	} {
		r := &recorder{}
		failOrSkip(r, tc.ci, tc.err)
		if r.fatal != tc.fatal || r.skip != tc.skip {
			t.Errorf("%s: fatal=%v skip=%v, want fatal=%v skip=%v", tc.name, r.fatal, r.skip, tc.fatal, tc.skip)
		}
	}
}
