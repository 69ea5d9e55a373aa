// Package web serves the agent's page: a small client of the same MQTT contract as ctl, in
// files embedded in the binary (mqtt.js vendored, no build step, nothing fetched from the
// network), a config.json that tells the page where it is, and MQTT over WebSocket at /mqtt
// on the same origin, so the broker's users and roles decide what the page may do.
package web

import (
	"embed"
	"encoding/json"
	"io/fs"
	"net/http"
	"path"

	"sprinkler/topics"
)

//go:embed static
var static embed.FS

// Options say what the page serves.
type Options struct {
	Prefix, Agent string
	// MQTT serves MQTT over WebSocket (the embedded broker's handler).
	MQTT http.Handler
}

// Config is what the page reads from config.json.
type Config struct {
	Prefix   string `json:"prefix"`
	Agent    string `json:"agent"`
	MQTTPath string `json:"mqtt_path"`
	// MaxWaterLevel is the water level slider's end (topics.MaxWaterLevel).
	MaxWaterLevel int `json:"max_water_level"`
}

// Handler serves the page, config.json and /mqtt.
func Handler(o Options) http.Handler {
	files, _ := fs.Sub(static, "static")
	mux := http.NewServeMux()
	mux.Handle("/", http.FileServerFS(noListing{files}))
	cfg, _ := json.Marshal(Config{Prefix: o.Prefix, Agent: o.Agent, MQTTPath: "/mqtt", MaxWaterLevel: topics.MaxWaterLevel})
	mux.HandleFunc("/config.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(cfg)
	})
	mux.Handle("/mqtt", o.MQTT)
	return headers(mux)
}

// headers adds a content security policy that allows nothing but this origin, so the page
// never loads or sends anything elsewhere, and forbids framing.
func headers(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		h.ServeHTTP(w, r)
	})
}

// noListing is a file system whose folders cannot be listed: a folder without an index.html
// does not exist, so the file server answers 404 rather than its contents.
type noListing struct{ fs.FS }

func (n noListing) Open(name string) (fs.File, error) {
	f, err := n.FS.Open(name)
	if err != nil {
		return nil, err
	}
	if st, err := f.Stat(); err == nil && st.IsDir() {
		if _, err := fs.Stat(n.FS, path.Join(name, "index.html")); err != nil {
			_ = f.Close()
			return nil, fs.ErrNotExist
		}
	}
	return f, nil
}
