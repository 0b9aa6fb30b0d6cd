package dashboard

// Setup, sign-in, sign-out and sessions, through the handler `octopost serve` mounts (the
// dashboard's cross-origin protection included, the API beside it), over HTTP, against a
// real service on a temporary SQLite database with a fake clock (harness_test.go).

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service"
)

// testEmail is the first user's, made through the setup page.
const testEmail = "owner@example.com"

// postFrom sends a form to path like bench.post, but with the given headers ("Name:
// value") instead of a same-origin browser's, to play another site.
func (b *bench) postFrom(t *testing.T, c *http.Client, path string, form url.Values, headers ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.srv.URL+path, strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, h := range headers {
		name, value, _ := strings.Cut(h, ": ")
		req.Header.Set(name, value)
	}
	resp, err := c.Do(req)
	require.NoError(t, err)
	return resp, readBody(t, resp)
}

// setUpInPage makes the first user through the setup page, signing c in.
func (b *bench) setUpInPage(t *testing.T, c *http.Client) {
	t.Helper()
	resp, body := b.post(t, c, Prefix+"/setup", url.Values{
		"email": {testEmail}, "password": {testPassword}, "password-confirm": {testPassword},
	})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	require.Equal(t, Prefix+"/settings/api-keys", resp.Header.Get("Location"))
}

// signInInPage sends the sign-in form, with next if given.
func (b *bench) signInInPage(t *testing.T, c *http.Client, email, password string, next ...string) (*http.Response, string) {
	t.Helper()
	form := url.Values{"email": {email}, "password": {password}}
	if len(next) > 0 {
		form.Set("next", next[0])
	}
	return b.post(t, c, Prefix+"/signin", form)
}

// jarCookie is c's cookie name for the dashboard, or nil.
func (b *bench) jarCookie(t *testing.T, c *http.Client, name string) *http.Cookie {
	t.Helper()
	u, err := url.Parse(b.srv.URL + Prefix + "/")
	require.NoError(t, err)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == name {
			return ck
		}
	}
	return nil
}

// setCookie is resp's Set-Cookie for name, or nil.
func setCookie(resp *http.Response, name string) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func TestSetupHappensOnceAndSignsIn(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{})
	c := b.browser(t)

	// A fresh instance sends the sign-in page, too, to the setup.
	resp, _ := b.get(t, c, Prefix+"/signin")
	requireRedirect(t, resp, Prefix+"/setup")
	resp, body := b.get(t, c, Prefix+"/setup")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, fmt.Sprintf("At least %d characters", service.PasswordMinLength))
	for _, sel := range []string{`id="email"`, `id="password"`, `id="password-confirm"`, `type="submit"`} {
		require.Contains(t, body, sel)
	}

	// Mistakes keep the email and say what is wrong, under the field.
	resp, body = b.post(t, c, Prefix+"/setup", url.Values{"email": {testEmail}, "password": {testPassword}, "password-confirm": {testPassword + "!"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, `id="password-confirm-error"`)
	require.Contains(t, body, `value="`+testEmail+`"`)
	resp, body = b.post(t, c, Prefix+"/setup", url.Values{"email": {testEmail}, "password": {"short"}, "password-confirm": {"short"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, `id="password-error"`)
	require.Contains(t, body, `aria-invalid="true"`)
	has, err := b.svc.HasUsers(context.Background())
	require.NoError(t, err)
	require.False(t, has, "a refused setup makes no user")

	// The setup signs in and lands on API keys, with a welcome.
	b.setUpInPage(t, c)
	resp, body = b.get(t, c, Prefix+"/settings/api-keys")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "Welcome!")
	require.Contains(t, body, testEmail)

	// Then it is gone: GET goes to sign-in, POST is refused and makes nobody.
	other := b.browser(t)
	resp, _ = b.get(t, other, Prefix+"/setup")
	requireRedirect(t, resp, Prefix+"/signin")
	resp, body = b.post(t, other, Prefix+"/setup", url.Values{
		"email": {"intruder@example.com"}, "password": {testPassword}, "password-confirm": {testPassword},
	})
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	require.Contains(t, body, "already set up")
	require.Nil(t, setCookie(resp, sessionCookie))
	resp, _ = b.signInInPage(t, other, "intruder@example.com", testPassword)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, "the refused setup made no user")
}

func TestConcurrentSetupsMakeOneUser(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{})
	statuses := make([]int, 2)
	var wg sync.WaitGroup
	for i := range statuses {
		c := b.browser(t)
		wg.Go(func() {
			resp, _ := b.post(t, c, Prefix+"/setup", url.Values{
				"email": {fmt.Sprintf("first%d@example.com", i)}, "password": {testPassword}, "password-confirm": {testPassword},
			})
			statuses[i] = resp.StatusCode
		})
	}
	wg.Wait()
	require.ElementsMatch(t, []int{http.StatusSeeOther, http.StatusConflict}, statuses)
}

