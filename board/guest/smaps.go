package main

// Where hedge's resident memory is: /proc/PID/smaps by mapping, read once at the steady point, and
// the profile mode board/hot-profile boots the image in.

import (
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

type mapping struct {
	name, perms     string
	size, rss, anon int // kB
}

func readSmaps(pid int) []mapping {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps", pid))
	if err != nil {
		return nil
	}
	var out []mapping
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 5 && strings.Contains(f[0], "-") { // a mapping: range perms offset dev inode [path]
			m := mapping{perms: f[1], name: "[anon]"}
			if len(f) >= 6 {
				m.name = path.Base(f[5])
			}
			out = append(out, m)
			continue
		}
		if len(out) == 0 || len(f) < 2 {
			continue
		}
		v, _ := strconv.Atoi(f[1])
		switch m := &out[len(out)-1]; f[0] {
		case "Size:":
			m.size = v
		case "Rss:":
			m.rss = v
		case "Anonymous:":
			m.anon = v
		}
	}
	return out
}

// smapsReport prints, for each object (hedge, the loader, each library, heap, stack, anonymous
// maps), its mappings as perms Size/Rss/Anonymous kB; file-backed Rss minus Anonymous is page cache.
func smapsReport(when string, pid int) {
	var order []string
	by := map[string][]string{}
	for _, m := range readSmaps(pid) {
		if m.rss == 0 {
			continue
		}
		if _, ok := by[m.name]; !ok {
			order = append(order, m.name)
		}
		by[m.name] = append(by[m.name], fmt.Sprintf("%s %d/%d/%d", m.perms, m.size, m.rss, m.anon))
	}
	if len(order) == 0 {
		return
	}
	_ = unix.Mount("debugfs", "/sys/kernel/debug", "debugfs", 0, "") // fault_around_bytes is there only
	say("hedge smaps (%s), perms Size/Rss/Anonymous kB (fault_around_bytes %s, transparent huge pages %s):",
		when, firstLine("/sys/kernel/debug/fault_around_bytes"), firstLine("/sys/kernel/mm/transparent_hugepage/enabled"))
	for _, n := range order {
		fmt.Printf("    | %-22s %s\n", n, strings.Join(by[n], ", "))
	}
}

// rollupRss is the Rss line of /proc/PID/smaps_rollup ("1234 kB").
func rollupRss(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return "?"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "Rss:") {
			return strings.Join(strings.Fields(line[4:]), " ")
		}
	}
	return "?"
}

func firstLine(p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0])
}

// profiling: the kernel parameter board.profile (board/hot-profile) turns address randomisation off,
// so that the code addresses qemu logs are hedge's at one known base.
func profiling() bool {
	b, _ := os.ReadFile("/proc/cmdline")
	if !strings.Contains(" "+strings.TrimSpace(string(b))+" ", " board.profile ") {
		return false
	}
	if err := os.WriteFile("/proc/sys/kernel/randomize_va_space", []byte("0"), 0); err != nil {
		say("profile: address randomisation stays on: %v", err)
	}
	return true
}

// textBase is where hedge's file is mapped from offset 0 (its load base).
func textBase(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/maps", pid))
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 6 && f[5] == hedgeBin && f[2] == "00000000" {
			return "0x" + strings.SplitN(f[0], "-", 2)[0]
		}
	}
	return "?"
}
