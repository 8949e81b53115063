package feedback

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/catalog"
	"github.com/sextant-ops/sextant/internal/desk"
	"github.com/sextant-ops/sextant/internal/signed"
	"github.com/sextant-ops/sextant/internal/store"
)

// ErrNotFound is wrapped by the error for a survey that does not exist.
var ErrNotFound = apperr.ErrNotFound

// Store keeps surveys and ratings and signs survey links.
type Store struct {
	db       *store.DB
	cat      *catalog.Store
	signer   *signed.Signer
	analyser *Analyser
	now      func() time.Time
	// Address, when set, gives the mail address of a requester who is a
	// user (a portal requester is named, not addressed); "" for none.
	Address func(ctx context.Context, requester string) string
}

// mailTo is where requester's survey goes: the requester itself when it is
// an address, else the address Address gives; "" for nowhere.
func (s *Store) mailTo(ctx context.Context, requester string) string {
	switch {
	case strings.Contains(requester, "@"):
		return requester
	case s.Address != nil && requester != "":
		return s.Address(ctx, requester)
	}
	return ""
}

// NewStore returns a store over db; cat says which services exist,
// signer signs survey links; now nil means time.Now.
func NewStore(db *store.DB, cat *catalog.Store, signer *signed.Signer, analyser *Analyser, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	if analyser == nil {
		analyser = NewAnalyser()
	}
	return &Store{db: db, cat: cat, signer: signer, analyser: analyser, now: now}
}

// Now is the store's clock.
func (s *Store) Now() time.Time { return s.now() }

// Analyser is the sentiment analyser the store scores comments with.
func (s *Store) Analyser() *Analyser { return s.analyser }

// SurveyLink is the path and query of ticket's survey page, signed to
// work without signing in for LinkLifetime from now:
// /survey/ID?exp=…&sig=…. The portal shows it beside a resolved ticket;
// the survey mail carries it with a score added.
func (s *Store) SurveyLink(ticketID int64) string {
	return "/survey/" + strconv.FormatInt(ticketID, 10) + "?" + s.signer.Query(Subject(ticketID), PurposeSurvey, s.now(), LinkLifetime)
}

// CheckLink verifies a survey link's exp and sig for ticketID at now.
func (s *Store) CheckLink(q url.Values, ticketID int64) error {
	return s.signer.Check(q, Subject(ticketID), PurposeSurvey, s.now())
}

