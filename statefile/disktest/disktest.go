// Package disktest gives tests a small, real filesystem that they can fill up or make
// read-only, as an SD card in a garden shed does: a tmpfs mounted for the test. Mounting
// needs root; elsewhere the test is skipped with the reason, or fails where
// SPRINKLER_REQUIRE_ROOT_FS=1 (CI, which runs as root, sets it).
package disktest

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// Mount mounts a tmpfs of size (such as "256k") on a new directory and returns it; it is
// unmounted when the test ends.
func Mount(t testing.TB, size string) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0700", "tmpfs", dir).CombinedOutput()
	if err != nil {
		why := "mounting a tmpfs needs root: " + string(out) + err.Error()
		if os.Getenv("SPRINKLER_REQUIRE_ROOT_FS") == "1" {
			t.Fatal(why)
		}
		t.Skip(why)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
	return dir
}

// Fill takes every free block of the filesystem of dir, until the test ends or Free is
// called.
func Fill(t testing.TB, dir string) {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, ".filler"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	block := make([]byte, 4096)
	for {
		if _, err := f.Write(block); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			return
		}
	}
}

// Free gives back what Fill took.
func Free(t testing.TB, dir string) {
	t.Helper()
	if err := os.Remove(filepath.Join(dir, ".filler")); err != nil {
		t.Fatal(err)
	}
}

// ReadOnly remounts the filesystem of dir read-only, as the kernel does after an error.
func ReadOnly(t testing.TB, dir string) {
	t.Helper()
	if out, err := exec.Command("mount", "-o", "remount,ro", dir).CombinedOutput(); err != nil {
		t.Fatalf("remount %s read-only: %v %s", dir, err, out)
	}
}
