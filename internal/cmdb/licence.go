package cmdb

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
)

// LicenceClass is the built-in class of licences. Its attributes:
// product, seats (a whole number), unlimited (true for a site licence
// without a count), cost_per_seat (a decimal amount in the config's
// currency) and expires (the last day it is valid).
const LicenceClass = "licence"

// LicenceAttr is the attribute of the built-in application class naming
// the licence the software is used under: each item it is installed_on
// takes a seat of that licence.
const LicenceAttr = "licence"

// DefaultWarnDays is how many days before a licence expires it is warned
// of, when the config says nothing.
const DefaultWarnDays = 30

// Seat is one use of a licence's seats: an item it (or software under it)
// is installed on, or a person it is assigned to.
type Seat struct {
	// Kind is "install" or "assignment".
	Kind string `json:"kind"`
	// Item is the item installed on (installs); Person the person
	// (assignments).
	Item   string `json:"item,omitempty"`
	Person string `json:"person,omitempty"`
	// Via names the software item whose install takes the seat, "" when
	// the licence itself is installed_on the item.
	Via string `json:"via,omitempty"`
}

// The kinds of Seat.
const (
	SeatInstall    = "install"
	SeatAssignment = "assignment"
)

// LicenceReport is a licence's compliance: its seats, what uses them, and
// what is over quota and at what cost. Over-quota use is allowed (a
// licence is often trued up at renewal) but shown with its cost.
type LicenceReport struct {
	Name    string `json:"name"`
	Product string `json:"product,omitempty"`
	// Retired is set for a licence item retired from use: it is still
	// reported, but not warned of.
	Retired bool `json:"retired,omitempty"`
	// Seats is the seat count; 0 with Unlimited.
	Seats     int  `json:"seats"`
	Unlimited bool `json:"unlimited"`
	// Used counts Installs (each item once) and Assignments.
	Used   int `json:"used"`
	Unused int `json:"unused"`
	Over   int `json:"over_quota"`
	// CostPerSeat is in the config's currency (Currency); OverCost is
	// Over × CostPerSeat, UnusedCost Unused × CostPerSeat, both rounded
	// to the cent.
	CostPerSeat float64 `json:"cost_per_seat"`
	OverCost    float64 `json:"over_quota_cost"`
	UnusedCost  float64 `json:"unused_cost"`
	Currency    string  `json:"currency,omitempty"`
	// Expires is the last day the licence is valid ("" for none);
	// DaysToExpiry counts from today to it (0 on the day itself,
	// negative once it has passed). Expiring is set within the warning
	// period, Expired after the day.
	Expires      string `json:"expires,omitempty"`
	DaysToExpiry *int   `json:"days_to_expiry,omitempty"`
	Expiring     bool   `json:"expiring"`
	Expired      bool   `json:"expired"`
	Installs     []Seat `json:"installs"`
	Assignments  []Seat `json:"assignments"`
	// Warnings are the expiry warnings sent, newest first, with each
	// channel's delivery (one licence's report only).
	Warnings []WarningSent `json:"warnings,omitempty"`
}

// WarningSent is one expiry warning and its deliveries.
type WarningSent struct {
	Expires    string     `json:"expires"`
	Summary    string     `json:"summary"`
	At         time.Time  `json:"at"`
	Deliveries []Delivery `json:"deliveries"`
}

// Delivery is a warning's delivery to one channel, as the outbox holds it:
// pending, sent or failed, with the last error.
type Delivery struct {
	Channel   string `json:"channel"`
	Status    string `json:"status"`
	LastError string `json:"last_error,omitempty"`
}

// LicenceTerms are a licence item's attributes read as figures.
type LicenceTerms struct {
	Product     string
	Seats       int
	Unlimited   bool
	CostPerSeat float64
	// Expires is midnight of the last valid day in UTC (the date as
	// written), zero for none.
	Expires time.Time
}

// ParseLicence reads a licence item's terms, with a problem per bad
// attribute (paths relative to the item: attributes.cost_per_seat). An
// attribute left out is zero.
func ParseLicence(it Item) (LicenceTerms, []apperr.Field) {
	var t LicenceTerms
	var inv apperr.Invalid
	t.Product = string(it.Attributes["product"])
	if v := string(it.Attributes["seats"]); v != "" {
		n, err := strconv.Atoi(v)
		switch {
		case err != nil:
			inv.Add("attributes.seats", "expected a whole number of seats, got %q", v)
		case n < 0:
			inv.Add("attributes.seats", "must be 0 or more, got %d", n)
		default:
			t.Seats = n
		}
	}
	if v := string(it.Attributes["unlimited"]); v != "" {
		t.Unlimited = v == "true"
		if v != "true" && v != "false" {
			inv.Add("attributes.unlimited", "expected true or false, got %q", v)
		}
	}
	if v := string(it.Attributes["cost_per_seat"]); v != "" {
		c, msg := parseAmount(v)
		if msg != "" {
			inv.Add("attributes.cost_per_seat", "%s", msg)
		}
		t.CostPerSeat = c
	}
	if v := string(it.Attributes["expires"]); v != "" {
		d, err := time.Parse(time.DateOnly, v)
		if err != nil {
			inv.Add("attributes.expires", "expected a date such as 2027-03-31, got %q", v)
		}
		t.Expires = d
	}
	return t, inv.Fields
}

