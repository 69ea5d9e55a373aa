package server

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"sprinkler/configs"
	"sprinkler/topics"
)

// Anonymous access policies.
const (
	AnonymousLoopback = "loopback" // clients without a username are let in from loopback only
	AnonymousOff      = "off"      // every client must log in
)

// Roles, as the contract names them; see topics.Roles.
const (
	RoleViewer        = topics.RoleViewer
	RoleOperator      = topics.RoleOperator
	RoleAdmin         = topics.RoleAdmin
	RoleAgent         = topics.RoleAgent
	RoleHomeAssistant = topics.RoleHomeAssistant
	RoleDevice        = topics.RoleDevice
)

// Config is the broker.* section of the configuration.
type Config struct {
	// Embedded runs the broker inside the agent. The standalone broker ignores it.
	Embedded bool `mapstructure:"embedded"`
	// Listen is the TCP address of the plain MQTT listener, host:port; empty for none.
	Listen string `mapstructure:"listen"`
	// Prefix is the first topic level of the agents the ACL protects.
	Prefix string `mapstructure:"prefix"`
	// Anonymous is AnonymousLoopback or AnonymousOff.
	Anonymous string `mapstructure:"anonymous"`
	// AnonymousRole is the role of anonymous clients from loopback.
	AnonymousRole topics.Role `mapstructure:"anonymous_role"`
	// Users may log in with a password (bcrypt hash) or a client certificate (CN = name).
	Users []User `mapstructure:"users"`
	// UsersFile is a YAML file with more users ({users: [{name, hash, role}]}), relative to
	// the configuration file; none there yet is no users. The agent's user commands write it;
	// it must not be readable by others.
	UsersFile string `mapstructure:"users_file"`
	// TLS is the TLS listener.
	TLS TLS `mapstructure:"tls"`
	// Websocket is the WebSocket listener, for browsers.
	Websocket Websocket `mapstructure:"websocket"`
	// Limits against hostile or broken clients.
	MaxClients   int `mapstructure:"max_clients"`
	MaxPerRemote int `mapstructure:"max_per_remote"` // connections from one address (loopback exempt)
	MaxPacket    int `mapstructure:"max_packet"`     // bytes
	MaxInflight  int `mapstructure:"max_inflight"`   // QoS 1/2 messages in flight per client
	MaxTopic     int `mapstructure:"max_topic"`      // characters of a topic or filter
	// ConnectTimeout is how long a new connection may take to send its CONNECT.
	ConnectTimeout time.Duration `mapstructure:"connect_timeout"`
	// ClientRetention is how long a client that left stays in the presence topics and in
	// "clients --all".
	ClientRetention time.Duration `mapstructure:"client_retention"`
	// Presence is the topic under which each client's presence is published, retained, as
	// <Presence>/<client-id>; empty for none. The agent sets it to <base>/clients.
	Presence string `mapstructure:"-"`
	// Agent is the id of the agent that embeds the broker; no network client may use its
	// client id. Empty for the standalone broker.
	Agent string `mapstructure:"-"`
	// HomeAssistant is Home Assistant's discovery prefix (homeassistant.prefix of the agent
	// that embeds the broker); the standalone broker uses Home Assistant's default.
	HomeAssistant string `mapstructure:"-"`
	// Inputs are topics outside the agents' trees that agents take readings from (a zigbee2mqtt
	// soil probe, a weather station): agents may read them, operators and Home Assistant
	// publish and read them, as they may an agent's own <base>/input/<name>. The embedded broker
	// adds those its agent's configuration names.
	Inputs []string `mapstructure:"inputs"`
	// Devices are the topic trees of valves on the network (zigbee2mqtt/#, cmnd/<topic>/#, …),
	// as MQTT filters: users of role device read and write them, agents command the valves and
	// read their states there, nobody else touches them. The embedded broker adds those of its
	// agent's network valves.
	Devices []string `mapstructure:"devices"`
	// SignIns keeps the web page's sign-ins across a restart (nil: in memory), and SignInFor is
	// how long one lasts (0: a sign-in is refused). The agent that embeds the broker sets them.
	SignIns   Keeper        `mapstructure:"-"`
	SignInFor time.Duration `mapstructure:"-"`
}

// User is one account.
type User struct {
	Name string      `mapstructure:"name" yaml:"name"`
	Hash string      `mapstructure:"hash" yaml:"hash"` // bcrypt, from "broker hash"
	Role topics.Role `mapstructure:"role" yaml:"role"`
	// Agents, when given, are the only agents a viewer, operator or Home Assistant may reach
	// (a fleet's broker); empty: every agent. Admins and agents are not limited by it.
	Agents []string `mapstructure:"agents" yaml:"agents,omitempty"`
}

// reaches reports whether u may reach agent id.
func (u User) reaches(id string) bool {
	return len(u.Agents) == 0 || u.Role == RoleAdmin || u.Role == RoleAgent || slices.Contains(u.Agents, id)
}

