package server

import (
	"net"
	"os"
	"slices"
	"strings"
)

// AllowedHost reports whether an HTTP Host header names this machine: an IP address,
// localhost, the machine's host name (also under .local), or one of names. A page that a DNS
// rebinding attack points at this machine sends the attacker's own name, which none of these
// is, so a browser on the Pi cannot be made to reach the page or the broker for another site.
func AllowedHost(host string, names []string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(strings.Trim(host, "[]"), "."))
	if host == "" {
		return false
	}
	if net.ParseIP(host) != nil || host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	if me, err := os.Hostname(); err == nil {
		me = strings.ToLower(me)
		if host == me || host == me+".local" {
			return true
		}
	}
	return slices.ContainsFunc(names, func(n string) bool { return strings.EqualFold(n, host) })
}
