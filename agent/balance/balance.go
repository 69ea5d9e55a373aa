// Package balance keeps a zone's root-zone water balance in millimetres, by FAO-56 chapter 8
// (Allen et al. 1998, "Crop evapotranspiration", FAO Irrigation and drainage paper 56): the
// depletion below field capacity grows with the crop's evapotranspiration and falls with the
// rain the soil takes and the water a run puts down; what the soil cannot hold drains.
//
// The equation numbers in the comments are the paper's.
package balance

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Texture is a soil texture of the paper's table 19, with the middle of its ranges of soil
// water at field capacity and at wilting point (m³/m³), and a typical basic intake rate of a
// bare soil of that texture (mm/h; FAO Irrigation Water Management training manual 5, "Irrigation
// methods", table 5, and irrigation guides that follow it): a guide, not a measurement.
type Texture struct {
	Name       string
	FC, WP     float64
	IntakeMmPH float64
}

// Textures are the paper's soil textures, coarsest first.
var Textures = []Texture{
	{"sand", 0.12, 0.045, 30},
	{"loamy_sand", 0.15, 0.065, 25},
	{"sandy_loam", 0.23, 0.11, 20},
	{"loam", 0.25, 0.12, 13},
	{"silt_loam", 0.29, 0.15, 10},
	{"silt", 0.32, 0.17, 8},
	{"silty_clay_loam", 0.335, 0.205, 6},
	{"silty_clay", 0.36, 0.23, 4},
	{"clay", 0.36, 0.22, 3},
}

// TextureNamed is the texture called name.
func TextureNamed(name string) (Texture, error) {
	if i := slices.IndexFunc(Textures, func(t Texture) bool { return t.Name == name }); i >= 0 {
		return Textures[i], nil
	}
	names := make([]string, len(Textures))
	for i, t := range Textures {
		names[i] = t.Name
	}
	return Texture{}, fmt.Errorf("soil %q: want one of %s", name, strings.Join(names, ", "))
}

// Zone is what a zone's balance needs to know of its soil, its plants and its sprinklers.
type Zone struct {
	// TAWmm is the total available water of the root zone, mm (equation 82: 1000 (θFC − θWP)
	// Zr).
	TAWmm float64
	// P is the fraction of TAW the plants take without stress (the readily available water,
	// equation 83: RAW = p TAW).
	P float64
	// Kc is the crop coefficient: ETc = Kc ET0 (equation 56); the zone's plant factor.
	Kc float64
	// RateMmPH is what the sprinklers put down, mm/h.
	RateMmPH float64
	// IntakeMmPH is what the soil takes in, mm/h; a run faster than it is cut into cycles.
	IntakeMmPH float64
	// AreaM2 is the area the zone waters (0: not known): with it, a run a flow meter measured
	// counts the litres that went down (1 L/m² is 1 mm).
	AreaM2 float64
}

// Run is a run of the zone that ended: how long it watered, and the litres a flow meter
// measured (nil: none).
type Run struct {
	Seconds float64
	Litres  *float64
}

// Applied is the water run r put down, mm: the litres measured over the area when both are
// known, else the sprinklers' rate over its time.
func (z Zone) Applied(r Run) float64 {
	if r.Litres != nil && z.AreaM2 > 0 {
		return *r.Litres / z.AreaM2
	}
	return z.RateMmPH * r.Seconds / 3600
}

// RAWmm is the readily available water, mm (equation 83).
func (z Zone) RAWmm() float64 { return z.P * z.TAWmm }

// Ks is the water stress coefficient at depletion dr (equation 84): 1 up to RAW, then falling
// to 0 at TAW.
func (z Zone) Ks(dr float64) float64 {
	if dr <= z.RAWmm() || z.TAWmm <= 0 {
		return 1
	}
	return max(0, (z.TAWmm-dr)/((1-z.P)*z.TAWmm))
}

