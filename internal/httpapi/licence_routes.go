package httpapi

import (
	"bytes"
	"errors"
	"net/http"

	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/cmdb"
)

// maxCSVBody is the largest CSV import taken.
const maxCSVBody = 16 << 20

// assignmentBody is the body that assigns a licence to a person.
type assignmentBody struct {
	Person string `json:"person"`
}

func (a *API) licenceRoutes() []Route {
	lic := Param{Name: "name", In: "path", Description: "the licence item's name"}
	class := Param{Name: "class", In: "path", Description: "the class's name"}
	return []Route{
		{Method: "GET", Path: "/api/v1/licences", Summary: "Licence compliance: seats used by installs and assignments, unused and over-quota seats with their cost, days to expiry", Tag: "cmdb", Role: auth.Viewer,
			Response: List[cmdb.LicenceReport]{}, Status: 200, Handle: a.listLicences},
		{Method: "GET", Path: "/api/v1/licences/{name}", Summary: "One licence's compliance", Tag: "cmdb", Role: auth.Viewer, Query: []Param{lic},
			Response: cmdb.LicenceReport{}, Status: 200, Handle: a.getLicence},
		{Method: "POST", Path: "/api/v1/licences/{name}/assignments", Summary: "Assign a licence to a person from the people directory (takes a seat)", Tag: "cmdb", Role: auth.Operator, Query: []Param{lic},
			Request: assignmentBody{}, Response: cmdb.LicenceReport{}, Status: 201, Handle: a.assignLicence},
		{Method: "DELETE", Path: "/api/v1/licences/{name}/assignments/{person}", Summary: "Take a licence back from a person", Tag: "cmdb", Role: auth.Operator,
			Query: []Param{lic, {Name: "person", In: "path", Description: "the person's name"}}, Status: 204, Handle: a.unassignLicence},
		{Method: "GET", Path: "/api/v1/ci-classes/{class}/csv", Summary: "Export a class's items as CSV: name, owner, location, lifecycle, then the class's attributes", Tag: "cmdb", Role: auth.Viewer,
			Query: []Param{class}, RawResponse: "text/csv", Status: 200, Handle: a.exportCSV},
		{Method: "POST", Path: "/api/v1/ci-classes/{class}/csv", Summary: "Import a class's items from CSV (text/csv, the export's format): created and updated, all or nothing", Tag: "cmdb", Role: auth.Operator,
			Description: "Every bad row is named in the problem's errors with its line and column; when any is bad nothing is written. Columns the header leaves out are kept on existing items; an empty cell clears a value.",
			Query:       []Param{class}, RawRequest: "text/csv", Response: cmdb.ImportResult{}, Status: 200, Handle: a.importCSV},
	}
}

func (a *API) licences() (*cmdb.Licences, error) {
	if a.deps.Licences == nil {
		return nil, newProblem(http.StatusNotFound, "the CMDB is not available on this server")
	}
	return a.deps.Licences, nil
}

func (a *API) listLicences(w http.ResponseWriter, r *http.Request) error {
	l, err := a.licences()
	if err != nil {
		return err
	}
	out, err := l.Reports(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list(out, ""))
	return nil
}

func (a *API) getLicence(w http.ResponseWriter, r *http.Request) error {
	l, err := a.licences()
	if err != nil {
		return err
	}
	out, err := l.Report(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) assignLicence(w http.ResponseWriter, r *http.Request) error {
	l, err := a.licences()
	if err != nil {
		return err
	}
	var b assignmentBody
	if err := decodeJSON(w, r, &b); err != nil {
		return err
	}
	name := r.PathValue("name")
	if err := l.Assign(r.Context(), actor(r), name, b.Person); err != nil {
		return err
	}
	out, err := l.Report(r.Context(), name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (a *API) unassignLicence(w http.ResponseWriter, r *http.Request) error {
	l, err := a.licences()
	if err != nil {
		return err
	}
	if err := l.Unassign(r.Context(), actor(r), r.PathValue("name"), r.PathValue("person")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) exportCSV(w http.ResponseWriter, r *http.Request) error {
	c, err := a.cmdbStore()
	if err != nil {
		return err
	}
	class := r.PathValue("class")
	var b bytes.Buffer
	if err := c.ExportCSV(r.Context(), class, &b); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+class+`.csv"`)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b.Bytes())
	return nil
}

func (a *API) importCSV(w http.ResponseWriter, r *http.Request) error {
	c, err := a.cmdbStore()
	if err != nil {
		return err
	}
	res, err := c.ImportCSV(r.Context(), actor(r), r.PathValue("class"), http.MaxBytesReader(w, r.Body, maxCSVBody))
	if p := csvProblem(err); p != nil {
		return p
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// csvProblem is the 400 naming every bad cell of a refused import, nil
// for any other error.
func csvProblem(err error) *Problem {
	var cp *cmdb.CSVProblems
	if !errors.As(err, &cp) {
		return nil
	}
	p := newProblem(http.StatusBadRequest, "the file has problems; nothing was written")
	p.Type = TypeValidation
	for _, e := range cp.Errors {
		d := e.Msg
		if e.Field != "" {
			d = e.Field + ": " + d
		}
		p.Errors = append(p.Errors, ProblemField{Detail: d, Line: e.Line, Column: e.Column})
	}
	return p
}
