package fake_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service/platform/fake"
)

func TestSlackWebAPIQuirks(t *testing.T) {
	t.Parallel()
	s := fake.NewSlack(t)
	ch := s.AddChannel("general")
	post := s.APIBase() + "/chat.postMessage"

	// The token in a JSON body is not read: Slack wants it in the header.
	resp, body := chatRequest(t, http.MethodPost, post, "application/json", `{"token":"`+s.Token+`","channel":"`+ch+`","text":"hi"}`)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.JSONEq(t, `{"ok":false,"error":"not_authed"}`, body)

	// Errors are HTTP 200.
	resp, body = chatRequest(t, http.MethodPost, post, "application/json; charset=utf-8", `{"channel":"C0NOPE","text":"hi"}`, "Authorization", "Bearer "+s.Token)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.JSONEq(t, `{"ok":false,"error":"channel_not_found"}`, body)

	_, body = chatRequest(t, http.MethodPost, post, "application/json; charset=utf-8", `{"channel":"`+ch+`","text":""}`, "Authorization", "Bearer "+s.Token)
	require.JSONEq(t, `{"ok":false,"error":"no_text"}`, body)

	_, body = chatRequest(t, http.MethodPost, post, "application/json; charset=utf-8", `{"channel":"`+ch+`","text":"`+strings.Repeat("a", 40001)+`"}`, "Authorization", "Bearer "+s.Token)
	require.JSONEq(t, `{"ok":false,"error":"msg_too_long"}`, body)

	// chat.postMessage finds a channel by name; JSON without a charset draws a warning.
	_, body = chatRequest(t, http.MethodPost, post, "application/json", `{"channel":"#general","text":"hi"}`, "Authorization", "Bearer "+s.Token)
	require.Contains(t, body, `"ok":true`)
	require.Contains(t, body, `"warning":"missing_charset"`)

	// A form body may carry the token.
	form := url.Values{"token": {s.Token}, "channel": {ch}, "text": {"form"}}
	_, body = chatRequest(t, http.MethodPost, post, "application/x-www-form-urlencoded", form.Encode())
	require.Contains(t, body, `"ok":true`)

	// conversations.info knows channels by id only.
	_, body = chatRequest(t, http.MethodGet, s.APIBase()+"/conversations.info?channel=general", "", "", "Authorization", "Bearer "+s.Token)
	require.JSONEq(t, `{"ok":false,"error":"channel_not_found"}`, body)

	_, body = chatRequest(t, http.MethodPost, s.APIBase()+"/chat.scheduleMessage", "", "", "Authorization", "Bearer "+s.Token)
	require.JSONEq(t, `{"ok":false,"error":"unknown_method"}`, body)

	msgs := s.Messages()
	require.Len(t, msgs, 2)
	require.Equal(t, ch, msgs[0].Channel)
	require.Equal(t, "form", msgs[1].Text)
}

func TestSlackWebhookQuirks(t *testing.T) {
	t.Parallel()
	s := fake.NewSlack(t)
	ch := s.AddChannel("general")
	hook := s.Webhook(ch)

	resp, body := chatRequest(t, http.MethodPost, hook, "application/json", `{}`)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Equal(t, "no_text", body)

	resp, body = chatRequest(t, http.MethodPost, hook, "application/json", `not json`)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Equal(t, "invalid_payload", body)

	resp, body = chatRequest(t, http.MethodPost, hook, "application/json", `{"text":"hello"}`)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "ok", body, "a webhook answers plain text, with no message id")

	resp, body = chatRequest(t, http.MethodPost, hook, "application/x-www-form-urlencoded", url.Values{"payload": {`{"text":"as form"}`}}.Encode())
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "ok", body)

	resp, body = chatRequest(t, http.MethodPost, hook[:strings.LastIndex(hook, "/")+1]+"WRONG", "application/json", `{"text":"x"}`)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	require.Equal(t, "invalid_token", body)

	resp, body = chatRequest(t, http.MethodPost, s.WebhookBase()+"services/TOTHER/B1/X", "application/json", `{"text":"x"}`)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	require.Equal(t, "no_service", body)

	msgs := s.Messages()
	require.Len(t, msgs, 2)
	require.True(t, msgs[0].Webhook)
	require.Equal(t, "as form", msgs[1].Text)
}

func TestSlackThreads(t *testing.T) {
	t.Parallel()
	s := fake.NewSlack(t)
	ch := s.AddChannel("general")
	post := func(body string) string {
		_, b := chatRequest(t, http.MethodPost, s.APIBase()+"/chat.postMessage", "application/json; charset=utf-8", body, "Authorization", "Bearer "+s.Token)
		return b
	}
	require.Contains(t, post(`{"channel":"`+ch+`","text":"root"}`), `"ok":true`)
	root := s.Messages()[0].TS
	require.Contains(t, post(`{"channel":"`+ch+`","text":"r1","thread_ts":"`+root+`"}`), `"ok":true`)
	reply := s.Messages()[1].TS
	require.Contains(t, post(`{"channel":"`+ch+`","text":"r2","thread_ts":"`+reply+`"}`), `"ok":true`)
	require.Equal(t, root, s.Messages()[2].ThreadTS, "a reply to a reply joins the root's thread")
	require.JSONEq(t, `{"ok":false,"error":"thread_not_found"}`, post(`{"channel":"`+ch+`","text":"x","thread_ts":"1.000001"}`))
}
