#!/bin/bash
# A first week on the installed package, as a person types it, printed as a transcript: install,
# init with 4 zones and a first program, Home Assistant's user, a viewer added without YAML, a
# program edit that meets another's save, a few runs, an upgrade to a newer package (this source
# stamped 0.0.2), remove and purge. Run as root on a machine without the package; the agent is
# started with the unit's own command line, user and groups (there may be no systemd).
#   bash packaging/first-week.sh dist/sprinkler_VERSION_amd64.deb [SOURCE]   (after goreleaser)
set -u
deb=$1
SRC=${2:-$(cd "$(dirname "$0")/.." && pwd)}
work=$(mktemp -d)
export PATH=$PATH:/usr/sbin:/sbin
say() { printf '\n# %s\n' "$*"; }
run() { printf '$ %s\n' "$*"; bash -c "$*" 2>&1 | sed 's/^/  /'; }
unit=/lib/systemd/system/sprinkler-agent.service
mqtt=18883 web=18088
agent_pid=""
start_agent() {
	start=$(sed -n 's/^ExecStart=//p' $unit)
	(cd / && exec setpriv --reuid=sprinkler --regid=sprinkler --init-groups -- env STATE_DIRECTORY=/var/lib/sprinkler \
		SPRINKLER_BROKER_LISTEN="0.0.0.0:$mqtt" SPRINKLER_WEB_LISTEN="0.0.0.0:$web" $start) >>"$work/agent.log" 2>&1 &
	agent_pid=$!
	for i in $(seq 100); do sprinklerctl --broker tcp://127.0.0.1:$mqtt --username admin --password-file "$work/admin" status >/dev/null 2>&1 && return; sleep 0.1; done
}
stop_agent() { kill -TERM $agent_pid; wait $agent_pid; agent_pid=""; }
trap '[ -n "$agent_pid" ] && kill $agent_pid; rm -rf "$work"' EXIT

say "Day 1: install the package and answer init's questions (4 zones, a first program, the network, Home Assistant's user)"
cp "$deb" "$work/"
run "apt-get install -y $work/$(basename "$deb") 2>&1 | grep -E '^sprinkler:|Setting up sprinkler'"
printf 'tulip-and-leek\n' >"$work/admin"; printf 'assistant-secret\n' >"$work/ha"; chmod 600 "$work/admin" "$work/ha"
answers='garden\n4\ngpio\nLawn\n\nRoses\n\nHedge\n\nVegetables\n\n\ny\nadmin\n\nhass\n52.52\n13.40\nEurope/Berlin\n1,2,4\nmon,thu\n06:00\n12m\n'
printf '$ sudo sprinkler-agent init   (answers typed: garden, 4, gpio, Lawn, Roses, Hedge, Vegetables, lines as offered, y, admin, hass, 52.52, 13.40, Europe/Berlin, 1,2,4, mon,thu, 06:00, 12m)\n'
printf "$answers" | (cd / && sprinkler-agent init --admin-password-file "$work/admin" --ha-password-file "$work/ha") 2>&1 | sed -n '/Wrote/,$p' | sed 's/^.*Wrote/Wrote/; s/^/  /'
say "(no systemd here: the unit's ExecStart, as its user)"
start_agent
export SPRINKLER_BROKER=tcp://127.0.0.1:$mqtt SPRINKLER_USERNAME=admin SPRINKLER_PASSWORD_FILE=$work/admin
run "sprinklerctl status"
run "sprinklerctl next --hours 100"
say "Day 2: Home Assistant's user logs in; a neighbour gets a viewer's login, without YAML"
run "sprinklerctl --username hass --password-file $work/ha whoami"
printf 'neighbour-pass\n' >"$work/nb"
run "sprinklerctl user add neighbour --role viewer < $work/nb"
run "sprinklerctl user list"
run "sprinklerctl user remove admin"
say "Day 3: a program edit that meets a conflict (alice saves from the page while the editor is open)"
cat >"$work/editor" <<EOF
#!/bin/sh
n=\$(cat $work/editor.count 2>/dev/null || echo 0); echo \$((n+1)) >$work/editor.count
if [ "\$n" = 0 ]; then
	sprinklerctl program show garden | sed 's/for: 12m/for: 15m/' >$work/alice.yaml
	sprinklerctl program apply -f $work/alice.yaml >/dev/null   # alice, meanwhile
	sed -i 's/06:00/05:30/' "\$1"                                  # our edit
else
	echo "---- the editor opens again with: ----"; cat "\$1"; echo "---- saved as it is ----"
fi
EOF
chmod +x "$work/editor"
run "EDITOR=$work/editor sprinklerctl program edit garden"
run "sprinklerctl program show garden | grep -E 'at|for'"
say "Days 4-6: it waters; the history and the logs read as a person reads them"
run "sprinklerctl open 3 --for 1m && sprinklerctl close 3 && sprinklerctl history"
run "sprinklerctl logs --lines 4"
say "Day 7: a newer package arrives (this source stamped with a higher version; packaging/check.sh upgrades a real older release)"
newer=$(dpkg-deb -f "$deb" Version | sed 's/^0\.0\.1/0.0.2/')
dpkg-deb -R "$deb" "$work/pkg"; sed -i "s/^Version: .*/Version: $newer/" "$work/pkg/DEBIAN/control"
for p in agent:sprinkler-agent broker:sprinkler-broker ctl:sprinklerctl; do
	(cd "$SRC" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X sprinkler/version.Version=$newer" -o "$work/pkg/usr/bin/${p#*:}" ./${p%%:*})
done
dpkg-deb -b "$work/pkg" "$work/newer.deb" >/dev/null
run "apt-get install -y -o Dpkg::Options::=--force-confold $work/newer.deb 2>&1 | grep -E 'Unpacking|Setting up sprinkler'"
stop_agent; start_agent
run "sprinklerctl version"
run "sprinklerctl user list && sprinklerctl program history | tail -3 && sprinklerctl history | tail -2"
say "start-up: sprinklerctl status against mosquitto_sub reading one retained message, 20 paired runs"
for i in $(seq 20); do
	a=$(date +%s%N); sprinklerctl status >/dev/null; b=$(date +%s%N)
	mosquitto_sub -h 127.0.0.1 -p $mqtt -u hass -P assistant-secret -t sprinkler/garden/status -C 1 >/dev/null; c=$(date +%s%N)
	echo "$(( (b-a)/1000 )) $(( (c-b)/1000 ))"
done >"$work/times"
med() { cut -d' ' -f$1 "$work/times" | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]/1000}'; }
echo "  sprinklerctl status: median $(med 1) ms; mosquitto_sub: median $(med 2) ms"
say "Leaving: remove, then purge"
stop_agent
run "apt-get remove -y sprinkler 2>&1 | grep -iE 'relay|Removing'"
run "dpkg --purge sprinkler 2>&1 | tail -2; ls /etc/sprinkler 2>&1"
