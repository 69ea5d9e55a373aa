package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func TestBrokerReadsOnlyBrokerKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.yaml")
	if err := os.WriteFile(path, []byte("zones: {not: [a list]}\nbroker:\n  anonymous: sometimes\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err := run(context.Background(), []string{"--config", path}, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "broker.anonymous") || strings.Contains(err.Error(), "zones") {
		t.Fatalf("err %v", err)
	}
}

func TestBrokerRunsUntilCancelled(t *testing.T) {
	t.Setenv("SPRINKLER_BROKER_LISTEN", "127.0.0.1:0")
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // already over: Run starts, binds, and closes at once
	var out bytes.Buffer
	if err := run(ctx, []string{"--config", filepath.Join(t.TempDir(), "absent.yaml")}, &out, &out); err == nil {
		t.Fatal("a missing --config file was accepted")
	}
	if err := run(ctx, nil, &out, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "broker listening") || !strings.Contains(out.String(), "broker stopped") {
		t.Errorf("log: %s", out.String())
	}
}

func TestHash(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := hash(nil, strings.NewReader("correct horse\n"), &out, &errOut); err != nil {
		t.Fatal(err)
	}
	h := strings.TrimSpace(out.String())
	if bcrypt.CompareHashAndPassword([]byte(h), []byte("correct horse")) != nil {
		t.Fatalf("hash %q does not verify", h)
	}
	if bcrypt.CompareHashAndPassword([]byte(h), []byte("wrong horse")) == nil {
		t.Fatal("a wrong password verifies")
	}
	if err := hash([]string{"secret-in-argv"}, strings.NewReader(""), &out, &errOut); err == nil {
		t.Error("a password on the command line was accepted")
	}
	if err := hash(nil, strings.NewReader("short\n"), &out, &errOut); err == nil {
		t.Error("a short password was accepted")
	}
}