func TestSetupAfterTooManyFailuresStillMakesTheUser(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{})
	c := b.browser(t)
	// Failures from this address, before the setup (the limiter counts unknown emails too).
	for i := 0; ; i++ {
		require.Less(t, i, 100, "the per-address limit never answered")
		_, _, err := b.svc.SignIn(context.Background(), fmt.Sprintf("guess%d@example.com", i), "guessing, guessing", "127.0.0.1", "test")
		var limited *service.SignInLimitedError
		if errors.As(err, &limited) {
			break
		}
		require.ErrorIs(t, err, service.ErrSignInFailed)
	}
	resp, _ := b.post(t, c, Prefix+"/setup", url.Values{
		"email": {testEmail}, "password": {testPassword}, "password-confirm": {testPassword},
	})
	requireRedirect(t, resp, Prefix+"/signin?next="+url.QueryEscape(Prefix+"/settings/api-keys"))
	has, err := b.svc.HasUsers(context.Background())
	require.NoError(t, err)
	require.True(t, has)
	_, body := b.get(t, c, resp.Header.Get("Location"))
	require.Contains(t, body, "Your user is set up. Sign in with it.")
}

func TestFailedSignInNeverSaysWhich(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{})
	b.setUpInPage(t, b.browser(t))
	c := b.browser(t)

	wrongPassword, wrongPasswordBody := b.signInInPage(t, c, testEmail, "not the password at all")
	unknownEmail, unknownEmailBody := b.signInInPage(t, c, "nobody@example.com", testPassword)
	for _, resp := range []*http.Response{wrongPassword, unknownEmail} {
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
		require.Nil(t, setCookie(resp, sessionCookie))
	}
	require.Contains(t, wrongPasswordBody, "The email or password is not right.")
	// The same page, but for the email typed back into the form.
	require.Equal(t, wrongPasswordBody,
		strings.Replace(unknownEmailBody, `value="nobody@example.com"`, `value="`+testEmail+`"`, 1))

	resp, _ := b.signInInPage(t, c, testEmail, testPassword)
	requireRedirect(t, resp, Prefix+"/")
	resp, _ = b.get(t, c, Prefix+"/settings/sessions")
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

var retryMinutes = regexp.MustCompile(`Try again in (\d+) minutes?\.`)

func TestSignInLimitAnswers429WithRetryAfter(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{})
	b.setUpInPage(t, b.browser(t))
	c := b.browser(t)

	var resp *http.Response
	var body string
	for i := 0; ; i++ {
		require.Less(t, i, 20, "the limiter never answered")
		resp, body = b.signInInPage(t, c, testEmail, "wrong password, again")
		if resp.StatusCode != http.StatusUnprocessableEntity {
			break
		}
	}
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode, body)
	retry, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	require.NoError(t, err)
	require.Positive(t, retry)
	require.LessOrEqual(t, retry, 15*60)
	m := retryMinutes.FindStringSubmatch(body)
	require.NotNil(t, m, body)
	n, err := strconv.Atoi(m[1])
	require.NoError(t, err)
	require.Equal(t, (retry+59)/60, n, "the page says the wait of Retry-After, in minutes")
	require.Contains(t, body, `id="email"`, "the form is still there")

	// While limited, even the right password is refused; once the window has passed, it works.
	resp, _ = b.signInInPage(t, c, testEmail, testPassword)
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	b.clock.Advance(time.Duration(retry) * time.Second)
	resp, _ = b.signInInPage(t, c, testEmail, testPassword)
	requireRedirect(t, resp, Prefix+"/")
}

