package cmdb

import (
	"fmt"
	"reflect"
	"testing"
	"time"
)

func installs(n int) []Seat {
	out := make([]Seat, n)
	for i := range out {
		out[i] = Seat{Kind: SeatInstall, Item: fmt.Sprintf("pc-%02d", i+1)}
	}
	return out
}

func people(names ...string) []Seat {
	out := make([]Seat, len(names))
	for i, n := range names {
		out[i] = Seat{Kind: SeatAssignment, Person: n}
	}
	return out
}

// TestLicenceFigures works the seats out by hand: used = distinct items
// installed on + people assigned; over = used − seats when positive, at
// cost_per_seat each; unused = seats − used when positive.
func TestLicenceFigures(t *testing.T) {
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	terms := LicenceTerms{Product: "Office", Seats: 10, CostPerSeat: 12.5}
	for _, tc := range []struct {
		name                   string
		terms                  LicenceTerms
		installs, assignments  []Seat
		used, unused, over     int
		overCost, unusedCost   float64
		wantInstalls, wantPeop int
	}{
		// 12 installs and 1 assignment on 10 seats: 13 used, 3 over at
		// 12.50 = 37.50, none unused.
		{"over quota", terms, installs(12), people("alice"), 13, 0, 3, 37.5, 0, 12, 1},
		// pc-01 twice (the licence itself and software under it) is one
		// seat; alice twice is one seat: 3 + 1 = 4 used, 6 unused at 12.50
		// = 75.00.
		{"each item and person once", terms,
			append(installs(3), Seat{Kind: SeatInstall, Item: "pc-01", Via: "word"}), people("alice", "alice"), 4, 6, 0, 0, 75, 3, 1},
		{"exactly full", terms, installs(10), nil, 10, 0, 0, 0, 0, 10, 0},
		// An unlimited licence is never over nor has seats unused.
		{"unlimited", LicenceTerms{Unlimited: true, Seats: 5, CostPerSeat: 3}, installs(500), people("bob"), 501, 0, 0, 0, 0, 500, 1},
		// Cents: 3 over at 0.10 is 0.30, not 0.30000000000000004.
		{"cents", LicenceTerms{Seats: 1, CostPerSeat: 0.1}, installs(4), nil, 4, 0, 3, 0.3, 0, 4, 0},
		{"nothing used", terms, nil, nil, 0, 10, 0, 0, 125, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Licence("office", tc.terms, tc.installs, tc.assignments, now, time.UTC, 30, "EUR")
			got := []any{r.Used, r.Unused, r.Over, r.OverCost, r.UnusedCost, len(r.Installs), len(r.Assignments)}
			want := []any{tc.used, tc.unused, tc.over, tc.overCost, tc.unusedCost, tc.wantInstalls, tc.wantPeop}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("used, unused, over, over cost, unused cost, installs, assignments:\n got %v\nwant %v", got, want)
			}
			if r.DaysToExpiry != nil || r.Expiring || r.Expired {
				t.Fatalf("no expiry date, yet %+v", r)
			}
		})
	}
}

