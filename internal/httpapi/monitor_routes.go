package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/monitor"
)

// AgentResults is what an agent posts: the results it ran at its location.
type AgentResults struct {
	Location string           `json:"location"`
	Results  []monitor.Result `json:"results"`
}

// Accepted answers a durable write.
type Accepted struct {
	Accepted int `json:"accepted"`
}

// PingAnswer answers a heartbeat.
type PingAnswer struct {
	Check string `json:"check"`
	State string `json:"state"`
}

// What the check routes' documentation says of write-only credentials.
const (
	credentialsRead  = `Credentials are write-only: the value of a sensitive header (Authorization, Proxy-Authorization, Cookie, and any header whose name contains auth, token, key, secret, password, passwd, session, cookie, credential or signature) and a basic-auth password are shown as "[set]", e.g. "headers": {"Authorization": "[set]", "Accept": "application/json"}, "basic_auth": {"username": "probe", "password": "[set]"}.`
	credentialsWrite = `Credentials are write-only. In headers, a sensitive header left out or sent as "[set]" keeps its stored value, "" (or null) removes it, any other value replaces it. basic_auth left out keeps the stored one; {"username": ""} removes it; a password left out or sent as "[set]" keeps the stored one, "" removes it. So a check read, changed and written back keeps its credentials. A password in the URL (https://user:pass@host) is refused: use basic_auth.`
)

// MaxAgentBatch is the most results one agent post may carry.
const MaxAgentBatch = 5000

