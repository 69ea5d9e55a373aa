#!/bin/sh
# What the packages carry that is made from the source, not kept in it: the command line's
# shell completions and manual pages. The release build runs this first.
set -eu
cd "$(dirname "$0")/.."
out=packaging/generated
rm -rf "$out"
mkdir -p "$out/completions" "$out/man"
go build -o "$out/sprinklerctl" ./ctl
for sh in bash zsh fish; do
	"$out/sprinklerctl" completion "$sh" >"$out/completions/sprinklerctl.$sh"
done
"$out/sprinklerctl" man "$out/man"
gzip -9n "$out"/man/*.1
rm "$out/sprinklerctl"

# The copyright file: the binaries are static, so they hold every module they link, and each
# module's licence goes with them, read from the module itself.
heading() { printf '\n%s\n%s\n\n' "$1" "$(printf '%s' "$1" | tr -c '\n' '-')"; }
{
	cat packaging/copyright.head
	heading "The Go standard library ($(go env GOVERSION))"
	cat "$(go env GOROOT)/LICENSE"
	go list -deps -f '{{with .Module}}{{if not .Main}}{{.Path}} {{.Version}} {{.Dir}}{{end}}{{end}}' ./agent ./broker ./ctl |
		sort -u | while read -r path ver dir; do
			lic=$(ls "$dir" | grep -E -i -m1 '^(licen[cs]e|copying)(\.(md|txt))?$') ||
				{ echo "packaging: no licence file in $path $ver" >&2; exit 1; }
			heading "$path $ver"
			cat "$dir/$lic"
		done
	heading "mqtt.js, in the web page (agent/web/static/vendor)"
	cat agent/web/static/vendor/LICENSE*
} >"$out/copyright"
