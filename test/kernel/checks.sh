# The checks, sourced by guest.sh. Every level is read from gpio-sim's sysfs, outside the agent.
FAILED=0
fail() { echo "FAIL: $*"; FAILED=$((FAILED + 1)); }
pass() { echo "ok: $*"; }
SIM=/sys/kernel/config/gpio-sim
LINES="5 6 13 16 19 20 21 26"

mkchip() { # name label lines
	mkdir -p $SIM/$1/gpio-bank0
	echo "$2" >$SIM/$1/gpio-bank0/label
	echo "$3" >$SIM/$1/gpio-bank0/num_lines
	echo 1 >$SIM/$1/live
}
# chipinfo reads where the Pi's chip is now: its device, its name and its first gpio number.
chipinfo() {
	DEV=$(cat $SIM/pi/dev_name)
	CHIP=$(cat $SIM/pi/gpio-bank0/chip_name)
	BASE=$(sed -n "s/^$CHIP: GPIOs \([0-9]*\)-.*/\1/p" /sys/kernel/debug/gpio)
}
mkchip other not-the-pi 8 # so the Pi's chip is not gpiochip0
mkchip pi pinctrl-bcm2835 54
chipinfo
echo "pi chip: $CHIP ($DEV), base $BASE"
level() { cat /sys/devices/platform/$DEV/$CHIP/sim_gpio$1/value; }
# await LINE LEVEL: waits up to 5 s for the line to read the level.
await() {
	for i in $(seq 100); do
		[ "$(level $1)" = $2 ] && return 0
		sleep 0.05
	done
	return 1
}
levels() { for l in $LINES; do printf '%s=%s ' $l "$(level $l)"; done; }

TRACE=/sys/kernel/tracing
echo 1 >$TRACE/events/gpio/enable
: >$TRACE/trace

hostname garden
CTL="/bin/ctl --broker tcp://127.0.0.1:1883 --agent garden --timeout 5s"
start_agent() {
	/bin/agent --config "${CONFIG:-/etc/sprinkler/agent.yaml}" >>/tmp/agent.log 2>&1 &
	AGENT=$!
	for i in $(seq 100); do
		$CTL status >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# 1. start-up: every line OFF (high, active low), set before its direction.
start_agent || fail "agent did not start: $(tail -5 /tmp/agent.log)"
echo "levels after start: $(levels)"
for l in $LINES; do [ "$(level $l)" = 1 ] || fail "start-up: line $l is $(level $l), want 1 (off)"; done
events() { grep -E "gpio_(value|direction)" $TRACE/trace | sed 's/^.*: gpio_/gpio_/'; }
gpio() { echo $((BASE + $1)); }
for l in $LINES; do
	first=$(events | grep " $(gpio $l) " | head -2 | tr '\n' ' ')
	case "$first" in
	"gpio_value: $(gpio $l) set 1 gpio_direction: $(gpio $l) out (0) ") ;;
	*) fail "start-up: line $l began with: $first" ;;
	esac
done
events | grep -q "set 0" && fail "start-up: a line was driven on: $(events | grep 'set 0' | head -3)"
echo "start-up trace, line 5: $(events | grep " $(gpio 5) " | tr '\n' ';')"
: >$TRACE/trace

# 1b. Active high: OFF is low, set before the direction too.
kill -TERM $AGENT; wait $AGENT
: >$TRACE/trace
SPRINKLER_RELAYS_ACTIVE_LOW=false start_agent || fail "active high: agent did not start"
for l in $LINES; do
	[ "$(level $l)" = 0 ] || fail "active high: line $l is $(level $l), want 0 (off)"
	first=$(events | grep " $(gpio $l) " | head -2 | tr '\n' ' ')
	[ "$first" = "gpio_value: $(gpio $l) set 0 gpio_direction: $(gpio $l) out (0) " ] || fail "active high: line $l began with: $first"
