package relay

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// wire records every level written to the lines of a shift-register chain and decodes it as
// the chain would: a bit taken from data at each rising clock edge, the outputs set at each
// rising latch edge, while the output enable is low.
type wire struct {
	levels  map[string]int
	shifted []int
	latched []string // each pattern latched, output 1 first, with the enable's level
	log     []string
	fail    string // a line whose writes fail
}

type wireLine struct {
	w    *wire
	name string
}

func (l wireLine) SetValue(v int) error {
	if l.w.fail == l.name {
		return errors.New("broken line")
	}
	old := l.w.levels[l.name]
	l.w.levels[l.name] = v
	l.w.log = append(l.w.log, fmt.Sprintf("%s=%d", l.name, v))
	switch {
	case l.name == "clock" && old == 0 && v == 1:
		l.w.shifted = append(l.w.shifted, l.w.levels["data"])
	case l.name == "latch" && old == 0 && v == 1:
		var b strings.Builder
		for i := len(l.w.shifted) - 1; i >= 0; i-- { // the last bit shifted is output 1
			fmt.Fprint(&b, l.w.shifted[i])
		}
		l.w.latched = append(l.w.latched, fmt.Sprintf("%s oe=%d", b.String(), l.w.levels["enable"]))
		l.w.shifted = nil
	}
	return nil
}

func (l wireLine) Close() error { l.w.log = append(l.w.log, l.name+" released"); return nil }

func newWire() (*wire, [4]level) {
	w := &wire{levels: map[string]int{"enable": 1}}
	return w, [4]level{wireLine{w, "data"}, wireLine{w, "clock"}, wireLine{w, "latch"}, wireLine{w, "enable"}}
}

