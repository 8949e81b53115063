package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/change"
	"github.com/sextant-ops/sextant/internal/notify"
	"github.com/sextant-ops/sextant/internal/store"
	"github.com/sextant-ops/sextant/internal/timeline"
	"github.com/sextant-ops/sextant/internal/web"
)

// newChanges builds change management over the rest of the server: the
// config file's rules, the services' tiers and error budgets from the
// same reporter as every availability figure, the CMDB's items, the
// users' roles and addresses, and the catalog's maintenance windows.
func (a *App) newChanges() *change.Store {
	return &change.Store{DB: a.db, Now: a.opts.Now, OnEnqueue: a.outbox.Kick,
		Rules: func() change.Rules {
			if c := a.fileCfg.Load(); c != nil {
				return c.Change
			}
			r, _ := change.Config{}.Compile()
			return r
		},
		Sources: change.Sources{
			Services: a.changeFacts,
			Item: func(ctx context.Context, name string) bool {
				_, err := a.cmdb.GetItem(ctx, name)
				return err == nil
			},
			ItemsOf: func(ctx context.Context) (map[string][]string, error) {
				cat, err := a.catalog.Load(ctx)
				if err != nil {
					return nil, err
				}
				out := map[string][]string{}
				for _, s := range cat.Services {
					for _, d := range s.DependsOn {
						if d.CI != "" {
							out[s.Name] = append(out[s.Name], d.CI)
						}
					}
				}
				return out, nil
			},
			Role:   a.userRole,
			People: a.changePeople,
			Maintenance: func(ctx context.Context, actor string, services []string, title string, start, end time.Time) (string, error) {
				w := catalog.MaintenanceWindow{Title: title, Start: start.UTC().Format(time.RFC3339), End: end.UTC().Format(time.RFC3339)}
				// The change holds the window: a service declared in the
				// config file takes it beside its spec.
				if err := a.catalog.HoldMaintenance(ctx, actor, actor, services, w); err != nil {
					return "", err
				}
				a.services.invalidate()
				return catalog.WindowRef(w), nil
			},
		}}
}

// changeFacts gives the risk assessment and the guard rails each named
// service's tier, hours, zone and current error budget.
func (a *App) changeFacts(ctx context.Context, names []string, now time.Time) (map[string]change.ServiceFacts, error) {
	snap, err := a.reports.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]change.ServiceFacts{}
	for _, name := range names {
		svc, ok := snap.Services[name]
		if !ok {
			continue
		}
		f := change.ServiceFacts{Name: name, Tier: svc.Tier, Zone: snap.Zone(name),
			AlwaysOn: svc.Objective == nil || svc.Objective.Hours == "" || svc.Objective.Hours == catalog.AlwaysOn}
		if svc.Objective != nil {
			rep, err := snap.Report(name, timeline.Range{})
			if err != nil {
				return nil, err
			}
			f.Budget, f.BudgetLeft = rep.ErrorBudget.Duration(), rep.ErrorBudgetRemaining.Duration()
		}
		out[name] = f
	}
	return out, nil
}

// userRole is a user's role, "" for a name that is no enabled user.
func (a *App) userRole(ctx context.Context, name string) auth.Role {
	u, err := a.auth.GetUser(ctx, name)
	if err != nil || u.Disabled {
		return ""
	}
	return u.Role
}

// changePeople are those approval mail may go to: the users with an
// address, then the config file's people (whose address wins).
func (a *App) changePeople(ctx context.Context) map[string]string {
	out := map[string]string{}
	pg := store.Page{Limit: store.MaxLimit}
	for {
		users, next, err := a.auth.ListUsers(ctx, pg)
		if err != nil {
			a.log.Warn("users not read for approval mail", "err", err)
			break
		}
		for _, u := range users {
			if u.Email != "" && !u.Disabled {
				out[u.Name] = u.Email
			}
		}
		if next == "" {
			break
		}
		pg.Cursor = next
	}
	for _, p := range a.oncall.dir().people {
		if p.Email != "" {
			out[p.Name] = p.Email
		}
	}
	return out
}

// changeMail is the outbox channel of approval mail: it writes, when the
// row is sent, what is true then — a change decided meanwhile gets no
// mail — with a signed link to the decision page.
type changeMail struct{ a *App }

// errNoChangeMail fails approval mail when the config has no mail settings.
var errNoChangeMail = notify.Permanent(errors.New("no mail settings: add mail.smtp to the config to send approval mail"))

func (m *changeMail) Send(ctx context.Context, msg notify.Message) error {
	id, approver, ok := change.ParseMailKind(msg.Kind)
	if !ok {
		return notify.Permanent(fmt.Errorf("not an approval mail: %q", msg.Kind))
	}
	a := m.a
	c, err := a.changes.Get(ctx, id)
	if err != nil {
		return notify.Permanent(err)
	}
	if c.Approval.Status != change.Submitted {
		return nil // decided meanwhile: nothing to ask
	}
	to := a.changePeople(ctx)[approver]
	if to == "" {
		return notify.Permanent(fmt.Errorf("%s has no mail address", approver))
	}
	mailer := a.mailer.Load()
	if mailer == nil {
		return errNoChangeMail
	}
	link := a.baseURL() + web.ChangeDecisionPath(id) + "?" + change.DecisionQuery(a.linkSigner, id, approver, a.opts.Now(), a.changes.Rule().LinkLifetime)
	return mailer.Send(ctx, notify.Letter{To: to, Subject: fmt.Sprintf("Approval needed: change #%d %s", c.ID, c.Title), Body: changeMailBody(c, link)})
}

// changeMailBody is the approval mail's text: what, where, when, the risk
// with its reasons, and the link.
func changeMailBody(c change.Request, link string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Change #%d awaits your approval: %s\n\n", c.ID, c.Title)
	fmt.Fprintf(&b, "Type: %s\nServices: %s\n", c.Type, strings.Join(c.Services, ", "))
	if len(c.Items) > 0 {
		fmt.Fprintf(&b, "Configuration items: %s\n", strings.Join(c.Items, ", "))
	}
	fmt.Fprintf(&b, "Planned: %s to %s (UTC)\n", c.PlannedStart.UTC().Format("2006-01-02 15:04"), c.PlannedEnd.UTC().Format("2006-01-02 15:04"))
	if c.Outage {
		b.WriteString("An outage is expected: the window becomes maintenance once approved.\n")
	}
	fmt.Fprintf(&b, "\nRisk: %s (%d points)\n", c.Risk.Level, c.Risk.Score)
	for _, r := range c.Risk.Reasons {
		fmt.Fprintf(&b, "- %s (+%d)\n", r.Detail, r.Points)
	}
	if c.Description != "" {
		fmt.Fprintf(&b, "\n%s\n", c.Description)
	}
	fmt.Fprintf(&b, "\nApprove or reject it here (the link works for you alone, until it expires):\n%s\n", link)
	return b.String()
}