// parseAmount reads a money amount written as a plain decimal ("12",
// "12.5", "1200.00"): no sign, no thousands separators, at most two
// decimals, so that what is written is what is counted.
func parseAmount(v string) (float64, string) {
	bad := fmt.Sprintf("expected an amount such as 12.50 (digits, at most two decimals), got %q", v)
	whole, frac, dot := strings.Cut(v, ".")
	if whole == "" || len(frac) > 2 || (dot && frac == "") || strings.Trim(whole+frac, "0123456789") != "" {
		return 0, bad
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f > 1e12 {
		return 0, bad
	}
	return f, ""
}

// cents rounds an amount to the cent.
func cents(f float64) float64 { return math.Round(f*100) / 100 }

// Licence works out a licence's compliance on the day of now in loc, from
// its terms and the seats in use, warning warnDays ahead of its expiry. It
// is a pure function of its inputs. Installs are counted once per item
// (the licence and software under it on the same server take one seat),
// assignments once per person.
func Licence(name string, t LicenceTerms, installs, assignments []Seat, now time.Time, loc *time.Location, warnDays int, currency string) LicenceReport {
	r := LicenceReport{Name: name, Product: t.Product, Seats: t.Seats, Unlimited: t.Unlimited, CostPerSeat: t.CostPerSeat, Currency: currency,
		Installs: dedupeSeats(installs, func(s Seat) string { return s.Item }), Assignments: dedupeSeats(assignments, func(s Seat) string { return s.Person })}
	if r.Unlimited {
		r.Seats = 0
	}
	r.Used = len(r.Installs) + len(r.Assignments)
	if !r.Unlimited {
		r.Unused = max(r.Seats-r.Used, 0)
		r.Over = max(r.Used-r.Seats, 0)
	}
	r.OverCost = cents(float64(r.Over) * t.CostPerSeat)
	r.UnusedCost = cents(float64(r.Unused) * t.CostPerSeat)
	if !t.Expires.IsZero() {
		r.Expires = t.Expires.Format(time.DateOnly)
		y, m, d := now.In(loc).Date()
		today := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		days := int(t.Expires.Sub(today).Hours() / 24)
		r.DaysToExpiry = &days
		r.Expired = days < 0
		r.Expiring = days >= 0 && days <= warnDays
	}
	return r
}

// dedupeSeats keeps the first seat of each key, ordered by key.
func dedupeSeats(in []Seat, key func(Seat) string) []Seat {
	out := make([]Seat, 0, len(in))
	seen := map[string]bool{}
	for _, s := range in {
		if k := key(s); !seen[k] {
			seen[k] = true
			out = append(out, s)
		}
	}
	slices.SortStableFunc(out, func(a, b Seat) int { return strings.Compare(key(a), key(b)) })
	return out
}

// LicenceInstalls finds, in a whole set, the installs of each licence:
// the items a licence is installed_on, and those a software item whose
// licence attribute names it is installed_on. Retired items (the
// licence's target or the software) take no seat.
func LicenceInstalls(set Set) map[string][]Seat {
	items := make(map[string]Item, len(set.Items))
	for _, it := range set.Items {
		items[it.Name] = it
	}
	out := map[string][]Seat{}
	for _, r := range set.Relations {
		if r.Type != InstalledOn {
			continue
		}
		from, to := items[r.From], items[r.To]
		if from.Lifecycle == Retired || to.Lifecycle == Retired {
			continue
		}
		switch {
		case from.Class == LicenceClass:
			out[from.Name] = append(out[from.Name], Seat{Kind: SeatInstall, Item: to.Name})
		case from.Attributes[LicenceAttr] != "":
			l := string(from.Attributes[LicenceAttr])
			if items[l].Class == LicenceClass {
				out[l] = append(out[l], Seat{Kind: SeatInstall, Item: to.Name, Via: from.Name})
			}
		}
	}
	return out
}

// licenceProblems are the problems of a licence item's terms beyond the
// attributes' types (which Validate checks for every class): a negative
// seat count, an amount that is not one. Paths are under prefix, the
// item's path in its set.
func licenceProblems(prefix string, it Item) []apperr.Field {
	if it.Class != LicenceClass {
		return nil
	}
	var inv apperr.Invalid
	if n, err := strconv.Atoi(string(it.Attributes["seats"])); err == nil && n < 0 {
		inv.Add(prefix+".attributes.seats", "must be 0 or more, got %d", n)
	}
	if v := string(it.Attributes["cost_per_seat"]); v != "" {
		if _, msg := parseAmount(v); msg != "" {
			inv.Add(prefix+".attributes.cost_per_seat", "%s", msg)
		}
	}
	return inv.Fields
}
