package dashboard

// The queue: its settings (when it publishes), the plan of its next slots, and approving
// a post that waits for approval.
//
// Design:
//
//   - The settings form is the API's PUT /v1/queue in a page: every field is sent every
//     time and replaces the settings whole, through the same service call; its rules are
//     the service's (a 422 comes back with each problem under its input). The form's only
//     own checks are what the contract's schema would make of a form's strings: the
//     interval must be a number.
//   - Each weekday has rows of two HH:MM inputs, at least two and one spare beyond the
//     day's ranges (up to the contract's 8 a day), so a range is added without script:
//     fill the spare row and save. A row left empty is no range; a day with no range has
//     no slots. Text inputs, not type=time: an end of 24:00 is allowed, and no browser's
//     time picker offers it.
//   - The service names a range's problem by its index among the ranges sent
//     (/active_hours/monday/0/end). Empty rows are skipped before sending, so the page
//     keeps, per day, which row each range came from and shows the problem under that
//     row's input (queueProblems), not under a row the user did not touch.
//   - The time zone is the queue's, which may not be the browser's: the browser's is
//     offered first among the suggestions, and the plan shows each slot in both when they
//     differ. A scope that never saved settings has the service's defaults, and the page
//     says so.

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/slots"
)

func init() { sections = append(sections, (*Dashboard).routesQueue) }

func (d *Dashboard) routesQueue() {
	d.page("GET /queue", d.queue)
	d.page("POST /queue", d.saveQueue)
	d.page("POST /posts/{id}/approve", d.approvePost)
}

const (
	// queueRowsMin is how many rows each weekday shows at least; queueRowsMax the most,
	// the contract's limit of ranges a day (ActiveDay's maxItems).
	queueRowsMin = 2
	queueRowsMax = slots.MaxRangesPerDay
	// queuePreviewSlots is how many of the next slots the page shows.
	queuePreviewSlots = 10
)

// commonZones are suggested for the time zone, after the browser's own.
var commonZones = []string{
	"UTC", "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles",
	"America/Sao_Paulo", "Europe/London", "Europe/Paris", "Europe/Berlin", "Africa/Lagos",
	"Asia/Kolkata", "Asia/Singapore", "Asia/Tokyo", "Australia/Sydney", "Pacific/Auckland",
}

// queueRow is one row of a weekday's ranges, as typed.
type queueRow struct {
	Index      int
	Start, End string
}

// queueDay is a weekday's rows.
type queueDay struct {
	Name  string // "monday", as the API names it
	Label string // "Monday"
	Rows  []queueRow
}

// queueForm is the settings as the form shows them.
type queueForm struct {
	Timezone string
	Interval string
	Days     []queueDay
}

// queueSlotRow is one slot of the plan.
type queueSlotRow struct {
	Number  int
	At      time.Time
	PostID  string
	Excerpt string
}

// queueData is what the queue page shows.
type queueData struct {
	Form      queueForm
	IsDefault bool
	UpdatedAt *time.Time
	// InForce says the settings in force in words (the form may show others, as typed).
	InForce     string
	Zones       []string
	BrowserZone string
	// QueueZone is the settings' zone, to show the plan's times in beside the browser's
	// when the two differ (nil when they do not, or it is no longer known).
	QueueZone *time.Location
	Slots     []queueSlotRow
	// MinInterval and MaxInterval bound the interval's input, as the service does.
	MinInterval, MaxInterval int
}

// formOf is the form filled in with settings.
func formOf(q service.QueueSettings) queueForm {
	f := queueForm{Timezone: q.Timezone, Interval: strconv.Itoa(q.IntervalMinutes)}
	for _, wd := range slots.Weekdays {
		day := queueDay{Name: service.WeekdayName(wd), Label: wd.String()}
		for i, r := range q.Week[wd] {
			day.Rows = append(day.Rows, queueRow{Index: i, Start: slots.FormatClock(r.Start), End: slots.FormatClock(r.End)})
		}
		f.Days = append(f.Days, padRows(day))
	}
	return f
}

