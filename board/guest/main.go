// Command guest is /init of the board images (board/image): it loads the kernel's ESP/XFRM modules,
// builds the ESP lab in namespaces, runs hedge in the on-prem one with static keys, fails ExpressRoute
// at the far end and back, checks where the traffic went, prints PASS/FAIL lines and one verdict line
// (board/qemu-test reads it off the console) and powers the board off. Static Go, no libc: the same
// program serves a glibc and a musl-only image.
package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

const (
	verdictMarker = "HEDGE-BOARD-VERDICT:"
	confTemplate  = "/etc/hedge/lab.conf.in"
	runDir        = "/run/hedge"
	rate          = 100 // stream, packets/s: 5x the VPN probe's 20/s, light enough for TCG
)

var (
	hedgeBin = "/bin/hedge" // or where the package put it (debpkg.go)
	failures int
	keyHex   = regexp.MustCompile(`0x[0-9a-fA-F]{32,}`)
)

func result(ok bool, step, format string, a ...interface{}) bool {
	word := "PASS"
	if !ok {
		word = "FAIL"
		failures++
	}
	fmt.Printf("%s  %-14s %s\n", word, step, fmt.Sprintf(format, a...))
	return ok
}

func main() {
	if path.Base(os.Args[0]) == "modprobe" {
		os.Exit(modprobeMain(os.Args[1:]))
	}
	if rc, ok := standIn(path.Base(os.Args[0]), os.Args[1:]); ok {
		os.Exit(rc)
	}
	mountAll()
	say("init up at %s s (kernel uptime); kernel %s", uptime(), kernelRelease())
	ok := run()
	verdict := "PASS"
	if !ok || failures > 0 {
		verdict = "FAIL"
	}
	fmt.Printf("%s %s (%d failed checks, uptime %s s)\n", verdictMarker, verdict, failures, uptime())
	powerOff()
}

func run() bool {
	if err := serveModuleRequests(); err != nil {
		say("kernel module requests will not be served: %v", err)
	}
	t := time.Now()
	n, err := loadModules()
	asked := modprobeRequests()
	if !result(err == nil, "modules", "%d loaded in %d ms; on the kernel's request (/sbin/modprobe): %d %v %v",
		n, time.Since(t).Milliseconds(), len(asked), asked, errText(err)) {
		return false
	}
	if packaged() {
		bin, err := configurePackage()
		if err == nil {
			err = postinstEffects()
		}
		if !result(err == nil, "package", "postinst configure ran; user %s, /var/lib/hedge/events 0700 %v", pkgName, errText(err)) {
			return false
		}
		hedgeBin = bin
	}
	// What runs below is this file: board/qemu-test checks it against the package's.
	fmt.Printf("%s %s sha256 %s\n", binMark, hedgeBin, sha256File(hedgeBin))
	// Profiling, every hedge runs at one address (on armv7 a randomised one is only a little off it), and
	// the kernel check, which the lab's hedge never runs, is left out.
	profile := profiling()
	out, _ := exec.Command(hedgeBin, "version").CombinedOutput()
	say("%s", strings.TrimSpace(string(out)))
	if !profile {
		kernelCheck()
	}

	t = time.Now()
	l, err := newLab()
	if err == nil {
		err = l.build()
	}
	if !result(err == nil, "lab", "5 namespaces in %d ms %v", time.Since(t).Milliseconds(), errText(err)) {
		return false
	}
	_ = os.MkdirAll(runDir, 0o700)
	k, err := newKeys(runDir + "/static.keys")
	if err == nil {
		err = l.vpngwKeyed(k)
	}
	if !result(err == nil, "vpngw", "ipsec0 if_id %d, policies out/in/fwd, 2 SAs %s %v", ifID, aead, errText(err)) {
		kernelLog(20)
		return false
	}
	conf, err := writeConf()
	if err != nil {
		return result(false, "config", "%v", err)
	}
	if out, err := exec.Command(hedgeBin, "check", "-c", conf).CombinedOutput(); !result(err == nil, "hedge-check", "%s", oneLine(out)) {
		return false
	}

	// hedge in the on-prem namespace: the child inherits the namespace of the thread that forks it.
	logf, _ := os.Create("/tmp/hedge.log")
	cmd := exec.Command(hedgeBin, "run", "-c", conf)
	cmd.Stdout, cmd.Stderr = logf, logf
	tStart := time.Now()
	err = l.inNS(l.onprem, cmd.Start)
	if !result(err == nil, "hedge-start", "%v", errText(err)) {
		return false
	}
	pid := cmd.Process.Pid
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			say("hedge stopped: %v", errText(err))
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			say("hedge did not stop on SIGTERM in 10 s; killed")
		}
		showLog("/tmp/hedge.log", 25)
	}()

	ms, ok := waitFor(60*time.Second, exited, func() bool { _, f := saPackets(l.onprem, onpremWAN, vpngwWAN); return f })
	if !result(ok, "tunnel-up", "hedge installed the SA pair (if_id %d) %d ms after start", ifID, ms) {
		return false
	}
	ms, ok = waitFor(60*time.Second, exited, func() bool { return l.pathOf() == "er0" })
	if !result(ok, "er-active", "10.200.0.4 via %s %d ms after start (initial decision)", l.pathOf(), time.Since(tStart).Milliseconds()) {
		return false
	}

	var c counts
	stop := make(chan struct{})
	defer close(stop)
	if err := l.stream(&c, stop); !result(err == nil, "stream", "%d pps 172.16.0.1 -> 10.200.0.4:9000 %v", rate, errText(err)) {
		return false
	}
	time.Sleep(1500 * time.Millisecond)
	w := l.window(&c, 2*time.Second)
	result(w.onER(), "stream-on-er", "%s", w)
	rss("steady, ER", pid)
	smapsReport("steady, ER", pid)
	if profile {
		say("profile: hedge text at %s", textBase(pid))
	}

	t = time.Now()
	s0, r0 := atomic.LoadUint64(&c.tx), atomic.LoadUint64(&c.rx)
	if err := l.failFar(); err != nil {
		return result(false, "failover", "%v", err)
	}
	_, ok = waitFor(30*time.Second, exited, func() bool { return l.pathOf() == "vpn0" })
	result(ok, "failover", "ExpressRoute failed at the far end; 10.200.0.0/16 on %s after %d ms", l.pathOf(), time.Since(t).Milliseconds())
	time.Sleep(time.Second)
	w = l.window(&c, 2*time.Second)
	result(ok && w.onVPN(), "stream-on-vpn", "%s", w)
	lost := int64(atomic.LoadUint64(&c.tx)-s0) - int64(atomic.LoadUint64(&c.rx)-r0)
	say("stream loss across the failover: %d packets (%d ms at %d pps)", lost, lost*1000/rate, rate)
	rss("steady, VPN", pid)

	t = time.Now()
	s0, r0 = atomic.LoadUint64(&c.tx), atomic.LoadUint64(&c.rx)
	if err := l.restoreFar(); err != nil {
		return result(false, "failback", "%v", err)
	}
	_, ok = waitFor(30*time.Second, exited, func() bool { return l.pathOf() == "er0" })
	result(ok, "failback", "ExpressRoute restored; 10.200.0.0/16 on %s after %d ms (hold-down 2 s)", l.pathOf(), time.Since(t).Milliseconds())
	time.Sleep(time.Second)
	w = l.window(&c, 2*time.Second)
	result(ok && w.onER(), "stream-on-er2", "%s", w)
	lost = int64(atomic.LoadUint64(&c.tx)-s0) - int64(atomic.LoadUint64(&c.rx)-r0)
	if lost < 0 { // one in flight at the first count
		lost = 0
	}
	say("stream loss across the failback: %d packets", lost)
	rss("end", pid)
	return true
}

