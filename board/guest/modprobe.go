package main

// The guest is also the kernel's module loader. A kernel that needs a module it does not have
// (request_module: a crypto algorithm by name, a netlink family, a link type) runs the program named
// in /proc/sys/kernel/modprobe as `modprobe -q -- NAME` and waits for it. board/image links
// /sbin/modprobe to /init and runs depmod over the image's own modules, so this resolves NAME the way
// kmod does (modules.alias, then modules.dep for the dependencies) and loads from the image.
//
// Why a loader and not only a longer list: the kernel decides at run time what it asks for (Debian's
// 6.1.0-57 jitterentropy_rng allocates "sha3-256-generic" by name, a dependency modules.dep cannot
// show), so the next such change is served too, and one the image cannot serve is named on the
// console instead of surfacing as ENOENT from an unrelated module.

import (
	"bufio"
	"fmt"
	"os"
	"path"
	"strings"

	"golang.org/x/sys/unix"
)

const (
	modprobePath = "/sbin/modprobe"
	modprobeLog  = "/run/board-modprobe.log" // one line per request served; main reports them
)

// modprobeMain runs when the kernel starts us as /sbin/modprobe. Exit status 0 tells the kernel the
// module is there; anything else makes its request_module fail, as a missing module would.
func modprobeMain(args []string) int {
	var names []string
	for i := 0; i < len(args); i++ {
		if args[i] == "--" {
			names = append(names, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(args[i], "-") {
			names = append(names, args[i])
		}
	}
	status := 0
	for _, name := range names {
		what, err := modprobe(name)
		if err != nil {
			status = 1
			// The crypto API asks for every template instance ("crypto-gcm(aes)") and its "-all"
			// variant before it builds one from loaded templates: those misses are its normal path.
			if !strings.Contains(name, "(") && !strings.HasSuffix(name, "-all") {
				report(fmt.Sprintf("modprobe %s: %v", name, err), "")
			}
			continue
		}
		report(fmt.Sprintf("modprobe %s: %s", name, what), name+" -> "+moduleName(strings.Fields(what)[0]))
	}
	return status
}

// report writes line to the console (the test's log) and summary, if any, to modprobeLog.
func report(line, summary string) {
	if f, err := os.OpenFile("/dev/console", os.O_WRONLY, 0); err == nil {
		fmt.Fprintf(f, "board: %s\n", line)
		f.Close()
	}
	if summary == "" {
		return
	}
	if f, err := os.OpenFile(modprobeLog, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644); err == nil {
		fmt.Fprintln(f, summary)
		f.Close()
	}
}

// modprobe loads the module that NAME (an alias or a module name) stands for, dependencies first.
func modprobe(name string) (string, error) {
	dir := "/lib/modules/" + release()
	deps, err := readDeps(dir + "/modules.dep")
	if err != nil {
		return "", err
	}
	mod := normalise(name)
	if _, ok := deps.paths[mod]; !ok {
		if mod, err = resolveAlias(dir+"/modules.alias", name); err != nil {
			return "", err
		}
		if mod == "" {
			mod = normalise(name)
		}
	}
	if _, ok := deps.paths[mod]; !ok {
		if builtin(dir+"/modules.builtin", mod) {
			return mod + " is built into the kernel", nil
		}
		if mod == normalise(name) {
			// No alias matched: kmod would fail too. The crypto API asks for "crypto-X" and
			// "crypto-X-all" and then builds X from its templates, so most such misses are harmless.
			return "", fmt.Errorf("no module has this name or alias, in the image or the kernel")
		}
		return "", fmt.Errorf("alias of %s, which is not in the image (board/image: add it to the image)", mod)
	}
	rel := deps.paths[mod]
	list := deps.deps[rel]
	for i := len(list) - 1; i >= 0; i-- { // modules.dep lists the deepest dependency last
		if err := insmod(dir + "/" + list[i]); err != nil {
			return "", err
		}
	}
	if err := insmod(dir + "/" + rel); err != nil {
		return "", err
	}
	return rel + " loaded", nil
}

func insmod(p string) error {
	fd, err := unix.Open(p, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("%s: %v", p, err)
	}
	defer unix.Close(fd)
	if err := unix.FinitModule(fd, "", 0); err != nil && err != unix.EEXIST {
		return fmt.Errorf("finit_module %s: %v", p, err)
	}
	return nil
}

type depIndex struct {
	paths map[string]string   // module name -> path relative to lib/modules/KVER
	deps  map[string][]string // path -> its dependencies' paths
}

func readDeps(file string) (depIndex, error) {
	idx := depIndex{paths: map[string]string{}, deps: map[string][]string{}}
	f, err := os.Open(file)
	if err != nil {
		return idx, err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		rel, rest, ok := strings.Cut(s.Text(), ":")
		if !ok {
			continue
		}
		idx.paths[moduleName(rel)] = rel
		idx.deps[rel] = strings.Fields(rest)
	}
	return idx, s.Err()
}

// resolveAlias returns the module whose alias pattern (a shell glob, as kmod matches it) fits name.
func resolveAlias(file, name string) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) != 3 || fields[0] != "alias" {
			continue
		}
		if ok, _ := path.Match(fields[1], name); ok {
			return normalise(fields[2]), nil
		}
	}
	return "", s.Err()
}

func builtin(file, mod string) bool {
	b, err := os.ReadFile(file)
	if err != nil {
		return false
	}
	for _, l := range strings.Split(string(b), "\n") {
		if l != "" && moduleName(l) == mod {
			return true
		}
	}
	return false
}

// moduleName: "kernel/crypto/sha3_generic.ko" -> "sha3_generic".
func moduleName(rel string) string {
	base := path.Base(rel)
	if i := strings.Index(base, ".ko"); i >= 0 {
		base = base[:i]
	}
	return normalise(base)
}

// normalise: kmod treats '-' and '_' in module names alike.
func normalise(s string) string { return strings.ReplaceAll(s, "-", "_") }

func release() string {
	var u unix.Utsname
	_ = unix.Uname(&u)
	return unix.ByteSliceToString(u.Release[:])
}

// serveModuleRequests points the kernel's module requests at this program (/sbin/modprobe, a link
// to /init) before anything is loaded.
func serveModuleRequests() error {
	return os.WriteFile("/proc/sys/kernel/modprobe", []byte(modprobePath+"\n"), 0o644)
}

// modprobeRequests returns the modules loaded on the kernel's request so far, one line each.
func modprobeRequests() []string {
	b, err := os.ReadFile(modprobeLog)
	if err != nil {
		return nil
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}
