package cmdb

import (
	"reflect"
	"strings"
	"testing"

	"github.com/sextant-ops/sextant/internal/availability"
)

// clusterSet is the hand-worked case: two VMs on one server each (srv-a
// hosts vm-1, srv-b hosts vm-2), both members of web-cluster with
// min_up 1; the shop depends hard on the cluster and soft on the
// reporting database; the intranet depends hard on the shop.
func clusterSet() (Set, map[string][]ServiceDep) {
	set := Set{
		Items: []Item{
			{Name: "srv-a", Class: "server"}, {Name: "srv-b", Class: "server"},
			{Name: "vm-1", Class: "vm"}, {Name: "vm-2", Class: "vm"},
			{Name: "web-cluster", Class: "application", MinUp: 1},
			{Name: "reports-db", Class: "database"},
		},
		Relations: []Relation{
			{From: "vm-1", Type: RunsOn, To: "srv-a"},
			{From: "vm-2", Type: RunsOn, To: "srv-b"},
			{From: "vm-1", Type: MemberOf, To: "web-cluster"},
			{From: "vm-2", Type: MemberOf, To: "web-cluster"},
		},
	}
	services := map[string][]ServiceDep{
		"shop":     {{CI: "web-cluster"}, {CI: "reports-db", Soft: true}},
		"intranet": {{Service: "shop"}},
		"payroll":  nil,
	}
	return set, services
}

func states(down ...string) func(string) availability.State {
	return func(name string) availability.State {
		for _, d := range down {
			if d == name {
				return availability.Down
			}
		}
		return availability.Up
	}
}

func TestImpactHandWorked(t *testing.T) {
	set, services := clusterSet()
	if p := Validate(set); len(p) > 0 {
		t.Fatalf("the case does not validate: %v", p)
	}
	g := NewGraph(set, services)
	cases := []struct {
		name    string
		failing string
		alsoOwn []string // items already down by their own checks
		want    []Effect
	}{
		// One VM fails, the other lives: min_up 1 holds, nothing goes down.
		{name: "one VM of two", failing: "vm-1", want: nil},
		// Its server fails: vm-1 goes with it, vm-2 still lives.
		{name: "one server of two", failing: "srv-a", want: nil},
		// vm-2 is already down by its checks; vm-1 failing leaves no
		// member up, so the cluster, the shop and (hard) the intranet fall.
		{name: "second VM", failing: "vm-1", alsoOwn: []string{"vm-2"}, want: []Effect{
			{Service: "intranet", State: availability.Down, Path: []string{"ci:vm-1", "ci:web-cluster", "service:shop", "service:intranet"}},
			{Service: "shop", State: availability.Down, Path: []string{"ci:vm-1", "ci:web-cluster", "service:shop"}},
		}},
		{name: "server under the last VM", failing: "srv-a", alsoOwn: []string{"vm-2"}, want: []Effect{
			{Service: "intranet", State: availability.Down, Path: []string{"ci:srv-a", "ci:vm-1", "ci:web-cluster", "service:shop", "service:intranet"}},
			{Service: "shop", State: availability.Down, Path: []string{"ci:srv-a", "ci:vm-1", "ci:web-cluster", "service:shop"}},
		}},
		// A soft dependency degrades the shop; the intranet's hard link to
		// the shop passes only down on, so the intranet is untouched.
		{name: "soft dependency", failing: "reports-db", want: []Effect{
			{Service: "shop", State: availability.Degraded, Path: []string{"ci:reports-db", "service:shop"}},
		}},
		{name: "unknown item", failing: "nothing", want: nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := g.Impact(c.failing, availability.Down, states(c.alsoOwn...))
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("Impact(%s) =\n%+v\nwant\n%+v", c.failing, got, c.want)
			}
		})
	}
}

