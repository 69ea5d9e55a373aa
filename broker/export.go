package main

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"sprinkler/broker/server"
	"sprinkler/configs"
	"sprinkler/configs/secrets"
	"sprinkler/topics"
)

const exportUsage = `Usage: sprinkler-broker export mosquitto --out DIR [--config FILE]

Writes the broker's users and roles (broker.users and broker.users_file) for an external
mosquitto: DIR/passwd (mosquitto's PBKDF2 hashes), DIR/acl, and DIR/passwords/<user>, each
user's password in clear (0600), made once and kept on later runs, since mosquitto cannot read
bcrypt. In mosquitto.conf: allow_anonymous false, password_file DIR/passwd, acl_file DIR/acl.
Give each agent its password file as mqtt.password_file, each person theirs.

Each agent's user writes only its own tree and discovery topics and reads only its own
commands; a viewer, operator or homeassistant user reads the agents listed in its agents (all
without) and writes what its role may send them; an admin everything.

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
	out := fs.String("out", "", "the folder to write passwd, acl and passwords/ to")
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
	secretsDir := filepath.Join(*out, "passwords")
	if err := os.MkdirAll(secretsDir, 0o700); err != nil {
		return err
	}
	m, err := server.ExportMosquitto(users, cfg.Prefix, server.DefaultHomeAssistantPrefix, func(u server.User) (string, error) {
		return password(filepath.Join(secretsDir, u.Name))
	})
	if err != nil {
		return err
	}
	for name, data := range map[string][]byte{"passwd": m.Passwd, "acl": m.ACL} {
		if err := os.WriteFile(filepath.Join(*out, name), data, 0o600); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "wrote %s and %s for %d users, their passwords in %s\n", filepath.Join(*out, "passwd"), filepath.Join(*out, "acl"), len(users), secretsDir)
	fmt.Fprintf(stdout, "mosquitto.conf:\n  allow_anonymous false\n  password_file %s\n  acl_file %s\n", filepath.Join(*out, "passwd"), filepath.Join(*out, "acl"))
	for _, u := range users {
		if u.Role == server.RoleAgent {
			fmt.Fprintf(stdout, "agent %s: mqtt.username %s, mqtt.password_file %s, mqtt.client_id %s\n", u.Name, u.Name, filepath.Join(secretsDir, u.Name), topics.AgentClientID(u.Name))
		}
	}
	return nil
}

// password reads the password kept at path, or makes one and keeps it there (0600).
func password(path string) (string, error) {
	pw, _, err := secrets.ReadSecret(path)
	if err == nil {
		return pw, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	pw = base64.RawURLEncoding.EncodeToString(b)
	if err := os.WriteFile(path, []byte(pw+"\n"), 0o600); err != nil {
		return "", err
	}
	return pw, nil
}
