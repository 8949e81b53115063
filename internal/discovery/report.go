package discovery

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sextant-ops/sextant/internal/cmdb"
)

// DefaultInterval is how often an agent reports its facts when not told.
const DefaultInterval = 5 * time.Minute

// Reporter reports one host's facts to a Sextant server as the item Name
// (PUT /api/v1/cis/{name}/facts), with an agent token.
type Reporter struct {
	Server string // the server's base URL
	Token  string
	Name   string // the item's name
	Host   Host
	Client *http.Client
	Log    *slog.Logger
}

// Report gathers the facts and reports them once.
func (r *Reporter) Report(ctx context.Context) (cmdb.FactsReport, error) {
	var out cmdb.FactsReport
	f, err := r.Host.Gather()
	if err != nil {
		return out, err
	}
	body, err := json.Marshal(f)
	if err != nil {
		return out, err
	}
	target := strings.TrimSuffix(r.Server, "/") + "/api/v1/cis/" + url.PathEscape(r.Name) + "/facts"
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, target, bytes.NewReader(body))
	if err != nil {
		return out, err
	}
	req.Header.Set("Authorization", "Bearer "+r.Token)
	req.Header.Set("Content-Type", "application/json")
	client := r.Client
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return out, fmt.Errorf("discovery: report facts: %w", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return out, &StatusError{Code: resp.StatusCode, Status: resp.Status, Detail: problemText(b)}
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return out, fmt.Errorf("discovery: the server's answer: %w", err)
	}
	return out, nil
}

// StatusError is the server's refusal of a report.
type StatusError struct {
	Code   int
	Status string
	Detail string
}

func (e *StatusError) Error() string {
	return "discovery: report facts: " + e.Status + ": " + e.Detail
}

// problemText is a problem details answer's detail and field errors, or
// the body as it is.
func problemText(b []byte) string {
	var p struct {
		Detail string `json:"detail"`
		Errors []struct {
			Pointer string `json:"pointer"`
			Detail  string `json:"detail"`
		} `json:"errors"`
	}
	if json.Unmarshal(b, &p) != nil || p.Detail == "" {
		return strings.TrimSpace(string(b))
	}
	parts := []string{p.Detail}
	for _, e := range p.Errors {
		parts = append(parts, e.Pointer+": "+e.Detail)
	}
	return strings.Join(parts, "; ")
}

// Run reports now and then every interval until ctx ends. A failed report
// is logged and tried again at the next tick; only a refusal of the token
// (401, 403) at the first report stops it, since retrying cannot help.
func (r *Reporter) Run(ctx context.Context, interval time.Duration) error {
	if interval <= 0 {
		interval = DefaultInterval
	}
	log := r.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	first := true
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		out, err := r.Report(ctx)
		switch {
		case err != nil && first && refused(err):
			return err
		case err != nil && ctx.Err() == nil:
			log.Warn("agent: could not report the host's facts; will retry", "item", r.Name, "err", err)
		case err == nil:
			log.Info("agent: facts reported", "item", r.Name, "created", out.Created, "changed", strings.Join(out.Changed, ","))
		}
		first = false
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// refused says whether the server refused the token itself.
func refused(err error) bool {
	var se *StatusError
	return errors.As(err, &se) && (se.Code == http.StatusUnauthorized || se.Code == http.StatusForbidden)
}
