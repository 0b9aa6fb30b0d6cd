// Package fake runs stand-ins for the platforms' APIs on 127.0.0.1 (httptest servers), so
// the adapters and the end-to-end suites are tested against the real wire format — paths,
// headers, status codes, error bodies, rate-limit headers — without reaching a platform.
//
// Each fake models its platform's quirks as strictly as the platform enforces them (and,
// where noted, a little more strictly): a fake more lenient than the platform would let an
// adapter bug through. Every fake is safe for concurrent use, exposes its base URL as URL,
// lets a test inject failures and delays, and lists what was published so a test can
// assert that a post went out exactly once.
//
// The package is not a _test package so that the end-to-end suites can run the same fakes.
package fake