func (a *API) monitorRoutes() []Route {
	name := Param{Name: "name", In: "path", Description: "the check's name"}
	token := Param{Name: "token", In: "path", Description: "the heartbeat's secret token, from its ping URL"}
	backupPing := []Param{{Name: "data_point", In: "query", Description: "backup jobs: the RFC 3339 instant the backup's data reached (default: now)"},
		{Name: "bytes", In: "query", Description: "backup jobs: the backup's size in bytes"}}
	rangeParams := []Param{name,
		{Name: "from", In: "query", Description: "RFC 3339 (default: 24 hours ago)"},
		{Name: "to", In: "query", Description: "RFC 3339, exclusive (default: now)"},
	}
	return []Route{
		{Method: "GET", Path: "/api/v1/checks", Description: credentialsRead, Summary: "List checks with their current state", Tag: "monitoring", Role: auth.Viewer,
			Query:    append([]Param{{Name: "service", In: "query", Description: "only the checks of this service"}, {Name: "state", In: "query", Description: "only checks in this state"}}, pageParams...),
			Response: List[monitor.Status]{}, Status: 200, Handle: a.listChecks},
		{Method: "POST", Path: "/api/v1/checks", Summary: "Create a check", Description: credentialsWrite, Tag: "monitoring", Role: auth.Operator,
			Request: monitor.Check{}, Response: monitor.Status{}, Status: 201, Handle: a.createCheck},
		{Method: "GET", Path: "/api/v1/checks/{name}", Summary: "Get a check: state, last result with its reason, latency; a heartbeat's ping URL", Description: credentialsRead, Tag: "monitoring", Role: auth.Viewer,
			Query: []Param{name}, Response: monitor.Status{}, Status: 200, Handle: a.getCheck},
		{Method: "PUT", Path: "/api/v1/checks/{name}", Summary: "Replace a check", Description: credentialsWrite, Tag: "monitoring", Role: auth.Operator,
			Query: []Param{name}, Request: monitor.Check{}, Response: monitor.Status{}, Status: 200, Handle: a.replaceCheck},
		{Method: "DELETE", Path: "/api/v1/checks/{name}", Summary: "Delete a check", Tag: "monitoring", Role: auth.Operator,
			Query: []Param{name}, Status: 204, Handle: a.deleteCheck},
		{Method: "GET", Path: "/api/v1/checks/{name}/uptime", Summary: "A check's uptime over 24 h, 7 d, 30 d and 90 d, raw and in service hours", Tag: "monitoring", Role: auth.Viewer,
			Description: "Measured on the check's state transitions, never by counting results: raw is time up ÷ time observed (unknown time — before the check's first state, and while paused — is not observed); in_hours is the availability engine's figure for the check alone in the service's hours, its maintenance and the unobserved time left out. The check page shows the same figures.",
			Query:       []Param{name}, Response: UptimeAnswer{}, Status: 200, Handle: a.checkUptime},
		{Method: "POST", Path: "/api/v1/checks/{name}/pause", Summary: "Pause a check", Tag: "monitoring", Role: auth.Operator,
			Description: "A paused check is not run, results still arriving for it are dropped and a heartbeat's pings are acknowledged but not recorded; its state and its input to the service's timeline are unknown from now. Pausing a paused check changes nothing.",
			Query:       []Param{name}, Response: monitor.Status{}, Status: 200, Handle: a.pauseCheck},
		{Method: "POST", Path: "/api/v1/checks/{name}/resume", Summary: "Resume a paused check", Tag: "monitoring", Role: auth.Operator,
			Description: "The check runs again, its locations starting afresh; it stays unknown until results decide its state. A heartbeat's period starts again from now.",
			Query:       []Param{name}, Response: monitor.Status{}, Status: 200, Handle: a.resumeCheck},
		{Method: "GET", Path: "/api/v1/checks/{name}/results", Summary: "Raw results, newest first", Tag: "monitoring", Role: auth.Viewer,
			Query:    append(rangeParams, Param{Name: "limit", In: "query", Type: "integer", Description: "at most this many (1 to 1000, default 100)"}),
			Response: List[monitor.Result]{}, Status: 200, Handle: a.checkResults},
		{Method: "GET", Path: "/api/v1/checks/{name}/rollups", Summary: "Hourly or daily rollups: count, failures, latency percentiles", Tag: "monitoring", Role: auth.Viewer,
			Query:    append(rangeParams, Param{Name: "granularity", In: "query", Description: "hour (default) or day"}),
			Response: List[monitor.Rollup]{}, Status: 200, Handle: a.checkRollups},
		{Method: "GET", Path: "/api/v1/heartbeats/{token}", Summary: "Heartbeat ping: the job ran (a backup job: it succeeded)", Tag: "monitoring",
			Query: append([]Param{token}, backupPing...), Response: PingAnswer{}, Status: 200, Handle: a.ping("")},
		{Method: "POST", Path: "/api/v1/heartbeats/{token}", Summary: "Heartbeat ping: the job ran (a backup job: it succeeded)", Tag: "monitoring",
			Query: append([]Param{token}, backupPing...), Response: PingAnswer{}, Status: 200, Handle: a.ping("")},
		{Method: "GET", Path: "/api/v1/heartbeats/{token}/{signal}", Summary: "Heartbeat signal: start (a run began) or fail (it failed)", Tag: "monitoring",
			Query: []Param{token, {Name: "signal", In: "path", Description: "start or fail"}}, Response: PingAnswer{}, Status: 200, Handle: a.ping("path")},
		{Method: "POST", Path: "/api/v1/heartbeats/{token}/{signal}", Summary: "Heartbeat signal: start (a run began) or fail (it failed)", Tag: "monitoring",
			Query: []Param{token, {Name: "signal", In: "path", Description: "start or fail"}}, Response: PingAnswer{}, Status: 200, Handle: a.ping("path")},
		{Method: "GET", Path: "/api/v1/agent/checks", Summary: "Every check an agent's location runs, in one answer (not paged: an agent needs them all)", Tag: "agents", Role: auth.Agent,
			Description: "The one answer with checks' real credentials: only for an agent token bound to a location, and only that location's checks. location may be left out; another location than the token's is refused (403).",
			Query:       []Param{{Name: "location", In: "query", Description: "the agent's location"}}, Response: List[monitor.Check]{}, Status: 200, Handle: a.agentChecks},
		{Method: "POST", Path: "/api/v1/agent/results", Summary: "Results from an agent; stored before the answer", Tag: "agents", Role: auth.Agent,
			Description: "Only an agent token bound to a location, for that location: results for another one are refused (403). location may be left out.",
			Request:     AgentResults{}, Response: Accepted{}, Status: 202, Handle: a.agentResults},
	}
}

// baseURL is how clients reach this server, for ping URLs.
func (a *API) baseURL(r *http.Request) string { return monitor.BaseURL(a.deps.PublicURL, r) }

func (a *API) listChecks(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var out []monitor.Status
	for _, s := range a.deps.Monitor.Statuses(a.baseURL(r)) {
		if (q.Get("service") == "" || s.Service == q.Get("service")) && (q.Get("state") == "" || s.State.String() == q.Get("state")) {
			out = append(out, s.Redacted())
		}
	}
	return writePaged(w, r, out, func(s monitor.Status) string { return s.Name })
}

