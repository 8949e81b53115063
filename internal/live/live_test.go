package live

import (
	"testing"
	"time"
)

// drain reads what a subscription holds without waiting, and whether it
// is still open.
func drain(s *Subscription) ([]Event, bool) {
	var got []Event
	for {
		select {
		case e, ok := <-s.Events:
			if !ok {
				return got, false
			}
			got = append(got, e)
		default:
			return got, true
		}
	}
}

func TestBroker(t *testing.T) {
	t.Run("every subscriber gets every event in order", func(t *testing.T) {
		var b Broker
		one, two := b.Subscribe(4), b.Subscribe(4)
		b.Publish(Event{Kind: Check, Name: "web"})
		b.Publish(Event{Kind: Incident, Name: "7"})
		for i, s := range []*Subscription{one, two} {
			got, open := drain(s)
			if !open || len(got) != 2 || got[0] != (Event{Kind: Check, Name: "web"}) || got[1] != (Event{Kind: Incident, Name: "7"}) {
				t.Errorf("subscriber %d got %v (open %v)", i, got, open)
			}
		}
	})
	t.Run("a slow subscriber is dropped and never blocks the publisher", func(t *testing.T) {
		var b Broker
		slow, quick := b.Subscribe(2), b.Subscribe(8)
		done := make(chan struct{})
		go func() {
			defer close(done)
			for range 5 {
				b.Publish(Event{Kind: Service})
			}
		}()
		select {
		case <-done:
		case <-time.After(2 * time.Second):
			t.Fatal("Publish blocked on a subscriber that does not read")
		}
		if got, open := drain(slow); open || len(got) != 2 {
			t.Errorf("the slow subscriber got %d events and is open=%v, want 2 and closed", len(got), open)
		}
		if got, open := drain(quick); !open || len(got) != 5 {
			t.Errorf("the quick subscriber got %d events and is open=%v, want 5 and open", len(got), open)
		}
		if n := b.Subscribers(); n != 1 {
			t.Errorf("%d subscribers left, want 1", n)
		}
	})
	t.Run("cancel removes the subscriber, twice is harmless", func(t *testing.T) {
		var b Broker
		s := b.Subscribe(0)
		s.Cancel()
		s.Cancel()
		b.Publish(Event{Kind: Check})
		if _, open := drain(s); open {
			t.Error("a cancelled subscription is still open")
		}
		if n := b.Subscribers(); n != 0 {
			t.Errorf("%d subscribers, want 0", n)
		}
	})
	t.Run("close ends every subscription and refuses new ones", func(t *testing.T) {
		var b Broker
		s := b.Subscribe(1)
		b.Close()
		if _, open := drain(s); open {
			t.Error("a subscription survived Close")
		}
		late := b.Subscribe(1)
		if _, open := drain(late); open {
			t.Error("a subscription made after Close is open")
		}
		late.Cancel()
	})
	t.Run("a nil broker drops events", func(t *testing.T) {
		var b *Broker
		b.Publish(Event{Kind: Check})
	})
}

// Published events are relayed (to other servers); delivered ones, which
// came from another server, reach the subscribers without going back.
func TestRelayAndDeliver(t *testing.T) {
	b := &Broker{}
	var relayed []Event
	b.Relay = func(e Event) { relayed = append(relayed, e) }
	s := b.Subscribe(4)
	defer s.Cancel()
	b.Publish(Event{Kind: Check, Name: "web"})
	b.Deliver(Event{Kind: Incident, Name: "7"})
	for _, want := range []Event{{Kind: Check, Name: "web"}, {Kind: Incident, Name: "7"}} {
		if got := <-s.Events; got != want {
			t.Fatalf("subscriber got %+v, want %+v", got, want)
		}
	}
	if len(relayed) != 1 || relayed[0] != (Event{Kind: Check, Name: "web"}) {
		t.Fatalf("relayed %+v, want only the published event", relayed)
	}
}
