package feedback

import (
	"fmt"

	"github.com/sextant-ops/sextant/internal/apperr"
)

// DefaultPerIP is how many ratings one IP address may send from the
// public status pages per hour unless the config says otherwise.
const DefaultPerIP = 10

// Config is the `feedback:` section of the config file.
type Config struct {
	// Public lets visitors of every status page rate the services it lists
	// without signing in; a page's own `feedback.public` overrides it.
	Public bool `yaml:"public" json:"public"`
	// PerIP is how many ratings one IP address may send from the status
	// pages per hour (default 10).
	PerIP int `yaml:"per_ip" json:"per_ip,omitempty"`
}

// Limit is the per-IP hourly limit in force.
func (c Config) Limit() int {
	if c.PerIP <= 0 {
		return DefaultPerIP
	}
	return c.PerIP
}

// Validate names the section's mistakes, with paths under "feedback".
func (c Config) Validate() []apperr.Field {
	if c.PerIP < 0 || c.PerIP > 1000 {
		return []apperr.Field{{Path: "feedback.per_ip", Msg: fmt.Sprintf("must be from 1 to 1000 ratings per hour (0 or left out: %d), not %d", DefaultPerIP, c.PerIP)}}
	}
	return nil
}
