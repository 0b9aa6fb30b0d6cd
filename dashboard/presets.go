package dashboard

// Presets: named sets of platforms with cross-linking rules, in the page's mode.
//
// The list shows the system presets first (read-only: the service refuses to change
// them, so their page shows them without a form), then the user's own, with the default
// marked and a "Make default" button on each other own preset. Making one the default
// clears the previous one, in the service's one transaction, as the API's is_default does.
//
// The form has every field of the API's preset: name, platforms, primary platform,
// cross-linking and its template, default. The service checks what it owns (the primary
// platform is one of the platforms, the template's variables); the contract's own limits,
// which the API's request validator checks before the service sees a request (a name of
// 1 to 100 characters, 1 to 12 known platforms, a template of at most 500 today, read
// from openapi.yaml: limits.go), are checked here, so a form breaks no rule the API
// would refuse. A problem re-renders the form with
// 422 and what the user typed.
//
// An empty template field means the default template (DefaultCrossLinkTemplate), as
// leaving cross_link_template out of the API's request does.

import (
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/octopost/octopost/service"
)

func init() { sections = append(sections, (*Dashboard).routesPresets) }

func (d *Dashboard) routesPresets() {
	d.page("GET /presets", d.presets)
	d.page("POST /presets", d.createPreset)
	d.page("GET /presets/{id}", d.preset)
	d.page("POST /presets/{id}", d.updatePreset)
	d.page("POST /presets/{id}/default", d.makeDefaultPreset)
}

// presetFormLimit bounds the preset form: a name, a template and a few platforms of the
// contract's lengths come nowhere near it.
const presetFormLimit = 64 << 10

// presetPlatform is one platform in the form: a checkbox, and an option of the primary
// platform's select.
type presetPlatform struct {
	Value    service.Platform
	ID       string // "platform-mastodon"
	Checked  bool
	Selected bool // the primary platform
}

// presetForm is the preset form as the user filled it, or as the preset is.
type presetForm struct {
	Action            string // where the form posts, below $.Base
	Submit            string // the submit button's text
	Name              string
	Platforms         []presetPlatform
	CrossLinkEnabled  bool
	CrossLinkTemplate string
	IsDefault         bool
	DefaultTemplate   string
}

func newPresetForm(action, submit string, p service.Preset) presetForm {
	f := presetForm{
		Action: action, Submit: submit, Name: p.Name, CrossLinkEnabled: p.CrossLinkEnabled,
		CrossLinkTemplate: p.CrossLinkTemplate, IsDefault: p.IsDefault,
		DefaultTemplate: service.DefaultCrossLinkTemplate,
	}
	for _, pl := range service.Platforms {
		f.Platforms = append(f.Platforms, presetPlatform{
			Value: pl, ID: "platform-" + string(pl), Checked: slices.Contains(p.Platforms, pl),
			Selected: p.PrimaryPlatform != nil && *p.PrimaryPlatform == pl,
		})
	}
	return f
}

// presetFromForm reads the form into a preset and the problems the contract would have
// with it; form is the form to show again, as typed.
func (d *Dashboard) presetFromForm(r *request, action, submit string) (service.Preset, presetForm, service.Problems) {
	var p service.Preset
	var problems service.Problems
	f := r.PostForm
	l := d.limits
	p.Name = strings.TrimSpace(f.Get("name"))
	switch n := utf8.RuneCountInString(p.Name); {
	case n == 0:
		problems.Add("/name", "is required")
	case n < l.presetName.min:
		problems.Add("/name", "must be at least %d characters", l.presetName.min)
	case n > l.presetName.max:
		problems.Add("/name", "must be at most %d characters", l.presetName.max)
	}
	p.Platforms = readPlatforms(f["platforms"], "/platforms", &problems)
	switch n := len(p.Platforms); {
	case len(f["platforms"]) > n:
		// An unknown platform is the problem already said.
	case n < l.presetPlatforms.min:
		problems.Add("/platforms", "choose at least %s", count(l.presetPlatforms.min, "platform"))
	case n > l.presetPlatforms.max:
		problems.Add("/platforms", "choose at most %s", count(l.presetPlatforms.max, "platform"))
	}
	if v := f.Get("primary_platform"); v != "" {
		pl := service.Platform(v)
		if !slices.Contains(service.Platforms, pl) {
			problems.Add("/primary_platform", "%q is not a platform", v)
		}
		p.PrimaryPlatform = &pl
	}
	p.CrossLinkEnabled = f.Get("cross_link_enabled") != ""
	p.CrossLinkTemplate = f.Get("cross_link_template")
	if utf8.RuneCountInString(p.CrossLinkTemplate) > l.presetTemplate {
		problems.Add("/cross_link_template", "must be at most %d characters", l.presetTemplate)
	}
	p.IsDefault = f.Get("is_default") != ""

	form := newPresetForm(action, submit, p)
	form.Name = f.Get("name")
	return p, form, problems
}

// presetRow is one preset in the list.
type presetRow struct {
	service.Preset
	Primary service.Platform // the primary platform, "" when none
}

