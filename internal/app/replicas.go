package app

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/sextant-ops/sextant/internal/live"
	"github.com/sextant-ops/sextant/internal/replica"
)

// What replicas announce to each other over the bus; each names a cache
// the others refresh.
const (
	topicChecks    = "checks"    // checks created, changed, paused or removed
	topicSetup     = "setup"     // channels, integrations, policies made in the UI or API
	topicOverrides = "overrides" // schedule overrides
	topicConfig    = "config"    // the config file reloaded
	topicLive      = "live"      // events for the pages' streams
)

// announcer sends this replica's announcements from one goroutine, so
// that no caller waits on the database for them, and gathers live events
// for 200 ms into one message.
type announcer struct {
	bus  *replica.Bus
	out  chan replica.Message
	mu   sync.Mutex
	live map[live.Event]bool
}

func newAnnouncer(bus *replica.Bus) *announcer {
	return &announcer{bus: bus, out: make(chan replica.Message, 256), live: map[live.Event]bool{}}
}

// announce queues topic for the others; a full queue drops it (their
// timers refresh the same caches).
func (n *announcer) announce(topic string) {
	if n == nil {
		return
	}
	select {
	case n.out <- replica.Message{Topic: topic}:
	default:
	}
}

// relay gathers a live event for the next message.
func (n *announcer) relay(e live.Event) {
	n.mu.Lock()
	n.live[e] = true
	n.mu.Unlock()
}

func (n *announcer) run(ctx context.Context, log func(msg string, args ...any)) {
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case m := <-n.out:
			if err := n.bus.Publish(ctx, m.Topic, nil); err != nil && ctx.Err() == nil {
				log("announce to the replicas", "topic", m.Topic, "err", err)
			}
		case <-tick.C:
			n.mu.Lock()
			events := make([]live.Event, 0, len(n.live))
			for e := range n.live {
				events = append(events, e)
			}
			clear(n.live)
			n.mu.Unlock()
			if len(events) == 0 {
				continue
			}
			if err := n.bus.Publish(ctx, topicLive, events); err != nil && ctx.Err() == nil {
				log("relay live events to the replicas", "err", err)
			}
		}
	}
}

// startBus wires the bus between replicas (PostgreSQL only): what this
// server changes is announced, what the others announce is applied here.
func (a *App) startBus(ctx context.Context) {
	bus := &replica.Bus{DB: a.db, DSN: a.opts.Database, Self: a.replicas.ID, Log: a.log, Handle: a.onAnnouncement}
	a.announcer = newAnnouncer(bus)
	a.live.Relay = a.announcer.relay
	go bus.Run(ctx)
	go a.announcer.run(ctx, a.log.Error)
}

// onAnnouncement refreshes the cache another replica says it changed.
func (a *App) onAnnouncement(ctx context.Context, m replica.Message) {
	var err error
	switch m.Topic {
	case topicChecks:
		err = a.monitor.Load(ctx)
	case topicSetup:
		err = a.applySetup(ctx)
	case topicOverrides:
		err = a.oncall.refresh(ctx, a.overrides, a.opts.Now())
	case topicConfig:
		_, err = a.applyConfig(ctx, "replica:"+m.From)
		if err != nil && !errors.Is(err, errNoConfig) {
			a.log.Error("config reloaded on another replica rejected here; keeping the running config", "from", m.From, "err", err)
			return
		}
		err = nil
	case topicLive:
		var events []live.Event
		if m.Body == nil || json.Unmarshal(m.Body, &events) != nil {
			// Too many to carry: every page of each kind re-fetches.
			events = []live.Event{{Kind: live.Incident}, {Kind: live.Check}, {Kind: live.Service}}
		}
		for _, e := range events {
			a.live.Deliver(e)
		}
	}
	if err != nil && ctx.Err() == nil {
		a.log.Error("refresh after another replica's change", "topic", m.Topic, "from", m.From, "err", err)
	}
}
