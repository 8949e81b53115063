package desk

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/store"
)

// MaxAttachment is the largest file a ticket keeps.
const MaxAttachment = 10 << 20

// MaxFilename is the longest attachment name kept.
const MaxFilename = 255

// SafeContentType is the type an attachment is served with: its sniffed
// type, except that anything a browser would render as a page or run as
// script (HTML, XML, SVG, JavaScript) is served as plain bytes.
func SafeContentType(sniffed string) string {
	base, _, _ := strings.Cut(sniffed, ";")
	base = strings.TrimSpace(strings.ToLower(base))
	for _, risky := range []string{"html", "xml", "svg", "javascript", "ecmascript"} {
		if strings.Contains(base, risky) {
			return "application/octet-stream"
		}
	}
	if base == "" {
		return "application/octet-stream"
	}
	return sniffed
}

// cleanFilename keeps the last element of a file name, refusing names that
// are empty, too long, or hold control characters or invalid UTF-8.
func cleanFilename(name string) (string, error) {
	name = strings.TrimSpace(path.Base(strings.ReplaceAll(name, "\\", "/")))
	switch {
	case name == "" || name == "." || name == "/":
		return "", errors.New("is required")
	case len(name) > MaxFilename:
		return "", fmt.Errorf("is %d bytes long; at most %d", len(name), MaxFilename)
	case !utf8.ValidString(name) || strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '"' }):
		return "", errors.New("holds control characters or quotes")
	}
	return name, nil
}

// AddAttachment keeps a file with a ticket, its content type sniffed from
// the bytes (what the sender claimed is not trusted).
func (s *Store) AddAttachment(ctx context.Context, actor string, id int64, filename string, data []byte) (Attachment, error) {
	var inv apperr.Invalid
	name, err := cleanFilename(filename)
	if err != nil {
		inv.Add("filename", "%v", err)
	}
	switch {
	case len(data) == 0:
		inv.Add("body", "the file is empty")
	case len(data) > MaxAttachment:
		inv.Add("body", "the file is %d bytes; at most %d", len(data), MaxAttachment)
	}
	if err := inv.Err(); err != nil {
		return Attachment{}, err
	}
	a := Attachment{TicketID: id, Filename: name, ContentType: http.DetectContentType(data), Size: int64(len(data)), Author: actor}
	_, err = s.edit(ctx, actor, id, nil, func(tx *sql.Tx, _ *Ticket, _ *[]Pause, at time.Time) ([]fieldChange, error) {
		a.At = at
		if err := insertAttachment(ctx, tx, &a, data); err != nil {
			return nil, err
		}
		return []fieldChange{{"attachment", "", name + " (" + strconv.FormatInt(a.ID, 10) + ")"}}, nil
	})
	return a, err
}

func insertAttachment(ctx context.Context, q store.Querier, a *Attachment, data []byte) error {
	err := q.QueryRowContext(ctx, `INSERT INTO ticket_attachments (ticket_id, filename, content_type, size, data, author, at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		a.TicketID, a.Filename, a.ContentType, a.Size, data, a.Author, store.Millis(a.At)).Scan(&a.ID)
	if err != nil {
		return fmt.Errorf("desk: add attachment: %w", err)
	}
	return nil
}

// Attachment returns one attachment of a ticket with its content.
func (s *Store) Attachment(ctx context.Context, ticketID, id int64) (Attachment, error) {
	a := Attachment{ID: id, TicketID: ticketID}
	var at int64
	err := s.db.Reader().QueryRowContext(ctx, `SELECT filename, content_type, size, data, author, at FROM ticket_attachments WHERE id = $1 AND ticket_id = $2`, id, ticketID).
		Scan(&a.Filename, &a.ContentType, &a.Size, &a.Data, &a.Author, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return a, apperr.NotFound("attachment %d of ticket %d", id, ticketID)
	}
	if err != nil {
		return a, fmt.Errorf("desk: read attachment: %w", err)
	}
	a.At = store.FromMillis(at)
	return a, nil
}

// LinkInput ties a ticket to an incident or another ticket.
type LinkInput struct {
	Kind     string `json:"kind"`
	TargetID int64  `json:"target_id"`
}

// AddLink links a ticket. Parent and child links are kept on both tickets
// (a parent link on the child is a child link on the parent); a ticket
// cannot be linked to itself.
func (s *Store) AddLink(ctx context.Context, actor string, id int64, in LinkInput) (Link, error) {
	var inv apperr.Invalid
	if !slices.Contains(LinkKinds, in.Kind) {
		inv.Add("kind", "must be one of %s, not %q", strings.Join(LinkKinds, ", "), in.Kind)
	}
	if in.TargetID < 1 {
		inv.Add("target_id", "must be a positive id")
	} else if in.Kind != LinkIncident && in.TargetID == id {
		inv.Add("target_id", "a ticket cannot be linked to itself")
	}
	if err := inv.Err(); err != nil {
		return Link{}, err
	}
	l := Link{TicketID: id, Kind: in.Kind, TargetID: in.TargetID, Actor: actor}
	_, err := s.edit(ctx, actor, id, nil, func(tx *sql.Tx, _ *Ticket, _ *[]Pause, at time.Time) ([]fieldChange, error) {
		l.At = at
		if err := linkTx(ctx, tx, &l); err != nil {
			return nil, err
		}
		return []fieldChange{{"link", "", in.Kind + " " + strconv.FormatInt(in.TargetID, 10)}}, nil
	})
	return l, err
}

func linkTx(ctx context.Context, tx *sql.Tx, l *Link) error {
	table := "tickets"
	if l.Kind == LinkIncident {
		table = "incidents"
	}
	var one int
	if err := tx.QueryRowContext(ctx, `SELECT 1 FROM `+table+` WHERE id = $1`, l.TargetID).Scan(&one); errors.Is(err, sql.ErrNoRows) {
		return &apperr.Invalid{Fields: []apperr.Field{{Path: "target_id", Msg: fmt.Sprintf("no %s has id %d", strings.TrimSuffix(table, "s"), l.TargetID)}}}
	} else if err != nil {
		return err
	}
	err := tx.QueryRowContext(ctx, `INSERT INTO ticket_links (ticket_id, kind, target_id, actor, at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		l.TicketID, l.Kind, l.TargetID, l.Actor, store.Millis(l.At)).Scan(&l.ID)
	if store.IsUniqueViolation(err) {
		return apperr.Conflict("ticket %d is already linked %s %d", l.TicketID, l.Kind, l.TargetID)
	}
	if err != nil {
		return fmt.Errorf("desk: add link: %w", err)
	}
	mirror := map[string]string{LinkParent: LinkChild, LinkChild: LinkParent}[l.Kind]
	if mirror != "" {
		if _, err := tx.ExecContext(ctx, `INSERT INTO ticket_links (ticket_id, kind, target_id, actor, at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (ticket_id, kind, target_id) DO NOTHING`, l.TargetID, mirror, l.TicketID, l.Actor, store.Millis(l.At)); err != nil {
			return fmt.Errorf("desk: mirror link: %w", err)
		}
	}
	return nil
}

// ServeAttachment sends a file so that no browser shows it inline or
// guesses a riskier type: always a download, with the sniffed type made
// safe, nosniff, and a sandboxing policy should it be opened anyway. The
// API and the ticket page both serve attachments through it.
func ServeAttachment(w http.ResponseWriter, a Attachment) {
	h := w.Header()
	h.Set("Content-Type", SafeContentType(a.ContentType))
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": a.Filename}))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("Content-Length", strconv.Itoa(len(a.Data)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(a.Data)
}
