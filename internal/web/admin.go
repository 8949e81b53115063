package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/audit"
	"github.com/sextant-ops/sextant/internal/auth"
	"github.com/sextant-ops/sextant/internal/store"
)

// The admin pages: users, API tokens and the audit log. Every route here
// needs the admin role; the auth service validates and audits the changes.

const (
	userPageSize  = 50
	auditPageSize = 50
)

// roleOptions are the roles a user or a token may have, current selected.
func roleOptions(current string) []option {
	labels := map[auth.Role]string{auth.Requester: "requester — the portal only: own tickets, requests, knowledge base", auth.Viewer: "viewer — reads everything", auth.Operator: "operator — also edits and works incidents",
		auth.Admin: "admin — also manages users, tokens and the audit log", auth.Agent: "agent — a remote check location only"}
	var opts []option
	for _, r := range auth.Roles {
		opts = append(opts, option{Value: string(r), Label: labels[r]})
	}
	if current == "" {
		current = string(auth.Viewer)
	}
	return choose(opts, current)
}

// adminPage is the data of the admin area's front page.
type adminPage struct {
	Users, Tokens int
	HasAudit      bool
}

func (u *UI) showAdmin(w http.ResponseWriter, r *http.Request) error {
	n, err := u.deps.Auth.CountUsers(r.Context())
	if err != nil {
		return err
	}
	tokens, err := u.deps.Auth.ListTokens(r.Context())
	if err != nil {
		return err
	}
	p := adminPage{Users: n, HasAudit: u.deps.Audit != nil}
	for _, t := range tokens {
		if t.RevokedAt.IsZero() {
			p.Tokens++
		}
	}
	u.render(w, r, http.StatusOK, "admin.html", "Admin", p)
	return nil
}

// usersPage is the user list with the form that creates a user. Password
// inputs are never filled in again when the form comes back with problems.
type usersPage struct {
	Users    []auth.User
	NextURL  string
	FirstURL string
	Me       string
	// TwoFactor holds the names of the users with two-factor sign-in on.
	TwoFactor map[string]bool
	// Done says what the last action did ("created", "deleted",
	// "password", "two-factor"), to whom.
	Done, DoneUser string

	Name, DisplayName, Email, Role string
	// Organisation groups requesters, who see its shared tickets.
	Organisation string

	formProblems
}

func (p *usersPage) template() string  { return "admin_users.html" }
func (p *usersPage) pageTitle() string { return "Users" }

// RoleOptions are the roles of the create form.
func (p *usersPage) RoleOptions() []option { return roleOptions(p.Role) }

// MinPassword is the shortest password the auth service accepts.
func (p *usersPage) MinPassword() int { return auth.MinPasswordLen }

func (p *usersPage) setProblems(fields []apperr.Field) {
	p.reset()
	known := map[string]bool{"name": true, "display_name": true, "email": true, "role": true, "password": true, "password_confirm": true}
	for _, f := range fields {
		p.add(f.Path, userPathLabel(f.Path), f.Msg, known[f.Path])
	}
}

func userPathLabel(path string) string {
	if l, ok := map[string]string{"": "This user", "name": "User name", "display_name": "Display name", "email": "E-mail",
		"role": "Role", "password": "Password", "password_confirm": "Password again"}[path]; ok {
		return l
	}
	return path
}

// usersPageOf loads the user list for a page of the users page.
func (u *UI) usersPageOf(r *http.Request) (*usersPage, error) {
	q := r.URL.Query()
	pg := store.Page{Limit: userPageSize, Cursor: q.Get("cursor")}
	if n, err := strconv.Atoi(q.Get("limit")); err == nil && n > 0 {
		pg.Limit = n
	}
	users, next, err := u.deps.Auth.ListUsers(r.Context(), pg)
	if err != nil {
		return nil, err
	}
	twoFactor, err := u.deps.Auth.TwoFactorUsers(r.Context())
	if err != nil {
		return nil, err
	}
	p := &usersPage{Users: users, Me: principal(r).Name, TwoFactor: twoFactor, Done: q.Get("done"), DoneUser: q.Get("user")}
	if next != "" {
		p.NextURL = "/admin/users?cursor=" + url.QueryEscape(next)
		if pg.Limit != userPageSize {
			p.NextURL += "&limit=" + strconv.Itoa(pg.Limit)
		}
	}
	if pg.Cursor != "" {
		p.FirstURL = "/admin/users"
	}
	return p, nil
}

