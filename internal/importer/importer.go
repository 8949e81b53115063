// Package importer turns other tools' configurations into a Sextant config
// file, so that a team can move over in an afternoon: Gatus's YAML, an
// Uptime Kuma backup or database, and OpenSLO documents. Each importer
// maps what has a Sextant equivalent and lists, with its position in the
// source, every item it could not map and why — nothing is dropped
// silently.
package importer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/monitor"
)

// Config is the Sextant config an importer writes: the subset of the file's
// keys that other tools have equivalents for.
type Config struct {
	Services           []catalog.Service `json:"services,omitempty"`
	Checks             []monitor.Check   `json:"checks,omitempty"`
	Channels           []Channel         `json:"channels,omitempty"`
	EscalationPolicies []Policy          `json:"escalation_policies,omitempty"`
}

// Channel is a notification channel as the config file spells it.
type Channel struct {
	Name   string   `json:"name"`
	Type   string   `json:"type"`
	URL    string   `json:"url,omitempty"`
	Secret string   `json:"secret,omitempty"`
	Topic  string   `json:"topic,omitempty"`
	To     []string `json:"to,omitempty"`
	From   string   `json:"from,omitempty"`
	SMTP   *SMTP    `json:"smtp,omitempty"`
}

// SMTP is an e-mail channel's server.
type SMTP struct {
	Host     string `json:"host,omitempty"`
	Port     int    `json:"port,omitempty"`
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
}

// Policy is an escalation policy as the config file spells it.
type Policy struct {
	Name   string  `json:"name"`
	Levels []Level `json:"levels"`
}

// Level is one step of a policy.
type Level struct {
	Delay  string   `json:"delay"`
	Notify []string `json:"notify"`
}

// Item is one thing read from the source: where it stood, what it was,
// and what became of it.
type Item struct {
	Pos  string `json:"pos"`  // FILE:LINE:COL, or FILE#id for rows
	What string `json:"what"` // e.g. `endpoint "website"`
	Note string `json:"note"` // e.g. `check website (http)` or why it was not mapped
}

// Result is what an import made.
type Result struct {
	Config   Config
	Mapped   []Item
	Unmapped []Item
	// Secrets names the values copied verbatim from a source that held
	// them in clear (webhook URLs, passwords, tokens), so the report can
	// say to move them into ${ENV} references.
	Secrets []string
}

// Secret records that what was copied in clear.
func (r *Result) Secret(what string) { r.Secrets = append(r.Secrets, what) }

// Map records an item that was mapped.
func (r *Result) Map(pos, what, format string, args ...any) {
	r.Mapped = append(r.Mapped, Item{Pos: pos, What: what, Note: fmt.Sprintf(format, args...)})
}

// Skip records an item that could not be mapped, and why.
func (r *Result) Skip(pos, what, format string, args ...any) {
	r.Unmapped = append(r.Unmapped, Item{Pos: pos, What: what, Note: fmt.Sprintf(format, args...)})
}

// YAML writes the config as a Sextant config file, keys in the order the
// file documents them, with a header saying where it came from.
func (c Config) YAML(header string) ([]byte, error) {
	j, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	// JSON is YAML: parse it as a node tree (keeping key order), then
	// print it in block style.
	var n yaml.Node
	if err := yaml.Unmarshal(j, &n); err != nil {
		return nil, err
	}
	blockStyle(&n)
	var b bytes.Buffer
	for _, line := range strings.Split(strings.TrimSpace(header), "\n") {
		b.WriteString("# " + line + "\n")
	}
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&n); err != nil {
		return nil, err
	}
	return b.Bytes(), enc.Close()
}

func blockStyle(n *yaml.Node) {
	if n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode {
		n.Style = 0
	}
	if n.Kind == yaml.ScalarNode && n.Style == yaml.DoubleQuotedStyle {
		// The encoder quotes a string only where a plain scalar would read
		// back as something else ("true", "[STATUS] == 200", "12").
		n.Style = 0
	}
	for _, c := range n.Content {
		blockStyle(c)
	}
}

var nonSlug = regexp.MustCompile(`[^a-z0-9_-]+`)

// Namer makes valid, unique Sextant names from other tools' free-form
// names.
type Namer struct{ used map[string]bool }

// Name returns a slug of s not handed out before ("website (EU)" →
// "website-eu", then "website-eu-2").
func (n *Namer) Name(s, fallback string) string {
	if n.used == nil {
		n.used = map[string]bool{}
	}
	base := strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(strings.TrimSpace(s)), "-"), "-_")
	if len(base) > 58 {
		base = strings.Trim(base[:58], "-_")
	}
	if base == "" || !catalog.ValidName(base) {
		base = fallback
	}
	name := base
	for i := 2; n.used[name] || name == "new"; i++ {
		name = base + "-" + strconv.Itoa(i)
	}
	n.used[name] = true
	return name
}

// Report prints what was mapped and what was not, one line each.
func (r *Result) Report() string {
	var b strings.Builder
	fmt.Fprintf(&b, "mapped %s:\n", items(len(r.Mapped)))
	for _, it := range r.Mapped {
		fmt.Fprintf(&b, "  %s: %s → %s\n", it.Pos, it.What, it.Note)
	}
	if len(r.Secrets) > 0 {
		fmt.Fprintf(&b, "the config holds %d secrets copied from the source in clear (%s): keep the file private (it is written readable by you alone) or move them into ${ENV} references\n",
			len(r.Secrets), strings.Join(r.Secrets, ", "))
	}
	if len(r.Unmapped) == 0 {
		b.WriteString("nothing was left unmapped\n")
		return b.String()
	}
	fmt.Fprintf(&b, "could not map %s:\n", items(len(r.Unmapped)))
	skipped := append([]Item(nil), r.Unmapped...)
	sort.SliceStable(skipped, func(i, j int) bool { return posLess(skipped[i].Pos, skipped[j].Pos) })
	for _, it := range skipped {
		fmt.Fprintf(&b, "  %s: %s: %s\n", it.Pos, it.What, it.Note)
	}
	return b.String()
}

// posLess orders FILE:LINE:COL positions by file, then numerically.
func posLess(a, b string) bool {
	fa, la, ca := splitPos(a)
	fb, lb, cb := splitPos(b)
	if fa != fb {
		return fa < fb
	}
	if la != lb {
		return la < lb
	}
	return ca < cb
}

func splitPos(p string) (string, int, int) {
	parts := strings.Split(p, ":")
	if len(parts) < 3 {
		return p, 0, 0
	}
	l, _ := strconv.Atoi(parts[len(parts)-2])
	c, _ := strconv.Atoi(parts[len(parts)-1])
	return strings.Join(parts[:len(parts)-2], ":"), l, c
}

// Pos formats a YAML node's position in file.
func Pos(file string, n *yaml.Node) string {
	if n == nil {
		return file
	}
	return fmt.Sprintf("%s:%d:%d", file, n.Line, n.Column)
}

// Key returns the value node of key in a mapping node, and the key node.
func Key(m *yaml.Node, key string) (k, v *yaml.Node) {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}

// Keys lists a mapping node's keys with their value nodes, in order.
func Keys(m *yaml.Node) [][2]*yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	var out [][2]*yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		out = append(out, [2]*yaml.Node{m.Content[i], m.Content[i+1]})
	}
	return out
}

func items(n int) string {
	if n == 1 {
		return "1 item"
	}
	return strconv.Itoa(n) + " items"
}