// kernelCheck prints `hedge check --kernel` when this hedge has it (not a pass criterion yet).
func kernelCheck() {
	out, err := exec.Command(hedgeBin, "check", "--kernel").CombinedOutput()
	if bytes.Contains(out, []byte("unknown option")) {
		say("hedge check --kernel: not in this hedge build")
		return
	}
	rc := "exit 0"
	if err != nil {
		rc = err.Error()
	}
	say("hedge check --kernel (%s):", rc)
	for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		fmt.Println("    | " + line)
	}
}

func writeConf() (string, error) {
	b, err := os.ReadFile(confTemplate)
	if err != nil {
		return "", err
	}
	s := strings.NewReplacer("@KEYFILE@", runDir+"/static.keys", "@SOCKET@", runDir+"/hedge.sock").Replace(string(b))
	p := runDir + "/hedge.conf"
	return p, os.WriteFile(p, []byte(s), 0o600)
}

// waitFor polls cond every 20 ms; false when it times out or hedge exits.
func waitFor(limit time.Duration, exited chan error, cond func() bool) (int64, bool) {
	t := time.Now()
	for time.Since(t) < limit {
		if cond() {
			return time.Since(t).Milliseconds(), true
		}
		select {
		case err := <-exited:
			exited <- err
			say("hedge exited: %v", errText(err))
			return time.Since(t).Milliseconds(), false
		case <-time.After(20 * time.Millisecond):
		}
	}
	return time.Since(t).Milliseconds(), false
}

// stream: a UDP sender in onprem (from the LAN address) and a counting receiver in azure (the VNet
// host). Sockets belong to the namespace they were made in.
type counts struct{ tx, rx uint64 }

