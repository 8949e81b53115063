package httpapi

import (
	"net/http"

	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/cmdb"
)

// cmdbFactsRoutes are discovery's: agents (sextant agent) report their
// host's facts with an agent token, the machine credential that may use
// the agent endpoints and nothing else, so a host's token cannot edit or
// remove items; people read what was found.
func (a *API) cmdbFactsRoutes() []Route {
	ci := Param{Name: "name", In: "path", Description: "the configuration item's name (the agent's --name, its host name by default)"}
	return []Route{
		{Method: "PUT", Path: "/api/v1/cis/{name}/facts", Summary: "Report a host's facts (sextant agent): creates the server item or updates its discovered attributes", Tag: "cmdb", Role: auth.Agent,
			Description: "Each fact is written into the attribute of the same name when the item's class has it and nobody else owns it (missing, or still what discovery wrote last); attributes a person set are left alone and listed under discovery.overridden. The item is audited only when an attribute changed; last_seen moves on every report.",
			Query:       []Param{ci}, Request: cmdb.Facts{}, Response: cmdb.FactsReport{}, Status: 200, Handle: a.reportCIFacts},
		{Method: "GET", Path: "/api/v1/cis/{name}/facts", Summary: "What the item's agent last reported, and when it was first and last seen", Tag: "cmdb", Role: auth.Viewer,
			Query: []Param{ci}, Response: cmdb.Discovery{}, Status: 200, Handle: a.getCIFacts},
	}
}

func (a *API) reportCIFacts(w http.ResponseWriter, r *http.Request) error {
	c, err := a.cmdbStore()
	if err != nil {
		return err
	}
	var f cmdb.Facts
	if err := decodeJSON(w, r, &f); err != nil {
		return err
	}
	out, err := c.ReportFacts(r.Context(), actor(r), r.PathValue("name"), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) getCIFacts(w http.ResponseWriter, r *http.Request) error {
	c, err := a.cmdbStore()
	if err != nil {
		return err
	}
	d, err := c.Discovery(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}
