package topics

import (
	"strconv"
)

// ZoneStatus is one zone in a Snapshot and in the reply to "status".
type ZoneStatus struct {
	Zone   int    `json:"zone"`
	Name   string `json:"name"`
	State  string `json:"state"`             // StateOpen or StateClosed
	Since  *Time  `json:"since,omitempty"`   // when it took this state
	EndsAt *Time  `json:"ends_at,omitempty"` // when an open zone closes by itself
	Source string `json:"source,omitempty"`  // who changed it last (see the Source* constants)
	Line   int    `json:"line"`              // BCM GPIO line of its relay, when it has no bank
	Pin    int    `json:"pin,omitempty"`     // header pin of that line, when it is on the 40-pin header
	Bank   string `json:"bank,omitempty"`    // the relay bank its relay is on (relays.banks); "": the Pi's line
	Output int    `json:"output,omitempty"`  // that bank's output, from 1
	// Device is a network valve's device (relays.banks of a network kind); Link how the agent
	// reaches it (online, offline, no answer, not heard yet, broker down) and Reported what it
	// last said of its valve (open, closed; "" before it said).
	Device   string `json:"device,omitempty"`
	Link     string `json:"link,omitempty"`
	Reported string `json:"reported,omitempty"`
	Queued   bool   `json:"queued,omitempty"` // a run waits for a free slot of the power budget
	Group    string `json:"group,omitempty"`  // its sequential group: one zone of a group runs at a time
	Master   bool   `json:"master,omitempty"` // the master valve or pump: it follows the other zones
	// Disabled: the zone opens for nobody, and the schedule skips it, until it is enabled.
	Disabled bool `json:"disabled,omitempty"`
	// LastRun is when the zone's last run started; DefaultDurationS is the run an open
	// without a duration gets.
	LastRun          *Time   `json:"last_run"` // null before the first run
	DefaultDurationS float64 `json:"default_duration_s,omitempty"`
	// WateredTodayS is the seconds the zone watered since local midnight.
	WateredTodayS float64 `json:"watered_today_s"`
}

// FlowState is the retained <base>/flow/state of a flow meter.
type FlowState struct {
	TS      Time    `json:"ts"`
	RateLPM float64 `json:"rate_lpm"` // litres per minute over the last interval
	TotalL  float64 `json:"total_l"`  // litres since the agent started
}

// SensorStatus is one switch sensor in the Snapshot.
type SensorStatus struct {
	Active bool  `json:"active"`
	Since  *Time `json:"since,omitempty"`
	// Value is a topic sensor's last reading; Stale says it is silent past its max_age (or
	// not heard yet), and holds nothing.
	Value *float64 `json:"value,omitempty"`
	Stale bool     `json:"stale,omitempty"`
}

// QueuedRun is a run that waits for its turn: for a free slot of the power budget, or for
// the stagger between two turn-ons.
type QueuedRun struct {
	Zone        int     `json:"zone"`
	DurationS   float64 `json:"duration_s"`
	Source      string  `json:"source"`
	RequestedAt Time    `json:"requested_at"`
	// WaitsFor says what holds it back besides its turn: "pause", "group lawn (zone 3)",
	// "run-once (zone 1)"; empty when only the power budget or the stagger does.
	WaitsFor string `json:"waits_for,omitempty"`
}

// Snapshot is the retained <base>/state payload: every zone at one instant. Zones are keyed by
// their number as a string, so Home Assistant templates can write value_json.zones['3'].
type Snapshot struct {
	Agent string                `json:"agent"`
	TS    Time                  `json:"ts"`
	Zones map[string]ZoneStatus `json:"zones"`
	Queue []QueuedRun           `json:"queue"` // waiting runs, in the order they will start
	// OpenCount is how many valves are open, the master not counted; WateredTodayS the
	// seconds all zones watered since local midnight.
	OpenCount     int     `json:"open_count"`
	WateredTodayS float64 `json:"watered_today_s"`
	// The schedule, when the agent has one.
	Profile string `json:"profile,omitempty"` // the active profile
	// Sensors are the switch sensors (rain, soil moisture) by name.
	Sensors    map[string]SensorStatus `json:"sensors,omitempty"`
	Auto       *bool                   `json:"auto,omitempty"`        // whether scheduled runs happen
	WaterLevel *int                    `json:"water_level,omitempty"` // percent scaling the profiles that opt in
	// The times below are null when unset: Home Assistant's templates read every key of the
	// document, and a missing one is a warning in its log for every message.
	RainDelayUntil *Time `json:"rain_delay_until"` // scheduled runs wait until then
	NextRun        *Time `json:"next_run"`         // the next scheduled start
	PausedUntil    *Time `json:"paused_until"`     // every zone waits until then
	// ScheduledRunning says whether a run the schedule started is in progress.
	ScheduledRunning bool `json:"scheduled_running"`
	// Timezone is the agent's time zone, which its schedule runs in (an IANA name); empty: the
	// agent's machine's, unnamed.
	Timezone string `json:"timezone,omitempty"`
}

