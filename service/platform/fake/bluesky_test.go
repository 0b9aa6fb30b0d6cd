package fake

import (
	"bytes"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

type blueskySession struct {
	fake            *Bluesky
	access, refresh string
}

func blueskyLogin(t *testing.T) blueskySession {
	t.Helper()
	b := NewBluesky(t)
	status, body, _ := socialSend(t, http.MethodPost, b.URL+"/xrpc/com.atproto.server.createSession", "",
		socialJSON{"identifier": b.Handle, "password": b.AppPassword})
	require.Equal(t, http.StatusOK, status)
	return blueskySession{fake: b, access: body["accessJwt"].(string), refresh: body["refreshJwt"].(string)}
}

func (s blueskySession) create(t *testing.T, rkey string, record socialJSON) (int, socialJSON) {
	t.Helper()
	in := socialJSON{"repo": s.fake.DID, "collection": "app.bsky.feed.post", "record": record}
	if rkey != "" {
		in["rkey"] = rkey
	}
	status, body, _ := socialSend(t, http.MethodPost, s.fake.URL+"/xrpc/com.atproto.repo.createRecord", s.access, in)
	return status, body
}

func blueskyPostRecord(text string) socialJSON {
	return socialJSON{"$type": "app.bsky.feed.post", "text": text, "createdAt": "2026-05-01T12:00:00.000Z"}
}

func TestBlueskyRejectsMalformedPosts(t *testing.T) {
	t.Parallel()
	s := blueskyLogin(t)
	text := "日本語 https://a.example" // the link starts at byte 10, rune 4
	link := func(start, end int) socialJSON {
		p := blueskyPostRecord(text)
		p["facets"] = []any{socialJSON{
			"index":    socialJSON{"byteStart": start, "byteEnd": end},
			"features": []any{socialJSON{"$type": "app.bsky.richtext.facet#link", "uri": "https://a.example"}},
		}}
		return p
	}
	withoutType := blueskyPostRecord("x")
	delete(withoutType, "$type")
	withoutDate := blueskyPostRecord("x")
	delete(withoutDate, "createdAt")
	halfReply := blueskyPostRecord("x")
	halfReply["reply"] = socialJSON{"parent": socialJSON{"uri": "at://did:plc:x/app.bsky.feed.post/3k", "cid": "bafyreib"}}
	unknownBlob := blueskyPostRecord("x")
	unknownBlob["embed"] = socialJSON{"$type": "app.bsky.embed.images", "images": []any{socialJSON{
		"alt": "", "image": socialJSON{"$type": "blob", "ref": socialJSON{"$link": "bafkreinope"}, "mimeType": "image/png", "size": 10},
	}}}

	for name, tc := range map[string]struct {
		rkey    string
		record  socialJSON
		message string
	}{
		"no $type":           {"", withoutType, `Record must have the property "$type"`},
		"no createdAt":       {"", withoutDate, `Record must have the property "createdAt"`},
		"301 graphemes":      {"", blueskyPostRecord(string(bytes.Repeat([]byte("a"), 301))), "Record/text must not be longer than 300 graphemes"},
		"3001 bytes":         {"", blueskyPostRecord(string(bytes.Repeat([]byte("🦋"), 751))), "Record/text must not be longer than 3000 characters"},
		"facet past the end": {"", link(10, len(text)+1), "Record/facets/0/index [10, 28) is not a range of whole characters"},
		"facet mid-rune":     {"", link(1, 5), "Record/facets/0/index [1, 5) is not a range of whole characters"},
		"facet by runes":     {"", link(4, 21), "Record/facets/0/index [4, 21) is not a range of whole characters"},
		"reply without root": {"", halfReply, `Record/reply must have the property "root"`},
		"unknown blob":       {"", unknownBlob, "Could not find blob: bafkreinope"},
		"rkey not a TID":     {"my-post", blueskyPostRecord("x"), "Invalid record key: my-post"},
	} {
		status, body := s.create(t, tc.rkey, tc.record)
		require.Equal(t, http.StatusBadRequest, status, name)
		require.Equal(t, "InvalidRequest", body["error"], name)
		require.Contains(t, body["message"], tc.message, name)
	}
	require.Empty(t, s.fake.Records())

	status, _ := s.create(t, "", link(10, len(text)))
	require.Equal(t, http.StatusOK, status, "a facet on whole characters is fine")
}

func TestBlueskyDuplicateRecordKey(t *testing.T) {
	t.Parallel()
	s := blueskyLogin(t)
	status, first := s.create(t, "3jzfcijpj2z2a", blueskyPostRecord("one"))
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "at://"+s.fake.DID+"/app.bsky.feed.post/3jzfcijpj2z2a", first["uri"])

	status, body := s.create(t, "3jzfcijpj2z2a", blueskyPostRecord("two"))
	require.Equal(t, http.StatusInternalServerError, status, "what today's PDS answers")
	require.Equal(t, "InternalServerError", body["error"])
	require.Len(t, s.fake.Records(), 1)

	status, got, _ := socialSend(t, http.MethodGet, s.fake.URL+"/xrpc/com.atproto.repo.getRecord?repo="+s.fake.DID+
		"&collection=app.bsky.feed.post&rkey=3jzfcijpj2z2a", "", nil)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, first["cid"], got["cid"])
	require.Equal(t, "one", got["value"].(map[string]any)["text"])

	status, got, _ = socialSend(t, http.MethodGet, s.fake.URL+"/xrpc/com.atproto.repo.getRecord?repo="+s.fake.DID+
		"&collection=app.bsky.feed.post&rkey=3jzfcijpj2z2b", "", nil)
	require.Equal(t, http.StatusBadRequest, status)
	require.Equal(t, "RecordNotFound", got["error"])
}

