package serve

import "sprinkler/topics"

// Users are the embedded broker's users, as the user commands change them.
type Users interface {
	Users() []topics.UserInfo
	// ChangeUser carries out user_add, user_set or user_remove; the connection of client id
	// asker is left to end by itself, its reply still to come.
	ChangeUser(cmd string, a topics.UserArgs, asker string) (topics.UserInfo, error)
}

// needUsers refuses a user command where the broker is not the agent's own.
func (s *Service) needUsers(h handler) handler {
	return func(r topics.Request, source string) (any, error) {
		if s.o.Users == nil {
			return nil, topics.Errorf(topics.CodeUnavailable, "the users are the broker's, and this agent's broker is not its own: "+
				"change them where that broker keeps them (mosquitto: mosquitto_passwd, or its dynamic security plugin)")
		}
		return h(r, source)
	}
}

func (s *Service) userList(topics.Request, string) (any, error) { return s.o.Users.Users(), nil }

// userChange serves the user command cmd.
func (s *Service) userChange(cmd string) handler {
	return func(r topics.Request, _ string) (any, error) {
		var a topics.UserArgs
		if err := r.Decode(&a); err != nil {
			return nil, err
		}
		return s.o.Users.ChangeUser(cmd, a, r.From.Client)
	}
}
