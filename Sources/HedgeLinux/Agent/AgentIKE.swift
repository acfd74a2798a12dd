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
    var lastConnectError: String?
    /// When to reconnect, and when to ask charon to initiate.
    var initiation: ChildSAInitiation

    init(keying: StrongSwanKeyingConfig) {
        self.keying = keying
        tracker = VICISessionTracker(ike: keying.connection, child: keying.child)
        initiation = ChildSAInitiation(enabled: keying.initiate)
    }

    var initiations: Int { initiation.initiations }

    var summary: String {
        if client == nil { return "VICI " + keying.vici + " not connected" + (lastConnectError.map { " (" + $0 + ")" } ?? "") }
        return tracker.summary
    }
}

extension Agent {
    /// At start: charon not reachable yet is retried (it may start after hedge).
    func startIKE(_ t: AgentTunnel, now: Millis) {
        guard case .strongswan(let k) = t.config.keying else { return }
        let ike = AgentIKE(keying: k)
        t.ike = ike
        connectIKE(t, ike, now: now)
    }

    /// On reload, a new or changed strongSwan tunnel connects to charon in `prepare`: a VICI
    /// socket that is not there refuses the reload.
    func openIKE(_ c: IPsecConfig) throws(SystemError) -> (AgentIKE, VICIClient)? {
        guard case .strongswan(let k) = c.keying else { return nil }
        return (AgentIKE(keying: k), try VICIClient(path: k.vici))
    }

    /// Puts a connection made in `prepare` to work, as `connectIKE` does its own.
    func installIKE(_ t: AgentTunnel, _ ike: AgentIKE, _ c: VICIClient, now: Millis) {
        t.ike = ike
        installVICI(t, ike, c, now: now)
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
            ike.initiation.connectFailed(now: now)
            return
        }
        installVICI(t, ike, c, now: now)
    }

    private func installVICI(_ t: AgentTunnel, _ ike: AgentIKE, _ c: VICIClient, now: Millis) {
        let name = config.paths[t.path].name
        ike.client = c
        ike.lastConnectError = nil
        ike.initiation.connected()
        Log.info("path \(name): connected to charon at \(c.path)")
        do { try loop.add(c.fd) { _ in self.viciArrived(t) } } catch {
            recordError("path \(name): VICI: \(error)")
            c.close()
            ike.client = nil
            ike.initiation.disconnected(now: now)
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
                let ok = m["success"] == "yes"
                ike.initiation.answered(success: ok, errmsg: m["errmsg"])
                if ok { Log.info("path \(name): charon initiated \(ike.keying.child)") } else {
                    Log.warn("path \(name): charon: \(ike.initiation.lastResult ?? "")")
                }
            case .response, .registered, .unregistered:
                break
            case .unknownCommand(let n), .unknownEvent(let n):
                recordError("path \(name): charon does not know VICI \(n)")
                if n == "initiate" { ike.initiation.refused() }
            case .closed(let why):
                Log.warn("path \(name): VICI connection closed: \(why); reconnecting")
                loop.remove(c.fd)
                ike.client = nil
                ike.tracker.reset("VICI closed")
                ike.initiation.disconnected(now: now)
            }
        }
        maybeInitiate(t, now: now)
        feedSA(t, now: now)
        step(now: now)
    }

    /// The SA signal changed (netlink): with no ESP SA pair in the kernel, ask charon again.
    func ikeSAChanged(_ t: AgentTunnel, up: Bool, now: Millis) {
        guard let ike = t.ike else { return }
        ike.initiation.kernelSAs = up
        maybeInitiate(t, now: now)
    }

    private func maybeInitiate(_ t: AgentTunnel, now: Millis) {
        guard let ike = t.ike, let c = ike.client,
              ike.initiation.initiateDue(connected: true, childInstalled: ike.tracker.childInstalled, now: now) else { return }
        var m = VICIMessage()
        m.add("child", ike.keying.child)
        m.add("ike", ike.keying.connection)
        m.add("timeout", "\(ChildSAInitiation.timeoutMs)")
        m.add("init-limits", "no")
        do { try c.request("initiate", m) } catch {
            recordError("path \(config.paths[t.path].name): VICI initiate: \(error)")
            return
        }
        ike.initiation.initiated(now: now)
        Log.info("path \(config.paths[t.path].name): asking charon to initiate \(ike.keying.connection)/\(ike.keying.child)")
    }

    func tickIKE(now: Millis) {
        for r in runtimes {
            guard let t = r.tunnel, let ike = t.ike else { continue }
            if ike.client == nil && ike.initiation.connectDue(now: now) {
                connectIKE(t, ike, now: now)
            }
            maybeInitiate(t, now: now)
        }
    }

    func nextIKEDeadline() -> Millis? {
        var next: Millis?
        for r in runtimes {
            guard let ike = r.tunnel?.ike else { continue }
            if let d = ike.initiation.nextDeadline(connected: ike.client != nil) { next = min(next ?? d, d) }
        }
        return next
    }
}