// TLS is the broker.tls section.
type TLS struct {
	Listen   string `mapstructure:"listen"`    // host:port; empty for no TLS listener
	Cert     string `mapstructure:"cert"`      // PEM certificate chain
	Key      string `mapstructure:"key"`       // PEM private key
	ClientCA string `mapstructure:"client_ca"` // PEM CA: clients may log in with a certificate it signed
}

// Websocket is the broker.websocket section.
type Websocket struct {
	Listen  string   `mapstructure:"listen"`  // host:port; empty for no WebSocket listener
	Origins []string `mapstructure:"origins"` // allowed Origin headers; empty: the page's own host only
	Hosts   []string `mapstructure:"hosts"`   // host names it answers to beside the machine's own
}

// DefaultHomeAssistantPrefix is Home Assistant's own discovery prefix.
const DefaultHomeAssistantPrefix = "homeassistant"

// Defaults are the defaults of the broker.* keys, flat and dotted, as viper takes them.
func Defaults() map[string]any { return configs.Flatten("broker", DefaultConfig()) }

// DefaultConfig is the broker configuration every key starts from: the one place a broker
// default is written.
func DefaultConfig() Config {
	return Config{
		Embedded: true, Listen: "127.0.0.1:1883", Prefix: topics.DefaultPrefix, UsersFile: "users.yaml",
		Anonymous: AnonymousLoopback, AnonymousRole: RoleAdmin, Users: []User{}, Inputs: []string{},
		Websocket:  Websocket{Origins: []string{}, Hosts: []string{}},
		MaxClients: 1024, MaxPerRemote: 32, MaxPacket: 65536, MaxInflight: 1024, MaxTopic: 256,
		ClientRetention: 24 * time.Hour, ConnectTimeout: 5 * time.Second, HomeAssistant: DefaultHomeAssistantPrefix,
	}
}

// Validate reports every invalid broker.* value as a *configs.KeyError.
func (c Config) Validate() error {
	var errs []error
	add := func(key, format string, args ...any) {
		errs = append(errs, configs.Errorf("broker."+key, format, args...))
	}
	for key, addr := range map[string]string{"listen": c.Listen, "tls.listen": c.TLS.Listen, "websocket.listen": c.Websocket.Listen} {
		if addr == "" && key != "listen" {
			continue
		}
		if err := checkAddr(addr); err != nil {
			add(key, "%v", err)
		}
	}
	if err := topics.ValidPrefix(c.Prefix); err != nil {
		add("prefix", "%v", err)
	}
	if c.Anonymous != AnonymousLoopback && c.Anonymous != AnonymousOff {
		add("anonymous", "%q is not %q or %q", c.Anonymous, AnonymousLoopback, AnonymousOff)
	}
	if c.AnonymousRole != RoleViewer && c.AnonymousRole != RoleOperator && c.AnonymousRole != RoleAdmin {
		add("anonymous_role", "%q is not viewer, operator or admin", c.AnonymousRole)
	}
	for i, u := range c.Users {
		if err := u.check(); err != nil {
			add(fmt.Sprintf("users[%d]", i), "%v", err)
		}
	}
	for i, f := range c.Devices {
		if err := CheckDeviceTree(f, c.Prefix, c.HomeAssistant); err != nil {
			add(fmt.Sprintf("devices[%d]", i), "%v", err)
		}
	}
	for i, in := range c.Inputs {
		if in == "" || strings.ContainsAny(in, "+#\x00") || strings.HasPrefix(in, "$") || strings.HasPrefix(in, c.Prefix+"/") {
			add(fmt.Sprintf("inputs[%d]", i), "%q: want a topic without wildcards, outside %s/ and $", in, c.Prefix)
		}
	}
	if c.TLS.Listen != "" && (c.TLS.Cert == "" || c.TLS.Key == "") {
		add("tls", "a TLS listener needs cert and key")
	}
	for key, v := range map[string]int{"max_clients": c.MaxClients, "max_per_remote": c.MaxPerRemote, "max_inflight": c.MaxInflight} {
		if v < 1 || v > 65535 {
			add(key, "%d: want 1 to 65535", v)
		}
	}
	if c.ClientRetention < time.Minute || c.ClientRetention > 30*24*time.Hour {
		add("client_retention", "%v: want 1m to 720h", c.ClientRetention)
	}
	if c.ConnectTimeout < time.Second || c.ConnectTimeout > time.Minute {
		add("connect_timeout", "%v: want 1s to 1m", c.ConnectTimeout)
	}
	if c.MaxPacket < 1024 || c.MaxPacket > 16<<20 {
		add("max_packet", "%d: want 1024 to 16777216 bytes", c.MaxPacket)
	}
	if c.MaxTopic < 32 || c.MaxTopic > 65535 {
		add("max_topic", "%d: want 32 to 65535", c.MaxTopic)
	}
	return errors.Join(errs...)
}

func checkAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port", addr)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return fmt.Errorf("port %q is not a number from 0 to 65535", port)
	}
	if host != "" && net.ParseIP(host) == nil && host != "localhost" {
		return fmt.Errorf("host %q is not an IP address (or localhost)", host)
	}
	return nil
}

