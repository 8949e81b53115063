package incident

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/timeline"
)

// MaxAlertmanagerBody is the largest Alertmanager webhook taken. With its
// default max_alerts of 0 Alertmanager sends a whole group in one body and
// never retries a 4xx, so the limit is far above what a storm of several
// thousand alerts needs.
const MaxAlertmanagerBody = 32 << 20

// The ways an integration turns Alertmanager alerts into incidents.
const (
	// PerGroup opens one incident per Alertmanager group and service.
	PerGroup = "group"
	// PerAlert opens one incident per alert (its fingerprint is the dedup key).
	PerAlert = "alert"
)

// AMGroup is an Alertmanager webhook as decoded from its stream: the
// group's own fields and its alerts, each with its own JSON.
type AMGroup struct {
	Version         string
	GroupKey        string
	Status          string
	Receiver        string
	ExternalURL     string
	TruncatedAlerts int
	GroupLabels     map[string]string
	CommonLabels    map[string]string
	Alerts          []GroupAlert
	// Invalid lists alerts that could not be taken, naming the field.
	Invalid []string
}

// GroupAlert is one alert of a group with where it goes.
type GroupAlert struct {
	AMAlert
	// Raw is the alert's own JSON, compacted: what is stored for it.
	Raw json.RawMessage
	// Severity is the PagerDuty severity its labels map to.
	Severity string
	// Service receives the alert; empty when it is unrouted (its service
	// is unknown and the integration names none to fall back on).
	Service string
	// Named is the unknown service the alert's label named, when it was
	// routed elsewhere or left unrouted.
	Named string
}

// DecodeAlertmanager reads a webhook body token by token, so that a body
// of many thousands of alerts is never held twice: each alert is kept as
// its own compacted JSON and decoded fields. A malformed alert is listed
// in Invalid and skipped; only a body that is not a version-4 webhook at
// all is an error.
func DecodeAlertmanager(r io.Reader) (*AMGroup, error) {
	dec := json.NewDecoder(r)
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, errors.New("the body is not a JSON object")
	}
	g := &AMGroup{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("the body is not valid JSON: %w", err)
		}
		key, _ := t.(string)
		var target any
		switch key {
		case "alerts":
			if err := g.decodeAlerts(dec); err != nil {
				return nil, err
			}
			continue
		case "version":
			target = &g.Version
		case "groupKey":
			target = &g.GroupKey
		case "status":
			target = &g.Status
		case "receiver":
			target = &g.Receiver
		case "externalURL":
			target = &g.ExternalURL
		case "truncatedAlerts":
			target = &g.TruncatedAlerts
		case "groupLabels":
			target = &g.GroupLabels
		case "commonLabels":
			target = &g.CommonLabels
		default:
			target = &json.RawMessage{}
		}
		if err := dec.Decode(target); err != nil {
			return nil, fmt.Errorf("'%s': %w", key, err)
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("the body is not valid JSON: %w", err)
	}
	if g.Version != "4" {
		return nil, fmt.Errorf("'version' must be \"4\" (Alertmanager webhook payload version 4), got %q", g.Version)
	}
	return g, nil
}

