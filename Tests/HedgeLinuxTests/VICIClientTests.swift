import Foundation
import XCTest
import CHedge
@testable import HedgeCore
@testable import HedgeLinux

/// VICIClient against real charon daemons (Debian strongswan-charon 5.9.8): two network
/// namespaces joined by a veth, one charon in each with a private /run (two charons on one host
/// clash on /run/charon.pid) and its VICI socket under /dev/shm, IKEv2 with a pre-shared key and
/// a route-based CHILD_SA (if_id 42, 0.0.0.0/0 both ways), as examples/strongswan-vm runs it.
///
/// On a kernel without ESP (this project's CI machine) the IKE_SA comes up and the CHILD_SA cannot
/// be installed; what charon 5.9.8 does then, seen here:
///   responder: "selected proposal: ESP:AES_GCM_16_256/NO_EXT_SEQ", "received netlink error:
///     Function not implemented (38)", "unable to add SAD entry with SPI ... (FAILED)", "unable to
///     install inbound and outbound IPsec SA (SAD) in kernel", "failed to establish CHILD_SA,
///     keeping IKE_SA", and it answers IKE_AUTH with N(NO_PROP);
///   initiator: "received NO_PROPOSAL_CHOSEN notify, no CHILD_SA built", "failed to establish
///     CHILD_SA, keeping IKE_SA"; `initiate` answers success=no, errmsg "establishing CHILD_SA
///     's2s' failed"; ike-updown up=yes (ESTABLISHED) is raised, child-updown is not.
/// With ESP in the kernel the same test expects child-updown up=yes with an INSTALLED CHILD_SA.
/// HVC_VICI_DUMP=<file> writes every packet received as hex (how VICICodecTests' captures were made).
final class VICIClientTests: XCTestCase {
    static let nsA = "hvc-a", nsB = "hvc-b"
    var dir = ""

    override func setUpWithError() throws {
        try requireRoot("VICI against real charon daemons in namespaces")
        try requireTool("/usr/lib/ipsec/charon", "/usr/sbin/swanctl", install: "strongswan-charon strongswan-swanctl")
        dir = NSTemporaryDirectory() + "hvc-vici-\(getpid())"
        teardownLab()
        sh("""
        set -e
        mkdir -p \(dir) /dev/shm/hvc-a /dev/shm/hvc-b
        ip netns add \(Self.nsA); ip netns add \(Self.nsB)
        ip link add hvc-va netns \(Self.nsA) type veth peer name hvc-vb netns \(Self.nsB)
        for s in a b; do ip -n hvc-$s link set lo up; ip -n hvc-$s link set hvc-v$s up; done
        ip -n hvc-a addr add 192.0.2.1/24 dev hvc-va
        ip -n hvc-b addr add 192.0.2.2/24 dev hvc-vb
        """)
        for (s, me, peer, myID, peerID) in [("a", "192.0.2.1", "192.0.2.2", "onprem", "azure"),
                                            ("b", "192.0.2.2", "192.0.2.1", "azure", "onprem")] {
            try strongswanConf(s).write(toFile: "\(dir)/\(s).strongswan.conf", atomically: true, encoding: .utf8)
            try swanctlConf(me, peer, myID, peerID).write(toFile: "\(dir)/\(s).swanctl.conf", atomically: true, encoding: .utf8)
            startCharon(s)
        }
    }

    override func tearDown() {
        teardownLab()
        if !dir.isEmpty { sh("rm -rf \(dir)", check: false) }
    }

    // MARK: tests

