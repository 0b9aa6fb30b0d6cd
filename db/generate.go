package db

// sqlc turns db/queries/*/*.sql into gen/sqlite and gen/postgres; sqlc.yaml says how. The
// tool is pinned in its own module, tools/go.mod, to keep its dependencies out of ours.
//go:generate go tool -modfile=../tools/go.mod sqlc generate -f ../sqlc.yaml
