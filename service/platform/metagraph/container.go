package metagraph

// Threads and Instagram publish the same way, each post a media container that is then
// published (each platform's adapter says what its containers hold):
//
//  1. POST {api}{version}/{user-id}/{CreateEdge} → {id} of a container. A carousel is one
//     container per item first (the caller's items), then the top container with their
//     ids as children, comma-separated.
//  2. GET {api}{version}/{container}?fields=<state>,<reason> until the state is FINISHED
//     (the platform fetches the media in between: IN_PROGRESS). ERROR is Permanent with
//     the platform's reason; EXPIRED (not published within 24 hours) Transient, as a retry
//     makes a new container; PUBLISHED Permanent. Polling is bounded by the context's
//     deadline and maxWait, every interval; a container still processing when the next
//     poll would pass them is Transient (an unpublished container is harmless: it expires).
//  3. POST {api}{version}/{user-id}/{PublishEdge} with creation_id → {id} of the post.
//  4. GET {api}{version}/{id}?fields=permalink for the public URL. Once the post is
//     published a failure of that read is not an error (a retry could only post twice):
//     the Ref then has the id and no URL.

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/octopost/octopost/service/netpolicy"
	"github.com/octopost/octopost/service/platform"
)

// Containers is one platform's container flow.
type Containers struct {
	Graph Graph
	// Version is the API version path ("/v1.0"); CreateEdge and PublishEdge the user's
	// edges ("threads", "threads_publish").
	Version, CreateEdge, PublishEdge string
	// State and Reason are the status fields: the container's state and the reason of an
	// ERROR ("status", "error_message" on Threads; "status_code", "status" on Instagram).
	State, Reason string
	// IDField and PictureField are the account's fields in /me (account.go).
	IDField, PictureField string
}

// Post creates the items' containers and waits for them, then the top container with
// them as children (when there are items), waits for it, publishes it and reads its URL.
func (c Containers) Post(ctx context.Context, token, userID string, items []url.Values, top url.Values, interval, maxWait time.Duration) (platform.Ref, error) {
	if len(items) > 0 {
		var children []string
		for _, item := range items {
			id, err := c.Container(ctx, token, userID, item)
			if err != nil {
				return platform.Ref{}, err
			}
			children = append(children, id)
		}
		for _, id := range children {
			if err := c.Wait(ctx, token, id, interval, maxWait); err != nil {
				return platform.Ref{}, err
			}
		}
		top.Set("children", strings.Join(children, ","))
	}
	container, err := c.Container(ctx, token, userID, top)
	if err != nil {
		return platform.Ref{}, err
	}
	if err := c.Wait(ctx, token, container, interval, maxWait); err != nil {
		return platform.Ref{}, err
	}
	name := c.Graph.Rules.Name
	var published struct {
		ID ID `json:"id"`
	}
	if err := c.Graph.Call(ctx, http.MethodPost, c.Version+"/"+url.PathEscape(userID)+"/"+c.PublishEdge,
		url.Values{"creation_id": {container}}, token, &published); err != nil {
		return platform.Ref{}, err
	}
	if published.ID == "" {
		return platform.Ref{}, platform.Errorf(platform.Permanent, http.StatusOK,
			"%s published the post but its answer named no id; check the account before publishing again", name)
	}
	ref := platform.Ref{ID: string(published.ID)}
	var link struct {
		Permalink string `json:"permalink"`
	}
	// Published already: without its permalink the post still is, and a retry would post
	// it twice, so a failure here leaves the URL empty.
	if c.Graph.Call(ctx, http.MethodGet, c.Version+"/"+url.PathEscape(ref.ID), url.Values{"fields": {"permalink"}}, token, &link) == nil {
		ref.URL = link.Permalink
	}
	return ref, nil
}

// Container creates a media container and returns its id.
func (c Containers) Container(ctx context.Context, token, userID string, params url.Values) (string, error) {
	var out struct {
		ID ID `json:"id"`
	}
	if err := c.Graph.Call(ctx, http.MethodPost, c.Version+"/"+url.PathEscape(userID)+"/"+c.CreateEdge, params, token, &out); err != nil {
		return "", err
	}
	if out.ID == "" {
		return "", platform.Errorf(platform.Transient, http.StatusOK, "%s sent a container answer without an id", c.Graph.Rules.Name)
	}
	return string(out.ID), nil
}

// Wait polls a container's state every interval until it is FINISHED (see the top).
func (c Containers) Wait(ctx context.Context, token, id string, interval, maxWait time.Duration) error {
	name, now := c.Graph.Rules.Name, c.Graph.now()
	deadline := now().Add(maxWait)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	for {
		var st map[string]any
		if err := c.Graph.Call(ctx, http.MethodGet, c.Version+"/"+url.PathEscape(id),
			url.Values{"fields": {c.State + "," + c.Reason}}, token, &st); err != nil {
			return err
		}
		state, _ := st[c.State].(string)
		switch state {
		case "FINISHED":
			return nil
		case "ERROR":
			reason, _ := st[c.Reason].(string)
			return platform.Errorf(platform.Permanent, 0, "%s could not process the post's media: %s", name, cmp.Or(Redact(reason, []string{token}), "no reason given"))
		case "EXPIRED":
			return platform.Errorf(platform.Transient, 0, "%s let the post's container expire before it was published", name)
		case "PUBLISHED":
			return platform.Errorf(platform.Permanent, 0, "%s says the post's container is already published", name)
		}
		if now().Add(interval).After(deadline) {
			return platform.Errorf(platform.Transient, 0, "%s is still processing the post's media; it will be tried again", name)
		}
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%s: waiting for the container: %w", name, ctx.Err())
		case <-t.C:
		}
	}
}

// Publisher is the half of an adapter that Threads and Instagram share: the container
// flow and the account check (account.go), with the polling's timing.
type Publisher struct {
	Containers
	// PollInterval is how long to wait between two reads of a container's status, and
	// MaxWait the longest a publish waits for its containers (the context's deadline may
	// cut it shorter). Tests make them small.
	PollInterval time.Duration
	MaxWait      time.Duration
}

// NewPublisher returns c calling the Graph API at apiBase, without a version path, with
// c.Graph's rules. A nil client means netpolicy's client for public addresses.
func NewPublisher(client *http.Client, apiBase string, c Containers) Publisher {
	if client == nil {
		client = netpolicy.Client(false, 30*time.Second)
	}
	c.Graph = Graph{HTTP: client, Base: strings.TrimSuffix(apiBase, "/"), Now: time.Now, Rules: c.Graph.Rules}
	return Publisher{Containers: c, PollInterval: 3 * time.Second, MaxWait: 5 * time.Minute}
}