done
events | grep -q "set 1" && fail "active high: a line was driven on"
echo "active high, levels after start: $(levels)"
kill -TERM $AGENT; wait $AGENT
start_agent || fail "agent did not restart"
: >$TRACE/trace

# 2. open drives exactly the zone's line.
$CTL open 3 --for 2m >/dev/null || fail "ctl open 3"
await 13 0
echo "levels with zone 3 open: $(levels)"
for l in $LINES; do
	want=1; [ $l = 13 ] && want=0
	[ "$(level $l)" = $want ] || fail "open 3: line $l is $(level $l), want $want"
done
$CTL close 3 >/dev/null || fail "ctl close 3"
await 13 1
[ "$(level 13)" = 1 ] || fail "close 3: line 13 is $(level 13)"

# 3. SIGTERM with zones open: every line off, then released; exit 0.
$CTL open 1 2 --for 2m >/dev/null; await 5 0; await 6 0
echo "levels with 1 and 2 open: $(levels)"
: >$TRACE/trace
kill -TERM $AGENT; wait $AGENT; rc=$?
[ $rc = 0 ] || fail "SIGTERM: exit $rc"
echo "levels after SIGTERM: $(levels)"
grep -q sprinkler /sys/kernel/debug/gpio && fail "SIGTERM: lines still held: $(grep sprinkler /sys/kernel/debug/gpio)"
echo "SIGTERM trace: $(events | tr '\n' ';')"
events | grep -q "set 0" && fail "SIGTERM: a line was driven on"
: >$TRACE/trace

# 4. SIGKILL with zones open, then --all-off, then a restart.
start_agent || fail "agent did not restart"
$CTL open 1 2 --for 10m >/dev/null || fail "ctl open 1 2"
await 5 0; await 6 0
kill -KILL $AGENT; wait $AGENT
echo "levels after SIGKILL (released lines read the simulator's pull-down): $(levels)"
: >$TRACE/trace
/bin/agent --config /etc/sprinkler/agent.yaml --all-off >/tmp/alloff.log 2>&1 || fail "--all-off: exit $?: $(cat /tmp/alloff.log)"
echo "--all-off trace: $(events | tr '\n' ';')"
[ "$(events | grep -c 'set 1')" -ge 8 ] || fail "--all-off did not drive every line off"
events | grep -q "set 0" && fail "--all-off drove a line on"
: >$TRACE/trace
start_agent || fail "agent did not start after the kill"
await 5 0; await 6 0
echo "levels after the restart: $(levels)"
for l in $LINES; do
	want=1; case $l in 5 | 6) want=0 ;; esac
	[ "$(level $l)" = $want ] || fail "restart: line $l is $(level $l), want $want (zones 1 and 2 resume)"
done
for l in $LINES; do
	[ "$(events | grep " $(gpio $l) " | head -1)" = "gpio_value: $(gpio $l) set 1" ] || fail "restart: line $l not driven off first"
done
$CTL close 1 2 >/dev/null

# 5. A line held by another consumer (a second agent): a clear error naming the line.
SPRINKLER_BROKER_LISTEN=127.0.0.1:1884 SPRINKLER_WEB_LISTEN= SPRINKLER_STATE_DIR=/tmp/second \
	/bin/agent --config /etc/sprinkler/agent.yaml >/tmp/second.log 2>&1 && fail "a second agent started on held lines"
echo "second agent: $(grep -i 'error\|busy' /tmp/second.log | head -2)"
grep -qi "busy" /tmp/second.log || fail "held line: no 'busy' in: $(tail -3 /tmp/second.log)"
kill -TERM $AGENT; wait $AGENT

