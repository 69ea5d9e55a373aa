#!/bin/sh
# The guest's /init: mounts what gpio-sim needs, makes the chips, runs the checks and powers
# off. Its last line is "RESULT <failures>" for the host.
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
insmod /lib/configfs.ko
mount -t configfs none /sys/kernel/config
mount -t debugfs none /sys/kernel/debug
mount -t tracefs none /sys/kernel/tracing
mount -t tmpfs tmp /tmp
ip link set lo up
insmod /lib/gpio-sim.ko || { echo "RESULT insmod"; poweroff -f; }
. /checks.sh
echo "RESULT $FAILED"
poweroff -f
