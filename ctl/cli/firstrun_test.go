package cli_test

import (
	"strings"
	"testing"
)

// TestAgentSaysWhatItRunsOn starts the agent process where no configuration file is, with the
// page turned off by an empty variable and a misspelt one: it says, once, which file it looked
// for, that the misspelt variable names no key (and the one meant), and serves no page.
func TestAgentSaysWhatItRunsOn(t *testing.T) {
	_, agent := startAgent(t, "garden", "SPRINKLER_WEB_LISTEN=", "SPRINKLER_BROKER_LISTN=127.0.0.1:1")
	agent.stop(t)
	out := agent.out.String()
	if n := strings.Count(out, "no configuration file at "); n != 1 || !strings.Contains(out, "configs/agent.yaml") {
		t.Errorf("the missing configuration file was reported %d times:\n%s", n, out)
	}
	if !strings.Contains(out, "SPRINKLER_BROKER_LISTN names no configuration key") || !strings.Contains(out, "did you mean SPRINKLER_BROKER_LISTEN") {
		t.Errorf("the misspelt variable was not reported:\n%s", out)
	}
	if strings.Contains(out, `msg="web page"`) {
		t.Errorf("SPRINKLER_WEB_LISTEN= did not turn the page off:\n%s", out)
	}
}