// ZoneKey is the key of zone n in Snapshot.Zones.
func ZoneKey(n int) string { return strconv.Itoa(n) }

// ZoneInfo describes one zone in Info.
type ZoneInfo struct {
	Zone             int     `json:"zone"`
	Name             string  `json:"name"`
	Line             int     `json:"line"`
	Pin              int     `json:"pin,omitempty"`
	Bank             string  `json:"bank,omitempty"`
	Output           int     `json:"output,omitempty"`
	Device           string  `json:"device,omitempty"`
	DefaultDurationS float64 `json:"default_duration_s"`
	MaxDurationS     float64 `json:"max_duration_s"`
}

// Info is the retained <base>/info payload.
type Info struct {
	Agent     string     `json:"agent"`
	Version   string     `json:"version"`
	StartedAt Time       `json:"started_at"`
	Relays    string     `json:"relays"` // the relay driver in use: "gpio" or "sim"
	Zones     []ZoneInfo `json:"zones"`
}

// Event types on <base>/event.
const (
	EventZoneOpened      = "zone_opened"      // a relay switched on
	EventZoneClosed      = "zone_closed"      // a relay switched off
	EventRunQueued       = "run_queued"       // a run waits for a free slot of the power budget
	EventRunRejected     = "run_rejected"     // a run was refused: the power budget is full
	EventRunStarted      = "run_started"      // a run began; ends_at says until when
	EventRunFinished     = "run_finished"     // a run ended; reason says why
	EventForcedOff       = "forced_off"       // the watchdog switched off a relay left on past its end
	EventRunResumed      = "run_resumed"      // a run cut short by a crash or power cut goes on
	EventCommandRefused  = "command_refused"  // a command on a set topic was refused
	EventRunSkipped      = "run_skipped"      // a scheduled run did not start; message says why
	EventProfileChanged  = "profile_changed"  // another profile became active
	EventScheduleLoaded  = "schedule_loaded"  // the profile file was (re)loaded
	EventProgramChanged  = "program_changed"  // a program was put, deleted or renamed, or a version restored; message says which
	EventZoneChanged     = "zone_changed"     // a zone's settings changed; message says which
	EventSiteChanged     = "site_changed"     // the garden's place or time zone changed; message says how
	EventLimitsChanged   = "limits_changed"   // the power budget was lowered or restored at run time
	EventShutdown        = "shutdown"         // the agent is stopping on request; message says why
	EventSensor          = "sensor_changed"   // a sensor turned active or inactive, went silent or spoke again; message names it
	EventWeather         = "weather"          // the day's water level was computed from the weather; message says why
	EventWeatherFallback = "weather_fallback" // no fresh weather: the last level is kept, or 100 %; message says which
	EventLeak            = "leak"             // water flows while every valve is closed
	EventFlowHigh        = "flow_high"        // a zone's flow far above its usual: closed (a burst pipe?)
	EventFlowLow         = "flow_low"         // a zone's flow far below its usual: closed (clogged, no water?)
	EventPaused          = "paused"           // watering paused; ends_at says until when, message which zones
	EventUnpaused        = "unpaused"         // the pause ended: on request, or its time was over
	EventProblem         = "problem"          // a condition needs attention (health's problems); message says what
	EventProblemCleared  = "problem_cleared"  // a problem went away; message says which
	EventDevice          = "device"           // a network valve reported open while its zone is closed was closed again; message says which
)

