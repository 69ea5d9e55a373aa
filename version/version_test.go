package version_test

import (
	"strings"
	"testing"

	"sprinkler/version"
)

// TestString: the version alone without a commit, with the commit's first 12 characters when
// one is stamped.
func TestString(t *testing.T) {
	v, c := version.Version, version.Commit
	t.Cleanup(func() { version.Version, version.Commit = v, c })
	version.Version, version.Commit = "1.2.3", "0123456789abcdef0123"
	if got := version.String(); got != "1.2.3 (commit 0123456789ab)" {
		t.Errorf("String() = %q", got)
	}
	version.Commit = "abc"
	if got := version.String(); got != "1.2.3 (commit abc)" || version.Revision() != "abc" {
		t.Errorf("String() = %q, Revision() = %q", got, version.Revision())
	}
	version.Commit = ""
	if got := version.String(); !strings.HasPrefix(got, "1.2.3") {
		t.Errorf("String() without a stamped commit = %q", got)
	}
}