// TestShiftRegisterPatterns: at start every output off is latched before the outputs are
// enabled; each switch latches the whole pattern (output 1 shifted last, as the OpenSprinkler
// Pi wires it); Close latches every output off and disables the outputs before release.
func TestShiftRegisterPatterns(t *testing.T) {
	w, l := newWire()
	b, err := newShiftBank(l[0], l[1], l[2], l[3], 16, false)
	if err != nil {
		t.Fatal(err)
	}
	if w.levels["enable"] != 0 || !slices.Equal(w.latched, []string{"0000000000000000 oe=1"}) {
		t.Fatalf("start: latched %v, enable %d", w.latched, w.levels["enable"])
	}
	if w.log[len(w.log)-1] != "enable=0" {
		t.Errorf("the outputs were enabled before the last write: %v", w.log)
	}
	for _, step := range []struct {
		out  int
		on   bool
		want string
	}{{0, true, "1000000000000000"}, {9, true, "1000000001000000"}, {0, false, "0000000001000000"}} {
		if err := b.Set(step.out, step.on); err != nil {
			t.Fatal(err)
		}
		if got := w.latched[len(w.latched)-1]; got != step.want+" oe=0" {
			t.Errorf("output %d %v: latched %s, want %s", step.out+1, step.on, got, step.want)
		}
	}
	if err := b.Set(16, true); err == nil {
		t.Error("output 17 of two boards was taken")
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if got := w.latched[len(w.latched)-1]; got != "0000000000000000 oe=0" {
		t.Errorf("close latched %s", got)
	}
	tail := strings.Join(w.log[len(w.log)-5:], " ")
	if tail != "enable=1 data released clock released latch released enable released" {
		t.Errorf("close ended with %s", tail)
	}
	if err := b.Set(0, true); !errors.Is(err, ErrClosed) {
		t.Errorf("set after close: %v", err)
	}
}

// TestShiftRegisterActiveLow: an active-low chain shifts ones for off.
func TestShiftRegisterActiveLow(t *testing.T) {
	w, l := newWire()
	b, err := newShiftBank(l[0], l[1], l[2], l[3], 8, true)
	if err != nil {
		t.Fatal(err)
	}
	_ = b.Set(2, true)
	if got := w.latched; !slices.Equal(got, []string{"11111111 oe=1", "11011111 oe=0"}) {
		t.Errorf("latched %v", got)
	}
}

// TestShiftRegisterFailureKeepsState: a write that fails leaves the output as it was recorded,
// and a start that fails leaves the outputs disabled.
func TestShiftRegisterFailureKeepsState(t *testing.T) {
	w, l := newWire()
	b, err := newShiftBank(l[0], l[1], l[2], l[3], 8, false)
	if err != nil {
		t.Fatal(err)
	}
	w.fail = "latch"
	if err := b.Set(0, true); err == nil {
		t.Fatal("a broken latch line was not told")
	}
	if b.on[0] {
		t.Error("the output is recorded on though its write failed")
	}
	w2, l2 := newWire()
	w2.fail = "clock"
	if _, err := newShiftBank(l2[0], l2[1], l2[2], l2[3], 8, false); err == nil || w2.levels["enable"] != 1 {
		t.Errorf("a failed start: %v, enable %d (want 1, outputs disabled)", err, w2.levels["enable"])
	}
}

// bus records an expander's SMBus writes.
type bus struct {
	regs   map[byte]byte
	writes []string
	port   int // a PCF8574's port, -1 before the first write
}

func (d *bus) WriteByteData(reg, v byte) error {
	d.regs[reg] = v
	d.writes = append(d.writes, fmt.Sprintf("%#02x=%#02x", reg, v))
	return nil
}

func (d *bus) WriteByte(v byte) error {
	d.port = int(v)
	d.writes = append(d.writes, fmt.Sprintf("port=%#02x", v))
	return nil
}

func (d *bus) Close() error { d.writes = append(d.writes, "closed"); return nil }

// TestMCP23017: the output latches are written off before the pins become outputs; outputs 1-8
// are GPA0-7 and 9-16 GPB0-7; active low inverts; Close writes every output off.
func TestMCP23017(t *testing.T) {
	d := &bus{regs: map[byte]byte{}}
	b, err := newExpander(d, KindMCP23017, true)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(d.writes, " "); got != "0x14=0xff 0x15=0xff 0x00=0x00 0x01=0x00" {
		t.Errorf("start: %s", got)
	}
	_ = b.Set(0, true)
	_ = b.Set(9, true)
	if d.regs[mcpOLATA] != 0xfe || d.regs[mcpOLATB] != 0xfd {
		t.Errorf("OLATA %#x, OLATB %#x; want 0xfe, 0xfd", d.regs[mcpOLATA], d.regs[mcpOLATB])
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if d.regs[mcpOLATA] != 0xff || d.regs[mcpOLATB] != 0xff || d.writes[len(d.writes)-1] != "closed" {
		t.Errorf("close: %v", d.writes)
	}
}

// TestPCF8574: one byte a write, output 1 in bit 0.
func TestPCF8574(t *testing.T) {
	d := &bus{regs: map[byte]byte{}, port: -1}
	b, err := newExpander(d, KindPCF8574, false)
	if err != nil {
		t.Fatal(err)
	}
	_ = b.Set(7, true)
	if got := strings.Join(d.writes, " "); got != "port=0x00 port=0x80" {
		t.Errorf("writes: %s", got)
	}
	if err := b.Set(8, true); err == nil {
		t.Error("a ninth output was taken")
	}
	_ = b.Close()
	if d.port != 0 {
		t.Errorf("close left the port at %#x", d.port)
	}
}

// TestMuxRoutesEachZone: zones on several banks switch the right output of the right bank.
func TestMuxRoutesEachZone(t *testing.T) {
	a, b := NewSim(8), NewSim(16)
	m := &mux{parts: []Bank{a, b}, at: []ref{{0, 3}, {1, 12}, {0, 0}}}
	_ = m.Set(1, true)
	_ = m.Set(0, true)
	if !a.States()[3] || !b.States()[12] || a.States()[0] {
		t.Errorf("a %v, b %v", a.States(), b.States())
	}
	if err := m.Set(3, true); err == nil {
		t.Error("a fourth zone of three was taken")
	}
	_ = m.Close()
	if slices.Contains(a.States(), true) || slices.Contains(b.States(), true) {
		t.Error("close left outputs on")
	}
}