func (a *API) getCheck(w http.ResponseWriter, r *http.Request) error {
	s, err := a.deps.Monitor.StatusOf(r.PathValue("name"), a.baseURL(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.Redacted())
	return nil
}

// UptimeAnswer is a check's uptime over each window.
type UptimeAnswer struct {
	Check   string                 `json:"check"`
	Windows []monitor.UptimeFigure `json:"windows"`
}

func (a *API) checkUptime(w http.ResponseWriter, r *http.Request) error {
	c, err := a.deps.Checks.Get(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	figures, _, err := monitor.CheckUptime(r.Context(), a.deps.Outages, a.deps.Catalog, c.Check, time.Now().UTC())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, UptimeAnswer{Check: c.Name, Windows: figures})
	return nil
}

func (a *API) pauseCheck(w http.ResponseWriter, r *http.Request) error {
	return a.setPaused(w, r, a.deps.Monitor.Pause)
}

func (a *API) resumeCheck(w http.ResponseWriter, r *http.Request) error {
	return a.setPaused(w, r, a.deps.Monitor.Resume)
}

// setPaused pauses or resumes a check and answers with its status.
func (a *API) setPaused(w http.ResponseWriter, r *http.Request, set func(ctx context.Context, actor, name string) (monitor.StoredCheck, error)) error {
	name := r.PathValue("name")
	if _, err := set(r.Context(), actor(r), name); err != nil {
		return err
	}
	return a.getCheck(w, r)
}

func (a *API) putCheck(w http.ResponseWriter, r *http.Request, mode catalog.Mode) error {
	var c monitor.Check
	if err := decodeJSON(w, r, &c); err != nil {
		return err
	}
	if mode == catalog.MustExist {
		name := r.PathValue("name")
		if c.Name == "" {
			c.Name = name
		}
		if c.Name != name {
			return badRequest("/name", "%q differs from the name in the URL (%q); renaming is not supported", c.Name, name)
		}
	}
	if _, err := a.deps.Checks.Put(r.Context(), actor(r), c, mode); err != nil {
		return err
	}
	if err := a.deps.Monitor.Load(r.Context()); err != nil {
		return err
	}
	s, err := a.deps.Monitor.StatusOf(c.Name, a.baseURL(r))
	if err != nil {
		return err
	}
	status := http.StatusOK
	if mode == catalog.MustCreate {
		status = http.StatusCreated
		w.Header().Set("Location", "/api/v1/checks/"+c.Name)
	}
	writeJSON(w, status, s.Redacted())
	return nil
}

func (a *API) createCheck(w http.ResponseWriter, r *http.Request) error {
	return a.putCheck(w, r, catalog.MustCreate)
}

func (a *API) replaceCheck(w http.ResponseWriter, r *http.Request) error {
	return a.putCheck(w, r, catalog.MustExist)
}

func (a *API) deleteCheck(w http.ResponseWriter, r *http.Request) error {
	if err := a.deps.Checks.Delete(r.Context(), actor(r), r.PathValue("name")); err != nil {
		return err
	}
	if err := a.deps.Monitor.Load(r.Context()); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// timeRange reads from and to, defaulting to the last 24 hours.
func timeRange(r *http.Request) (time.Time, time.Time, error) {
	return timeRangeAt(r, time.Now().UTC(), 24*time.Hour)
}

// timeRangeAt reads from and to as RFC 3339, to defaulting to now and
// from to span before to; to must be after from.
func timeRangeAt(r *http.Request, now time.Time, span time.Duration) (time.Time, time.Time, error) {
	to, from := now, time.Time{}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"from", &from}, {"to", &to}} {
		if v := r.URL.Query().Get(p.name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return from, to, badParam(p.name, "expected an RFC 3339 time, got %q", v)
			}
			*p.dst = t
		}
	}
	if from.IsZero() {
		from = to.Add(-span)
	}
	if !to.After(from) {
		return from, to, badParam("to", "must be after from")
	}
	return from, to, nil
}

func (a *API) checkResults(w http.ResponseWriter, r *http.Request) error {
	from, to, err := timeRange(r)
	if err != nil {
		return err
	}
	limit := 100
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			return badParam("limit", "must be a whole number from 1 to 1000, got %q", s)
		}
		limit = n
	}
	res, err := a.deps.Monitor.Results(r.Context(), r.PathValue("name"), from, to, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list(res, ""))
	return nil
}

func (a *API) checkRollups(w http.ResponseWriter, r *http.Request) error {
	from, to, err := timeRange(r)
	if err != nil {
		return err
	}
	g := r.URL.Query().Get("granularity")
	switch g {
	case "":
		g = "hour"
	case "hour", "day":
	default:
		return badParam("granularity", "must be hour or day, not %q", g)
	}
	if _, err := a.deps.Checks.Get(r.Context(), r.PathValue("name")); err != nil {
		return err
	}
	res, err := a.deps.Monitor.Rollups(r.Context(), r.PathValue("name"), g, from, to)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list(res, ""))
	return nil
}

