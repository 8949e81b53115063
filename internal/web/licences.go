package web

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/cmdb"
)

// ciLicence is a licence's seats and expiry as its page and the licences
// list show them, the amounts in the config's currency.
type ciLicence struct {
	cmdb.LicenceReport
	SeatsText, CostPerSeatText, OverCostText, UnusedCostText string
	// ExpiryText says when it expires, relative to today.
	ExpiryText string
	// Problem is why the last assignment was refused; Person what was
	// typed. Done is the outcome of the last change ("assigned",
	// "unassigned").
	Problem, Person, Done string
}

func (u *UI) licenceRow(r cmdb.LicenceReport) *ciLicence {
	l := &ciLicence{LicenceReport: r, SeatsText: strconv.Itoa(r.Seats), CostPerSeatText: u.money(r.CostPerSeat),
		OverCostText: u.money(r.OverCost), UnusedCostText: u.money(r.UnusedCost)}
	if r.Unlimited {
		l.SeatsText = "unlimited"
	}
	if r.DaysToExpiry != nil {
		switch d := *r.DaysToExpiry; {
		case d < 0:
			l.ExpiryText = "expired " + pluralDays(-d) + " ago"
		case d == 0:
			l.ExpiryText = "expires today"
		default:
			l.ExpiryText = "in " + pluralDays(d)
		}
	}
	return l
}

func pluralDays(n int) string {
	if n == 1 {
		return "1 day"
	}
	return strconv.Itoa(n) + " days"
}

// licencesPage is the data of the licences list.
type licencesPage struct {
	Licences []*ciLicence
	// OverCost is the cost of every licence's over-quota seats, and
	// Over how many licences are over quota.
	OverCost string
	Over     int
}

func (u *UI) listLicences(w http.ResponseWriter, r *http.Request) error {
	if u.deps.Licences == nil {
		return errPageNotFound
	}
	reps, err := u.deps.Licences.Reports(r.Context())
	if err != nil {
		return err
	}
	p := licencesPage{}
	total := 0.0
	for _, rep := range reps {
		p.Licences = append(p.Licences, u.licenceRow(rep))
		total += rep.OverCost
		if rep.Over > 0 {
			p.Over++
		}
	}
	p.OverCost = u.money(total)
	u.render(w, r, http.StatusOK, "licences.html", "Licences", p)
	return nil
}

// assignLicence assigns the licence on whose page the form is to a
// person; a refusal shows the page again with the reason by the field.
func (u *UI) assignLicence(w http.ResponseWriter, r *http.Request) error {
	if u.deps.Licences == nil {
		return errPageNotFound
	}
	name, person := r.PathValue("name"), strings.TrimSpace(r.PostFormValue("person"))
	err := u.deps.Licences.Assign(r.Context(), principal(r).Actor(), name, person)
	var inv *apperr.Invalid
	if errors.As(err, &inv) || errors.Is(err, apperr.ErrConflict) {
		p, perr := u.ciPageOf(r, name)
		if perr != nil {
			return perr
		}
		p.Licence.Person, p.Licence.Problem = person, userMessage(err, apperr.ErrConflict)
		if inv != nil {
			p.Licence.Problem = inv.Fields[0].Msg
		}
		u.render(w, r, http.StatusUnprocessableEntity, "ci.html", name, p)
		return nil
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/cis/"+url.PathEscape(name)+"?done=assigned#seats", http.StatusSeeOther)
	return nil
}

func (u *UI) unassignLicence(w http.ResponseWriter, r *http.Request) error {
	if u.deps.Licences == nil {
		return errPageNotFound
	}
	name := r.PathValue("name")
	if err := u.deps.Licences.Unassign(r.Context(), principal(r).Actor(), name, r.PathValue("person")); err != nil {
		return err
	}
	http.Redirect(w, r, "/cis/"+url.PathEscape(name)+"?done=unassigned#seats", http.StatusSeeOther)
	return nil
}

// ciCSV is a class's export link and import form on its list page.
type ciCSV struct {
	Class, Header string
	// Problems are the last import's, each with its line and column;
	// nothing was written.
	Problems []cmdb.CSVError
	// Imported is set after an import, with what it did.
	Imported                    bool
	Created, Updated, Unchanged int
}

// done reads the outcome of the import that redirected here.
func (c *ciCSV) done(r *http.Request) {
	q := r.URL.Query()
	if c == nil || q.Get("imported") == "" {
		return
	}
	c.Imported = true
	c.Created, _ = strconv.Atoi(q.Get("created"))
	c.Updated, _ = strconv.Atoi(q.Get("updated"))
	c.Unchanged, _ = strconv.Atoi(q.Get("unchanged"))
}

func (u *UI) exportCSV(w http.ResponseWriter, r *http.Request) error {
	if u.deps.CMDB == nil {
		return errPageNotFound
	}
	class := r.PathValue("class")
	var b bytes.Buffer
	if err := u.deps.CMDB.ExportCSV(r.Context(), class, &b); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+class+`.csv"`)
	_, _ = w.Write(b.Bytes())
	return nil
}

// importCSV imports an uploaded (or pasted) CSV into a class. A file
// with problems shows the class's list again with each problem at its
// line and column; nothing was written.
func (u *UI) importCSV(w http.ResponseWriter, r *http.Request) error {
	if u.deps.CMDB == nil {
		return errPageNotFound
	}
	class := r.PathValue("class")
	var in io.Reader = strings.NewReader(r.PostFormValue("csv"))
	if f, _, err := r.FormFile("file"); err == nil {
		defer f.Close()
		if text := r.PostFormValue("csv"); strings.TrimSpace(text) == "" {
			in = f
		}
	}
	res, err := u.deps.CMDB.ImportCSV(r.Context(), principal(r).Actor(), class, in)
	var cp *cmdb.CSVProblems
	if errors.As(err, &cp) {
		lp, lerr := u.ciList(r, class)
		if lerr != nil {
			return lerr
		}
		lp.CSV.Problems = cp.Errors
		u.render(w, r, http.StatusUnprocessableEntity, "cis.html", "Configuration items", lp)
		return nil
	}
	if err != nil {
		return err
	}
	q := url.Values{"class": {class}, "imported": {"1"}, "created": {strconv.Itoa(len(res.Created))},
		"updated": {strconv.Itoa(len(res.Updated))}, "unchanged": {strconv.Itoa(len(res.Unchanged))}}
	http.Redirect(w, r, "/cis?"+q.Encode()+"#csv", http.StatusSeeOther)
	return nil
}
