package sensors_test

import (
	"math"
	"testing"
	"time"

	"sprinkler/agent/clock/clocktest"
	"sprinkler/agent/sensors"
)

// pulses sends n pulses (a rising and a falling edge each) on line.
func pulses(line *sensors.Sim, n int) {
	for range n {
		line.Set(true)
		line.Set(false)
	}
}

func TestFlowRateAndTotal(t *testing.T) {
	clk := clocktest.New(t0)
	line := sensors.NewSim(false)
	var got []sensors.FlowSample
	f := sensors.OpenFlow(sensors.FlowConfig{PulsesPerLitre: 450, Interval: 10 * time.Second}, line, clk,
		func(s sensors.FlowSample) { got = append(got, s) })
	defer f.Close()
	pulses(line, 1500) // 1500 pulses in 10 s at 450 per litre: 3.33 l, 20 l/min
	clk.Advance(10 * time.Second)
	pulses(line, 75) // 75 pulses in 10 s: 1 l/min
	clk.Advance(10 * time.Second)
	clk.Advance(10 * time.Second) // nothing
	if len(got) != 3 {
		t.Fatalf("%d samples", len(got))
	}
	for i, want := range []float64{20, 1, 0} {
		if math.Abs(got[i].RateLPM-want) > 1e-9 {
			t.Errorf("sample %d: %v l/min, want %v", i, got[i].RateLPM, want)
		}
	}
	// The total is within one pulse of the pulses sent.
	if total := got[2].TotalL; math.Abs(total-1575.0/450) > 1.0/450 || got[2].Pulses != 1575 {
		t.Errorf("total %v l from %d pulses", total, got[2].Pulses)
	}
}

func TestLeak(t *testing.T) {
	l := sensors.Leak{ThresholdLPM: 0.5, Grace: time.Minute}
	at := func(s int, rate float64) sensors.FlowSample {
		return sensors.FlowSample{At: t0.Add(time.Duration(s) * time.Second), RateLPM: rate}
	}
	if l.Check(at(0, 5), true) || l.Check(at(10, 5), true) {
		t.Error("flow while a valve is open is no leak")
	}
	for s := 20; s < 80; s += 10 {
		if l.Check(at(s, 2), false) {
			t.Fatalf("a leak raised after %d s, before the grace", s-20)
		}
	}
	if !l.Check(at(80, 2), false) {
		t.Fatal("no leak after a minute of flow with every valve closed")
	}
	if l.Check(at(90, 2), false) {
		t.Error("the same leak raised twice")
	}
	l.Check(at(100, 0), false) // it stopped
	if l.Check(at(110, 2), false) {
		t.Error("a new leak raised before its own grace")
	}
}

// BenchmarkFlowPulses measures the pulse counter: one rising and one falling edge per op. A
// 1 kHz meter needs an op every millisecond; the count must equal the pulses sent.
func BenchmarkFlowPulses(b *testing.B) {
	clk := clocktest.New(t0)
	line := sensors.NewSim(false)
	f := sensors.OpenFlow(sensors.FlowConfig{PulsesPerLitre: 450, Interval: time.Hour}, line, clk, func(sensors.FlowSample) {})
	defer f.Close()
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		f.Edge(true)
		f.Edge(false)
		n++
	}
	if got := f.Pulses(); got != uint64(n) {
		b.Fatalf("counted %d of %d pulses", got, n)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n)/1e6*1000, "ms-per-1000-pulses")
}
