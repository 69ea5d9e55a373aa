package topics

// ProgramDoc is one program (a profile) as a document a client reads and writes: the entry of
// the native profile file, field for field, with the revision it was read at. A put names the
// revision it was read at; a stale one is refused (CodeConflict) rather than overwriting
// another client's edit or a hand edit of the file.
type ProgramDoc struct {
	Revision   string        `json:"revision,omitempty" yaml:"revision,omitempty"`
	Name       string        `json:"name" yaml:"name"`
	About      string        `json:"about,omitempty" yaml:"about,omitempty"`
	WaterLevel bool          `json:"water_level,omitempty" yaml:"water_level,omitempty"`
	Zones      []ProgramZone `json:"zones" yaml:"zones"`
}

// ProgramZone is what a program says for one zone: on which days, and its runs.
type ProgramZone struct {
	Zone  int    `json:"zone" yaml:"zone"`
	About string `json:"about,omitempty" yaml:"about,omitempty"`
	// Days as the file writes them: weekday names, days of the month (1-31, last) and dates
	// (2026-07-04), which add up; or one of all, even, odd, none, "every N days from DATE".
	Days       []string     `json:"days" yaml:"days,flow"`
	Season     *SeasonSpec  `json:"season,omitempty" yaml:"season,omitempty,flow"`
	OddSkips31 bool         `json:"odd_skips_31,omitempty" yaml:"odd_skips_31,omitempty"`
	Runs       []ProgramRun `json:"runs" yaml:"runs,flow"`
}

// SeasonSpec limits a zone's days to part of the year: MM-DD to MM-DD, both included.
type SeasonSpec struct {
	From string `json:"from" yaml:"from"`
	To   string `json:"to" yaml:"to"`
}

// ProgramRun is one run: when it starts (HH:MM, or sunrise/sunset moved by a duration such as
// sunset-30m), for how long (10m, 1h30m), and optionally Times starts Every apart.
type ProgramRun struct {
	At    string `json:"at" yaml:"at"`
	For   string `json:"for" yaml:"for"`
	Times int    `json:"times,omitempty" yaml:"times,omitempty"`
	Every string `json:"every,omitempty" yaml:"every,omitempty"`
}

// ProgramSummary is one program in the reply to program_list.
type ProgramSummary struct {
	Name     string `json:"name"`
	About    string `json:"about,omitempty"`
	Active   bool   `json:"active"`
	Zones    []int  `json:"zones"`
	Revision string `json:"revision"`
}

// ProgramArgs are the arguments of the program requests.
type ProgramArgs struct {
	Name     string      `json:"name,omitempty"`     // program_get, program_delete, program_rename
	NewName  string      `json:"new_name,omitempty"` // program_rename
	Revision string      `json:"revision,omitempty"` // program_delete, program_rename: the revision read
	Program  *ProgramDoc `json:"program,omitempty"`  // program_put, with the revision read ("" to create)
	Version  int         `json:"version,omitempty"`  // program_restore
	Hours    float64     `json:"hours,omitempty"`    // program_preview: how far ahead
}
