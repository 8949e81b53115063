package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/monitor"
	"github.com/sextant-ops/sextant/internal/setup"
)

// integrationInputs are the integration form's inputs.
var integrationInputs = map[string]string{
	"name": "Name", "kind": "Kind", "service": "Service", "service_label": "Service label", "escalation": "Escalation policy",
	"severities": "Severities", "severities.critical": "critical", "severities.error": "error", "severities.warning": "warning", "severities.info": "info",
	"rate_limit": "Rate limit", "auto_resolve": "Resolve with the source", "incident_per": "One incident per",
}

// integrationListPage is the data of the integration list.
type integrationListPage struct {
	Integrations []setup.IntegrationEntry
	Deleted      string
}

// integrationPage is the data of an integration's page. Key is set only
// right after the integration was created or its key rotated: it is shown
// that once.
type integrationPage struct {
	setup.IntegrationEntry
	Ingest  setup.Ingest
	Key     string
	Created bool
	Saved   bool
}

func (u *UI) listIntegrations(w http.ResponseWriter, r *http.Request) error {
	m, err := u.setupManager()
	if err != nil {
		return err
	}
	list, err := m.Integrations(r.Context())
	if err != nil {
		return err
	}
	u.render(w, r, http.StatusOK, "integrations.html", "Integrations", integrationListPage{Integrations: list, Deleted: r.URL.Query().Get("deleted")})
	return nil
}

func (u *UI) showIntegration(w http.ResponseWriter, r *http.Request) error {
	return u.renderIntegration(w, r, r.PathValue("name"), "", false)
}

// renderIntegration shows an integration with its ingest URL and
// snippets, holding key when it is being shown.
func (u *UI) renderIntegration(w http.ResponseWriter, r *http.Request, name, key string, created bool) error {
	m, err := u.setupManager()
	if err != nil {
		return err
	}
	e, err := m.GetIntegration(r.Context(), name)
	if err != nil {
		return err
	}
	p := integrationPage{IntegrationEntry: e, Ingest: setup.IngestFor(monitor.BaseURL(u.deps.PublicURL, r), e.Integration, key), Key: key,
		Created: created, Saved: r.URL.Query().Get("saved") != ""}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	u.render(w, r, status, "integration.html", "Integration "+name, p)
	return nil
}

// rotateIntegrationKey gives the integration a new key and shows it once.
func (u *UI) rotateIntegrationKey(w http.ResponseWriter, r *http.Request) error {
	m, err := u.setupManager()
	if err != nil {
		return err
	}
	key, err := m.RotateKey(r.Context(), principal(r).Actor(), r.PathValue("name"))
	if err != nil {
		return err
	}
	return u.renderIntegration(w, r, r.PathValue("name"), key, false)
}

// integrationForm is the form of an integration (empty for a new one).
func (u *UI) integrationForm(ctx context.Context, in setup.Integration, create bool) *setupForm {
	v := map[string]string{"name": in.Name, "kind": in.Kind, "service": in.Service, "service_label": in.ServiceLabel, "escalation": in.Escalation,
		"rate_limit": in.RateLimit, "incident_per": in.IncidentPer}
	for sev, st := range in.Severities {
		v["severities."+sev] = st
	}
	if in.AutoResolve == nil || *in.AutoResolve {
		v["auto_resolve"] = "on"
	}
	if create && v["kind"] == "" {
		v["kind"] = incident.KindAlertmanager
	}
	f := &setupForm{Create: create, Name: in.Name, V: v, tmpl: "integration_form.html", noun: "integration", labels: integrationInputs}
	if create {
		f.Title, f.Action, f.Cancel = "New integration", "/integrations/new", "/integrations"
	} else {
		f.Title, f.Action, f.Cancel = "Edit integration "+in.Name, "/integrations/"+url.PathEscape(in.Name)+"/edit", "/integrations/"+url.PathEscape(in.Name)
	}
	if cat, err := u.deps.Catalog.Load(ctx); err == nil {
		for _, s := range cat.Services {
			f.Services = append(f.Services, s.Name)
		}
	}
	if pols, err := u.deps.Setup.Policies(ctx); err == nil {
		for _, p := range pols {
			f.Policies = append(f.Policies, p.Name)
		}
	}
	return f
}

