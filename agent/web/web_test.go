package web_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"sprinkler/agent/web"
)

// TestNoFolderIsListed: the page and its files are served, a folder of them is not listed.
func TestNoFolderIsListed(t *testing.T) {
	h := web.Handler(web.Options{Prefix: "sprinkler", Agent: "garden", MQTT: http.NotFoundHandler()})
	for path, want := range map[string]int{"/": http.StatusOK, "/config.json": http.StatusOK, "/app.js": http.StatusOK,
		"/vendor/": http.StatusNotFound, "/vendor": http.StatusNotFound} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "http://127.0.0.1:8080"+path, nil))
		if w.Code != want {
			t.Errorf("GET %s: %d, want %d\n%s", path, w.Code, want, w.Body)
		}
	}
}
