// Package httpserve runs a small HTTP server of the agent's (the metrics, the web page) until
// it is closed, with the bounds of httplimit.
package httpserve

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"sprinkler/broker/server"
	"sprinkler/configs/secrets"
	"sprinkler/httplimit"
)

// Server is a running HTTP server.
type Server struct {
	srv  *http.Server
	addr string
	done sync.WaitGroup
	// TLS says the server speaks HTTPS.
	TLS bool
}

// Serve serves h on addr; it returns once the listener is up, or the error that prevented it.
// It answers only requests addressed to this machine by a name it answers to
// (server.AllowedHost: its addresses, localhost, its host name, and hosts), against DNS
// rebinding.
func Serve(addr string, h http.Handler, hosts []string, log *slog.Logger) (*Server, error) {
	return serve(addr, h, hosts, log, nil)
}

// ServeTLS is Serve over TLS with the certificate and key in certFile and keyFile (PEM), read
// again when they change.
func ServeTLS(addr, certFile, keyFile string, h http.Handler, hosts []string, log *slog.Logger) (*Server, error) {
	get, err := secrets.ServerCertificate(certFile, keyFile, log)
	if err != nil {
		return nil, fmt.Errorf("web.cert %s, web.key %s: %w", certFile, keyFile, err)
	}
	return serve(addr, h, hosts, log, &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: get})
}

func serve(addr string, h http.Handler, hosts []string, log *slog.Logger, tlsConfig *tls.Config) (*Server, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Server{srv: httplimit.Server(hostCheck(hosts, h)), addr: l.Addr().String(), TLS: tlsConfig != nil}
	var in net.Listener = httplimit.Listener(l, log)
	if tlsConfig != nil {
		in = tls.NewListener(in, tlsConfig)
	}
	s.done.Go(func() {
		if err := s.srv.Serve(in); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("http: serving failed", "addr", s.addr, "err", err)
		}
	})
	return s, nil
}

// Addr is the address the server listens on, with the real port when addr asked for 0.
func (s *Server) Addr() string { return s.addr }

// URL is the server's address as a browser opens it.
func (s *Server) URL() string {
	if s.TLS {
		return "https://" + s.addr + "/"
	}
	return "http://" + s.addr + "/"
}

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
