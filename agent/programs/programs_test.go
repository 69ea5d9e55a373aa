package programs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sprinkler/agent/schedule"
	"sprinkler/statefile/disktest"
	"sprinkler/topics"
)

func env() schedule.Env {
	e := schedule.Env{Zones: schedule.Zones{}}
	for z := 1; z <= 8; z++ {
		e.Zones[z] = time.Hour
	}
	return e
}

// store copies a shipped profile file into a folder of the test's.
func store(t *testing.T, name string) (*Store, string) {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("../../configs", name))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, src, 0o644); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	return New(path, filepath.Join(dir, "versions"), env(), func() time.Time { now = now.Add(time.Second); return now }), path
}

func code(err error) topics.Code { return topics.CodeOf(err) }

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestPutReplacesInPlace: a program read, changed and put back is the only part of the file
// that changes; comments and the other programs stay as written, and the agent loads it.
func TestPutReplacesInPlace(t *testing.T) {
	s, path := store(t, "profiles.yaml")
	before := read(t, path)
	d, err := s.Get("spring")
	if err != nil {
		t.Fatal(err)
	}
	d.Zones[0].Runs[0].For = "12m"
	d.About = "Twice a week, longer"
	got, err := s.Put(d, "web-1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Revision == d.Revision || got.About != "Twice a week, longer" {
		t.Errorf("put returned %+v", got)
	}
	after := read(t, path)
	head := before[:strings.Index(before, "  - name: spring")]
	if !strings.HasPrefix(after, head) {
		t.Errorf("the file before spring changed:\n%s", after)
	}
	if !strings.Contains(after, "for: 12m") || !strings.Contains(after, "about: Twice a week, longer") {
		t.Errorf("the change is not in the file:\n%s", after)
	}
	if _, err := schedule.Load(path, env()); err != nil {
		t.Fatal(err)
	}
	if again, _ := s.Get("spring"); again.Revision != got.Revision {
		t.Errorf("read again: revision %s, put said %s", again.Revision, got.Revision)
	}
}

