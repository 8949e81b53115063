package app

import (
	"context"
	"net/url"

	"github.com/sextant-ops/sextant/internal/cmdb"
	"github.com/sextant-ops/sextant/internal/notify"
)

// newLicences wires the licence reports to the rest of the server: the
// people directory (the config's users, then the accounts) for
// assignments, the running config's licence settings and currency, and
// the outbox for expiry warnings.
func (a *App) newLicences() *cmdb.Licences {
	return &cmdb.Licences{
		CMDB: a.cmdb,
		Log:  a.log,
		Person: func(ctx context.Context, name string) bool {
			if _, ok := a.oncall.Person(name); ok {
				return true
			}
			_, err := a.auth.GetUser(ctx, name)
			return err == nil
		},
		Config: func() cmdb.LicenceConfig {
			if c := a.fileCfg.Load(); c != nil {
				return c.CMDB.Licences
			}
			return cmdb.LicenceConfig{}
		},
		Currency: func() string {
			if c := a.currency.Load(); c != nil {
				return *c
			}
			return ""
		},
		OnEnqueue: func() { a.outbox.Kick() },
	}
}

// notices words the outbox's rows about no incident that the server's
// own channels send: licence expiry warnings, with a link to the licence.
func (a *App) notices(ctx context.Context, kind string) (notify.Message, bool, error) {
	n, ok, err := a.licences.Notice(ctx, kind)
	if !ok || err != nil {
		return notify.Message{}, ok, err
	}
	return notify.Message{Kind: n.Kind, Summary: n.Summary, Severity: "warning", Source: "cmdb:" + n.Licence,
		CreatedAt: n.CreatedAt, URL: a.baseURL() + "/cis/" + url.PathEscape(n.Licence)}, true, nil
}
