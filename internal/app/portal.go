package app

import (
	"context"

	"github.com/sextant-ops/sextant/internal/portal"
	"github.com/sextant-ops/sextant/internal/signed"
)

// newPortal builds the requester portal over the desk, with the signer of
// its approval links (the key in the database, shared by replicas) and
// the sender of its approval mail.
func (a *App) newPortal(ctx context.Context) error {
	links, err := signed.Load(ctx, a.db)
	if err != nil {
		return err
	}
	a.linkSigner = links
	a.portal = &portal.Store{DB: a.db, Desk: a.desk, Auth: a.auth, Catalog: a.catalog, Now: a.opts.Now}
	a.portalMail = &portal.Sender{Store: a.portal, Mailer: a.mailer.Load, BaseURL: a.baseURL, Signer: links, Log: a.log}
	a.portal.OnApproval = a.portalMail.Kick
	return nil
}