// parseIntegrationForm reads a submitted integration form.
func (u *UI) parseIntegrationForm(r *http.Request, name string, create bool) (*setupForm, setup.Integration) {
	names := []string{"name", "kind", "service", "service_label", "escalation", "rate_limit", "auto_resolve", "incident_per"}
	for _, sev := range incident.Severities {
		names = append(names, "severities."+sev)
	}
	v := formValues(r, names...)
	if !create {
		v["name"] = name
	}
	f := u.integrationForm(r.Context(), setup.Integration{}, create)
	f.V, f.Name = v, v["name"]
	in := setup.Integration{Name: v["name"], Kind: v["kind"], Service: v["service"], ServiceLabel: v["service_label"], Escalation: v["escalation"],
		RateLimit: v["rate_limit"], IncidentPer: v["incident_per"]}
	for _, sev := range incident.Severities {
		if st := v["severities."+sev]; st != "" {
			if in.Severities == nil {
				in.Severities = map[string]string{}
			}
			in.Severities[sev] = st
		}
	}
	if v["auto_resolve"] != "on" {
		off := false
		in.AutoResolve = &off
	}
	return f, in
}

func (u *UI) newIntegration(w http.ResponseWriter, r *http.Request) error {
	if _, err := u.setupManager(); err != nil {
		return err
	}
	f := u.integrationForm(r.Context(), setup.Integration{}, true)
	u.render(w, r, http.StatusOK, f.template(), f.pageTitle(), f)
	return nil
}

func (u *UI) editIntegration(w http.ResponseWriter, r *http.Request) error {
	m, err := u.setupManager()
	if err != nil {
		return err
	}
	e, err := m.GetIntegration(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	if e.ReadOnly() {
		return apperr.Conflict("integration %q is declared in %s and read-only here; change it there", e.Name, e.DeclaredIn)
	}
	f := u.integrationForm(r.Context(), e.Integration, false)
	u.render(w, r, http.StatusOK, f.template(), f.pageTitle(), f)
	return nil
}

// createIntegration stores a new integration and shows its key, once.
func (u *UI) createIntegration(w http.ResponseWriter, r *http.Request) error {
	m, err := u.setupManager()
	if err != nil {
		return err
	}
	f, in := u.parseIntegrationForm(r, "", true)
	key := ""
	return u.saveSetup(w, r, f, nil,
		func(ctx context.Context) error { return m.ValidateIntegration(ctx, in) },
		func(ctx context.Context) (string, error) {
			_, k, err := m.CreateIntegration(ctx, principal(r).Actor(), in)
			key = k
			return in.Name, err
		}, func(name string) error { return u.renderIntegration(w, r, name, key, true) })
}

func (u *UI) updateIntegration(w http.ResponseWriter, r *http.Request) error {
	m, err := u.setupManager()
	if err != nil {
		return err
	}
	f, in := u.parseIntegrationForm(r, r.PathValue("name"), false)
	return u.saveSetup(w, r, f, nil,
		func(ctx context.Context) error { return m.ValidateIntegration(ctx, in) },
		func(ctx context.Context) (string, error) {
			_, err := m.ReplaceIntegration(ctx, principal(r).Actor(), in)
			return in.Name, err
		}, redirectSaved(w, r, "/integrations"))
}

// severityStates are the choices of a severity's effect on its service.
var severityStates = []string{"", "down", "degraded", "none"}

// IsAlertmanager reports whether the page's integration takes Alertmanager
// webhooks.
func (p integrationPage) IsAlertmanager() bool { return p.Kind == incident.KindAlertmanager }

// SeverityChoices are the options of one severity's select.
func (f *setupForm) SeverityChoices(sev string) []option {
	return f.Choices("severities."+sev, severityStates...)
}

// Severities lists the severities an integration maps, in order.
func (f *setupForm) Severities() []string { return slices.Clone(incident.Severities) }