// TestStaleRevisions: a put or delete naming an old revision is refused (conflict) and
// changes nothing, whether another client changed the program or a person edited the file.
func TestStaleRevisions(t *testing.T) {
	s, path := store(t, "profiles.yaml")
	d, _ := s.Get("summer")
	first := d
	d.About = "one"
	if _, err := s.Put(d, "a"); err != nil {
		t.Fatal(err)
	}
	first.About = "two"
	if _, err := s.Put(first, "b"); code(err) != topics.CodeConflict || !strings.Contains(err.Error(), "changed since revision") {
		t.Errorf("a second writer on the old revision: %v", err)
	}
	cur, _ := s.Get("summer")
	if err := os.WriteFile(path, []byte(strings.Replace(read(t, path), "about: one", "about: by hand", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	cur.About = "three"
	if _, err := s.Put(cur, "a"); code(err) != topics.CodeConflict {
		t.Errorf("a put over a hand edit: %v", err)
	}
	if !strings.Contains(read(t, path), "about: by hand") {
		t.Error("the hand edit was overwritten")
	}
	fresh := topics.ProgramDoc{Name: "summer", Zones: []topics.ProgramZone{}}
	if _, err := s.Put(fresh, "a"); code(err) != topics.CodeConflict || !strings.Contains(err.Error(), "exists") {
		t.Errorf("a create over an existing program: %v", err)
	}
	if err := s.Delete("spring", "0000", "summer", "a"); code(err) != topics.CodeConflict {
		t.Errorf("a delete on a wrong revision: %v", err)
	}
}

// TestBadProgramChangesNothing: a program the parser refuses is refused with the field named,
// and the file stays byte for byte.
func TestBadProgramChangesNothing(t *testing.T) {
	s, path := store(t, "profiles.yaml")
	before := read(t, path)
	d, _ := s.Get("summer")
	for _, c := range []struct {
		change func(*topics.ProgramDoc)
		want   string
	}{
		{func(d *topics.ProgramDoc) { d.Zones[0].Runs[0].For = "forever" }, `for: "forever" is not a duration`},
		{func(d *topics.ProgramDoc) { d.Zones[0].Days = []string{"funday"} }, `"funday" is not a day`},
		{func(d *topics.ProgramDoc) { d.Zones[0].Zone = 99 }, "no zone 99"},
		{func(d *topics.ProgramDoc) { d.Zones[0].Runs[0].For = "3h" }, "max_duration"},
		{func(d *topics.ProgramDoc) { d.Zones[0].Runs[0].At = "23:50"; d.Zones[0].Runs[0].For = "20m" }, "past midnight"},
	} {
		bad := d
		bad.Zones = append([]topics.ProgramZone{}, d.Zones...)
		bad.Zones[0].Runs = append([]topics.ProgramRun{}, d.Zones[0].Runs...)
		c.change(&bad)
		_, err := s.Put(bad, "a")
		if code(err) != topics.CodeBadRequest || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), `profile "summer"`) {
			t.Errorf("got %v, want bad_request with %q", err, c.want)
		}
		if read(t, path) != before {
			t.Fatal("a refused program changed the file")
		}
	}
}

// TestCreateRenameDeleteRestore: a new program is added at the end; renaming the file's
// active program renames it in active too; the active program cannot be deleted; every change
// is a version, the file as found the first, and a restore brings a version back.
func TestCreateRenameDeleteRestore(t *testing.T) {
	s, path := store(t, "profiles.yaml")
	found := read(t, path)
	n, err := s.Put(topics.ProgramDoc{Name: "autumn", Zones: []topics.ProgramZone{{Zone: 2, Days: []string{"mon", "thu"},
		Runs: []topics.ProgramRun{{At: "sunset-30m", For: "5m"}}}}}, "a")
	if err == nil || !strings.Contains(err.Error(), "site.latitude") {
		t.Fatalf("a sun rule without a site: %v %+v", err, n)
	}
	n, err = s.Put(topics.ProgramDoc{Name: "autumn", Zones: []topics.ProgramZone{{Zone: 2, Days: []string{"mon", "thu"},
		Runs: []topics.ProgramRun{{At: "07:00", For: "5m", Times: 2, Every: "1h"}}}}}, "a")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(strings.TrimRight(read(t, path), "\n"), "runs: [{at: \"07:00\", for: 5m, times: 2, every: 1h}]") {
		t.Errorf("autumn is not at the end:\n%s", read(t, path))
	}
	sum, _ := s.Get("summer")
	if _, err := s.Rename("summer", "high summer", sum.Revision, "b"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(read(t, path), "active: high summer") {
		t.Errorf("active was not renamed:\n%s", read(t, path))
	}
	hs, _ := s.Get("high summer")
	if err := s.Delete("high summer", hs.Revision, "high summer", "b"); err == nil || !strings.Contains(err.Error(), "active one") {
		t.Errorf("deleting the active program: %v", err)
	}
	if err := s.Delete("autumn", n.Revision, "high summer", "c"); err != nil {
		t.Fatal(err)
	}
	vs, err := s.Versions()
	if err != nil {
		t.Fatal(err)
	}
	var acts []string
	for _, v := range vs {
		acts = append(acts, v.By+" "+v.Action+" "+v.What)
	}
	if got := strings.Join(acts, "; "); got != "file as found ; a put autumn; b rename high summer; c delete autumn" || !vs[3].Current || vs[0].Current {
		t.Errorf("versions: %s %+v", got, vs)
	}
	if err := s.Restore(1, "d"); err != nil {
		t.Fatal(err)
	}
	if read(t, path) != found {
		t.Error("restoring version 1 did not bring back the file as found")
	}
	if vs, _ := s.Versions(); len(vs) != 5 || vs[4].Action != "restore 1" || !vs[0].Current || !vs[4].Current {
		t.Errorf("after the restore: %+v", vs)
	}
	if err := s.Restore(99, "d"); code(err) != topics.CodeBadRequest {
		t.Errorf("restoring a version never kept: %v", err)
	}
}

// TestOriginalFormatConverts: the first change of a file in the original format writes the
// native format, keeps the original beside it, and every profile stays as it was.
func TestOriginalFormatConverts(t *testing.T) {
	s, path := store(t, "profiles-original.yml")
	orig := read(t, path)
	before, err := s.List("")
	if err != nil {
		t.Fatal(err)
	}
	d, _ := s.Get("winter")
	d.About = "Once a week, Sundays"
	if _, err := s.Put(d, "a"); err != nil {
		t.Fatal(err)
	}
	if kept := read(t, path+".original"); kept != orig {
		t.Error("the original file was not kept beside")
	}
	if !strings.Contains(read(t, path), "profiles:\n") {
		t.Errorf("not written natively:\n%s", read(t, path))
	}
	after, _ := s.List("")
	for i := range before {
		if before[i].Name != "winter" && before[i].Revision != after[i].Revision {
			t.Errorf("%s changed in the conversion: %+v → %+v", before[i].Name, before[i], after[i])
		}
	}
}

// TestPowerLossAndFullDisk: a write cut short (the temporary file a power cut leaves behind
// the rename) never shows: the file loads as it was. On a full disk a put is refused, the file
// stays whole, and it goes through once there is room.
func TestPowerLossAndFullDisk(t *testing.T) {
	disk := disktest.Mount(t, "256k")
	src, err := os.ReadFile("../../configs/profiles.yaml")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(disk, "profiles.yaml")
	if err := os.WriteFile(path, src, 0o644); err != nil {
		t.Fatal(err)
	}
	s := New(path, filepath.Join(t.TempDir(), "versions"), env(), time.Now)
	if err := os.WriteFile(filepath.Join(disk, ".profiles.yaml.1234567"), src[:len(src)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	d, err := s.Get("summer")
	if err != nil {
		t.Fatalf("after a write cut short: %v", err)
	}
	disktest.Fill(t, disk)
	d.About = "on a full disk"
	if _, err := s.Put(d, "a"); err == nil || !strings.Contains(err.Error(), "not saved") {
		t.Errorf("a put on a full disk: %v", err)
	}
	if read(t, path) != string(src) {
		t.Fatal("a put on a full disk damaged the file")
	}
	disktest.Free(t, disk)
	if _, err := s.Put(d, "a"); err != nil {
		t.Fatalf("with room again: %v", err)
	}
	if !strings.Contains(read(t, path), "about: on a full disk") {
		t.Error("the put did not reach the file")
	}
}
