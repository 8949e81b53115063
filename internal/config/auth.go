package config

import (
	"fmt"
	"slices"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/auth"
)

// Auth is the config file's `auth` key: how people sign in to the UI.
type Auth struct {
	// RequireSecondFactor lists the roles whose users must use two-factor
	// sign-in (TOTP). Such a user without one is sent to set it up right
	// after the password and can do nothing else until it is on. API
	// tokens are not affected.
	RequireSecondFactor []string `yaml:"require_second_factor"`
}

// Compile checks the roles and returns them, reporting each bad entry with
// its path ("auth.require_second_factor[1]").
func (a Auth) Compile() ([]auth.Role, []apperr.Field) {
	var roles []auth.Role
	var inv apperr.Invalid
	for i, s := range a.RequireSecondFactor {
		p := fmt.Sprintf("auth.require_second_factor[%d]", i)
		r, err := auth.ParseRole(s)
		switch {
		case err != nil:
			inv.Add(p, "%v", err)
		case r == auth.Agent:
			// Agents authenticate with tokens and cannot use the UI, so
			// a second factor would never be asked of them.
			inv.Add(p, "agent accounts do not sign in to the web interface; a second factor cannot be required of them")
		case slices.Contains(roles, r):
			inv.Add(p, "role %q is listed twice", s)
		default:
			roles = append(roles, r)
		}
	}
	return roles, inv.Fields
}
