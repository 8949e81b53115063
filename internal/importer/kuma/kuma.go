// Package kuma imports Uptime Kuma's monitors and notifications into a
// Sextant config: from a 1.x backup file (Settings → Backup: JSON with
// notificationList and monitorList) or, since 2.x removed that export,
// straight from its kuma.db SQLite file.
package kuma

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	_ "modernc.org/sqlite" // kuma.db is SQLite

	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/importer"
	"github.com/sextant-ops/sextant/internal/monitor"
	"github.com/sextant-ops/sextant/internal/notify"
)

// Monitor is one monitor as Uptime Kuma exports it (Monitor.toJSON); the
// database reader fills the same fields from its columns.
type Monitor struct {
	ID                  int               `json:"id"`
	Name                string            `json:"name"`
	Description         string            `json:"description"`
	Type                string            `json:"type"`
	URL                 string            `json:"url"`
	Method              string            `json:"method"`
	Hostname            string            `json:"hostname"`
	Port                int               `json:"port"`
	Interval            int               `json:"interval"`
	MaxRetries          int               `json:"maxretries"`
	Timeout             float64           `json:"timeout"`
	Keyword             string            `json:"keyword"`
	InvertKeyword       Bool              `json:"invertKeyword"`
	UpsideDown          Bool              `json:"upsideDown"`
	IgnoreTLS           Bool              `json:"ignoreTls"`
	MaxRedirects        *int              `json:"maxredirects"`
	AcceptedStatusCodes []string          `json:"accepted_statuscodes"`
	DNSResolveType      string            `json:"dns_resolve_type"`
	DNSResolveServer    string            `json:"dns_resolve_server"`
	Parent              *int              `json:"parent"`
	Active              *Bool             `json:"active"`
	NotificationIDList  map[string]bool   `json:"notificationIDList"`
	Tags                []Tag             `json:"tags"`
	Headers             string            `json:"headers"`
	Body                string            `json:"body"`
	BasicAuthUser       string            `json:"basic_auth_user"`
	BasicAuthPass       string            `json:"basic_auth_pass"`
	PushToken           string            `json:"pushToken"`
	JSONPath            string            `json:"jsonPath"`
	ExpectedValue       string            `json:"expectedValue"`
	Extra               map[string]string `json:"-"`
}

// Bool reads the ways Uptime Kuma writes a flag: true/false, or the
// database's 1/0 (as numbers or strings).
type Bool bool

// UnmarshalJSON accepts true, false, 1, 0, "1", "0" and null.
func (b *Bool) UnmarshalJSON(data []byte) error {
	switch strings.Trim(string(data), `"`) {
	case "true", "1":
		*b = true
	case "false", "0", "null", "":
		*b = false
	default:
		return fmt.Errorf("expected true, false, 1 or 0, got %s", data)
	}
	return nil
}

