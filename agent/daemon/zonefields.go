package daemon

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"sprinkler/agent/config"
	"sprinkler/topics"
)

// zoneField is one setting of a zone that may change while the agent runs: the one list of
// them that zone_set, the file's edit, a restore and the change's description share.
type zoneField struct {
	key string // in the file
	// take sets z's value from args, and reports whether args give one.
	take func(z *config.Zone, args topics.ZoneSetArgs) bool
	copy func(dst *config.Zone, src config.Zone)
	// file is z's value as the file writes it, with its YAML tag; "" drops the key (the
	// default, or none).
	file func(z config.Zone) (value, tag string)
	// label and words say a change: "label was → now", or the new words alone without a label.
	label string
	words func(z config.Zone) string
}

var zoneFields = []zoneField{
	{key: "name", label: "name",
		take:  func(z *config.Zone, a topics.ZoneSetArgs) bool { return set(&z.Name, a.Name, strings.TrimSpace) },
		copy:  func(d *config.Zone, s config.Zone) { d.Name = s.Name },
		file:  func(z config.Zone) (string, string) { return z.Name, "!!str" },
		words: func(z config.Zone) string { return strconv.Quote(z.Name) }},
	{key: "default_duration", label: "default run",
		take: func(z *config.Zone, a topics.ZoneSetArgs) bool {
			return set(&z.DefaultDuration, a.DefaultDurationS, seconds)
		},
		copy:  func(d *config.Zone, s config.Zone) { d.DefaultDuration = s.DefaultDuration },
		file:  func(z config.Zone) (string, string) { return topics.FormatDuration(z.DefaultDuration), "!!str" },
		words: func(z config.Zone) string { return topics.FormatDuration(z.DefaultDuration) }},
	{key: "max_duration", label: "longest run",
		take:  func(z *config.Zone, a topics.ZoneSetArgs) bool { return set(&z.MaxDuration, a.MaxDurationS, seconds) },
		copy:  func(d *config.Zone, s config.Zone) { d.MaxDuration = s.MaxDuration },
		file:  func(z config.Zone) (string, string) { return topics.FormatDuration(z.MaxDuration), "!!str" },
		words: func(z config.Zone) string { return topics.FormatDuration(z.MaxDuration) }},
	{key: "group", label: "group",
		take:  func(z *config.Zone, a topics.ZoneSetArgs) bool { return set(&z.Group, a.Group, strings.TrimSpace) },
		copy:  func(d *config.Zone, s config.Zone) { d.Group = s.Group },
		file:  func(z config.Zone) (string, string) { return z.Group, "!!str" },
		words: func(z config.Zone) string { return strconv.Quote(z.Group) }},
	{key: "enabled",
		take:  func(z *config.Zone, a topics.ZoneSetArgs) bool { return set(&z.Enabled, a.Enabled, ptr) },
		copy:  func(d *config.Zone, s config.Zone) { d.Enabled = s.Enabled },
		file:  func(z config.Zone) (string, string) { return falseOnly(z.On()) },
		words: func(z config.Zone) string { return map[bool]string{true: "enabled", false: "disabled"}[z.On()] }},
	{key: "water_level",
		take: func(z *config.Zone, a topics.ZoneSetArgs) bool { return set(&z.WaterLevel, a.WaterLevel, ptr) },
		copy: func(d *config.Zone, s config.Zone) { d.WaterLevel = s.WaterLevel },
		file: func(z config.Zone) (string, string) { return falseOnly(z.FollowsLevel()) },
		words: func(z config.Zone) string {
			return map[bool]string{true: "follows the water level", false: "ignores the water level"}[z.FollowsLevel()]
		}},
	{key: "plant_factor", label: "plant factor",
		take: func(z *config.Zone, a topics.ZoneSetArgs) bool { return set(&z.PlantFactor, a.PlantFactor, same) },
		copy: func(d *config.Zone, s config.Zone) { d.PlantFactor = s.PlantFactor },
		file: func(z config.Zone) (string, string) {
			if z.Factor() == 1 {
				return "", "" // the default
			}
			return strconv.FormatFloat(z.Factor(), 'f', -1, 64), "!!float"
		},
		words: func(z config.Zone) string { return strconv.FormatFloat(z.Factor(), 'g', -1, 64) }},
	{key: "soil", label: "soil",
		take:  func(z *config.Zone, a topics.ZoneSetArgs) bool { return set(&z.Soil, a.Soil, strings.TrimSpace) },
		copy:  func(d *config.Zone, s config.Zone) { d.Soil = s.Soil },
		file:  func(z config.Zone) (string, string) { return z.Soil, "!!str" },
		words: func(z config.Zone) string { return strconv.Quote(z.Soil) }},
	soilNumber("available_water_mm_m", "water held", "mm/m", func(z *config.Zone) *float64 { return &z.AvailableWaterMm },
		func(a topics.ZoneSetArgs) *float64 { return a.AvailableWaterMm }),
	soilNumber("root_depth_m", "root depth", "m", func(z *config.Zone) *float64 { return &z.RootDepthM },
		func(a topics.ZoneSetArgs) *float64 { return a.RootDepthM }),
	soilNumber("depletion_fraction", "depletion fraction", "", func(z *config.Zone) *float64 { return &z.DepletionP },
		func(a topics.ZoneSetArgs) *float64 { return a.DepletionFraction }),
	soilNumber("precipitation_mm_h", "sprinklers' rate", "mm/h", func(z *config.Zone) *float64 { return &z.PrecipMmPH },
		func(a topics.ZoneSetArgs) *float64 { return a.PrecipitationMmH }),
	soilNumber("area_m2", "area", "m²", func(z *config.Zone) *float64 { return &z.AreaM2 },
		func(a topics.ZoneSetArgs) *float64 { return a.AreaM2 }),
	soilNumber("infiltration_mm_h", "infiltration", "mm/h", func(z *config.Zone) *float64 { return &z.IntakeMmPH },
		func(a topics.ZoneSetArgs) *float64 { return a.InfiltrationMmH }),
}

