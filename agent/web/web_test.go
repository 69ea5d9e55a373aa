package web_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"sprinkler/agent/web"
)

// TestPageAnswersOnlyToItsOwnNames: against DNS rebinding, the page and /mqtt answer to this
// machine's addresses and names and to web.hosts, not to a name a hostile page brought along.
func TestPageAnswersOnlyToItsOwnNames(t *testing.T) {
	mqtt := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) })
	h := web.Handler(web.Options{Prefix: "sprinkler", Agent: "garden", MQTT: mqtt, Hosts: []string{"garden.example"}})
	for _, tc := range []struct {
		host, path string
		want       int
	}{
		{"127.0.0.1:8080", "/config.json", http.StatusOK},
		{"[::1]:8080", "/config.json", http.StatusOK},
		{"192.168.1.20:8080", "/config.json", http.StatusOK},
		{"localhost:8080", "/config.json", http.StatusOK},
		{"GARDEN.example:8080", "/config.json", http.StatusOK},
		{"evil.example:8080", "/config.json", http.StatusMisdirectedRequest},
		{"evil.example", "/mqtt", http.StatusMisdirectedRequest},
		{"127.0.0.1:8080", "/mqtt", http.StatusTeapot},
		{"", "/", http.StatusMisdirectedRequest},
	} {
		r := httptest.NewRequest("GET", "http://x"+tc.path, nil)
		r.Host = tc.host
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tc.want {
			t.Errorf("GET %s with Host %q: %d, want %d", tc.path, tc.host, w.Code, tc.want)
		}
	}
}
