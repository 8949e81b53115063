package setup

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/escalation"
	"github.com/sextant-ops/sextant/internal/incident"
	"github.com/sextant-ops/sextant/internal/oncall"
	"github.com/sextant-ops/sextant/internal/status"
)

// Env is what the objects made in the UI and API are judged against: the
// running config file's own objects and the names they may refer to.
type Env struct {
	// File holds the config file's objects of every kind kept here.
	File Objects
	// FilePath names the file in messages ("declared in FILE").
	FilePath string
	// Services are the names an integration or a status page may refer
	// to.
	Services map[string]bool
	// Mail and NtfyURL are the file's settings that reach people, which a
	// person's contact methods are validated with.
	Mail    *escalation.Mail
	NtfyURL string
	// CheckPolicies lists, by policy, the checks that escalate with it.
	CheckPolicies map[string][]string
}

// filePath names the file for messages.
func (e Env) filePath() string {
	if e.FilePath == "" {
		return "the config file"
	}
	return e.FilePath
}

// Merge is the file's objects followed by the stored objects whose names
// the file does not declare: the file wins on a clash.
func Merge(file, api Objects) Objects {
	out := Objects{Channels: slices.Clone(file.Channels), Integrations: slices.Clone(file.Integrations), Policies: slices.Clone(file.Policies)}
	for _, c := range api.Channels {
		if !file.has(KindChannel, c.Name) {
			out.Channels = append(out.Channels, c)
		}
	}
	for _, i := range api.Integrations {
		if !file.has(KindIntegration, i.Name) {
			out.Integrations = append(out.Integrations, i)
		}
	}
	for _, p := range api.Policies {
		if !file.has(KindPolicy, p.Name) {
			out.Policies = append(out.Policies, p)
		}
	}
	for _, k := range genericKinds {
		k.merge(&out, file, api)
	}
	return out
}

// Setup is the incident engine's part of o.
func (o Objects) Setup() incident.Setup {
	s := incident.Setup{Policies: slices.Clone(o.Policies)}
	for _, in := range o.Integrations {
		s.Integrations = append(s.Integrations, in.Config())
	}
	return s
}

// problems validates merged objects with the config file's validators and
// returns every problem at its config-file path ("channels[2].url",
// "escalation_policies[0].levels[1].notify[0]", "schedules[0].layers[0]").
func problems(env Env, merged Objects) []apperr.Field {
	var out []apperr.Field
	channels := map[string]bool{}
	for i, c := range merged.Channels {
		p := fmt.Sprintf("channels[%d]", i)
		out = append(out, apperr.Prefixed(p, c.Config().Validate())...)
		if channels[c.Name] {
			out = append(out, apperr.Field{Path: p + ".name", Msg: fmt.Sprintf("channel %q is declared twice", c.Name)})
		}
		channels[c.Name] = true
	}
	people := make([]escalation.Person, 0, len(merged.People))
	for _, p := range merged.People {
		people = append(people, p.Config())
	}
	users, fields := escalation.ValidatePeople(people, env.Mail, env.NtfyURL)
	out = append(out, fields...)
	schedules, fields := oncall.ValidateSchedules(merged.Schedules, users)
	out = append(out, fields...)
	out = append(out, status.ValidatePages(merged.Pages, env.Services)...)
	targets := incident.Targets{Channels: channels, Users: users, Schedules: schedules}
	return append(out, merged.Setup().Validate(env.Services, targets)...)
}

// listOf names the config-file list of a kind.
func listOf(kind string) string {
	switch kind {
	case KindChannel:
		return "channels"
	case KindIntegration:
		return "integrations"
	case KindPolicy:
		return "escalation_policies"
	}
	k, _ := genericKind(kind)
	return k.listKey()
}

// kindOfList is the kind of a config-file list.
func kindOfList(list string) string {
	for _, k := range allKinds() {
		if listOf(k) == list {
			return k
		}
	}
	return ""
}

var itemPath = regexp.MustCompile(`^(channels|integrations|escalation_policies|users|schedules|status_pages)\[(\d+)\]`)

