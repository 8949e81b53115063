package mailin

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/mail"
	"strings"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/secret"
)

// Config is the desk's incoming mail, the config file's `desk.mail` key.
type Config struct {
	// Listen is the SMTP listener's address ("0.0.0.0:25"); the
	// --smtp-listen flag overrides it. Empty: no listener.
	Listen string `yaml:"listen"`
	// Domains are the recipient domains accepted ("desk.example.com":
	// any address there); Addresses are single recipients accepted
	// ("help@example.com"). Any other recipient is refused at RCPT.
	Domains   []string `yaml:"domains"`
	Addresses []string `yaml:"addresses"`
	// OwnAddresses are the addresses the desk's outgoing mail is sent
	// from; mail from them is the desk's own and is ignored.
	OwnAddresses []string `yaml:"own_addresses"`
	// MessageIDDomain is the domain of the Message-IDs the desk's
	// outgoing mail carries; mail bearing one as its own id is ignored.
	MessageIDDomain string `yaml:"message_id_domain"`
	// MaxMessageBytes is the largest message accepted (default 25 MiB);
	// MaxAttachmentBytes the largest attachment kept (default 10 MiB).
	MaxMessageBytes    int64 `yaml:"max_message_bytes"`
	MaxAttachmentBytes int64 `yaml:"max_attachment_bytes"`
	// MaxConnections is how many SMTP connections are served at once
	// (default 20); more are answered 421 and closed.
	MaxConnections int `yaml:"max_connections"`
	// NewTicketsPerHour caps the new tickets one sender opens in an hour
	// (default 20).
	NewTicketsPerHour int `yaml:"new_tickets_per_hour"`
	// TLSCert and TLSKey are PEM files; with both set the listener offers
	// STARTTLS.
	TLSCert string `yaml:"tls_cert"`
	TLSKey  string `yaml:"tls_key"`
	// Username and Password turn on SMTP AUTH (PLAIN, after STARTTLS
	// only): every sender must then sign in, as a relay in front of
	// Sextant would. Off by default, as a mail exchanger's is.
	Username string        `yaml:"username"`
	Password secret.Secret `yaml:"password"`
	// Hostname is the name the listener greets with (default "sextant").
	Hostname string `yaml:"hostname"`
	// IMAP is a mailbox to poll as well as, or instead of, listening.
	IMAP *IMAPConfig `yaml:"imap"`
}

// Validate returns every problem with the settings, paths relative to
// `desk.mail`.
func (c Config) Validate() []apperr.Field {
	var inv apperr.Invalid
	if c.Listen != "" {
		if _, _, err := net.SplitHostPort(c.Listen); err != nil {
			inv.Add("listen", "%q is not host:port", c.Listen)
		}
	}
	for i, d := range c.Domains {
		if d = strings.TrimSpace(d); d == "" || strings.ContainsAny(d, "@ /<>") || !strings.Contains(d, ".") && d != "localhost" {
			inv.Add(fmt.Sprintf("domains[%d]", i), "%q is not a domain name (for one address use addresses)", d)
		}
	}
	addrList := func(key string, list []string) {
		for i, a := range list {
			if p, err := mail.ParseAddress(a); err != nil || p.Name != "" || !strings.Contains(p.Address, "@") {
				inv.Add(fmt.Sprintf("%s[%d]", key, i), "%q is not a bare e-mail address", a)
			}
		}
	}
	addrList("addresses", c.Addresses)
	addrList("own_addresses", c.OwnAddresses)
	if strings.ContainsAny(c.MessageIDDomain, "@<> ") {
		inv.Add("message_id_domain", "%q is not a domain (the part after @ in a Message-ID)", c.MessageIDDomain)
	}
	if c.Listen != "" && len(c.Domains) == 0 && len(c.Addresses) == 0 {
		inv.Add("domains", "name at least one domain or address to accept mail for")
	}
	if c.MaxMessageBytes < 0 {
		inv.Add("max_message_bytes", "must not be negative")
	}
	if c.MaxAttachmentBytes < 0 {
		inv.Add("max_attachment_bytes", "must not be negative")
	}
	if c.MaxConnections < 0 {
		inv.Add("max_connections", "must not be negative")
	}
	if c.NewTicketsPerHour < 0 {
		inv.Add("new_tickets_per_hour", "must not be negative")
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		inv.Add("tls_key", "tls_cert and tls_key are set together")
	} else if c.TLSCert != "" {
		if _, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey); err != nil {
			inv.Add("tls_cert", "%v", err)
		}
	}
	if (c.Username == "") != c.Password.IsZero() {
		inv.Add("password", "username and password are set together")
	} else if c.Username != "" && c.TLSCert == "" {
		inv.Add("username", "AUTH needs STARTTLS: set tls_cert and tls_key, so that the password never crosses the network in clear")
	}
	if c.IMAP != nil {
		inv.Fields = append(inv.Fields, apperr.Prefixed("imap", c.IMAP.Validate())...)
	}
	return inv.Fields
}

// limits are the parse limits the settings give.
func (c Config) limits() Limits {
	return Limits{MaxMessageBytes: c.MaxMessageBytes, MaxAttachmentBytes: c.MaxAttachmentBytes}.withDefaults()
}

// filter is the loop filter the settings give.
func (c Config) filter() Filter {
	f := Filter{}
	for _, a := range c.OwnAddresses {
		f.OwnAddresses = append(f.OwnAddresses, strings.ToLower(strings.TrimSpace(a)))
	}
	if c.MessageIDDomain != "" {
		f.MessageIDDomains = []string{strings.ToLower(c.MessageIDDomain)}
	}
	return f
}

// accepts reports whether mail for the recipient is taken.
func (c Config) accepts(rcpt string) bool {
	rcpt = strings.ToLower(strings.TrimSpace(rcpt))
	at := strings.LastIndexByte(rcpt, '@')
	if at <= 0 {
		return false
	}
	for _, a := range c.Addresses {
		if strings.EqualFold(strings.TrimSpace(a), rcpt) {
			return true
		}
	}
	for _, d := range c.Domains {
		if strings.EqualFold(strings.TrimSpace(d), rcpt[at+1:]) {
			return true
		}
	}
	return false
}
