package cmdb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/store"
)

// SourceAgent marks an item an agent created by reporting its facts.
const SourceAgent = "agent"

// Facts are what an agent (sextant agent) reports about its host.
type Facts struct {
	Hostname string `json:"hostname"`
	// OS is the distribution's pretty name ("Debian GNU/Linux 12
	// (bookworm)"), Kernel the kernel's name and release ("Linux
	// 6.1.0-18-amd64").
	OS     string `json:"os,omitempty"`
	Kernel string `json:"kernel,omitempty"`
	CPUs   int    `json:"cpus,omitempty"`
	// MemoryMB is the host's total memory in MiB.
	MemoryMB int `json:"memory_mb,omitempty"`
	// Addresses are the host's unicast addresses, loopback left out, the
	// one to reach it by first.
	Addresses []string `json:"addresses,omitempty"`
}

// Validate reports every problem of a report, naming its field.
func (f Facts) Validate() error {
	var inv apperr.Invalid
	if strings.TrimSpace(f.Hostname) == "" {
		inv.Add("hostname", "is required")
	}
	for _, t := range []struct{ path, v string }{{"hostname", f.Hostname}, {"os", f.OS}, {"kernel", f.Kernel}} {
		if len(t.v) > maxText {
			inv.Add(t.path, "is longer than %d characters", maxText)
		}
	}
	if f.CPUs < 0 {
		inv.Add("cpus", "must be 0 (unknown) or more, not %d", f.CPUs)
	}
	if f.MemoryMB < 0 {
		inv.Add("memory_mb", "must be 0 (unknown) or more, not %d", f.MemoryMB)
	}
	if len(f.Addresses) > 100 {
		inv.Add("addresses", "lists %d addresses; at most 100", len(f.Addresses))
	}
	for i, a := range f.Addresses {
		if _, err := netip.ParseAddr(a); err != nil {
			inv.Add(fmt.Sprintf("addresses[%d]", i), "%q is not an IP address", a)
		}
	}
	return inv.Err()
}

// attributes are the facts as item attributes, those of the server class:
// "ip" is the first address, "addresses" all of them, comma-separated.
// Facts not known (empty, zero) are left out.
func (f Facts) attributes() map[string]Value {
	out := map[string]Value{}
	set := func(name, v string) {
		if v != "" && v != "0" {
			out[name] = Value(v)
		}
	}
	set("hostname", f.Hostname)
	set("os", f.OS)
	set("kernel", f.Kernel)
	set("cpus", strconv.Itoa(f.CPUs))
	set("memory_mb", strconv.Itoa(f.MemoryMB))
	if len(f.Addresses) > 0 {
		set("ip", f.Addresses[0])
		set("addresses", strings.Join(f.Addresses, ","))
	}
	return out
}

// Discovery is what an item's page shows of its agent: the facts it last
// reported, by whom, when it was first and last seen, and the attributes
// a person set to something else than discovery found (discovery leaves
// those alone).
type Discovery struct {
	Facts      Facts     `json:"facts"`
	ReportedBy string    `json:"reported_by"`
	FirstSeen  time.Time `json:"first_seen"`
	LastSeen   time.Time `json:"last_seen"`
	// Overridden maps an attribute a person set to the value discovery
	// found for it.
	Overridden map[string]string `json:"overridden,omitempty"`
}

// FactsReport is the answer to a report: the item as it now is, whether
// the report created it, and which attributes it changed.
type FactsReport struct {
	Item    StoredItem `json:"item"`
	Created bool       `json:"created"`
	// Changed lists the attributes written, in name order; empty when
	// the facts were the same as last time (only last_seen moved).
	Changed   []string  `json:"changed"`
	Discovery Discovery `json:"discovery"`
}

type factsRow struct {
	itemCreated time.Time
	attrs       map[string]Value
	facts       Facts
	reportedBy  string
	first       time.Time
	last        time.Time
}

const factsColumns = `item, item_created_at, facts, reported_by, first_seen, last_seen`

