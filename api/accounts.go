package api

import (
	"context"

	"github.com/octopost/octopost/gen/oapi"
	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/platform"
)

func (s *Server) ListAccounts(ctx context.Context, _ oapi.ListAccountsRequestObject) (oapi.ListAccountsResponseObject, error) {
	accounts, err := s.svc.ListAccounts(ctx, scopeFrom(ctx))
	if err != nil {
		return nil, err
	}
	body := oapi.AccountList{Accounts: make([]oapi.Account, len(accounts))}
	for i, a := range accounts {
		body.Accounts[i] = toAccount(a)
	}
	return oapi.ListAccounts200JSONResponse{Body: body}, nil
}

func (s *Server) ConnectAccount(ctx context.Context, req oapi.ConnectAccountRequestObject) (oapi.ConnectAccountResponseObject, error) {
	b := req.Body
	in := service.AccountInput{Platform: service.Platform(b.Platform), Credentials: platform.Credentials{}}
	if b.Simulate != nil {
		in.Simulate = service.Simulate(*b.Simulate)
	}
	// Only the fields the caller sent become credentials, so the service can name each
	// one that does not belong.
	for name, value := range map[string]*string{
		"instance_url": b.InstanceUrl, "access_token": b.AccessToken,
		"identifier": b.Identifier, "app_password": b.AppPassword, "service_url": b.ServiceUrl,
		"webhook_url": b.WebhookUrl, "bot_token": b.BotToken, "channel": b.Channel, "chat_id": b.ChatId,
	} {
		if value != nil {
			in.Credentials[name] = *value
		}
	}
	a, err := s.svc.ConnectAccount(ctx, scopeFrom(ctx), in)
	if err != nil {
		return nil, err
	}
	return oapi.ConnectAccount201JSONResponse{Body: toAccount(a)}, nil
}

func (s *Server) GetAccount(ctx context.Context, req oapi.GetAccountRequestObject) (oapi.GetAccountResponseObject, error) {
	a, err := s.svc.GetAccount(ctx, scopeFrom(ctx), req.AccountId)
	if err != nil {
		return nil, err
	}
	return oapi.GetAccount200JSONResponse{Body: toAccount(a)}, nil
}

func (s *Server) DeleteAccount(ctx context.Context, req oapi.DeleteAccountRequestObject) (oapi.DeleteAccountResponseObject, error) {
	if err := s.svc.DisconnectAccount(ctx, scopeFrom(ctx), req.AccountId); err != nil {
		return nil, err
	}
	return oapi.DeleteAccount204Response{}, nil
}

// Renderer is the service.EventRenderer that gives events the API's JSON form of an
// account or a post, so a webhook receives exactly what the API returns for it.
type Renderer struct{}

var _ service.EventRenderer = Renderer{}

// Account returns a as GET /v1/accounts/{id} shows it.
func (Renderer) Account(a service.Account) any { return toAccount(a) }

// Post returns p as GET /v1/posts/{id} shows it.
func (Renderer) Post(p service.Post) any { return toPost(p) }
