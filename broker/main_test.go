package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
