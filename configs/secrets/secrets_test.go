package secrets_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sprinkler/configs/secrets"
)

// TestReadSecret: the password without its line end, and a warning when others may read it.
func TestReadSecret(t *testing.T) {
	dir := t.TempDir()
	private, public := filepath.Join(dir, "private"), filepath.Join(dir, "public")
	if err := os.WriteFile(private, []byte("s3cret\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(public, []byte("s3cret"), 0o644); err != nil {
		t.Fatal(err)
	}
	if pw, warning, err := secrets.ReadSecret(private); err != nil || pw != "s3cret" || warning != "" {
		t.Errorf("a private file: %q, %q, %v", pw, warning, err)
	}
	if pw, warning, err := secrets.ReadSecret(public); err != nil || pw != "s3cret" || !strings.Contains(warning, "chmod 600") {
		t.Errorf("a file others read: %q, %q, %v", pw, warning, err)
	}
	if _, _, err := secrets.ReadSecret(filepath.Join(dir, "none")); err == nil {
		t.Error("a missing file read")
	}
}

// TestClientTLS: no files give the system's roots; a CA file that holds no certificate, and a
// certificate without its key, are refused with the reason.
func TestClientTLS(t *testing.T) {
	if tc, err := secrets.ClientTLS("", "", ""); err != nil || tc.RootCAs != nil || len(tc.Certificates) != 0 {
		t.Errorf("no files: %+v, %v", tc, err)
	}
	bad := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(bad, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := secrets.ClientTLS(bad, "", ""); err == nil || !strings.Contains(err.Error(), "holds no PEM certificate") {
		t.Errorf("a CA file without a certificate: %v", err)
	}
	if _, err := secrets.ClientTLS("", "cert.pem", ""); err == nil || !strings.Contains(err.Error(), "both the certificate and its key") {
		t.Errorf("a certificate without its key: %v", err)
	}
}