# 6. A chip the agent's user may not open: an error naming permission, never simulated relays.
echo "garden:x:1000:1000::/tmp:/bin/sh" >>/etc/passwd
echo "garden:x:1000:" >>/etc/group
chmod 600 /dev/$CHIP
mkdir -p /tmp/u && chown garden /tmp/u
su garden -c "SPRINKLER_STATE_DIR=/tmp/u /bin/agent --config /etc/sprinkler/agent.yaml" >/tmp/perm.log 2>&1 && fail "started without access to the chip"
echo "no access: $(grep -i 'permission' /tmp/perm.log | head -1)"
grep -qi "permission" /tmp/perm.log || fail "no access: no 'permission' in: $(tail -3 /tmp/perm.log)"
grep -q "relays=sim" /tmp/perm.log && fail "no access: fell back to simulated relays"
su garden -c "SPRINKLER_STATE_DIR=/tmp/u /bin/agent --config /etc/sprinkler/agent.yaml --all-off" >/tmp/perm.log 2>&1 && fail "--all-off without access exited 0"
# 6b. The package's way: the chip in the gpio group (its udev rule, and Raspberry Pi OS's), the
#     agent's user in that group: it opens every line and drives it off.
echo "gpio:x:997:garden" >>/etc/group
chgrp 997 /dev/$CHIP
chmod 660 /dev/$CHIP
su garden -c "SPRINKLER_STATE_DIR=/tmp/u /bin/agent --config /etc/sprinkler/agent.yaml --all-off" >/tmp/perm.log 2>&1 ||
	fail "in the gpio group, --all-off: $(tail -3 /tmp/perm.log)"
grep -q "every relay switched off" /tmp/perm.log || fail "in the gpio group: no 'every relay switched off' in: $(tail -3 /tmp/perm.log)"
echo "in the gpio group: $(grep -o 'every relay switched off.*' /tmp/perm.log | head -1)"
chgrp 0 /dev/$CHIP

# 8. Sensors on input lines: 30 pulses on the flow meter's line 22 at 10 per litre are 3 L; a
#    rain sensor (line 17, active low, pull-up) refuses runs while the simulator pulls it down,
#    and allows them again once it lets go.
sed -e 's/^sensors: \[\]/sensors: [{name: rain, line: 17, active: low, pull: up, on_delay: 0s, off_delay: 0s, block_manual: true}]/' \
	-e '/^flow:/,/^[a-z]/{s/^  line: 0/  line: 22/;s/^  pulses_per_litre: 0 /  pulses_per_litre: 10 /;s/^  interval: 10s/  interval: 1s/}' \
	/etc/sprinkler/agent.yaml >/etc/sprinkler/sensors.yaml
grep -q "line: 22" /etc/sprinkler/sensors.yaml || fail "sensors: the configuration was not written"
pull() { echo "pull-$2" >/sys/devices/platform/$DEV/$CHIP/sim_gpio$1/pull; }
CONFIG=/etc/sprinkler/sensors.yaml start_agent || fail "sensors: agent did not start"
$CTL open 4 --for 1m >/dev/null || fail "sensors: zone 4 refused while dry"
await 16 0 || fail "sensors: line 16 did not go on"
i=0
while [ $i -lt 30 ]; do # a 25 Hz meter: the simulator's edges need a moment each to be seen
	pull 22 down; sleep 0.02; pull 22 up; sleep 0.02; i=$((i + 1))
done
$CTL close 4 >/dev/null
# The retained flow state, read with a bare MQTT 3.1.1 CONNECT and SUBSCRIBE (octal escapes:
# busybox printf has no \x); it is published every flow.interval (1 s here).
flowstate() {
	{
		printf '\020\016\000\004MQTT\004\002\000\074\000\002fs'
		printf '\202\040\000\001\000\033sprinkler/garden/flow/state\000'
		sleep 0.3
	} | nc 127.0.0.1 1883 | tr '\000-\037' ' ' | grep -o '"total_l":[0-9.]*'
}
for i in $(seq 50); do
	total=$(flowstate)
	[ "$total" = '"total_l":3' ] && break
