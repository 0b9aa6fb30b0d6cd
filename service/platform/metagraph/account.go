package metagraph

// A Threads or Instagram account is checked by reading whose its token is, GET
// {api}{version}/me?fields=<id>,username,name,<picture> (the fields differ: Threads' id and
// threads_profile_picture_url, Instagram's user_id, the professional account's id, and
// profile_picture_url). A refused token is InvalidCredentials there (the token given is
// wrong) and TokenRejected again when a publish had to read the user id first (the stored
// token died). The user id is kept in the credentials (KeyUserID) for the publishing paths.

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"

	"github.com/octopost/octopost/service/platform"
)

const (
	// KeyAccessToken is the credential holding the account's long-lived access token.
	KeyAccessToken = platform.KeyOAuthAccessToken
	// KeyUserID is the credential holding the account's user id.
	KeyUserID = "user_id"
)

// Connect checks the access token by reading whose it is and returns that profile, with
// the credentials to store: those given, plus the user id.
func (c Containers) Connect(ctx context.Context, creds platform.Credentials) (platform.Profile, platform.Credentials, error) {
	name := c.Graph.Rules.Name
	token := creds[KeyAccessToken]
	if token == "" {
		return platform.Profile{}, nil, platform.Errorf(platform.InvalidCredentials, 0, "%s: access_token is required", name)
	}
	var me map[string]json.RawMessage
	params := url.Values{"fields": {c.IDField + ",username,name," + c.PictureField}}
	if err := c.Graph.Call(ctx, http.MethodGet, c.Version+"/me", params, token, &me); err != nil {
		var pe *platform.Error
		if errors.As(err, &pe) && pe.Kind == platform.TokenRejected {
			return platform.Profile{}, nil, &platform.Error{Kind: platform.InvalidCredentials, Status: pe.Status, Message: pe.Message}
		}
		return platform.Profile{}, nil, err
	}
	var id ID
	var username, display, picture string
	_ = json.Unmarshal(me[c.IDField], &id) // an absent or odd id is refused below
	_ = json.Unmarshal(me["username"], &username)
	_ = json.Unmarshal(me["name"], &display)
	_ = json.Unmarshal(me[c.PictureField], &picture)
	if id == "" {
		article := "a "
		if c.IDField == "id" {
			article = "an "
		}
		return platform.Profile{}, nil, platform.Errorf(platform.Transient, 0, "%s sent a profile without %s%s", name, article, c.IDField)
	}
	out := platform.Credentials{}
	for k, v := range creds {
		out[k] = v
	}
	out[KeyUserID] = string(id)
	return platform.Profile{UserID: string(id), Username: username, DisplayName: cmp.Or(display, username), AvatarURL: picture}, out, nil
}

// UserID is the account's user id from the credentials, read with Connect when they lack
// it (changed is then the credentials to store).
func (c Containers) UserID(ctx context.Context, creds platform.Credentials) (userID string, changed platform.Credentials, err error) {
	if id := creds[KeyUserID]; id != "" {
		return id, nil, nil
	}
	_, withID, err := c.Connect(ctx, creds)
	if err != nil {
		var pe *platform.Error
		if errors.As(err, &pe) && pe.Kind == platform.InvalidCredentials {
			return "", nil, &platform.Error{Kind: platform.TokenRejected, Status: pe.Status, Message: pe.Message}
		}
		return "", nil, err
	}
	return withID[KeyUserID], withID, nil
}