// MinPassword is the shortest password an account may have.
const MinPassword = 8

// CheckPassword reports what is wrong with a new account's password.
func CheckPassword(pw []byte) error {
	switch {
	case len(pw) < MinPassword:
		return fmt.Errorf("a password needs at least %d characters", MinPassword)
	case len(pw) > 72:
		return errors.New("bcrypt uses at most 72 bytes of a password")
	}
	return nil
}

// HashPassword checks a new account's password and returns its bcrypt hash, as the users
// file and broker.users take it.
func HashPassword(pw []byte) (string, error) {
	if err := CheckPassword(pw); err != nil {
		return "", err
	}
	h, err := bcrypt.GenerateFromPassword(pw, bcrypt.DefaultCost)
	return string(h), err
}

// CheckUserName reports what is wrong with an account's name.
func CheckUserName(name string) error {
	if name == "" || strings.ContainsAny(name, "/+#:") || len(name) > 64 {
		return fmt.Errorf("name %q: want 1-64 characters without / + # :", name)
	}
	return nil
}

// check reports what is wrong with an account.
func (u User) check() error {
	if err := CheckUserName(u.Name); err != nil {
		return err
	}
	switch {
	case !strings.HasPrefix(u.Hash, "$2"):
		return fmt.Errorf("user %s: hash is not a bcrypt hash; make one with: broker hash", u.Name)
	}
	if _, err := bcrypt.Cost([]byte(u.Hash)); err != nil {
		return fmt.Errorf("user %s: hash: %v", u.Name, err)
	}
	if u.Role == RoleAgent {
		if err := topics.ValidAgentID(u.Name); err != nil {
			return fmt.Errorf("user %s: an agent's user is named by its agent id: %v", u.Name, err)
		}
	}
	for _, id := range u.Agents {
		if err := topics.ValidAgentID(id); err != nil {
			return fmt.Errorf("user %s: agents: %v", u.Name, err)
		}
	}
	if u.Role == RoleDevice && len(u.Agents) > 0 {
		return fmt.Errorf("user %s: a device reaches the network valves' topics, not agents: leave agents out", u.Name)
	}
	for _, r := range topics.Roles {
		if u.Role == r {
			return nil
		}
	}
	return fmt.Errorf("user %s: role %q is not one of %v", u.Name, u.Role, topics.Roles)
}

// Exposed reports whether a listen address takes connections from other machines.
func Exposed(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host == "" {
		return true
	}
	if host == "localhost" {
		return false
	}
	ip := net.ParseIP(host)
	return ip == nil || !ip.IsLoopback()
}

// Load reads the broker.* keys of the configuration file at path (other sections are ignored)
// with their SPRINKLER_BROKER_* overrides, and validates them. It also returns what to warn of
// at start-up.
func Load(path string, required bool) (Config, []string, error) {
	var file struct {
		Broker Config         `mapstructure:"broker"`
		Rest   map[string]any `mapstructure:",remain"`
	}
	f, err := configs.Load(path, required, Defaults(), &file)
	if err != nil {
		return Config{}, nil, err
	}
	file.Broker.UsersFile = f.Resolve(file.Broker.UsersFile)
	file.Broker.HomeAssistant = DefaultHomeAssistantPrefix
	return file.Broker, f.Warnings, f.Locate(file.Broker.Validate())
}

// CheckDeviceTree checks f, a topic tree of valves on the network: a topic filter that shares
// no topic with the agents' tree (prefix), Home Assistant's (ha) or $. The ACL gives a device
// tree to devices and agents alone, so one that reached into those trees would take them from
// everyone else, and give them to devices.
func CheckDeviceTree(f, prefix, ha string) error {
	switch {
	case !validFilter(f):
		return fmt.Errorf("%q is not a topic filter", f)
	case strings.HasPrefix(f, "$") || strings.HasPrefix(f, "+") || strings.HasPrefix(f, "#") || overlap(f, prefix+"/#") || overlap(f, ha+"/#"):
		return fmt.Errorf("%q reaches into %s/, %s/ or $: a device tree must be apart from them", f, prefix, ha)
	}
	return nil
}

// overlap reports whether the filters a and b match a topic in common.
func overlap(a, b string) bool {
	as, bs := strings.Split(a, "/"), strings.Split(b, "/")
	for i := 0; i < len(as) && i < len(bs); i++ {
		switch {
		case as[i] == "#" || bs[i] == "#":
			return true
		case as[i] != "+" && bs[i] != "+" && as[i] != bs[i]:
			return false
		}
	}
	return len(as) == len(bs)
}

// validFilter reports whether f is an MQTT topic filter: + a whole level, # the whole last one.
func validFilter(f string) bool {
	if f == "" || len(f) > 1000 || strings.ContainsRune(f, 0) {
		return false
	}
	levels := strings.Split(f, "/")
	for i, l := range levels {
		if strings.ContainsAny(l, "+#") && l != "+" && !(l == "#" && i == len(levels)-1) {
			return false
		}
	}
	return true
}