// describe turns a problem at a merged path into one that names its
// object: `escalation policy "night": levels[0].notify[0]`.
func describe(merged Objects, f apperr.Field) string {
	m := itemPath.FindStringSubmatch(f.Path)
	if m == nil {
		return apperr.Join(f.Path, "") + ": " + f.Msg
	}
	i, _ := strconv.Atoi(m[2])
	rest := strings.TrimPrefix(strings.TrimPrefix(f.Path, m[0]), ".")
	kind := kindOfList(m[1])
	name := merged.names(kind)[i]
	if rest == "" {
		rest = "name"
	}
	return fmt.Sprintf("%s %q: %s: %s", kindWord(kind), name, rest, f.Msg)
}

// judge validates the stored objects api merged with the file's, focused
// on the one object of kind named name: its problems come back with paths
// relative to it ("levels[0].notify[0]"), any other's with its name.
func judge(env Env, api Objects, kind, name string) error {
	merged := Merge(env.File, api)
	idx := slices.Index(merged.names(kind), name)
	prefix := fmt.Sprintf("%s[%d]", listOf(kind), idx)
	inv := &apperr.Invalid{}
	for _, f := range problems(env, merged) {
		switch {
		case idx >= 0 && f.Path == prefix:
			inv.Fields = append(inv.Fields, apperr.Field{Path: "name", Msg: f.Msg})
		case idx >= 0 && (strings.HasPrefix(f.Path, prefix+".") || strings.HasPrefix(f.Path, prefix+"[")):
			inv.Fields = append(inv.Fields, apperr.Field{Path: strings.TrimPrefix(strings.TrimPrefix(f.Path, prefix), "."), Msg: f.Msg})
		default:
			inv.Fields = append(inv.Fields, apperr.Field{Msg: describe(merged, f)})
		}
	}
	return inv.Err()
}

// ErrDangling marks a config file that would leave objects made in the UI
// or API referring to what it no longer declares.
var ErrDangling = errors.New("objects made in the UI or API would be left invalid")

// CheckFile judges the stored objects against a config file about to be
// applied, so that a reload which would leave a stored policy naming a
// channel the file no longer declares (or a stored integration naming a
// removed service or policy) is refused, naming each object, and the
// running config is kept.
func CheckFile(env Env, api Objects) error {
	merged := Merge(env.File, api)
	var msgs []string
	fileCount := map[string]int{}
	for _, k := range allKinds() {
		fileCount[listOf(k)] = len(env.File.names(k))
	}
	for _, f := range problems(env, merged) {
		// The file's own objects were validated with the file; only
		// what is stored here can be left dangling.
		if m := itemPath.FindStringSubmatch(f.Path); m != nil {
			if i, _ := strconv.Atoi(m[2]); i < fileCount[m[1]] {
				continue
			}
		}
		msgs = append(msgs, describe(merged, f))
	}
	if len(msgs) == 0 {
		return nil
	}
	return fmt.Errorf("%w (change or remove them first, or keep what they use in the file): %s: %w", ErrDangling, strings.Join(msgs, "; "), apperr.ErrConflict)
}

// usedBy names the objects that refer to the object of kind named name,
// which therefore cannot be removed.
func usedBy(env Env, merged Objects, kind, name string) []string {
	var out []string
	switch kind {
	case KindChannel:
		out = policiesNotifying(merged, "channel:"+name)
	case KindPerson:
		for _, s := range merged.Schedules {
			if slices.ContainsFunc(s.Layers, func(l oncall.Layer) bool { return slices.Contains(l.Members, name) }) ||
				slices.ContainsFunc(s.Overrides, func(o oncall.Override) bool { return o.User == name }) {
				out = append(out, fmt.Sprintf("schedule %q", s.Name))
			}
		}
		out = append(out, policiesNotifying(merged, "user:"+name)...)
	case KindSchedule:
		out = policiesNotifying(merged, "schedule:"+name)
	case KindPolicy:
		for _, in := range merged.Integrations {
			if in.Escalation == name {
				out = append(out, fmt.Sprintf("integration %q", in.Name))
			}
		}
		for _, c := range env.CheckPolicies[name] {
			out = append(out, fmt.Sprintf("check %q", c))
		}
	}
	return out
}

// policiesNotifying names the policies with a level that notifies target
// ("channel:ops", "user:ada", "schedule:primary").
func policiesNotifying(merged Objects, target string) []string {
	var out []string
	for _, p := range merged.Policies {
		if slices.ContainsFunc(p.Levels, func(l incident.Level) bool { return slices.Contains(l.Notify, target) }) {
			out = append(out, fmt.Sprintf("escalation policy %q", p.Name))
		}
	}
	return out
}
