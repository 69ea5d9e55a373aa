// Package serve answers the agent's commands: requests on <base>/request/<cmd> and plain
// commands on the zones' set topics. It parses and checks every argument before anything
// changes, and turns any failure, a panic included, into an error reply.
package serve

import (
	"context"
	"log/slog"
	"math"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"sprinkler/agent/clock"
	"sprinkler/agent/history"
	"sprinkler/agent/programs"
	"sprinkler/agent/scheduler"
	"sprinkler/agent/valves"
	"sprinkler/topics"
	"sprinkler/version"
)

// Service answers commands against a valve controller.
type Service struct {
	o        Options
	handlers map[string]handler
}

// Logs is the agent's log as the log commands need it.
type Logs interface {
	Tail(n int, grep []string) ([]string, error)
	Errors(n int, grep []string) ([]string, error)
	Clear() error
	ClearErrors() error
}

// System is what the system commands act on; each may be nil, which makes its command
// unavailable.
type System struct {
	Logs   Logs
	Health func(ctx context.Context) topics.Health
	// Shutdown stops the agent once the reply is out; with reboot, it then runs the reboot
	// command, and refuses when none is configured.
	Shutdown func(reboot bool, by string) error
	// Broker is the embedded broker's version, "" without one.
	Broker string
}

// handler serves one command; it returns the reply's data or an error.
type handler func(r topics.Request, source string) (any, error)

// Options are the Service's collaborators and facts.
type Options struct {
	Valves *valves.Controller
	// Schedule runs the watering schedule; nil when none is configured.
	Schedule *scheduler.Engine
	Clock    clock.Clock
	Location *time.Location
	Version  string
	// Clients lists the broker's clients, with all also those that left lately; nil when the
	// broker is not embedded.
	Clients func(all bool) []topics.ClientInfo
	// History is the run history; nil: the history commands are unavailable.
	History *history.Store
	// Blocked, when set, refuses a manual opening of zone (an active sensor that blocks
	// manual runs); nothing is opened then.
	Blocked func(zone int) error
	// Sensors, when set, gives the sensors' states for the status reply.
	Sensors func() map[string]topics.SensorStatus
	// Programs is the profile file as documents; nil without a schedule.
	Programs *programs.Store
	// MaxOpenLimit is safety.max_open, the power supply's limit, for the limits reply.
	MaxOpenLimit int
	// Settings reads and changes the zones' and the site's settings; nil: unavailable.
	Settings Settings
	// Weather is the weather; nil without weather inputs.
	Weather Weather
	// Users are the embedded broker's users; nil: the user commands are unavailable.
	Users Users
	// Announce, when set, publishes Home Assistant discovery again (a program list changed).
	Announce func()
	System   System
	Log      *slog.Logger
}

// New returns a Service.
func New(o Options) *Service {
	s := &Service{o: o}
	s.handlers = map[string]handler{
		topics.CmdStatus:   s.status,
		topics.CmdOpen:     s.open,
		topics.CmdClose:    s.close,
		topics.CmdToggle:   s.toggle,
		topics.CmdTime:     s.time,
		topics.CmdVersion:  s.versionInfo,
		topics.CmdCommands: s.commands,
		topics.CmdClients:  s.clientList,
		topics.CmdLimits:   s.limits,
		topics.CmdHistory:  s.historyRuns,
		topics.CmdUsage:    s.usage,
		topics.CmdRunOnce:  s.runOnce,
		topics.CmdPause:    s.pause,
		topics.CmdResume:   s.resume,

		topics.CmdLogs: s.logs, topics.CmdErrors: s.errorLog, topics.CmdClearLogs: s.clearLogs,
		topics.CmdClearErrors: s.clearErrors, topics.CmdHealth: s.health, topics.CmdShutdown: s.shutdown,
		topics.CmdReboot: s.reboot, topics.CmdFail: s.fail, topics.CmdET0: s.et0,
		topics.CmdWeather: s.needWeather(s.weather), topics.CmdWeatherCompute: s.needWeather(s.weatherCompute),
	}
	for name, h := range map[string]handler{
		topics.CmdProfiles: s.profiles, topics.CmdProfile: s.profile, topics.CmdActivate: s.activate,
		topics.CmdReload: s.reload, topics.CmdRun: s.autoOn, topics.CmdStop: s.autoOff, topics.CmdWaterLevel: s.waterLevel, topics.CmdSkip: s.skip,
		topics.CmdSchedule: s.schedule, topics.CmdNext: s.next, topics.CmdRainDelay: s.rainDelay,
	} {
		s.handlers[name] = s.needSchedule(h)
	}
	for name, h := range map[string]handler{topics.CmdZoneList: s.zoneList, topics.CmdZoneSet: s.zoneSet, topics.CmdSiteGet: s.siteGet, topics.CmdSiteSet: s.siteSet, topics.CmdLimitsSet: s.limitsSet,
		topics.CmdConfigVersions: s.configVersions, topics.CmdConfigRestore: s.configRestore} {
		s.handlers[name] = s.needSettings(h)
	}
	for name, h := range map[string]handler{topics.CmdUserList: s.userList, topics.CmdUserAdd: s.userChange(topics.CmdUserAdd),
		topics.CmdUserSet: s.userChange(topics.CmdUserSet), topics.CmdUserRemove: s.userChange(topics.CmdUserRemove)} {
		s.handlers[name] = s.needUsers(h)
	}
	for name, h := range map[string]handler{
		topics.CmdProgramList: s.programList, topics.CmdProgramGet: s.programGet, topics.CmdProgramPut: s.programPut,
		topics.CmdProgramDelete: s.programDelete, topics.CmdProgramRename: s.programRename,
		topics.CmdProgramVersions: s.programVersions, topics.CmdProgramRestore: s.programRestore, topics.CmdProgramPreview: s.programPreview,
	} {
		s.handlers[name] = s.needSchedule(s.needPrograms(h))
	}
	return s
}

