package web_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"sprinkler/agent/web"
	"sprinkler/topics"
)

// TestNoFolderIsListed: the page and its files are served, a folder of them is not listed.
func TestNoFolderIsListed(t *testing.T) {
	h := web.Handler(web.Options{Prefix: "sprinkler", Agent: "garden", MQTT: http.NotFoundHandler()})
	for path, want := range map[string]int{"/": http.StatusOK, "/config.json": http.StatusOK, "/sw.js": http.StatusOK, "/manifest.webmanifest": http.StatusOK, "/app.js": http.StatusNotFound,
		"/vendor/": http.StatusNotFound, "/vendor": http.StatusNotFound} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "http://127.0.0.1:8080"+path, nil))
		if w.Code != want {
			t.Errorf("GET %s: %d, want %d\n%s", path, w.Code, want, w.Body)
		}
	}
}

// TestSignInTakesJSONOnly: a sign-in answers its token, a refused one says why (as an answer,
// not a failed request), and a form another site could post, or an oversized body, is refused
// before the password is looked at.
func TestSignInTakesJSONOnly(t *testing.T) {
	var tried, ended []string
	h := web.Handler(web.Options{Prefix: "sprinkler", Agent: "garden", MQTT: http.NotFoundHandler(),
		SignIn: func(user, password string) (topics.SignIn, error) {
			tried = append(tried, user)
			if password != "right" {
				return topics.SignIn{}, errors.New("wrong username or password")
			}
			return topics.SignIn{User: user, Role: topics.RoleViewer, Token: "signin.t"}, nil
		},
		SignOut: func(token string) { ended = append(ended, token) },
	})
	post := func(path, contentType, body string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("POST", "http://127.0.0.1:8080"+path, strings.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		h.ServeHTTP(w, r)
		return w
	}
	for _, c := range []struct{ contentType, body, want string }{
		{"application/json", `{"user":"ann","password":"right"}`, `"token":"signin.t"`},
		{"application/json", `{"user":"ann","password":"wrong"}`, `"error":"wrong username or password"`},
	} {
		w := post("/signin", c.contentType, c.body)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), c.want) || w.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("%s: %d %s, want %s, not stored", c.body, w.Code, w.Body, c.want)
		}
	}
	if w := post("/signin", "application/x-www-form-urlencoded", "user=ann&password=right"); w.Code != http.StatusUnsupportedMediaType {
		t.Errorf("a form: %d", w.Code)
	}
	if w := post("/signin", "application/json", `{"user":"`+strings.Repeat("a", 5000)+`"}`); w.Code != http.StatusBadRequest {
		t.Errorf("5 KB: %d", w.Code)
	}
	if len(tried) != 2 {
		t.Errorf("passwords looked at for %d requests, want the 2 well-formed", len(tried))
	}
	if w := post("/signout", "application/json", `{"token":"signin.t"}`); w.Code != http.StatusNoContent || len(ended) != 1 || ended[0] != "signin.t" {
		t.Errorf("sign-out: %d, ended %q", w.Code, ended)
	}
	if cfg := get(t, h, "/config.json"); !strings.Contains(cfg, `"signin":true`) {
		t.Errorf("config.json does not offer sign-ins: %s", cfg)
	}
}

func get(t *testing.T, h http.Handler, path string) string {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "http://127.0.0.1:8080"+path, nil))
	if w.Code != http.StatusOK {
		t.Fatalf("GET %s: %d", path, w.Code)
	}
	return w.Body.String()
}

// TestAssetsAreCompressedAndCached: the page names its files under the hash of them all; those
// are sent compressed where the browser takes it and kept for a year, the page itself is checked
// each time and answered "not modified" when unchanged.
func TestAssetsAreCompressedAndCached(t *testing.T) {
	h := web.Handler(web.Options{Prefix: "sprinkler", Agent: "garden", MQTT: http.NotFoundHandler()})
	index := get(t, h, "/")
	m := regexp.MustCompile(`src="(a/[0-9a-f]{12}/mqtt\.js)"`).FindStringSubmatch(index)
	if m == nil || strings.Contains(index, "{v}") {
		t.Fatalf("the page does not name its versioned files:\n%s", index)
	}
	fetch := func(path, encoding, etag string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("GET", "http://127.0.0.1:8080"+path, nil)
		r.Header.Set("Accept-Encoding", encoding)
		r.Header.Set("If-None-Match", etag)
		h.ServeHTTP(w, r)
		return w
	}
	plain, gz := fetch("/"+m[1], "", ""), fetch("/"+m[1], "gzip, deflate, br", "")
	if plain.Code != 200 || gz.Header().Get("Content-Encoding") != "gzip" || gz.Body.Len()*2 > plain.Body.Len() {
		t.Errorf("mqtt.js: %d bytes plain, %d gzip (%q)", plain.Body.Len(), gz.Body.Len(), gz.Header().Get("Content-Encoding"))
	}
	if cc := plain.Header().Get("Cache-Control"); !strings.Contains(cc, "immutable") || !strings.Contains(cc, "max-age=31536000") {
		t.Errorf("a versioned file's Cache-Control: %q", cc)
	}
	zr, err := gzip.NewReader(gz.Body)
	if err != nil {
		t.Fatal(err)
	}
	if unzipped, _ := io.ReadAll(zr); !bytes.Equal(unzipped, plain.Body.Bytes()) {
		t.Error("the compressed file is not the file")
	}
	if w := fetch("/"+m[1], "gzip;q=0", ""); w.Header().Get("Content-Encoding") != "" {
		t.Error("compressed for a browser that refuses gzip")
	}
	first := fetch("/", "gzip", "")
	if cc := first.Header().Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("the page's Cache-Control: %q", cc)
	}
	if again := fetch("/", "gzip", first.Header().Get("ETag")); again.Code != http.StatusNotModified || again.Body.Len() != 0 {
		t.Errorf("the page asked again with its ETag: %d, %d bytes", again.Code, again.Body.Len())
	}
	if w := fetch("/a/000000000000/app.js", "", ""); w.Code != http.StatusNotFound {
		t.Errorf("another version's file: %d", w.Code)
	}
	sw := get(t, h, "/sw.js")
	if !strings.Contains(sw, `"`+m[1]+`"`) || strings.Contains(sw, "{shell}") {
		t.Errorf("the service worker does not keep the page's files:\n%s", sw)
	}
}