    func testVersionAnswersCharon() throws {
        let c = try VICIClient(path: "unix://" + socket("a"))
        XCTAssertEqual(c.path, socket("a"))
        XCTAssertEqual(fcntl(c.fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC)
        XCTAssertEqual(fcntl(c.fd, F_GETFL) & O_NONBLOCK, O_NONBLOCK)
        let v = try c.call("version", timeoutMs: 3000)
        XCTAssertEqual(v["daemon"], "charon")
        XCTAssertTrue(v["version"]?.hasPrefix("5.") == true, v["version"] ?? "no version")
        XCTAssertEqual(v["sysname"], "Linux")
        XCTAssertEqual(c.pending, 0)
        XCTAssertNil(c.outstanding)
    }

    func testUnknownCommandAndEvent() throws {
        let c = try VICIClient(path: socket("a"))
        try c.register("no-such-event")
        XCTAssertThrowsError(try c.call("no-such-command", timeoutMs: 3000)) { e in
            XCTAssertEqual((e as? SystemError)?.errno, EOPNOTSUPP)
        }
        // The registration was answered before the command: held for drain.
        let evs = try c.drain()
        XCTAssertEqual(evs.count, 1)
        guard case .unknownEvent(let n)? = evs.first else { return XCTFail("\(evs)") }
        XCTAssertEqual(n, "no-such-event")
        // The connection is still good.
        XCTAssertEqual(try c.call("version", timeoutMs: 3000)["daemon"], "charon")
    }

    func testLoadedConnectionIsListed() throws {
        loadConns("a")
        let c = try VICIClient(path: socket("a"))
        try c.register("list-conn")
        let reply = try c.call("list-conns", VICIMessage([.keyValue("ike", Array("hvc".utf8))]), timeoutMs: 3000)
        XCTAssertEqual(reply, VICIMessage())
        let evs = try c.drain()
        dump(evs)
        guard case .registered("list-conn")? = evs.first else { return XCTFail("\(evs)") }
        let conns = evs.compactMap { e -> VICIMessage? in
            if case .event("list-conn", let m) = e { return m }
            return nil
        }
        XCTAssertEqual(conns.count, 1)
        let conn = try XCTUnwrap(conns.first?.section("hvc"))
        XCTAssertEqual(conn.list("local_addrs"), ["192.0.2.1"])
        XCTAssertEqual(conn.list("remote_addrs"), ["192.0.2.2"])
        XCTAssertEqual(conn["version"], "IKEv2")
        // 5.9.8's list-conn shows no if_id; the IKE_SA events do (testInitiateBetweenTwoCharons).
        XCTAssertNil(conn["if_id_in"])
        XCTAssertEqual(conn.section("local-1")?["class"], "pre-shared key")
        XCTAssertEqual(conn.section("remote-1")?["id"], "azure")
        let child = try XCTUnwrap(conn.section("children")?.section("s2s"))
        XCTAssertEqual(child.list("local-ts"), ["0.0.0.0/0"])
        XCTAssertEqual(child.list("remote-ts"), ["0.0.0.0/0"])
        XCTAssertEqual(child["mode"], "TUNNEL")

        let names = try c.call("get-conns", timeoutMs: 3000)
        XCTAssertEqual(names.list("conns"), ["hvc"])
    }

    /// Initiates between the two charons and follows the tunnel with VICISessionTracker, the
    /// way the agent will: events as they come, `list-sas` to seed, `terminate` to end.
    func testInitiateBetweenTwoCharons() throws {
        loadConns("a"); loadConns("b")
        let esp = kernelHasESP()
        let c = try VICIClient(path: socket("a"))
        var tracker = VICISessionTracker(ike: "hvc", child: "s2s")
        for e in ["ike-updown", "child-updown", "ike-rekey", "child-rekey", "control-log"] { try c.register(e) }

        var initiate = VICIMessage()
        initiate.add("child", "s2s")
        initiate.add("ike", "hvc")
        initiate.add("timeout", "10000")
        initiate.add("init-limits", "no")
        initiate.add("loglevel", "1")
        let reply = try c.call("initiate", initiate, timeoutMs: 15000)
        var evs = try c.drain()
        // child-updown may trail the response by a moment on the responder-driven path.
        evs += collect(c, ms: 500)
        dump(evs)
        let log = controlLog(evs)
        print("charon (initiator) said:\n  " + log.joined(separator: "\n  "))
        print("initiate answered: \(reply)")
        for case .event(let name, let m) in evs { tracker.apply(event: name, m) }
        print("tracker: \(tracker.summary) (\(tracker.reason))")

        XCTAssertEqual(evs.filter { if case .registered = $0 { return true }; return false }.count, 5)
        let ikeUp = evs.compactMap { e -> VICIMessage? in
            if case .event("ike-updown", let m) = e { return m }
            return nil
        }
        XCTAssertEqual(ikeUp.count, 1)
        XCTAssertEqual(ikeUp.first?["up"], "yes")
        let ike = try XCTUnwrap(ikeUp.first?.section("hvc"))
        XCTAssertEqual(ike["state"], "ESTABLISHED")
        XCTAssertEqual(ike["local-host"], "192.0.2.1")
        XCTAssertEqual(ike["remote-host"], "192.0.2.2")
        XCTAssertEqual(ike["remote-id"], "azure")
        XCTAssertEqual(ike["initiator"], "yes")
        XCTAssertEqual(ike["encr-alg"], "AES_CBC")
        XCTAssertEqual(ike["dh-group"], "MODP_1024")
        XCTAssertEqual(ike["if-id-in"], "0000002a")
        XCTAssertEqual(ike["if-id-out"], "0000002a")
        XCTAssertTrue(tracker.ikeEstablished, tracker.summary)
        XCTAssertTrue(log.contains { $0.contains("IKE_SA hvc[") && $0.contains("established between 192.0.2.1[onprem]...192.0.2.2[azure]") }, "\(log)")

        let childUp = evs.compactMap { e -> VICIMessage? in
            if case .event("child-updown", let m) = e { return m }
            return nil
        }
        if esp {
            XCTAssertEqual(reply["success"], "yes")
            XCTAssertEqual(childUp.first?["up"], "yes")
            XCTAssertTrue(tracker.childInstalled, tracker.summary)
            XCTAssertNotNil(tracker.spiIn)
        } else {
            // No ESP in this kernel: the responder cannot add its SAD entries and refuses the
            // CHILD_SA; the IKE_SA stays.
            XCTAssertEqual(reply["success"], "no")
            XCTAssertEqual(reply["errmsg"], "establishing CHILD_SA 's2s' failed")
            XCTAssertTrue(childUp.isEmpty, "\(childUp)")
            XCTAssertTrue(log.contains("received NO_PROPOSAL_CHOSEN notify, no CHILD_SA built"), "\(log)")
            XCTAssertTrue(log.contains("failed to establish CHILD_SA, keeping IKE_SA"), "\(log)")
            XCTAssertFalse(tracker.childInstalled)
            XCTAssertEqual(tracker.childStatus, .absent)
            let responder = (try? String(contentsOfFile: "\(dir)/charon-b.log", encoding: .utf8)) ?? ""
            XCTAssertTrue(responder.contains("unable to install inbound and outbound IPsec SA (SAD) in kernel"), responder)
            XCTAssertTrue(responder.contains("received netlink error: Function not implemented (38)"), responder)
        }

        // Seeding from list-sas, as after a reconnect.
        var seeded = VICISessionTracker(ike: "hvc", child: "s2s")
        try c.register("list-sa")
        seeded.beginListing()
        var listSAs = VICIMessage()
        listSAs.add("ike", "hvc")
        _ = try c.call("list-sas", listSAs, timeoutMs: 3000)
        let listed = try c.drain()
        dump(listed)
        for case .event(let name, let m) in listed { seeded.apply(event: name, m) }
        seeded.endListing()
        XCTAssertEqual(seeded.ikeState, "ESTABLISHED")
        XCTAssertEqual(seeded.ikeUniqueID, tracker.ikeUniqueID)
        XCTAssertEqual(seeded.childInstalled, tracker.childInstalled)
        XCTAssertEqual(seeded.summary, tracker.summary)

        // Terminate: ike-updown without up (and child-updown down when there was a CHILD_SA).
        var terminate = VICIMessage()
        terminate.add("ike", "hvc")
        terminate.add("timeout", "5000")
        let t = try c.call("terminate", terminate, timeoutMs: 8000)
        XCTAssertEqual(t["success"], "yes")
        let down = try c.drain() + collect(c, ms: 300)
        dump(down)
        for case .event(let name, let m) in down { tracker.apply(event: name, m) }
        XCTAssertTrue(down.contains { if case .event("ike-updown", let m) = $0 { return m["up"] == nil }; return false })
        XCTAssertNil(tracker.ikeState, tracker.summary)
        XCTAssertEqual(tracker.childStatus, .absent)
        XCTAssertEqual(tracker.summary, "hvc: no IKE_SA, no CHILD_SA s2s")
    }

    /// The agent's way: the descriptor in hedge's epoll loop, requests queued back to back (one
    /// outstanding at a time), answers in order, events in between.
    func testQueuedRequestsOnTheEventLoop() throws {
        loadConns("a"); loadConns("b")
        let c = try VICIClient(path: socket("a"))
        let loop = try EventLoop(signals: [])
        var got: [VICIClientEvent] = []
        try loop.add(c.fd) { _ in
            got += (try? c.drain()) ?? []
            if got.contains(where: { if case .response("stats", _) = $0 { return true }; return false }) { loop.stop() }
        }
        try c.register("ike-updown")
        var initiate = VICIMessage()
        initiate.add("ike", "hvc")
        initiate.add("child", "s2s")
        initiate.add("timeout", "-1")   // answer at once; the IKE_SA comes up afterwards
        try c.request("initiate", initiate)
        try c.request("version")
        try c.request("stats")
        XCTAssertEqual(c.pending, 4)
        XCTAssertEqual(c.outstanding, "ike-updown")
        let stopAt = Clock.monotonicUs() + 5_000_000
        let slot = loop.register(LoopTimer("stop", deadline: { _ in stopAt }, fire: { _ in loop.stop() }))
        loop.run()
        loop.unregister(slot)
        loop.remove(c.fd)
        let names = got.compactMap { e -> String? in
            switch e {
            case .registered(let n): return "registered " + n
            case .response(let n, _): return "response " + n
            default: return nil
            }
        }
        XCTAssertEqual(names, ["registered ike-updown", "response initiate", "response version", "response stats"])
        XCTAssertEqual(c.pending, 0)
        // The IKE_SA comes up after the immediate answer.
        let up = got + collect(c, ms: 3000, until: "ike-updown")
        XCTAssertTrue(up.contains { if case .event("ike-updown", let m) = $0 { return m["up"] == "yes" }; return false }, "\(up)")
    }

    func testCharonStoppingClosesTheClient() throws {
        let c = try VICIClient(path: socket("a"))
        XCTAssertEqual(try c.call("version", timeoutMs: 3000)["daemon"], "charon")
        stopCharon("a")
        let evs = collect(c, ms: 3000, until: "closed")
        guard case .closed(let why)? = evs.last else { return XCTFail("\(evs)") }
        XCTAssertEqual(why, "charon closed the VICI connection")
        XCTAssertFalse(c.isOpen)
        XCTAssertThrowsError(try c.drain())
        XCTAssertThrowsError(try c.call("version", timeoutMs: 100)) { e in
            XCTAssertEqual((e as? SystemError)?.errno, ECONNRESET)
        }
        XCTAssertThrowsError(try VICIClient(path: socket("a")))
    }

    // MARK: lab

    func socket(_ s: String) -> String { "/dev/shm/hvc-\(s)/charon.vici" }

    func strongswanConf(_ s: String) -> String {
        // hedge owns routing: no routes, no table 220 rule (see shared toolchain notes).
        """
        charon {
          port = 500
          port_nat_t = 4500
          install_routes = no
          install_routes_xfrmi = no
          routing_table = 0
          filelog { stderr { default = 1 } }
          plugins {
            vici { socket = unix://\(socket(s)) }
          }
        }
        swanctl { socket = unix://\(socket(s)) }

        """
    }

    func swanctlConf(_ me: String, _ peer: String, _ myID: String, _ peerID: String) -> String {
        """
        connections {
          hvc {
            version = 2
            local_addrs = \(me)
            remote_addrs = \(peer)
            proposals = aes256-sha256-modp1024
            local {
              auth = psk
              id = \(myID)
            }
            remote {
              auth = psk
              id = \(peerID)
            }
            if_id_in = 42
            if_id_out = 42
            children {
              s2s {
                local_ts = 0.0.0.0/0
                remote_ts = 0.0.0.0/0
                esp_proposals = aes256gcm16
              }
            }
          }
        }
        secrets {
          ike-1 {
            id-1 = onprem
            id-2 = azure
            secret = "lab-only-preshared-key"
          }
        }

        """
    }

    func startCharon(_ s: String) {
        sh("""
        STRONGSWAN_CONF=\(dir)/\(s).strongswan.conf ip netns exec hvc-\(s) unshare -m sh -c 'mount -t tmpfs none /run && exec /usr/lib/ipsec/charon' > \(dir)/charon-\(s).log 2>&1 &
        echo $! > \(dir)/charon-\(s).pid
        for i in $(seq 50); do [ -S \(socket(s)) ] && exit 0; sleep 0.1; done
        echo "no VICI socket from charon \(s)"; cat \(dir)/charon-\(s).log; exit 1
        """)
    }

    /// SIGTERM, then SIGKILL after 5 s; charon takes about 2 s to stop its threads, so the
    /// daemons are stopped together.
    func stopCharon(_ names: String...) {
        let pidFiles = names.map { "\(dir)/charon-\($0).pid" }.joined(separator: " ")
        sh("""
        pids=$(cat \(pidFiles) 2>/dev/null); rm -f \(pidFiles)
        [ -n "$pids" ] || exit 0
        # A zombie (charon's parent shell is gone; init reaps it) counts as stopped.
        alive() { for p in $pids; do grep -qs '^State:[[:space:]]*[^Z]' /proc/$p/status && return 0; done; return 1; }
        kill $pids 2>/dev/null
        for i in $(seq 50); do alive || exit 0; sleep 0.1; done
        kill -9 $pids 2>/dev/null; true
        """, check: false)
    }

    func loadConns(_ s: String) {
        sh("STRONGSWAN_CONF=\(dir)/\(s).strongswan.conf swanctl --load-all --file \(dir)/\(s).swanctl.conf --uri unix://\(socket(s))")
    }

    func teardownLab() {
        if !dir.isEmpty { stopCharon("a", "b") }
        sh("ip netns del \(Self.nsA) 2>/dev/null; ip netns del \(Self.nsB) 2>/dev/null; rm -rf /dev/shm/hvc-a /dev/shm/hvc-b; true", check: false)
    }

    /// Whether this kernel takes an ESP state (AES-GCM, as the CHILD_SA negotiates).
    func kernelHasESP() -> Bool {
        sh("""
        ip -n \(Self.nsA) xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x100 mode tunnel \
          aead 'rfc4106(gcm(aes))' 0x0102030405060708091011121314151617181920212223242526272829303132aabbccdd 128 \
          && ip -n \(Self.nsA) xfrm state flush
        """, check: false).0 == 0
    }

    /// Drains for up to `ms`, or until an event of that name (or "closed") arrives.
    func collect(_ c: VICIClient, ms: Int, until name: String? = nil) -> [VICIClientEvent] {
        var out: [VICIClientEvent] = []
        let end = Date().addingTimeInterval(Double(ms) / 1000)
        while Date() < end && c.isOpen {
            var p = pollfd(fd: c.fd, events: Int16(POLLIN), revents: 0)
            _ = poll(&p, 1, 50)
            out += (try? c.drain()) ?? []
            if let n = name, out.contains(where: { e in
                if case .event(let x, _) = e { return x == n }
                if case .closed = e { return n == "closed" }
                return false
            }) { break }
        }
        return out
    }

    func controlLog(_ evs: [VICIClientEvent]) -> [String] {
        evs.compactMap { e -> String? in
            if case .event("control-log", let m) = e { return m["msg"] }
            return nil
        }
    }

    func dump(_ evs: [VICIClientEvent]) {
        guard let path = ProcessInfo.processInfo.environment["HVC_VICI_DUMP"] else { return }
        var text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        for case .event(let name, let m) in evs {
            let hex = ((try? VICIPacket(.event, name: name, m).encode()) ?? []).map { String(format: "%02x", $0) }.joined()
            text += "\(name) \(hex)\n"
        }
        try? text.write(toFile: path, atomically: true, encoding: .utf8)
    }
}
