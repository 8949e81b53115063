package mailin

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func parseFile(t *testing.T, name string, l Limits) (Message, Verdict) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, v, err := Parse(f, l)
	if err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	return m, v
}

func TestParseCorpus(t *testing.T) {
	tests := []struct {
		file  string
		want  Message
		check func(t *testing.T, m Message)
	}{
		{file: "plain.eml", want: Message{
			From: "ann@example.com", FromName: "Ann Example", To: "help@desk.example.org",
			Subject: "The printer on floor 3 is jammed", MessageID: "CAB1234abcd@mail.example.com",
			Text: "Hello,\n\nthe printer on floor 3 has been jammed since this morning.\nCould someone have a look?\n\nThanks,\nAnn",
		}},
		{file: "html-only.eml", want: Message{
			From: "bob@example.com", FromName: "Bob Builder", To: "help@desk.example.org",
			Subject: "VPN funktioniert nicht – dringend", MessageID: "html-only-1@example.com",
			Text: "Hallo,\n\ndas VPN verbindet sich seit dem Update nicht mehr.\nFehler: TLS handshake timeout\n\n- Windows 11\n- Client 5.2\n\nDetails: Statusseite (https://status.example.com/vpn)",
			HTML: "<p>Hallo,</p><p>das <b>VPN</b> verbindet sich seit dem Update nicht mehr.<br>Fehler: <i>TLS handshake timeout</i></p>\n<ul><li>Windows 11</li><li>Client 5.2</li></ul>\n" +
				`<p>Details: <a href="https://status.example.com/vpn" rel="nofollow noreferrer noopener" target="_blank">Statusseite</a></p>`,
		}},
		{file: "alternative-qp-latin1.eml", want: Message{
			From: "joerg@example.de", FromName: "Jörg Müller", To: "help@desk.example.org",
			Subject: "Zugang für neue Mitarbeiterin", MessageID: "alt-qp-1@example.de",
			// The plain alternative is taken, its soft line break joined.
			Text: "Grüß Gott,\n\nbitte richten Sie für Fr. Straßer einen Zugang ein. Sie beginnt am Montag.\n\nJörg",
			HTML: "<p>Grüß Gott,</p><p>bitte richten Sie für Fr. Straßer einen Zugang ein.</p>",
		}},
		{file: "reply.eml", want: Message{
			From: "ann@example.com", FromName: "Ann Example", To: "help@desk.example.org",
			Subject: "Re: [#42] The printer on floor 3 is jammed", TicketID: 42,
			MessageID: "CAB5678efgh@mail.example.com", InReplyTo: "ticket-42-reply-1@desk.example.org",
			References: []string{"CAB1234abcd@mail.example.com", "ticket-42-reply-1@desk.example.org"},
			Text:       "It works again, thank you!\n\nAnn",
			Quoted:     "On Wed, 2 Dec 2026 at 13:05, IT Help <help@desk.example.org>\nwrote:\n> Hello Ann,\n>\n> we replaced the fuser unit. Please tell us if it jams again.\n>\n> IT Help",
		}},
		{file: "script-html.eml", check: func(t *testing.T, m Message) {
			for _, bad := range []string{"<script", "<img", "onload", "onclick", "onerror", "javascript:", "<iframe", "<form", "<input", "evil.example.net"} {
				if strings.Contains(m.HTML, bad) {
					t.Errorf("sanitised HTML still holds %q: %s", bad, m.HTML)
				}
				if strings.Contains(m.Text, bad) {
					t.Errorf("text holds %q: %s", bad, m.Text)
				}
			}
			if want := "Your account needs attention.\n\nSee the help page (https://intranet.example.com/help)."; m.Text != want {
				t.Errorf("Text = %q, want %q", m.Text, want)
			}
			if !strings.Contains(m.HTML, `<a href="https://intranet.example.com/help" rel="nofollow noreferrer noopener" target="_blank">the help page</a>`) {
				t.Errorf("safe link lost: %s", m.HTML)
			}
		}},
		{file: "attachments.eml", check: func(t *testing.T, m Message) {
			if m.Text != "Two files attached: the scan and the client log." {
				t.Errorf("Text = %q", m.Text)
			}
			var got []string
			for _, a := range m.Attachments {
				got = append(got, a.Name+" "+a.ContentType)
			}
			want := []string{"scan.pdf application/pdf", "client log—2026.txt text/plain", "attachment-3.png image/png"}
			if !slices.Equal(got, want) {
				t.Errorf("attachments = %q, want %q", got, want)
			}
			if !bytes.HasPrefix(m.Attachments[0].Data, []byte("%PDF-1.4")) {
				t.Errorf("pdf not decoded: %q", m.Attachments[0].Data)
			}
			if string(m.Attachments[1].Data) != "2026-12-02 11:59:01 ERROR connection reset" {
				t.Errorf("log = %q", m.Attachments[1].Data)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			m, v := parseFile(t, tt.file, Limits{})
			if v.Ignored() {
				t.Fatalf("verdict = %+v, want accept", v)
			}
			if tt.check != nil {
				tt.check(t, m)
				return
			}
			if m.References == nil {
				m.References = tt.want.References
			}
			if !equalMessage(m, tt.want) {
				t.Errorf("got  %#v\nwant %#v", m, tt.want)
			}
		})
	}
}

func equalMessage(a, b Message) bool {
	return a.From == b.From && a.FromName == b.FromName && a.To == b.To && a.Subject == b.Subject &&
		a.MessageID == b.MessageID && a.InReplyTo == b.InReplyTo && slices.Equal(a.References, b.References) &&
		a.TicketID == b.TicketID && a.Text == b.Text && a.Quoted == b.Quoted && a.HTML == b.HTML &&
		len(a.Attachments) == len(b.Attachments) && slices.Equal(a.Dropped, b.Dropped)
}

func TestVerdictCorpus(t *testing.T) {
	tests := []struct{ file, reason string }{
		{"ooo-auto-submitted.eml", "Auto-Submitted: auto-replied"},
		{"exchange-ooo.eml", "X-Auto-Response-Suppress: All"},
		{"bounce-dsn.eml", "delivery status notification"},
		{"list.eml", "Precedence: list"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			_, v := parseFile(t, tt.file, Limits{})
			if !v.Ignored() || v.Reason != tt.reason {
				t.Errorf("verdict = %+v, want ignore %q", v, tt.reason)
			}
		})
	}
}

