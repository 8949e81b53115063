package cmdb

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/catalog"
)

// ValidName says whether s can name an item or a class: lower-case
// letters, digits, '-', '_' and '.', as host names are often written.
func ValidName(s string) bool { return catalog.ValidItemName(s) }

const maxText = 1000

// classes returns the built-in classes followed by the declared ones,
// keyed by name, with the problems of the declared ones (paths relative to
// the set).
func classes(declared []Class) (map[string]Class, []apperr.Field) {
	var inv apperr.Invalid
	out := map[string]Class{}
	for _, c := range BuiltInClasses() {
		out[c.Name] = c
	}
	for i, c := range declared {
		p := fmt.Sprintf("classes[%d]", i)
		switch prev, dup := out[c.Name]; {
		case !ValidName(c.Name):
			inv.Add(p+".name", "%q must be lower-case letters, digits, '-', '_' or '.'", c.Name)
			continue
		case dup && prev.BuiltIn:
			inv.Add(p+".name", "class %q is built in and cannot be redefined", c.Name)
			continue
		case dup:
			inv.Add(p+".name", "class %q is declared twice", c.Name)
			continue
		}
		seen := map[string]bool{}
		for j, a := range c.Attributes {
			ap := fmt.Sprintf("%s.attributes[%d]", p, j)
			if !ValidName(a.Name) {
				inv.Add(ap+".name", "%q must be lower-case letters, digits, '-', '_' or '.'", a.Name)
			} else if seen[a.Name] {
				inv.Add(ap+".name", "attribute %q is declared twice", a.Name)
			}
			seen[a.Name] = true
			switch a.Type {
			case TypeString, TypeInt, TypeBool, TypeDate, TypeIP, TypeRef:
				if len(a.Values) > 0 {
					inv.Add(ap+".values", "only an enum has values")
				}
			case TypeEnum:
				if len(a.Values) == 0 {
					inv.Add(ap+".values", "an enum needs at least one value")
				}
			default:
				inv.Add(ap+".type", "must be one of string, int, bool, date, enum, ip, ref, not %q", a.Type)
			}
		}
		c.BuiltIn = false
		out[c.Name] = c
	}
	for i, c := range declared {
		for j, a := range c.Attributes {
			if a.Class == "" {
				continue
			}
			if _, ok := out[a.Class]; !ok || a.Type != TypeRef {
				msg := fmt.Sprintf("unknown class %q", a.Class)
				if ok {
					msg = "only a ref names a class"
				}
				inv.Add(fmt.Sprintf("classes[%d].attributes[%d].class", i, j), "%s", msg)
			}
		}
	}
	return out, inv.Fields
}

