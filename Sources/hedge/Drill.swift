import CHedge
import HedgeCore
import HedgeLinux

/// `hedge drill`: the reference architecture's four steps against the live system — reach Azure over
/// ExpressRoute, take ExpressRoute down (locally: the agent holds the path down; the provider is
/// untouched), reach Azure over the VPN, restore and see traffic move back — printed as a timeline.
/// It refuses to start without a healthy backup, and always releases the hold, even on SIGINT.
struct Drill {
    let socket: String
    let start = Clock.monotonicMs()
    var failed = false

    struct Path { var name: String; var health: String; var priority: Int; var sent: Int; var received: Int; var lost: Int; var rttUs: Int }
    struct State { var active: String; var members: [String]; var paths: HashMap<String, Path> }

    func say(_ s: String) {
        let t = Clock.monotonicMs() - start
        var ms = "+\(t)ms"
        while ms.count < 9 { ms = " " + ms }
        writeOut("\(ms)  \(CivilTime(epochMs: Clock.realtimeMs()).timeOfDay)  \(s)\n")
    }

    @inline(never) func ask(_ line: String) -> String? {
        do { return try ControlClient.request(path: socket, line) } catch {
            writeErr("hedge drill: cannot reach the agent: \(error)")
            return nil
        }
    }

    /// The first group's state, from `drill-state` (one line per group and path).
    func state() -> State? {
        guard let text = ask("drill-state") else { return nil }
        var st = State(active: "none", members: [], paths: HashMap())
        var sawGroup = false
        for line in text.split(separator: "\n") {
            let w = line.split(separator: " ").map(String.init)
            if w.first == "group", !sawGroup, w.count >= 6 {
                sawGroup = true
                st.active = w[3]
                st.members = w[5].split(separator: ",").map(String.init)
            } else if w.first == "path", w.count >= 5 {
                var p = Path(name: w[1], health: w[2], priority: Int(w[4]) ?? 0, sent: 0, received: 0, lost: 0, rttUs: -1)
                var i = 5
                while i + 1 < w.count {
                    let v = Int(w[i + 1]) ?? 0
                    switch w[i] {
                    case "probe_sent": p.sent = v
                    case "probe_received": p.received = v
                    case "probe_lost": p.lost = v
                    case "rtt_us": p.rttUs = v
                    default: break
                    }
                    i += 2
                }
                st.paths[p.name] = p
            }
        }
        return sawGroup ? st : nil
    }

    /// Polls every 5 ms until `cond` holds or `ms` pass; false on timeout or SIGINT/SIGTERM.
    @inline(never) func waitUntil(_ ms: Int, _ cond: (State) -> Bool) -> (Bool, State?, Int32) {
        let end = Clock.monotonicMs() + Millis(ms)
        var last: State?
        while Clock.monotonicMs() < end {
            if let s = state() { last = s; if cond(s) { return (true, s, 0) } }
            let sig = hedge_wait_stop_signal(5)
            if sig != 0 { return (false, last, sig) }
        }
        return (false, last, 0)
    }

    @inline(never) func rtt(_ p: Path) -> String { p.rttUs < 0 ? "" : ", rtt \(formatDecimal(Int64(p.rttUs), decimals: 3)) ms" }

    mutating func run(holdSeconds: Int, failbackWaitMs: Int) -> Int32 {
        _ = hedge_block_stop_signals()
        guard let s0 = state() else { return 1 }
        let order = s0.members.compactMap { s0.paths[$0] }.stableSorted { $0.priority < $1.priority }
        guard let first = order.first else { writeErr("hedge drill: the group has no path"); return 1 }
        // The circuit is every path of the best priority (both links of an ExpressRoute circuit are
        // two paths of equal priority): the drill takes them all down, as disabling the peering
        // does, and the backup is the best path after them.
        let tier = order.filter { $0.priority == first.priority }
        guard let backup = order.first(where: { $0.priority > first.priority }) else {
            writeErr("hedge drill: every path of the group has the same priority; nothing to fail over to"); return 1
        }
        let names = tier.map { $0.name }
        let primary = names.joined(separator: " + ")
        say("STEP 1  \(primary) carries the traffic?")
        guard names.contains(s0.active), tier.contains(where: { $0.health == "up" }) else {
            say("FAILED: traffic is on \(s0.active), \(primary) is \(tier.map { $0.health }.joined(separator: "/")); run the drill when \(primary) is in service")
            return 1
        }
        guard backup.health == "up" else {
            say("REFUSED: backup path \(backup.name) is \(backup.health): no redundancy, a drill would cut Azure off")
            return 1
        }
        let links = tier.map { "\($0.name) \($0.health)\(rtt($0))" }.joined(separator: ", ")
        say("        yes: group active on \(s0.active) (\(links)); \(backup.name) up\(rtt(backup))")

        say("STEP 2  take \(primary) down locally (hold, at most \(holdSeconds) s; hedge closes its own BGP session there, if any, as a failure would; nothing changes at the provider)")
        let t0 = Clock.monotonicMs()
        for n in names {
            guard ask("hold \(n) \(holdSeconds)") != nil else { return abort(names, 0, "cannot hold \(n)") }
        }
        let (moved, s1, sig1) = waitUntil(5000) { $0.active == backup.name }
        if !moved { return abort(names, sig1, "traffic did not move to \(backup.name) within 5 s") }
        say("        traffic moved to \(backup.name) in \(Clock.monotonicMs() - t0) ms")

        say("STEP 3  Azure reachable over \(backup.name)?")
        let before = s1?.paths[backup.name]
        let (_, s2, sig2) = waitUntil(2000) { _ in false }
        if sig2 != 0 { return abort(names, sig2, "interrupted") }
        let after = s2?.paths[backup.name]
        if let a = after, let b = before, a.sent > b.sent {
            let sent = a.sent - b.sent, got = a.received - b.received
            say("        \(got) of \(sent) probes answered over \(backup.name) in 2 s\(rtt(a)); lost \(a.lost - b.lost)")
            if got == 0 || a.health != "up" { return abort(names, 0, "\(backup.name) does not answer") }
        } else {
            say("        \(backup.name) has no probe: its health is \(after?.health ?? "unknown")")
            if after?.health != "up" { return abort(names, 0, "\(backup.name) is not up") }
        }

        say("STEP 4  restore \(primary); traffic returns after the hold-down")
        let t3 = Clock.monotonicMs()
        for n in names { _ = ask("release \(n)") }
        let (back, s4, sig4) = waitUntil(failbackWaitMs) { names.contains($0.active) }
        if !back {
            if sig4 != 0 { say("interrupted (signal \(sig4)); \(primary) released, failback follows the hold-down") }
            say("FAILED: traffic still on \(s4?.active ?? "?") \(Clock.monotonicMs() - t3) ms after the restore")
            _ = ask("drill-done failed: no failback to \(primary)")
            return 1
        }
        say("        traffic back on \(s4?.active ?? primary) \(Clock.monotonicMs() - t3) ms after the restore")
        let summary = "ok: failover to \(backup.name) and back; took \(Clock.monotonicMs() - t0) ms"
        _ = ask("drill-done " + summary)
        say("RESULT  drill passed (\(summary))")
        return 0
    }

    /// Releases the hold whatever happened, and says why the drill stopped.
    func abort(_ paths: [String], _ sig: Int32, _ why: String) -> Int32 {
        for p in paths { _ = ask("release \(p)") }
        let path = paths.joined(separator: " + ")
        say(sig != 0 ? "interrupted (signal \(sig)): \(path) released" : "FAILED: \(why); \(path) released")
        _ = ask("drill-done failed: \(why)")
        return 1
    }
}