// OnResolved records, inside the transaction resolving t, the survey that
// becomes due, crediting the ticket's service, queue and assignee; a
// requester with a mail address is sent it through the outbox (channel
// Channel) when the transaction commits. A ticket has one survey: a
// ticket resolved again after reopening keeps the first.
func (s *Store) OnResolved(ctx context.Context, q store.Querier, t desk.Ticket, at time.Time) error {
	res, err := q.ExecContext(ctx, `INSERT INTO surveys (ticket_id, service, queue, agent, requester, sent_at) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (ticket_id) DO NOTHING`, t.ID, t.Service, t.Queue, t.Assignee, t.Requester, store.Millis(at))
	if err != nil {
		return fmt.Errorf("feedback: survey of ticket %d: %w", t.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 || s.mailTo(ctx, t.Requester) == "" {
		return err
	}
	if _, err := q.ExecContext(ctx, `INSERT INTO outbox (incident_id, channel, kind, status, attempts, next_attempt, claimed_until, last_error, created_at)
		VALUES (NULL, $1, $2, 'pending', 0, $3, 0, '', $3)`, Channel, KindSurvey+strconv.FormatInt(t.ID, 10), store.Millis(s.now())); err != nil {
		return fmt.Errorf("feedback: enqueue the survey of ticket %d: %w", t.ID, err)
	}
	return nil
}

const surveyColumns = `s.ticket_id, COALESCE(t.title, ''), s.service, s.queue, s.agent, s.requester, s.sent_at, s.score, s.comment, s.sentiment, s.answered_at, s.updated_at`

func scanSurvey(r interface{ Scan(...any) error }) (Survey, error) {
	var (
		sv               Survey
		sent             int64
		score, answ, upd sql.NullInt64
		sentiment        sql.NullFloat64
	)
	if err := r.Scan(&sv.TicketID, &sv.Title, &sv.Service, &sv.Queue, &sv.Agent, &sv.Requester, &sent, &score, &sv.Comment, &sentiment, &answ, &upd); err != nil {
		return Survey{}, err
	}
	sv.SentAt = store.FromMillis(sent)
	if score.Valid {
		v := int(score.Int64)
		sv.Score = &v
	}
	if sentiment.Valid {
		v := sentiment.Float64
		sv.Sentiment = &v
	}
	if answ.Valid {
		v := store.FromMillis(answ.Int64)
		sv.AnsweredAt = &v
	}
	if upd.Valid {
		v := store.FromMillis(upd.Int64)
		sv.UpdatedAt = &v
	}
	return sv, nil
}

// Survey returns ticket's survey.
func (s *Store) Survey(ctx context.Context, ticketID int64) (Survey, error) {
	return s.survey(ctx, s.db.Reader(), ticketID)
}

func (s *Store) survey(ctx context.Context, q store.Querier, ticketID int64) (Survey, error) {
	sv, err := scanSurvey(q.QueryRowContext(ctx, `SELECT `+surveyColumns+` FROM surveys s LEFT JOIN tickets t ON t.id = s.ticket_id WHERE s.ticket_id = $1`, ticketID))
	if errors.Is(err, sql.ErrNoRows) {
		return Survey{}, fmt.Errorf("survey of ticket %d: %w", ticketID, ErrNotFound)
	}
	if err != nil {
		return Survey{}, fmt.Errorf("feedback: survey of ticket %d: %w", ticketID, err)
	}
	return sv, nil
}

// Answer records the requester's answer to ticket's survey, or changes
// it within ChangeFor of the first answer; after that it is a conflict.
func (s *Store) Answer(ctx context.Context, ticketID int64, in Input) (Survey, error) {
	in = in.normal()
	if err := in.Validate(); err != nil {
		return Survey{}, err
	}
	now := s.now().UTC()
	var out Survey
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		sv, err := s.survey(ctx, tx, ticketID)
		if err != nil {
			return err
		}
		if !sv.Changeable(now) {
			return apperr.Conflict("the answer to the survey of ticket %d was given on %s and could be changed for %d days; it stands",
				ticketID, sv.AnsweredAt.Format("2 January 2006"), int(ChangeFor/(24*time.Hour)))
		}
		sentiment := s.analyser.Score(in.Comment)
		answered := now
		if sv.AnsweredAt != nil {
			answered = *sv.AnsweredAt
		}
		if _, err := tx.ExecContext(ctx, `UPDATE surveys SET score = $2, comment = $3, sentiment = $4, answered_at = $5, updated_at = $6 WHERE ticket_id = $1`,
			ticketID, in.Score, in.Comment, nullFloat(sentiment), store.Millis(answered), store.Millis(now)); err != nil {
			return fmt.Errorf("feedback: answer the survey of ticket %d: %w", ticketID, err)
		}
		score := in.Score
		sv.Score, sv.Comment, sv.Sentiment, sv.AnsweredAt, sv.UpdatedAt = &score, in.Comment, sentiment, &answered, &now
		out = sv
		return nil
	})
	return out, err
}

func nullFloat(f *float64) sql.NullFloat64 {
	if f == nil {
		return sql.NullFloat64{}
	}
	return sql.NullFloat64{Float64: *f, Valid: true}
}

