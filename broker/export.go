package main

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"

	"sprinkler/broker/server"
	"sprinkler/configs"
	"sprinkler/configs/secrets"
	"sprinkler/topics"
)

const exportUsage = `Usage: sprinkler-broker export mosquitto --out DIR [--config FILE] [--group NAME]

Writes the broker's users and roles (broker.users and broker.users_file) for an external
mosquitto: DIR/passwd (mosquitto's PBKDF2 hashes) and DIR/acl, readable by the group mosquitto
runs as (0640, group --group, "mosquitto" by default: mosquitto reads them after it has given
up root); DIR/passwords/<user>, each user's password in clear (0600), made once and kept on
later runs, since mosquitto cannot read bcrypt; and DIR/client-ids/<agent>, each agent's
client id (0600), also made once. In mosquitto.conf: allow_anonymous false, password_file
DIR/passwd, acl_file DIR/acl. Give each agent its password file as mqtt.password_file and its
client id as mqtt.client_id, each person their password.

Each agent's user writes only its own tree and discovery topics and reads only its own
commands; a viewer, operator or homeassistant user reads what a reader may of the agents listed
in its agents (all without): their states and its own replies, not another's; it writes what
its role may send them; an admin everything.

mosquitto hands a client id in use to any account that logs in with it, and cannot keep an id
for one user. So that no other account can take an agent's connection over (and send its
offline will), each agent's client id is sprinkler-<agent>- and 20 random characters, which
nobody can guess; keep client-ids/ as private as passwords/.

Options:
`

// export writes the mosquitto files for the configuration's users.
func export(args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "mosquitto" {
		return errors.New("export what? sprinkler-broker export mosquitto --out DIR")
	}
	fs := flag.NewFlagSet("sprinkler-broker export mosquitto", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	config := configs.PathFlag(fs, "configuration file; only its broker.* keys are used")
	out := fs.String("out", "", "the folder to write passwd, acl, passwords/ and client-ids/ to")
	group := fs.String("group", "mosquitto", "the group that may read passwd and acl: the one mosquitto runs as")
	if err := fs.Parse(args[1:]); errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, exportUsage)
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		return nil
	} else if err != nil {
		return err
	}
	if *out == "" || fs.NArg() > 0 {
		return errors.New("say where: sprinkler-broker export mosquitto --out DIR")
	}
	path, required := config()
	cfg, _, err := server.Load(path, required)
	if err != nil {
		return err
	}
	users, _, err := server.Users(cfg)
	if err != nil {
		return err
	}
	if len(users) == 0 {
		return errors.New("no users: add them to broker.users or broker.users_file (sprinkler-broker hash makes a hash)")
	}
	secretsDir, idsDir := filepath.Join(*out, "passwords"), filepath.Join(*out, "client-ids")
	for _, dir := range []string{secretsDir, idsDir} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
	}
	m, err := server.ExportMosquitto(users, cfg.Prefix, server.DefaultHomeAssistantPrefix, func(u server.User) (string, error) {
		return kept(filepath.Join(secretsDir, u.Name), func(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) })
	})
	if err != nil {
		return err
	}
	gid, gerr := groupID(*group)
	for name, data := range map[string][]byte{"passwd": m.Passwd, "acl": m.ACL} {
		path := filepath.Join(*out, name)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return err
		}
		if gerr == nil {
			gerr = os.Chown(path, -1, gid)
		}
		if gerr == nil {
			gerr = os.Chmod(path, 0o640)
		}
	}
	fmt.Fprintf(stdout, "wrote %s and %s for %d users, their passwords in %s\n", filepath.Join(*out, "passwd"), filepath.Join(*out, "acl"), len(users), secretsDir)
	if gerr != nil {
		fmt.Fprintf(stdout, "WARNING: passwd and acl are readable by you alone (%v): mosquitto, which reads them as its own user, needs\n"+
			"  chgrp mosquitto %s %s && chmod 640 %s %s\n", gerr, filepath.Join(*out, "passwd"), filepath.Join(*out, "acl"),
			filepath.Join(*out, "passwd"), filepath.Join(*out, "acl"))
	}
	fmt.Fprintf(stdout, "mosquitto.conf:\n  allow_anonymous false\n  password_file %s\n  acl_file %s\n", filepath.Join(*out, "passwd"), filepath.Join(*out, "acl"))
	for _, u := range users {
		if u.Role != server.RoleAgent {
			continue
		}
		id, err := kept(filepath.Join(idsDir, u.Name), func(b []byte) string {
			return topics.AgentClientID(u.Name) + "-" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)[:20])
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "agent %s: mqtt.username %s, mqtt.password_file %s, mqtt.client_id %s\n", u.Name, u.Name, filepath.Join(secretsDir, u.Name), id)
	}
	return nil
}

// groupID is the id of the group named name.
func groupID(name string) (int, error) {
	g, err := user.LookupGroup(name)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(g.Gid)
}

// kept reads the secret kept at path, or makes one of 18 random bytes written by format and
// keeps it there (0600).
func kept(path string, format func([]byte) string) (string, error) {
	secret, _, err := secrets.ReadSecret(path)
	if err == nil {
		return secret, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	secret = format(b)
	if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
		return "", err
	}
	return secret, nil
}
