package web

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// TestAgentTokenForm: the admin form makes an agent token only with a
// location, and the list shows it.
func TestAgentTokenForm(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		admin := e.login("ada")
		res, body := e.post("/admin/tokens", url.Values{"name": {"agent-paris"}, "role": {"agent"}}, &admin)
		wantStatus(t, res, http.StatusUnprocessableEntity)
		wantContains(t, body, `<a href="#f-location">Location</a>: is required for an agent token`)
		res, body = e.post("/admin/tokens", url.Values{"name": {"ci"}, "role": {"viewer"}, "location": {"paris"}}, &admin)
		wantStatus(t, res, http.StatusUnprocessableEntity)
		wantContains(t, body, "only an agent token is bound to a location")
		res, body = e.post("/admin/tokens", url.Values{"name": {"agent-paris"}, "role": {"agent"}, "location": {"paris"}}, &admin)
		wantStatus(t, res, http.StatusCreated)
		wantContains(t, body, "(agent, location paris)", "--location paris")
		_, body = e.get("/admin/tokens", &admin)
		wantContains(t, body, `<td data-label="Location">paris</td>`)
	})
}
