package topics

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"
)

// RevisionOf names a document's content, as the revision a change must name: it changes
// whenever v's JSON does.
func RevisionOf(v any) string {
	b, _ := json.Marshal(v)
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:8])
}

// FormatDuration writes d as the documents and files do: 10m rather than 10m0s, 1h30m, 90s.
func FormatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") { // 30m0s, not 1m30s
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// ZoneSettings is one zone's settings, as zone_list gives them and zone_set changes them, with
// the revision of the zone's entry in the configuration file.
type ZoneSettings struct {
	Zone             int     `json:"zone"`
	Name             string  `json:"name"`
	Line             int     `json:"line"`
	DefaultDurationS float64 `json:"default_duration_s"`
	MaxDurationS     float64 `json:"max_duration_s"`
	Group            string  `json:"group"`
	Enabled          bool    `json:"enabled"`      // false: opens for nobody, the schedule skips it
	WaterLevel       bool    `json:"water_level"`  // its runs follow the water level (in programs that do)
	PlantFactor      float64 `json:"plant_factor"` // scales the water level for its plants (1: as written)
	// Its soil and sprinklers, for a water balance (0 or "": not given); Balance says it keeps one.
	Soil              string  `json:"soil"`
	AvailableWaterMm  float64 `json:"available_water_mm_m"`
	RootDepthM        float64 `json:"root_depth_m"`
	DepletionFraction float64 `json:"depletion_fraction"`
	PrecipitationMmH  float64 `json:"precipitation_mm_h"`
	AreaM2            float64 `json:"area_m2"`
	InfiltrationMmH   float64 `json:"infiltration_mm_h"`
	Balance           bool    `json:"balance"`
	Revision          string  `json:"revision"`
}

// ZoneSetArgs are zone_set's: the zone, the settings to change (those left out stay), and the
// revision read.
type ZoneSetArgs struct {
	Zone             int      `json:"zone"`
	Name             *string  `json:"name,omitempty"`
	DefaultDurationS *float64 `json:"default_duration_s,omitempty"`
	MaxDurationS     *float64 `json:"max_duration_s,omitempty"`
	Group            *string  `json:"group,omitempty"`
	Enabled          *bool    `json:"enabled,omitempty"`
	WaterLevel       *bool    `json:"water_level,omitempty"`
	PlantFactor      *float64 `json:"plant_factor,omitempty"`
	// The soil and the sprinklers; 0 (or "") takes a key out.
	Soil              *string  `json:"soil,omitempty"`
	AvailableWaterMm  *float64 `json:"available_water_mm_m,omitempty"`
	RootDepthM        *float64 `json:"root_depth_m,omitempty"`
	DepletionFraction *float64 `json:"depletion_fraction,omitempty"`
	PrecipitationMmH  *float64 `json:"precipitation_mm_h,omitempty"`
	AreaM2            *float64 `json:"area_m2,omitempty"`
	InfiltrationMmH   *float64 `json:"infiltration_mm_h,omitempty"`
	Revision          string   `json:"revision"`
}

// SiteSettings are where the garden is (for runs at sunrise and sunset) and its time zone, as
// site_get gives them and site_set changes them.
type SiteSettings struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
	Timezone  string  `json:"timezone"` // IANA name; "" for the machine's
	Revision  string  `json:"revision"`
	// Restart says a changed time zone takes effect when the agent starts again.
	Restart bool `json:"restart,omitempty"`
}

// SiteSetArgs are site_set's: what to change (the rest stays), and the revision read.
type SiteSetArgs struct {
	Latitude  *float64 `json:"latitude,omitempty"`
	Longitude *float64 `json:"longitude,omitempty"`
	Timezone  *string  `json:"timezone,omitempty"`
	Revision  string   `json:"revision"`
}

// LimitsSetArgs are limits_set's: the valves that may open at once, from 1 to safety.max_open
// (the power supply's limit, which no request raises).
type LimitsSetArgs struct {
	MaxOpen int `json:"max_open"`
}

// Version is one kept version of a file the agent writes on request (the profile file, the
// configuration file), in the replies to program_versions and config_versions.
type Version struct {
	Version int    `json:"version"`
	TS      Time   `json:"ts"`
	By      string `json:"by"`     // the client that made the change; "file" for the file as found or edited by hand
	Action  string `json:"action"` // put, delete, rename, zone, site, restore N, "as found", "edited by hand"
	What    string `json:"what,omitempty"`
	Current bool   `json:"current"` // the file is this version now
}
