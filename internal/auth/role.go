package auth

import "fmt"

// Role is what a user or token may do. Requester (an employee or customer)
// uses the portal only: its own tickets, its organisation's shared ones,
// the request catalog and the knowledge base. Viewer reads; operator also
// changes the catalog and works incidents; admin also manages users,
// tokens, the audit log and config reloads. Agent is a remote check
// location: it may use the agent endpoints and nothing else.
type Role string

// The roles.
const (
	Requester Role = "requester"
	Viewer    Role = "viewer"
	Operator  Role = "operator"
	Admin     Role = "admin"
	Agent     Role = "agent"
)

// Roles lists every role, from least to most powerful, agent last.
var Roles = []Role{Requester, Viewer, Operator, Admin, Agent}

// rank orders the people roles. A requester ranks below a viewer: every
// agent page and route (viewer and up) refuses it, while the portal's
// routes (requester and up) serve everyone signed in as a person.
var rank = map[Role]int{Requester: 0, Viewer: 1, Operator: 2, Admin: 3}

// ParseRole reads a role name.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if _, ok := rank[r]; ok || r == Agent {
		return r, nil
	}
	return "", fmt.Errorf("unknown role %q (use requester, viewer, operator, admin or agent)", s)
}

// Allows reports whether a holder of r may use something that requires
// need. The people roles are ordered; agent is apart: only agent routes
// accept it, and only it: they hand out check credentials, which nobody
// else may read, not even an admin.
func (r Role) Allows(need Role) bool {
	if need == Agent {
		return r == Agent
	}
	have, ok := rank[r]
	return ok && have >= rank[need]
}
