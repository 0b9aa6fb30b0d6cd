package postgres_test

import (
	"testing"

	"github.com/octopost/octopost/db/storetest"
	"github.com/octopost/octopost/service"
)

func BenchmarkGetAPIKeyByHash(b *testing.B) { storetest.BenchmarkGetAPIKeyByHash(b, openDB(b)) }

func BenchmarkGetPost(b *testing.B) { storetest.BenchmarkGetPost(b, openDB(b)) }

func BenchmarkListPosts(b *testing.B) {
	d := openDB(b)
	seedPosts(b, d, 1, 100_000)
	storetest.BenchmarkListPosts(b, d, service.Scope{UserID: "usr_00", Mode: service.ModeLive})
}