// Request answers a request for cmd, the command's name or alias as it stood in the topic.
// source names the requester for the log and the zones' state; from is the requester as the
// embedded broker saw it (zero when it cannot be known), and a command above its role is
// refused even if a broker's ACL let it through. A request past its ts plus ttl_s is
// refused unread. replyTo is the request's reply_to, "" when it named none or could not be read.
func (s *Service) Request(cmd string, payload []byte, source string, from topics.Sender) (resp topics.Response, replyTo string) {
	req, err := topics.ParseRequest(payload)
	req.From, replyTo = from, req.ReplyTo
	role := from.Role
	defer func() {
		if p := recover(); p != nil {
			s.o.Log.Error("command panicked", "command", cmd, "panic", p, "stack", string(debug.Stack()))
			resp = topics.Fail(req.ID, topics.Errorf(topics.CodeInternal, "internal error in %s: %v", cmd, p))
		}
	}()
	if err == nil {
		err = req.Expired(s.o.Clock.Now())
	}
	if err != nil {
		return s.refuse(cmd, req.ID, source, err), replyTo
	}
	c, ok := topics.LookupCommand(cmd)
	h := s.handlers[c.Name]
	if c.Name == topics.CmdWhoami { // the one answer that needs the role itself
		h = func(_ topics.Request, source string) (any, error) {
			return topics.WhoamiReply{ClientID: source, Role: role}, nil
		}
	}
	if !ok || h == nil {
		return s.refuse(cmd, req.ID, source, topics.Errorf(topics.CodeUnknownCommand, "unknown command %q; the commands request lists them", cmd)), replyTo
	}
	if !topics.Permits(role, c.Access) {
		return s.refuse(cmd, req.ID, source, topics.Forbidden(c.Name, c.Access, role)), replyTo
	}
	if req.Source != "" && source == topics.SourceMQTT {
		source = req.Source
	}
	if c.Args == nil { // the command takes no arguments: one check for all of them
		if err := req.Decode(&struct{}{}); err != nil {
			return s.refuse(cmd, req.ID, source, err), replyTo
		}
	}
	data, err := h(req, source)
	if err != nil {
		return s.refuse(cmd, req.ID, source, err), replyTo
	}
	resp = topics.OK(req.ID, data)
	if n := len(resp.Data); n > topics.MaxReply-replyFrame {
		return s.refuse(cmd, req.ID, source, topics.Errorf(topics.CodeTooLarge,
			"the answer to %s would be %d bytes, more than a reply may hold (%d): ask for less (fewer hours, days, lines or zones)", c.Name, n, topics.MaxReply)), replyTo
	}
	return resp, replyTo
}

// replyFrame is what a reply adds around its data: id and status.
const replyFrame = 256

func (s *Service) refuse(cmd, id, source string, err error) topics.Response {
	s.o.Log.Warn("command refused", "command", cmd, "id", id, "source", source, "code", topics.CodeOf(err), "err", err)
	return topics.Fail(id, err)
}