func TestSignInLimitCountsTheTCPPeerNotForwardedFor(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{})
	b.setUpInPage(t, b.browser(t))
	c := b.browser(t)

	// Failures spread over many emails, each claiming another address: if the limiter
	// believed X-Forwarded-For or X-Real-IP, none of these would ever be limited.
	var resp *http.Response
	var body string
	for i := 0; ; i++ {
		require.Less(t, i, 100, "the per-address limit never answered")
		resp, body = b.postFrom(t, c, Prefix+"/signin", url.Values{
			"email": {fmt.Sprintf("guess%d@example.com", i)}, "password": {"guessing, guessing"},
		}, fmt.Sprintf("X-Forwarded-For: 203.0.113.%d", i), fmt.Sprintf("X-Real-IP: 198.51.100.%d", i))
		if resp.StatusCode != http.StatusUnprocessableEntity {
			break
		}
	}
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode, body)
	require.NotEmpty(t, resp.Header.Get("Retry-After"))
}

func TestSessionCookieFlags(t *testing.T) {
	t.Parallel()
	for _, overTLS := range []bool{false, true} {
		t.Run(fmt.Sprintf("tls=%v", overTLS), func(t *testing.T) {
			t.Parallel()
			b := newBench(t, benchOptions{tls: overTLS})
			c := b.browser(t)
			resp, _ := b.post(t, c, Prefix+"/setup", url.Values{
				"email": {testEmail}, "password": {testPassword}, "password-confirm": {testPassword},
			})
			require.Equal(t, http.StatusSeeOther, resp.StatusCode)
			resp2, _ := b.signInInPage(t, b.browser(t), testEmail, testPassword)
			for _, r := range []*http.Response{resp, resp2} {
				ck := setCookie(r, sessionCookie)
				require.NotNil(t, ck)
				require.NotEmpty(t, ck.Value)
				require.True(t, ck.HttpOnly)
				require.Equal(t, http.SameSiteLaxMode, ck.SameSite)
				require.Equal(t, Prefix, ck.Path)
				require.Equal(t, overTLS, ck.Secure, "Secure exactly when served over https")
			}
		})
	}
}

func TestExpiredSessionGoesToSignInAndBack(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{})
	c := b.browser(t)
	b.setUpInPage(t, c)
	resp, _ := b.get(t, c, TestPrefix+"/settings/api-keys")
	require.Equal(t, http.StatusOK, resp.StatusCode)

	b.clock.Advance(service.SessionIdleTimeout + time.Minute)
	resp, _ = b.get(t, c, TestPrefix+"/settings/api-keys")
	requireRedirect(t, resp, Prefix+"/signin?next="+url.QueryEscape(TestPrefix+"/settings/api-keys"))
	resp, body := b.get(t, c, resp.Header.Get("Location"))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, `name="next" value="`+TestPrefix+`/settings/api-keys"`)

	// Signing in again returns to that page.
	resp, _ = b.signInInPage(t, c, testEmail, testPassword, TestPrefix+"/settings/api-keys")
	requireRedirect(t, resp, TestPrefix+"/settings/api-keys")
	resp, _ = b.get(t, c, TestPrefix+"/settings/api-keys")
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

var sessionRow = regexp.MustCompile(`<tr data-session-id="(ses_[^"]+)"( class="current")?>`)