func (l *lab) stream(c *counts, stop chan struct{}) error {
	var rfd, sfd int
	err := l.inNS(l.az, func() (e error) {
		if rfd, e = unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0); e != nil {
			return e
		}
		return unix.Bind(rfd, &unix.SockaddrInet4{Port: 9000, Addr: [4]byte{10, 200, 0, 4}})
	})
	if err != nil {
		return fmt.Errorf("receiver: %v", err)
	}
	err = l.inNS(l.onprem, func() (e error) {
		if sfd, e = unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0); e != nil {
			return e
		}
		return unix.Bind(sfd, &unix.SockaddrInet4{Addr: [4]byte{172, 16, 0, 1}})
	})
	if err != nil {
		return fmt.Errorf("sender: %v", err)
	}
	go func() {
		buf := make([]byte, 2048)
		for {
			if n, _, e := unix.Recvfrom(rfd, buf, 0); e == nil && n > 0 {
				atomic.AddUint64(&c.rx, 1)
			}
		}
	}()
	go func() {
		to := &unix.SockaddrInet4{Port: 9000, Addr: [4]byte{10, 200, 0, 4}}
		payload := make([]byte, 100)
		// Paced by the clock, not the ticker: an emulated CPU delivers ticks late, and the sends a
		// late tick owes go out with it.
		t0 := time.Now()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				for due := uint64(time.Since(t0) * rate / time.Second); atomic.LoadUint64(&c.tx) < due; {
					_ = unix.Sendto(sfd, payload, 0, to) // no route for a moment is a loss, not an error
					atomic.AddUint64(&c.tx, 1)
				}
			}
		}
	}()
	return nil
}

type window struct {
	ms                             int64
	tx, rx, er, vpn, saOut, saInVG uint64
}

func (w window) String() string {
	return fmt.Sprintf("in %d ms: sent %d, received %d, er0 tx +%d, vpn0 tx +%d, outbound SA +%d, vpngw inbound SA +%d",
		w.ms, w.tx, w.rx, w.er, w.vpn, w.saOut, w.saInVG)
}

// onER: the stream arrives and goes over er0; the tunnel carries the VPN probe only (20/s, well
// under half the stream).
func (w window) onER() bool {
	return w.tx > 0 && w.rx*10 >= w.tx*7 && w.er*10 >= w.tx*7 && w.saOut*2 < w.tx
}

// onVPN: the stream arrives, encrypted by the on-prem SA and decrypted by the gateway's.
func (w window) onVPN() bool {
	return w.tx > 0 && w.rx*10 >= w.tx*7 && w.saOut*10 >= w.tx*9 && w.saInVG*10 >= w.tx*9 && w.er*2 < w.tx
}

func (l *lab) txPackets(dev string) uint64 {
	lk, err := l.onprem.h.LinkByName(dev)
	if err != nil || lk.Attrs().Statistics == nil {
		return 0
	}
	return lk.Attrs().Statistics.TxPackets
}

// window counts what moved during d: the stream's arrivals, on-prem link counters, SA counters on
// both ends (the gateway's inbound SA proves decryption, not only encryption).
func (l *lab) window(c *counts, d time.Duration) window {
	t := time.Now()
	t0, r0, e0, v0 := atomic.LoadUint64(&c.tx), atomic.LoadUint64(&c.rx), l.txPackets("er0"), l.txPackets("vpn0")
	s0, _ := saPackets(l.onprem, onpremWAN, vpngwWAN)
	g0, _ := saPackets(l.vpngw, onpremWAN, vpngwWAN)
	time.Sleep(d)
	s1, _ := saPackets(l.onprem, onpremWAN, vpngwWAN)
	g1, _ := saPackets(l.vpngw, onpremWAN, vpngwWAN)
	return window{time.Since(t).Milliseconds(), atomic.LoadUint64(&c.tx) - t0, atomic.LoadUint64(&c.rx) - r0, l.txPackets("er0") - e0,
		l.txPackets("vpn0") - v0, s1 - s0, g1 - g0}
}

func rss(when string, pid int) {
	// The initramfs is a tmpfs: the mapped pages of hedge and its libraries count as RssShmem here
	// (RssFile on a flash file system); either way a fault maps the cached pages around it too
	// (fault_around_bytes). Before Linux 6.2 a thread adds its page counts to VmRSS only every 64
	// page faults (SPLIT_RSS_COUNTING), so VmRSS lags behind; smaps_rollup walks the page tables.
	s := procStatus(pid, "VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem")
	say("hedge memory (%s): VmRSS %s, VmHWM %s (RssAnon %s: heap and stacks; RssFile %s + RssShmem %s: mapped code and data of hedge and its libraries); Rss %s in smaps_rollup",
		when, s["VmRSS"], s["VmHWM"], s["RssAnon"], s["RssFile"], s["RssShmem"], rollupRss(pid))
}

func showLog(path string, lines int) {
	b, _ := os.ReadFile(path)
	all := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	say("hedge log (last %d lines):", len(all))
	for _, line := range all {
		fmt.Println("    | " + keyHex.ReplaceAllString(line, "<key>"))
	}
}

func oneLine(b []byte) string {
	return strings.Join(strings.Fields(string(b)), " ")
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return "(" + err.Error() + ")"
}