// header builds a small message with the given extra header lines.
func header(extra ...string) string {
	return "From: Ann <ann@example.com>\r\nTo: help@desk.example.org\r\nSubject: hi\r\nMessage-ID: <m1@example.com>\r\n" +
		strings.Join(extra, "\r\n") + "\r\n\r\nbody\r\n"
}

func TestHeaderVerdicts(t *testing.T) {
	tests := []struct {
		name   string
		extra  []string
		reason string // "" = accept
	}{
		{"plain mail", nil, ""},
		{"Auto-Submitted no", []string{"Auto-Submitted: no"}, ""},
		{"Auto-Submitted No with comment", []string{"Auto-Submitted: No (a person wrote this)"}, "Auto-Submitted: no (a person wrote this)"},
		{"auto-generated", []string{"Auto-Submitted: auto-generated"}, "Auto-Submitted: auto-generated"},
		{"auto-replied with parameter", []string{"Auto-Submitted: Auto-Replied; owner-email=\"a@example.com\""}, "Auto-Submitted: auto-replied"},
		{"Precedence bulk", []string{"Precedence: bulk"}, "Precedence: bulk"},
		{"Precedence junk", []string{"Precedence: JUNK"}, "Precedence: junk"},
		{"Precedence auto_reply", []string{"Precedence: auto_reply"}, "Precedence: auto_reply"},
		{"Precedence first-class", []string{"Precedence: first-class"}, ""},
		{"Exchange OOF", []string{"X-Auto-Response-Suppress: DR, OOF, AutoReply"}, "X-Auto-Response-Suppress: DR, OOF, AutoReply"},
		{"receipts suppressed only", []string{"X-Auto-Response-Suppress: DR, RN, NRN"}, ""},
		{"X-Autoreply", []string{"X-Autoreply: yes"}, "X-Autoreply: yes"},
		{"List-Id", []string{"List-Id: <ops.lists.example.org>"}, "mailing list (List-Id)"},
		{"List-Unsubscribe", []string{"List-Unsubscribe: <https://news.example.com/u>"}, "bulk mail (List-Unsubscribe)"},
		{"empty Return-Path", []string{"Return-Path: <>"}, "empty return path (a bounce)"},
		{"abuse report", []string{"MIME-Version: 1.0", "Content-Type: multipart/report; report-type=feedback-report; boundary=x"}, "report (feedback-report)"},
		{"read receipt", []string{"MIME-Version: 1.0", "Content-Type: multipart/report; report-type=disposition-notification; boundary=x"}, "read receipt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, v, err := Parse(strings.NewReader(header(tt.extra...)), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if v.Reason != tt.reason || v.Ignored() != (tt.reason != "") {
				t.Errorf("verdict = %+v, want reason %q", v, tt.reason)
			}
		})
	}
	t.Run("MAILER-DAEMON", func(t *testing.T) {
		_, v, err := Parse(strings.NewReader("From: MAILER-DAEMON@mx.example.com\r\nSubject: failure\r\n\r\nx"), Limits{})
		if err != nil || v.Reason != "from mailer-daemon (a bounce)" {
			t.Errorf("verdict = %+v, %v", v, err)
		}
	})
}

