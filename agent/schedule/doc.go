package schedule

import (
	"bytes"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"sprinkler/topics"
)

// Doc is the profile as the native file writes it, field for field: what a client reads and
// writes. Parsed back, it is the same profile, whichever format it was read from.
func (p *Profile) Doc() topics.ProgramDoc {
	d := topics.ProgramDoc{Name: p.Name, About: p.About, WaterLevel: p.WaterLevel, Zones: []topics.ProgramZone{}}
	for _, prog := range p.Programs {
		z := topics.ProgramZone{Zone: prog.Zone, About: prog.About, Days: prog.Days.words(), OddSkips31: prog.Days.OddSkips31, Runs: []topics.ProgramRun{}}
		if s := prog.Days.Season; s != nil {
			z.Season = &topics.SeasonSpec{From: s.From.String(), To: s.To.String()}
		}
		for _, r := range prog.Runs {
			run := topics.ProgramRun{At: r.Start(), For: topics.FormatDuration(r.For)}
			if r.Times > 0 {
				run.Times, run.Every = r.Times, topics.FormatDuration(r.Every)
			}
			z.Runs = append(z.Runs, run)
		}
		d.Zones = append(d.Zones, z)
	}
	return d
}

// words are the days as the native file lists them.
func (d Days) words() []string {
	switch {
	case d.None:
		return []string{"none"}
	case d.All:
		return []string{"all"}
	case d.Even:
		return []string{"even"}
	case d.Odd:
		return []string{"odd"}
	case d.Every > 0:
		return []string{"every " + strconv.Itoa(d.Every) + " days from " + d.Anchor.String()}
	}
	var w []string
	for wd, on := range d.Weekdays {
		if on {
			w = append(w, strings.ToLower(time.Weekday(wd).String()[:3]))
		}
	}
	for md, on := range d.MonthDays[1:] {
		if on {
			w = append(w, strconv.Itoa(md+1))
		}
	}
	if d.MonthDays[0] {
		w = append(w, "last")
	}
	for _, x := range d.Dates {
		w = append(w, x.String())
	}
	return w
}

// DocNode is doc as the YAML entry of a native file's profiles list (its revision left out).
func DocNode(doc topics.ProgramDoc) (*yaml.Node, error) {
	doc.Revision = ""
	var n yaml.Node
	if err := n.Encode(doc); err != nil {
		return nil, err
	}
	return &n, nil
}

// Native is a whole profile file in the native format: active (when not "") and the profiles.
func Native(active string, docs []topics.ProgramDoc) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("# Watering profiles in the native format (see configs/profiles-examples.yaml for every rule).\n")
	if active != "" {
		b.WriteString("active: " + mustScalar(active) + "\n")
	}
	b.WriteString("profiles:\n")
	for _, d := range docs {
		n, err := DocNode(d)
		if err != nil {
			return nil, err
		}
		var item bytes.Buffer
		enc := yaml.NewEncoder(&item)
		enc.SetIndent(2)
		if err := enc.Encode([]*yaml.Node{n}); err != nil {
			return nil, err
		}
		for _, l := range strings.SplitAfter(strings.TrimSuffix(item.String(), "\n"), "\n") {
			b.WriteString("  " + l)
		}
		b.WriteString("\n")
	}
	return b.Bytes(), nil
}

func mustScalar(s string) string {
	out, err := yaml.Marshal(s)
	if err != nil {
		return strconv.Quote(s)
	}
	return strings.TrimSuffix(string(out), "\n")
}
