package setup

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"sprinkler/agent/config"
	"sprinkler/agent/relay"
)

// What init offers to switch the valves: relays on the Pi's own lines, an OpenSprinkler Pi,
// an I2C relay HAT (relay.KindMCP23017, relay.KindPCF8574), or the banks as the file has them
// (several kinds in one agent, written by hand).
const (
	boardGPIO = "gpio"
	boardOSPi = "opensprinkler"
	boardKeep = "keep"
)

// boards are the answers to the board question.
var boards = []string{boardGPIO, boardOSPi, relay.KindMCP23017, relay.KindPCF8574}

// board is the answer to what switches the valves: its kind, and an expander's bus and address;
// was is the file's bank the zones are on, whose name and lines stay while the kind does.
type board struct {
	Kind    string
	Bus     string
	Address int
	was     config.Bank
}

// currentBoard is what the file has: one bank for every zone, no bank at all, or else keep.
func currentBoard(cur config.Config) board {
	b := board{Kind: boardKeep, Bus: "/dev/i2c-1", Address: 0x20}
	used := map[string]bool{}
	for _, z := range cur.Zones {
		used[z.Bank] = true
	}
	switch {
	case len(used) == 1 && used[""]:
		b.Kind = boardGPIO
	case len(used) == 1:
		for _, bank := range cur.Relays.Banks {
			switch {
			case !used[bank.Name]:
			case bank.Kind == relay.KindShiftRegister:
				b.Kind, b.was = boardOSPi, bank
			default:
				b.Kind, b.Bus, b.Address, b.was = bank.Kind, bank.Bus, bank.Address, bank
			}
		}
	}
	return b
}

// onBank reports whether the zones are a bank's outputs, and bankName names that bank.
func (b board) onBank() bool { return b.Kind != boardGPIO && b.Kind != boardKeep }

func (b board) bankName() string {
	switch {
	case b.kept():
		return b.was.Name
	case b.Kind == boardOSPi:
		return "ospi"
	}
	return "hat"
}

// kept reports whether the board is the file's bank, of the same kind.
func (b board) kept() bool {
	kind := b.Kind
	if kind == boardOSPi {
		kind = relay.KindShiftRegister
	}
	return b.was.Name != "" && b.was.Kind == kind
}

// outputs is how many zones the board takes.
func (b board) outputs() int {
	switch b.Kind {
	case boardOSPi:
		return 8 * 8
	case boardGPIO, boardKeep:
		return 32
	}
	return relay.BankSpec{Kind: b.Kind}.Outputs()
}

// banks is relays.banks for n zones on the board, on one line: an OpenSprinkler Pi with the
// boards they need, or the expander; none for the Pi's lines.
func (b board) banks(n int, activeLow bool) *yaml.Node {
	list := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle, Tag: "!!seq"}
	if !b.onBank() {
		return list
	}
	fields := [][2]string{{"name", b.bankName()}}
	if b.Kind == boardOSPi {
		boards := (n + 7) / 8
		if b.kept() {
			boards = max(boards, b.was.Boards)
		}
		fields = append(fields, [2]string{"kind", relay.KindShiftRegister}, [2]string{"boards", strconv.Itoa(boards)})
		for _, l := range []struct {
			name string
			v    *int
		}{{"data", b.was.Data}, {"clock", b.was.Clock}, {"latch", b.was.Latch}, {"enable", b.was.Enable}} {
			if b.kept() && l.v != nil { // a wiring of its own stays
				fields = append(fields, [2]string{l.name, strconv.Itoa(*l.v)})
			}
		}
	} else {
		fields = append(fields, [2]string{"kind", b.Kind}, [2]string{"bus", b.Bus}, [2]string{"address", fmt.Sprintf("0x%02x", b.Address)},
			[2]string{"active_low", strconv.FormatBool(activeLow)})
	}
	m := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle, Tag: "!!map"}
	for _, f := range fields {
		m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: f[0]}, &yaml.Node{Kind: yaml.ScalarNode, Value: f[1]})
	}
	list.Content = append(list.Content, m)
	return list
}

func checkBoard(s string) error {
	if !slices.Contains(boards, s) && s != boardKeep {
		return fmt.Errorf("%q: answer %s", s, strings.Join(boards, ", "))
	}
	return nil
}

func checkBus(s string) error {
	if !strings.HasPrefix(s, "/dev/i2c-") {
		return fmt.Errorf("%q: want an I2C bus's device file, such as /dev/i2c-1", s)
	}
	return nil
}

func parseAddress(s string) (int, error) {
	v, err := strconv.ParseInt(strings.TrimSpace(s), 0, 16)
	if err != nil || v < 0x03 || v > 0x77 {
		return 0, fmt.Errorf("%q: want a 7-bit address such as 0x20 (0x03 to 0x77)", s)
	}
	return int(v), nil
}

// place puts the zones on the board: a bank's outputs in order, or the Pi's lines, where a zone
// that was on a bank takes the original board's line of its place; keep leaves them.
func (b board) place(zs []zone) []zone {
	out := slices.Clone(zs)
	for i := range out {
		z := &out[i]
		switch {
		case b.onBank():
			z.Bank, z.Output = b.bankName(), i+1
		case b.Kind == boardGPIO && z.Bank != "":
			z.Bank, z.Output, z.Line = "", 0, originalLine(i)
		}
	}
	return out
}

// polarity is the relay polarity to offer once the board changed from was to b: most I2C relay
// HATs and Pi relay boards close a relay on a low line; what the file said stays for the board
// it said it for.
func (b board) polarity(was string, activeLow bool) bool {
	if b.Kind == was {
		return activeLow
	}
	return b.Kind != boardOSPi
}
