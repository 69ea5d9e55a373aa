// Package httpserve runs a small HTTP server of the agent's (the metrics, the web page) until
// it is closed, with the bounds of httplimit.
package httpserve

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"sprinkler/broker/server"
	"sprinkler/httplimit"
)

// Server is a running HTTP server.
type Server struct {
	srv  *http.Server
	addr string
	done sync.WaitGroup
}

// Serve serves h on addr; it returns once the listener is up, or the error that prevented it.
// It answers only requests addressed to this machine by a name it answers to
// (server.AllowedHost: its addresses, localhost, its host name, and hosts), against DNS
// rebinding.
func Serve(addr string, h http.Handler, hosts []string, log *slog.Logger) (*Server, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Server{srv: httplimit.Server(hostCheck(hosts, h)), addr: l.Addr().String()}
	s.done.Go(func() {
		if err := s.srv.Serve(httplimit.Listener(l, log)); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("http: serving failed", "addr", s.addr, "err", err)
		}
	})
	return s, nil
}

// Addr is the address the server listens on, with the real port when addr asked for 0.
func (s *Server) Addr() string { return s.addr }

// Close shuts the server down within a second and returns once it has stopped.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	s.done.Wait()
	return err
}

// hostCheck answers only requests addressed to this machine by a name it answers to.
func hostCheck(hosts []string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !server.AllowedHost(r.Host, hosts) {
			http.Error(w, "this host name is not allowed; add it to web.hosts", http.StatusMisdirectedRequest)
			return
		}
		h.ServeHTTP(w, r)
	})
}