// ping answers heartbeats: no credentials, the token in the URL is the
// secret. signalFrom "path" takes the signal from the URL.
func (a *API) ping(signalFrom string) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		signal := ""
		if signalFrom == "path" {
			signal = r.PathValue("signal")
			if signal != monitor.PingStart && signal != monitor.PingFail {
				return apperr.NotFound("heartbeat signal %q (use start or fail)", signal)
			}
		}
		token := r.PathValue("token")
		rep, err := parseBackupReport(r)
		if err != nil {
			return err
		}
		state, err := a.deps.Monitor.PingWith(r.Context(), token, signal, rep)
		if err != nil {
			return pingProblem(err)
		}
		sc, _ := a.deps.Checks.ByToken(r.Context(), token)
		writeJSON(w, http.StatusOK, PingAnswer{Check: sc.Name, State: state})
		return nil
	}
}

// agentLocation is the location of the agent token making the request.
// The agent endpoints hand out check credentials, so they serve only an
// agent token bound to a location, and only for that location: an admin,
// a session or an agent token made before tokens had locations is refused
// with what to do instead. asked is the location the request names; empty
// means the token's own.
func agentLocation(r *http.Request, asked string) (string, error) {
	p, _ := PrincipalFrom(r.Context())
	switch {
	case p.Kind != "token" || p.Role != auth.Agent:
		return "", fmt.Errorf("the agent endpoints serve only agent tokens, which are bound to a location (sextant token create --role agent --location NAME): %w", apperr.ErrForbidden)
	case p.Location == "":
		return "", fmt.Errorf("agent token %q is bound to no location; create one that is (sextant token create --role agent --location NAME) and use it instead: %w", p.Name, apperr.ErrForbidden)
	case asked != "" && asked != p.Location:
		return "", fmt.Errorf("agent token %q is bound to location %q, not %q; location %q needs a token of its own: %w", p.Name, p.Location, asked, asked, apperr.ErrForbidden)
	}
	return p.Location, nil
}

// agentChecks hands an agent its location's checks with their real
// credentials: the one place they leave the server.
func (a *API) agentChecks(w http.ResponseWriter, r *http.Request) error {
	loc := r.URL.Query().Get("location")
	if loc != "" && !catalog.ValidName(loc) {
		return badParam("location", "%q is not a location name (lower-case letters, digits, - and _)", loc)
	}
	loc, err := agentLocation(r, loc)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list(a.deps.Monitor.ChecksFor(loc), ""))
	return nil
}

func (a *API) agentResults(w http.ResponseWriter, r *http.Request) error {
	var body AgentResults
	if err := decodeJSON(w, r, &body); err != nil {
		return err
	}
	var inv apperr.Invalid
	if body.Location != "" && (!catalog.ValidName(body.Location) || body.Location == monitor.LocationLocal) {
		inv.Add("location", "%q is not an agent's location (lower-case letters, digits, - and _; not %q, which is the server's own)", body.Location, monitor.LocationLocal)
	}
	if err := inv.Err(); err != nil {
		return err
	}
	loc, err := agentLocation(r, body.Location)
	if err != nil {
		return err
	}
	body.Location = loc
	if len(body.Results) > MaxAgentBatch {
		inv.Add("results", "at most %d results per request", MaxAgentBatch)
	}
	now := time.Now()
	for i, res := range body.Results {
		switch {
		case res.Check == "":
			inv.Add("results["+strconv.Itoa(i)+"].check", "is required")
		case res.Location != "" && res.Location != body.Location:
			inv.Add("results["+strconv.Itoa(i)+"].location", "differs from the request's location %q", body.Location)
		case res.At.IsZero() || res.At.After(now.Add(5*time.Minute)):
			inv.Add("results["+strconv.Itoa(i)+"].at", "is required and must not lie in the future")
		case strings.TrimSpace(res.Outcome.String()) == "" || res.Outcome.String() == "unknown":
			inv.Add("results["+strconv.Itoa(i)+"].outcome", "must be up, degraded or down")
		}
		body.Results[i].Location = body.Location
	}
	if err := inv.Err(); err != nil {
		return err
	}
	if err := a.deps.Monitor.Record(r.Context(), body.Results); err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, Accepted{Accepted: len(body.Results)})
	return nil
}
