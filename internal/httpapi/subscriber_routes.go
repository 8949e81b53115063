package httpapi

import (
	"net/http"
	"strconv"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/subscribe"
)

func (a *API) subscriberRoutes() []Route {
	page := Param{Name: "page", In: "path", Description: "the status page's name"}
	id := Param{Name: "id", In: "path", Type: "integer", Description: "the subscriber's id"}
	return []Route{
		{Method: "GET", Path: "/api/v1/status-pages/{page}/webhooks", Summary: "A status page's webhook subscribers (secrets never shown)", Tag: "status pages",
			Role: auth.Operator, Query: []Param{page}, Response: []subscribe.Subscriber{}, Status: 200, Handle: a.listWebhookSubscribers},
		{Method: "POST", Path: "/api/v1/status-pages/{page}/webhooks", Summary: "Add a webhook subscriber: each public update is posted to it, signed with its secret (audited)", Tag: "status pages",
			Description: "The body is {url, secret}; the secret (at least 16 characters) signs each delivery as webhook channels' are (X-Sextant-Timestamp, X-Sextant-Signature) and is never shown back.",
			Role:        auth.Operator, Query: []Param{page}, Request: subscribe.WebhookInput{}, Response: subscribe.Subscriber{}, Status: 201, Handle: a.addWebhookSubscriber},
		{Method: "DELETE", Path: "/api/v1/status-pages/{page}/webhooks/{id}", Summary: "Remove a webhook subscriber (audited)", Tag: "status pages",
			Role: auth.Operator, Query: []Param{page, id}, Status: 204, Handle: a.removeWebhookSubscriber},
	}
}

// statusPage checks the page named in the path.
func (a *API) statusPage(r *http.Request) (string, error) {
	name := r.PathValue("page")
	if a.deps.Subscribers == nil || a.deps.StatusPage == nil || !a.deps.StatusPage(name) {
		return "", apperr.NotFound("status page %q", name)
	}
	return name, nil
}

func (a *API) listWebhookSubscribers(w http.ResponseWriter, r *http.Request) error {
	page, err := a.statusPage(r)
	if err != nil {
		return err
	}
	subs, err := a.deps.Subscribers.Webhooks(r.Context(), page)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, subs)
	return nil
}

func (a *API) addWebhookSubscriber(w http.ResponseWriter, r *http.Request) error {
	page, err := a.statusPage(r)
	if err != nil {
		return err
	}
	var in subscribe.WebhookInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	sub, err := a.deps.Subscribers.AddWebhook(r.Context(), actor(r), page, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, sub)
	return nil
}

func (a *API) removeWebhookSubscriber(w http.ResponseWriter, r *http.Request) error {
	page, err := a.statusPage(r)
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return badParam("id", "expected a positive whole number, got %q", r.PathValue("id"))
	}
	if err := a.deps.Subscribers.RemoveWebhook(r.Context(), actor(r), page, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
