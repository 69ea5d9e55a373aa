//go:build linux

package sensors

import (
	"github.com/warthog618/go-gpiocdev"

	"sprinkler/agent/relay"
)

// gpioInput is an input line with edge events.
type gpioInput struct {
	chip string
	cfg  Config
	line *gpiocdev.Line
	fn   func(bool)
}

// OpenGPIO requests cfg's line on the chip ("" or "auto": the SoC's pin controller) as an
// input with both edges, the pull asked for, and cfg's kernel debouncing.
func OpenGPIO(chip string, cfg Config) (Input, error) {
	c, err := relay.FindChip(chip)
	if err != nil {
		return nil, err
	}
	in := &gpioInput{chip: c, cfg: cfg}
	opts := []gpiocdev.LineReqOption{gpiocdev.AsInput, gpiocdev.WithConsumer("sprinkler-" + cfg.Name),
		gpiocdev.WithBothEdges, gpiocdev.WithEventHandler(in.event)}
	if cfg.Debounce > 0 {
		opts = append(opts, gpiocdev.WithDebounce(cfg.Debounce))
	}
	switch cfg.Pull {
	case "up":
		opts = append(opts, gpiocdev.WithPullUp)
	case "down":
		opts = append(opts, gpiocdev.WithPullDown)
	default:
		opts = append(opts, gpiocdev.WithBiasDisabled)
	}
	l, err := gpiocdev.RequestLine(c, cfg.Line, opts...)
	if err != nil {
		return nil, err
	}
	in.line = l
	return in, nil
}

func (g *gpioInput) event(e gpiocdev.LineEvent) {
	if g.fn != nil {
		g.fn(e.Type == gpiocdev.LineEventRisingEdge)
	}
}

func (g *gpioInput) Level() (bool, error) {
	v, err := g.line.Value()
	return v == 1, err
}

func (g *gpioInput) Watch(fn func(bool)) { g.fn = fn }

func (g *gpioInput) Close() error { return g.line.Close() }