func scanFacts(row interface{ Scan(...any) error }) (string, factsRow, error) {
	var r factsRow
	var item, doc string
	var created, first, last int64
	if err := row.Scan(&item, &created, &doc, &r.reportedBy, &first, &last); err != nil {
		return "", r, err
	}
	if err := json.Unmarshal([]byte(doc), &r.facts); err != nil {
		return "", r, fmt.Errorf("cmdb: facts of %q: %w", item, err)
	}
	r.attrs, r.itemCreated, r.first, r.last = r.facts.attributes(), store.FromMillis(created), store.FromMillis(first), store.FromMillis(last)
	return item, r, nil
}

func readFacts(ctx context.Context, q store.Querier, item string) (factsRow, bool, error) {
	_, r, err := scanFacts(q.QueryRowContext(ctx, `SELECT `+factsColumns+` FROM cmdb_facts WHERE item = $1`, item))
	if errors.Is(err, sql.ErrNoRows) {
		return r, false, nil
	}
	if err != nil {
		return r, false, fmt.Errorf("cmdb: read facts: %w", err)
	}
	return r, true, nil
}

// keepDiscovered returns a file's items with the attributes their agents
// found added where the file leaves them unset, so that applying the file
// does not undo discovery; where the file says something, the file wins.
// stored are the items as stored before the file is applied.
func (s *Store) keepDiscovered(ctx context.Context, q store.Querier, items []Item, stored map[string]StoredItem) ([]Item, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+factsColumns+` FROM cmdb_facts`)
	if err != nil {
		return nil, fmt.Errorf("cmdb: read facts: %w", err)
	}
	defer rows.Close()
	found := map[string]factsRow{}
	for rows.Next() {
		name, r, err := scanFacts(rows)
		if err != nil {
			return nil, fmt.Errorf("cmdb: read facts: %w", err)
		}
		found[name] = r
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cmdb: read facts: %w", err)
	}
	out := slices.Clone(items)
	for i, it := range out {
		r, ok := found[it.Name]
		if old, exists := stored[it.Name]; !ok || !exists || !r.itemCreated.Equal(old.CreatedAt) {
			continue
		}
		for name, v := range r.attrs {
			if _, set := it.Attributes[name]; !set && s.hasAttribute(it.Class, name) {
				it.Attributes = maps.Clone(it.Attributes)
				if it.Attributes == nil {
					it.Attributes = map[string]Value{}
				}
				it.Attributes[name] = v
			}
		}
		out[i] = it
	}
	return out, nil
}

// hasAttribute says whether the class (built in or running) declares the
// attribute.
func (s *Store) hasAttribute(class, attr string) bool {
	for _, c := range s.Classes() {
		if c.Name == class {
			return slices.ContainsFunc(c.Attributes, func(a Attribute) bool { return a.Name == attr })
		}
	}
	return false
}

