import CHedge
import HedgeCore

/// Life under a service manager: least privilege once started, READY=1 when the first decision
/// is in the kernel, and a watchdog fed from the event loop itself so that a stuck loop (the one
/// thing that must never stop) gets the agent restarted.
extension Agent {
    /// Capabilities `hedge run --user` keeps: netlink changes and the ICMP probes always; port 179
    /// only when a BGP session may need a new listener.
    var keptCapabilities: UInt64 {
        var keep = Privileges.netAdmin | Privileges.netRaw
        if config.paths.contains(where: { $0.bgp != nil }) { keep |= Privileges.netBindService }
        return keep
    }

    func dropPrivileges() throws(SystemError) {
        guard let user else { return }
        // The control socket stays root's (and so does its directory: removing the socket at exit
        // is left to the next start, or to systemd's RuntimeDirectory); the event queue is written.
        try Privileges.drop(to: user, keep: keptCapabilities, handOver: handOverPaths())
        Log.info("running as \(user) (uid \(getuid())) with \(Privileges.names(hedge_effective_caps()))")
    }

    func startService(now: Millis) {
        guard let n = SystemdNotify.fromEnvironment() else { return }
        notify = n
        n.ready(status: serviceStatus())
        if let w = n.watchdogIntervalMs {
            Log.info("systemd watchdog: pinging every \(w) ms")
            n.watchdog()
            nextWatchdog = now + w
        }
    }

    func tickWatchdog(now: Millis) {
        guard let n = notify, let w = n.watchdogIntervalMs, let due = nextWatchdog, now >= due else { return }
        n.watchdog()
        nextWatchdog = now + w
    }

    /// One line for `systemctl status`: where each group's traffic goes.
    func serviceStatus() -> String {
        var parts: [String] = []
        for (gi, g) in config.groups.enumerated() {
            let set = config.pathNames(decision.activeMembers(group: gi))
            parts.append("\(g.name) via \(set.isEmpty ? "none" : set.joined(separator: " + "))")
        }
        return parts.joined(separator: ", ")
    }
}

extension Agent {
    /// Files the unprivileged agent writes: the event spool and what is in it.
    func handOverPaths() -> [String] {
        guard let p = config.reporting.push else { return [] }
        return EventSpool.ownedPaths(in: p.spool)
    }
}
