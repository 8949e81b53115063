package monitor

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/probe"
)

// Agent runs the checks assigned to one remote location and pushes their
// results to the server. It is a thin client: the server keeps all state,
// so an agent can be restarted, moved or replaced at any time.
type Agent struct {
	Server   string // base URL of the Sextant server
	Token    string // an API token with the agent role
	Location string
	Log      *slog.Logger
	// Refresh is how often the assigned checks are fetched (default 30s).
	Refresh time.Duration
	// Limit bounds the checks run at once (default 1000).
	Limit  int
	Client *http.Client
	// Outbound is the outbound policy the checks' connections obey; nil
	// refuses only cloud-metadata addresses. The agent's own calls to
	// Server are not judged by it: the operator chose that address.
	Outbound *probe.Policy

	pending []Result
}

// maxPending bounds the results held while the server is unreachable.
const maxPending = 50000

// Run works until ctx ends.
func (a *Agent) Run(ctx context.Context) error {
	if a.Log == nil {
		a.Log = slog.New(slog.DiscardHandler)
	}
	if a.Refresh <= 0 {
		a.Refresh = 30 * time.Second
	}
	if a.Client == nil {
		a.Client = &http.Client{Timeout: 30 * time.Second}
	}
	results := make(chan Result, 10000)
	sched := &Scheduler{Limit: a.Limit,
		Run:  func(ctx context.Context, c *Compiled) Result { return RunWith(ctx, c, a.Location, a.Outbound) },
		Sink: func(r Result) { results <- r }}
	if err := a.refresh(ctx, sched); err != nil {
		return err // a wrong token or server is worth stopping for at start
	}
	schedDone := make(chan struct{})
	go func() { defer close(schedDone); sched.Start(ctx) }()
	refresh := time.NewTicker(a.Refresh)
	defer refresh.Stop()
	push := time.NewTicker(time.Second)
	defer push.Stop()
	for {
		select {
		case <-ctx.Done():
			<-schedDone
			// One last push of what was collected, on a fresh deadline.
			drain(results, &a.pending)
			final, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			a.push(final)
			cancel()
			return nil
		case r := <-results:
			a.pending = append(a.pending, r)
		case <-push.C:
			drain(results, &a.pending)
			a.push(ctx)
		case <-refresh.C:
			if err := a.refresh(ctx, sched); err != nil && ctx.Err() == nil {
				a.Log.Warn("agent: could not refresh checks; keeping the current ones", "err", err)
			}
		}
	}
}

func drain(ch chan Result, into *[]Result) {
	for {
		select {
		case r := <-ch:
			*into = append(*into, r)
		default:
			return
		}
	}
}

func (a *Agent) refresh(ctx context.Context, sched *Scheduler) error {
	var body struct {
		Items []Check `json:"items"`
	}
	if err := a.call(ctx, "GET", "/api/v1/agent/checks?location="+url.QueryEscape(a.Location), nil, &body); err != nil {
		return err
	}
	var compiled []*Compiled
	for _, c := range body.Items {
		cc, problems := Compile(c, nil)
		if len(problems) > 0 {
			a.Log.Warn("agent: skipping a check it cannot compile", "check", c.Name, "problem", problems[0].Path+": "+problems[0].Msg)
			continue
		}
		compiled = append(compiled, cc)
	}
	sched.Sync(compiled)
	a.Log.Info("agent: checks assigned", "location", a.Location, "checks", len(compiled))
	return nil
}

// push sends pending results in batches; what fails stays pending, bounded.
func (a *Agent) push(ctx context.Context) {
	for len(a.pending) > 0 {
		n := min(len(a.pending), 1000)
		err := a.call(ctx, "POST", "/api/v1/agent/results", map[string]any{"location": a.Location, "results": a.pending[:n]}, nil)
		if err != nil {
			a.Log.Warn("agent: could not push results; will retry", "pending", len(a.pending), "err", err)
			if over := len(a.pending) - maxPending; over > 0 {
				a.Log.Error("agent: dropping the oldest results", "dropped", over)
				a.pending = a.pending[over:]
			}
			return
		}
		a.pending = a.pending[n:]
	}
}

func (a *Agent) call(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(a.Server, "/")+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+a.Token)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(b)))
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}
