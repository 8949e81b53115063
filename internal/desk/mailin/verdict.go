package mailin

import (
	"net/mail"
	"slices"
	"strings"
)

// headerVerdict applies the rules that need only the message: a message
// a machine sent in answer to another (RFC 3834 Auto-Submitted, the older
// Precedence and X-Autoreply headers, Exchange's X-Auto-Response-Suppress),
// mail to a list, and delivery and read reports. Each is ignored: a ticket
// opened by an auto-reply would be acknowledged, and the acknowledgement
// answered again, without end.
func headerVerdict(h mail.Header, report string) Verdict {
	if v := strings.ToLower(strings.TrimSpace(h.Get("Auto-Submitted"))); v != "" {
		// The keyword may carry parameters ("auto-replied; owner-email=…").
		if kw, _, _ := strings.Cut(v, ";"); strings.TrimSpace(kw) != "no" {
			return ignore("Auto-Submitted: " + strings.TrimSpace(kw))
		}
	}
	// A multipart/report (RFC 6522) is always a machine's report on
	// another message: a bounce, a read receipt, an abuse report.
	switch report {
	case "":
	case "delivery-status":
		return ignore("delivery status notification")
	case "disposition-notification":
		return ignore("read receipt")
	default:
		return ignore("report (" + report + ")")
	}
	switch p := strings.ToLower(strings.TrimSpace(h.Get("Precedence"))); p {
	case "bulk", "junk", "list", "auto_reply":
		return ignore("Precedence: " + p)
	}
	if v := h.Get("X-Auto-Response-Suppress"); v != "" {
		// Exchange marks its automatic replies with All or OOF; DR, RN and
		// NRN alone only ask for no receipts and are set on mail people
		// write.
		for _, tok := range strings.FieldsFunc(strings.ToLower(v), func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
			if tok == "all" || tok == "oof" || tok == "autoreply" {
				return ignore("X-Auto-Response-Suppress: " + strings.TrimSpace(v))
			}
		}
	}
	for _, k := range []string{"X-Autoreply", "X-Autorespond", "X-Autoresponder"} {
		if v := strings.ToLower(strings.TrimSpace(h.Get(k))); v != "" && v != "no" {
			return ignore(k + ": " + v)
		}
	}
	if h.Get("List-Id") != "" {
		return ignore("mailing list (List-Id)")
	}
	if h.Get("List-Unsubscribe") != "" {
		return ignore("bulk mail (List-Unsubscribe)")
	}
	if rp, ok := h["Return-Path"]; ok && len(rp) > 0 && strings.TrimSpace(rp[len(rp)-1]) == "<>" {
		return ignore("empty return path (a bounce)")
	}
	if from, err := parseAddress(h.Get("From")); err == nil {
		local, _, _ := strings.Cut(strings.ToLower(from.Address), "@")
		if local == "mailer-daemon" || local == "postmaster" {
			return ignore("from " + local + " (a bounce)")
		}
	}
	return Verdict{}
}

// Filter holds the rules that need the configuration: the desk's own
// addresses and the domain of the Message-IDs its outgoing mail carries.
// A message from one of them, or bearing such an id as its own, is the
// desk's mail come back (a forwarding loop, a misrouted copy) and is
// ignored.
type Filter struct {
	// OwnAddresses are the addresses the desk sends from, lower-case.
	OwnAddresses []string
	// MessageIDDomains are the domains after "@" in the Message-IDs of
	// the desk's outgoing mail.
	MessageIDDomains []string
}

// Check returns the verdict on a parsed message that arrived with the
// given envelope sender ("" for the null reverse path "<>" that delivery
// reports use, or when unknown give "-").
func (f Filter) Check(m Message, envelopeFrom string) Verdict {
	if envelopeFrom == "" {
		return ignore("null return path (a delivery report)")
	}
	if slices.Contains(f.OwnAddresses, m.From) {
		return ignore("from the desk's own address " + m.From)
	}
	if env := strings.ToLower(envelopeFrom); env != "-" && slices.Contains(f.OwnAddresses, env) {
		return ignore("sent by the desk's own address " + env)
	}
	if _, domain, ok := strings.Cut(m.MessageID, "@"); ok && slices.Contains(f.MessageIDDomains, strings.ToLower(domain)) {
		return ignore("Message-ID of the desk's own mail")
	}
	return Verdict{}
}
