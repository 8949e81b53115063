// Package live carries small "something changed" events from the parts of
// the server that notice changes (the monitor, the incident engine, the
// UI's own actions) to the browsers watching a page, which then re-fetch
// what they show. It is an in-process broker: nothing is stored, and a
// browser that misses an event catches up at its next periodic refresh.
package live

import (
	"sync"
)

// Kinds of events. A page listens for the kinds that change what it shows.
const (
	Incident = "incident" // an incident opened, changed or resolved
	Check    = "check"    // a check changed state
	Service  = "service"  // a service's state or figures changed
)

// Event says that something of a kind changed. Name, when set, is the
// object's name (a check or service) or an incident's number, so that a
// page about one object can ignore events about others.
type Event struct {
	Kind string `json:"kind"`
	Name string `json:"name,omitempty"`
}

// DefaultBuffer is how many events a subscriber may fall behind by before
// it is dropped.
const DefaultBuffer = 16

// Broker fans events out to subscribers. Publish never blocks: a
// subscriber whose buffer is full is dropped (its channel closed), so one
// slow browser cannot hold up the monitor or the incident engine. The
// zero value is ready to use; a nil *Broker drops every event.
type Broker struct {
	// Relay, when set, is also handed every event published here, for
	// the pages of other servers on the same database; events that came
	// from them arrive through Deliver, which does not relay.
	Relay func(Event)

	mu     sync.Mutex
	subs   map[*Subscription]struct{}
	closed bool
}

// Subscription is one subscriber's feed. Events arrives in order; it is
// closed when the subscriber falls too far behind, cancels, or the broker
// closes.
type Subscription struct {
	Events <-chan Event
	ch     chan Event
	b      *Broker
}

// Subscribe adds a subscriber that may fall buffer events behind
// (DefaultBuffer when buffer < 1). Cancel it when done.
func (b *Broker) Subscribe(buffer int) *Subscription {
	if buffer < 1 {
		buffer = DefaultBuffer
	}
	ch := make(chan Event, buffer)
	s := &Subscription{Events: ch, ch: ch, b: b}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		close(ch)
		return s
	}
	if b.subs == nil {
		b.subs = map[*Subscription]struct{}{}
	}
	b.subs[s] = struct{}{}
	return s
}

// Cancel removes the subscription and closes its channel; calling it
// again does nothing.
func (s *Subscription) Cancel() {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	s.b.drop(s)
}

// drop removes s; the caller holds b.mu.
func (b *Broker) drop(s *Subscription) {
	if _, ok := b.subs[s]; ok {
		delete(b.subs, s)
		close(s.ch)
	}
}

// Publish hands e to every subscriber without waiting for any. It is safe
// to call on a nil broker, which drops the event.
func (b *Broker) Publish(e Event) {
	if b == nil {
		return
	}
	if b.Relay != nil {
		b.Relay(e)
	}
	b.Deliver(e)
}

// Deliver hands an event to this server's subscribers only: one that
// another server published and relayed here.
func (b *Broker) Deliver(e Event) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		select {
		case s.ch <- e:
		default:
			// Too far behind: drop it rather than wait. The browser
			// reconnects and re-fetches its page, so nothing is lost for
			// good.
			b.drop(s)
		}
	}
}

// Subscribers is how many subscribers are connected, for tests and
// metrics.
func (b *Broker) Subscribers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs)
}

// Close ends every subscription, so that the streams serving them return
// (on server shutdown), and refuses new ones.
func (b *Broker) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for s := range b.subs {
		b.drop(s)
	}
}