func TestRevokedSessionsAreRefused(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{})
	laptop := b.browser(t)
	b.setUpInPage(t, laptop)
	phone := b.browser(t)
	resp, _ := b.signInInPage(t, phone, testEmail, testPassword)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)

	// The laptop sees both sessions, its own marked, and revokes the phone's.
	resp, body := b.get(t, laptop, Prefix+"/settings/sessions")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	rows := sessionRow.FindAllStringSubmatch(body, -1)
	require.Len(t, rows, 2, body)
	var mine, theirs string
	for _, row := range rows {
		if row[2] != "" {
			mine = row[1]
		} else {
			theirs = row[1]
		}
	}
	require.NotEmpty(t, mine)
	require.NotEmpty(t, theirs)
	require.Contains(t, body, "this session")
	require.Contains(t, body, "Go-http-client", "the user agent is shown")

	resp, _ = b.post(t, laptop, Prefix+"/settings/sessions/"+theirs+"/revoke", nil)
	requireRedirect(t, resp, Prefix+"/settings/sessions")
	resp, _ = b.get(t, phone, Prefix+"/settings/sessions")
	requireRedirect(t, resp, Prefix+"/signin?next="+url.QueryEscape(Prefix+"/settings/sessions"))
	// Signed out, the phone can revoke nothing: it is sent to sign in.
	resp, _ = b.post(t, phone, Prefix+"/settings/sessions/"+mine+"/revoke", nil)
	requireRedirect(t, resp, Prefix+"/signin")
	resp, body = b.get(t, laptop, Prefix+"/settings/sessions")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Len(t, sessionRow.FindAllStringSubmatch(body, -1), 1)

	// Revoking its own session, from the test pages, signs the laptop out.
	token := b.jarCookie(t, laptop, sessionCookie).Value
	resp, _ = b.post(t, laptop, TestPrefix+"/settings/sessions/"+mine+"/revoke", nil)
	requireRedirect(t, resp, Prefix+"/signin")
	require.Negative(t, setCookie(resp, sessionCookie).MaxAge)
	_, _, err := b.svc.SessionUser(context.Background(), token)
	require.ErrorIs(t, err, service.ErrUnauthenticated)
}

func TestAnotherUsersSessionIsNotFound(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{})
	owner := b.browser(t)
	b.setUpInPage(t, owner)
	_, second := b.user(t, "second@example.com")

	_, body := b.get(t, owner, Prefix+"/settings/sessions")
	rows := sessionRow.FindAllStringSubmatch(body, -1)
	require.Len(t, rows, 1, "only the user's own sessions are listed")
	resp, _ := b.post(t, second, Prefix+"/settings/sessions/"+rows[0][1]+"/revoke", nil)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, _ = b.get(t, owner, Prefix+"/settings/sessions")
	require.Equal(t, http.StatusOK, resp.StatusCode, "still signed in")
}

func TestSignOutEndsTheSession(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{})
	c := b.browser(t)
	b.setUpInPage(t, c)
	token := b.jarCookie(t, c, sessionCookie).Value

	resp, _ := b.post(t, c, Prefix+"/signout", nil)
	requireRedirect(t, resp, Prefix+"/signin")
	ck := setCookie(resp, sessionCookie)
	require.Negative(t, ck.MaxAge)
	require.Equal(t, Prefix, ck.Path)
	_, body := b.get(t, c, Prefix+"/signin")
	require.Contains(t, body, "You are signed out.")

	// The token is dead on the server, not only forgotten by this browser.
	_, _, err := b.svc.SessionUser(context.Background(), token)
	require.ErrorIs(t, err, service.ErrUnauthenticated)
	replay := b.browser(t)
	u, err := url.Parse(b.srv.URL + Prefix)
	require.NoError(t, err)
	replay.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: token, Path: Prefix}})
	resp, _ = b.get(t, replay, Prefix+"/settings/api-keys")
	requireRedirect(t, resp, Prefix+"/signin?next="+url.QueryEscape(Prefix+"/settings/api-keys"))
}