// Plain carries out a command on one of the plain set topics (zone, profile, automatic runs,
// water level, pause, a zone's default run), topic parsed as t, from a sender of role; on error
// nothing changed. The same access rule as for requests holds: these topics operate.
func (s *Service) Plain(topic string, t topics.Topic, payload []byte, source string, role topics.Role) error {
	if !topics.Permits(role, topics.AccessOperate) {
		return topics.Forbidden(topic, topics.AccessOperate, role)
	}
	switch t.Kind {
	case topics.KindZoneSet:
		return s.Set(t.Zone, payload, source)
	case topics.KindPauseSet:
		d, err := topics.ParsePause(payload)
		switch {
		case err != nil:
			return err
		case d > 0:
			_, _, err = s.o.Valves.Pause(d, source)
			return err
		}
		s.o.Valves.Unpause(source)
		return nil
	case topics.KindDurationSet:
		d, err := topics.ParseMinutes(payload)
		switch {
		case err != nil:
			return err
		case s.o.Settings != nil:
			return s.o.Settings.SetDefault(t.Zone, d, source)
		}
		return s.o.Valves.SetDefault(t.Zone, d)
	}
	if s.o.Schedule == nil {
		return topics.Errorf(topics.CodeUnavailable, "no schedule is configured")
	}
	switch t.Kind {
	case topics.KindProfileSet:
		_, err := s.o.Schedule.Activate(strings.TrimSpace(string(payload)), false, source)
		return err
	case topics.KindAutoSet:
		on, err := topics.ParseOnOff(payload)
		if err == nil {
			_, err = s.o.Schedule.SetAuto(on, source)
		}
		return err
	case topics.KindWaterLevelSet:
		percent, err := topics.ParsePercent(payload)
		if err == nil {
			err = s.o.Schedule.SetWaterLevel(percent, source)
		}
		return err
	}
	return topics.Errorf(topics.CodeBadRequest, "not a set topic")
}

// Set carries out a command on zone's set topic. On error nothing changed.
func (s *Service) Set(zone int, payload []byte, source string) error {
	cmd, err := topics.ParseSet(payload)
	if err == nil {
		var ids []int
		if ids, err = topics.ZoneList(zone).Check(s.o.Valves.IDs()); err == nil {
			err = s.act(cmd.Action, ids, cmd.Duration, source)
		}
	}
	return err
}

func (s *Service) act(a topics.Action, ids []int, d time.Duration, source string) error {
	if err := s.mayOpen(a, ids); err != nil {
		return err
	}
	var err error
	switch a {
	case topics.ActionOpen:
		_, err = s.o.Valves.Open(ids, d, source)
	case topics.ActionClose:
		_, err = s.o.Valves.Close(ids, source)
	case topics.ActionToggle:
		_, err = s.o.Valves.Toggle(ids, d, source)
	}
	return err
}

func (s *Service) status(r topics.Request, _ string) (any, error) {
	snap := s.o.Valves.Snapshot()
	if s.o.Schedule != nil {
		s.o.Schedule.Decorate(&snap)
	}
	if s.o.Sensors != nil {
		snap.Sensors = s.o.Sensors()
	}
	return snap, nil
}

// zoneArgs decodes and checks the arguments of open, close and toggle.
func (s *Service) zoneArgs(r topics.Request, allowAll, allowDuration bool) ([]int, time.Duration, error) {
	var a topics.ZoneArgs
	if err := r.Decode(&a); err != nil {
		return nil, 0, err
	}
	if a.Zones.All && !allowAll {
		return nil, 0, topics.Errorf(topics.CodeBadRequest, `"all" is only for close; name the zones`)
	}
	var d time.Duration
	if a.DurationS != nil {
		if !allowDuration {
			return nil, 0, topics.Errorf(topics.CodeBadRequest, "duration_s makes no sense with close")
		}
		var err error
		if d, err = topics.Seconds(*a.DurationS); err != nil {
			return nil, 0, err
		}
	}
	ids, err := a.Zones.Check(s.o.Valves.IDs())
	return ids, d, err
}

// mayOpen refuses an action that would open a zone an active sensor blocks; nothing opens.
func (s *Service) mayOpen(a topics.Action, ids []int) error {
	if a == topics.ActionClose || s.o.Blocked == nil {
		return nil
	}
	for _, id := range ids {
		if err := s.o.Blocked(id); err != nil && (a == topics.ActionOpen || !s.o.Valves.IsOpen(id)) {
			return err
		}
	}
	return nil
}

func (s *Service) open(r topics.Request, source string) (any, error) {
	ids, d, err := s.zoneArgs(r, false, true)
	if err == nil {
		err = s.mayOpen(topics.ActionOpen, ids)
	}
	if err != nil {
		return nil, err
	}
	return s.o.Valves.Open(ids, d, source)
}

func (s *Service) close(r topics.Request, source string) (any, error) {
	ids, _, err := s.zoneArgs(r, true, false)
	if err != nil {
		return nil, err
	}
	return s.o.Valves.Close(ids, source)
}

