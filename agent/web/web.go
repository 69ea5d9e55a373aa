// Package web serves the agent's page: a small client of the same MQTT contract as ctl, in
// files embedded in the binary (no build step, nothing fetched from the network), a
// config.json that tells the page where it is, and MQTT over WebSocket at /mqtt on the same
// origin, so the broker's users and roles decide what the page may do.
package web

import (
	"embed"
	"encoding/json"
	"io/fs"
	"mime"
	"net/http"

	"sprinkler/topics"
)

//go:embed static
var static embed.FS

// Options say what the page serves.
type Options struct {
	Prefix, Agent string
	// MQTT serves MQTT over WebSocket (the embedded broker's handler).
	MQTT http.Handler
	// SignIn turns a username and password into a sign-in the browser keeps, and SignOut ends
	// one (nil: the page asks for the password each time).
	SignIn  func(user, password string) (topics.SignIn, error)
	SignOut func(token string)
}

// Config is what the page reads from config.json.
type Config struct {
	Prefix   string `json:"prefix"`
	Agent    string `json:"agent"`
	MQTTPath string `json:"mqtt_path"`
	// MaxWaterLevel is the water level slider's end (topics.MaxWaterLevel).
	MaxWaterLevel int `json:"max_water_level"`
	// SignIn says the page may keep a sign-in (POST signin, then signout).
	SignIn bool `json:"signin"`
}

// Handler serves the page, config.json and /mqtt.
func Handler(o Options) http.Handler {
	files, _ := fs.Sub(static, "static")
	mux := http.NewServeMux()
	mux.Handle("GET /", fileServer(files))
	cfg, _ := json.Marshal(Config{Prefix: o.Prefix, Agent: o.Agent, MQTTPath: "/mqtt", MaxWaterLevel: topics.MaxWaterLevel, SignIn: o.SignIn != nil})
	mux.HandleFunc("GET /config.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(cfg)
	})
	mux.Handle("GET /mqtt", o.MQTT)
	if o.SignIn != nil {
		mux.HandleFunc("POST /signin", signIn(o.SignIn))
		mux.HandleFunc("POST /signout", signOut(o.SignOut))
	}
	return headers(mux)
}

// maxSignInBody bounds a sign-in's request.
const maxSignInBody = 4 << 10

// credentials are what a sign-in or a sign-out sends.
type credentials struct {
	User     string `json:"user"`
	Password string `json:"password"`
	Token    string `json:"token"`
}

// readCredentials reads a JSON request of the page (a form of another site cannot send one).
func readCredentials(w http.ResponseWriter, r *http.Request) (credentials, bool) {
	var c credentials
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		reply(w, http.StatusUnsupportedMediaType, map[string]string{"error": "send JSON"})
		return c, false
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxSignInBody)).Decode(&c); err != nil {
		reply(w, http.StatusBadRequest, map[string]string{"error": "send {\"user\": ..., \"password\": ...}"})
		return c, false
	}
	return c, true
}

// signIn answers a sign-in: the token and when it ends, or why not. A refused password is an
// answer like the other (200 with "error"), not a failed request the browser logs as an error.
func signIn(in func(user, password string) (topics.SignIn, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, ok := readCredentials(w, r)
		if !ok {
			return
		}
		s, err := in(c.User, c.Password)
		if err != nil {
			reply(w, http.StatusOK, map[string]string{"error": err.Error()})
			return
		}
		reply(w, http.StatusOK, s)
	}
}

// signOut ends the sign-in whose token the page sends.
func signOut(out func(token string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if c, ok := readCredentials(w, r); ok {
			out(c.Token)
			w.WriteHeader(http.StatusNoContent)
		}
	}
}

func reply(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// headers adds a content security policy that allows nothing but this origin, so the page
// never loads or sends anything elsewhere, and forbids framing.
func headers(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		h.ServeHTTP(w, r)
	})
}