// TestSigningInAgainEndsThePreviousSession: a browser that signs in as someone else
// without signing out leaves no session behind that nobody holds.
func TestSigningInAgainEndsThePreviousSession(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{})
	c := b.browser(t)
	b.setUpInPage(t, c)
	first := b.jarCookie(t, c, sessionCookie).Value
	_, err := b.svc.CreateUser(context.Background(), "second@example.com", testPassword)
	require.NoError(t, err)

	resp, _ := b.signInInPage(t, c, "second@example.com", testPassword)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	second := b.jarCookie(t, c, sessionCookie).Value
	require.NotEqual(t, first, second)
	_, _, err = b.svc.SessionUser(context.Background(), first)
	require.ErrorIs(t, err, service.ErrUnauthenticated, "the first session ended")
	_, u, err := b.svc.SessionUser(context.Background(), second)
	require.NoError(t, err)
	require.Equal(t, "second@example.com", u.Email)
}

func TestCrossOriginAuthFormsAreRefused(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{})
	c := b.browser(t)
	b.setUpInPage(t, c)

	for _, header := range []string{"Sec-Fetch-Site: cross-site", "Origin: https://evil.example"} {
		// Login CSRF: another site signing the visitor in to an account of its choosing.
		resp, _ := b.postFrom(t, c, Prefix+"/signin", url.Values{"email": {testEmail}, "password": {testPassword}}, header)
		require.Equal(t, http.StatusForbidden, resp.StatusCode, header)
		require.Nil(t, setCookie(resp, sessionCookie))
		// A key made, a session ended, a user signed out behind their back.
		resp, _ = b.postFrom(t, c, Prefix+"/settings/api-keys", url.Values{"name": {"csrf"}, "mode": {"live"}}, header)
		require.Equal(t, http.StatusForbidden, resp.StatusCode, header)
		resp, _ = b.postFrom(t, c, Prefix+"/signout", nil, header)
		require.Equal(t, http.StatusForbidden, resp.StatusCode, header)
		resp, _ = b.postFrom(t, b.browser(t), Prefix+"/setup", url.Values{"email": {"x@example.com"}}, header)
		require.Equal(t, http.StatusForbidden, resp.StatusCode, header)
	}
	_, u, err := b.svc.SessionUser(context.Background(), b.jarCookie(t, c, sessionCookie).Value)
	require.NoError(t, err, "still signed in")
	keys, err := b.svc.ListUserAPIKeys(context.Background(), u.ID)
	require.NoError(t, err)
	require.Empty(t, keys)
}

func TestSignInNeverRedirectsAway(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{})
	b.setUpInPage(t, b.browser(t))

	for next, want := range map[string]string{
		"/dashboard/posts?status=draft":            "/dashboard/posts?status=draft",
		"/dashboard/test/accounts":                 "/dashboard/test/accounts",
		"":                                         "/dashboard/",
		"//evil.example/dashboard":                 "/dashboard/",
		"https://evil.example/dashboard":           "/dashboard/",
		"/\\evil.example/dashboard":                "/dashboard/",
		"/dashboard\\..\\..\\evil":                 "/dashboard/",
		"/dashboard/../evil":                       "/dashboard/",
		"/dashboard/../../v1/posts":                "/dashboard/",
		"/dashboard/%2e%2e/evil":                   "/dashboard/",
		"/dashboard/%2E%2E/v1/posts":               "/dashboard/",
		"javascript:alert(1)":                      "/dashboard/",
		"/v1/posts":                                "/dashboard/",
		"/dashboard/x\r\nLocation: //evil.example": "/dashboard/",
	} {
		c := b.browser(t)
		resp, _ := b.signInInPage(t, c, testEmail, testPassword, next)
		requireRedirect(t, resp, want)
		// Already signed in, the sign-in page sends the browser on, by the same rule.
		resp, _ = b.get(t, c, Prefix+"/signin?next="+url.QueryEscape(next))
		requireRedirect(t, resp, want)
	}
}
