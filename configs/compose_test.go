package configs_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

func load(t *testing.T, files ...string) *types.Project {
	t.Helper()
	var paths []string
	for _, f := range files {
		paths = append(paths, filepath.Join("..", f))
	}
	opts, err := cli.NewProjectOptions(paths, cli.WithName("sprinkler"), cli.WithWorkingDirectory(".."),
		cli.WithEnv([]string{"SPRINKLER_VERSION=test"}), cli.WithProfiles([]string{"broker", "nodered"}))
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestComposeFile validates docker-compose.yml as Docker Compose would (no engine runs here)
// and checks what a user relies on.
func TestComposeFile(t *testing.T) {
	p := load(t, "docker-compose.yml")
	agent, ok := p.Services["agent"]
	if !ok {
		t.Fatalf("services: %v", p.ServiceNames())
	}
	if agent.Build == nil || agent.Image != "sprinkler:test" || agent.Restart != "unless-stopped" || agent.NetworkMode != "host" {
		t.Errorf("agent: build %v, image %s, restart %s, network %s", agent.Build, agent.Image, agent.Restart, agent.NetworkMode)
	}
	if v := agent.Environment["SPRINKLER_RELAYS_DRIVER"]; v == nil || *v != "sim" {
		t.Errorf("the default is not simulated relays: %v", agent.Environment)
	}
	if agent.HealthCheck == nil || !slices.Contains(agent.HealthCheck.Test, "/usr/local/bin/ctl") {
		t.Errorf("agent healthcheck %+v", agent.HealthCheck)
	}
	var mounts []string
	for _, v := range agent.Volumes {
		mounts = append(mounts, v.Source+":"+v.Target)
	}
	for _, want := range []string{"state:/var/lib/sprinkler", "logs:/var/log/sprinkler"} {
		if !slices.Contains(mounts, want) {
			t.Errorf("agent volumes %v lack %s", mounts, want)
		}
	}
	for _, v := range []string{"state", "logs"} {
		if _, ok := p.Volumes[v]; !ok {
			t.Errorf("named volume %s missing", v)
		}
	}
	for _, name := range []string{"broker", "node-red"} {
		s, ok := p.Services[name]
		if !ok || len(s.Profiles) == 0 || s.HealthCheck == nil || s.Restart == "" {
			t.Errorf("%s: %+v", name, s)
		}
	}
	if len(agent.Devices) != 0 {
		t.Errorf("the default maps devices: %v", agent.Devices)
	}
	if _, err := os.Stat(filepath.Join("..", "Dockerfile")); err != nil {
		t.Error("the build needs a Dockerfile")
	}
}

// TestComposeGPIOOverride checks the override that drives the real board.
func TestComposeGPIOOverride(t *testing.T) {
	p := load(t, "docker-compose.yml", "docker-compose.gpio.yml")
	agent := p.Services["agent"]
	if v := agent.Environment["SPRINKLER_RELAYS_DRIVER"]; v == nil || *v != "gpio" {
		t.Errorf("driver %v", agent.Environment["SPRINKLER_RELAYS_DRIVER"])
	}
	if len(agent.Devices) != 1 || agent.Devices[0].Source != "/dev/gpiochip0" || agent.Devices[0].Target != "/dev/gpiochip0" {
		t.Errorf("devices %+v", agent.Devices)
	}
	var mounts []string
	for _, v := range agent.Volumes {
		mounts = append(mounts, v.Target)
	}
	if !slices.ContainsFunc(mounts, func(m string) bool { return strings.HasPrefix(m, "/sys/bus/gpio") }) {
		t.Errorf("mounts %v", mounts)
	}
}
