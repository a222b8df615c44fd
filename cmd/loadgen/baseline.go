package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"time"
)

// baselineAnswer is what the bare handler answers every message with: the
// shape of loopdesk's 202, so both attacks read the same bytes back.
var baselineAnswer = []byte(`{"message_id":"x","duplicate":false}`)

// baselineHandler is the least any server can do for a message: read it and
// answer 202. Attacking it with the same load shows what loadgen and the
// loopback network cost on this machine, the floor loopdesk is compared to.
func baselineHandler(w http.ResponseWriter, r *http.Request) {
	if _, err := io.Copy(io.Discard, r.Body); err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	h := w.Header()
	h["Content-Type"] = []string{"application/json"}
	w.WriteHeader(http.StatusAccepted)
	w.Write(baselineAnswer)
}

// startBaseline serves baselineHandler on a free loopback port and returns
// the messages URL and a function that shuts the server down.
func startBaseline() (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("listen for baseline: %w", err)
	}
	return "http://" + ln.Addr().String() + messagesPath, serve(ln, http.HandlerFunc(baselineHandler)), nil
}

// serve runs an HTTP server on ln until the returned function is called.
func serve(ln net.Listener, h http.Handler) (stop func()) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintf(os.Stderr, "loadgen: serve %s: %v\n", ln.Addr(), err)
		}
	}()
	return func() {
		srv.Close()
		<-done
	}
}

// startCPUProfile profiles loadgen itself, to tell whether it or the server
// is the bottleneck.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create CPU profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("start CPU profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