func (u *UI) listUsers(w http.ResponseWriter, r *http.Request) error {
	p, err := u.usersPageOf(r)
	if err != nil {
		return err
	}
	u.render(w, r, http.StatusOK, p.template(), p.pageTitle(), p)
	return nil
}

func (u *UI) createUser(w http.ResponseWriter, r *http.Request) error {
	p, err := u.usersPageOf(r)
	if err != nil {
		return err
	}
	p.Done = ""
	get := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	p.Name, p.DisplayName, p.Email, p.Role, p.Organisation = get("name"), get("display_name"), get("email"), get("role"), get("organisation")
	password := r.PostFormValue("password")
	nu := auth.NewUser{Name: p.Name, Password: password, Role: auth.Role(p.Role), DisplayName: p.DisplayName, Email: p.Email, Organisation: p.Organisation}
	if password != r.PostFormValue("password_confirm") {
		mismatch := &formError{err: &apperr.Invalid{Fields: []apperr.Field{{Path: "password_confirm", Msg: "does not match the password; type the same password twice"}}}, form: p}
		return withValidation(mismatch, nu.Validate)
	}
	if _, err := u.deps.Auth.CreateUser(r.Context(), principal(r).Actor(), nu); err != nil {
		return &formError{err: err, form: p}
	}
	http.Redirect(w, r, "/admin/users?done=created&user="+url.QueryEscape(p.Name), http.StatusSeeOther)
	return nil
}

// userDeletePage confirms the deletion of a user.
type userDeletePage struct {
	auth.User
	Self    bool
	Problem string
}

