package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// defaultHeartbeat is how often an idle event stream sends a comment, so
// that proxies which close quiet connections after a minute keep it open.
const defaultHeartbeat = 25 * time.Second

// eventStream answers GET /events/stream: server-sent events saying that
// an incident, a check or a service changed, for the pages' script to
// re-fetch what it shows. Each event is one "change" message whose data is
// the live.Event as JSON. The stream ends when the browser leaves, when it
// falls too far behind (it reconnects by itself), or when the server shuts
// down and closes the broker.
func (u *UI) eventStream(w http.ResponseWriter, r *http.Request) error {
	if u.deps.Live == nil {
		return errPageNotFound
	}
	rc := http.NewResponseController(w)
	sub := u.deps.Live.Subscribe(0)
	defer sub.Cancel()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	// Tell buffering proxies to pass each event on at once.
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	// The retry line asks the browser to come back within a few seconds
	// after the stream ends; the first comment makes the browser report
	// the stream open at once.
	if _, err := fmt.Fprint(w, "retry: 3000\n: connected\n\n"); err != nil {
		return nil
	}
	if err := rc.Flush(); err != nil {
		return nil
	}
	every := u.deps.Heartbeat
	if every <= 0 {
		every = defaultHeartbeat
	}
	beat := time.NewTicker(every)
	defer beat.Stop()
	for {
		select {
		case <-r.Context().Done():
			return nil
		case e, ok := <-sub.Events:
			if !ok {
				return nil
			}
			data, err := json.Marshal(e)
			if err != nil {
				return nil
			}
			if _, err := fmt.Fprintf(w, "event: change\ndata: %s\n\n", data); err != nil {
				return nil
			}
		case <-beat.C:
			if _, err := fmt.Fprint(w, ": heartbeat\n\n"); err != nil {
				return nil
			}
		}
		if err := rc.Flush(); err != nil {
			return nil
		}
	}
}