done
echo "flow: 30 pulses at 10 per litre: $total"
[ "$total" = '"total_l":3' ] || fail "flow: 30 pulses read as $total, want 3 L"
pull 17 down
for i in $(seq 100); do $CTL open 5 --for 1m >/dev/null 2>&1 || break; $CTL close 5 >/dev/null; sleep 0.05; done
$CTL open 5 --for 1m >/tmp/rain.out 2>&1 && fail "rain: zone 5 opened while it rains"
echo "rain: $(cat /tmp/rain.out)"
[ "$(level 19)" = 1 ] || fail "rain: line 19 is on"
pull 17 up
for i in $(seq 100); do $CTL open 5 --for 1m >/dev/null 2>&1 && break; sleep 0.05; done
await 19 0 || fail "rain: zone 5 refused after the rain"
kill -TERM $AGENT; wait $AGENT

# 5b. One line held by another consumer (a hog on line 19): the error names the line and its
#     holder, and the lines granted before it are driven OFF and released.
echo 0 >$SIM/pi/live
mkdir -p $SIM/pi/gpio-bank0/line19/hog
echo other-owner >$SIM/pi/gpio-bank0/line19/hog/name
echo output-high >$SIM/pi/gpio-bank0/line19/hog/direction
echo 1 >$SIM/pi/live
chipinfo
: >$TRACE/trace
/bin/agent --config /etc/sprinkler/agent.yaml >/tmp/hog.log 2>&1 && fail "started with line 19 held"
echo "line 19 held: $(grep -i 'line 19' /tmp/hog.log | head -1)"
grep -q 'line 19.*other-owner' /tmp/hog.log || fail "line 19 held: the error does not name the line and its holder"
for l in 5 6 13 16; do
	events | grep -q "gpio_value: $(gpio $l) set 1" || fail "line 19 held: line $l, granted before it, was not driven off"
done
events | grep -q "set 0" && fail "line 19 held: a line was driven on"
grep -q sprinkler /sys/kernel/debug/gpio && fail "line 19 held: lines still held: $(grep sprinkler /sys/kernel/debug/gpio)"
echo 0 >$SIM/pi/live
rmdir $SIM/pi/gpio-bank0/line19/hog $SIM/pi/gpio-bank0/line19
echo 1 >$SIM/pi/live
chipinfo

# 9. Banks beside the Pi's lines, in one agent: an OpenSprinkler Pi's shift register on lines
#    27 (data), 4 (clock), 22 (latch) and 17 (output enable), decoded from the trace as the
#    74HC595s would take it; an MCP23017 on the kernel's i2c-stub, its registers read back and
#    its SMBus writes traced; and a zone on a line of its own.
insmod /lib/i2c-dev.ko || fail "insmod i2c-dev"
insmod /lib/i2c-stub.ko chip_addr=0x20 || fail "insmod i2c-stub"
BUS=""
for a in /sys/bus/i2c/devices/i2c-*; do
	[ "$(cat $a/name)" = "SMBus stub driver" ] && BUS=/dev/$(basename $a)
done
[ -c "$BUS" ] || fail "i2c-stub: no /dev/i2c-N for it ($BUS)"
sed -e '/^zones:/,$d' -e '/^  active_low: true/a\
  banks: [{name: ospi, kind: shift_register}, {name: hat, kind: mcp23017, bus: '"$BUS"', address: 0x20}]' \
	/etc/sprinkler/agent.yaml >/etc/sprinkler/banks.yaml
cat >>/etc/sprinkler/banks.yaml <<EOF
zones:
  - {id: 1, name: Lawn, bank: ospi, output: 1, default_duration: 10m, max_duration: 60m}
  - {id: 2, name: Roses, bank: ospi, output: 2, default_duration: 10m, max_duration: 60m}
  - {id: 3, name: Hedge, bank: ospi, output: 8, default_duration: 10m, max_duration: 60m}
  - {id: 4, name: Pots, bank: hat, output: 1, default_duration: 10m, max_duration: 60m}
  - {id: 5, name: Beds, bank: hat, output: 9, default_duration: 10m, max_duration: 60m}
  - {id: 6, name: Trees, line: 5, default_duration: 10m, max_duration: 60m}