func TestBlueskyTokens(t *testing.T) {
	t.Parallel()
	s := blueskyLogin(t)
	refreshURL := s.fake.URL + "/xrpc/com.atproto.server.refreshSession"

	status, body, _ := socialSend(t, http.MethodPost, refreshURL, s.access, nil)
	require.Equal(t, http.StatusBadRequest, status)
	require.Equal(t, "InvalidToken", body["error"], "refresh takes the refresh JWT only")

	status, body = s.create(t, "", blueskyPostRecord("x"))
	require.Equal(t, http.StatusOK, status, body)
	s.fake.ExpireAccessTokens()
	status, body = s.create(t, "", blueskyPostRecord("x"))
	require.Equal(t, http.StatusBadRequest, status)
	require.Equal(t, socialJSON{"error": "ExpiredToken", "message": "Token has expired"}, body)

	status, body, _ = socialSend(t, http.MethodPost, refreshURL, s.refresh, nil)
	require.Equal(t, http.StatusOK, status)
	next := blueskySession{fake: s.fake, access: body["accessJwt"].(string), refresh: body["refreshJwt"].(string)}
	status, _ = next.create(t, "", blueskyPostRecord("y"))
	require.Equal(t, http.StatusOK, status)

	status, body, _ = socialSend(t, http.MethodPost, refreshURL, s.refresh, nil)
	require.Equal(t, http.StatusBadRequest, status)
	require.Equal(t, socialJSON{"error": "ExpiredToken", "message": "Token has been revoked"}, body, "refresh JWTs rotate")

	status, body, _ = socialSend(t, http.MethodPost, s.fake.URL+"/xrpc/com.atproto.repo.createRecord", "", socialJSON{})
	require.Equal(t, http.StatusUnauthorized, status)
	require.Equal(t, "AuthenticationRequired", body["error"])
	require.Equal(t, 1, s.fake.SessionCount())
}

