package names_test

import (
	"testing"

	"sprinkler/agent/names"
)

func TestCheck(t *testing.T) {
	for name, ok := range map[string]bool{
		"summer": true, "Front lawn": true, "Rosen & Beete 2": true, "Été": true, "草坪": true,
		"":                       false,
		"summer ":                false, // trailing space
		" summer":                false,
		"front  lawn":            false, // two spaces
		"line\nbreak":            false,
		"nul\x00":                false,
		"tab\there":              false,
		"evil\u202eeulav":        false, // right-to-left override
		"ｓｕｍｍｅｒ":                 false, // full width
		"zero\u200bwidth":        false,
		string(make([]byte, 65)): false,
	} {
		if err := names.Check(name); (err == nil) != ok {
			t.Errorf("Check(%q) = %v", name, err)
		}
	}
}

func TestKeyFindsLookAlikes(t *testing.T) {
	for _, pair := range [][2]string{{"summer", "Summer"}, {"summer", "SUMMER"}} {
		if names.Key(pair[0]) != names.Key(pair[1]) {
			t.Errorf("%q and %q read alike, their keys differ", pair[0], pair[1])
		}
	}
	if names.Key("summer") == names.Key("winter") {
		t.Error("summer and winter have one key")
	}
}