// Tag is a monitor's tag.
type Tag struct {
	TagID int    `json:"tag_id"`
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Notification is one notification provider; Config is the provider's
// settings as a JSON string, with its type among them.
type Notification struct {
	ID        int    `json:"id"`
	Name      string `json:"name"`
	Config    string `json:"config"`
	Active    any    `json:"active"`
	IsDefault any    `json:"isDefault"`
}

// Backup is the 1.x backup file.
type Backup struct {
	Version          string         `json:"version"`
	NotificationList []Notification `json:"notificationList"`
	MonitorList      []Monitor      `json:"monitorList"`
}

// ImportPath reads a backup JSON file or a kuma.db SQLite file (told apart
// by the file's first bytes).
func ImportPath(path string) (*importer.Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	head := make([]byte, 16)
	n, _ := f.Read(head)
	f.Close()
	if string(head[:n]) == "SQLite format 3\x00" {
		b, err := ReadDB(context.Background(), path)
		if err != nil {
			return nil, err
		}
		return Import(path, "#", b), nil
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var b Backup
	if err := json.Unmarshal(src, &b); err != nil {
		return nil, fmt.Errorf("kuma: %s is neither a kuma.db nor a backup file: %w", path, err)
	}
	if b.MonitorList == nil && b.NotificationList == nil {
		return nil, errors.New("kuma: the file has no monitorList or notificationList: not an Uptime Kuma backup")
	}
	return Import(path, "#", &b), nil
}

// ReadDB reads monitors, notifications and tags from a kuma.db file,
// read-only.
func ReadDB(ctx context.Context, path string) (*Backup, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=query_only(1)")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	cols, err := columns(ctx, db, "monitor")
	if err != nil {
		return nil, fmt.Errorf("kuma: %s: %w", path, err)
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("kuma: %s has no monitor table: not a kuma.db", path)
	}
	// Columns arrived over the versions; read those this file has.
	want := []string{"id", "name", "description", "type", "url", "method", "hostname", "port", "interval", "maxretries", "timeout",
		"keyword", "invert_keyword", "upside_down", "ignore_tls", "maxredirects", "accepted_statuscodes_json", "dns_resolve_type",
		"dns_resolve_server", "parent", "active", "headers", "body", "basic_auth_user", "basic_auth_pass", "push_token", "json_path", "expected_value"}
	var have []string
	for _, c := range want {
		if cols[c] {
			have = append(have, c)
		}
	}
	rows, err := db.QueryContext(ctx, `SELECT `+quoteAll(have)+` FROM monitor ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("kuma: read monitors: %w", err)
	}
	defer rows.Close()
	b := &Backup{Version: "kuma.db"}
	byID := map[int]int{}
	for rows.Next() {
		vals := make([]sql.NullString, len(have))
		ptrs := make([]any, len(have))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("kuma: read monitors: %w", err)
		}
		var m Monitor
		for i, c := range have {
			setColumn(&m, c, vals[i])
		}
		byID[m.ID] = len(b.MonitorList)
		b.MonitorList = append(b.MonitorList, m)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if ok, _ := columns(ctx, db, "notification"); len(ok) > 0 {
		nrows, err := db.QueryContext(ctx, `SELECT id, COALESCE(name, ''), COALESCE(config, ''), active FROM notification ORDER BY id`)
		if err != nil {
			return nil, fmt.Errorf("kuma: read notifications: %w", err)
		}
		defer nrows.Close()
		for nrows.Next() {
			var n Notification
			var active sql.NullBool
			if err := nrows.Scan(&n.ID, &n.Name, &n.Config, &active); err != nil {
				return nil, err
			}
			n.Active = !active.Valid || active.Bool
			b.NotificationList = append(b.NotificationList, n)
		}
	}
	if ok, _ := columns(ctx, db, "monitor_notification"); len(ok) > 0 {
		mn, err := db.QueryContext(ctx, `SELECT monitor_id, notification_id FROM monitor_notification ORDER BY id`)
		if err != nil {
			return nil, err
		}
		defer mn.Close()
		for mn.Next() {
			var mid, nid int
			if err := mn.Scan(&mid, &nid); err != nil {
				return nil, err
			}
			if i, ok := byID[mid]; ok {
				if b.MonitorList[i].NotificationIDList == nil {
					b.MonitorList[i].NotificationIDList = map[string]bool{}
				}
				b.MonitorList[i].NotificationIDList[strconv.Itoa(nid)] = true
			}
		}
	}
	if ok, _ := columns(ctx, db, "monitor_tag"); len(ok) > 0 {
		mt, err := db.QueryContext(ctx, `SELECT mt.monitor_id, t.id, t.name, COALESCE(mt.value, '') FROM monitor_tag mt JOIN tag t ON t.id = mt.tag_id ORDER BY mt.id`)
		if err != nil {
			return nil, err
		}
		defer mt.Close()
		for mt.Next() {
			var mid int
			var t Tag
			if err := mt.Scan(&mid, &t.TagID, &t.Name, &t.Value); err != nil {
				return nil, err
			}
			if i, ok := byID[mid]; ok {
				b.MonitorList[i].Tags = append(b.MonitorList[i].Tags, t)
			}
		}
	}
	return b, nil
}

func columns(ctx context.Context, db *sql.DB, table string) (map[string]bool, error) {
	rows, err := db.QueryContext(ctx, `SELECT name FROM pragma_table_info(?)`, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out[n] = true
	}
	return out, rows.Err()
}

func quoteAll(cols []string) string {
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = `"` + c + `"`
	}
	return strings.Join(q, ", ")
}

func setColumn(m *Monitor, col string, v sql.NullString) {
	s := v.String
	num := func() int { n, _ := strconv.Atoi(strings.TrimSuffix(s, ".0")); return n }
	flag := func() bool { return s == "1" || strings.EqualFold(s, "true") }
	switch col {
	case "id":
		m.ID = num()
	case "name":
		m.Name = s
	case "description":
		m.Description = s
	case "type":
		m.Type = s
	case "url":
		m.URL = s
	case "method":
		m.Method = s
	case "hostname":
		m.Hostname = s
	case "port":
		m.Port = num()
	case "interval":
		m.Interval = num()
	case "maxretries":
		m.MaxRetries = num()
	case "timeout":
		m.Timeout, _ = strconv.ParseFloat(s, 64)
	case "keyword":
		m.Keyword = s
	case "invert_keyword":
		m.InvertKeyword = Bool(flag())
	case "upside_down":
		m.UpsideDown = Bool(flag())
	case "ignore_tls":
		m.IgnoreTLS = Bool(flag())
	case "maxredirects":
		if v.Valid {
			n := num()
			m.MaxRedirects = &n
		}
	case "accepted_statuscodes_json":
		_ = json.Unmarshal([]byte(s), &m.AcceptedStatusCodes)
	case "dns_resolve_type":
		m.DNSResolveType = s
	case "dns_resolve_server":
		m.DNSResolveServer = s
	case "parent":
		if v.Valid && s != "" {
			n := num()
			m.Parent = &n
		}
	case "active":
		if v.Valid {
			a := Bool(flag())
			m.Active = &a
		}
	case "headers":
		m.Headers = s
	case "body":
		m.Body = s
	case "basic_auth_user":
		m.BasicAuthUser = s
	case "basic_auth_pass":
		m.BasicAuthPass = s
	case "push_token":
		m.PushToken = s
	case "json_path":
		m.JSONPath = s
	case "expected_value":
		m.ExpectedValue = s
	}
}

// Import maps a backup; file names the source in positions, and sep joins
// it to a row's id ("backup.json#monitor/3").
func Import(file, sep string, b *Backup) *importer.Result {
	m := &mapper{res: &importer.Result{}, file: file, sep: sep, channels: map[int]string{}, services: map[string]string{}, policies: map[string]bool{}}
	m.notifications(b.NotificationList)
	groups := map[int]Monitor{}
	for _, mon := range b.MonitorList {
		if mon.Type == "group" {
			groups[mon.ID] = mon
		}
	}
	for _, mon := range b.MonitorList {
		if mon.Type == "group" {
			m.res.Map(m.pos("monitor", mon.ID), fmt.Sprintf("group %q", mon.Name), "service %s", m.service("group:"+strconv.Itoa(mon.ID), mon.Name, mon.Description))
			continue
		}
		m.monitor(mon, groups)
	}
	return m.res
}

type mapper struct {
	res      *importer.Result
	file     string
	sep      string
	svcNames importer.Namer
	chkNames importer.Namer
	chNames  importer.Namer
	channels map[int]string    // notification id → channel
	services map[string]string // group or tag key → service
	policies map[string]bool
}

func (m *mapper) pos(kind string, id int) string {
	return fmt.Sprintf("%s%s%s/%d", m.file, m.sep, kind, id)
}

func (m *mapper) service(key, title, description string) string {
	if s, ok := m.services[key]; ok {
		return s
	}
	name := m.svcNames.Name(title, "service")
	m.services[key] = name
	m.res.Config.Services = append(m.res.Config.Services, catalog.Service{Name: name, Title: title, Description: description})
	return name
}

// notifications maps the providers Sextant has channels for.
func (m *mapper) notifications(ns []Notification) {
	for _, n := range ns {
		pos, what := m.pos("notification", n.ID), fmt.Sprintf("notification %q", n.Name)
		var c map[string]any
		if err := json.Unmarshal([]byte(n.Config), &c); err != nil {
			m.res.Skip(pos, what, "its config is not JSON: %v", err)
			continue
		}
		str := func(k string) string { s, _ := c[k].(string); return s }
		typ := str("type")
		ch := importer.Channel{}
		switch typ {
		case "slack":
			ch.Type, ch.URL = notify.TypeSlack, str("slackwebhookURL")
		case "teams":
			ch.Type, ch.URL = notify.TypeTeams, str("webhookUrl")
		case "webhook":
			ch.Type, ch.URL = notify.TypeWebhook, str("webhookURL")
		case "ntfy":
			ch.Type, ch.Topic, ch.Secret = notify.TypeNtfy, str("ntfytopic"), str("ntfyaccesstoken")
			if u := strings.TrimRight(str("ntfyserverurl"), "/"); u != "" && u != "https://ntfy.sh" {
				ch.URL = u
			}
		case "smtp":
			ch.Type, ch.From = notify.TypeEmail, str("smtpFrom")
			for _, to := range strings.Split(str("smtpTo"), ",") {
				if to = strings.TrimSpace(to); to != "" {
					ch.To = append(ch.To, to)
				}
			}
			port := 0
			switch p := c["smtpPort"].(type) {
			case float64:
				port = int(p)
			case string:
				port, _ = strconv.Atoi(p)
			}
			ch.SMTP = &importer.SMTP{Host: str("smtpHost"), Port: port, Username: str("smtpUsername"), Password: str("smtpPassword")}
		default:
			m.res.Skip(pos, what, "Sextant has no %q channel (it has email, slack, teams, webhook and ntfy)", typ)
			continue
		}
		ch.Name = m.chNames.Name(n.Name, typ)
		trial := notify.Config{Name: ch.Name, Type: ch.Type, URL: ch.URL, Topic: ch.Topic, To: ch.To, From: ch.From}
		if ch.SMTP != nil {
			trial.SMTP = notify.SMTPConfig{Host: ch.SMTP.Host, Port: ch.SMTP.Port}
		}
		if fields := trial.Validate(); len(fields) > 0 {
			msgs := make([]string, len(fields))
			for i, f := range fields {
				msgs[i] = f.Path + " " + f.Msg
			}
			m.res.Skip(pos, what, "%s", strings.Join(msgs, "; "))
			continue
		}
		switch {
		case ch.Type == notify.TypeSlack || ch.Type == notify.TypeTeams || ch.Type == notify.TypeWebhook:
			m.res.Secret("channel " + ch.Name + " url")
		case ch.Secret != "":
			m.res.Secret("channel " + ch.Name + " token")
		case ch.SMTP != nil && ch.SMTP.Password != "":
			m.res.Secret("channel " + ch.Name + " smtp password")
		}
		m.channels[n.ID] = ch.Name
		m.res.Config.Channels = append(m.res.Config.Channels, ch)
		m.res.Map(pos, what, "channel %s (%s)", ch.Name, ch.Type)
	}
}

func (m *mapper) monitor(mon Monitor, groups map[int]Monitor) {
	pos, what := m.pos("monitor", mon.ID), fmt.Sprintf("monitor %q (%s)", mon.Name, mon.Type)
	if mon.Active != nil && !*mon.Active {
		m.res.Skip(pos, what, "is paused in Uptime Kuma; not imported")
		return
	}
	// The service is made only once the monitor turns out to be a check
	// Sextant can run, so an unmapped monitor leaves no empty service.
	svcKey, svcTitle, svcDesc := "monitor:"+strconv.Itoa(mon.ID), mon.Name, mon.Description
	extraTags := mon.Tags
	switch g, ok := groups[derefInt(mon.Parent)]; {
	case mon.Parent != nil && ok:
		svcKey, svcTitle, svcDesc = "group:"+strconv.Itoa(g.ID), g.Name, g.Description
	case len(mon.Tags) > 0:
		svcKey, svcTitle, svcDesc, extraTags = "tag:"+mon.Tags[0].Name, mon.Tags[0].Name, "", mon.Tags[1:]
	}
	c := monitor.Check{Name: m.chkNames.Name(mon.Name, "check"), Service: "pending"}
	if mon.Interval > 0 {
		c.Interval = strconv.Itoa(mon.Interval) + "s"
	}
	if mon.Timeout > 0 && mon.Interval > 0 && int(mon.Timeout) <= mon.Interval {
		c.Timeout = strconv.FormatFloat(mon.Timeout, 'f', -1, 64) + "s"
	}
	// Kuma retries maxretries times before it calls a monitor down.
	c.FailAfter = mon.MaxRetries + 1
	if c.FailAfter > 100 {
		c.FailAfter = 100
	}
	negate := func(cond string) string { return cond }
	switch mon.Type {
	case "http", "keyword", "json-query":
		c.Type, c.URL, c.InsecureSkipVerify = monitor.TypeHTTP, mon.URL, bool(mon.IgnoreTLS)
		if meth := strings.ToUpper(mon.Method); meth != "" && meth != "GET" {
			c.Method = meth
		}
		c.Body = mon.Body
		if mon.MaxRedirects != nil && *mon.MaxRedirects == 0 {
			no := false
			c.FollowRedirects = &no
		}
		if strings.TrimSpace(mon.Headers) != "" {
			if err := json.Unmarshal([]byte(mon.Headers), &c.Headers); err != nil {
				m.res.Skip(pos, what+" headers", "not a JSON object of strings: %v", err)
			}
			for k := range c.Headers {
				if l := strings.ToLower(k); strings.Contains(l, "auth") || strings.Contains(l, "token") || strings.Contains(l, "key") || strings.Contains(l, "cookie") || strings.Contains(l, "secret") {
					m.res.Secret("check " + c.Name + " header " + k)
				}
			}
		}
		if mon.BasicAuthUser != "" || mon.BasicAuthPass != "" {
			m.res.Skip(pos, what+" basic auth", "set an Authorization header on the check instead (the credentials are not copied)")
		}
		status, ok := statusConditions(mon.AcceptedStatusCodes)
		if !ok {
			m.res.Skip(pos, what+" accepted_statuscodes", "%v cannot be said as one range or a list of codes; kept %s", mon.AcceptedStatusCodes, strings.Join(status, " and "))
		}
		for _, s := range status {
			c.Conditions = append(c.Conditions, monitor.ConditionSpec{Condition: s})
		}
		switch mon.Type {
		case "keyword":
			op := "=="
			if mon.InvertKeyword {
				op = "!="
			}
			if strings.ContainsAny(mon.Keyword, "*()") {
				m.res.Skip(pos, what+" keyword", "%q holds characters the pattern language reserves", mon.Keyword)
			} else {
				c.Conditions = append(c.Conditions, monitor.ConditionSpec{Condition: fmt.Sprintf("[BODY] %s pat(*%s*)", op, mon.Keyword)})
			}
		case "json-query":
			path := strings.TrimPrefix(strings.TrimPrefix(mon.JSONPath, "$"), ".")
			if !simplePath.MatchString(path) || mon.ExpectedValue == "" {
				m.res.Skip(pos, what+" json query", "%q is a JSONata expression, not a plain path; write it as a [BODY].path condition", mon.JSONPath)
			} else {
				c.Conditions = append(c.Conditions, monitor.ConditionSpec{Condition: fmt.Sprintf("[BODY].%s == %s", path, mon.ExpectedValue)})
			}
		}
		if mon.UpsideDown {
			m.res.Skip(pos, what+" upside-down mode", "an HTTP check cannot be inverted as a whole; write the conditions it should fail on")
		}
	case "port":
		c.Type, c.Host, c.Port = monitor.TypeTCP, mon.Hostname, mon.Port
		negate = upsideDown(bool(mon.UpsideDown))
		c.Conditions = []monitor.ConditionSpec{{Condition: negate("[CONNECTED] == true")}}
	case "ping":
		c.Type, c.Host = monitor.TypeICMP, mon.Hostname
		negate = upsideDown(bool(mon.UpsideDown))
		c.Conditions = []monitor.ConditionSpec{{Condition: negate("[CONNECTED] == true")}}
	case "dns":
		c.Type, c.Host, c.Record = monitor.TypeDNS, mon.Hostname, strings.ToUpper(mon.DNSResolveType)
		if mon.DNSResolveServer != "" {
			port := mon.Port
			if port == 0 {
				port = 53
			}
			c.Resolver = net.JoinHostPort(mon.DNSResolveServer, strconv.Itoa(port))
		}
		if c.Record == "CAA" {
			m.res.Skip(pos, what+" record type", "Sextant does not look up CAA records; checks A instead")
			c.Record = "A"
		}
	case "push":
		c.Type = monitor.TypeHeartbeat
		c.Period, c.Interval, c.Timeout, c.FailAfter = c.Interval, "", "", 0
		if c.Period == "" {
			c.Period = "60s"
		}
		m.res.Skip(pos, what+" push token", "Sextant gives each heartbeat its own ping URL (shown on the check's page); point the job at it")
	default:
		m.res.Skip(pos, what, "Sextant has no %s check (it has http, keyword, json-query, port, ping, dns and push)", mon.Type)
		return
	}
	for _, t := range extraTags {
		m.res.Skip(pos, what+" tag "+strconv.Quote(t.Name), "a check belongs to one service: its group, else its first tag")
	}
	m.notify(&c, mon, pos, what)
	if _, fields := monitor.Compile(c, nil); len(fields) > 0 {
		msgs := make([]string, len(fields))
		for i, f := range fields {
			msgs[i] = f.Path + ": " + f.Msg
		}
		m.res.Skip(pos, what, "%s", strings.Join(msgs, "; "))
		return
	}
	svc := m.service(svcKey, svcTitle, svcDesc)
	c.Service = svc
	m.res.Config.Checks = append(m.res.Config.Checks, c)
	m.res.Map(pos, what, "check %s (%s) on service %s", c.Name, c.Type, svc)
}

var simplePath = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*|\[[0-9]+\])*$`)

func upsideDown(on bool) func(string) string {
	return func(c string) string {
		if on {
			return strings.Replace(c, "== true", "== false", 1)
		}
		return c
	}
}

func derefInt(p *int) int {
	if p == nil {
		return -1
	}
	return *p
}

// statusConditions says accepted status codes as conditions: one range
// ("200-299") as two bounds, single codes as any(); ok is false when the
// list mixes ranges (Sextant's conditions all must hold), and then the
// first range is kept.
func statusConditions(codes []string) (conds []string, ok bool) {
	if len(codes) == 0 {
		return []string{"[STATUS] >= 200", "[STATUS] <= 299"}, true
	}
	var singles, ranges []string
	for _, c := range codes {
		c = strings.TrimSpace(c)
		if lo, hi, isRange := strings.Cut(c, "-"); isRange {
			if _, err1 := strconv.Atoi(lo); err1 != nil {
				continue
			}
			if _, err2 := strconv.Atoi(hi); err2 != nil {
				continue
			}
			ranges = append(ranges, c)
		} else if _, err := strconv.Atoi(c); err == nil {
			singles = append(singles, c)
		}
	}
	switch {
	case len(ranges) == 1 && len(singles) == 0:
		lo, hi, _ := strings.Cut(ranges[0], "-")
		return []string{"[STATUS] >= " + lo, "[STATUS] <= " + hi}, true
	case len(ranges) == 0 && len(singles) == 1:
		return []string{"[STATUS] == " + singles[0]}, true
	case len(ranges) == 0 && len(singles) > 1:
		return []string{"[STATUS] == any(" + strings.Join(singles, ", ") + ")"}, true
	case len(ranges) > 0:
		lo, hi, _ := strings.Cut(ranges[0], "-")
		return []string{"[STATUS] >= " + lo, "[STATUS] <= " + hi}, false
	}
	return []string{"[STATUS] >= 200", "[STATUS] <= 299"}, false
}

// notify points the check at an escalation policy notifying its
// monitor's notifications.
func (m *mapper) notify(c *monitor.Check, mon Monitor, pos, what string) {
	var ids []int
	for id, on := range mon.NotificationIDList {
		n, err := strconv.Atoi(id)
		if on && err == nil {
			ids = append(ids, n)
		}
	}
	sort.Ints(ids)
	var names []string
	for _, id := range ids {
		ch, ok := m.channels[id]
		if !ok {
			m.res.Skip(pos, what+" notification "+strconv.Itoa(id), "its notification was not imported (see above)")
			continue
		}
		if !slices.Contains(names, ch) {
			names = append(names, ch)
		}
	}
	if len(names) == 0 {
		return
	}
	policy := "notify-" + strings.Join(names, "-")
	if len(policy) > 64 {
		policy = policy[:64]
	}
	if !m.policies[policy] {
		m.policies[policy] = true
		targets := make([]string, len(names))
		for i, n := range names {
			targets[i] = "channel:" + n
		}
		m.res.Config.EscalationPolicies = append(m.res.Config.EscalationPolicies, importer.Policy{Name: policy, Levels: []importer.Level{{Delay: "0m", Notify: targets}}})
	}
	c.Escalation = policy
}
