package dashboard

// Settings > API Keys, as the authentication page describes it: list the user's keys,
// create one (a name, live or test, permissions; none checked is full access), copy it
// once, revoke one.
//
// Design:
//
//   - The list shows every key of the user, live and test, each with its mode: a key is
//     the user's, not one mode's data, and a key created in the other mode must not
//     vanish from the page that made it. The form's mode defaults to the mode on screen.
//   - The full key exists only in the response to the POST that created it (201,
//     Cache-Control: no-store, so neither the browser's history nor a proxy keeps it);
//     the store has only its hash, and every other page shows the non-secret hint.
//   - Revoking goes through a confirmation page whose form POSTs. The API reads a key's
//     row on every request, so a revoked key is refused from the next request on.
//   - Keys are looked up by the signed-in user's id: another user's key id is "not found"
//     (404), never "forbidden", so ids reveal nothing.
//   - Rotation, as the authentication page lays it out (create a key with the same
//     permissions, move the program to it, check it works, revoke the old one): Rotate on a
//     key opens the form filled in like that key (?rotate=<id>), and the new key's page
//     links to revoking the old one. The page marks active keys older than rotateAfter,
//     the page's "at least every 90 days".

import (
	"net/http"
	"slices"
	"time"

	"github.com/octopost/octopost/service"
)

func init() { sections = append(sections, (*Dashboard).routesKeys) }

func (d *Dashboard) routesKeys() {
	d.page("GET /settings/api-keys", d.keysPage)
	d.page("POST /settings/api-keys", d.createKey)
	d.page("GET /settings/api-keys/{id}/revoke", d.revokeKeyPage)
	d.page("POST /settings/api-keys/{id}/revoke", d.revokeKey)
}

// permissionDescriptions are the authentication page's words for each permission.
var permissionDescriptions = map[service.Permission]string{
	"posts:read":     "List and retrieve posts",
	"posts:write":    "Create, update, delete, and publish posts",
	"accounts:read":  "List and retrieve connected accounts",
	"accounts:write": "Connect and disconnect social accounts",
	"presets:read":   "List and retrieve publishing presets",
	"presets:write":  "Create, update, and delete presets",
	"webhooks:read":  "List and retrieve webhooks",
	"webhooks:write": "Create, update, and delete webhooks",
}

// rotateAfter is the age at which the authentication page asks for a key to be rotated
// ("Rotate production keys at least every 90 days").
const rotateAfter = 90 * 24 * time.Hour

// keyForm is what the create form shows: what the user chose.
type keyForm struct {
	Name        string
	Mode        string
	Permissions []string
	Replaces    *service.APIKey // the key being rotated, if any
}

type permissionChoice struct {
	Permission  service.Permission
	Description string
	Checked     bool
}

type keysData struct {
	Keys        []listedKey
	Form        keyForm
	Permissions []permissionChoice
}

// listedKey is a key in the list, with whether it is due for rotation.
type listedKey struct {
	service.APIKey
	RotationDue bool
}

func (d *Dashboard) keysPage(w http.ResponseWriter, r *request) error {
	f := keyForm{Mode: string(r.Mode)}
	if id := r.URL.Query().Get("rotate"); id != "" {
		old, err := d.userKey(r, id)
		if err != nil {
			return err
		}
		f = rotationForm(old)
	}
	return d.renderKeys(w, r, 0, f, nil)
}

// rotationForm is the create form filled in like old: its name, mode and permissions.
func rotationForm(old service.APIKey) keyForm {
	f := keyForm{Name: old.Name, Mode: string(old.Mode), Replaces: &old}
	for _, p := range old.Permissions {
		f.Permissions = append(f.Permissions, string(p))
	}
	return f
}

func (d *Dashboard) renderKeys(w http.ResponseWriter, r *request, status int, f keyForm, p *problems) error {
	keys, err := d.svc.ListUserAPIKeys(r.Context(), r.User.ID)
	if err != nil {
		return err
	}
	data := keysData{Form: f}
	now := d.svc.Now()
	for _, k := range keys {
		data.Keys = append(data.Keys, listedKey{APIKey: k, RotationDue: k.RevokedAt == nil && now.Sub(k.CreatedAt) >= rotateAfter})
	}
	for _, perm := range service.Permissions {
		data.Permissions = append(data.Permissions, permissionChoice{
			Permission: perm, Description: permissionDescriptions[perm],
			Checked: slices.Contains(f.Permissions, string(perm)),
		})
	}
	return d.render(w, r, status, "keys", page{Title: "API Keys", Nav: "keys", Problems: p, Data: data})
}

type keyCreated struct {
	Key      service.APIKey
	Secret   string
	APIBase  string          // where the API is, for the example
	Replaces *service.APIKey // the key this one rotates, to revoke once the program uses this one
}

func (d *Dashboard) createKey(w http.ResponseWriter, r *request) error {
	if err := readForm(w, r.Request, smallFormLimit); err != nil {
		return err
	}
	f := keyForm{
		Name:        r.PostForm.Get("name"),
		Mode:        r.PostForm.Get("mode"),
		Permissions: r.PostForm["permissions"],
	}
	if f.Mode == "" {
		f.Mode = string(r.Mode)
	}
	if id := r.PostForm.Get("replaces"); id != "" {
		old, err := d.userKey(r, id)
		if err != nil {
			return err
		}
		f.Replaces = &old
	}
	perms, err := service.ParsePermissions(f.Permissions)
	if err == nil {
		var key service.APIKey
		var secret string
		key, secret, err = d.svc.CreateUserAPIKey(r.Context(), r.User.ID, f.Name, service.Mode(f.Mode), perms)
		if err == nil {
			// The only time the key is shown: nothing may keep this page.
			w.Header().Set("Cache-Control", "no-store")
			return d.render(w, r, http.StatusCreated, "key_created", page{
				Title: "API key created", Nav: "keys",
				Data: keyCreated{Key: key, Secret: secret, APIBase: d.publicBase(r.Request), Replaces: f.Replaces},
			})
		}
	}
	if p, ok := formProblems(err); ok {
		return d.renderKeys(w, r, http.StatusUnprocessableEntity, f, p)
	}
	return err
}

// userKey returns the user's key id, or NotFound when the user has none by that id.
func (d *Dashboard) userKey(r *request, id string) (service.APIKey, error) {
	keys, err := d.svc.ListUserAPIKeys(r.Context(), r.User.ID)
	if err != nil {
		return service.APIKey{}, err
	}
	for _, k := range keys {
		if k.ID == id {
			return k, nil
		}
	}
	return service.APIKey{}, service.NotFound("API key")
}

func (d *Dashboard) revokeKeyPage(w http.ResponseWriter, r *request) error {
	k, err := d.userKey(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	return d.render(w, r, 0, "key_revoke", page{Title: "Revoke API key", Nav: "keys", Data: k})
}

func (d *Dashboard) revokeKey(w http.ResponseWriter, r *request) error {
	k, err := d.svc.RevokeUserAPIKey(r.Context(), r.User.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	return d.redirect(w, r, "/settings/api-keys", "The key “"+k.Name+"” is revoked: the API refuses it from now on.")
}
