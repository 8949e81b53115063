package mailin

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
)

// Parse reads one message. It returns ErrTooLarge for a message over the
// limit and an error wrapping ErrMalformed for one without a readable
// header or sender; otherwise the message and its verdict, which depends on
// the message alone (Filter adds the rules that need the configuration).
func Parse(r io.Reader, limits Limits) (Message, Verdict, error) {
	limits = limits.withDefaults()
	raw, err := io.ReadAll(io.LimitReader(r, limits.MaxMessageBytes+1))
	if err != nil {
		return Message{}, Verdict{}, fmt.Errorf("read message: %w", err)
	}
	if int64(len(raw)) > limits.MaxMessageBytes {
		return Message{}, Verdict{}, fmt.Errorf("%w of %d bytes", ErrTooLarge, limits.MaxMessageBytes)
	}
	msg, err := mail.ReadMessage(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		return Message{}, Verdict{}, fmt.Errorf("%w: header: %v", ErrMalformed, err)
	}
	h := msg.Header
	var m Message
	from, err := parseAddress(h.Get("From"))
	if err != nil {
		return Message{}, Verdict{}, fmt.Errorf("%w: From: %v", ErrMalformed, err)
	}
	m.From, m.FromName = strings.ToLower(from.Address), from.Name
	if to, err := parseAddress(h.Get("To")); err == nil {
		m.To = strings.ToLower(to.Address)
	}
	m.Subject = decodeHeader(h.Get("Subject"))
	m.TicketID = TicketID(m.Subject)
	m.MessageID = firstID(h.Get("Message-ID"))
	m.InReplyTo = firstID(h.Get("In-Reply-To"))
	m.References = messageIDs(h.Get("References"))

	w := walker{limits: limits, msg: &m}
	w.part(textproto.MIMEHeader(h), msg.Body, 0)
	if w.html != "" && w.text == "" {
		w.text = htmlToText(w.html)
	}
	if w.html != "" {
		m.HTML = sanitizeHTML(w.html)
	}
	m.Text, m.Quoted = SplitQuoted(w.text)
	return m, headerVerdict(h, w.report), nil
}

// ticketTag finds "[#123]" in a subject.
var ticketTag = regexp.MustCompile(`\[#([0-9]{1,18})\]`)

// TicketID returns the ticket a subject names with "[#123]", or 0.
func TicketID(subject string) int64 {
	sub := ticketTag.FindStringSubmatch(subject)
	if sub == nil {
		return 0
	}
	id, err := strconv.ParseInt(sub[1], 10, 64)
	if err != nil || id <= 0 {
		return 0
	}
	return id
}

var words = mime.WordDecoder{CharsetReader: charsetReader}

func charsetReader(label string, input io.Reader) (io.Reader, error) {
	return charset.NewReaderLabel(label, input)
}

// decodeHeader decodes RFC 2047 encoded words; a header that does not
// decode is kept as it is, made valid UTF-8.
func decodeHeader(v string) string {
	d, err := words.DecodeHeader(v)
	if err != nil {
		d = v
	}
	return strings.TrimSpace(strings.ToValidUTF8(d, "\uFFFD"))
}

// parseAddress reads the first address of an address list, falling back
// to the part in angle brackets for the malformed headers real mailers
// send ("Ann Example <ann@example.com>" with an unquoted comma in the
// name, say).
func parseAddress(v string) (*mail.Address, error) {
	if strings.TrimSpace(v) == "" {
		return nil, errors.New("no address")
	}
	p := mail.AddressParser{WordDecoder: &words}
	if list, err := p.ParseList(v); err == nil && len(list) > 0 {
		return list[0], nil
	}
	if i := strings.LastIndexByte(v, '<'); i >= 0 {
		if j := strings.IndexByte(v[i:], '>'); j > 0 {
			if a, err := mail.ParseAddress(v[i : i+j+1]); err == nil {
				a.Name = decodeHeader(strings.Trim(strings.TrimSpace(v[:i]), `"`))
				return a, nil
			}
		}
	}
	return nil, fmt.Errorf("%q is not an address", v)
}

// messageIDs returns the ids "<…>" in a header, without their brackets; a
// header with no bracketed id but one bare word holds that word (some
// mailers omit the brackets).
func messageIDs(v string) []string {
	var ids []string
	for {
		i := strings.IndexByte(v, '<')
		if i < 0 {
			break
		}
		j := strings.IndexByte(v[i:], '>')
		if j < 0 {
			break
		}
		if id := strings.TrimSpace(v[i+1 : i+j]); id != "" && !strings.ContainsAny(id, " \t<") {
			ids = append(ids, id)
		}
		v = v[i+j+1:]
	}
	if ids == nil {
		if f := strings.Fields(v); len(f) == 1 && strings.Contains(f[0], "@") {
			ids = f
		}
	}
	return ids
}

func firstID(v string) string {
	if ids := messageIDs(v); len(ids) > 0 {
		return ids[0]
	}
	return ""
}

