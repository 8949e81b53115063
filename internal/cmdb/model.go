// Package cmdb is Sextant's configuration management database: typed
// configuration items (servers, VMs, databases, licences…), the relations
// between them, and the rules that say what a failing item takes down. An
// item's state comes from the checks that watch it and from what it rests
// on; services depend on items as they do on services, so an item's state
// feeds the timelines of the services above it (see timeline.Item), and
// impact analysis names each service a failing item takes down or degrades,
// with its downtime cost per hour and its error budget left.
package cmdb

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"go.yaml.in/yaml/v3"
)

// Attribute types.
const (
	TypeString = "string"
	TypeInt    = "int"
	TypeBool   = "bool"
	TypeDate   = "date"
	TypeEnum   = "enum"
	TypeIP     = "ip"
	TypeRef    = "ref"
)

// Lifecycle states of an item.
const (
	Planned = "planned"
	Live    = "live"
	Retired = "retired"
)

// Relation types. runs_on, depends_on and installed_on make the item rest
// on the other one; member_of makes the item a member of a cluster, which
// rests on its members; connects_to is recorded for the picture only.
const (
	RunsOn      = "runs_on"
	DependsOn   = "depends_on"
	ConnectsTo  = "connects_to"
	InstalledOn = "installed_on"
	MemberOf    = "member_of"
)

// The strengths of a depends_on relation, as for service dependencies.
const (
	Hard = "hard"
	Soft = "soft"
)

// Attribute is one typed attribute of a class.
type Attribute struct {
	Name     string `json:"name" yaml:"name"`
	Type     string `json:"type" yaml:"type"`
	Required bool   `json:"required,omitempty" yaml:"required"`
	// Unique says no two items of the class may share a value.
	Unique bool `json:"unique,omitempty" yaml:"unique"`
	// Values are the allowed values of an enum.
	Values []string `json:"values,omitempty" yaml:"values"`
	// Class restricts a ref to items of that class ("" allows any).
	Class string `json:"class,omitempty" yaml:"class"`
}

// Class is a kind of item and the attributes its items carry.
type Class struct {
	Name       string      `json:"name" yaml:"name"`
	Attributes []Attribute `json:"attributes,omitempty" yaml:"attributes"`
	BuiltIn    bool        `json:"built_in" yaml:"-"`
}

// Item is a configuration item as the user declares it.
type Item struct {
	Name       string           `json:"name" yaml:"name"`
	Class      string           `json:"class" yaml:"class"`
	Attributes map[string]Value `json:"attributes,omitempty" yaml:"attributes"`
	Owner      string           `json:"owner,omitempty" yaml:"owner"`
	Location   string           `json:"location,omitempty" yaml:"location"`
	// Lifecycle is planned, live (the default) or retired.
	Lifecycle string `json:"lifecycle,omitempty" yaml:"lifecycle"`
	// MinUp makes the item a cluster: it is down while fewer than MinUp of
	// its members (the items member_of it) are up. A cluster declared
	// without it needs one member up.
	MinUp int `json:"min_up,omitempty" yaml:"min_up"`
}

// Relation links two items: From runs_on, depends_on, connects_to,
// installed_on or is a member_of To. Kind (hard or soft, default hard)
// applies to depends_on only.
type Relation struct {
	ID   int64  `json:"id,omitempty" yaml:"-"`
	From string `json:"from" yaml:"from"`
	Type string `json:"type" yaml:"type"`
	To   string `json:"to" yaml:"to"`
	Kind string `json:"kind,omitempty" yaml:"kind"`
	// Source is "file" or "api".
	Source string `json:"source,omitempty" yaml:"-"`
}

// Soft says whether the relation only degrades the item that rests on it.
func (r Relation) Soft() bool { return r.Type == DependsOn && r.Kind == Soft }

// Value is an attribute value as written: JSON strings, numbers and
// booleans, or any YAML scalar. Its text is checked against the
// attribute's type by Validate.
type Value string

// UnmarshalJSON accepts a string, a number or a boolean.
func (v *Value) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*v = Value(s)
	case string(b) == "true" || string(b) == "false":
		*v = Value(b)
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("expected a string, a number or true/false")
		}
		*v = Value(n.String())
	}
	return nil
}

// MarshalJSON writes numbers and booleans as themselves, the rest as
// strings.
func (v Value) MarshalJSON() ([]byte, error) {
	s := string(v)
	if s == "true" || s == "false" {
		return []byte(s), nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && strconv.FormatInt(n, 10) == s {
		return []byte(s), nil
	}
	return json.Marshal(s)
}

// UnmarshalYAML accepts any scalar.
func (v *Value) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("expected a single value (a string, a number or true/false)")
	}
	*v = Value(n.Value)
	return nil
}

// StoredItem is an item as the store holds it.
type StoredItem struct {
	Item
	Source    string    `json:"source"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Set is a whole CMDB: what validation looks at, since a relation, a ref or
// a unique value is only right or wrong in context.
type Set struct {
	Classes   []Class    `json:"classes,omitempty" yaml:"classes"`
	Items     []Item     `json:"items,omitempty" yaml:"items"`
	Relations []Relation `json:"relations,omitempty" yaml:"relations"`
	// Licences sets how licence expiries are warned of (config file only).
	Licences LicenceConfig `json:"-" yaml:"licences"`
}

// BuiltInClasses are the classes every Sextant knows. A config file may
// declare more (Set.Classes) but not redefine these.
func BuiltInClasses() []Class {
	return []Class{
		{Name: "server", BuiltIn: true, Attributes: []Attribute{
			{Name: "hostname", Type: TypeString}, {Name: "os", Type: TypeString}, {Name: "kernel", Type: TypeString},
			{Name: "cpus", Type: TypeInt}, {Name: "memory_mb", Type: TypeInt},
			{Name: "ip", Type: TypeIP}, {Name: "addresses", Type: TypeString},
			{Name: "serial", Type: TypeString, Unique: true}}},
		{Name: "vm", BuiltIn: true, Attributes: []Attribute{
			{Name: "hostname", Type: TypeString}, {Name: "os", Type: TypeString},
			{Name: "cpus", Type: TypeInt}, {Name: "memory_mb", Type: TypeInt}, {Name: "ip", Type: TypeIP}}},
		{Name: "container", BuiltIn: true, Attributes: []Attribute{{Name: "image", Type: TypeString}}},
		{Name: "database", BuiltIn: true, Attributes: []Attribute{
			{Name: "engine", Type: TypeString}, {Name: "version", Type: TypeString}}},
		{Name: "network_device", BuiltIn: true, Attributes: []Attribute{
			{Name: "ip", Type: TypeIP}, {Name: "model", Type: TypeString}, {Name: "serial", Type: TypeString, Unique: true}}},
		{Name: "application", BuiltIn: true, Attributes: []Attribute{{Name: "version", Type: TypeString},
			{Name: LicenceAttr, Type: TypeRef, Class: LicenceClass}}},
		{Name: "saas", BuiltIn: true, Attributes: []Attribute{{Name: "vendor", Type: TypeString}, {Name: "url", Type: TypeString}}},
		{Name: LicenceClass, BuiltIn: true, Attributes: []Attribute{
			{Name: "product", Type: TypeString}, {Name: "seats", Type: TypeInt}, {Name: "unlimited", Type: TypeBool},
			{Name: "cost_per_seat", Type: TypeString}, {Name: "expires", Type: TypeDate}}},
	}
}