func TestFilter(t *testing.T) {
	f := Config{OwnAddresses: []string{"Help@Desk.Example.org"}, MessageIDDomain: "desk.example.org"}.filter()
	tests := []struct {
		name     string
		m        Message
		envelope string
		reason   string
	}{
		{"a customer", Message{From: "ann@example.com", MessageID: "x@example.com", InReplyTo: "t-42@desk.example.org"}, "ann@example.com", ""},
		{"our own address", Message{From: "help@desk.example.org", MessageID: "x@example.com"}, "bounce@example.com", "from the desk's own address help@desk.example.org"},
		{"our own envelope sender", Message{From: "ann@example.com"}, "HELP@desk.example.org", "sent by the desk's own address help@desk.example.org"},
		{"our own Message-ID", Message{From: "ann@example.com", MessageID: "t-42-opened@Desk.Example.org"}, "ann@example.com", "Message-ID of the desk's own mail"},
		{"null return path", Message{From: "ann@example.com"}, "", "null return path (a delivery report)"},
		{"envelope unknown", Message{From: "ann@example.com"}, "-", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := f.Check(tt.m, tt.envelope)
			if v.Reason != tt.reason || v.Ignored() != (tt.reason != "") {
				t.Errorf("verdict = %+v, want %q", v, tt.reason)
			}
		})
	}
}

func TestTicketID(t *testing.T) {
	tests := map[string]int64{
		"Re: [#42] Printer":              42,
		"AW: AW: [#7] VPN":               7,
		"[#0] zero":                      0,
		"#42 without brackets":           0,
		"[# 42] space":                   0,
		"[#99999999999999999999] long":   0,
		"Fwd: [ops] [#123456] two tags ": 123456,
		"":                               0,
	}
	for subject, want := range tests {
		if got := TicketID(subject); got != want {
			t.Errorf("TicketID(%q) = %d, want %d", subject, got, want)
		}
	}
}

func TestSplitQuoted(t *testing.T) {
	tests := []struct {
		name, in, text, quoted string
	}{
		{"no quote", "Just text.\n", "Just text.", ""},
		{"attribution on one line", "Yes.\n\nOn Tue, 1 Dec 2026, Bob <b@example.com> wrote:\n> Is it fixed?\n", "Yes.", "On Tue, 1 Dec 2026, Bob <b@example.com> wrote:\n> Is it fixed?"},
		{"German attribution", "Ja.\n\nAm 01.12.2026 um 10:00 schrieb IT Help <help@desk.example.org>:\n> Geht es?", "Ja.", "Am 01.12.2026 um 10:00 schrieb IT Help <help@desk.example.org>:\n> Geht es?"},
		{"trailing > block", "Done.\n\n> old\n>\n> older\n", "Done.", "> old\n>\n> older"},
		{"answers in line stay", "> Is it on?\nYes.\n> Which version?\n5.2\n", "> Is it on?\nYes.\n> Which version?\n5.2", ""},
		{"Outlook header", "Thanks.\n\n________________________________\nFrom: IT Help <help@desk.example.org>\nSent: Tuesday, 1 December 2026 10:00\nTo: Ann\nSubject: [#42] x\n\nHello", "Thanks.", "________________________________\nFrom: IT Help <help@desk.example.org>\nSent: Tuesday, 1 December 2026 10:00\nTo: Ann\nSubject: [#42] x\n\nHello"},
		{"Original Message", "OK\n-----Original Message-----\nFrom: a\n", "OK", "-----Original Message-----\nFrom: a"},
		{"a sentence starting with On", "On Monday the VPN wrote nothing to the log.\nPlease check.", "On Monday the VPN wrote nothing to the log.\nPlease check.", ""},
		{"only a quote", "On Tue, Bob wrote:\n> x", "", "On Tue, Bob wrote:\n> x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text, quoted := SplitQuoted(tt.in)
			if text != tt.text || quoted != tt.quoted {
				t.Errorf("SplitQuoted(%q)\n = %q, %q\nwant %q, %q", tt.in, text, quoted, tt.text, tt.quoted)
			}
		})
	}
}