// walker visits the MIME tree of one message, collecting the body text,
// the HTML and the attachments.
type walker struct {
	limits Limits
	msg    *Message
	text   string
	html   string
	parts  int
	// report is the report-type of a multipart/report top part
	// ("delivery-status"), for the verdict.
	report string
}

func (w *walker) part(h textproto.MIMEHeader, body io.Reader, depth int) {
	w.parts++
	if w.parts > maxParts || depth > maxDepth {
		return
	}
	media, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || media == "" {
		media, params = "text/plain", map[string]string{}
	}
	if depth == 0 && media == "multipart/report" {
		w.report = strings.ToLower(params["report-type"])
		if w.report == "" {
			w.report = "no report-type"
		}
	}
	if strings.HasPrefix(media, "multipart/") {
		w.multipart(media, params["boundary"], body, depth)
		return
	}
	disposition, dparams, _ := mime.ParseMediaType(h.Get("Content-Disposition"))
	name := dparams["filename"]
	if name == "" {
		name = params["name"]
	}
	data := decodeTransfer(h.Get("Content-Transfer-Encoding"), body)
	isText := media == "text/plain" || media == "text/html"
	if isText && disposition != "attachment" && name == "" {
		b, err := io.ReadAll(io.LimitReader(data, w.limits.MaxMessageBytes))
		if err != nil && len(b) == 0 {
			return
		}
		s := toUTF8(params["charset"], b)
		if media == "text/html" {
			if w.html == "" {
				w.html = s
			}
			return
		}
		w.text = joinText(w.text, s)
		return
	}
	w.attachment(media, name, data)
}

func (w *walker) multipart(media, boundary string, body io.Reader, depth int) {
	if boundary == "" {
		return
	}
	mr := multipart.NewReader(body, boundary)
	if media != "multipart/alternative" {
		for {
			p, err := mr.NextRawPart()
			if err != nil {
				return
			}
			w.part(p.Header, p, depth+1)
			if w.parts > maxParts {
				return
			}
		}
	}
	// Of the alternatives, plain text is preferred and HTML kept for the
	// desk to show; a nested alternative (multipart/related holding the
	// HTML and its images) is walked as a whole.
	for {
		p, err := mr.NextRawPart()
		if err != nil {
			return
		}
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		switch {
		case ct == "" || ct == "text/plain" || ct == "text/html" || strings.HasPrefix(ct, "multipart/"):
			w.part(p.Header, p, depth+1)
		default:
			w.parts++ // another representation (text/calendar, text/enriched): not the body
		}
		if w.parts > maxParts {
			return
		}
	}
}

func (w *walker) attachment(media, name string, data io.Reader) {
	name = SanitizeName(decodeHeader(name), media, len(w.msg.Attachments)+1)
	if media == "" {
		media = "application/octet-stream"
	}
	if len(w.msg.Attachments) >= w.limits.MaxAttachments {
		w.msg.Dropped = append(w.msg.Dropped, fmt.Sprintf("%s: more than %d attachments", name, w.limits.MaxAttachments))
		return
	}
	b, err := io.ReadAll(io.LimitReader(data, w.limits.MaxAttachmentBytes+1))
	switch {
	case int64(len(b)) > w.limits.MaxAttachmentBytes:
		w.msg.Dropped = append(w.msg.Dropped, fmt.Sprintf("%s: larger than %d bytes", name, w.limits.MaxAttachmentBytes))
	case err != nil:
		w.msg.Dropped = append(w.msg.Dropped, fmt.Sprintf("%s: cannot be decoded", name))
	default:
		w.msg.Attachments = append(w.msg.Attachments, Attachment{Name: name, ContentType: media, Data: b})
	}
}

// decodeTransfer undoes the Content-Transfer-Encoding; an unknown one is
// read as it is.
func decodeTransfer(cte string, r io.Reader) io.Reader {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "quoted-printable":
		return quotedprintable.NewReader(r)
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, &base64Filter{r: r})
	}
	return r
}

// base64Filter drops the bytes outside the base64 alphabet (spaces, tabs,
// stray characters some mailers add) that the standard decoder, which skips
// only line breaks, would fail on.
type base64Filter struct{ r io.Reader }

func (f *base64Filter) Read(p []byte) (int, error) {
	for {
		n, err := f.r.Read(p)
		k := 0
		for _, c := range p[:n] {
			if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '=' {
				p[k] = c
				k++
			}
		}
		if k > 0 || err != nil {
			return k, err
		}
	}
}

// toUTF8 decodes text in the named charset; an unknown charset or bytes
// that do not decode are read as UTF-8 with the invalid bytes replaced.
func toUTF8(label string, b []byte) string {
	label = strings.ToLower(strings.TrimSpace(label))
	if label != "" && label != "utf-8" && label != "us-ascii" && label != "utf8" {
		if r, err := charset.NewReaderLabel(label, bytes.NewReader(b)); err == nil {
			if d, err := io.ReadAll(r); err == nil {
				b = d
			}
		}
	}
	s := string(b)
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return strings.ReplaceAll(s, "\r\n", "\n")
}

func joinText(a, b string) string {
	if a == "" {
		return b
	}
	return strings.TrimRight(a, "\n") + "\n\n" + b
}