func (u *UI) confirmDeleteUser(w http.ResponseWriter, r *http.Request) error {
	usr, err := u.deps.Auth.GetUser(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	u.render(w, r, http.StatusOK, "admin_user_delete.html", "Delete user "+usr.Name, userDeletePage{User: usr, Self: usr.Name == principal(r).Name})
	return nil
}

func (u *UI) deleteUser(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	err := u.deps.Auth.DeleteUser(r.Context(), principal(r).Actor(), name)
	if errors.Is(err, apperr.ErrConflict) {
		usr, gerr := u.deps.Auth.GetUser(r.Context(), name)
		if gerr != nil {
			return gerr
		}
		p := userDeletePage{User: usr, Self: usr.Name == principal(r).Name,
			Problem: capitalise(userMessage(err, apperr.ErrConflict)) + ": make another user an admin first, or nobody could manage Sextant."}
		u.render(w, r, http.StatusConflict, "admin_user_delete.html", "Delete user "+usr.Name, p)
		return nil
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/users?done=deleted&user="+url.QueryEscape(name), http.StatusSeeOther)
	return nil
}

// passwordPage sets a user's password.
type passwordPage struct {
	User auth.User
	Self bool
	formProblems
}

func (p *passwordPage) template() string  { return "admin_password.html" }
func (p *passwordPage) pageTitle() string { return "New password for " + p.User.Name }

// MinPassword is the shortest password the auth service accepts.
func (p *passwordPage) MinPassword() int { return auth.MinPasswordLen }

func (p *passwordPage) setProblems(fields []apperr.Field) {
	p.reset()
	for _, f := range fields {
		p.add(f.Path, userPathLabel(f.Path), f.Msg, f.Path == "password" || f.Path == "password_confirm")
	}
}

func (u *UI) passwordPageOf(r *http.Request) (*passwordPage, error) {
	usr, err := u.deps.Auth.GetUser(r.Context(), r.PathValue("name"))
	if err != nil {
		return nil, err
	}
	return &passwordPage{User: usr, Self: usr.Name == principal(r).Name}, nil
}

func (u *UI) passwordForm(w http.ResponseWriter, r *http.Request) error {
	p, err := u.passwordPageOf(r)
	if err != nil {
		return err
	}
	u.render(w, r, http.StatusOK, p.template(), p.pageTitle(), p)
	return nil
}

func (u *UI) setPassword(w http.ResponseWriter, r *http.Request) error {
	p, err := u.passwordPageOf(r)
	if err != nil {
		return err
	}
	password := r.PostFormValue("password")
	if password != r.PostFormValue("password_confirm") {
		return &formError{err: &apperr.Invalid{Fields: []apperr.Field{{Path: "password_confirm", Msg: "does not match the password; type the same password twice"}}}, form: p}
	}
	if err := u.deps.Auth.SetPassword(r.Context(), principal(r).Actor(), p.User.Name, password); err != nil {
		return &formError{err: err, form: p}
	}
	http.Redirect(w, r, "/admin/users?done=password&user="+url.QueryEscape(p.User.Name), http.StatusSeeOther)
	return nil
}

// tokensPage is the token list with the form that creates a token.
type tokensPage struct {
	Tokens  []auth.Token
	Revoked string // the name of a token just revoked

	Name, Role, Location string
	formProblems
}

func (p *tokensPage) template() string  { return "admin_tokens.html" }
func (p *tokensPage) pageTitle() string { return "API tokens" }

// RoleOptions are the roles of the create form.
func (p *tokensPage) RoleOptions() []option { return roleOptions(p.Role) }

func (p *tokensPage) setProblems(fields []apperr.Field) {
	p.reset()
	for _, f := range fields {
		label := map[string]string{"": "This token", "name": "Name", "role": "Role", "location": "Location"}[f.Path]
		if label == "" {
			label = f.Path
		}
		p.add(f.Path, label, f.Msg, f.Path == "name" || f.Path == "role" || f.Path == "location")
	}
}

func (u *UI) tokensPageOf(r *http.Request) (*tokensPage, error) {
	tokens, err := u.deps.Auth.ListTokens(r.Context())
	if err != nil {
		return nil, err
	}
	return &tokensPage{Tokens: tokens, Revoked: r.URL.Query().Get("revoked")}, nil
}

func (u *UI) listTokens(w http.ResponseWriter, r *http.Request) error {
	p, err := u.tokensPageOf(r)
	if err != nil {
		return err
	}
	u.render(w, r, http.StatusOK, p.template(), p.pageTitle(), p)
	return nil
}

// tokenCreatedPage shows a new token's secret, the only time it is shown.
type tokenCreatedPage struct {
	Token  auth.Token
	Secret string
}

func (u *UI) createToken(w http.ResponseWriter, r *http.Request) error {
	p, err := u.tokensPageOf(r)
	if err != nil {
		return err
	}
	p.Revoked = ""
	p.Name, p.Role = strings.TrimSpace(r.PostFormValue("name")), strings.TrimSpace(r.PostFormValue("role"))
	p.Location = strings.TrimSpace(r.PostFormValue("location"))
	secret, t, err := u.deps.Auth.IssueToken(r.Context(), principal(r).Actor(), auth.NewToken{Name: p.Name, Role: auth.Role(p.Role), Location: p.Location})
	if err != nil {
		return &formError{err: err, form: p}
	}
	// The secret is in this response only: not in a URL, not in a cache
	// (every page is sent with Cache-Control: no-store).
	u.render(w, r, http.StatusCreated, "admin_token_created.html", "Token "+t.Name+" created", tokenCreatedPage{Token: t, Secret: secret})
	return nil
}

// activeToken finds a token that can still be revoked.
func (u *UI) activeToken(r *http.Request, name string) (auth.Token, error) {
	tokens, err := u.deps.Auth.ListTokens(r.Context())
	if err != nil {
		return auth.Token{}, err
	}
	for _, t := range tokens {
		if t.Name == name && t.RevokedAt.IsZero() {
			return t, nil
		}
	}
	return auth.Token{}, apperr.NotFound("active token %q", name)
}

func (u *UI) confirmRevokeToken(w http.ResponseWriter, r *http.Request) error {
	t, err := u.activeToken(r, r.PathValue("name"))
	if err != nil {
		return err
	}
	u.render(w, r, http.StatusOK, "admin_token_revoke.html", "Revoke token "+t.Name, t)
	return nil
}

func (u *UI) revokeToken(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	if err := u.deps.Auth.RevokeToken(r.Context(), principal(r).Actor(), name); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/tokens?revoked="+url.QueryEscape(name), http.StatusSeeOther)
	return nil
}

// auditObjectTypes are the kinds of object the stores audit, for the
// filter's choices.
var auditObjectTypes = []string{"calendar", "check", "feed", "known_error", "outage", "postmortem", "postmortem_action_item", "service", "token", "user"}

// auditPage is the audit log, filtered, one page at a time.
type auditPage struct {
	Entries           []auditRow
	Type, ID, Actor   string
	Filtered          bool
	NextURL, FirstURL string
	TypeOptions       []option
}

// auditRow is one entry with its before and after pretty-printed.
type auditRow struct {
	audit.Entry
	BeforeJSON, AfterJSON string
	// Link is the object's page, when it has one and still exists.
	Link string
}

func (u *UI) showAudit(w http.ResponseWriter, r *http.Request) error {
	if u.deps.Audit == nil {
		return errPageNotFound
	}
	q := r.URL.Query()
	p := auditPage{Type: strings.TrimSpace(q.Get("type")), ID: strings.TrimSpace(q.Get("id")), Actor: strings.TrimSpace(q.Get("actor"))}
	p.Filtered = p.Type != "" || p.ID != "" || p.Actor != ""
	opts := []option{{Value: "", Label: "Any"}}
	for _, t := range auditObjectTypes {
		opts = append(opts, option{Value: t, Label: strings.ReplaceAll(t, "_", " ")})
	}
	p.TypeOptions = choose(opts, p.Type)
	pg := store.Page{Limit: auditPageSize, Cursor: q.Get("cursor")}
	if n, err := strconv.Atoi(q.Get("limit")); err == nil && n > 0 {
		pg.Limit = n
	}
	entries, next, err := u.deps.Audit(r.Context(), audit.Filter{ObjectType: p.Type, ObjectID: p.ID, Actor: p.Actor}, pg)
	if err != nil {
		return err
	}
	for _, e := range entries {
		row := auditRow{Entry: e, BeforeJSON: readableJSON(e.Before), AfterJSON: readableJSON(e.After)}
		if e.Action != audit.Delete {
			row.Link = objectLink(e.ObjectType, e.ObjectID)
		}
		p.Entries = append(p.Entries, row)
	}
	link := func(cursor string) string {
		v := url.Values{}
		for k, x := range map[string]string{"type": p.Type, "id": p.ID, "actor": p.Actor, "cursor": cursor} {
			if x != "" {
				v.Set(k, x)
			}
		}
		if pg.Limit != auditPageSize {
			v.Set("limit", strconv.Itoa(pg.Limit))
		}
		if len(v) == 0 {
			return "/admin/audit"
		}
		return "/admin/audit?" + v.Encode()
	}
	if next != "" {
		p.NextURL = link(next)
	}
	if pg.Cursor != "" {
		p.FirstURL = link("")
	}
	u.render(w, r, http.StatusOK, "admin_audit.html", "Audit log", p)
	return nil
}

// readableJSON is prettyJSON with the escapes Go's encoder writes for
// '<', '>' and '&' turned back into the characters, so that a condition
// reads "[RESPONSE_TIME] < 500". Escape pairs are read as pairs, so an
// escaped backslash followed by "u003c" stays as it is.
func readableJSON(raw json.RawMessage) string {
	s := prettyJSON(raw)
	if !strings.Contains(s, `\u00`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		if r, ok := htmlEscapes[s[i+1:min(i+6, len(s))]]; ok {
			b.WriteByte(r)
			i += 5
			continue
		}
		b.WriteString(s[i : i+2])
		i++
	}
	return b.String()
}

var htmlEscapes = map[string]byte{"u003c": '<', "u003e": '>', "u0026": '&'}

// objectLink is the UI page of an audited object, "" when it has none.
func objectLink(objectType, id string) string {
	base := map[string]string{"calendar": "/calendars/", "service": "/services/", "check": "/checks/",
		"known_error": "/known-errors/", "postmortem": "/postmortems/"}[objectType]
	if base == "" || id == "" {
		return ""
	}
	return base + url.PathEscape(id)
}
