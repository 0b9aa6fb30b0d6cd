package fake_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service/platform/fake"
)

func TestTelegramWireFormat(t *testing.T) {
	t.Parallel()
	tg := fake.NewTelegram(t)
	tg.AddChat(fake.TelegramChat{ID: -1001, Type: "channel", Title: "News", Username: "news"})
	base := tg.URL + "/bot" + tg.Token + "/"

	// Method names are case-insensitive; parameters may come as a form.
	resp, body := chatRequest(t, http.MethodPost, base+"SENDMESSAGE", "application/x-www-form-urlencoded",
		url.Values{"chat_id": {"@news"}, "text": {"form"}}.Encode())
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, `"message_id":1`)
	require.Contains(t, body, `"username":"news"`)

	// The legacy reply_to_message_id still works, and a missing message is refused.
	_, body = chatRequest(t, http.MethodPost, base+"sendMessage", "application/json", `{"chat_id":-1001,"text":"reply","reply_to_message_id":1}`)
	require.Contains(t, body, `"reply_to_message":{`)
	resp, body = chatRequest(t, http.MethodPost, base+"sendMessage", "application/json", `{"chat_id":-1001,"text":"x","reply_parameters":{"message_id":42}}`)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.JSONEq(t, `{"ok":false,"error_code":400,"description":"Bad Request: message to be replied not found"}`, body)
	_, body = chatRequest(t, http.MethodPost, base+"sendMessage", "application/json", `{"chat_id":-1001,"text":"x","reply_parameters":{"message_id":42,"allow_sending_without_reply":true}}`)
	require.Contains(t, body, `"ok":true`)

	resp, body = chatRequest(t, http.MethodPost, base+"sendMessage", "application/json", `{"chat_id":-1001,"text":"`+strings.Repeat("a", 4097)+`"}`)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.JSONEq(t, `{"ok":false,"error_code":400,"description":"Bad Request: message is too long"}`, body)

	resp, body = chatRequest(t, http.MethodPost, base+"sendMediaGroup", "application/json", `{"chat_id":-1001,"media":[{"type":"photo","media":"https://img.example/a.png"}]}`)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode, "an album needs 2 to 10 items")
	require.Contains(t, body, "wrong number of media")

	resp, body = chatRequest(t, http.MethodPost, base+"sendPhoto", "application/json", `{"chat_id":-1001,"photo":"not a url"}`)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Contains(t, body, "wrong HTTP URL")

	resp, body = chatRequest(t, http.MethodGet, tg.URL+"/botnot-a-token/getMe", "", "")
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	require.JSONEq(t, `{"ok":false,"error_code":404,"description":"Not Found"}`, body)

	resp, body = chatRequest(t, http.MethodGet, tg.URL+"/bot1:wrong/getMe", "", "")
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.JSONEq(t, `{"ok":false,"error_code":401,"description":"Unauthorized"}`, body)

	tg.RateLimitNext("", 1, 3)
	resp, body = chatRequest(t, http.MethodGet, base+"getMe", "", "")
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	require.JSONEq(t, `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 3","parameters":{"retry_after":3}}`, body)

	require.Len(t, tg.Messages(), 3)
	require.Equal(t, 5, tg.Calls("sendMessage"), "method names are counted case-insensitively")
}