// TestLicenceExpiry counts calendar days from today, in the zone given, to
// the last valid day.
func TestLicenceExpiry(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	morning := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name      string
		now       time.Time
		loc       *time.Location
		expires   string
		days      int
		expiring  bool
		expired   bool
		warnDays  int
		wantKind  string
		wantWords string
	}{
		// 3 December to 2 January: 28 days left in December + 2 = 30.
		{"30 days ahead is warned", morning, time.UTC, "2027-01-02", 30, true, false, 30, NoticeLicenceExpiring,
			"Licence office (Office) expires on 2027-01-02, in 30 days; 0 of 10 seats in use"},
		{"31 days ahead is not", morning, time.UTC, "2027-01-03", 31, false, false, 30, "", ""},
		{"a longer warning period", morning, time.UTC, "2027-01-03", 31, true, false, 45, NoticeLicenceExpiring, ""},
		{"the last day", morning, time.UTC, "2026-12-03", 0, true, false, 30, NoticeLicenceExpiring,
			"Licence office (Office) expires today (2026-12-03); 0 of 10 seats in use"},
		{"the day after", morning, time.UTC, "2026-12-02", -1, false, true, 30, NoticeLicenceExpired,
			"Licence office (Office) expired on 2026-12-02, 1 day ago; 0 of 10 seats in use"},
		// 23:30 UTC on 3 December is already 4 December in Paris.
		{"today in the zone", time.Date(2026, 12, 3, 23, 30, 0, 0, time.UTC), paris, "2027-01-02", 29, true, false, 30, NoticeLicenceExpiring, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exp, _ := time.Parse(time.DateOnly, tc.expires)
			r := Licence("office", LicenceTerms{Product: "Office", Seats: 10, Expires: exp}, nil, nil, tc.now, tc.loc, tc.warnDays, "")
			if r.DaysToExpiry == nil || *r.DaysToExpiry != tc.days || r.Expiring != tc.expiring || r.Expired != tc.expired || r.Expires != tc.expires {
				t.Fatalf("got days %v expiring %v expired %v (%s), want %d %v %v", r.DaysToExpiry, r.Expiring, r.Expired, r.Expires, tc.days, tc.expiring, tc.expired)
			}
			if tc.wantKind == "" {
				return
			}
			kind, words := LicenceWarning(r)
			if kind != tc.wantKind || (tc.wantWords != "" && words != tc.wantWords) {
				t.Fatalf("warning %s %q, want %s %q", kind, words, tc.wantKind, tc.wantWords)
			}
		})
	}
}

// TestLicenceInstalls finds the seats in a set: the licence installed_on
// items, and software whose licence attribute names it installed_on
// items; retired items take none.
func TestLicenceInstalls(t *testing.T) {
	set := Set{
		Items: []Item{
			{Name: "office", Class: LicenceClass}, {Name: "other", Class: LicenceClass},
			{Name: "word", Class: "application", Attributes: map[string]Value{"licence": "office"}},
			{Name: "excel", Class: "application", Attributes: map[string]Value{"licence": "office"}, Lifecycle: Retired},
			{Name: "pc-1", Class: "server"}, {Name: "pc-2", Class: "server"}, {Name: "pc-3", Class: "server", Lifecycle: Retired},
		},
		Relations: []Relation{
			{From: "office", Type: InstalledOn, To: "pc-1"},
			{From: "word", Type: InstalledOn, To: "pc-1"},
			{From: "word", Type: InstalledOn, To: "pc-2"},
			{From: "excel", Type: InstalledOn, To: "pc-2"},
			{From: "office", Type: InstalledOn, To: "pc-3"},
			{From: "other", Type: RunsOn, To: "pc-1"},
		},
	}
	got := LicenceInstalls(set)
	want := map[string][]Seat{"office": {
		{Kind: SeatInstall, Item: "pc-1"}, {Kind: SeatInstall, Item: "pc-1", Via: "word"}, {Kind: SeatInstall, Item: "pc-2", Via: "word"},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	r := Licence("office", LicenceTerms{Seats: 1}, got["office"], nil, time.Now(), time.UTC, 30, "")
	if r.Used != 2 || r.Over != 1 {
		t.Fatalf("pc-1 and pc-2 take two seats of one: %+v", r)
	}
}

// TestLicenceValidation refuses terms that cannot be counted.
func TestLicenceValidation(t *testing.T) {
	set := Set{Items: []Item{
		{Name: "a", Class: LicenceClass, Attributes: map[string]Value{"seats": "-1", "cost_per_seat": "12,50"}},
		{Name: "b", Class: LicenceClass, Attributes: map[string]Value{"seats": "10", "cost_per_seat": "12.50", "expires": "2027-01-31"}},
		{Name: "c", Class: LicenceClass, Attributes: map[string]Value{"cost_per_seat": "1.234"}},
	}, Licences: LicenceConfig{WarnDays: -2}}
	var got []string
	for _, f := range Validate(set) {
		got = append(got, f.Path)
	}
	want := []string{"licences.warn_days", "items[0].attributes.seats", "items[0].attributes.cost_per_seat", "items[2].attributes.cost_per_seat"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
}