func (g *AMGroup) decodeAlerts(dec *json.Decoder) error {
	if t, err := dec.Token(); err != nil || t != json.Delim('[') {
		return errors.New("'alerts' must be an array")
	}
	var buf bytes.Buffer
	for i := 0; dec.More(); i++ {
		at := fmt.Sprintf("alerts[%d]", i)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return fmt.Errorf("'%s': %w", at, err)
		}
		// Text that is not UTF-8 cannot be stored (PostgreSQL refuses it,
		// and decoding would silently change it): that alert alone is
		// refused, never its group.
		if !utf8.Valid(raw) {
			g.Invalid = append(g.Invalid, fmt.Sprintf("'%s' holds text that is not valid UTF-8, which cannot be stored; the alert was not taken", at))
			continue
		}
		var a AMAlert
		if err := json.Unmarshal(raw, &a); err != nil {
			g.Invalid = append(g.Invalid, fmt.Sprintf("'%s' is not an alert: %v", at, err))
			continue
		}
		if a.Status != "firing" && a.Status != "resolved" {
			g.Invalid = append(g.Invalid, fmt.Sprintf("'%s.status' must be firing or resolved, got %q", at, a.Status))
			continue
		}
		// PostgreSQL text cannot hold NUL, and a stray one must not fail
		// the group (JSON escapes it inside the stored alert).
		for _, f := range []*string{&a.Fingerprint, &a.StartsAt, &a.EndsAt} {
			*f = strings.ReplaceAll(*f, "\x00", "")
		}
		if a.Fingerprint == "" {
			// Alertmanager always sends one; a hand-written sender may
			// not, and its alert is still identified by its labels.
			a.Fingerprint = labelsFingerprint(a.Labels)
		}
		buf.Reset()
		if err := json.Compact(&buf, raw); err != nil {
			return fmt.Errorf("'%s': %w", at, err)
		}
		g.Alerts = append(g.Alerts, GroupAlert{AMAlert: a, Raw: bytes.Clone(buf.Bytes()), Severity: amSeverity(a.Labels)})
	}
	_, err := dec.Token()
	return err
}