// padRows adds empty rows to day: one spare, at least queueRowsMin, at most queueRowsMax.
func padRows(day queueDay) queueDay {
	want := min(queueRowsMax, max(queueRowsMin, len(day.Rows)+1))
	for n := len(day.Rows); n < want; n++ {
		day.Rows = append(day.Rows, queueRow{Index: n})
	}
	return day
}

func (d *Dashboard) queue(w http.ResponseWriter, r *request) error {
	q, err := d.svc.QueueSettings(r.Context(), r.Scope)
	if err != nil {
		return err
	}
	return d.renderQueue(w, r, 0, formOf(q), q, nil)
}

func (d *Dashboard) renderQueue(w http.ResponseWriter, r *request, status int, f queueForm, q service.QueueSettings, p *problems) error {
	data := queueData{
		Form: f, IsDefault: q.UpdatedAt == nil, UpdatedAt: q.UpdatedAt, InForce: describeQueue(q), BrowserZone: r.TZ.String(),
		MinInterval: int(slots.MinInterval / time.Minute), MaxInterval: int(slots.MaxInterval / time.Minute),
	}
	data.Zones = append(data.Zones, data.BrowserZone)
	for _, z := range commonZones {
		if z != data.BrowserZone {
			data.Zones = append(data.Zones, z)
		}
	}
	preview, err := d.svc.PreviewQueue(r.Context(), r.Scope, queuePreviewSlots)
	if err != nil {
		return err
	}
	if preview.Timezone != data.BrowserZone {
		if sched, err := q.Schedule(); err == nil {
			data.QueueZone = sched.Location
		}
	}
	for i, s := range preview.Slots {
		row := queueSlotRow{Number: i + 1, At: s.At}
		if s.Post != nil {
			row.PostID, row.Excerpt = s.Post.ID, excerpt(s.Post.Content, excerptLength)
		}
		data.Slots = append(data.Slots, row)
	}
	return d.render(w, r, status, "queue", page{Title: "Queue", Nav: "queue", Problems: p, Data: data})
}

func (d *Dashboard) saveQueue(w http.ResponseWriter, r *request) error {
	if err := readForm(w, r.Request, smallFormLimit); err != nil {
		return err
	}
	form := r.PostForm
	f := queueForm{Timezone: strings.TrimSpace(form.Get("timezone")), Interval: strings.TrimSpace(form.Get("interval_minutes"))}
	in := service.QueueSettingsInput{Timezone: f.Timezone}
	// rowOf[wd][i] is the form row of the i-th range sent for weekday wd.
	var rowOf [7][]int
	for _, wd := range slots.Weekdays {
		day := queueDay{Name: service.WeekdayName(wd), Label: wd.String()}
		for i := range queueRowsMax {
			row := queueRow{
				Index: i,
				Start: strings.TrimSpace(form.Get(fmt.Sprintf("%s-%d-start", day.Name, i))),
				End:   strings.TrimSpace(form.Get(fmt.Sprintf("%s-%d-end", day.Name, i))),
			}
			day.Rows = append(day.Rows, row)
			if row.Start == "" && row.End == "" {
				continue
			}
			in.ActiveHours[wd] = append(in.ActiveHours[wd], service.ClockRange{Start: row.Start, End: row.End})
			rowOf[wd] = append(rowOf[wd], i)
		}
		// Shown again as typed, without the empty rows beyond the last one filled.
		last := 0
		if n := len(rowOf[wd]); n > 0 {
			last = rowOf[wd][n-1] + 1
		}
		day.Rows = day.Rows[:last]
		f.Days = append(f.Days, padRows(day))
	}
	// An interval that is not a number is sent as 0, which the service always refuses:
	// its other problems are then reported with this one, and nothing is saved.
	interval, aerr := strconv.Atoi(f.Interval)
	if aerr == nil {
		in.IntervalMinutes = interval
	}
	_, err := d.svc.PutQueueSettings(r.Context(), r.Scope, in)
	if err == nil {
		return d.redirect(w, r, "/queue", "Queue settings saved.")
	}
	p, ok := queueProblems(err, rowOf)
	if ok && aerr != nil {
		p.fields["interval_minutes"] = "must be a whole number of minutes"
	}
	if !ok {
		return err
	}
	q, qerr := d.svc.QueueSettings(r.Context(), r.Scope)
	if qerr != nil {
		return qerr
	}
	return d.renderQueue(w, r, http.StatusUnprocessableEntity, f, q, p)
}

