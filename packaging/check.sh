#!/bin/sh
# The release as a user gets it, checked on this machine as root (.ci/run runs it; it needs
# goreleaser, help2man, lintian and systemd-analyze, which .ci/run installs): the snapshot
# build makes every artifact for every architecture; the amd64 package installs with apt as a
# person would, with its files, owners, modes, conffiles, user and unit; "sprinkler-agent init"
# answers from flags; the installed agent runs as the unit runs it and the installed
# sprinklerctl reaches it; the unit verifies; lintian finds no error in any package; removal
# drives the relays off and keeps the configuration and state, and purge takes them away.
#   sh packaging/check.sh          (run from the repository; leaves the artifacts in dist/)
set -eu
cd "$(dirname "$0")/.."
repo=$(pwd)
[ "$(id -u)" = 0 ] || { echo "packaging/check.sh installs a package: run it as root"; exit 2; }
if dpkg-query -W -f '${Status}' sprinkler 2>/dev/null | grep -q installed; then
	echo "a sprinkler package is installed already; purge it first (dpkg --purge sprinkler)"
	exit 2
fi

gpio_before=$(getent group gpio || true) # Raspberry Pi OS has one; a PC does not

failed=0
fail() { echo "  FAIL: $*"; failed=$((failed + 1)); }
ok() { echo "  ok: $*"; }
check() { # check DESCRIPTION COMMAND...
	d=$1
	shift
	if "$@" >/tmp/sprinkler-check.out 2>&1; then ok "$d"; else fail "$d"; sed 's/^/    /' /tmp/sprinkler-check.out | tail -5; fi
}
t0=$(date +%s)
phase() { echo "phase: $1 at $(($(date +%s) - t0)) s"; }

