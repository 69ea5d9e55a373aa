package schedule

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"sprinkler/topics"
)

// TestDocRoundTrip: every profile of the shipped files (both formats, every rule of the
// examples), written as a native file from its documents and parsed again, is the same
// profile, and gives the same documents.
func TestDocRoundTrip(t *testing.T) {
	env := Env{Zones: Zones{}, Site: &Site{Latitude: 52.5, Longitude: 13.4}}
	for z := 1; z <= 8; z++ {
		env.Zones[z] = 24 * time.Hour
	}
	for _, name := range []string{"profiles.yaml", "profiles-original.yml", "profiles-examples.yaml"} {
		f, err := Load(filepath.Join("../../configs", name), env)
		if err != nil {
			t.Fatal(err)
		}
		var docs []any
		for i := range f.Profiles {
			docs = append(docs, f.Profiles[i].Doc())
		}
		src, err := Native(f.Active, docsOf(f))
		if err != nil {
			t.Fatal(err)
		}
		g, err := Parse(name, src, env)
		if err != nil {
			t.Fatalf("%s written natively does not parse: %v\n%s", name, err, src)
		}
		if g.Active != f.Active || len(g.Profiles) != len(f.Profiles) {
			t.Fatalf("%s: active %q, %d profiles; want %q, %d", name, g.Active, len(g.Profiles), f.Active, len(f.Profiles))
		}
		for i := range f.Profiles {
			a, b := f.Profiles[i], g.Profiles[i]
			a.line, b.line = 0, 0
			for j := range a.Programs {
				a.Programs[j].line, b.Programs[j].line = 0, 0
			}
			if !reflect.DeepEqual(a, b) {
				ja, _ := json.Marshal(docs[i])
				t.Errorf("%s: profile %q differs after the round trip:\n%+v\n%+v\n%s", name, a.Name, a, b, ja)
			}
		}
	}
}

func docsOf(f *File) (out []topics.ProgramDoc) {
	for i := range f.Profiles {
		out = append(out, f.Profiles[i].Doc())
	}
	return out
}
