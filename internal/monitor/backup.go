package monitor

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/sextant-ops/sextant/internal/apperr"
	"github.com/sextant-ops/sextant/internal/availability"
	"github.com/sextant-ops/sextant/internal/duration"
	"github.com/sextant-ops/sextant/internal/recovery"
)

// BackupReport is what a backup job's success ping may carry: the instant
// the copy's data reached (zero: the ping's own time) and its size.
type BackupReport struct {
	DataPoint time.Time
	Bytes     *int64
}

// clockSkew is how far ahead of the server's clock a job's data point may
// be, for clocks that disagree a little.
const clockSkew = time.Minute

// backupRun is the run a ping of c reports, nil when c is no backup job.
// What the ping carries is judged here: a data point or size on another
// check, or on a ping other than success, is refused by name.
func backupRun(c *Compiled, signal string, rep BackupReport, now time.Time) (*recovery.Run, error) {
	var inv apperr.Invalid
	carries := !rep.DataPoint.IsZero() || rep.Bytes != nil
	switch {
	case carries && !c.IsBackup():
		field := "data_point"
		if rep.DataPoint.IsZero() {
			field = "bytes"
		}
		inv.Add(field, "applies only to a check of kind backup; %s is not one", c.Name)
	case carries && signal != PingSuccess:
		inv.Add("data_point", "is reported with the success ping, not with /%s", signal)
	case rep.DataPoint.After(now.Add(clockSkew)):
		inv.Add("data_point", "%s is in the future", rep.DataPoint.UTC().Format(time.RFC3339))
	case rep.Bytes != nil && *rep.Bytes < 0:
		inv.Add("bytes", "must be zero or more")
	}
	if err := inv.Err(); err != nil {
		return nil, err
	}
	if !c.IsBackup() {
		return nil, nil
	}
	outcome := map[string]string{PingStart: recovery.RunStart, PingFail: recovery.RunFail, PingSuccess: recovery.RunSuccess}[signal]
	return &recovery.Run{Check: c.Name, At: now, Outcome: outcome, DataPoint: rep.DataPoint.UTC(), Bytes: rep.Bytes}, nil
}

// rpoChange judges a backup job's standing against its RPO at now and, when
// it changed, records it in cs and returns the change: a breach dated at
// the exact instant the RPO passed, a recovery at now.
func (m *Monitor) rpoChange(c *Compiled, cs *checkState, now time.Time) (Change, bool) {
	if !c.IsBackup() {
		return Change{}, false
	}
	ref := cs.BackupPoint
	if ref.IsZero() {
		ref = m.meta[c.Name].CreatedAt
	}
	due := recovery.Deadline(ref, c.RPO)
	breached := now.After(due)
	if breached == cs.RPOBreached {
		return Change{}, false
	}
	cs.RPOBreached = breached
	ch := Change{Check: c.Name, Service: c.Service, Escalation: c.Escalation, RPO: true, At: now}
	if breached {
		ch.From, ch.To, ch.At = availability.Up, availability.Down, due
		ch.Reason = fmt.Sprintf("beyond its RPO %s: the last data point is %s (since %s)", duration.Format(c.RPO),
			ref.UTC().Format(time.RFC3339), due.UTC().Format(time.RFC3339))
		if cs.BackupPoint.IsZero() {
			ch.Reason = fmt.Sprintf("beyond its RPO %s: no successful backup since it was created (since %s)", duration.Format(c.RPO), due.UTC().Format(time.RFC3339))
		}
	} else {
		ch.From, ch.To = availability.Down, availability.Up
		ch.Reason = fmt.Sprintf("within its RPO %s again: data point %s", duration.Format(c.RPO), ref.UTC().Format(time.RFC3339))
	}
	return ch, true
}

// sweepRPO finds the backup jobs whose RPO passed (or, after a reload
// loosened it, no longer has) with no ping to say so. The RPO is its own
// input: its changes open and resolve their own incidents and leave the
// heartbeat's state, and the service's timeline, alone. Called with m.mu
// held.
func (m *Monitor) sweepRPO(ctx context.Context, now time.Time) error {
	changed := map[string]*checkState{}
	var changes []Change
	for name, c := range m.checks {
		cs := m.stateOf(name)
		if ch, ok := m.rpoChange(c, cs, now); ok {
			changed[name] = cs
			changes = append(changes, ch)
		}
	}
	if len(changes) == 0 {
		return nil
	}
	err := m.o.DB.Tx(ctx, func(tx *sql.Tx) error {
		for name, cs := range changed {
			if err := saveState(ctx, tx, name, cs); err != nil {
				return err
			}
		}
		return m.changed(ctx, tx, changes)
	})
	if err != nil {
		return err
	}
	for name, cs := range changed {
		m.states[name] = cs
	}
	if m.o.Committed != nil {
		m.o.Committed(changes)
	}
	return nil
}
