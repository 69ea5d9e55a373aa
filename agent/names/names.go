// Package names checks the names people give profiles and zones, which lists, logs, the page and
// Home Assistant show: printable text of at most 64 characters that reads as it is written, and
// no two names of a kind that read alike. It follows the PRECIS Nickname profile (RFC 8266,
// golang.org/x/text/secure/precis): no control or formatting characters (a newline, NUL, a
// bidi mark that would make it read otherwise), one space between words and none around them,
// characters in their usual width and composition; compared without regard to case.
package names

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/secure/precis"
)

// MaxLen is the longest name, in characters.
const MaxLen = 64

// Check reports why name cannot be a name, or nil when it can.
func Check(name string) error {
	if n := utf8.RuneCountInString(name); n == 0 || n > MaxLen {
		return fmt.Errorf("%q: want 1 to %d characters", name, MaxLen)
	}
	for _, r := range name {
		if r < ' ' || r == 0x7f {
			return fmt.Errorf("%q holds a control character (%U)", name, r)
		}
	}
	shown, err := precis.Nickname.String(name)
	if err != nil {
		return fmt.Errorf("%q holds a character a name may not (%v): a formatting mark, say, that makes it read otherwise", name, err)
	}
	if shown != name {
		return fmt.Errorf("%q does not read as it is written: write it %q", name, shown)
	}
	return nil
}

// Key is what two names are compared by: names of one kind whose keys are equal read alike
// ("Summer" and "summer"), and only one of them may be.
func Key(name string) string {
	k, err := precis.Nickname.CompareKey(name)
	if err != nil {
		return strings.ToLower(name)
	}
	return k
}