// queueProblems keys the service's problems with queue settings by the form's inputs:
// "timezone", "interval_minutes", "active_hours" (the week), "monday" (a day) and
// "monday-1-end" (a row's input, row 1 being the form's row the range came from).
func queueProblems(err error, rowOf [7][]int) (*problems, bool) {
	return problemsBy(err, func(pointer string) string { return queueInput(pointer, rowOf) })
}

// queueInput is the form's input a service field pointer is about.
func queueInput(pointer string, rowOf [7][]int) string {
	parts := strings.Split(strings.TrimPrefix(pointer, "/"), "/")
	if parts[0] != "active_hours" || len(parts) < 2 {
		return parts[0]
	}
	wd, known := -1, false
	for _, d := range slots.Weekdays {
		if service.WeekdayName(d) == parts[1] {
			wd, known = int(d), true
		}
	}
	if !known {
		return parts[0]
	}
	if len(parts) < 4 {
		return parts[1]
	}
	i, err := strconv.Atoi(parts[2])
	if err != nil || i < 0 || i >= len(rowOf[wd]) {
		return parts[1]
	}
	return fmt.Sprintf("%s-%d-%s", parts[1], rowOf[wd][i], parts[3])
}

func (d *Dashboard) approvePost(w http.ResponseWriter, r *request) error {
	p, err := d.svc.ApprovePost(r.Context(), r.Scope, r.PathValue("id"))
	if err != nil {
		return err
	}
	return d.redirect(w, r, "/posts/"+p.ID, queueNotice(r, "Approved", p))
}

// queueNotice says where p, just put in the queue, stands: "Added to the queue: number 2,
// expected Monday 7 December 2026, 13:00 EST."
func queueNotice(r *request, what string, p service.Post) string {
	place := p.QueuePlace
	if place == nil {
		return what + "."
	}
	s := fmt.Sprintf("%s: number %d in the queue", what, place.Position)
	if place.ExpectedAt != nil {
		s += ", expected " + place.ExpectedAt.In(r.TZ).Format("Monday 2 January 2006, 15:04 MST")
	}
	return s + "."
}

// describeQueue says settings in words: "every day 09:00–17:00, every 60 minutes, in UTC".
func describeQueue(q service.QueueSettings) string {
	day := func(wd time.Weekday) string {
		if len(q.Week[wd]) == 0 {
			return "none"
		}
		parts := make([]string, len(q.Week[wd]))
		for i, r := range q.Week[wd] {
			parts[i] = slots.FormatClock(r.Start) + "–" + slots.FormatClock(r.End)
		}
		return strings.Join(parts, " and ")
	}
	same := true
	for _, wd := range slots.Weekdays {
		same = same && day(wd) == day(time.Monday)
	}
	var hours string
	if same {
		hours = "every day " + day(time.Monday)
	} else {
		parts := make([]string, 0, len(slots.Weekdays))
		for _, wd := range slots.Weekdays {
			parts = append(parts, wd.String()+" "+day(wd))
		}
		hours = strings.Join(parts, "; ")
	}
	return fmt.Sprintf("%s, every %d minutes, in %s", hours, q.IntervalMinutes, q.Timezone)
}