EOF
echo 1 >$TRACE/events/smbus/smbus_write/enable
export SPRINKLER_STATE_DIR=/tmp/banks # its runs are not the other configurations' zones
sr() { events | /bin/srdecode $(gpio 27) $(gpio 4) $(gpio 22) $(gpio 17) 8; }
lastlatch() { sr | grep latch | tail -1; }
reg() { i2cget -y ${BUS#/dev/i2c-} 0x20 $1 b; }
smbus() { grep -o 'smbus_write: .*' $TRACE/trace | sed 's/.* c=\([0-9a-f]*\) BYTE_DATA l=1 \[\([0-9a-f]*\)\].*/\1=\2/'; }
await_latch() { # await_latch PATTERN: the last latched pattern, within 5 s
	for i in $(seq 100); do
		[ "$(lastlatch)" = "latch $1 oe=0" ] && return 0
		sleep 0.05
	done
	return 1
}
: >$TRACE/trace
CONFIG=/etc/sprinkler/banks.yaml start_agent || fail "banks: agent did not start: $(tail -5 /tmp/agent.log)"
echo "banks, shift register at start-up: $(sr | tr '\n' ';')"
# Then the governor drives each zone off once more: whole patterns, all off.
[ "$(sr | head -3 | tr '\n' ';')" = "oe 1;latch 00000000 oe=1;oe 0;" ] || fail "banks: start-up was not: outputs disabled, all off latched, enabled last"
sr | grep latch | grep -v "latch 00000000" && fail "banks: start-up latched an output on"
first=$(events | grep -E " ($(gpio 27)|$(gpio 4)|$(gpio 22)|$(gpio 17)) " | head -1)
[ "$first" = "gpio_value: $(gpio 17) set 1" ] || fail "banks: the first write was not the output enable held off: $first"
echo "banks, MCP23017 at start-up: $(smbus | tr '\n' ' ')"
[ "$(smbus | head -4 | tr '\n' ' ')" = "14=00 15=00 0=00 1=00 " ] || fail "banks: MCP23017 start-up: latches off before directions, got $(smbus | tr '\n' ' ')"
for z in "1 10000000" "2 11000000"; do
	$CTL open ${z% *} --for 2m >/dev/null || fail "banks: open ${z% *}"
	await_latch ${z#* } || fail "banks: open ${z% *}: latched $(lastlatch), want ${z#* }"
done
$CTL close 1 >/dev/null
await_latch 01000000 || fail "banks: close 1: latched $(lastlatch)"
$CTL close 2 >/dev/null
$CTL open 3 --for 2m >/dev/null
await_latch 00000001 || fail "banks: open 3 (output 8): latched $(lastlatch)"
$CTL close 3 >/dev/null
await_latch 00000000 || fail "banks: close 3: latched $(lastlatch)"
echo "banks, shift register after open 1, open 2, close 1, close 2, open 3, close 3: $(sr | grep latch | tail -6 | cut -d' ' -f2 | tr '\n' ' ')"
$CTL open 4 5 --for 2m >/dev/null || fail "banks: open 4 5"
for i in $(seq 100); do [ "$(reg 0x15)" = 0x01 ] && break; sleep 0.05; done
echo "banks, MCP23017 with zones 4 and 5 open: OLATA $(reg 0x14), OLATB $(reg 0x15), IODIRA $(reg 0x00), IODIRB $(reg 0x01)"
[ "$(reg 0x14)" = 0x01 ] && [ "$(reg 0x15)" = 0x01 ] || fail "banks: zones 4 and 5 open: OLATA $(reg 0x14), OLATB $(reg 0x15), want 0x01 0x01"
$CTL close 4 5 >/dev/null
$CTL open 6 --for 2m >/dev/null
await 5 0 || fail "banks: zone 6 on line 5 did not open"
$CTL close 6 >/dev/null
await 5 1 || fail "banks: zone 6 on line 5 did not close"
$CTL open 1 4 --for 10m >/dev/null || fail "banks: open 1 4"
await_latch 10000000 || fail "banks: open 1 before SIGTERM"
for i in $(seq 100); do [ "$(reg 0x14)" = 0x01 ] && break; sleep 0.05; done
: >$TRACE/trace
kill -TERM $AGENT; wait $AGENT || fail "banks: SIGTERM: exit $?"
echo "banks, SIGTERM: $(sr | tr '\n' ';') MCP23017 $(smbus | tr '\n' ' ')"
[ "$(sr | tail -1)" = "oe 1" ] && sr | grep latch | tail -1 | grep -q "^latch 00000000" ||
	fail "banks: SIGTERM did not latch all off and then disable the outputs"
[ "$(reg 0x14)" = 0x00 ] && [ "$(reg 0x15)" = 0x00 ] || fail "banks: SIGTERM left the MCP23017 at $(reg 0x14) $(reg 0x15)"
grep -q sprinkler /sys/kernel/debug/gpio && fail "banks: SIGTERM: lines still held"
CONFIG=/etc/sprinkler/banks.yaml start_agent || fail "banks: agent did not restart"
$CTL open 2 5 --for 10m >/dev/null || fail "banks: open 2 5"
await_latch 01000000 || fail "banks: open 2 before SIGKILL"
for i in $(seq 100); do [ "$(reg 0x15)" = 0x01 ] && break; sleep 0.05; done
kill -KILL $AGENT; wait $AGENT
echo "banks, after SIGKILL the expander holds its outputs: OLATB $(reg 0x15)"
[ "$(reg 0x15)" = 0x01 ] || fail "banks: the MCP23017 was not holding zone 5 on after SIGKILL: $(reg 0x15)"
: >$TRACE/trace
/bin/agent --config /etc/sprinkler/banks.yaml --all-off >/tmp/alloff.log 2>&1 || fail "banks: --all-off: exit $?: $(cat /tmp/alloff.log)"
echo "banks, --all-off: $(sr | tr '\n' ';') MCP23017 $(smbus | tr '\n' ' ')"
sr | grep -q "^latch 00000000" || fail "banks: --all-off did not latch all off"
[ "$(sr | tail -1)" = "oe 1" ] || fail "banks: --all-off did not end with the outputs disabled"
[ "$(reg 0x14)" = 0x00 ] && [ "$(reg 0x15)" = 0x00 ] || fail "banks: --all-off left the MCP23017 at $(reg 0x14) $(reg 0x15)"
grep -q "every relay switched off" /tmp/alloff.log || fail "banks: --all-off said: $(tail -2 /tmp/alloff.log)"
echo 0 >$TRACE/events/smbus/smbus_write/enable
unset SPRINKLER_STATE_DIR

# 7. A named chip that does not exist, and no chip with the Pi's label: errors listing the chips.
SPRINKLER_RELAYS_CHIP=gpiochip9 /bin/agent --config /etc/sprinkler/agent.yaml >/tmp/nochip.log 2>&1 && fail "started on gpiochip9"
echo "gpiochip9: $(grep -i 'gpiochip9' /tmp/nochip.log | head -1)"
grep -q "$CHIP" /tmp/nochip.log || fail "gpiochip9: the chips are not listed: $(tail -2 /tmp/nochip.log)"
echo 0 >$SIM/pi/live
/bin/agent --config /etc/sprinkler/agent.yaml >/tmp/nolabel.log 2>&1 && fail "started with no Pi chip"
echo "no Pi chip: $(grep -i 'chip' /tmp/nolabel.log | head -1)"
grep -q "relays=sim" /tmp/nolabel.log && fail "no Pi chip: fell back to simulated relays"
grep -q "gpiochip0" /tmp/nolabel.log || fail "no Pi chip: the chips are not listed"