func TestSanitizeName(t *testing.T) {
	long := strings.Repeat("ä", 150) + ".pdf"
	tests := []struct{ in, media, want string }{
		{"report.pdf", "application/pdf", "report.pdf"},
		{"../../etc/passwd", "text/plain", "passwd"},
		{`C:\Users\ann\Desktop\scan.png`, "image/png", "scan.png"},
		{".htaccess", "text/plain", "htaccess"},
		{"a<b>c:d\"e|f?g*h.txt", "text/plain", "a_b_c_d_e_f_g_h.txt"},
		{"tab\tand\x00nul\u202Eexe.txt", "text/plain", "tabandnulexe.txt"},
		{"...", "application/pdf", "attachment-3.pdf"},
		{"", "message/rfc822", "attachment-3.eml"},
		{long, "application/pdf", strings.Repeat("ä", 98) + ".pdf"},
	}
	for _, tt := range tests {
		if got := SanitizeName(tt.in, tt.media, 3); got != tt.want {
			t.Errorf("SanitizeName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseLimits(t *testing.T) {
	t.Run("message too large", func(t *testing.T) {
		_, _, err := Parse(strings.NewReader(header()+strings.Repeat("x", 2000)), Limits{MaxMessageBytes: 1000})
		if !errors.Is(err, ErrTooLarge) {
			t.Errorf("err = %v, want ErrTooLarge", err)
		}
	})
	t.Run("attachment too large is dropped, the rest kept", func(t *testing.T) {
		m, v := parseFile(t, "attachments.eml", Limits{MaxAttachmentBytes: 60})
		if v.Ignored() || len(m.Attachments) != 1 || m.Attachments[0].Name != "client log—2026.txt" {
			t.Fatalf("attachments = %v", m.Attachments)
		}
		want := []string{"scan.pdf: larger than 60 bytes", "attachment-2.png: larger than 60 bytes"}
		if !slices.Equal(m.Dropped, want) {
			t.Errorf("Dropped = %q, want %q", m.Dropped, want)
		}
	})
	t.Run("too many attachments", func(t *testing.T) {
		m, _ := parseFile(t, "attachments.eml", Limits{MaxAttachments: 2})
		if len(m.Attachments) != 2 || !slices.Equal(m.Dropped, []string{"attachment-3.png: more than 2 attachments"}) {
			t.Errorf("attachments %d, dropped %q", len(m.Attachments), m.Dropped)
		}
	})
}

func TestParseMalformed(t *testing.T) {
	tests := map[string]string{
		"no header end": "From ann@example.com",
		"no From":       "To: help@desk.example.org\r\nSubject: x\r\n\r\nbody",
		"bad From":      "From: not an address\r\n\r\nbody",
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			if _, _, err := Parse(strings.NewReader(in), Limits{}); !errors.Is(err, ErrMalformed) {
				t.Errorf("err = %v, want ErrMalformed", err)
			}
		})
	}
	t.Run("malformed From with a bracketed address", func(t *testing.T) {
		m, _, err := Parse(strings.NewReader("From: Smith, John <John@Example.com>\r\n\r\nbody"), Limits{})
		if err != nil || m.From != "john@example.com" || m.FromName != "Smith, John" {
			t.Errorf("got %q %q, %v", m.From, m.FromName, err)
		}
	})
	t.Run("unknown charset is read as UTF-8", func(t *testing.T) {
		m, _, err := Parse(strings.NewReader("From: a@example.com\r\nContent-Type: text/plain; charset=x-unknown\r\n\r\nhello \xff"), Limits{})
		if err != nil || m.Text != "hello \uFFFD" {
			t.Errorf("got %q, %v", m.Text, err)
		}
	})
}

func TestParseEncodings(t *testing.T) {
	const head = "From: a@example.com\r\nMIME-Version: 1.0\r\n"
	tests := []struct {
		name, msg, text, attachment string
	}{
		{"windows-1252", head + "Content-Type: text/plain; charset=windows-1252\r\n\r\n\x93quoted\x94 \x80 5\r\n", "“quoted” € 5", ""},
		{"shift_jis", head + "Content-Type: text/plain; charset=Shift_JIS\r\n\r\n\x93\xfa\x96\x7b\r\n", "日本", ""},
		{"base64 with stray spaces", head + "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\nSGVs bG8s\r\n IHdv cmxk\r\n", "Hello, world", ""},
		{"CRLF made LF", head + "Content-Type: text/plain\r\n\r\nline one\r\nline two\r\n", "line one\nline two", ""},
		{"encoded-word file name", head + "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee file\r\n--b\r\nContent-Type: application/pdf; name=\"=?UTF-8?Q?Pr=C3=BCfbericht.pdf?=\"\r\n\r\n%PDF\r\n--b--\r\n", "see file", "Prüfbericht.pdf"},
		{"inline text parts after an image are joined", head + "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nabove\r\n--b\r\nContent-Type: image/png\r\nContent-Disposition: inline\r\n\r\nPNG\r\n--b\r\nContent-Type: text/plain\r\n\r\nbelow\r\n--b--\r\n", "above\n\nbelow", "attachment-1.png"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _, err := Parse(strings.NewReader(tt.msg), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if m.Text != tt.text {
				t.Errorf("Text = %q, want %q", m.Text, tt.text)
			}
			var names []string
			for _, a := range m.Attachments {
				names = append(names, a.Name)
			}
			if got := strings.Join(names, ","); got != tt.attachment {
				t.Errorf("attachments %q, want %q", got, tt.attachment)
			}
		})
	}
}