agent_pid=""
work=$(mktemp -d)
cleanup() {
	[ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

echo "== snapshot release"
goreleaser release --snapshot --clean >"$work/goreleaser.log" 2>&1 || { tail -30 "$work/goreleaser.log"; exit 1; }
phase "built"
version=$(sed -n 's/.*"version":"\([^"]*\)".*/\1/p' dist/metadata.json)
[ -n "$version" ] || { echo "no version in dist/metadata.json"; exit 1; }
echo "version $version"
for arch in amd64 arm64 armhf armel; do
	check "package for $arch" test -s "dist/sprinkler_${version}_${arch}.deb"
	check "package for $arch says $arch" sh -c "[ \"\$(dpkg-deb -f dist/sprinkler_${version}_${arch}.deb Architecture)\" = $arch ]"
done
# The binaries each package and tarball holds, for the CPU it names (Go's build record).
want_arch() { # want_arch FILE GOARCH [GOARM]
	info=$(go version -m "$1")
	echo "$info" | grep -q "build	GOARCH=$2\$" || return 1
	[ -z "${3:-}" ] || echo "$info" | grep -q "build	GOARM=$3\$" || return 1
	grep -q -a -F "$version" "$1" || return 1 # -trimpath keeps -ldflags out of the record
	echo "$info" | grep -q "build	CGO_ENABLED=0" || return 1
}
for t in amd64:amd64: arm64:arm64: armv5:arm:5 armv6:arm:6 armv7:arm:7; do
	name=${t%%:*} rest=${t#*:}
	tarball="dist/sprinkler_${version}_linux_${name}.tar.gz"
	check "tarball for $name" test -s "$tarball"
	mkdir -p "$work/tar/$name"
	tar -xzf "$tarball" -C "$work/tar/$name"
	for b in sprinkler-agent sprinkler-broker sprinklerctl; do
		check "$name tarball: $b static, for ${rest%%:*}${rest#*:}, stamped $version" want_arch "$work/tar/$name/$b" "${rest%%:*}" "${rest#*:}"
	done
done
for d in amd64:amd64: arm64:arm64: armhf:arm:6 armel:arm:5; do
	name=${d%%:*} rest=${d#*:}
	mkdir -p "$work/deb/$name"
	dpkg-deb -x "dist/sprinkler_${version}_${name}.deb" "$work/deb/$name"
	check "$name package: sprinkler-agent for ${rest%%:*}${rest#*:}" want_arch "$work/deb/$name/usr/bin/sprinkler-agent" "${rest%%:*}" "${rest#*:}"
done
check "checksums of every artifact" sh -c "cd dist && sha256sum -c checksums.txt && [ \$(wc -l <checksums.txt) -ge 9 ]"

echo "== lintian"
for deb in dist/*.deb; do
	lintian --tag-display-limit 0 "$deb" 2>&1 | grep -v 'running with root privileges' | tee "$work/lintian.out" || true
	check "lintian: no error in $(basename "$deb")" sh -c "! grep -q '^E:' $work/lintian.out"
done
phase "lintian"

echo "== install (apt, as a person would)"
deb="$repo/dist/sprinkler_${version}_amd64.deb"
DEBIAN_FRONTEND=noninteractive apt-get install -y "$deb" >"$work/install.log" 2>&1 || { cat "$work/install.log"; exit 1; }
grep '^sprinkler:' "$work/install.log" || true
mode() { stat -c '%a %U:%G' "$1"; }
for f in /usr/bin/sprinkler-agent /usr/bin/sprinkler-broker /usr/bin/sprinklerctl; do
	check "$f 755 root:root" sh -c "[ \"\$(stat -c '%a %U:%G' $f)\" = '755 root:root' ]"
done
for f in /lib/systemd/system/sprinkler-agent.service \
	/lib/udev/rules.d/60-sprinkler-gpio.rules /usr/share/bash-completion/completions/sprinklerctl \
	/usr/share/zsh/vendor-completions/_sprinklerctl /usr/share/fish/vendor_completions.d/sprinklerctl.fish \
	/usr/share/man/man1/sprinklerctl.1.gz /usr/share/man/man1/sprinkler-agent.1.gz /usr/share/man/man1/sprinkler-broker.1.gz \
	/usr/share/doc/sprinkler/copyright /usr/share/doc/sprinkler/changelog.gz /usr/share/doc/sprinkler/README.md \
	/usr/share/doc/sprinkler/weather.md /usr/share/doc/sprinkler/examples/agent-weather.yaml \
	/usr/share/doc/sprinkler/examples/home-assistant-weather.yaml /usr/share/doc/sprinkler/examples/home-assistant.md \
	/usr/share/doc/sprinkler/examples/profiles-examples.yaml /usr/share/doc/sprinkler/examples/profiles-original.yml \
	/usr/share/doc/sprinkler/examples/node-red-flow.json /usr/share/doc/sprinkler/examples/mosquitto-bridge.conf; do
	check "$f 644 root:root" sh -c "[ \"\$(stat -c '%a %U:%G' $f)\" = '644 root:root' ]"
done
check "the installed comments name installed paths" sh -c "grep -q /usr/share/doc/sprinkler/examples/ /etc/sprinkler/agent.yaml &&
	grep -q /usr/share/doc/sprinkler/examples/ /etc/sprinkler/profiles.yaml && ! grep -rq \"state_attr('weather\" /usr/share/doc/sprinkler/"
check "conffiles: agent.yaml and profiles.yaml" sh -c "dpkg-query -W -f '\${Conffiles}' sprinkler | grep -q ' /etc/sprinkler/agent.yaml ' &&
	dpkg-query -W -f '\${Conffiles}' sprinkler | grep -q ' /etc/sprinkler/profiles.yaml '"
check "user sprinkler: a system user in groups sprinkler and gpio" sh -c \
	"[ \$(id -u sprinkler) -lt 1000 ] && id -nG sprinkler | tr ' ' '\n' | grep -qx gpio && id -nG sprinkler | tr ' ' '\n' | grep -qx sprinkler"
agents_files() { # what postinst says: the folder its group's, the files the agent rewrites its own
	[ "$(mode /etc/sprinkler)" = '775 root:sprinkler' ] && [ "$(mode /etc/sprinkler/agent.yaml)" = '644 sprinkler:sprinkler' ] &&
		[ "$(mode /etc/sprinkler/profiles.yaml)" = '644 sprinkler:sprinkler' ] &&
		{ ! [ -e /etc/sprinkler/users.yaml ] || [ "$(mode /etc/sprinkler/users.yaml)" = '600 sprinkler:sprinkler' ]; }
}
check "/etc/sprinkler 775 root:sprinkler; agent.yaml and profiles.yaml 644 sprinkler:sprinkler (edited over MQTT)" agents_files
check "/var/lib/sprinkler 700 sprinkler:sprinkler" sh -c "[ \"\$(stat -c '%a %U:%G' /var/lib/sprinkler)\" = '700 sprinkler:sprinkler' ]"
check "unit enabled, not started" test -L /etc/systemd/system/multi-user.target.wants/sprinkler-agent.service
check "sprinklerctl --version is the package's" sh -c "sprinklerctl --version | grep -qF '$version'"
check "sprinkler-agent --version is the package's" sh -c "sprinkler-agent --version | grep -qF '$version'"
check "man sprinkler-agent" sh -c "man -w sprinkler-agent && man -w sprinklerctl-open"
check "bash completes sprinklerctl" bash -c ". /usr/share/bash-completion/completions/sprinklerctl && complete -p sprinklerctl"
check "systemd-analyze verify" systemd-analyze verify /lib/systemd/system/sprinkler-agent.service
phase "installed"

echo "== sprinkler-agent init, non-interactively"
printf 'ci-admin-password\n' >"$work/pw"
chmod 600 "$work/pw"
(cd / && sprinkler-agent init --yes --id ci-garden --zone 1=Lawn --lan --admin-user admin \
	--admin-password-file "$work/pw" --latitude 52.52 --longitude 13.40 --timezone Europe/Berlin \
	--program "1,2 mon,thu 06:00 6m") | tee "$work/init.out"
check "init named the next commands" grep -q "sudo systemctl restart sprinkler-agent" "$work/init.out"
check "init wrote the answers" sh -c "grep -q '^  id: ci-garden' /etc/sprinkler/agent.yaml && grep -q 'name: Lawn' /etc/sprinkler/agent.yaml"
check "init wrote the first program" grep -q 'active: garden' /etc/sprinkler/profiles.yaml
users_written() { [ -e /etc/sprinkler/users.yaml ] && agents_files; }
check "init kept the files' owners and modes; users.yaml 600 sprinkler:sprinkler" users_written
check "the password is nowhere in the files" sh -c "! grep -r ci-admin-password /etc/sprinkler"
check "a reinstall keeps the edited configuration" sh -c \
	"DEBIAN_FRONTEND=noninteractive apt-get install -y --reinstall '$deb' >/dev/null 2>&1 && grep -q '^  id: ci-garden' /etc/sprinkler/agent.yaml"
phase "init"

echo "== the agent as its unit starts it"
unit=/lib/systemd/system/sprinkler-agent.service
start=$(sed -n 's/^ExecStart=//p' $unit)
stop=$(sed -n 's/^ExecStopPost=//p' $unit)
user=$(sed -n 's/^User=//p' $unit)
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1]);s.close()' 2>/dev/null ||
	echo $((20000 + $$ % 20000 + $1)); }
mqtt=$(free_port 1)
web=$(free_port 2)
# The ports as a drop-in's Environment= would move them, so that nothing on this machine
# stands in the way; everything else is the unit's: its user and groups, its command line,
# its StateDirectory. setpriv and env exec what follows, so $! is the agent itself.
as_unit() { setpriv --reuid="$user" --regid="$user" --init-groups -- env STATE_DIRECTORY=/var/lib/sprinkler "$@"; }
# start_agent LOG starts the installed agent as its unit would, and waits until it answers.
start_agent() {
	(cd / && exec setpriv --reuid="$user" --regid="$user" --init-groups -- env STATE_DIRECTORY=/var/lib/sprinkler \
		SPRINKLER_BROKER_LISTEN="127.0.0.1:$mqtt" SPRINKLER_WEB_LISTEN="127.0.0.1:$web" $start) >"$1" 2>&1 &
	agent_pid=$!
	i=0
	until ctl status >/dev/null 2>&1; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 "$agent_pid" 2>/dev/null; then cat "$1"; break; fi
		sleep 0.1 # the agent tells nothing else outside that it is ready
	done
}
# stop_agent stops it as systemd does, and reports how it ended.
stop_agent() {
	kill -TERM "$agent_pid"
	wait "$agent_pid" && ok "SIGTERM: exit 0" || fail "SIGTERM: exit $?"
	agent_pid=""
}
ctl() { timeout 20 sprinklerctl --broker "tcp://127.0.0.1:$mqtt" --username admin --password-file "$work/pw" "$@"; }
cd "$repo"
start_agent "$work/agent.log"
check "installed sprinklerctl reaches the installed agent as admin" ctl status
check "its version is the package's" sh -c "timeout 20 sprinklerctl --broker tcp://127.0.0.1:$mqtt --username admin --password-file $work/pw version | awk '\$1 == \"agent\" { print \$2 }' | grep -qxF '$version'"
check "zone 1 is Lawn, the init answer" sh -c "timeout 20 sprinklerctl --broker tcp://127.0.0.1:$mqtt --username admin --password-file $work/pw status | grep -q Lawn"
check "init's first program is the schedule, not the shipped example" sh -c \
	"timeout 20 sprinklerctl --broker tcp://127.0.0.1:$mqtt --username admin --password-file $work/pw profile | grep -q garden &&
	! grep -q summer /etc/sprinkler/profiles.yaml"
check "open 1 as admin" ctl open 1 --for 1m
check "close all" ctl close all
edit_program() {
	ctl program show garden | sed 's/for: 6m/for: 7m/' >"$work/garden.yaml" &&
		ctl program apply -f "$work/garden.yaml" && grep -q 'for: 7m' /etc/sprinkler/profiles.yaml &&
		[ -f /var/lib/sprinkler/programs/versions.json ] && ctl program history | grep -q 'put garden'
}
check "a program edited with the installed sprinklerctl is written by the agent's user" edit_program
zone_set_keeps_owners() { ctl zone set 2 --name Roses >/dev/null && grep -q 'name: Roses' /etc/sprinkler/agent.yaml && agents_files; }
check "zone set: agent.yaml rewritten by the agent, owners and mode as postinst set them" zone_set_keeps_owners
printf 'ci-assistant-password\n' >"$work/ha-pw"
chmod 600 "$work/ha-pw"
user_add() {
	ctl user add hass --role homeassistant <"$work/ha-pw" >/dev/null && agents_files &&
		timeout 20 sprinklerctl --broker "tcp://127.0.0.1:$mqtt" --username hass --password-file "$work/ha-pw" status >/dev/null &&
		! grep -rq ci-assistant-password /etc/sprinkler /var/lib/sprinkler
}
check "user add: Home Assistant's user logs in at once; the users file stays the agent's, no password in any file" user_add
check "a wrong password is refused" sh -c "! timeout 20 sprinklerctl --broker tcp://127.0.0.1:$mqtt --username admin --password-file /etc/hostname status"
runs_as_unit() {
	grep -q "^Uid:	$(id -u "$user")	" /proc/$agent_pid/status &&
		grep -q "^Gid:	$(id -g "$user")	" /proc/$agent_pid/status &&
		grep '^Groups:' /proc/$agent_pid/status | grep -qw "$(getent group gpio | cut -d: -f3)"
}
check "the agent runs as $user, in gpio" runs_as_unit
check "its state and log in /var/lib/sprinkler, owned by $user" sh -c "[ \"\$(stat -c %U /var/lib/sprinkler/agent.log)\" = $user ]"
stop_agent
# ExecStopPost: --all-off drives every line off; on a machine without relays it says so and
# succeeds, so that stopping reports no failure (the relay driver on a real kernel is
# test/kernel's part).
if [ -e /dev/gpiochip0 ]; then
	check "ExecStopPost (--all-off) as $user" as_unit $stop
else
	no_relays() { as_unit $stop >"$work/stop.out" 2>&1 && grep -q 'no relays on this machine' "$work/stop.out"; }
	check "ExecStopPost (--all-off) as $user: exit 0, and says this machine has no relays" no_relays
fi
phase "ran"

echo "== remove, then purge"
DEBIAN_FRONTEND=noninteractive apt-get remove -y sprinkler >"$work/remove.log" 2>&1 || { cat "$work/remove.log"; exit 1; }
check "removal ran --all-off, and told no failure" sh -c "grep -E -q 'every relay is off|no relays on this machine' $work/remove.log && ! grep -q failed $work/remove.log"
check "removal took the programs" sh -c "! test -e /usr/bin/sprinkler-agent && ! test -e /usr/bin/sprinklerctl"
check "removal kept the configuration" sh -c "grep -q ci-garden /etc/sprinkler/agent.yaml && test -f /etc/sprinkler/users.yaml"
check "removal kept the state" test -f /var/lib/sprinkler/agent.log
dpkg --purge sprinkler >"$work/purge.log" 2>&1 || { cat "$work/purge.log"; exit 1; }
check "purge took /etc/sprinkler" sh -c "! test -e /etc/sprinkler"
check "purge took /var/lib/sprinkler" sh -c "! test -e /var/lib/sprinkler"
check "purge took the unit's enablement" sh -c "! test -e /etc/systemd/system/multi-user.target.wants/sprinkler-agent.service"
check "dpkg knows no sprinkler any more" sh -c "! dpkg -s sprinkler"
if [ -z "$gpio_before" ]; then
	check "purge took the gpio group the package made" sh -c "! getent group gpio"
else
	check "purge kept the gpio group the system had" getent group gpio
fi
echo "left on purpose: the system user sprinkler ($(id sprinkler)), as Debian keeps system users"
phase "purged"

echo "== upgrade: an older release installed and used, this one installed over it"
# The older release is built from its commit, as it was released: its own binaries, scripts
# and configuration, and its own file formats (from before formats were written: format 0),
# stamped with a lower version. Without that commit in this clone (a shallow one), this
# release is repacked under a lower version instead: the scripts' part of an upgrade, without
# the formats' part.
old_commit=${SPRINKLER_UPGRADE_FROM:-02afa8d879120336627738494857b872d06a9230}
old_deb="$work/old.deb"
if git cat-file -e "$old_commit^{commit}" 2>/dev/null; then
	git worktree add -q --detach "$work/old" "$old_commit"
	(cd "$work/old" && goreleaser release --snapshot --clean >"$work/old-goreleaser.log" 2>&1) || { tail -30 "$work/old-goreleaser.log"; exit 1; }
	cp "$work/old/dist/"sprinkler_*_amd64.deb "$work/old-built.deb"
	git worktree remove --force "$work/old"
	from="commit $(git rev-parse --short "$old_commit")"
else
	echo "WARNING: commit $old_commit is not in this clone: the older release is this one repacked"
	cp "$deb" "$work/old-built.deb"
	from="this release repacked"
fi
dpkg-deb -R "$work/old-built.deb" "$work/old-pkg"
old_version="0.0.0+old"
sed -i "s/^Version: .*/Version: $old_version/" "$work/old-pkg/DEBIAN/control"
dpkg-deb -b "$work/old-pkg" "$old_deb" >/dev/null
check "the older package ($from) is older than $version" dpkg --compare-versions "$old_version" lt "$version"
DEBIAN_FRONTEND=noninteractive apt-get install -y "$old_deb" >"$work/old-install.log" 2>&1 || { cat "$work/old-install.log"; exit 1; }
(cd / && sprinkler-agent init --yes --id ci-garden --zone 1=Lawn --lan --admin-user admin \
	--admin-password-file "$work/pw" --latitude 52.52 --longitude 13.40 --timezone Europe/Berlin \
	--program "1,2 mon,thu 06:00 6m") >"$work/old-init.out"
# A viewer the way that release's documentation adds one: a hash in the users file.
printf 'ci-viewer-password\n' >"$work/viewer-pw"
chmod 600 "$work/viewer-pw"
printf '  - name: neighbour\n    hash: "%s"\n    role: viewer\n' "$(sprinkler-broker hash <"$work/viewer-pw")" >>/etc/sprinkler/users.yaml
start_agent "$work/old-agent.log"
use_old() {
	ctl program show garden | sed 's/for: 6m/for: 9m/' >"$work/garden.yaml" && ctl program apply -f "$work/garden.yaml" >/dev/null &&
		ctl zone set 2 --name Roses >/dev/null && ctl rain-delay 48 >/dev/null && ctl water-level 70 >/dev/null &&
		ctl open 3 --for 1m >/dev/null && ctl close 3 >/dev/null && ctl run-once 1:10m 2:10m >/dev/null &&
		ctl status | grep -q queued
}
check "the older release in use: a program edited, a zone renamed, rain delay, water level, a run, a queued run" use_old
signin=$(curl -s -H 'Content-Type: application/json' -d '{"user":"admin","password":"ci-admin-password"}' "http://127.0.0.1:$web/signin")
token=$(printf '%s' "$signin" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
check "the older release's page signs the admin in" test -n "$token"
old_agent=$agent_pid
# dpkg as apt runs it for an unattended upgrade; systemd is asked through its helpers, which
# are recorded here (on a machine without systemd the scripts would not ask), and the restart
# is done as systemd does it: the old process stopped, the new one started.
mkdir -p "$work/shim"
for tool in deb-systemd-invoke systemctl; do
	printf '#!/bin/sh\necho "%s $*" >>"%s"\n' "$tool" "$work/systemd.calls" >"$work/shim/$tool"
	chmod +x "$work/shim/$tool"
done
made_run=""
[ -d /run/systemd/system ] || { mkdir -p /run/systemd/system && made_run=yes; }
DEBIAN_FRONTEND=noninteractive apt-get install -y -o "DPkg::Path=$work/shim:/usr/sbin:/usr/bin:/sbin:/bin" \
	-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$deb" >"$work/upgrade.log" 2>&1 || { cat "$work/upgrade.log"; exit 1; }
[ -z "$made_run" ] || rmdir /run/systemd/system
check "the upgrade asked systemd to restart the agent" grep -q 'deb-systemd-invoke try-restart sprinkler-agent.service' "$work/systemd.calls"
check "the upgrade told no failure" sh -c "! grep -Eqi 'error|failed' $work/upgrade.log"
agent_pid=$old_agent
stop_agent
start_agent "$work/new-agent.log"
restarted() { ctl version | awk '$1 == "agent" { print $2 }' | grep -qxF "$version"; }
check "the agent restarted on $version" restarted
as_user() { # as_user NAME PASSWORD-FILE ARGS...: sprinklerctl as another user
	n=$1 pf=$2
	shift 2
	timeout 20 sprinklerctl --broker "tcp://127.0.0.1:$mqtt" --username "$n" --password-file "$pf" "$@"
}
program_kept() { grep -q 'for: 9m' /etc/sprinkler/profiles.yaml && ctl program history | grep -q 'put garden'; }
check "kept: the program edited over MQTT, and its versions" program_kept
zone_kept() { grep -q 'name: Roses' /etc/sprinkler/agent.yaml && ctl config history | grep -q Roses; }
check "kept: the zone renamed over MQTT, and the configuration's versions" zone_kept
settings_kept() {
	ctl profile --json >"$work/profile.out" && grep -E '"water_level": *70' "$work/profile.out" && grep '"rain_delay_until"' "$work/profile.out" ||
		{ cat "$work/profile.out"; false; }
}
check "kept: rain delay and water level" settings_kept
history_kept() { ctl history | grep -w closed && ctl history | grep -w shutdown; }
check "kept: the history, with the run the restart ended (shutdown)" history_kept
check "kept: the viewer added by hand" as_user neighbour "$work/viewer-pw" status
printf '%s\n' "$token" >"$work/token"
chmod 600 "$work/token"
check "kept: the page's sign-in" as_user admin "$work/token" whoami
formats() {
	grep '"format": 1' /var/lib/sprinkler/state.json && head -1 /var/lib/sprinkler/history.jsonl | grep -x '{"format":1}' &&
		ctl program show garden | sed 's/for: 9m/for: 8m/' >"$work/garden.yaml" && ctl program apply -f "$work/garden.yaml" >/dev/null &&
		grep '"format": 1' /var/lib/sprinkler/programs/versions.json && ctl program history | grep -c 'put garden' | grep -qx 2
}
check "brought forward to this release's formats: the state and history at the start, the versions with the next change" formats
check "the files the agent rewrites are its own after the upgrade" agents_files
user_add_upgraded() { ctl user add helper --role operator <"$work/ha-pw" >/dev/null && ctl user list | grep -q neighbour; }
check "user add on the upgraded install" user_add_upgraded
stop_agent
dpkg --purge sprinkler >"$work/purge2.log" 2>&1 || { cat "$work/purge2.log"; exit 1; }
phase "upgraded"

echo "package checks: $failed failed"
[ "$failed" = 0 ]
