package httpserve

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"sync"
)

// keyPair is a certificate and its key read from files, taken again when either changes (a
// renewed certificate is served from the next connection on, without a restart).
type keyPair struct {
	cert, key string
	log       *slog.Logger

	mu     sync.Mutex
	stamp  string
	loaded *tls.Certificate
}

// loadKeyPair reads the pair once: a missing or damaged file is an error at start.
func loadKeyPair(cert, key string, log *slog.Logger) (*keyPair, error) {
	k := &keyPair{cert: cert, key: key, log: log}
	if _, err := k.current(); err != nil {
		return nil, err
	}
	return k, nil
}

// stampOf is what the files hold now (a few kilobytes, read at each handshake: a page's
// handshakes are few).
func (k *keyPair) stampOf() string {
	c, _ := os.ReadFile(k.cert)
	key, _ := os.ReadFile(k.key)
	return string(c) + "\x00" + string(key)
}

// current returns the pair, read again if the files changed since; a renewal that cannot be
// read is logged and the pair before it kept.
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
			k.log.Warn("web: the changed certificate could not be read; the one before it is kept", "cert", k.cert, "key", k.key, "err", err)
			k.stamp = stamp
			return k.loaded, nil
		}
		return nil, fmt.Errorf("web.cert %s, web.key %s: %w", k.cert, k.key, err)
	}
	k.loaded, k.stamp = &c, stamp
	return k.loaded, nil
}

func (k *keyPair) getCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) { return k.current() }
