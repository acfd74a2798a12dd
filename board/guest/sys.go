package main

// The parts of an init that a busybox would otherwise do: file systems, the console, kernel modules,
// power-off. Everything here is a system call, so the image needs no libc for it.

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

var bootT0 = time.Now()

func say(format string, a ...interface{}) {
	fmt.Printf("board: "+format+"\n", a...)
}

func mountAll() {
	for _, m := range []struct{ src, dst, fs string }{
		{"proc", "/proc", "proc"}, {"sysfs", "/sys", "sysfs"}, {"devtmpfs", "/dev", "devtmpfs"},
		{"tmpfs", "/tmp", "tmpfs"}, {"tmpfs", "/run", "tmpfs"},
	} {
		_ = os.MkdirAll(m.dst, 0o755)
		if err := unix.Mount(m.src, m.dst, m.fs, 0, ""); err != nil && err != unix.EBUSY {
			say("mount %s: %v", m.dst, err)
		}
	}
	// The kernel opens /dev/console for init only if the initramfs has the node; devtmpfs has it now.
	if fd, err := unix.Open("/dev/console", unix.O_RDWR, 0); err == nil {
		for i := 0; i < 3; i++ {
			_ = unix.Dup3(fd, i, 0)
		}
		if fd > 2 {
			unix.Close(fd)
		}
	}
}

// loadModules insmods /etc/board/modules in file order (board/image wrote it dependencies first).
func loadModules() (loaded int, err error) {
	f, err := os.Open("/etc/board/modules")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		p := strings.TrimSpace(s.Text())
		if p == "" {
			continue
		}
		fd, e := unix.Open(p, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if e != nil {
			return loaded, fmt.Errorf("%s: %v", p, e)
		}
		e = unix.FinitModule(fd, "", 0)
		unix.Close(fd)
		if e != nil && e != unix.EEXIST {
			return loaded, fmt.Errorf("finit_module %s: %v", p, e)
		}
		loaded++
	}
	return loaded, s.Err()
}

func kernelRelease() string {
	var u unix.Utsname
	_ = unix.Uname(&u)
	return unix.ByteSliceToString(u.Release[:]) + " " + unix.ByteSliceToString(u.Machine[:])
}

func uptime() string {
	b, _ := os.ReadFile("/proc/uptime")
	return strings.Fields(string(b) + " ?")[0]
}

// procStatus returns the named fields of /proc/PID/status ("VmRSS" -> "1234 kB").
func procStatus(pid int, keys ...string) map[string]string {
	out := map[string]string{}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return out
	}
	for _, line := range strings.Split(string(b), "\n") {
		for _, k := range keys {
			if strings.HasPrefix(line, k+":") {
				out[k] = strings.TrimSpace(line[len(k)+1:])
			}
		}
	}
	return out
}

func powerOff() {
	unix.Sync()
	_ = unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF)
	select {}
}

// kernelLog prints the last lines of the kernel's log (a failed netlink request often says why there).
func kernelLog(lines int) {
	buf := make([]byte, 1<<16)
	n, err := unix.Klogctl(unix.SYSLOG_ACTION_READ_ALL, buf)
	if err != nil {
		return
	}
	all := strings.Split(strings.TrimRight(string(buf[:n]), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	say("kernel log (last %d lines):", len(all))
	for _, l := range all {
		fmt.Println("    | " + l)
	}
}
