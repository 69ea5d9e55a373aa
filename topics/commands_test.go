package topics_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"sprinkler/topics"
)

// argNames are the JSON names of the fields of the struct v.
func argNames(v any) []string {
	var out []string
	t := reflect.TypeOf(v)
	for i := range t.NumField() {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); name != "" && name != "-" {
			out = append(out, name)
		}
	}
	return out
}

// TestCommandParamsAreItsArgs: the menu's arguments of each command are fields of the struct
// the agent decodes them into, and every field of such a struct is offered by a command that
// uses it; a command without Args offers no argument.
func TestCommandParamsAreItsArgs(t *testing.T) {
	offered := map[reflect.Type][]string{}
	for _, c := range topics.Commands {
		if c.Args == nil {
			if len(c.Params) > 0 {
				t.Errorf("%s offers %d arguments and decodes none", c.Name, len(c.Params))
			}
			continue
		}
		fields := argNames(c.Args)
		for _, p := range c.Params {
			if !slices.Contains(fields, p.Name) {
				t.Errorf("%s offers %q, which %T does not take", c.Name, p.Name, c.Args)
			}
			offered[reflect.TypeOf(c.Args)] = append(offered[reflect.TypeOf(c.Args)], p.Name)
		}
	}
	for typ, names := range offered {
		for _, f := range argNames(reflect.New(typ).Elem().Interface()) {
			if !slices.Contains(names, f) {
				t.Errorf("%v takes %q, which no command offers", typ, f)
			}
		}
	}
}
