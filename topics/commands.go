package topics

import (
	"fmt"
	"strings"
)

// Param describes one argument of a command, so a client can build a form or a button for it.
type Param struct {
	Name     string `json:"name"`
	Type     string `json:"type"` // "zones", "zones_or_all", "seconds", "steps", ...
	Required bool   `json:"required"`
	Help     string `json:"help"`
}

// Command describes one request an agent serves.
type Command struct {
	Name    string   `json:"name"`
	Aliases []string `json:"aliases,omitempty"` // the original program's short names
	Group   string   `json:"group"`
	Summary string   `json:"summary"`
	Access  Access   `json:"access"` // the least role that may send it
	Params  []Param  `json:"params,omitempty"`
	// Args is the zero value of the struct its arguments decode into (nil: it takes none);
	// TestCommandParamsAreItsArgs holds Params to it.
	Args any `json:"-"`
}

// Access is the least role a command needs.
type Access string

// Access levels of commands. A viewer may send read commands, an operator also operate
// commands, which move water or change the schedule, and an admin everything.
const (
	AccessRead    Access = "read"
	AccessOperate Access = "operate"
	AccessAdmin   Access = "admin"
)

// CommandAccess is the access level a request for name needs; a name the contract does not
// know needs operate, so that operators learn it is unknown and viewers cannot probe.
func CommandAccess(name string) Access {
	if c, ok := LookupCommand(name); ok {
		return c.Access
	}
	return AccessOperate
}

// Names of the commands.
const (
	CmdStatus   = "status"
	CmdOpen     = "open"
	CmdClose    = "close"
	CmdToggle   = "toggle"
	CmdTime     = "time"
	CmdVersion  = "version"
	CmdCommands = "commands"
	CmdClients  = "clients"
	CmdLimits   = "limits"
	CmdHistory  = "history"
	CmdWhoami   = "whoami"
	CmdUsage    = "usage"

	CmdProfiles   = "profiles"
	CmdProfile    = "profile"
	CmdActivate   = "activate"
	CmdReload     = "reload"
	CmdRun        = "run"
	CmdStop       = "stop"
	CmdSchedule   = "schedule"
	CmdNext       = "next"
	CmdRainDelay  = "rain_delay"
	CmdWaterLevel = "water_level"
	CmdSkip       = "skip"
	CmdRunOnce    = "run_once"
	CmdPause      = "pause"
	CmdResume     = "resume"

	CmdWeather        = "weather"
	CmdWeatherCompute = "weather_compute"
	CmdET0            = "et0"

	CmdProgramList     = "program_list"
	CmdProgramGet      = "program_get"
	CmdProgramPut      = "program_put"
	CmdProgramDelete   = "program_delete"
	CmdProgramRename   = "program_rename"
	CmdProgramVersions = "program_versions"
	CmdProgramRestore  = "program_restore"
	CmdProgramPreview  = "program_preview"
	CmdZoneList        = "zone_list"
	CmdZoneSet         = "zone_set"
	CmdSiteGet         = "site_get"
	CmdSiteSet         = "site_set"
	CmdLimitsSet       = "limits_set"
	CmdConfigVersions  = "config_versions"
	CmdConfigRestore   = "config_restore"
	CmdUserList        = "user_list"
	CmdUserAdd         = "user_add"
	CmdUserSet         = "user_set"
	CmdUserRemove      = "user_remove"

	CmdLogs        = "logs"
	CmdErrors      = "errors"
	CmdClearLogs   = "clear-logs"
	CmdClearErrors = "clear-errors"
	CmdHealth      = "health"
	CmdShutdown    = "shutdown"
	CmdReboot      = "reboot"
	CmdFail        = "fail"
)

var (
	userName   = Param{Name: "name", Type: "string", Required: true, Help: "the user's name"}
	userAgents = Param{Name: "agents", Type: "strings", Help: "the only agents a viewer, operator or Home Assistant user may reach; [] for every agent"}
)

var zonesParam = Param{Name: "zones", Type: "zones", Required: true, Help: "zone numbers, e.g. [1,3]"}

