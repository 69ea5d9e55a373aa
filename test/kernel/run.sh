#!/bin/sh
# Boots Debian's kernel in QEMU with gpio-sim and runs checks.sh against the agent built from
# this checkout. Needs qemu-system-x86, busybox-static, gcc and make; downloads the kernel
# packages into $CACHE (never installs them) and builds gpio-sim once per kernel ABI. Exits 0
# when every check passed.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${CACHE:-/var/cache/sprinkler-kernel}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$CACHE"
cd "$CACHE"
t0=$(date +%s)
phase() { echo "phase: $1 $(($(date +%s) - t0)) s"; t0=$(date +%s); }
# The current kernel of the release, and every package at its exact version.
ABI=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/.*Depends: linux-image-\(.*\)-amd64$/\1/p' | head -1)
if [ -z "$ABI" ]; then
	apt-get update -qq
	ABI=$(apt-cache depends linux-image-amd64 | sed -n 's/.*Depends: linux-image-\(.*\)-amd64$/\1/p' | head -1)
fi
VER=$(apt-cache show --no-all-versions linux-image-$ABI-amd64 | sed -n 's/^Version: //p')
for p in linux-image-$ABI-amd64 linux-headers-$ABI-amd64 linux-headers-$ABI-common linux-kbuild-6.1 linux-source-6.1; do
	ls ${p}_${VER}_*.deb >/dev/null 2>&1 || apt-get download -q "$p=$VER"
done
X=$CACHE/x-$VER
if [ ! -f "$X/gpio-sim.ko" ]; then
	rm -rf "$X"; mkdir -p "$X/img" "$X/hdr" "$X/src" "$X/mod"
	dpkg-deb -x linux-image-$ABI-amd64_${VER}_*.deb "$X/img"
	for d in linux-headers-*_${VER}_*.deb linux-kbuild-6.1_${VER}_*.deb; do dpkg-deb -x "$d" "$X/hdr"; done
	dpkg-deb --fsys-tarfile linux-source-6.1_${VER}_*.deb | tar -x -C "$X/src" ./usr/src/linux-source-6.1.tar.xz
	S=linux-source-6.1
	tar -xJf "$X/src/usr/src/$S.tar.xz" -C "$X/src" $S/drivers/gpio/gpio-sim.c $S/drivers/gpio/gpiolib.h $S/kernel/irq/irq_sim.c
	cp "$X/src/$S/drivers/gpio/gpio-sim.c" "$X/mod/gpio_sim_main.c"
	cp "$X/src/$S/drivers/gpio/gpiolib.h" "$X/mod/"
	# irq_to_desc is not exported to modules.
	sed 's/handle_simple_irq(irq_to_desc(irqnum));/generic_handle_irq_safe(irqnum);/' "$X/src/$S/kernel/irq/irq_sim.c" >"$X/mod/irq_sim.c"
	printf 'obj-m := gpio-sim.o\ngpio-sim-y := gpio_sim_main.o irq_sim.o\n' >"$X/mod/Makefile"
	H=$X/hdr/usr/src/linux-headers-$ABI-amd64
	sed -i "s|include /usr/src/|include $X/hdr/usr/src/|" "$H/Makefile"
	make -s -C "$H" M="$X/mod" modules
	cp "$X/mod/gpio-sim.ko" "$X/"
	rm -rf "$X/src" "$X/mod"
fi
phase "kernel and gpio-sim (downloaded and built, or cached)"
I=$WORK/initrd
mkdir -p "$I/bin" "$I/lib" "$I/etc/sprinkler"
printf "root:x:0:0::/root:/bin/sh\n" >"$I/etc/passwd"
printf "root:x:0:\n" >"$I/etc/group"
mkdir -p "$I/sys" "$I/proc" "$I/dev" "$I/tmp"
cp /bin/busybox "$I/bin/"
for c in sh mount insmod ip cat echo sed grep seq sleep kill poweroff mkdir printf tail head hostname su chmod chown tr wc nc cut basename i2cget; do
	ln -sf busybox "$I/bin/$c"
done
ln -sf bin "$I/sbin"
cp "$X/gpio-sim.ko" "$I/lib/"
cp "$X"/img/lib/modules/*/kernel/fs/configfs/configfs.ko "$I/lib/"
cp "$X"/img/lib/modules/*/kernel/drivers/i2c/i2c-dev.ko "$X"/img/lib/modules/*/kernel/drivers/i2c/i2c-stub.ko "$I/lib/"
(cd "$ROOT" && CGO_ENABLED=0 go build -o "$I/bin/" ./agent ./ctl ./test/kernel/srdecode)
cp "$ROOT/configs/agent.yaml" "$ROOT/configs/profiles.yaml" "$I/etc/sprinkler/"
cp "$ROOT/test/kernel/guest.sh" "$I/init"
cp "$ROOT/test/kernel/checks.sh" "$I/"
chmod +x "$I/init"
(cd "$I" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1) >"$WORK/initrd.gz"
phase "initramfs with agent and ctl"
# KVM only where it is the real thing: a nested kvm_pvm without vmx/svm hangs Debian's kernel.
accel="-accel tcg,thread=multi -cpu max"
if [ -w /dev/kvm ] && grep -qE 'vmx|svm' /proc/cpuinfo && ! grep -q kvm_pvm /proc/modules 2>/dev/null; then
	accel="-accel kvm -cpu host"
fi
echo "booting $(basename "$X"/img/boot/vmlinuz-*) ($accel)"
# shellcheck disable=SC2086
timeout 240 qemu-system-x86_64 $accel -m 1024 -smp 2 -nographic -no-reboot \
	-kernel "$X"/img/boot/vmlinuz-* -initrd "$WORK/initrd.gz" \
	-append "console=ttyS0 quiet panic=-1" | tee "$WORK/console"
phase "boot and checks"
result=$(sed -n 's/^RESULT \([0-9]*\).*/\1/p' "$WORK/console" | tr -d '\r')
echo "kernel GPIO checks: ${result:-no result} failed"
[ "$result" = 0 ]
