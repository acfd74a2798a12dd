package main

// The aarch64 board runs hedge as its Debian package installs it. board/image unpacks the .deb
// into the image with dpkg-deb (its files, and its control files under /var/lib/dpkg/info as
// dpkg keeps them); here the package's own postinst runs as dpkg runs it on a first install
// ("configure", no old version), under busybox's sh, before anything starts hedge. The image
// has no dpkg: busybox's applet would call the postinst without "configure", and Debian's needs
// perl for adduser. Debian's adduser (Perl), getent (libc-bin) and install (coreutils) are not
// in the image either: this program stands in for them (by argv[0], as for modprobe), doing what
// Debian's do for the forms hedge's postinst uses and refusing any other, so that a postinst
// that came to need more fails here instead of passing unseen.

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"strconv"
	"strings"
	"syscall"
)

const (
	pkgName  = "hedge"
	pkgInfo  = "/var/lib/dpkg/info/" + pkgName
	binMark  = "HEDGE-BOARD-BINARY:" // board/qemu-test compares it with the package's file
	firstSys = 100                   // Debian's adduser.conf FIRST_SYSTEM_UID/GID
	lastSys  = 999
)

// packaged reports whether the image holds an unpacked package (board/image aarch64).
func packaged() bool {
	_, err := os.Stat(pkgInfo + ".postinst")
	return err == nil
}

// configurePackage runs the postinst and returns the agent's path from the package's file list.
func configurePackage() (string, error) {
	cmd := exec.Command(pkgInfo+".postinst", "configure")
	cmd.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"DPKG_MAINTSCRIPT_PACKAGE=" + pkgName, "DPKG_MAINTSCRIPT_NAME=postinst"}
	out, err := cmd.CombinedOutput()
	for _, l := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		if l != "" {
			fmt.Println("    | " + l)
		}
	}
	if err != nil {
		return "", fmt.Errorf("postinst configure: %v", err)
	}
	list, err := os.ReadFile(pkgInfo + ".list")
	if err != nil {
		return "", err
	}
	for _, f := range strings.Split(string(list), "\n") {
		if path.Base(f) == pkgName && strings.Contains("/usr/sbin/ /usr/bin/ /sbin/ /bin/", path.Dir(f)+"/") {
			return f, nil
		}
	}
	return "", fmt.Errorf("no %s executable in %s.list", pkgName, pkgInfo)
}

// postinstEffects checks what hedge's postinst promises on a system without systemd: the user,
// and the event spool that only it may read.
func postinstEffects() error {
	pw, ok := lookup("/etc/passwd", pkgName)
	if !ok {
		return fmt.Errorf("no user %s in /etc/passwd", pkgName)
	}
	var st syscall.Stat_t
	if err := syscall.Stat("/var/lib/hedge/events", &st); err != nil {
		return err
	}
	if strconv.Itoa(int(st.Uid)) != pw[2] || st.Mode&0o7777 != 0o700 {
		return fmt.Errorf("/var/lib/hedge/events: uid %d mode %o (want uid %s, 700)", st.Uid, st.Mode&0o7777, pw[2])
	}
	return nil
}

func sha256File(p string) string {
	f, err := os.Open(p)
	if err != nil {
		return "unreadable (" + err.Error() + ")"
	}
	defer f.Close()
	h := sha256.New()
	_, _ = io.Copy(h, f)
	return hex.EncodeToString(h.Sum(nil))
}

// ---- stand-ins for Debian's tools

func standIn(name string, args []string) (int, bool) {
	switch name {
	case "getent":
		return getentMain(args), true
	case "adduser":
		return adduserMain(args), true
	case "install":
		return installMain(args), true
	}
	return 0, false
}

func refuse(tool string, args []string) int {
	fmt.Fprintf(os.Stderr, "%s (board stand-in): this form is not served: %s %s\n", tool, tool, strings.Join(args, " "))
	return 1
}

// lookup returns the fields of the line of /etc/passwd or /etc/group whose name or id is key.
func lookup(file, key string) ([]string, bool) {
	b, _ := os.ReadFile(file)
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Split(l, ":")
		if len(f) >= 3 && (f[0] == key || f[2] == key) {
			return f, true
		}
	}
	return nil, false
}