func (s *Service) toggle(r topics.Request, source string) (any, error) {
	ids, d, err := s.zoneArgs(r, false, true)
	if err == nil {
		err = s.mayOpen(topics.ActionToggle, ids)
	}
	if err != nil {
		return nil, err
	}
	return s.o.Valves.Toggle(ids, d, source)
}

func (s *Service) time(r topics.Request, _ string) (any, error) {
	now := s.o.Clock.Now().In(s.o.Location)
	return topics.TimeReply{Time: now.Format(time.RFC3339), Weekday: now.Weekday().String(), Location: s.o.Location.String(), Unix: now.Unix()}, nil
}

func (s *Service) versionInfo(r topics.Request, _ string) (any, error) {
	return topics.VersionReply{Version: s.o.Version, Go: runtime.Version(), Broker: s.o.System.Broker, Protocol: topics.ProtocolVersion,
		Revision: version.Revision()}, nil
}

func (s *Service) commands(r topics.Request, _ string) (any, error) {
	return topics.Commands, nil
}

func (s *Service) limits(r topics.Request, _ string) (any, error) {
	return s.limitsNow(), nil
}

// limitsNow are the rules in force, with the power supply's limit beside the budget.
func (s *Service) limitsNow() topics.Limits {
	l := s.o.Valves.Limits()
	l.MaxOpenLimit = s.o.MaxOpenLimit
	return l
}

// since reads since_s, seconds back from now, with a default: any span the history keeps
// (history.retention; ten years when it keeps everything).
func (s *Service) since(sinceS *float64, def time.Duration) (time.Time, error) {
	d := def
	if sinceS != nil {
		limit := s.o.History.Retention()
		if limit == 0 {
			limit = 3660 * 24 * time.Hour
		}
		v := *sinceS
		switch {
		case math.IsNaN(v) || v <= 0:
			return time.Time{}, topics.Errorf(topics.CodeBadRequest, "since_s %v: want a positive number of seconds", v)
		case v > limit.Seconds():
			return time.Time{}, topics.Errorf(topics.CodeBadRequest, "since_s %v: more than the %v the history keeps (history.retention)", v, limit)
		}
		d = time.Duration(v * float64(time.Second))
	}
	return s.o.Clock.Now().Add(-d), nil
}

func (s *Service) historyRuns(r topics.Request, _ string) (any, error) {
	var args topics.HistoryArgs
	if err := r.Decode(&args); err != nil {
		return nil, err
	}
	if s.o.History == nil {
		return nil, topics.Errorf(topics.CodeUnavailable, "this agent keeps no history")
	}
	if args.Zone != 0 {
		if _, err := topics.ZoneList(args.Zone).Check(s.o.Valves.AllIDs()); err != nil {
			return nil, err
		}
	}
	since, err := s.since(args.SinceS, 7*24*time.Hour)
	if err != nil {
		return nil, err
	}
	runs := s.o.History.Runs(args.Zone, since)
	reply := topics.HistoryReply{Since: topics.Time{Time: since}, Runs: runs}
	if n := len(runs) - topics.MaxHistoryRuns; n > 0 {
		reply.Runs, reply.Older = runs[n:], n
	}
	if reply.Runs == nil {
		reply.Runs = []topics.RunRecord{}
	}
	return reply, nil
}

func (s *Service) usage(r topics.Request, _ string) (any, error) {
	var args topics.UsageArgs
	if err := r.Decode(&args); err != nil {
		return nil, err
	}
	if s.o.History == nil {
		return nil, topics.Errorf(topics.CodeUnavailable, "this agent keeps no history")
	}
	if args.By == "" {
		args.By = history.ByDay
	}
	since, err := s.since(args.SinceS, 30*24*time.Hour)
	if err != nil {
		return nil, err
	}
	periods, err := s.o.History.Usage(args.By, since, s.o.Clock.Now(), s.o.Location)
	if err != nil {
		return nil, err
	}
	return topics.UsageReply{By: args.By, Since: topics.Time{Time: since}, Periods: periods}, nil
}

func (s *Service) clientList(r topics.Request, _ string) (any, error) {
	var args topics.ClientsArgs
	if err := r.Decode(&args); err != nil {
		return nil, err
	}
	if s.o.Clients == nil {
		return nil, topics.Errorf(topics.CodeUnavailable, "the client list comes from the embedded broker, and this agent uses an external one")
	}
	list := s.o.Clients(args.All)
	if list == nil {
		list = []topics.ClientInfo{}
	}
	return list, nil
}
