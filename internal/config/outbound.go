package config

import (
	"fmt"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/probe"
)

// Outbound is the config file's `outbound` key: which addresses Sextant's
// outgoing calls may connect to. The top-level lists apply to every
// outgoing call; checks and channels add their own lists to them. Without
// the key everything but cloud-metadata addresses is allowed, since users
// monitor internal hosts.
type Outbound struct {
	OutboundLists `yaml:",inline"`
	// Checks are added to the top-level lists for the connections of
	// checks run from this server.
	Checks OutboundLists `yaml:"checks"`
	// Channels are added to the top-level lists for notification channels
	// (webhook, Slack, Teams, ntfy, e-mail), the people's ones included.
	Channels OutboundLists `yaml:"channels"`
}

// OutboundLists are the deny and allow lists of one scope. Each entry is a
// CIDR, a single address or a named set (probe.RuleSets).
type OutboundLists struct {
	// PublicOnly denies every range that is not public: loopback,
	// private, link-local, unspecified and cgnat.
	PublicOnly bool `yaml:"public_only"`
	// Deny lists what is refused.
	Deny []string `yaml:"deny"`
	// Allow, when not empty, is the only ranges allowed (after Deny).
	Allow []string `yaml:"allow"`
}

// Policies are the compiled outbound policy of each kind of outgoing call.
type Policies struct {
	// Checks is what checks run from this server obey.
	Checks *probe.Policy
	// Channels is what notification channels obey.
	Channels *probe.Policy
}

// Compile checks every entry and builds the policies, reporting bad entries
// with their paths ("outbound.checks.deny[1]"), relative to the file.
func (o Outbound) Compile() (Policies, []apperr.Field) {
	var inv apperr.Invalid
	top := o.OutboundLists.rules("outbound", &inv)
	checks := o.Checks.rules("outbound.checks", &inv)
	channels := o.Channels.rules("outbound.channels", &inv)
	if len(inv.Fields) > 0 {
		return Policies{}, inv.Fields
	}
	return Policies{Checks: top.with(checks), Channels: top.with(channels)}, nil
}

// parsedLists are one scope's lists, parsed.
type parsedLists struct {
	publicOnly  bool
	deny, allow []probe.Rule
}

// rules parses the lists of one scope, whose path is at.
func (l OutboundLists) rules(at string, inv *apperr.Invalid) parsedLists {
	out := parsedLists{publicOnly: l.PublicOnly}
	parse := func(key string, entries []string) []probe.Rule {
		var rules []probe.Rule
		for i, s := range entries {
			r, err := probe.ParseRule(s)
			if err != nil {
				inv.Add(fmt.Sprintf("%s.%s[%d]", at, key, i), "%s", err)
				continue
			}
			rules = append(rules, r)
		}
		return rules
	}
	out.deny = parse("deny", l.Deny)
	out.allow = parse("allow", l.Allow)
	return out
}

// with adds a purpose's lists to the top-level ones.
func (top parsedLists) with(own parsedLists) *probe.Policy {
	deny := append(append([]probe.Rule(nil), top.deny...), own.deny...)
	allow := append(append([]probe.Rule(nil), top.allow...), own.allow...)
	return probe.NewPolicy(deny, allow, top.publicOnly || own.publicOnly)
}
