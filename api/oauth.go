package api

// The OAuth callback, GET /oauth/{platform}/callback, is served beside the contract rather
// than in it: it is where a platform sends the user's browser back, so it takes no key,
// its query parameters are the platform's (RFC 6749: code and state, or error), and it
// answers the browser with a redirect or a short page, never the API's JSON. Putting it in
// openapi.yaml would have made it the one operation without a key and without a
// permission, and its clients would be browsers, not generated code. Its starting point,
// POST /v1/accounts/connect, is an ordinary operation of the contract.
//
// The callback sends the browser only to the redirect_url the state was made with, which
// the service checked against the allowed origins when a live key asked for it: nothing in
// the callback's own request chooses where it goes.

import (
	"context"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/octopost/octopost/gen/oapi"
	"github.com/octopost/octopost/service"
)

func (s *Server) ConnectOAuthAccount(ctx context.Context, req oapi.ConnectOAuthAccountRequestObject) (oapi.ConnectOAuthAccountResponseObject, error) {
	start, err := s.svc.StartOAuth(ctx, scopeFrom(ctx), service.Platform(req.Body.Platform), req.Body.RedirectUrl)
	if err != nil {
		return nil, err
	}
	return oapi.ConnectOAuthAccount201JSONResponse{Body: oapi.OAuthAuthorization{
		AuthorizationUrl: start.AuthorizationURL, ExpiresAt: start.ExpiresAt,
	}}, nil
}

// oauthCallbackPlatform returns the platform a GET /oauth/{platform}/callback names. The
// path is matched by hand: a ServeMux in front of the API would redirect unclean paths,
// which the API answers with a 404 of its own.
func oauthCallbackPlatform(r *http.Request) (string, bool) {
	if r.Method != http.MethodGet {
		return "", false
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/oauth/")
	if !ok {
		return "", false
	}
	p, ok := strings.CutSuffix(rest, "/callback")
	return p, ok && p != "" && !strings.Contains(p, "/")
}

// withOAuthCallback serves the OAuth callback and hands every other request to api.
func withOAuthCallback(svc *service.Service, logger *slog.Logger, api http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		platform, ok := oauthCallbackPlatform(r)
		if !ok {
			api.ServeHTTP(w, r)
			return
		}
		q := r.URL.Query()
		out, err := svc.FinishOAuth(r.Context(), service.OAuthCallback{
			Platform: service.Platform(platform),
			State:    q.Get("state"), Code: q.Get("code"), Error: q.Get("error"),
		})
		if err != nil {
			logger.ErrorContext(r.Context(), "oauth callback failed", "request_id", RequestID(r.Context()), "error", err)
			oauthPage(w, http.StatusInternalServerError, "Not connected",
				"Something went wrong on our side; nothing was connected. Please try again.")
			return
		}
		// Browsers and proxies must not keep these answers: they carry one-time results.
		w.Header().Set("Cache-Control", "no-store")
		if out.RedirectURL != nil {
			if target, err := url.Parse(*out.RedirectURL); err == nil {
				back := target.Query()
				if out.Account != nil {
					// account_id names the (first) account connected; account_ids lists
					// all of them when one consent connected several (Facebook Pages).
					back.Set("account_id", out.Account.ID)
					if len(out.Accounts) > 1 {
						ids := make([]string, len(out.Accounts))
						for i, a := range out.Accounts {
							ids[i] = a.ID
						}
						back.Set("account_ids", strings.Join(ids, ","))
					}
				} else {
					back.Set("error", out.Error)
					back.Set("error_description", out.Message)
				}
				target.RawQuery = back.Encode()
				http.Redirect(w, r, target.String(), http.StatusSeeOther)
				return
			}
		}
		if out.Account != nil {
			names := make([]string, len(out.Accounts))
			for i, a := range out.Accounts {
				names[i] = "@" + a.Username
			}
			oauthPage(w, http.StatusOK, "Connected",
				"Your "+string(out.Account.Platform)+" account "+strings.Join(names, ", ")+" is connected to Octopost. You can close this page.")
			return
		}
		oauthPage(w, http.StatusBadRequest, "Not connected", out.Message)
	})
}

var oauthPageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}} · Octopost</title></head>
<body><h1>{{.Title}}</h1><p>{{.Message}}</p></body></html>
`))

// oauthPage writes a small HTML page; the template escapes everything in it.
func oauthPage(w http.ResponseWriter, status int, title, message string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = oauthPageTemplate.Execute(w, struct{ Title, Message string }{title, strings.TrimSpace(message)})
}
