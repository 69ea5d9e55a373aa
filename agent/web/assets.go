package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"slices"
	"strings"
	"sync"
)

// versioned is where the page's files are served under the hash of them all, for a year: a new
// release has a new hash, so a browser never runs one file of the old page beside one of the new.
const versioned = "a/"

// The files whose text names the others: served at a fixed address and checked each time, with
// "{v}" replaced by the hash of the others and "{shell}" by the list the service worker keeps.
var templates = map[string]string{
	"index.html":           "/",
	"sw.js":                "/sw.js",
	"manifest.webmanifest": "/manifest.webmanifest",
}

// compressible are the types worth sending compressed (the PNG icons are compressed already).
var compressible = []string{".html", ".js", ".css", ".svg", ".webmanifest"}

// asset is one file as served: its bytes, the same compressed, its type and its tag.
type asset struct {
	body, gz  []byte
	ctype     string
	etag      string
	immutable bool
}

// assets are the page's files, read from the embedded folder once, at the first request.
type assets struct {
	version string
	byPath  map[string]*asset // by the path requested: "/", "/sw.js", "/a/<version>/app.js"
}

func loadAssets(files fs.FS) *assets {
	var names []string
	body := map[string][]byte{}
	_ = fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, p)
			body[p], err = fs.ReadFile(files, p)
		}
		return err
	})
	slices.Sort(names)
	sum := sha256.New()
	for _, n := range names {
		if _, ok := templates[n]; !ok {
			sum.Write([]byte(n + "\x00"))
			sum.Write(body[n])
		}
	}
	a := &assets{version: hex.EncodeToString(sum.Sum(nil))[:12], byPath: map[string]*asset{}}
	shell := []string{"./", "manifest.webmanifest"}
	for _, n := range names {
		if _, ok := templates[n]; !ok {
			shell = append(shell, versioned+a.version+"/"+n)
		}
	}
	list, _ := json.Marshal(shell)
	for _, n := range names {
		if at, ok := templates[n]; ok {
			b := bytes.ReplaceAll(bytes.ReplaceAll(body[n], []byte("{v}"), []byte(a.version)), []byte("{shell}"), list)
			a.byPath[at] = newAsset(n, b, false)
		} else {
			a.byPath["/"+versioned+a.version+"/"+n] = newAsset(n, body[n], true)
		}
	}
	return a
}

func newAsset(name string, body []byte, immutable bool) *asset {
	ctype := mime.TypeByExtension(path.Ext(name))
	if path.Ext(name) == ".webmanifest" {
		ctype = "application/manifest+json"
	}
	if ctype == "" {
		ctype = http.DetectContentType(body)
	}
	sum := sha256.Sum256(body)
	a := &asset{body: body, ctype: ctype, etag: `"` + hex.EncodeToString(sum[:8]) + `"`, immutable: immutable}
	if slices.Contains(compressible, path.Ext(name)) {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		_, _ = zw.Write(body)
		_ = zw.Close()
		if buf.Len() < len(body) {
			a.gz = buf.Bytes()
		}
	}
	return a
}

// ServeHTTP answers with the file, compressed where the browser takes it, "not modified" where
// it has this version already.
func (a *asset) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", a.ctype)
	h.Set("ETag", a.etag)
	h.Set("Vary", "Accept-Encoding")
	if a.immutable {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	if inm := r.Header.Get("If-None-Match"); inm != "" && strings.Contains(inm, a.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := a.body
	if a.gz != nil && acceptsGzip(r.Header.Get("Accept-Encoding")) {
		h.Set("Content-Encoding", "gzip")
		body = a.gz
	}
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(body)
}

// acceptsGzip reads Accept-Encoding: gzip without q=0.
func acceptsGzip(header string) bool {
	for part := range strings.SplitSeq(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(name), "gzip") {
			q := strings.ReplaceAll(params, " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}

// fileServer serves the assets, read and compressed at the first request; anything else is 404.
func fileServer(files fs.FS) http.Handler {
	load := sync.OnceValue(func() *assets { return loadAssets(files) })
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if p == "/index.html" {
			p = "/"
		}
		if a, ok := load().byPath[p]; ok {
			a.ServeHTTP(w, r)
			return
		}
		http.NotFound(w, r)
	})
}
