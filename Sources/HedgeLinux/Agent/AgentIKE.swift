import CHedge
import HedgeCore

/// strongSwan mode: charon negotiates the tunnel's SAs (with `if_id_in/out` = the interface's
/// if_id); hedge follows them two ways. Netlink is the data plane's truth (the SA signal: are the
/// ESP SAs in the kernel?); VICI tells a CHILD_SA being negotiated from one that is gone, names
/// it, and lets hedge ask charon to initiate it again.
final class AgentIKE {
    let keying: StrongSwanKeyingConfig
    var client: VICIClient?
    var tracker: VICISessionTracker
    /// When to try connecting to charon again (it may not be running yet, or restarted).
    var nextConnect: Millis = 0
    var backoff: Millis = AgentIKE.minBackoff
    var lastConnectError: String?
    /// Initiation: at most one outstanding, and not more often than `initiateEvery`.
    var lastInitiate: Millis?
    var initiating = false
    var initiations = 0
    var lastInitiateResult: String?
    /// The kernel's SA pair, as the SA signal last saw it.
    var kernelSAs = false

    static let minBackoff: Millis = 1000
    static let maxBackoff: Millis = 30_000
    static let initiateEvery: Millis = 5000
    /// charon's own retransmissions go on after this; it only bounds how long `initiate` blocks
    /// the connection's command queue.
    static let initiateTimeoutMs = 10_000

    init(keying: StrongSwanKeyingConfig) {
        self.keying = keying
        tracker = VICISessionTracker(ike: keying.connection, child: keying.child)
    }

    var summary: String {
        if client == nil { return "VICI " + keying.vici + " not connected" + (lastConnectError.map { " (" + $0 + ")" } ?? "") }
        return tracker.summary
    }
}

extension Agent {
    func startIKE(_ t: AgentTunnel, now: Millis) {
        guard case .strongswan(let k) = t.config.keying else { return }
        let ike = AgentIKE(keying: k)
        t.ike = ike
        connectIKE(t, ike, now: now)
    }

    func stopIKE(_ t: AgentTunnel) {
        guard let ike = t.ike else { return }
        if let c = ike.client {
            loop.remove(c.fd)
            c.close()
        }
        ike.client = nil
        t.ike = nil
    }

    private func connectIKE(_ t: AgentTunnel, _ ike: AgentIKE, now: Millis) {
        let name = config.paths[t.path].name
        let c: VICIClient
        do {
            c = try VICIClient(path: ike.keying.vici)
        } catch {
            let why = error.description
            if ike.lastConnectError != why { Log.warn("path \(name): charon's VICI socket: \(why); retrying") }
            ike.lastConnectError = why
            ike.nextConnect = now + ike.backoff
            ike.backoff = min(ike.backoff * 2, AgentIKE.maxBackoff)
            return
        }
        ike.client = c
        ike.lastConnectError = nil
        ike.backoff = AgentIKE.minBackoff
        Log.info("path \(name): connected to charon at \(c.path)")
        do { try loop.add(c.fd) { _ in self.viciArrived(t) } } catch {
            recordError("path \(name): VICI: \(error)")
            c.close()
            ike.client = nil
            ike.nextConnect = now + ike.backoff
            return
        }
        do throws(VICIError) {
            for e in ["ike-updown", "child-updown", "ike-rekey", "child-rekey", "list-sa"] { try c.register(e) }
            var m = VICIMessage()
            m.add("ike", ike.keying.connection)
            ike.tracker.beginListing()
            try c.request("list-sas", m)
        } catch {
            recordError("path \(name): VICI: \(error)")
        }
    }

    func viciArrived(_ t: AgentTunnel) {
        guard let ike = t.ike, let c = ike.client else { return }
        let now = Clock.monotonicMs()
        let name = config.paths[t.path].name
        let got: [VICIClientEvent]
        do { got = try c.drain() } catch { got = [.closed(error.description)] }
        for e in got {
            switch e {
            case .event(let n, let m):
                if ike.tracker.apply(event: n, m) { Log.info("path \(name): charon: \(ike.tracker.reason)") }
            case .response("list-sas", _):
                if ike.tracker.endListing() { Log.info("path \(name): charon: \(ike.tracker.summary)") }
            case .response("initiate", let m):
                ike.initiating = false
                let ok = m["success"] == "yes"
                ike.lastInitiateResult = ok ? "initiated" : "initiate failed: " + (m["errmsg"] ?? "no reason given")
                if ok { Log.info("path \(name): charon initiated \(ike.keying.child)") } else {
                    Log.warn("path \(name): charon: \(ike.lastInitiateResult ?? "")")
                }
            case .response, .registered, .unregistered:
                break
            case .unknownCommand(let n), .unknownEvent(let n):
                recordError("path \(name): charon does not know VICI \(n)")
                if n == "initiate" { ike.initiating = false }
            case .closed(let why):
                Log.warn("path \(name): VICI connection closed: \(why); reconnecting")
                loop.remove(c.fd)
                ike.client = nil
                ike.initiating = false
                ike.tracker.reset("VICI closed")
                ike.nextConnect = now + ike.backoff
            }
        }
        maybeInitiate(t, now: now)
        feedSA(t, now: now)
        step(now: now)
    }

    /// The SA signal changed (netlink): with no ESP SA pair in the kernel, ask charon again.
    func ikeSAChanged(_ t: AgentTunnel, up: Bool, now: Millis) {
        guard let ike = t.ike else { return }
        ike.kernelSAs = up
        maybeInitiate(t, now: now)
    }

    private func maybeInitiate(_ t: AgentTunnel, now: Millis) {
        guard let ike = t.ike, ike.keying.initiate, let c = ike.client, !ike.initiating, !ike.kernelSAs else { return }
        // charon reuses an IKE_SA that is up or connecting (checkout_by_config), so asking again
        // every few seconds while the kernel has no SA pair cannot pile up IKE_SAs.
        if ike.tracker.childInstalled { return }
        if let last = ike.lastInitiate, now - last < AgentIKE.initiateEvery { return }
        var m = VICIMessage()
        m.add("child", ike.keying.child)
        m.add("ike", ike.keying.connection)
        m.add("timeout", "\(AgentIKE.initiateTimeoutMs)")
        m.add("init-limits", "no")
        do { try c.request("initiate", m) } catch {
            recordError("path \(config.paths[t.path].name): VICI initiate: \(error)")
            return
        }
        ike.initiating = true
        ike.lastInitiate = now
        ike.initiations += 1
        Log.info("path \(config.paths[t.path].name): asking charon to initiate \(ike.keying.connection)/\(ike.keying.child)")
    }

    func tickIKE(now: Millis) {
        for t in tunnels {
            guard let ike = t.ike else { continue }
            if ike.client == nil && now >= ike.nextConnect {
                connectIKE(t, ike, now: now)
            }
            maybeInitiate(t, now: now)
        }
    }

    func nextIKEDeadline() -> Millis? {
        var next: Millis?
        for t in tunnels {
            guard let ike = t.ike else { continue }
            var d: Millis?
            if ike.client == nil { d = ike.nextConnect } else if ike.keying.initiate && !ike.kernelSAs && !ike.initiating {
                d = (ike.lastInitiate ?? 0) + AgentIKE.initiateEvery
            }
            if let d { next = min(next ?? d, d) }
        }
        return next
    }
}