// Reasons a run finished.
const (
	ReasonFinished  = "finished"   // its duration ended
	ReasonClosed    = "closed"     // closed by a command
	ReasonCancelled = "cancelled"  // closed while it still waited in the queue
	ReasonShutdown  = "shutdown"   // the agent stopped
	ReasonForced    = "forced"     // the watchdog ended it
	ReasonFailed    = "failed"     // its relay failed, or its network valve did not answer
	ReasonDevice    = "device"     // its network valve closed by itself (its button, its own timer)
	ReasonPowerLoss = "power_loss" // the agent died (crash, power cut) while it ran
	ReasonPaused    = "paused"     // a pause closed it; what was left of it waits in the queue
)

// RunRecord is one run in the history, recorded when it ended.
type RunRecord struct {
	Zone int `json:"zone"`
	// Source started the run (a client id, schedule:<profile>, resume, …), for display;
	// Owner says what owned it (an Owner value), whatever the source's name. EndedBy ended it.
	Source  string `json:"source"`
	Owner   Owner  `json:"owner,omitempty"`
	EndedBy string `json:"ended_by,omitempty"`
	// Planned is when the run was asked for (a schedule's window start); Started and Ended
	// when its relay went on and off. After a power loss Ended is when the agent came back,
	// a bound: the agent cannot know the moment it died.
	Planned  Time    `json:"planned_at"`
	Started  Time    `json:"started_at"`
	Ended    Time    `json:"ended_at"`
	PlannedS float64 `json:"planned_s"`
	ActualS  float64 `json:"actual_s"`
	// Outcome is one of the Reason values.
	Outcome string   `json:"outcome"`
	Litres  *float64 `json:"litres,omitempty"`
}

// WhoamiReply answers whoami. Role is "" when the agent cannot know it (an external broker).
type WhoamiReply struct {
	ClientID string `json:"client_id"`
	Role     Role   `json:"role"`
}

// UserArgs are a user command's arguments. The password is taken only in a request, kept only
// as a bcrypt hash and never logged nor echoed; a nil field is left as it is.
type UserArgs struct {
	Name     string    `json:"name"`
	Password *string   `json:"password,omitempty"`
	Role     *Role     `json:"role,omitempty"`
	Agents   *[]string `json:"agents,omitempty"`
}

// UserInfo is a user as user_list gives it: never its password nor its hash.
type UserInfo struct {
	Name   string   `json:"name"`
	Role   Role     `json:"role"`
	Agents []string `json:"agents,omitempty"` // empty: every agent
	// In is where the user is kept: UsersFile (changed by the user commands) or UsersConfig
	// (broker.users in the configuration, changed there only).
	In string `json:"in"`
}

// Where a user is kept (UserInfo.In).
const (
	UsersFile   = "users_file"
	UsersConfig = "configuration"
)

// SignIn is the web page's sign-in: the token its browser keeps and logs in with as User's
// password until Expires (never the password itself).
type SignIn struct {
	User    string `json:"user"`
	Role    Role   `json:"role"`
	Token   string `json:"token"`
	Expires Time   `json:"expires"`
}

// HistoryReply answers history: runs oldest first, at most MaxHistoryRuns of the newest.
type HistoryReply struct {
	Since Time        `json:"since"`
	Runs  []RunRecord `json:"runs"`
	// Older counts the runs in the span left out to keep the reply small.
	Older int `json:"older,omitempty"`
}

// MaxHistoryRuns bounds the runs in one HistoryReply, so that it fits in MaxReply.
const MaxHistoryRuns = 180

// UsageReply answers usage: water time per period (a day or a week from Monday, in the agent's
// time zone), oldest first.
type UsageReply struct {
	By      string        `json:"by"` // day or week
	Since   Time          `json:"since"`
	Periods []UsagePeriod `json:"periods"`
}

// UsagePeriod is one day or week of UsageReply.
type UsagePeriod struct {
	Start  Time               `json:"start"`
	TotalS float64            `json:"total_s"`
	Zones  map[string]float64 `json:"zones"` // seconds by zone number
	Runs   int                `json:"runs"`
}

// Event is one message on <base>/event. Its event_type key makes it a Home Assistant MQTT event.
type Event struct {
	Type    string `json:"event_type"`
	Zone    int    `json:"zone,omitempty"`
	Source  string `json:"source,omitempty"`
	TS      Time   `json:"ts"`
	EndsAt  *Time  `json:"ends_at,omitempty"`
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
}