// Surveys lists the surveys sent in [from, to), of one service when
// service is set, oldest first.
func (s *Store) Surveys(ctx context.Context, service string, from, to time.Time) ([]Survey, error) {
	q := `SELECT ` + surveyColumns + ` FROM surveys s LEFT JOIN tickets t ON t.id = s.ticket_id WHERE s.sent_at >= $1 AND s.sent_at < $2`
	args := []any{store.Millis(from), store.Millis(to)}
	if service != "" {
		q += ` AND s.service = $3`
		args = append(args, service)
	}
	rows, err := s.db.Reader().QueryContext(ctx, q+` ORDER BY s.sent_at, s.ticket_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("feedback: surveys: %w", err)
	}
	defer rows.Close()
	out := []Survey{}
	for rows.Next() {
		sv, err := scanSurvey(rows)
		if err != nil {
			return nil, fmt.Errorf("feedback: surveys: %w", err)
		}
		out = append(out, sv)
	}
	return out, rows.Err()
}

// Rate records feedback on service by author ("user:NAME", or "public"
// with the status page's name), its comment scored for sentiment.
func (s *Store) Rate(ctx context.Context, author, page, service string, in Input) (Rating, error) {
	in = in.normal()
	if err := in.Validate(); err != nil {
		return Rating{}, err
	}
	if _, err := s.cat.GetService(ctx, service); err != nil {
		return Rating{}, err
	}
	r := Rating{Service: service, Score: in.Score, Comment: in.Comment, Sentiment: s.analyser.Score(in.Comment), Author: author, Page: page,
		At: s.now().UTC().Truncate(time.Millisecond)}
	err := s.db.Writer().QueryRowContext(ctx, `INSERT INTO service_feedback (service, score, comment, sentiment, author, page, at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		r.Service, r.Score, r.Comment, nullFloat(r.Sentiment), r.Author, r.Page, store.Millis(r.At)).Scan(&r.ID)
	if err != nil {
		return Rating{}, fmt.Errorf("feedback: rate %s: %w", service, err)
	}
	return r, nil
}

// Ratings lists service's ratings (every service's when service is "") given in [from, to), oldest first; with
// limit > 0, only the newest limit of them (still oldest first).
func (s *Store) Ratings(ctx context.Context, service string, from, to time.Time, limit int) ([]Rating, error) {
	q := `SELECT id, service, score, comment, sentiment, author, page, at FROM service_feedback WHERE at >= $1 AND at < $2`
	args := []any{store.Millis(from), store.Millis(to)}
	if service != "" {
		q += ` AND service = $3`
		args = append(args, service)
	}
	q += ` ORDER BY at DESC, id DESC`
	if limit > 0 {
		q += fmt.Sprintf(` LIMIT $%d`, len(args)+1)
		args = append(args, limit)
	}
	rows, err := s.db.Reader().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("feedback: ratings: %w", err)
	}
	defer rows.Close()
	out := []Rating{}
	for rows.Next() {
		var (
			r         Rating
			at        int64
			sentiment sql.NullFloat64
		)
		if err := rows.Scan(&r.ID, &r.Service, &r.Score, &r.Comment, &sentiment, &r.Author, &r.Page, &at); err != nil {
			return nil, fmt.Errorf("feedback: ratings: %w", err)
		}
		r.At = store.FromMillis(at)
		if sentiment.Valid {
			v := sentiment.Float64
			r.Sentiment = &v
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("feedback: ratings: %w", err)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// Report is service's feedback report over [from, to).
func (s *Store) Report(ctx context.Context, service string, from, to time.Time) (Report, error) {
	if _, err := s.cat.GetService(ctx, service); err != nil {
		return Report{}, err
	}
	ratings, err := s.Ratings(ctx, service, from, to, 0)
	if err != nil {
		return Report{}, err
	}
	surveys, err := s.Surveys(ctx, service, from, to)
	if err != nil {
		return Report{}, err
	}
	return ReportOf(service, from, to, ratings, surveys), nil
}

// Satisfaction is the survey figures over [from, to), overall and per
// service, queue and agent.
func (s *Store) Satisfaction(ctx context.Context, from, to time.Time) (Satisfaction, error) {
	surveys, err := s.Surveys(ctx, "", from, to)
	if err != nil {
		return Satisfaction{}, err
	}
	return SatisfactionOf(from, to, surveys), nil
}