// Validate checks a whole set and returns every problem, each with its path
// (items[3].attributes.cpus, relations[2].to). It refuses relations that
// would make an item rest on itself, naming the cycle.
func Validate(set Set) []apperr.Field {
	cls, fields := classes(set.Classes)
	inv := apperr.Invalid{Fields: fields}
	inv.Fields = append(inv.Fields, apperr.Prefixed("licences", set.Licences.Validate())...)
	names := map[string]int{}
	for i, it := range set.Items {
		if j, dup := names[it.Name]; dup {
			inv.Add(fmt.Sprintf("items[%d].name", i), "item %q is already declared at items[%d]", it.Name, j)
			continue
		}
		names[it.Name] = i
	}
	type key struct{ class, attr, value string }
	unique := map[key]string{}
	for i, it := range set.Items {
		p := fmt.Sprintf("items[%d]", i)
		if !ValidName(it.Name) {
			inv.Add(p+".name", "%q must be lower-case letters, digits, '-', '_' or '.' (at most 100)", it.Name)
		}
		for _, f := range []struct{ name, v string }{{"owner", it.Owner}, {"location", it.Location}} {
			if len(f.v) > maxText {
				inv.Add(p+"."+f.name, "is longer than %d characters", maxText)
			}
		}
		switch it.Lifecycle {
		case "", Planned, Live, Retired:
		default:
			inv.Add(p+".lifecycle", "must be planned, live or retired, not %q", it.Lifecycle)
		}
		if it.MinUp < 0 {
			inv.Add(p+".min_up", "must be 1 or more, or left out")
		}
		c, ok := cls[it.Class]
		if !ok {
			inv.Add(p+".class", "unknown class %q (known: %s)", it.Class, strings.Join(sortedKeys(cls), ", "))
			continue
		}
		inv.Fields = append(inv.Fields, licenceProblems(p, it)...)
		declared := map[string]Attribute{}
		for _, a := range c.Attributes {
			declared[a.Name] = a
			v, has := it.Attributes[a.Name]
			if a.Required && (!has || v == "") {
				inv.Add(p+".attributes."+a.Name, "is required for class %s", c.Name)
			}
		}
		for _, name := range sortedKeys(it.Attributes) {
			v := string(it.Attributes[name])
			ap := p + ".attributes." + name
			a, ok := declared[name]
			if !ok {
				inv.Add(ap, "class %s has no attribute %q", c.Name, name)
				continue
			}
			if v == "" {
				continue
			}
			if msg := checkValue(a, v, set.Items, names); msg != "" {
				inv.Add(ap, "%s", msg)
				continue
			}
			if a.Unique {
				k := key{c.Name, name, v}
				if other, dup := unique[k]; dup {
					inv.Add(ap, "%q is already the %s of %s (it must be unique)", v, name, other)
				} else {
					unique[k] = it.Name
				}
			}
		}
	}
	seen := map[[3]string]int{}
	for i, r := range set.Relations {
		p := fmt.Sprintf("relations[%d]", i)
		for _, end := range []struct{ field, name string }{{"from", r.From}, {"to", r.To}} {
			if end.name == "" {
				inv.Add(p+"."+end.field, "is required")
			} else if _, ok := names[end.name]; !ok {
				inv.Add(p+"."+end.field, "unknown item %q", end.name)
			}
		}
		switch r.Type {
		case RunsOn, DependsOn, ConnectsTo, InstalledOn, MemberOf:
		default:
			inv.Add(p+".type", "must be one of runs_on, depends_on, connects_to, installed_on, member_of, not %q", r.Type)
		}
		if r.Kind != "" && r.Kind != Hard && r.Kind != Soft {
			inv.Add(p+".kind", "must be %q or %q, not %q", Hard, Soft, r.Kind)
		} else if r.Kind == Soft && r.Type != DependsOn {
			inv.Add(p+".kind", "only depends_on may be soft")
		}
		if r.From != "" && r.From == r.To {
			inv.Add(p+".to", "an item cannot relate to itself")
		}
		k := [3]string{r.From, r.Type, r.To}
		if j, dup := seen[k]; dup {
			inv.Add(p, "the same relation is already declared at relations[%d]", j)
		}
		seen[k] = i
	}
	if len(inv.Fields) == 0 {
		inv.Fields = append(inv.Fields, NewGraph(set, nil).cycles()...)
	}
	return inv.Fields
}

// checkValue says what is wrong with v as a value of a, "" when nothing.
func checkValue(a Attribute, v string, items []Item, names map[string]int) string {
	if len(v) > maxText {
		return fmt.Sprintf("is longer than %d characters", maxText)
	}
	switch a.Type {
	case TypeInt:
		if _, err := strconv.ParseInt(v, 10, 64); err != nil {
			return fmt.Sprintf("expected a whole number, got %q", v)
		}
	case TypeBool:
		if v != "true" && v != "false" {
			return fmt.Sprintf("expected true or false, got %q", v)
		}
	case TypeDate:
		if _, err := time.Parse(time.DateOnly, v); err != nil {
			return fmt.Sprintf("expected a date such as 2027-03-31, got %q", v)
		}
	case TypeEnum:
		if !slices.Contains(a.Values, v) {
			return fmt.Sprintf("must be one of %s, not %q", strings.Join(a.Values, ", "), v)
		}
	case TypeIP:
		if _, err := netip.ParseAddr(v); err != nil {
			return fmt.Sprintf("expected an IP address such as 10.0.0.5 or 2001:db8::5, got %q", v)
		}
	case TypeRef:
		j, ok := names[v]
		if !ok {
			return fmt.Sprintf("unknown item %q", v)
		}
		if a.Class != "" && items[j].Class != a.Class {
			return fmt.Sprintf("%q is a %s, not a %s", v, items[j].Class, a.Class)
		}
	}
	return ""
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
