package secrets

import (
	"crypto/tls"
	"log/slog"
	"os"
	"sync"
)

// keyPair is a server's certificate and key read from files, taken again when either changes.
type keyPair struct {
	cert, key string
	log       *slog.Logger

	mu     sync.Mutex
	stamp  string
	loaded *tls.Certificate
}

// ServerCertificate reads a server's certificate and key (PEM files) for a TLS configuration's
// GetCertificate: a renewed pair is served from the next handshake on, without a restart; a
// renewal that cannot be read is logged and the pair before it kept. A pair that cannot be read
// now is an error.
func ServerCertificate(certFile, keyFile string, log *slog.Logger) (func(*tls.ClientHelloInfo) (*tls.Certificate, error), error) {
	k := &keyPair{cert: certFile, key: keyFile, log: log}
	if _, err := k.current(); err != nil {
		return nil, err
	}
	return func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return k.current() }, nil
}

// stampOf is what the files hold now (a few kilobytes, read at each handshake: a server's
// handshakes are few).
func (k *keyPair) stampOf() string {
	c, _ := os.ReadFile(k.cert)
	key, _ := os.ReadFile(k.key)
	return string(c) + "\x00" + string(key)
}

// current returns the pair, read again if the files changed since.
func (k *keyPair) current() (*tls.Certificate, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	stamp := k.stampOf()
	if k.loaded != nil && stamp == k.stamp {
		return k.loaded, nil
	}
	c, err := tls.LoadX509KeyPair(k.cert, k.key)
	if err != nil {
		if k.loaded != nil {
			k.log.Warn("the renewed certificate could not be read; the one before it is kept", "cert", k.cert, "key", k.key, "err", err)
			k.stamp = stamp
			return k.loaded, nil
		}
		return nil, err
	}
	k.loaded, k.stamp = &c, stamp
	return k.loaded, nil
}
