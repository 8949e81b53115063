package store

import (
	"encoding/base64"
	"errors"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxLimit is the most items one page of a list may hold.
const MaxLimit = 1000

// DefaultLimit is the page size when a request names none.
const DefaultLimit = 100

// Page asks for one page of a list ordered by a unique key: at most Limit
// items whose key comes after the one encoded in Cursor.
type Page struct {
	Limit  int
	Cursor string
}

// ErrBadCursor is returned for a cursor this server did not hand out.
var ErrBadCursor = errors.New("not a cursor from a previous page")

// After decodes the cursor into the key the page starts after ("" for the
// first page). A cursor this server did not hand out is ErrBadCursor, also
// when it decodes to bytes no key holds (a NUL byte or invalid UTF-8):
// such a key would otherwise reach the query, where PostgreSQL refuses it
// as an internal error.
func (p Page) After() (string, error) {
	if p.Cursor == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(p.Cursor)
	if err != nil || len(b) == 0 || strings.IndexByte(string(b), 0) >= 0 || !utf8.Valid(b) {
		return "", ErrBadCursor
	}
	return string(b), nil
}

// Size is the effective page size.
func (p Page) Size() int {
	switch {
	case p.Limit <= 0:
		return DefaultLimit
	case p.Limit > MaxLimit:
		return MaxLimit
	}
	return p.Limit
}

// Cursor encodes key as the cursor for the page after it. Cursors are
// opaque to clients so that the key behind them may change later.
func Cursor(key string) string { return base64.RawURLEncoding.EncodeToString([]byte(key)) }

// BeforeID decodes the cursor of a list ordered by id, newest first: the
// page holds the ids below the one returned, which for the first page is
// larger than any id.
func (p Page) BeforeID() (int64, error) {
	after, err := p.After()
	if err != nil || after == "" {
		return math.MaxInt64, err
	}
	id, err := strconv.ParseInt(after, 10, 64)
	if err != nil {
		return 0, ErrBadCursor
	}
	return id, nil
}

// IDCursor is the cursor for the page after the item with id, in a list
// that BeforeID reads.
func IDCursor(id int64) string { return Cursor(strconv.FormatInt(id, 10)) }
