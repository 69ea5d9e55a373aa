#!/bin/sh
# What the packages carry that is made from the source, not kept in it: shell completions,
# manual pages, the changelog and the copyright file. The release build runs it first, with
# the version it stamps:  sh packaging/generate.sh 1.2.3
set -eu
cd "$(dirname "$0")/.."
version=${1:?usage: generate.sh VERSION}
out=packaging/generated
rm -rf "$out"
mkdir -p "$out/completions" "$out/man" "$out/bin"
go build -o "$out/bin/" ./agent ./broker ./ctl
mv "$out/bin/agent" "$out/bin/sprinkler-agent"
mv "$out/bin/broker" "$out/bin/sprinkler-broker"
mv "$out/bin/ctl" "$out/bin/sprinklerctl"

for sh in bash zsh fish; do
	"$out/bin/sprinklerctl" completion "$sh" >"$out/completions/sprinklerctl.$sh"
done
go run ./ctl/mangen "$out/man" # the writers stay out of sprinklerctl: they cost it at every start
# The agent's and broker's pages are their --help, by help2man; init's flags go with the agent.
{
	printf '[INIT FLAGS]\n.nf\n'
	"$out/bin/sprinkler-agent" init --help | sed '1,/^Flags:/d'
	printf '.fi\n[SEE ALSO]\nsprinklerctl(1), sprinkler-broker(1), /usr/share/doc/sprinkler/\n'
} >"$out/agent.h2m"
help2man --no-info --section 1 --version-string "$version" --include "$out/agent.h2m" \
	--name "irrigation controller agent for a Raspberry Pi, spoken to over MQTT" \
	"$out/bin/sprinkler-agent" >"$out/man/sprinkler-agent.1"
help2man --no-info --section 1 --version-string "$version" \
	--name "the sprinkler MQTT broker on its own" \
	"$out/bin/sprinkler-broker" >"$out/man/sprinkler-broker.1"
gzip -9n "$out"/man/*.1
rm -r "$out/bin" "$out/agent.h2m"

# A Debian changelog of one entry: this build, dated by its commit.
{
	printf 'sprinkler (%s) stable; urgency=medium\n\n' "$version"
	printf '  * Release %s, from commit %s.\n' "$version" "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
	printf '    See /usr/share/doc/sprinkler/README.md.\n\n'
	printf ' -- sprinkler maintainers <maintainers@sprinkler.invalid>  %s\n' \
		"$(date -u -R -d "@$(git log -1 --format=%ct 2>/dev/null || date +%s)")"
} | gzip -9n >"$out/changelog.gz"

# The copyright file: the binaries are static, so they hold every module they link, and each
# module's licence goes with them, read from the module itself.
# common prints a licence; one that Debian keeps in /usr/share/common-licenses is named there
# instead, with the module's NOTICE, if it has one.
common() {
	for l in Apache-2.0:'Apache License' MPL-2.0:'Mozilla Public License Version 2.0'; do
		if grep -q "${l#*:}" "$1"; then
			printf 'Licensed under the %s licence: /usr/share/common-licenses/%s\n' "${l%%:*}" "${l%%:*}"
			if [ -f "$(dirname "$1")/NOTICE" ]; then printf '\n'; cat "$(dirname "$1")/NOTICE"; fi
			return
		fi
	done
	cat "$1"
}
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
			common "$dir/$lic"
		done
} >"$out/copyright"
