package service

// The queue
//
// Besides a time of its own (scheduled_for), a post can be given a place in its user's
// queue, and Octopost picks its time. The queue of a user and mode publishes at the slots
// of its settings (QueueSettings: active hours per weekday in a time zone, spaced by an
// interval; package slots computes them), one post per slot, oldest first.
//
// A post in the queue is queued (approved: it takes the next free slot) or pending
// (waiting for someone's approval: it holds no slot). Both have status "queued". The
// queue's order is (queued_at, id): queued_at is set when the post enters the queue and
// kept while it is pending, so approving a post puts it back where it was, not at the end.
// Unapproving, deleting, scheduling or publishing a queued post now frees its place, and
// the posts after it move up one slot each.
//
// A queued post's position k (1 for the oldest approved post) is the slot it is expected
// to take: the k-th of the schedule's slots after now. Positions are computed when a post
// is read, from the queue itself, so nothing stored moves when a post leaves it. To keep
// that read bounded, a scope holds at most QueueMax posts, queued and pending together.
//
// A scope that never set its settings has DefaultQueueSettings, which are not stored:
// changing them in a later version changes them for everyone who never chose.
//
// The slots fire in service/queue_fire.go; this file holds the settings, the posts' queue
// states and what is read of them.

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/octopost/octopost/service/slots"
)

// QueueMax is how many posts a scope may have in its queue, queued and pending together.
const QueueMax = 1000

const (
	defaultSlotsLimit = 10
	maxSlotsLimit     = 100
)

// QueueState is where a post is in its scope's queue.
type QueueState string

const (
	QueueNone    QueueState = ""        // not in the queue
	QueueQueued  QueueState = "queued"  // approved: takes the next free slot, oldest first
	QueuePending QueueState = "pending" // waiting for approval; holds its original place
)

// QueuePlace is where an approved queued post stands: Position 1 is the next to publish,
// and ExpectedAt the slot it is expected to take (nil when the settings cannot give one).
type QueuePlace struct {
	Position   int
	ExpectedAt *time.Time
}

// QueueSettings are when a scope's queue publishes. UpdatedAt is nil for the defaults,
// which a scope has until it sets its own.
type QueueSettings struct {
	Timezone        string // an IANA zone name
	Week            slots.Week
	IntervalMinutes int
	UpdatedAt       *time.Time
}

// DefaultQueueSettings are a scope's settings until it sets its own: every day from 09:00
// to 17:00 UTC, one post an hour.
func DefaultQueueSettings() QueueSettings {
	var w slots.Week
	for day := range w {
		w[day] = []slots.Range{{Start: 9 * 60, End: 17 * 60}}
	}
	return QueueSettings{Timezone: "UTC", Week: w, IntervalMinutes: 60}
}

// Schedule returns the slots' schedule of the settings. It fails only on a time zone the
// system does not know, which settings stored by PutQueueSettings never have unless the
// zone database lost it since.
func (q QueueSettings) Schedule() (slots.Schedule, error) {
	loc, err := LoadZone(q.Timezone)
	if err != nil {
		return slots.Schedule{}, err
	}
	return slots.Schedule{Location: loc, Week: q.Week, Interval: time.Duration(q.IntervalMinutes) * time.Minute}, nil
}

