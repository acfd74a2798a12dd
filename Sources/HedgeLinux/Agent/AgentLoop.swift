import HedgeCore

/// One path's runtime parts, at the path's index in `Agent.runtimes`. Its probe and BFD session
/// are one loop participant with one deadline (the earliest of theirs), fired only when a part is
/// due; its BGP session, tunnel and route-watch have descriptors and timers of their own.
final class PathRuntime: LoopParticipant {
    let path: Int
    let agent: Agent
    var probe: ProbeRunner?
    var bfd: BFDRunner?
    var bgp: AgentBGPPeer?
    /// `ipsec`: the route-based tunnel.
    var tunnel: AgentTunnel?
    var routeWatch: AgentRouteWatch?
    /// Its slot in the loop (the owner of its descriptors); -1 while not on the loop.
    var slot = -1

    init(path: Int, agent: Agent) { self.path = path; self.agent = agent }

    func nextDeadline(nowUs: Int64) -> Int64? {
        var d = bfd?.nextDeadline(nowUs: nowUs)
        if let p = probe {
            let t = p.tracker.nextDeadline() * 1000
            d = min(d ?? t, t)
        }
        return d
    }

    func fire(nowUs: Int64) { agent.fire(self, nowUs: nowUs) }
}

/// One group's counters, at the group's index in `Agent.groups`: they follow the group's name
/// across a reload.
struct GroupRuntime {
    var switches = 0
    var lastSwitch: SwitchEvent?
    /// Switches away from a failed path and back, the last failover's wall time, and its loss
    /// window (from the failed path's last sign of life to the kernel's ack of the switch).
    var failovers = 0
    var failbacks = 0
    var lastFailoverWallMs: Int64?
    var lossWindowMs: Int64?
    /// The no-redundancy alarm, as last logged.
    var alarm: String?
}

/// What the agent's loop drives, listed once: each path's runtime, and one timer per subsystem.
/// The loop keeps their deadlines and fires only what is due; nothing here names every subsystem
/// again for ticking or for arming the timer.
extension Agent {
    /// Registers the subsystems' timers (once, at start: each reads the agent's current state, so a
    /// reload changes what they find, not the list).
    func registerTimers() {
        let timers: [LoopTimer] = [
            LoopTimer("decision", ms: { now in self.decision.nextDeadline(now: now) }, fire: { now in self.step(now: now, due: true) }),
            LoopTimer("kernel", ms: { now in self.kernelWorkPending ? now : self.reconcileRetryAt },
                      fire: { now in self.retryReconcile(now: now); self.step(now: now) }),
            LoopTimer("drill", ms: { _ in self.holds.values.min() }, fire: { now in self.releaseLapsedHolds(now: now) }),
            LoopTimer("bgp", ms: { _ in self.nextBGPDeadline() }, fire: { now in self.tickBGP(now: now); self.step(now: now) }),
            LoopTimer("bmp", ms: { _ in self.bmp?.station.nextDeadline }, fire: { now in self.tickBMP(now: now); self.step(now: now) }),
            LoopTimer("ike", ms: { _ in self.nextIKEDeadline() }, fire: { now in self.tickIKE(now: now); self.step(now: now) }),
            LoopTimer("watchdog", ms: { _ in self.nextWatchdog }, fire: { now in self.tickWatchdog(now: now) }),
            LoopTimer("reporting", ms: { _ in self.nextReportingDeadline() }, fire: { now in self.tickReporting(now: now) }),
        ]
        for t in timers {
            let slot = loop.register(t)
            if t.name == "decision" { decisionSlot = slot }
            if t.name == "kernel" { kernelSlot = slot }
            if t.name == "reporting" { reportingSlot = slot }
        }
        measureSlot = loop.register(LoopTimer("measure", ms: { _ in self.nextMeasureDeadline() },
                                              fire: { now in self.tickMeasures(now: now) }))
    }

    /// Puts a path's probe and BFD sockets on the loop, under the path's participant.
    func attach(_ r: PathRuntime) throws(SystemError) {
        guard r.probe != nil || r.bfd != nil else { return }
        r.slot = loop.register(r)
        if let p = r.probe { try loop.add(p.socket.fd, owner: r.slot) { _ in self.probeReplies(p) } }
        if let b = r.bfd { try loop.add(b.socket.rx, owner: r.slot) { _ in self.bfdPackets(b) } }
    }

    /// Takes them off again (a reload hands the parts that carry on to the new runtimes).
    func detach(_ r: PathRuntime) {
        if let p = r.probe { loop.remove(p.socket.fd) }
        if let b = r.bfd { loop.remove(b.socket.rx) }
        loop.unregister(r.slot)
        r.slot = -1
    }

    /// A path's deadline: BFD's packets already queued count before detection is judged, a probe's
    /// replies before its own, and the probe due now is sent before it is judged (it is one of the
    /// `threshold` that must go unanswered).
    func fire(_ r: PathRuntime, nowUs: Int64) {
        let now = nowUs / 1000
        var changed = false
        if let b = r.bfd {
            if b.detectionDue(nowUs: nowUs), let (h, why) = b.receive(nowUs: nowUs, jitter: &jitter) {
                bfdSignal(r.path, h, why, now: now); changed = true
            }
            if let (h, why) = b.tick(nowUs: nowUs, jitter: &jitter) { bfdSignal(r.path, h, why, now: now); changed = true }
        }
        if let p = r.probe {
            if let h = p.receive(now: now) {
                decision.signal(path: r.path, .probe, h, reason: p.tracker.reason, now: now); changed = true
            }
            p.sendIfDue(now: now)
            if let h = p.tracker.tick(now: now) {
                decision.signal(path: r.path, .probe, h, reason: p.tracker.reason, now: now); changed = true
            }
        }
        if changed { step(now: now) }
    }

    func releaseLapsedHolds(now: Millis) {
        for (path, until) in holds where now >= until {
            Log.warn("drill: hold on \(config.paths[path].name) lapsed; releasing it")
            release(path: path, now: now)
        }
    }
}