func TestBlueskySessionRateLimit(t *testing.T) {
	t.Parallel()
	b := NewBluesky(t)
	login := func() (int, socialJSON, http.Header) {
		return socialSend(t, http.MethodPost, b.URL+"/xrpc/com.atproto.server.createSession", "",
			socialJSON{"identifier": b.Handle, "password": b.AppPassword})
	}
	for range blueskySessionLimit {
		status, _, _ := login()
		require.Equal(t, http.StatusOK, status)
	}
	status, body, h := login()
	require.Equal(t, http.StatusTooManyRequests, status)
	require.Equal(t, "RateLimitExceeded", body["error"])
	reset, err := strconv.ParseInt(h.Get("ratelimit-reset"), 10, 64)
	require.NoError(t, err)
	require.InDelta(t, time.Now().Add(30*time.Second).Unix(), reset, 2)
	require.Equal(t, "30;w=300", h.Get("ratelimit-policy"))
	require.Equal(t, blueskySessionLimit, b.SessionCount())
}

func TestBlueskyMentions(t *testing.T) {
	t.Parallel()
	s := blueskyLogin(t)
	b := s.fake
	b.AddHandle("Bob.Example.com", "did:plc:bob")
	resolve := func(query string) (int, socialJSON) {
		status, body, _ := socialSend(t, http.MethodGet, b.URL+"/xrpc/com.atproto.identity.resolveHandle"+query, "", nil)
		return status, body
	}

	// resolveHandle needs no session and knows the PDS's accounts, case-insensitively.
	status, body := resolve("?handle=" + b.Handle)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, socialJSON{"did": b.DID}, body)
	status, body = resolve("?handle=bob.example.COM")
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, socialJSON{"did": "did:plc:bob"}, body)
	for query, message := range map[string]string{
		"?handle=nobody.example.com": "Unable to resolve handle",
		"?handle=not_a.handle":       "Error: handle must be a valid handle",
		"?handle=nodots":             "Error: handle must be a valid handle",
		"":                           `Params must have the property "handle"`,
	} {
		status, body = resolve(query)
		require.Equal(t, http.StatusBadRequest, status, query)
		require.Equal(t, socialJSON{"error": "InvalidRequest", "message": message}, body, query)
	}

	// A mention facet starts on the '@', covers "@handle" and names its DID.
	text := "🦋 hi @bob.example.com!"
	at := len("🦋 hi ")
	mention := func(start, end int, did string) socialJSON {
		p := blueskyPostRecord(text)
		p["facets"] = []any{socialJSON{
			"index":    socialJSON{"byteStart": start, "byteEnd": end},
			"features": []any{socialJSON{"$type": "app.bsky.richtext.facet#mention", "did": did}},
		}}
		return p
	}
	for name, tc := range map[string]struct {
		record  socialJSON
		message string
	}{
		"after the '@'":       {mention(at+1, at+16, "did:plc:bob"), "a mention must start on the '@'"},
		"too short":           {mention(at, at+15, "did:plc:bob"), `"@bob.example.co" does not name did:plc:bob`},
		"unknown DID":         {mention(at, at+16, "did:plc:nobody"), "does not name did:plc:nobody"},
		"someone else's":      {mention(at, at+16, b.DID), "does not name " + b.DID},
		"not a DID":           {mention(at, at+16, "bob"), "Record/facets/0/features/0/did must be a valid did"},
		"by runes, not bytes": {mention(at-3, at+13, "did:plc:bob"), "a mention must start on the '@'"},
	} {
		status, body := s.create(t, "", tc.record)
		require.Equal(t, http.StatusBadRequest, status, name)
		require.Contains(t, body["message"], tc.message, name)
	}
	require.Empty(t, b.Records())
	status, _ = s.create(t, "", mention(at, at+16, "did:plc:bob"))
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, []BlueskyFacet{{ByteStart: at, ByteEnd: at + 16, Type: "mention", Value: "did:plc:bob", Covered: "@bob.example.com"}}, b.Records()[0].Facets)
}