// ReportFacts records an agent's facts about the item name, creating it as
// a server when there is none. Each fact is written into the attribute of
// the same name when the item's class has it and nobody else owns it: the
// attribute is missing, or still holds what discovery last wrote. A value
// a person (or the config file) set is left alone, and shown beside the
// discovered one. The item changes, audited with before and after, only
// when a fact did; otherwise only its last-seen time moves.
func (s *Store) ReportFacts(ctx context.Context, actor, name string, f Facts) (FactsReport, error) {
	if !ValidName(name) {
		return FactsReport{}, &apperr.Invalid{Fields: []apperr.Field{{Path: "name", Msg: fmt.Sprintf("%q must be lower-case letters, digits, '-', '_' or '.' (at most 100)", name)}}}
	}
	if err := f.Validate(); err != nil {
		return FactsReport{}, err
	}
	var out FactsReport
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		out = FactsReport{Changed: []string{}}
		if err := s.db.Serialize(ctx, tx, "cmdb"); err != nil {
			return err
		}
		cur, err := scanItem(tx.QueryRowContext(ctx, `SELECT name, spec, source, created_at, updated_at FROM cmdb_items WHERE name = $1`, name))
		exists := err == nil
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		prev, had, err := readFacts(ctx, tx, name)
		if err != nil {
			return err
		}
		// A row written for another creation of the item was a removed
		// namesake's.
		if had && (!exists || !prev.itemCreated.Equal(cur.CreatedAt)) {
			had, prev = false, factsRow{}
		}
		it := cur.Item
		if !exists {
			it = Item{Name: name, Class: "server"}
		}
		attrs, changed := s.mergeFacts(it, f, prev.attrs)
		it.Attributes = attrs
		out.Changed = changed
		switch {
		case !exists:
			out.Created = true
			if out.Item, err = s.putItem(ctx, tx, actor, it, catalog.MustCreate, SourceAgent); err != nil {
				return err
			}
		case len(changed) > 0:
			if out.Item, err = s.putItem(ctx, tx, actor, it, catalog.MustExist, ""); err != nil {
				return err
			}
		default:
			out.Item = cur
		}
		now := s.now().UTC().Truncate(time.Millisecond)
		doc, err := json.Marshal(f)
		if err != nil {
			return err
		}
		first := now
		if had {
			first = prev.first
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO cmdb_facts (item, item_created_at, facts, reported_by, first_seen, last_seen) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (item) DO UPDATE SET item_created_at = excluded.item_created_at, facts = excluded.facts, reported_by = excluded.reported_by,
				first_seen = excluded.first_seen, last_seen = excluded.last_seen`,
			name, store.Millis(out.Item.CreatedAt), string(doc), actor, store.Millis(first), store.Millis(now)); err != nil {
			return fmt.Errorf("cmdb: record facts: %w", err)
		}
		out.Discovery = discovery(out.Item.Item, factsRow{facts: f, attrs: f.attributes(), reportedBy: actor, first: first, last: now})
		return nil
	})
	return out, err
}

// mergeFacts returns the item's attributes with the facts written where
// discovery owns them (see ReportFacts), and the names of those changed.
// previous are the attributes discovery wrote last time.
func (s *Store) mergeFacts(it Item, f Facts, previous map[string]Value) (map[string]Value, []string) {
	out := maps.Clone(it.Attributes)
	if out == nil {
		out = map[string]Value{}
	}
	var changed []string
	for name, v := range f.attributes() {
		cur, has := out[name]
		switch {
		case !s.hasAttribute(it.Class, name), has && cur == v:
		case !has, cur == previous[name]:
			out[name] = v
			changed = append(changed, name)
		}
	}
	slices.Sort(changed)
	return out, changed
}

// discovery is what the page shows from a facts row and the item now.
func discovery(it Item, r factsRow) Discovery {
	d := Discovery{Facts: r.facts, ReportedBy: r.reportedBy, FirstSeen: r.first, LastSeen: r.last}
	for name, v := range r.attrs {
		if cur, ok := it.Attributes[name]; ok && cur != v {
			if d.Overridden == nil {
				d.Overridden = map[string]string{}
			}
			d.Overridden[name] = string(v)
		}
	}
	return d
}

// Discovery returns what the item's agent last reported; apperr.NotFound
// when no agent reports it (or the item is unknown).
func (s *Store) Discovery(ctx context.Context, name string) (Discovery, error) {
	it, err := s.GetItem(ctx, name)
	if err != nil {
		return Discovery{}, err
	}
	d, err := s.discoveryOf(ctx, it)
	if err != nil {
		return Discovery{}, err
	}
	if d == nil {
		return Discovery{}, apperr.NotFound("facts of configuration item %q (no agent reports it)", name)
	}
	return *d, nil
}

// discoveryOf is what the item's agent last reported, nil for none.
func (s *Store) discoveryOf(ctx context.Context, it StoredItem) (*Discovery, error) {
	r, ok, err := readFacts(ctx, s.db.Reader(), it.Name)
	if err != nil || !ok || !r.itemCreated.Equal(it.CreatedAt) {
		return nil, err
	}
	d := discovery(it.Item, r)
	return &d, nil
}

// Attributes names the attributes the reported facts give values for.
func (d Discovery) Attributes() []string {
	return slices.Sorted(maps.Keys(d.Facts.attributes()))
}