// Commands is the menu: every command an agent of this contract serves, in menu order.
var Commands = []Command{
	{Name: CmdStatus, Access: AccessRead, Aliases: []string{"grs"}, Group: "zones", Summary: "every zone with its state, since when, until when and who set it"},
	{Name: CmdOpen, Args: ZoneArgs{}, Access: AccessOperate, Aliases: []string{"src"}, Group: "zones", Summary: "open zones (water flows) for a duration, else the zone's default",
		Params: []Param{zonesParam, {Name: "duration_s", Type: "seconds", Help: "how long, in seconds; capped at the zone's maximum"}}},
	{Name: CmdClose, Args: ZoneArgs{}, Access: AccessOperate, Aliases: []string{"sro"}, Group: "zones", Summary: "close zones (water stops)",
		Params: []Param{{Name: "zones", Type: "zones_or_all", Required: true, Help: `zone numbers, e.g. [1,3], or "all"`}}},
	{Name: CmdToggle, Args: ZoneArgs{}, Access: AccessOperate, Aliases: []string{"t1"}, Group: "zones", Summary: "open closed zones and close open ones",
		Params: []Param{zonesParam, {Name: "duration_s", Type: "seconds", Help: "how long the zones it opens stay open"}}},
	{Name: CmdRunOnce, Args: RunOnceArgs{}, Access: AccessOperate, Group: "zones", Summary: "water a list of zones one after the other, now; what runs already goes on unless preempt",
		Params: []Param{{Name: "steps", Type: "steps", Required: true, Help: `the zones in order, each with its time: [{"zone":1,"duration_s":600},{"zone":2}]`},
			{Name: "preempt", Type: "bool", Help: "end every run, started or queued, first"}}},
	{Name: CmdPause, Args: PauseArgs{}, Access: AccessOperate, Group: "zones", Summary: "close the open zones for a while; their remaining time and the queue wait, and go on after it",
		Params: []Param{{Name: "duration_s", Type: "seconds", Required: true, Help: "how long, up to a day"}}},
	{Name: CmdResume, Access: AccessOperate, Group: "zones", Summary: "end a pause now: the kept runs and the queue go on"},
	{Name: CmdLimits, Access: AccessRead, Group: "zones", Summary: "the safety rules in force: power budget, stagger, run-time bounds, master valve"},
	{Name: CmdLimitsSet, Args: LimitsSetArgs{}, Access: AccessAdmin, Group: "zones", Summary: "lower the valves open at once below safety.max_open (or restore it); never above it, the power supply's limit",
		Params: []Param{{Name: "max_open", Type: "count", Required: true, Help: "1 to safety.max_open"}}},
	{Name: CmdWhoami, Access: AccessRead, Group: "system", Summary: "the requester's client id and role, as the embedded broker knows them (a page hides what the role may not do)"},
	{Name: CmdHistory, Args: HistoryArgs{}, Access: AccessRead, Group: "zones", Summary: "the runs that ended: when planned, started and ended, who started them, how they ended",
		Params: []Param{{Name: "zone", Type: "zone", Help: "only this zone"}, {Name: "since_s", Type: "seconds", Help: "how far back (default 7 days; at most history.retention)"}}},
	{Name: CmdUsage, Args: UsageArgs{}, Access: AccessRead, Group: "zones", Summary: "water time per day or week, per zone",
		Params: []Param{{Name: "by", Type: "string", Help: "day (default) or week"}, {Name: "since_s", Type: "seconds", Help: "how far back (default 30 days; at most history.retention)"}}},
	{Name: CmdProfiles, Access: AccessRead, Aliases: []string{"gp"}, Group: "schedule", Summary: "every profile in full: per zone, days, times and durations"},
	{Name: CmdProfile, Access: AccessRead, Aliases: []string{"gap"}, Group: "schedule", Summary: "the active profile"},
	{Name: CmdActivate, Args: ActivateArgs{}, Access: AccessOperate, Aliases: []string{"sap"}, Group: "schedule", Summary: "make a profile active, by name or index; refused during a scheduled run unless forced",
		Params: []Param{{Name: "profile", Type: "profile", Required: true, Help: "a name, or an index from profiles"}, {Name: "force", Type: "bool", Help: "end a scheduled run in progress first"}}},
	{Name: CmdReload, Access: AccessOperate, Aliases: []string{"mp"}, Group: "schedule", Summary: "read the profile file again; a bad file is refused and the running schedule kept"},
	{Name: CmdRun, Access: AccessOperate, Aliases: []string{"rp"}, Group: "schedule", Summary: "turn automatic runs on"},
	{Name: CmdStop, Access: AccessOperate, Aliases: []string{"sp"}, Group: "schedule", Summary: "turn automatic runs off and close the zones the schedule opened"},
	{Name: CmdSchedule, Access: AccessRead, Aliases: []string{"gps"}, Group: "schedule", Summary: "per zone: today's windows, whether one runs now, the next start"},
	{Name: CmdNext, Args: HoursArgs{}, Access: AccessRead, Group: "schedule", Summary: "the coming scheduled runs in time order",
		Params: []Param{{Name: "hours", Type: "hours", Help: "how far ahead (default 48, at most a year)"}}},
	{Name: CmdSkip, Args: SkipArgs{}, Access: AccessOperate, Group: "schedule", Summary: "skip the next scheduled run of zones, or all of today's",
		Params: []Param{{Name: "zones", Type: "zones_or_all", Required: true, Help: `zone numbers, e.g. [1,3], or "all"`}, {Name: "what", Type: "string", Help: "next (default) or today"}}},
	{Name: CmdWaterLevel, Args: WaterLevelArgs{}, Access: AccessOperate, Group: "schedule", Summary: "scale the runs of the profiles that opt in (water_level: true), in percent",
		Params: []Param{{Name: "percent", Type: "count", Required: true, Help: fmt.Sprintf("0 to %d; 100 is as written", MaxWaterLevel)}}},
	{Name: CmdWeather, Args: WeatherArgs{}, Access: AccessRead, Group: "weather", Summary: "the weather inputs (value, age, topic), today's ET0, water balance, level and skip reason",
		Params: []Param{{Name: "days", Type: "count", Help: "also the decisions of that many days before (at most 60)"}}},
	{Name: CmdWeatherCompute, Access: AccessOperate, Group: "weather", Summary: "compute today's ET0 and water level now, and apply them"},
	{Name: CmdET0, Args: ET0Args{}, Access: AccessRead, Group: "weather", Summary: "FAO-56 ET0 of given weather, stored nowhere; missing values follow the paper's missing-data procedures",
		Params: []Param{{Name: "date", Type: "string", Required: true, Help: "YYYY-MM-DD"}, {Name: "latitude_deg", Type: "degrees", Required: true, Help: "north positive"},
			{Name: "elevation_m", Type: "number", Help: "metres above sea level"}, {Name: "tmin_c", Type: "number", Required: true, Help: "the day's minimum, °C"},
			{Name: "tmax_c", Type: "number", Required: true, Help: "the day's maximum, °C"}, {Name: "rh_min", Type: "number", Help: "%"}, {Name: "rh_max", Type: "number", Help: "%"},
			{Name: "rh_mean", Type: "number", Help: "%"}, {Name: "dewpoint_c", Type: "number", Help: "°C"}, {Name: "wind_ms", Type: "number", Help: "mean wind speed, m/s"},
			{Name: "wind_height_m", Type: "number", Help: "the wind's measurement height (default 2)"}, {Name: "solar_mj_m2", Type: "number", Help: "solar radiation, MJ/m² a day"},
			{Name: "sunshine_h", Type: "number", Help: "hours of sunshine"}, {Name: "method", Type: "string", Help: "penman-monteith or hargreaves; default: hargreaves with temperatures alone"}}},
	{Name: CmdRainDelay, Args: HoursArgs{}, Access: AccessOperate, Group: "schedule", Summary: "hold scheduled runs for some hours; 0 ends the delay",
		Params: []Param{{Name: "hours", Type: "hours", Required: true, Help: "how long; 0 clears"}}},
	{Name: CmdZoneList, Access: AccessRead, Group: "zones", Summary: "every zone's settings: name, GPIO line, default and longest run, group, enabled, water level, and revision"},
	{Name: CmdZoneSet, Args: ZoneSetArgs{}, Access: AccessAdmin, Group: "zones", Summary: "change a zone's name, default or longest run, group, whether it is enabled or follows the water level, its plant factor, its soil and sprinklers; written into the configuration file, in force at once",
		Params: []Param{{Name: "zone", Type: "zone", Required: true, Help: "the zone"}, {Name: "name", Type: "string", Help: "its name"},
			{Name: "default_duration_s", Type: "seconds", Help: "its default run"}, {Name: "max_duration_s", Type: "seconds", Help: "its longest run"},
			{Name: "group", Type: "string", Help: `its sequential group; "" for none`}, {Name: "enabled", Type: "bool", Help: "false: it opens for nobody and the schedule skips it"},
			{Name: "water_level", Type: "bool", Help: "false: its runs ignore the water level"},
			{Name: "plant_factor", Type: "number", Help: "scales the water level for its plants: 1 as written, 0.5 shrubs, 0.3 drip"},
			{Name: "soil", Type: "string", Help: `its soil's texture (FAO-56 table 19: sand … loam … clay), for a water balance; "" for none`},
			{Name: "available_water_mm_m", Type: "number", Help: "water the soil holds for plants, mm a metre (0: the texture's)"},
			{Name: "root_depth_m", Type: "number", Help: "how deep its roots take water, m"},
			{Name: "depletion_fraction", Type: "number", Help: "the share of it taken without stress (0: 0.5)"},
			{Name: "precipitation_mm_h", Type: "number", Help: "what its sprinklers put down, mm/h"},
			{Name: "area_m2", Type: "number", Help: "the area it waters, m² (with a flow meter, runs count their litres over it)"},
			{Name: "infiltration_mm_h", Type: "number", Help: "what its soil takes in, mm/h (0: the texture's); slower than the sprinklers: cycle and soak"},
			{Name: "revision", Type: "string", Required: true, Help: "as zone_list gave it"}}},
	{Name: CmdSiteGet, Access: AccessRead, Group: "schedule", Summary: "where the garden is (for sunrise and sunset) and its time zone, with the revision"},
	{Name: CmdSiteSet, Args: SiteSetArgs{}, Access: AccessAdmin, Group: "schedule", Summary: "change the garden's latitude and longitude (in force at once) or time zone (at the next start)",
		Params: []Param{{Name: "latitude", Type: "degrees", Help: "north positive"}, {Name: "longitude", Type: "degrees", Help: "east positive"},
			{Name: "timezone", Type: "string", Help: `an IANA name such as Europe/Berlin; "" for the machine's`}, {Name: "revision", Type: "string", Required: true, Help: "as site_get gave it"}}},
	{Name: CmdConfigVersions, Access: AccessRead, Group: "system", Summary: "the kept versions of the configuration file: who changed which zone or the site, when"},
	{Name: CmdConfigRestore, Args: ProgramArgs{}, Access: AccessAdmin, Group: "system", Summary: "make a kept version the configuration file again, when it differs in the zones' settings and the site alone",
		Params: []Param{{Name: "version", Type: "count", Required: true, Help: "a version from config_versions"}}},
	{Name: CmdUserList, Access: AccessAdmin, Group: "users", Summary: "the embedded broker's users: name, role, the agents each may reach, and where each is kept"},
	{Name: CmdUserAdd, Args: UserArgs{}, Access: AccessAdmin, Group: "users", Summary: "add a user to the embedded broker's users file; in force at once",
		Params: []Param{userName, {Name: "password", Type: "password", Required: true, Help: "at least 8 characters; kept only as a bcrypt hash, never logged"},
			{Name: "role", Type: "role", Required: true, Help: "viewer, operator, admin, agent, homeassistant or device"}, userAgents}},
	{Name: CmdUserSet, Args: UserArgs{}, Access: AccessAdmin, Group: "users", Summary: "change a user's password, role or agents; in force at once: the user's other connections end, and a new password ends their sign-ins",
		Params: []Param{userName, {Name: "password", Type: "password", Help: "a new password"}, {Name: "role", Type: "role", Help: "a new role"}, userAgents}},
	{Name: CmdUserRemove, Args: UserArgs{}, Access: AccessAdmin, Group: "users", Summary: "remove a user: their connections and sign-ins end; never the last admin",
		Params: []Param{userName}},
	{Name: CmdProgramList, Access: AccessRead, Group: "programs", Summary: "every program (profile) with its zones and revision"},
	{Name: CmdProgramGet, Args: ProgramArgs{}, Access: AccessRead, Group: "programs", Summary: "one program as a document, with the revision to name when changing it",
		Params: []Param{{Name: "name", Type: "profile", Required: true, Help: "the program's name"}}},
	{Name: CmdProgramPut, Args: ProgramArgs{}, Access: AccessAdmin, Group: "programs", Summary: "create a program, or replace it; refused (conflict) when its revision is not the one read",
		Params: []Param{{Name: "program", Type: "program", Required: true, Help: `the document as program_get gives it: {"revision":"…","name":"summer","zones":[{"zone":1,"days":["odd"],"runs":[{"at":"05:30","for":"10m"}]}]}; no revision creates`}}},
	{Name: CmdProgramDelete, Args: ProgramArgs{}, Access: AccessAdmin, Group: "programs", Summary: "delete a program (not the active one)",
		Params: []Param{{Name: "name", Type: "profile", Required: true, Help: "the program's name"}, {Name: "revision", Type: "string", Required: true, Help: "its revision, as read"}}},
	{Name: CmdProgramRename, Args: ProgramArgs{}, Access: AccessAdmin, Group: "programs", Summary: "rename a program; the active one stays active",
		Params: []Param{{Name: "name", Type: "profile", Required: true, Help: "the program's name"}, {Name: "new_name", Type: "string", Required: true, Help: "its new name"},
			{Name: "revision", Type: "string", Required: true, Help: "its revision, as read"}}},
	{Name: CmdProgramPreview, Args: ProgramArgs{}, Access: AccessRead, Group: "programs", Summary: "the runs a program would make, checked as a put is, without saving it",
		Params: []Param{{Name: "program", Type: "program", Required: true, Help: "the document, as for program_put"}, {Name: "hours", Type: "hours", Help: "how far ahead (default 168, at most a year)"}}},
	{Name: CmdProgramVersions, Access: AccessRead, Group: "programs", Summary: "the kept versions of the profile file: who changed what, when"},
	{Name: CmdProgramRestore, Args: ProgramArgs{}, Access: AccessAdmin, Group: "programs", Summary: "make a kept version the profile file again (itself a new version)",
		Params: []Param{{Name: "version", Type: "count", Required: true, Help: "a version from program_versions"}}},
	{Name: CmdLogs, Args: LogArgs{}, Access: AccessOperate, Aliases: []string{"rlf"}, Group: "system", Summary: "the last lines of the agent's log, or those containing every given text",
		Params: []Param{{Name: "lines", Type: "count", Help: "how many (default 50)"}, {Name: "grep", Type: "strings", Help: "texts a line must contain"}}},
	{Name: CmdErrors, Args: LogArgs{}, Access: AccessOperate, Aliases: []string{"ref"}, Group: "system", Summary: "the last lines of the error log",
		Params: []Param{{Name: "lines", Type: "count", Help: "how many (default 50)"}, {Name: "grep", Type: "strings", Help: "texts a line must contain"}}},
	{Name: CmdClearLogs, Access: AccessAdmin, Aliases: []string{"clf"}, Group: "system", Summary: "empty the log"},
	{Name: CmdClearErrors, Access: AccessAdmin, Aliases: []string{"cef"}, Group: "system", Summary: "empty the error log"},
	{Name: CmdHealth, Access: AccessRead, Aliases: []string{"gt"}, Group: "system", Summary: "CPU temperature, under-voltage and throttling, uptime, memory, disk, broker clients, last error"},
	{Name: CmdShutdown, Access: AccessAdmin, Aliases: []string{"ks"}, Group: "system", Summary: "switch every relay off, tell every client, stop the agent and its broker"},
	{Name: CmdReboot, Access: AccessAdmin, Aliases: []string{"rbt"}, Group: "system", Summary: "shut down, then run the configured reboot command"},
	{Name: CmdFail, Access: AccessAdmin, Aliases: []string{"ge"}, Group: "system", Summary: "raise a test error, to see that errors are caught, logged and answered"},
	{Name: CmdTime, Access: AccessRead, Aliases: []string{"gdt"}, Group: "system", Summary: "date, time and weekday on the agent"},
	{Name: CmdVersion, Access: AccessRead, Aliases: []string{"gvn"}, Group: "system", Summary: "agent and contract versions"},
	{Name: CmdCommands, Access: AccessRead, Aliases: []string{"m"}, Group: "system", Summary: "this menu: every command with its arguments"},
	{Name: CmdClients, Args: ClientsArgs{}, Access: AccessAdmin, Aliases: []string{"gat"}, Group: "system", Summary: "connected MQTT clients with their ids and addresses (embedded broker)",
		Params: []Param{{Name: "all", Type: "bool", Help: "also the clients that left lately"}}},
}

// LookupCommand finds a command by name or alias, in any case.
func LookupCommand(name string) (Command, bool) {
	name = strings.ToLower(name)
	for _, c := range Commands {
		if c.Name == name {
			return c, true
		}
		for _, a := range c.Aliases {
			if a == name {
				return c, true
			}
		}
	}
	return Command{}, false
}