// soilNumber is a number of a zone's soil and sprinklers: 0 is not given, and leaves the file.
func soilNumber(key, label, unit string, at func(*config.Zone) *float64, arg func(topics.ZoneSetArgs) *float64) zoneField {
	text := func(z config.Zone) string {
		if v := *at(&z); v != 0 {
			return strconv.FormatFloat(v, 'f', -1, 64)
		}
		return ""
	}
	return zoneField{key: key, label: label,
		take: func(z *config.Zone, a topics.ZoneSetArgs) bool { return set(at(z), arg(a), same) },
		copy: func(d *config.Zone, s config.Zone) { *at(d) = *at(&s) },
		file: func(z config.Zone) (string, string) {
			if t := text(z); strings.ContainsAny(t, ".eE") {
				return t, "!!float"
			}
			return text(z), "!!int" // 8, not !!float 8
		},
		words: func(z config.Zone) string {
			if t := text(z); t != "" {
				return strings.TrimSpace(t + " " + unit)
			}
			return "none"
		}}
}

// set sets *dst to conv(*v) when v is given, and reports whether it was.
func set[T, V any](dst *T, v *V, conv func(V) T) bool {
	if v != nil {
		*dst = conv(*v)
	}
	return v != nil
}

func seconds(s float64) time.Duration {
	return time.Duration(s * float64(time.Second)).Round(time.Second)
}

func ptr[T any](v T) *T { return &v }

func same[T any](v T) T { return v }

// falseOnly writes a setting that is true by default: only false is written.
func falseOnly(on bool) (string, string) {
	if on {
		return "", ""
	}
	return "false", "!!bool"
}

// describeChange says what changed from was to now, in one line.
func describeChange(was, now config.Zone) string {
	var parts []string
	for _, f := range zoneFields {
		a, b := f.words(was), f.words(now)
		switch {
		case a == b:
		case f.label == "":
			parts = append(parts, b)
		default:
			parts = append(parts, fmt.Sprintf("%s %s → %s", f.label, a, b))
		}
	}
	if len(parts) == 0 {
		return "nothing changed"
	}
	return strings.Join(parts, ", ")
}
