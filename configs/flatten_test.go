package configs_test

import (
	"reflect"
	"testing"
	"time"

	"sprinkler/configs"
)

// TestFlatten: a typed default becomes viper's flat keys, nested sections dotted, lists of
// structs as lists of maps, and fields that are not configuration left out.
func TestFlatten(t *testing.T) {
	type entry struct {
		ID int `mapstructure:"id"`
	}
	type section struct {
		Every time.Duration `mapstructure:"every"`
		Names []string      `mapstructure:"names"`
	}
	type config struct {
		Section section `mapstructure:"section"`
		List    []entry `mapstructure:"list"`
		Hidden  string  `mapstructure:"-"`
	}
	got := configs.Flatten("top", config{Section: section{Every: time.Minute, Names: []string{}}, List: []entry{{ID: 3}}, Hidden: "x"})
	want := map[string]any{"top.section.every": time.Minute, "top.section.names": []string{}, "top.list": []map[string]any{{"id": 3}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Flatten = %#v\nwant %#v", got, want)
	}
}
