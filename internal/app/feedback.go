package app

import (
	"context"

	"github.com/sextant-ops/sextant/internal/feedback"
	"github.com/sextant-ops/sextant/internal/signed"
)

// newFeedback builds the satisfaction surveys and service ratings: the
// desk's resolutions make surveys due in their own transaction, and the
// survey mails go through the outbox's "survey" channel.
func (a *App) newFeedback(ctx context.Context) error {
	signer, err := signed.Load(ctx, a.db)
	if err != nil {
		return err
	}
	a.feedback = feedback.NewStore(a.db, a.catalog, signer, nil, a.opts.Now)
	a.feedback.Address = func(ctx context.Context, name string) string {
		if u, err := a.auth.GetUser(ctx, name); err == nil {
			return u.Email
		}
		return ""
	}
	a.desk.OnResolved = a.feedback.OnResolved
	a.surveyMail = &feedback.Mail{Store: a.feedback, Mailer: a.mailer.Load, BaseURL: a.baseURL}
	a.ratings = &feedback.Public{Store: a.feedback, Config: a.feedbackConfig}
	return nil
}

// feedbackConfig is the running config's feedback section.
func (a *App) feedbackConfig() feedback.Config {
	if c := a.fileCfg.Load(); c != nil {
		return c.Feedback
	}
	return feedback.Config{}
}
