package replica_test

import (
	"context"
	"testing"
	"time"

	"github.com/sextant-ops/sextant/internal/replica"
	"github.com/sextant-ops/sextant/internal/store/storetest"
)

// Two replicas' buses on one schema hear each other, not themselves; a
// bus on another schema of the same database hears neither.
func TestBusCarriesMessagesBetweenReplicas(t *testing.T) {
	dsn, otherDSN := storetest.PostgresDSN(t), storetest.PostgresDSN(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := map[string]chan replica.Message{}
	start := func(dsn, id string) *replica.Bus {
		ch := make(chan replica.Message, 10)
		got[id] = ch
		b := &replica.Bus{DB: storetest.OpenAt(t, dsn), DSN: dsn, Self: id, Handle: func(_ context.Context, m replica.Message) { ch <- m }}
		go b.Run(ctx)
		select {
		case <-b.Ready():
		case <-time.After(10 * time.Second):
			t.Fatalf("%s does not listen", id)
		}
		return b
	}
	a, _ := start(dsn, "a"), start(dsn, "b")
	start(otherDSN, "elsewhere")
	if err := a.Publish(ctx, "checks", map[string]string{"name": "web"}); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-got["b"]:
		if m.From != "a" || m.Topic != "checks" || string(m.Body) != `{"name":"web"}` {
			t.Fatalf("b got %+v", m)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("b heard nothing within 5 s")
	}
	// A second message, so that anything wrongly delivered before it has
	// arrived by the time it does.
	if err := a.Publish(ctx, "setup", nil); err != nil {
		t.Fatal(err)
	}
	if m := <-got["b"]; m.Topic != "setup" || m.Body != nil {
		t.Fatalf("b got %+v", m)
	}
	for _, id := range []string{"a", "elsewhere"} {
		select {
		case m := <-got[id]:
			t.Fatalf("%s heard %+v", id, m)
		default:
		}
	}
	// A body too large for one notification is sent as the bare topic.
	big := make([]byte, 10000)
	for i := range big {
		big[i] = 'x'
	}
	if err := a.Publish(ctx, "live", string(big)); err != nil {
		t.Fatal(err)
	}
	if m := <-got["b"]; m.Topic != "live" || m.Body != nil {
		t.Fatalf("b got a %d-byte body for an oversized message", len(m.Body))
	}
}
