package api

import (
	"context"
	"errors"
	"time"

	"github.com/oapi-codegen/nullable"

	"github.com/octopost/octopost/gen/oapi"
	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/slots"
)

func (s *Server) GetQueueSettings(ctx context.Context, _ oapi.GetQueueSettingsRequestObject) (oapi.GetQueueSettingsResponseObject, error) {
	q, err := s.svc.QueueSettings(ctx, scopeFrom(ctx))
	if err != nil {
		return nil, err
	}
	return oapi.GetQueueSettings200JSONResponse{Body: toQueueSettings(q)}, nil
}

func (s *Server) UpdateQueueSettings(ctx context.Context, req oapi.UpdateQueueSettingsRequestObject) (oapi.UpdateQueueSettingsResponseObject, error) {
	b := req.Body
	in := service.QueueSettingsInput{Timezone: b.Timezone, IntervalMinutes: b.IntervalMinutes}
	for day, ranges := range activeDays(&b.ActiveHours) {
		for _, r := range *ranges {
			in.ActiveHours[day] = append(in.ActiveHours[day], service.ClockRange{Start: r.Start, End: r.End})
		}
	}
	q, err := s.svc.PutQueueSettings(ctx, scopeFrom(ctx), in)
	if err != nil {
		return nil, err
	}
	return oapi.UpdateQueueSettings200JSONResponse{Body: toQueueSettings(q)}, nil
}

func (s *Server) ListQueueSlots(ctx context.Context, req oapi.ListQueueSlotsRequestObject) (oapi.ListQueueSlotsResponseObject, error) {
	var limit int
	if req.Params.Limit != nil {
		limit = *req.Params.Limit
	}
	preview, err := s.svc.PreviewQueue(ctx, scopeFrom(ctx), limit)
	if err != nil {
		return nil, err
	}
	body := oapi.QueueSlotList{Timezone: preview.Timezone, Data: make([]oapi.QueueSlot, len(preview.Slots))}
	for i, slot := range preview.Slots {
		body.Data[i].At = slot.At.UTC()
		if slot.Post != nil {
			p := toPost(*slot.Post)
			body.Data[i].Post = &p
		}
	}
	return oapi.ListQueueSlots200JSONResponse{Body: body}, nil
}

func (s *Server) ApprovePost(ctx context.Context, req oapi.ApprovePostRequestObject) (oapi.ApprovePostResponseObject, error) {
	post, err := s.svc.ApprovePost(ctx, scopeFrom(ctx), req.PostId)
	if err != nil {
		return nil, err
	}
	return oapi.ApprovePost200JSONResponse{Body: toPost(post)}, nil
}

// activeDays are the days of h by time.Weekday (Sunday = 0), the service's order.
func activeDays(h *oapi.ActiveHours) [7]*oapi.ActiveDay {
	return [7]*oapi.ActiveDay{
		time.Sunday: &h.Sunday, time.Monday: &h.Monday, time.Tuesday: &h.Tuesday, time.Wednesday: &h.Wednesday,
		time.Thursday: &h.Thursday, time.Friday: &h.Friday, time.Saturday: &h.Saturday,
	}
}

func toQueueSettings(q service.QueueSettings) oapi.QueueSettings {
	out := oapi.QueueSettings{
		Timezone: q.Timezone, IntervalMinutes: q.IntervalMinutes, IsDefault: q.UpdatedAt == nil,
	}
	for day, ranges := range activeDays(&out.ActiveHours) {
		*ranges = make(oapi.ActiveDay, len(q.Week[day]))
		for i, r := range q.Week[day] {
			(*ranges)[i] = oapi.ActiveRange{Start: slots.FormatClock(r.Start), End: slots.FormatClock(r.End)}
		}
	}
	if q.UpdatedAt != nil {
		out.UpdatedAt = new(q.UpdatedAt.UTC())
	}
	return out
}

// toPostQueue is a post's queue object: null outside the queue, position and expected
// time null while pending (or unknown).
func toPostQueue(p service.Post) nullable.Nullable[oapi.PostQueue] {
	if p.Queue == service.QueueNone {
		return nullable.NewNullNullable[oapi.PostQueue]()
	}
	q := oapi.PostQueue{
		State:      oapi.QueueStatus(p.Queue),
		Position:   nullable.NewNullNullable[int](),
		ExpectedAt: nullable.NewNullNullable[time.Time](),
	}
	if place := p.QueuePlace; place != nil {
		q.Position.Set(place.Position)
		if place.ExpectedAt != nil {
			q.ExpectedAt.Set(place.ExpectedAt.UTC())
		}
	}
	return nullable.NewNullableWithValue(q)
}

// queueStatus is the queue state a post request asks for through queue_status or its
// alias queueStatus (the cloud API's spelling); both given must agree. alias says the
// caller used only the alias, whose name the service's problems should then carry.
func queueStatus(status, aliasStatus *oapi.QueueStatus) (state service.QueueState, given, alias bool, err error) {
	switch {
	case status != nil && aliasStatus != nil && *status != *aliasStatus:
		var problems service.Problems
		problems.Add("/queueStatus", "must be the same as queue_status when both are given")
		return "", false, false, problems.Err()
	case status != nil:
		return service.QueueState(*status), true, false, nil
	case aliasStatus != nil:
		return service.QueueState(*aliasStatus), true, true, nil
	}
	return service.QueueNone, false, false, nil
}

// aliasQueueProblems renames /queue_status to /queueStatus in err's problems, for a
// caller who used the alias: a problem names the field the caller sent.
func aliasQueueProblems(err error, alias bool) error {
	var e *service.Error
	if !alias || !errors.As(err, &e) || e.Kind != service.KindValidation {
		return err
	}
	renamed := *e
	renamed.Fields = make([]service.FieldError, len(e.Fields))
	for i, f := range e.Fields {
		if f.Field == "/queue_status" {
			f.Field = "/queueStatus"
		}
		renamed.Fields[i] = f
	}
	return &renamed
}
