package api

import (
	"context"

	"github.com/oapi-codegen/nullable"

	"github.com/octopost/octopost/gen/oapi"
	"github.com/octopost/octopost/service"
)

func (s *Server) ListWebhooks(ctx context.Context, _ oapi.ListWebhooksRequestObject) (oapi.ListWebhooksResponseObject, error) {
	hooks, err := s.svc.ListWebhooks(ctx, scopeFrom(ctx))
	if err != nil {
		return nil, err
	}
	body := oapi.WebhookList{Webhooks: make([]oapi.Webhook, len(hooks))}
	for i, w := range hooks {
		body.Webhooks[i] = toWebhook(w, false)
	}
	return oapi.ListWebhooks200JSONResponse{Body: body}, nil
}

func (s *Server) CreateWebhook(ctx context.Context, req oapi.CreateWebhookRequestObject) (oapi.CreateWebhookResponseObject, error) {
	b := req.Body
	in := service.WebhookInput{URL: b.Url, Events: fromEvents(b.Events), IsActive: true}
	if b.IsActive != nil {
		in.IsActive = *b.IsActive
	}
	w, err := s.svc.CreateWebhook(ctx, scopeFrom(ctx), in)
	if err != nil {
		return nil, err
	}
	return oapi.CreateWebhook201JSONResponse{Body: toWebhook(w, true)}, nil
}

func (s *Server) GetWebhook(ctx context.Context, req oapi.GetWebhookRequestObject) (oapi.GetWebhookResponseObject, error) {
	w, err := s.svc.GetWebhook(ctx, scopeFrom(ctx), req.WebhookId)
	if err != nil {
		return nil, err
	}
	return oapi.GetWebhook200JSONResponse{Body: toWebhook(w, false)}, nil
}

func (s *Server) UpdateWebhook(ctx context.Context, req oapi.UpdateWebhookRequestObject) (oapi.UpdateWebhookResponseObject, error) {
	b := req.Body
	var patch service.WebhookPatch
	if b.Url != nil {
		patch.URL = service.Some(*b.Url)
	}
	if b.Events != nil {
		patch.Events = service.Some(fromEvents(*b.Events))
	}
	if b.IsActive != nil {
		patch.IsActive = service.Some(*b.IsActive)
	}
	w, err := s.svc.UpdateWebhook(ctx, scopeFrom(ctx), req.WebhookId, patch)
	if err != nil {
		return nil, err
	}
	return oapi.UpdateWebhook200JSONResponse{Body: toWebhook(w, false)}, nil
}

func (s *Server) DeleteWebhook(ctx context.Context, req oapi.DeleteWebhookRequestObject) (oapi.DeleteWebhookResponseObject, error) {
	if err := s.svc.DeleteWebhook(ctx, scopeFrom(ctx), req.WebhookId); err != nil {
		return nil, err
	}
	return oapi.DeleteWebhook204Response{}, nil
}

func (s *Server) RotateWebhookSecret(ctx context.Context, req oapi.RotateWebhookSecretRequestObject) (oapi.RotateWebhookSecretResponseObject, error) {
	w, err := s.svc.RotateWebhookSecret(ctx, scopeFrom(ctx), req.WebhookId)
	if err != nil {
		return nil, err
	}
	return oapi.RotateWebhookSecret200JSONResponse{Body: toWebhook(w, true)}, nil
}

// defaultDeliveryPage is the contract's default limit of listWebhookDeliveries.
const defaultDeliveryPage = 20

func (s *Server) ListWebhookDeliveries(ctx context.Context, req oapi.ListWebhookDeliveriesRequestObject) (oapi.ListWebhookDeliveriesResponseObject, error) {
	limit, cursor := defaultDeliveryPage, ""
	if req.Params.Limit != nil {
		limit = *req.Params.Limit
	}
	if req.Params.Cursor != nil {
		cursor = *req.Params.Cursor
	}
	page, err := s.svc.ListDeliveries(ctx, scopeFrom(ctx), req.WebhookId, limit, cursor)
	if err != nil {
		return nil, err
	}
	body := oapi.WebhookDeliveryList{Deliveries: make([]oapi.WebhookDelivery, len(page.Deliveries)), HasMore: page.NextCursor != ""}
	for i, d := range page.Deliveries {
		body.Deliveries[i] = toDelivery(d)
	}
	if page.NextCursor != "" {
		body.NextCursor.Set(page.NextCursor)
	} else {
		body.NextCursor.SetNull()
	}
	return oapi.ListWebhookDeliveries200JSONResponse{Body: body}, nil
}

func (s *Server) ResendWebhookDelivery(ctx context.Context, req oapi.ResendWebhookDeliveryRequestObject) (oapi.ResendWebhookDeliveryResponseObject, error) {
	d, err := s.svc.ResendDelivery(ctx, scopeFrom(ctx), req.WebhookId, req.DeliveryId)
	if err != nil {
		return nil, err
	}
	return oapi.ResendWebhookDelivery202JSONResponse{Body: toDelivery(d)}, nil
}

func (s *Server) TestWebhook(ctx context.Context, req oapi.TestWebhookRequestObject) (oapi.TestWebhookResponseObject, error) {
	d, err := s.svc.SendTestEvent(ctx, scopeFrom(ctx), req.WebhookId)
	if err != nil {
		return nil, err
	}
	return oapi.TestWebhook202JSONResponse{Body: toDelivery(d)}, nil
}

func toDelivery(d service.Delivery) oapi.WebhookDelivery {
	out := oapi.WebhookDelivery{
		Id: d.ID, WebhookId: d.WebhookID, EventId: d.EventID, EventType: string(d.EventType),
		State: oapi.WebhookDeliveryState(d.State), Attempts: d.Attempts, CreatedAt: d.CreatedAt,
	}
	setNullable(&out.LastStatusCode, d.LastStatusCode)
	setNullable(&out.LastError, d.LastError)
	setNullable(&out.LastAttemptAt, d.LastAttemptAt)
	setNullable(&out.NextAttemptAt, d.NextAttemptAt)
	return out
}

// setNullable sets dst to *v, or to null when v is nil: the contract lists the field
// either way.
func setNullable[T any](dst *nullable.Nullable[T], v *T) {
	if v == nil {
		dst.SetNull()
		return
	}
	dst.Set(*v)
}
