package daemon

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"sprinkler/agent/config"
	"sprinkler/topics"
)

// TestEveryZoneSetArgumentIsAField: each setting zone_set may change is one entry of
// zoneFields, whose key is the file's; given alone, it changes the zone, is written to the
// file, said in the change's description, and carried by a restore.
func TestEveryZoneSetArgumentIsAField(t *testing.T) {
	fileKeys := map[string]bool{}
	zt := reflect.TypeFor[config.Zone]()
	for i := range zt.NumField() {
		fileKeys[zt.Field(i).Tag.Get("mapstructure")] = true
	}
	for _, f := range zoneFields {
		if !fileKeys[f.key] {
			t.Errorf("zone field %q is no key of a zone in the file", f.key)
		}
	}
	was := config.Zone{ID: 3, Name: "lawn", DefaultDuration: 10 * time.Minute, MaxDuration: time.Hour}
	at := reflect.TypeFor[topics.ZoneSetArgs]()
	for i := range at.NumField() {
		sf := at.Field(i)
		if sf.Type.Kind() != reflect.Pointer {
			continue // the zone and the revision
		}
		var args topics.ZoneSetArgs
		v := reflect.New(sf.Type.Elem())
		switch x := v.Interface().(type) {
		case *string:
			*x = "other"
		case *float64:
			*x = 0.5
		case *bool:
			*x = false
		default:
			t.Fatalf("zone_set argument %s of a type the test does not know", sf.Name)
		}
		reflect.ValueOf(&args).Elem().Field(i).Set(v)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		var took []string
		now := was
		for _, f := range zoneFields {
			if f.take(&now, args) {
				took = append(took, f.key)
			}
		}
		if len(took) != 1 || !strings.HasPrefix(name, took[0]) {
			t.Errorf("zone_set argument %s is taken by the fields %v", name, took)
			continue
		}
		f := zoneFields[slices.IndexFunc(zoneFields, func(f zoneField) bool { return f.key == took[0] })]
		before, _ := f.file(was)
		after, _ := f.file(now)
		if before == after {
			t.Errorf("%s: the file would not change", name)
		}
		if d := describeChange(was, now); d == "nothing changed" {
			t.Errorf("%s: the change is not said", name)
		}
		restored := was
		f.copy(&restored, now)
		if !reflect.DeepEqual(restored, now) {
			t.Errorf("%s: a restore carries %+v, not %+v", name, restored, now)
		}
	}
}