func TestRestsOn(t *testing.T) {
	set, services := clusterSet()
	got := NewGraph(set, services).RestsOn("intranet")
	want := []Rest{
		{Node: "service:shop", Kind: Hard, Path: []string{"service:intranet", "service:shop"}},
		{Node: "ci:web-cluster", Kind: Hard, Path: []string{"service:intranet", "service:shop", "ci:web-cluster"}},
		{Node: "ci:reports-db", Kind: Soft, Path: []string{"service:intranet", "service:shop", "ci:reports-db"}},
		{Node: "ci:vm-1", Kind: "redundant", Path: []string{"service:intranet", "service:shop", "ci:web-cluster", "ci:vm-1"}},
		{Node: "ci:vm-2", Kind: "redundant", Path: []string{"service:intranet", "service:shop", "ci:web-cluster", "ci:vm-2"}},
		{Node: "ci:srv-a", Kind: "redundant", Path: []string{"service:intranet", "service:shop", "ci:web-cluster", "ci:vm-1", "ci:srv-a"}},
		{Node: "ci:srv-b", Kind: "redundant", Path: []string{"service:intranet", "service:shop", "ci:web-cluster", "ci:vm-2", "ci:srv-b"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("RestsOn =\n%+v\nwant\n%+v", got, want)
	}
}

func TestValidate(t *testing.T) {
	base := []Item{{Name: "srv-a", Class: "server"}, {Name: "vm-1", Class: "vm"}, {Name: "db-01", Class: "database"}}
	cases := []struct {
		name string
		set  Set
		want []string // "path: message fragment"
	}{
		{name: "cycle named with its path", set: Set{Items: base, Relations: []Relation{
			{From: "vm-1", Type: RunsOn, To: "srv-a"}, {From: "srv-a", Type: DependsOn, To: "db-01"}, {From: "db-01", Type: RunsOn, To: "vm-1"}}},
			want: []string{"relations[0]: an item would rest on itself: srv-a → db-01 → vm-1 → srv-a"}},
		{name: "cycle through a cluster", set: Set{Items: []Item{{Name: "c", Class: "application", MinUp: 1}, {Name: "m", Class: "vm"}},
			Relations: []Relation{{From: "m", Type: MemberOf, To: "c"}, {From: "m", Type: DependsOn, To: "c"}}},
			want: []string{"relations[1]: an item would rest on itself: c → m → c"}},
		{name: "typed attributes", set: Set{Items: []Item{
			{Name: "srv-a", Class: "server", Attributes: map[string]Value{"cpus": "eight", "ip": "10.0.0.300", "serial": "X1", "colour": "red"}},
			{Name: "srv-b", Class: "server", Attributes: map[string]Value{"serial": "X1"}},
			{Name: "lic", Class: "licence", Attributes: map[string]Value{"expires": "31/03/2027", "unlimited": "yes"}},
			{Name: "Bad Name", Class: "router", Lifecycle: "dead"},
		}}, want: []string{
			`items[0].attributes.colour: class server has no attribute "colour"`,
			`items[0].attributes.cpus: expected a whole number, got "eight"`,
			`items[0].attributes.ip: expected an IP address`,
			`items[1].attributes.serial: "X1" is already the serial of srv-a (it must be unique)`,
			`items[2].attributes.expires: expected a date such as 2027-03-31, got "31/03/2027"`,
			`items[2].attributes.unlimited: expected true or false, got "yes"`,
			`items[3].name: "Bad Name" must be`,
			`items[3].lifecycle: must be planned, live or retired, not "dead"`,
			`items[3].class: unknown class "router"`,
		}},
		{name: "declared classes", set: Set{
			Classes: []Class{
				{Name: "rack", Attributes: []Attribute{{Name: "site", Type: TypeEnum, Values: []string{"par", "ber"}, Required: true},
					{Name: "pdu", Type: TypeRef, Class: "network_device"}}},
				{Name: "server"},
				{Name: "odd", Attributes: []Attribute{{Name: "x", Type: "float"}}},
			},
			Items: []Item{{Name: "r1", Class: "rack", Attributes: map[string]Value{"pdu": "srv-a"}}, {Name: "srv-a", Class: "server"}},
		}, want: []string{
			`classes[1].name: class "server" is built in and cannot be redefined`,
			`classes[2].attributes[0].type: must be one of string, int, bool, date, enum, ip, ref, not "float"`,
			`items[0].attributes.site: is required for class rack`,
			`items[0].attributes.pdu: "srv-a" is a server, not a network_device`,
		}},
		{name: "relations", set: Set{Items: base, Relations: []Relation{
			{From: "vm-1", Type: "hosted_by", To: "srv-a"}, {From: "vm-1", Type: RunsOn, To: "ghost"},
			{From: "vm-1", Type: RunsOn, To: "srv-a", Kind: Soft}, {From: "db-01", Type: DependsOn, To: "db-01"},
		}}, want: []string{
			`relations[0].type: must be one of runs_on, depends_on, connects_to, installed_on, member_of, not "hosted_by"`,
			`relations[1].to: unknown item "ghost"`,
			`relations[2].kind: only depends_on may be soft`,
			`relations[3].to: an item cannot relate to itself`,
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Validate(c.set)
			var lines []string
			for _, f := range got {
				lines = append(lines, f.Path+": "+f.Msg)
			}
			if len(lines) != len(c.want) {
				t.Fatalf("got %d problems, want %d:\n%s", len(lines), len(c.want), strings.Join(lines, "\n"))
			}
			for _, w := range c.want {
				found := false
				for _, l := range lines {
					found = found || strings.HasPrefix(l, w)
				}
				if !found {
					t.Errorf("missing %q in:\n%s", w, strings.Join(lines, "\n"))
				}
			}
		})
	}
}

// TestImpactRetired: a retired item rests on nothing and takes nothing
// down, as on the services' timelines. With vm-2 already down, srv-a
// failing takes the shop down through vm-1; once vm-1 is retired it
// passes nothing on, and its own failure does nothing either.
func TestImpactRetired(t *testing.T) {
	set, services := clusterSet()
	if got := NewGraph(set, services).Impact("srv-a", availability.Down, states("vm-2")); len(got) != 2 {
		t.Fatalf("before retiring vm-1: %+v, want the shop and the intranet", got)
	}
	set.Items[2].Lifecycle = Retired
	g := NewGraph(set, services)
	for _, failing := range []string{"srv-a", "vm-1"} {
		if got := g.Impact(failing, availability.Down, states("vm-2")); got != nil {
			t.Errorf("%s failing with vm-1 retired: %+v, want nothing", failing, got)
		}
	}
}