func labelsFingerprint(labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		fmt.Fprintf(h, "%s\x00%s\x00", k, labels[k])
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// amSeverity maps an alert's severity label to a PagerDuty severity.
func amSeverity(labels map[string]string) string {
	sev := strings.ToLower(labels["severity"])
	if contains(Severities, sev) {
		return sev
	}
	switch sev {
	case "page", "high", "major":
		return "critical"
	case "ticket", "low", "minor", "warn":
		return "warning"
	}
	return "error"
}

// Route decides each alert's service: its service label's value when that
// names a known service, else the integration's service (the alert then
// remembers the name it gave), else none: the alert is kept unrouted. An
// alert naming an unknown service therefore never refuses its group.
func (g *AMGroup) Route(in *Integration, known func(string) bool) {
	for i := range g.Alerts {
		a := &g.Alerts[i]
		named := ""
		if in.ServiceLabel != "" {
			named = strings.ReplaceAll(a.Labels[in.ServiceLabel], "\x00", "")
		}
		switch {
		case named != "" && (known == nil || known(named)):
			a.Service = named
		case in.Service != "" && (known == nil || known(in.Service)):
			a.Service, a.Named = in.Service, named
		default:
			a.Service, a.Named = "", named
		}
	}
}

// Events turns routed alerts into one event each, for integrations with
// incident_per: alert: the fingerprint is the dedup key, firing triggers
// and resolved resolves, and each event keeps the alert's own JSON.
func (g *AMGroup) Events(in *Integration) []Event {
	out := make([]Event, 0, len(g.Alerts))
	for _, a := range g.Alerts {
		if a.Service == "" {
			continue
		}
		action := ActionTrigger
		if a.Status == "resolved" {
			action = ActionResolve
		}
		details, _ := json.Marshal(map[string]any{"labels": a.Labels, "annotations": a.Annotations, "starts_at": a.StartsAt,
			"ends_at": a.EndsAt, "generator_url": a.GeneratorURL, "external_url": g.ExternalURL, "receiver": g.Receiver})
		source := a.Labels["instance"]
		if source == "" {
			source = "alertmanager"
		}
		out = append(out, Event{Integration: in.Name, Action: action, DedupKey: a.Fingerprint, Service: a.Service, Summary: clip(alertSummary(a.AMAlert), maxSummary),
			Source: source, Severity: a.Severity, Details: details, Body: a.Raw})
	}
	return out
}

func alertSummary(a AMAlert) string {
	for _, s := range []string{a.Annotations["summary"], a.Annotations["description"], a.Labels["alertname"]} {
		if s != "" {
			return s
		}
	}
	return "alert " + a.Fingerprint
}

// Unrouted counts the alerts that have no service.
func (g *AMGroup) Unrouted() int {
	n := 0
	for _, a := range g.Alerts {
		if a.Service == "" {
			n++
		}
	}
	return n
}

// GroupChunk is part of a group bound for one service (or unrouted, with
// no service): the unit one transaction applies. Chunks of one group are
// committed one after another, firing alerts first, so a resolve is only
// judged once every firing alert of the webhook is in.
type GroupChunk struct {
	Integration string
	GroupKey    string
	Service     string
	Receiver    string
	ExternalURL string
	GroupLabels map[string]string
	// Truncated is the webhook's truncatedAlerts, recorded by the first
	// chunk for its service.
	Truncated int
	First     bool
	Alerts    []GroupAlert

	// Set by Chunks and SubmitGroup: the last chunk of its service notes
	// on the timeline the alerts that joined in the whole webhook, unless
	// an earlier chunk of it opened the incident.
	last   bool
	opened bool
	joined []string
}

// Chunks splits a routed group by service and into chunks of at most
// size alerts, firing alerts before resolved ones.
func (g *AMGroup) Chunks(integration string, size int) []GroupChunk {
	if size < 1 {
		size = DefaultChunk
	}
	var order []string
	by := map[string][]GroupAlert{}
	for _, a := range g.Alerts {
		if _, ok := by[a.Service]; !ok {
			order = append(order, a.Service)
		}
		by[a.Service] = append(by[a.Service], a)
	}
	var out []GroupChunk
	for _, svc := range order {
		alerts := by[svc]
		sort.SliceStable(alerts, func(i, j int) bool { return alerts[i].Status == "firing" && alerts[j].Status != "firing" })
		for i := 0; i < len(alerts); i += size {
			c := GroupChunk{Integration: integration, GroupKey: g.GroupKey, Service: svc, Receiver: g.Receiver, ExternalURL: g.ExternalURL,
				GroupLabels: g.GroupLabels, Truncated: g.TruncatedAlerts, First: i == 0, Alerts: alerts[i:min(i+size, len(alerts))], last: i+size >= len(alerts)}
			out = append(out, c)
		}
	}
	return out
}

// DefaultChunk is how many alerts of a group one transaction takes: enough
// to share a commit, few enough that other ingest waits milliseconds, not
// seconds, behind a storm.
const DefaultChunk = 250

// GroupDedupKey is a group incident's dedup key: the integration and the
// group key, so that two Alertmanagers' groups never meet.
func GroupDedupKey(integration, groupKey string) string {
	return "group:" + integration + ":" + groupKey
}

// severityRank orders severities, worst first.
func severityRank(s string) int {
	for i, x := range Severities {
		if x == s {
			return i
		}
	}
	return len(Severities)
}

// applyGroup applies one chunk of a group in tx. A chunk opens the group's
// incident if none is open for its service (paging as any new incident
// does), adds or updates its alerts by fingerprint (so a retried webhook
// changes nothing twice), notes joining alerts on the timeline without a
// page, keeps the severity that of the worst firing alert and resolves the
// incident when no alert in it still fires.
func (e *Engine) applyGroup(ctx context.Context, tx *stmts, c GroupChunk, now time.Time) (Outcome, bool, error) {
	if c.Service == "" {
		return Outcome{}, false, e.keepUnrouted(ctx, tx, c, now)
	}
	in, _ := e.Integration(c.Integration)
	if in == nil {
		in = &Integration{Name: c.Integration}
	}
	dedup := strings.ReplaceAll(GroupDedupKey(c.Integration, c.GroupKey), "\x00", "")
	var r row
	var truncated int
	err := tx.QueryRowContext(ctx, `SELECT id, status, severity, service_state, escalation, in_maintenance, truncated_alerts FROM incidents WHERE open_key = $1`,
		openKey(c.Service, dedup)).Scan(&r.id, &r.status, &r.severity, &r.state, &r.escal, &r.maint, &truncated)
	found := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return Outcome{}, false, fmt.Errorf("incident: find open group incident: %w", err)
	}
	var firing []GroupAlert
	worst := ""
	for _, a := range c.Alerts {
		if a.Status == "firing" {
			firing = append(firing, a)
			if worst == "" || severityRank(a.Severity) < severityRank(worst) {
				worst = a.Severity
			}
		}
	}
	record, _ := json.Marshal(map[string]any{"group_key": c.GroupKey, "service": c.Service, "alerts": len(c.Alerts), "firing": len(firing)})
	var o Outcome
	enqueued := false
	switch {
	case !found && len(firing) == 0:
		// Resolves of a group with nothing open: what they resolved is
		// already closed. Recorded, nothing to do.
		err := tx.QueryRowContext(ctx, `INSERT INTO events (integration, action, dedup_key, body, received_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			c.Integration, "group", dedup, string(record), store.Millis(now)).Scan(&o.EventID)
		return o, false, err
	case !found:
		details, _ := json.Marshal(map[string]any{"group_key": c.GroupKey, "group_labels": c.GroupLabels, "receiver": c.Receiver, "external_url": c.ExternalURL})
		// A new group incident is a trigger like any other: the same
		// timeline entry, known-error match, service state and page.
		o, enqueued, err = e.apply(ctx, tx, Event{Integration: c.Integration, Action: ActionTrigger, DedupKey: dedup, Service: c.Service,
			Summary: clip(groupSummary(c.GroupLabels, firing[0].AMAlert), maxSummary), Source: "alertmanager", Severity: worst, Details: details, Body: record}, now, nil)
		if err != nil {
			return o, false, err
		}
		r = row{id: o.IncidentID, status: Triggered, severity: worst, state: in.severityState(worst), escal: in.Escalation}
		if e.InMaintenance != nil && e.InMaintenance(c.Service, now) {
			r.maint = true
		}
	default:
		o = Outcome{IncidentID: r.id, Status: r.status}
		if _, err := tx.ExecContext(ctx, `UPDATE incidents SET last_event_at = $2, event_count = event_count + 1 WHERE id = $1`, r.id, store.Millis(now)); err != nil {
			return o, false, fmt.Errorf("incident: group event: %w", err)
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO events (integration, action, dedup_key, body, received_at, incident_id) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			c.Integration, "group", dedup, string(record), store.Millis(now), r.id).Scan(&o.EventID); err != nil {
			return o, false, fmt.Errorf("incident: record group event: %w", err)
		}
	}
	joined, named, err := e.upsertAlerts(ctx, tx, r.id, c.Alerts, now)
	if err != nil {
		return o, false, err
	}
	o.Joined = joined
	actor := "integration:" + in.Name
	if all := append(c.joined[:len(c.joined):len(c.joined)], joined...); c.last && found && !c.opened && len(all) > 0 {
		if err := logEntry(ctx, tx, r.id, now, "event", actor, fmt.Sprintf("%d %s joined the group (nobody is paged again): %s",
			len(all), plural(len(all), "alert", "alerts"), listSome(all))); err != nil {
			return o, false, err
		}
	}
	if len(named) > 0 {
		if err := logEntry(ctx, tx, r.id, now, "event", actor, fmt.Sprintf("alerts named services that do not exist (%s); they were routed to %s, the integration's service",
			listSome(named), c.Service)); err != nil {
			return o, false, err
		}
	}
	if c.First && c.Truncated != truncated {
		if _, err := tx.ExecContext(ctx, `UPDATE incidents SET truncated_alerts = $2 WHERE id = $1`, r.id, c.Truncated); err != nil {
			return o, false, fmt.Errorf("incident: truncated alerts: %w", err)
		}
		if c.Truncated > 0 {
			if err := logEntry(ctx, tx, r.id, now, "event", actor, fmt.Sprintf("Alertmanager left %d %s out of the webhook (truncatedAlerts; raise max_alerts to see them)",
				c.Truncated, plural(c.Truncated, "alert", "alerts"))); err != nil {
				return o, false, err
			}
		}
	}
	resolved, q, err := e.settleGroup(ctx, tx, r, in, c.Service, c.last, now)
	if err != nil {
		return o, false, err
	}
	if resolved {
		o.Status = Resolved
	}
	return o, enqueued || q, nil
}

// upsertAlerts stores each alert once, by fingerprint within the incident,
// and returns the fingerprints of firing alerts new to it and the unknown
// service names that alerts new to it gave. A chunk is one query for the fingerprints
// already there and one multi-row upsert, not two statements per alert: on
// PostgreSQL each statement is a round trip, and a storm's transactions
// must stay short for everyone else's sake.
func (e *Engine) upsertAlerts(ctx context.Context, tx *stmts, id int64, alerts []GroupAlert, now time.Time) (joined, named []string, err error) {
	// The last copy of a fingerprint sent twice in one webhook wins; one
	// upsert must not touch a row twice.
	last := map[string]int{}
	for i, a := range alerts {
		last[a.Fingerprint] = i
	}
	var uniq []GroupAlert
	for i, a := range alerts {
		if last[a.Fingerprint] == i {
			uniq = append(uniq, a)
		}
	}
	// Parameters are bare ? on SQLite, bound by position (see
	// placeholder): a chunk's upsert has about 2,000 of them, and binding
	// numbered ones is quadratic there.
	pg := tx.numbered()
	existing := map[string]bool{}
	args := make([]any, 0, 1+len(uniq))
	args = append(args, id)
	var sb strings.Builder
	sb.WriteString(`SELECT fingerprint FROM incident_alerts WHERE incident_id = ` + placeholder(pg, 1) + ` AND fingerprint IN (`)
	for i, a := range uniq {
		args = append(args, a.Fingerprint)
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(placeholder(pg, len(args)))
	}
	sb.WriteString(")")
	rows, err := tx.QueryContext(ctx, sb.String(), args...)
	if err != nil {
		return nil, nil, fmt.Errorf("incident: find alerts: %w", err)
	}
	for rows.Next() {
		var fp string
		if err := rows.Scan(&fp); err != nil {
			rows.Close()
			return nil, nil, fmt.Errorf("incident: find alerts: %w", err)
		}
		existing[fp] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("incident: find alerts: %w", err)
	}
	// On PostgreSQL the incident's id and the time are sent once ($1, $2)
	// and named by every row; on SQLite each row repeats them.
	at := store.Millis(now)
	args = make([]any, 0, 9*len(uniq))
	if pg {
		args = append(args, id, at)
	}
	sb.Reset()
	sb.WriteString(`INSERT INTO incident_alerts (incident_id, fingerprint, status, severity, starts_at, ends_at, alert, first_seen, updated_at) VALUES `)
	for i, a := range uniq {
		if i > 0 {
			sb.WriteString(", ")
		}
		if pg {
			args = append(args, a.Fingerprint, a.Status, a.Severity, a.StartsAt, a.EndsAt, nulFree(a.Raw))
			n := len(args)
			fmt.Fprintf(&sb, "($1, $%d, $%d, $%d, $%d, $%d, $%d, $2, $2)", n-5, n-4, n-3, n-2, n-1, n)
		} else {
			args = append(args, id, a.Fingerprint, a.Status, a.Severity, a.StartsAt, a.EndsAt, nulFree(a.Raw), at, at)
			sb.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?)")
		}
		if existing[a.Fingerprint] {
			continue
		}
		// What is new to the incident is told once, not on every repeat
		// of the webhook.
		if a.Status == "firing" {
			joined = append(joined, a.Fingerprint)
		}
		if a.Named != "" && !slices.Contains(named, a.Named) {
			named = append(named, a.Named)
		}
	}
	if _, err := tx.ExecContext(ctx, sb.String()+`
		ON CONFLICT (incident_id, fingerprint) DO UPDATE SET status = excluded.status, severity = excluded.severity, starts_at = excluded.starts_at,
			ends_at = excluded.ends_at, alert = excluded.alert, updated_at = excluded.updated_at`, args...); err != nil {
		return nil, nil, fmt.Errorf("incident: store alerts: %w", err)
	}
	return joined, named, nil
}

// settleGroup makes the incident follow its alerts: the worst firing
// alert's severity (and what it does to the service), or resolved when
// none fires. It reports whether it resolved the incident and whether
// notifications were enqueued.
func (e *Engine) settleGroup(ctx context.Context, tx *stmts, r row, in *Integration, service string, last bool, now time.Time) (resolved, enqueued bool, err error) {
	if r.status == Resolved {
		return false, false, nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT severity, COUNT(*) FROM incident_alerts WHERE incident_id = $1 AND status = 'firing' GROUP BY severity`, r.id)
	if err != nil {
		return false, false, fmt.Errorf("incident: group severity: %w", err)
	}
	worst, firing := "", 0
	for rows.Next() {
		var sev string
		var n int
		if err := rows.Scan(&sev, &n); err != nil {
			rows.Close()
			return false, false, err
		}
		firing += n
		if worst == "" || severityRank(sev) < severityRank(worst) {
			worst = sev
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return false, false, err
	}
	actor := "integration:" + in.Name
	if firing == 0 {
		if !in.autoResolve() {
			if !last {
				return false, false, nil // said once per webhook, by its last chunk
			}
			return false, false, logEntry(ctx, tx, r.id, now, "event", actor, "every alert of the group resolved; auto-resolve is off, so it stays open")
		}
		if err := logEntry(ctx, tx, r.id, now, "event", actor, "every alert of the group resolved"); err != nil {
			return false, false, err
		}
		enqueued, err := e.resolve(ctx, tx, r, service, actor, now)
		return err == nil, enqueued, err
	}
	if worst == r.severity {
		return false, false, nil
	}
	state := in.severityState(worst)
	if _, err := tx.ExecContext(ctx, `UPDATE incidents SET severity = $2, service_state = $3 WHERE id = $1`, r.id, worst, state); err != nil {
		return false, false, fmt.Errorf("incident: group severity: %w", err)
	}
	if err := logEntry(ctx, tx, r.id, now, "event", actor, fmt.Sprintf("severity is now %s, the worst firing alert's (was %s)", worst, r.severity)); err != nil {
		return false, false, err
	}
	if state != r.state {
		if state == "none" {
			return false, false, e.Timeline.Append(ctx, tx, timeline.Transition{Service: service, Input: fmt.Sprintf("incident:%d", r.id), At: now, State: availability.Up,
				Source: fmt.Sprintf("incident:%d is now %s", r.id, worst)})
		}
		return false, false, e.serviceState(ctx, tx, service, r.id, state, now, "severity now "+worst)
	}
	return false, false, nil
}

// keepUnrouted stores alerts that have no service, by fingerprint within
// the integration's group, so admins see them and their resolves land.
func (e *Engine) keepUnrouted(ctx context.Context, tx *stmts, c GroupChunk, now time.Time) error {
	for _, a := range c.Alerts {
		if _, err := tx.ExecContext(ctx, `INSERT INTO unrouted_alerts (integration, group_key, fingerprint, service, status, alert, first_seen, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
			ON CONFLICT (integration, group_key, fingerprint) DO UPDATE SET service = excluded.service, status = excluded.status, alert = excluded.alert, updated_at = excluded.updated_at`,
			c.Integration, strings.ReplaceAll(c.GroupKey, "\x00", ""), a.Fingerprint, a.Named, a.Status, nulFree(a.Raw), store.Millis(now)); err != nil {
			return fmt.Errorf("incident: keep unrouted alert: %w", err)
		}
	}
	return nil
}

// nulFree drops NUL characters, which PostgreSQL text cannot hold; JSON
// escapes them, so only a raw string can carry one.
func nulFree(b json.RawMessage) string { return strings.ReplaceAll(string(b), "\x00", "") }

func groupSummary(labels map[string]string, first AMAlert) string {
	s := alertSummary(first)
	name := labels["alertname"]
	if name == "" {
		keys := make([]string, 0, len(labels))
		for k := range labels {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			parts = append(parts, k+"="+labels[k])
		}
		name = strings.Join(parts, ", ")
	}
	if name == "" || name == s {
		return s
	}
	return name + ": " + s
}

// listSome names up to ten items and counts the rest, so one timeline line
// stays readable when hundreds of alerts join at once.
func listSome(items []string) string {
	if len(items) <= 10 {
		return strings.Join(items, ", ")
	}
	return strings.Join(items[:10], ", ") + fmt.Sprintf(" and %d more", len(items)-10)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