// Sources of a zone change, beside the requesting client id.
const (
	SourceMQTT     = "mqtt"     // a request whose sender the agent cannot see
	SourceSet      = "set"      // a plain set topic message whose sender the agent cannot see
	SourceTimer    = "timer"    // the run's duration expired
	SourceShutdown = "shutdown" // the agent is stopping
	SourceStartup  = "startup"  // the agent is starting
	SourceResume   = "resume"   // a run interrupted by a crash or power cut resumed
	SourceWatchdog = "watchdog" // the safety watchdog
	SourceMaster   = "master"   // the master valve follows the zones
	SourceDevice   = "device"   // a network valve's device
	SourceSchedule = "schedule" // the watering schedule; "schedule:<profile>" names the profile
)

// Owner is what started a run and answers for it, whatever its source is named (a client may
// call itself "schedule:x"; it owns nothing of the schedule's). Rules about runs ask the owner,
// never the source.
type Owner string

// The owners of a run.
const (
	OwnerManual   Owner = "manual"   // a command: ctl, a set topic, Home Assistant
	OwnerSchedule Owner = "schedule" // the watering schedule
	OwnerRunOnce  Owner = "run_once" // a step of a run-once list
	OwnerResume   Owner = "resume"   // taken up after an interruption
)

// Overflow policies: what happens to a run beyond the power budget.
const (
	OverflowQueue  = "queue"  // it waits for a free slot
	OverflowReject = "reject" // it is refused
)

// Limits is the data of the "limits" command: the safety rules in force.
type Limits struct {
	MaxOpen int `json:"max_open"`
	// MaxOpenLimit is safety.max_open, what the power supply allows: max_open may be lowered at
	// run time (limits_set), never raised above it.
	MaxOpenLimit int         `json:"max_open_limit,omitempty"`
	Overflow     string      `json:"overflow"`
	StaggerS     float64     `json:"stagger_s"`
	MasterZone   int         `json:"master_zone,omitempty"`
	MasterLeadS  float64     `json:"master_lead_s,omitempty"`
	MasterLagS   float64     `json:"master_lag_s,omitempty"`
	WatchdogS    float64     `json:"watchdog_s"`
	Zones        []ZoneLimit `json:"zones"`
}

// ZoneLimit is one zone's run-time bounds in Limits.
type ZoneLimit struct {
	Zone             int     `json:"zone"`
	DefaultDurationS float64 `json:"default_duration_s"`
	MaxDurationS     float64 `json:"max_duration_s"`
}

// TimeReply is the data of the "time" command.
type TimeReply struct {
	Time     string `json:"time"` // RFC 3339 in the agent's time zone
	Weekday  string `json:"weekday"`
	Location string `json:"location"`
	Unix     int64  `json:"unix"`
}

// VersionReply is the data of the "version" command.
type VersionReply struct {
	Version  string `json:"version"`
	Go       string `json:"go"`
	Revision string `json:"revision,omitempty"`
	Broker   string `json:"broker,omitempty"` // the embedded broker's version
	Protocol int    `json:"protocol"`         // the version of this contract
}

// ProtocolVersion is the version of this contract; it grows when a payload changes shape.
const ProtocolVersion = 1

// ClientInfo is one connected MQTT client in the reply to "clients".
type ClientInfo struct {
	ID          string `json:"id"`
	Online      bool   `json:"online"`
	Remote      string `json:"remote"`
	Listener    string `json:"listener"`
	Username    string `json:"username,omitempty"`
	Role        Role   `json:"role,omitempty"`
	ConnectedAt *Time  `json:"connected_at,omitempty"`
	// DisconnectedAt is when a client that left went; nil while it is connected.
	DisconnectedAt *Time `json:"disconnected_at,omitempty"`
}

// StateQueued is a zone's state in a ZoneChange when its run waits for its turn.
const StateQueued = "queued"

// ZoneChange is one zone in the reply to open, close and toggle.
type ZoneChange struct {
	Zone   int    `json:"zone"`
	State  string `json:"state"` // StateOpen, StateClosed or StateQueued
	EndsAt *Time  `json:"ends_at,omitempty"`
	Note   string `json:"note,omitempty"` // e.g. that a duration was capped
}

