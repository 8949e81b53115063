package status

import (
	"fmt"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/catalog"
)

// Page is one public status page, as written under `status_pages` in the
// config file. Only the services a page lists are public: a service on no
// page is private, and nothing of it is served without signing in.
type Page struct {
	// Name is the page's URL segment: /status/{name}. The first page of the
	// file is also served at /status.
	Name        string  `yaml:"name" json:"name"`
	Title       string  `yaml:"title" json:"title"`
	Description string  `yaml:"description" json:"description,omitempty"`
	Groups      []Group `yaml:"groups" json:"groups"`
	// DisplayNames overrides how a service is called on the page; without
	// one, a service shows its title, or else its name.
	DisplayNames map[string]string `yaml:"display_names" json:"display_names,omitempty"`
	// Feedback, when set, says whether this page's visitors may rate its
	// services, whatever the file's `feedback.public` says.
	Feedback *PageFeedback `yaml:"feedback" json:"feedback,omitempty"`
}

// PageFeedback is a status page's own `feedback:` setting.
type PageFeedback struct {
	Public bool `yaml:"public" json:"public"`
}

// Group is a titled list of services on a page.
type Group struct {
	Title    string   `yaml:"title" json:"title"`
	Services []string `yaml:"services" json:"services"`
}

// Services returns the page's services in the order they are listed, each
// once.
func (p *Page) Services() []string {
	var out []string
	seen := map[string]bool{}
	for _, g := range p.Groups {
		for _, s := range g.Services {
			if !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	return out
}

// Validate checks one page against the services the file declares. Paths
// are relative to the page ("groups[1].services[0]"); the config package
// prefixes them with "status_pages[i]".
func (p *Page) Validate(services map[string]bool) []apperr.Field {
	var out []apperr.Field
	switch {
	case p.Name == "":
		out = append(out, apperr.Field{Path: "name", Msg: "is required (it is the page's URL: /status/NAME)"})
	case !catalog.ValidName(p.Name):
		out = append(out, apperr.Field{Path: "name", Msg: fmt.Sprintf("%q must be lower-case letters, digits, '-' or '_'", p.Name)})
	}
	if p.Title == "" {
		out = append(out, apperr.Field{Path: "title", Msg: "is required"})
	}
	if len(p.Groups) == 0 {
		out = append(out, apperr.Field{Path: "groups", Msg: "list at least one group of services"})
	}
	listed := map[string]string{}
	for i, g := range p.Groups {
		gp := fmt.Sprintf("groups[%d]", i)
		if g.Title == "" {
			out = append(out, apperr.Field{Path: gp + ".title", Msg: "is required"})
		}
		if len(g.Services) == 0 {
			out = append(out, apperr.Field{Path: gp + ".services", Msg: "list at least one service"})
		}
		for j, s := range g.Services {
			sp := fmt.Sprintf("%s.services[%d]", gp, j)
			switch {
			case !services[s]:
				out = append(out, apperr.Field{Path: sp, Msg: fmt.Sprintf("unknown service %q (status pages list services declared in this file)", s)})
			case listed[s] != "":
				out = append(out, apperr.Field{Path: sp, Msg: fmt.Sprintf("service %q is already listed at %s", s, listed[s])})
			default:
				listed[s] = sp
			}
		}
	}
	for s := range p.DisplayNames {
		if listed[s] == "" {
			out = append(out, apperr.Field{Path: "display_names." + s, Msg: fmt.Sprintf("service %q is not listed on this page", s)})
		}
	}
	return out
}

// ValidatePages checks every page and that names are unique. Paths start
// with "status_pages[i]".
func ValidatePages(pages []Page, services map[string]bool) []apperr.Field {
	var out []apperr.Field
	names := map[string]int{}
	for i := range pages {
		p := fmt.Sprintf("status_pages[%d]", i)
		out = append(out, apperr.Prefixed(p, pages[i].Validate(services))...)
		if j, dup := names[pages[i].Name]; dup && pages[i].Name != "" {
			out = append(out, apperr.Field{Path: p + ".name", Msg: fmt.Sprintf("page %q is already declared at status_pages[%d]", pages[i].Name, j)})
		} else {
			names[pages[i].Name] = i
		}
	}
	return out
}