// Day is one day's water for a zone: the reference ET0, the rain that counts (what runs off or
// wets only the surface left out) and the water its runs put down, mm.
type Day struct {
	ET0, Rain, Irrigation float64
}

// Step is the depletion at the end of a day that began at dr (equation 85, with the deep
// percolation of equation 88 as the part of rain and irrigation beyond field capacity): the
// crop's evapotranspiration, under water stress when dr is past RAW (equation 80), adds; rain
// and irrigation take away, never below 0 (field capacity: the rest drains), and the depletion
// never passes TAW. It returns the day's ETc and what drained too.
func (z Zone) Step(dr float64, d Day) (next, etc, drained float64) {
	etc = z.Ks(dr) * z.Kc * d.ET0
	next = dr + etc - d.Rain - d.Irrigation
	if next < 0 {
		drained, next = -next, 0
	}
	return min(next, z.TAWmm), etc, drained
}

// RunFor is how long the zone's sprinklers take to put down mm, to the second.
func (z Zone) RunFor(mm float64) time.Duration {
	if z.RateMmPH <= 0 || mm <= 0 {
		return 0
	}
	return time.Duration(mm / z.RateMmPH * float64(time.Hour)).Round(time.Second)
}

// Mm is what a run of d puts down.
func (z Zone) Mm(d time.Duration) float64 { return z.RateMmPH * d.Hours() }

// SurfaceMm is the water flat ground holds on its surface before it runs off (an allowable
// surface accumulation of 0.1 inch, as irrigation guides take for flat turf).
const SurfaceMm = 2.5

// Cycles splits a run that puts down mm on a soil slower than the sprinklers: each cycle runs
// until the water standing on the surface reaches SurfaceMm (rate − intake fills it), then
// soaks until the soil took it in. A soil as fast as the sprinklers takes the run whole (one
// cycle, no soak).
func (z Zone) Cycles(mm float64) (n int, cycle, soak time.Duration) {
	if mm <= 0 || z.RateMmPH <= 0 {
		return 0, 0, 0
	}
	whole := time.Duration(mm / z.RateMmPH * float64(time.Hour)).Round(time.Second)
	if z.IntakeMmPH <= 0 || z.RateMmPH <= z.IntakeMmPH {
		return 1, whole, 0
	}
	hours := SurfaceMm / (z.RateMmPH - z.IntakeMmPH)
	cycle = time.Duration(hours * float64(time.Hour)).Round(time.Second)
	n = int(math.Ceil(mm / (hours * z.RateMmPH)))
	if n <= 1 {
		return 1, whole, 0
	}
	return n, cycle, time.Duration(SurfaceMm / z.IntakeMmPH * float64(time.Hour)).Round(time.Second)
}

// SmallShare is the share of RAW under which a depletion waits for the next run: the plants
// are far from stress, and a short run wets mostly the surface.
const SmallShare = 0.2

// Need is the water a run should put down at depletion dr: all of it (back to field capacity),
// or 0 while it is under SmallShare of RAW.
func (z Zone) Need(dr float64) float64 {
	if dr < SmallShare*z.RAWmm() {
		return 0
	}
	return dr
}

// TAW is the total available water of a root zone rootM deep in a soil holding mmPerM between
// field capacity and wilting point (equation 82).
func TAW(mmPerM, rootM float64) float64 { return mmPerM * rootM }

// MmPerM is the water a texture holds between field capacity and wilting point, mm a metre of
// depth.
func (t Texture) MmPerM() float64 { return 1000 * (t.FC - t.WP) }

// Counted is the part of a day's rain of mm that a balance counts: none below lightMm (it wets
// the surface and evaporates; FAO-56 takes rain under about 0.2 ET0 as lost so), else the share
// factor that soaks in rather than running off.
func Counted(mm, lightMm, factor float64) float64 {
	if mm < lightMm {
		return 0
	}
	return mm * factor
}