// getent passwd|group KEY: the entry, or exit 2 (Debian's "key not found").
func getentMain(args []string) int {
	if len(args) != 2 || (args[0] != "passwd" && args[0] != "group") {
		return refuse("getent", args)
	}
	f, ok := lookup("/etc/"+args[0], args[1])
	if !ok {
		return 2
	}
	fmt.Println(strings.Join(f, ":"))
	return 0
}

// adduser --system [--group] [--quiet] [--home H] [--no-create-home] [--gecos G] NAME: a system
// user (and its group) with the first free id of Debian's system range, login shell nologin.
func adduserMain(args []string) int {
	system, group, home, gecos, name := false, false, "/nonexistent", "", ""
	for i := 0; i < len(args); i++ {
		switch a := args[i]; a {
		case "--system":
			system = true
		case "--group":
			group = true
		case "--quiet", "--no-create-home":
		case "--home", "--gecos":
			if i+1 == len(args) {
				return refuse("adduser", args)
			}
			i++
			if a == "--home" {
				home = args[i]
			} else {
				gecos = args[i]
			}
		default:
			if strings.HasPrefix(a, "-") || name != "" {
				return refuse("adduser", args)
			}
			name = a
		}
	}
	if !system || name == "" {
		return refuse("adduser", args)
	}
	if _, ok := lookup("/etc/passwd", name); ok {
		return 0 // Debian's adduser --system: an existing system user is not an error
	}
	uid := freeID("/etc/passwd")
	gid := "65534" // nogroup, Debian's default for --system without --group
	if group {
		gid = strconv.Itoa(freeID("/etc/group"))
		if err := appendLine("/etc/group", fmt.Sprintf("%s:x:%s:", name, gid)); err != nil {
			fmt.Fprintln(os.Stderr, "adduser:", err)
			return 1
		}
	}
	if err := appendLine("/etc/passwd", fmt.Sprintf("%s:x:%d:%s:%s:%s:/usr/sbin/nologin", name, uid, gid, gecos, home)); err != nil {
		fmt.Fprintln(os.Stderr, "adduser:", err)
		return 1
	}
	return 0
}

func freeID(file string) int {
	for id := firstSys; id <= lastSys; id++ {
		if _, used := lookup(file, strconv.Itoa(id)); !used {
			return id
		}
	}
	return -1
}

func appendLine(file, line string) error {
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = fmt.Fprintln(f, line)
	return err
}

// install -d [-m MODE] [-o OWNER] [-g GROUP] DIR...: each directory made (with its parents), then
// given the mode and owner.
func installMain(args []string) int {
	dir, mode, uid, gid, dirs := false, os.FileMode(0o755), -1, -1, []string{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-d":
			dir = true
		case (a == "-m" || a == "-o" || a == "-g") && i+1 < len(args):
			i++
			v := args[i]
			switch a {
			case "-m":
				m, err := strconv.ParseUint(v, 8, 32)
				if err != nil {
					return refuse("install", args)
				}
				mode = os.FileMode(m)
			case "-o", "-g":
				file := map[string]string{"-o": "/etc/passwd", "-g": "/etc/group"}[a]
				f, ok := lookup(file, v)
				if !ok {
					fmt.Fprintf(os.Stderr, "install: invalid %s '%s'\n", map[string]string{"-o": "user", "-g": "group"}[a], v)
					return 1
				}
				id, _ := strconv.Atoi(f[2])
				if a == "-o" {
					uid = id
				} else {
					gid = id
				}
			}
		case strings.HasPrefix(a, "-"):
			return refuse("install", args)
		default:
			dirs = append(dirs, a)
		}
	}
	if !dir || len(dirs) == 0 {
		return refuse("install", args)
	}
	for _, d := range dirs {
		err := os.MkdirAll(d, 0o755)
		if err == nil {
			err = os.Chmod(d, mode)
		}
		if err == nil {
			err = os.Lchown(d, uid, gid)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "install:", err)
			return 1
		}
	}
	return 0
}