// Step is one zone of a run_once request: the zone and how long it waters (0 or absent: its
// default).
type Step struct {
	Zone      int     `json:"zone"`
	DurationS float64 `json:"duration_s,omitempty"`
}

// RunOnceReply answers run_once: each step's state in order, and the zones preempt closed.
type RunOnceReply struct {
	Steps     []ZoneChange `json:"steps"`
	Preempted []int        `json:"preempted"` // empty: the list queued behind what ran
}

// PauseReply answers pause and resume.
type PauseReply struct {
	Paused      bool  `json:"paused"`
	PausedUntil *Time `json:"paused_until,omitempty"`
	Closed      []int `json:"closed,omitempty"` // the zones the pause closed
	Waiting     int   `json:"waiting"`          // runs that wait for the pause to end
}

// RunInfo is one start of a program in ProfileInfo.
type RunInfo struct {
	At        string  `json:"at"` // HH:MM, or sunrise or sunset with an offset: sunset-30m
	DurationS float64 `json:"duration_s"`
	Times     int     `json:"times,omitempty"`   // starts in the day, Every apart; 1 when absent
	EveryS    float64 `json:"every_s,omitempty"` // between starts
}

// ProgramInfo is what a profile says for one zone.
type ProgramInfo struct {
	Zone  int       `json:"zone"`
	About string    `json:"about,omitempty"`
	Days  string    `json:"days"`
	Runs  []RunInfo `json:"runs"`
}

// ProfileInfo is one profile in the reply to "profiles".
type ProfileInfo struct {
	Index  int           `json:"index"`
	Name   string        `json:"name"`
	About  string        `json:"about,omitempty"`
	Active bool          `json:"active"`
	Zones  []ProgramInfo `json:"zones"`
}

// PlannedRun is one scheduled window in the replies to "next" and "schedule".
type PlannedRun struct {
	Zone    int    `json:"zone"`
	Start   Time   `json:"start"`
	End     Time   `json:"end"`
	Profile string `json:"profile"`
	Skipped string `json:"skipped,omitempty"` // why it will not run: a rain delay, automatic runs off
	// Note says what else bears on it: the water level that scaled it, a pause it waits for.
	Note string `json:"note,omitempty"`
}

// ZoneSchedule is one zone in the reply to "schedule".
type ZoneSchedule struct {
	Zone    int          `json:"zone"`
	Name    string       `json:"name"`
	Today   []PlannedRun `json:"today"`
	Running bool         `json:"running"` // inside a window now
	Next    *Time        `json:"next,omitempty"`
}

// ScheduleReply is the data of "schedule", and its first fields that of "profile".
type ScheduleReply struct {
	Profile        string `json:"profile"`
	Index          int    `json:"index"`
	About          string `json:"about,omitempty"`
	Auto           bool   `json:"auto"`
	RainDelayUntil *Time  `json:"rain_delay_until,omitempty"`
	// WaterLevel is the percentage; ScalesRuns says whether the active profile follows it.
	WaterLevel int            `json:"water_level"`
	ScalesRuns bool           `json:"scales_runs"`
	File       string         `json:"file"`
	Zones      []ZoneSchedule `json:"zones,omitempty"`
}

// Health is the data of the "health" command and the retained <base>/health payload.
type Health struct {
	TS            Time     `json:"ts"`
	CPUTempC      *float64 `json:"cpu_temp_c,omitempty"`
	Throttled     string   `json:"throttled"`       // vcgencmd get_throttled, or "unknown"
	Flags         []string `json:"flags,omitempty"` // its bits, named
	UptimeS       float64  `json:"uptime_s"`
	AgentUptimeS  float64  `json:"agent_uptime_s"`
	MemTotalB     uint64   `json:"mem_total_bytes,omitempty"`
	MemAvailableB uint64   `json:"mem_available_bytes,omitempty"`
	DiskFreeB     uint64   `json:"disk_free_bytes,omitempty"`
	BrokerClients *int     `json:"broker_clients,omitempty"` // with the embedded broker
	LastError     string   `json:"last_error,omitempty"`
	// Problems are the conditions that need attention now (a clock behind the saved state,
	// a state file that could not be read or written); empty when all is well.
	Problems []string `json:"problems"`
}

// LogReply is the data of the "logs" and "errors" commands.
type LogReply struct {
	Lines []string `json:"lines"`
}