type presetsData struct {
	Presets []presetRow
	Form    presetForm
}

func (d *Dashboard) presets(w http.ResponseWriter, r *request) error {
	return d.renderPresets(w, r, 0, newPresetForm("/presets", "Create preset", service.Preset{}), nil)
}

func (d *Dashboard) renderPresets(w http.ResponseWriter, r *request, status int, form presetForm, p *problems) error {
	list, err := d.svc.ListPresets(r.Context(), r.Scope)
	if err != nil {
		return err
	}
	data := presetsData{Form: form}
	for _, pr := range list {
		row := presetRow{Preset: pr}
		if pr.PrimaryPlatform != nil {
			row.Primary = *pr.PrimaryPlatform
		}
		data.Presets = append(data.Presets, row)
	}
	return d.render(w, r, status, "presets", page{Title: "Presets", Nav: "presets", Problems: p, Data: data})
}

func (d *Dashboard) createPreset(w http.ResponseWriter, r *request) error {
	if err := readForm(w, r.Request, presetFormLimit); err != nil {
		return err
	}
	p, form, problems := d.presetFromForm(r, "/presets", "Create preset")
	err := problems.Err()
	var created service.Preset
	if err == nil {
		in := service.PresetInput{
			Name: p.Name, Platforms: p.Platforms, PrimaryPlatform: p.PrimaryPlatform,
			CrossLinkEnabled: p.CrossLinkEnabled, IsDefault: p.IsDefault,
		}
		if p.CrossLinkTemplate != "" {
			in.CrossLinkTemplate = &p.CrossLinkTemplate
		}
		created, err = d.svc.CreatePreset(r.Context(), r.Scope, in)
	}
	if fp, ok := formProblems(err); ok {
		return d.renderPresets(w, r, http.StatusUnprocessableEntity, form, fp)
	}
	if err != nil {
		return err
	}
	return d.redirect(w, r, "/presets", "Preset "+created.Name+" created.")
}

type presetData struct {
	Preset  service.Preset
	Primary service.Platform
	Form    presetForm
}

func (d *Dashboard) preset(w http.ResponseWriter, r *request) error {
	p, err := d.svc.GetPreset(r.Context(), r.Scope, r.PathValue("id"))
	if err != nil {
		return err
	}
	return d.renderPreset(w, r, 0, p, newPresetForm("/presets/"+p.ID, "Save preset", p), nil)
}

func (d *Dashboard) renderPreset(w http.ResponseWriter, r *request, status int, p service.Preset, form presetForm, fp *problems) error {
	data := presetData{Preset: p, Form: form}
	if p.PrimaryPlatform != nil {
		data.Primary = *p.PrimaryPlatform
	}
	title := "Edit preset"
	if p.IsSystem {
		title = "Preset (built in)"
	}
	return d.render(w, r, status, "preset", page{Title: title, Nav: "presets", Problems: fp, Data: data})
}

func (d *Dashboard) updatePreset(w http.ResponseWriter, r *request) error {
	current, err := d.svc.GetPreset(r.Context(), r.Scope, r.PathValue("id"))
	if err != nil {
		return err
	}
	if current.IsSystem {
		// Its page has no form; this is a form from elsewhere. The service would refuse it
		// too, but only after the form's own problems were shown on a read-only page.
		return service.Forbidden("Built-in presets cannot be changed")
	}
	if err := readForm(w, r.Request, presetFormLimit); err != nil {
		return err
	}
	p, form, problems := d.presetFromForm(r, "/presets/"+current.ID, "Save preset")
	err = problems.Err()
	if err == nil {
		if p.CrossLinkTemplate == "" {
			p.CrossLinkTemplate = service.DefaultCrossLinkTemplate
		}
		// The form shows every field, so every field is set: an unchecked box is false,
		// an empty primary platform is none.
		_, err = d.svc.UpdatePreset(r.Context(), r.Scope, current.ID, service.PresetPatch{
			Name: service.Some(p.Name), Platforms: service.Some(p.Platforms),
			PrimaryPlatform: service.Some(p.PrimaryPlatform), CrossLinkEnabled: service.Some(p.CrossLinkEnabled),
			CrossLinkTemplate: service.Some(p.CrossLinkTemplate), IsDefault: service.Some(p.IsDefault),
		})
	}
	if fp, ok := formProblems(err); ok {
		return d.renderPreset(w, r, http.StatusUnprocessableEntity, current, form, fp)
	}
	if err != nil {
		return err
	}
	return d.redirect(w, r, "/presets", "Preset "+p.Name+" saved.")
}

func (d *Dashboard) makeDefaultPreset(w http.ResponseWriter, r *request) error {
	p, err := d.svc.UpdatePreset(r.Context(), r.Scope, r.PathValue("id"), service.PresetPatch{IsDefault: service.Some(true)})
	if err != nil {
		return err
	}
	return d.redirect(w, r, "/presets", p.Name+" is now the default preset.")
}