// LoadZone loads an IANA zone by name. "" and "Local" are refused: time.LoadLocation reads
// them as UTC and as the server's own zone, neither of which anyone meant. Zones are
// cached: time.LoadLocation reads the zone database on every call, and zones are asked for
// on every queued post's read and every dashboard page. Only names that load are kept, so
// the cache holds at most the zone database's names.
func LoadZone(name string) (*time.Location, error) {
	if name == "" || name == "Local" {
		return nil, fmt.Errorf("unknown time zone %q", name)
	}
	if loc, ok := zones.Load(name); ok {
		return loc.(*time.Location), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	zones.Store(name, loc)
	return loc, nil
}

var zones sync.Map // name → *time.Location, for LoadZone

// WeekdayName is a weekday as the API names it: "monday".
func WeekdayName(d time.Weekday) string {
	return slots.DayName(d)
}

// ClockRange is a range of active hours as the caller wrote it: "09:00" to "20:00".
type ClockRange struct {
	Start, End string
}

// QueueSettingsInput are new settings as the caller sent them; ActiveHours is indexed by
// time.Weekday (Sunday = 0).
type QueueSettingsInput struct {
	Timezone        string
	ActiveHours     [7][]ClockRange
	IntervalMinutes int
}

// QueueSettings returns the scope's settings: its own, or the defaults.
func (s *Service) QueueSettings(ctx context.Context, scope Scope) (QueueSettings, error) {
	return queueSettings(ctx, s.store, scope)
}

func queueSettings(ctx context.Context, st Store, scope Scope) (QueueSettings, error) {
	q, err := st.GetQueueSettings(ctx, scope)
	if errors.Is(err, ErrNotFound) {
		return DefaultQueueSettings(), nil
	}
	return q, err
}

// PutQueueSettings checks and stores the scope's new settings, which replace the old ones
// whole. Every problem is reported at once, each naming its field.
func (s *Service) PutQueueSettings(ctx context.Context, scope Scope, in QueueSettingsInput) (QueueSettings, error) {
	var problems Problems
	if _, err := LoadZone(in.Timezone); err != nil {
		problems.Add("/timezone", "must be an IANA time zone name, such as Europe/Paris")
	}
	var week slots.Week
	parsed := true
	// Weekdays from Monday, as the API lists them and package slots reports them.
	for _, day := range slots.Weekdays {
		for i, r := range in.ActiveHours[day] {
			path := fmt.Sprintf("/active_hours/%s/%d", WeekdayName(day), i)
			start, errStart := slots.ParseClock(r.Start)
			end, errEnd := slots.ParseClock(r.End)
			if errStart != nil {
				problems.Add(path+"/start", "must be a time HH:MM from 00:00 to 24:00")
			}
			if errEnd != nil {
				problems.Add(path+"/end", "must be a time HH:MM from 00:00 to 24:00")
			}
			parsed = parsed && errStart == nil && errEnd == nil
			week[day] = append(week[day], slots.Range{Start: start, End: end})
		}
	}
	sched := slots.Schedule{Location: time.UTC, Week: week, Interval: time.Duration(in.IntervalMinutes) * time.Minute}
	if !parsed {
		// The ranges' other rules are left until their times read: only the interval's
		// are checked, against a week that breaks none.
		sched.Week = DefaultQueueSettings().Week
	}
	for _, p := range sched.Problems() {
		problems.Add("/"+p.Path, "%s", p.Message)
	}
	if err := problems.Err(); err != nil {
		return QueueSettings{}, err
	}
	now := s.clock.Now()
	q := QueueSettings{Timezone: in.Timezone, Week: week, IntervalMinutes: in.IntervalMinutes, UpdatedAt: &now}
	if err := s.store.PutQueueSettings(ctx, scope, q); err != nil {
		return QueueSettings{}, err
	}
	return q, nil
}

// checkQueueInput adds the problem of a post asked to be both queued and scheduled.
func checkQueueInput(problems *Problems, state QueueState, scheduledFor *time.Time) {
	if state != QueueNone && scheduledFor != nil {
		problems.Add("/queue_status", "cannot be given with scheduled_for: a post is scheduled or queued, not both")
	}
}

// enterQueue puts p, not in the queue yet, at the queue's end in state, unless the scope's
// queue is full.
func enterQueue(ctx context.Context, tx Store, p *Post, state QueueState, now time.Time) error {
	n, err := tx.CountQueue(ctx, p.Scope)
	if err != nil {
		return err
	}
	if n >= QueueMax {
		var problems Problems
		problems.Add("/queue_status", "the queue is full: at most %d posts can be queued or pending", QueueMax)
		return problems.Err()
	}
	p.Status, p.Queue, p.QueuedAt, p.ScheduledFor = PostQueued, state, &now, nil
	return nil
}

// requeue applies a post update's queue_status (state, when set) to p, the post as the
// update leaves it otherwise; was is the post before. A draft, a scheduled or a queued
// post can be put in the queue or change state in it: pending → queued approves it,
// queued → pending takes it out of line until approved again, at its old place. A queued
// post given a time by the update leaves the queue.
func requeue(ctx context.Context, tx Store, p *Post, was Post, state Optional[QueueState], now time.Time) error {
	if !state.Set {
		if p.Status == PostScheduled && was.Queue != QueueNone {
			p.Queue, p.QueuedAt = QueueNone, nil
		}
		return nil
	}
	switch was.Status {
	case PostDraft, PostScheduled, PostQueued:
	default:
		return Conflict("Only a draft, scheduled or queued post can be put in the queue")
	}
	if was.Queue != QueueNone {
		p.Queue = state.Value
		return nil
	}
	return enterQueue(ctx, tx, p, state.Value, now)
}

// ApprovePost moves a pending post into the queue, at the place it took when it entered.
func (s *Service) ApprovePost(ctx context.Context, scope Scope, postID string) (Post, error) {
	var approved Post
	err := s.store.InTx(ctx, func(tx Store) error {
		p, err := tx.GetPostForUpdate(ctx, scope, postID)
		if errors.Is(err, ErrNotFound) {
			return NotFound("Post")
		}
		if err != nil {
			return err
		}
		if p.Queue != QueuePending {
			return Conflict("Post is not waiting for approval")
		}
		p.Queue = QueueQueued
		p.UpdatedAt = s.clock.Now()
		if err := tx.UpdatePost(ctx, p); err != nil {
			return err
		}
		approved = p
		return nil
	})
	if err != nil {
		return Post{}, err
	}
	return s.placed(ctx, approved)
}

// placed returns p with its place in the queue, if it is queued.
func (s *Service) placed(ctx context.Context, p Post) (Post, error) {
	posts := []Post{p}
	if err := s.placeInQueue(ctx, p.Scope, posts); err != nil {
		return Post{}, err
	}
	return posts[0], nil
}

// placeInQueue sets QueuePlace on the approved queued posts among posts, all of scope: one
// read of the queue's ids (at most QueueMax, from its index) and of the settings, and none
// when no post is queued.
func (s *Service) placeInQueue(ctx context.Context, scope Scope, posts []Post) error {
	queued := false
	for _, p := range posts {
		queued = queued || p.Queue == QueueQueued
	}
	if !queued {
		return nil
	}
	queue, err := s.store.ListQueueIDs(ctx, scope, QueueMax)
	if err != nil {
		return err
	}
	position := make(map[string]int, len(queue))
	for i, id := range queue {
		position[id] = i + 1
	}
	last := 0
	for _, p := range posts {
		last = max(last, position[p.ID])
	}
	times, err := s.nextSlots(ctx, scope, last)
	if err != nil {
		return err
	}
	for i, p := range posts {
		k, ok := position[p.ID]
		if p.Queue != QueueQueued || !ok {
			continue
		}
		place := &QueuePlace{Position: k}
		if k <= len(times) {
			place.ExpectedAt = &times[k-1]
		}
		posts[i].QueuePlace = place
	}
	return nil
}

// nextSlots returns the scope's next n slots after now; none when its time zone is no
// longer known (the positions are still right, the times unknown).
func (s *Service) nextSlots(ctx context.Context, scope Scope, n int) ([]time.Time, error) {
	if n == 0 {
		return nil, nil
	}
	settings, err := s.QueueSettings(ctx, scope)
	if err != nil {
		return nil, err
	}
	sched, err := settings.Schedule()
	if err != nil {
		return nil, nil
	}
	return slotsInUTC(sched.Next(s.clock.Now(), n)), nil
}

// slotsInUTC returns times in UTC, as the service keeps every time.
func slotsInUTC(times []time.Time) []time.Time {
	for i := range times {
		times[i] = times[i].UTC()
	}
	return times
}

// QueueSlot is one of the queue's next slots and the post expected to take it, if any.
type QueueSlot struct {
	At   time.Time
	Post *Post
}

// QueuePreview is the queue's plan: its next slots, earliest first, in Timezone.
type QueuePreview struct {
	Timezone string
	Slots    []QueueSlot
}

// PreviewQueue returns the scope's next limit slots (0: 10, at most 100), each with the
// approved queued post expected to take it, oldest first.
func (s *Service) PreviewQueue(ctx context.Context, scope Scope, limit int) (QueuePreview, error) {
	if limit == 0 {
		limit = defaultSlotsLimit
	}
	if limit < 1 || limit > maxSlotsLimit {
		var problems Problems
		problems.Add("limit", "must be between 1 and %d", maxSlotsLimit)
		return QueuePreview{}, problems.Err()
	}
	settings, err := s.QueueSettings(ctx, scope)
	if err != nil {
		return QueuePreview{}, err
	}
	preview := QueuePreview{Timezone: settings.Timezone}
	sched, err := settings.Schedule()
	if err != nil {
		return preview, nil // no slot can be computed in a zone no longer known
	}
	times := slotsInUTC(sched.Next(s.clock.Now(), limit))
	posts, err := s.store.ListQueue(ctx, scope, len(times))
	if err != nil {
		return QueuePreview{}, err
	}
	preview.Slots = make([]QueueSlot, len(times))
	for i, at := range times {
		preview.Slots[i].At = at
		if i < len(posts) {
			p := posts[i]
			p.QueuePlace = &QueuePlace{Position: i + 1, ExpectedAt: &times[i]}
			preview.Slots[i].Post = &p
		}
	}
	return preview, nil
}
