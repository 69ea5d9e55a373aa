// Package secrets reads what logs a client in to a broker: a password from a file that others
// should not read, a new password asked on a terminal, and TLS certificates.
package secrets

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strings"
)

// ReadSecret reads a password from a file, without its trailing newline. It also returns a
// warning when the file is readable by every user of the machine.
func ReadSecret(path string) (secret, warning string, err error) {
	info, err := os.Stat(path)
	if err != nil {
		return "", "", err
	}
	if info.Mode().Perm()&0o004 != 0 {
		warning = fmt.Sprintf("%s is readable by every user of this machine; chmod 600 it", path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", "", err
	}
	return strings.TrimRight(string(b), "\r\n"), warning, nil
}

// ClientTLS builds a TLS client configuration: the CA that signed the broker's certificate
// (the system's roots when empty) and, optionally, a client certificate and key to log in
// with.
func ClientTLS(caFile, certFile, keyFile string) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s holds no PEM certificate", caFile)
		}
		tc.RootCAs = pool
	}
	if (certFile == "") != (keyFile == "") {
		return nil, fmt.Errorf("a client certificate needs both the certificate and its key")
	}
	if certFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, err
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}
