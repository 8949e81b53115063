package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

// bareAnswer is what the bare server says to every event: the shape of
// Sextant's answer, without reading the body's JSON.
const bareAnswer = `{"status":"success","message":"Event processed"}` + "\n"

// startBare starts the baseline: this binary re-executed with -bare, an
// HTTP server on 127.0.0.1 that reads each body, stores nothing and
// answers 202. The same load generator against it, in the same run, gives
// the figure Sextant's are divided by, so that machines (and a busy
// moment on one) can be compared.
func startBare(ctx context.Context, tmp string) (*server, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	s := &server{logPath: filepath.Join(tmp, "bare.log"), key: "bare", how: "bare 202 server: this binary re-executed with -bare (net/http, reads the body, stores nothing)"}
	s.cmd = exec.Command(self, "-bare")
	if err := s.launch(ctx, "bare server at http://"); err != nil {
		return nil, err
	}
	return s, nil
}

// serveBare is the -bare child.
func serveBare(args []string) error {
	fs := flag.NewFlagSet("events -bare", flag.ContinueOnError)
	if err := fs.Parse(args); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	mux.HandleFunc("POST /v2/enqueue", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, bareAnswer)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
	fmt.Printf("bare server at http://%s/\n", ln.Addr())
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		return err
	}
	return nil
}
