import CHedge
import HedgeCore

/// `hedge run`: wires kernel events, probes and timers into the Core decision and applies what it
/// decides. It decides nothing itself.
public final class Agent {
    // MARK: configuration

    let configPath: String
    var config: HedgeConfig
    /// `config` plus what the BGP sessions have taught (`effectiveConfig()`), with the generations
    /// of the inputs it was merged from.
    var effective: ([Int], HedgeConfig)?
    /// Configuration generation (1 at start, +1 per applied reload) and reload results.
    var configGeneration = 1
    var reloadsSucceeded = 0
    var reloadsFailed = 0
    var lastReloadWallMs: Int64?
    /// Why the last reload was refused; nil when it was applied (or there was none).
    var lastReloadError: String?

    // MARK: decision, paths and groups

    var decision: Decision
    /// By path index (`config.paths`): each path's runtime parts (probe, BFD, BGP session, tunnel,
    /// route-watch). Start, the loop, status, reload and shutdown go through this one list.
    var runtimes: [PathRuntime] = []
    /// By group index (`config.groups`): each group's counters and alarm.
    var groups: [GroupRuntime]
    /// Groups' `measure reflect` probes (see AgentMeasure).
    var measures: [MeasureRunner] = []
    /// The decision's version last reported (events, the redundancy alarm).
    var reportedVersion = 0
    /// Per path: its health and each signal's, as last reported in an event.
    var reportedHealth: [Health] = []
    var reportedSignals: [HashMap<SignalKind, Health>] = []
    /// BFD's transmit jitter (RFC 5880 §6.8.7), one generator for every session.
    var jitter = Jitter()

    // MARK: drills

    /// Paths held down by a drill, with the time the hold lapses by itself (a drill client that
    /// dies must not leave ExpressRoute held down).
    var holds = HashMap<Int, Millis>()
    var lastDrill: String?
    /// Wall time of the last drill that ended in success.
    var lastDrillSuccessWallMs: Int64?

    // MARK: the kernel

    let kernel: RouteNetlink
    let events: KernelEvents
    var links = HashMap<Int32, LinkInfo>()
    var indexByName = HashMap<String, Int32>()
    /// hedge's objects as the kernel holds them, kept current from events.
    var mirror = KernelState()
    var needsReconcile = true
    /// A rule changed: the rules are read back on the loop's turn (events do not carry them whole).
    var ruleDumpNeeded = false
    /// Kernel operations decided but not yet sent (a large table goes in over several loop turns),
    /// and the next one to send.
    var pendingOps: [KernelOp] = []
    var pendingAt = 0
    /// The batch under way puts underlay pins in before the routes that cover them.
    var pinsFirst = false
    var reconcileRetryAt: Millis?
    /// Re-asserts of hedge's nexthop objects against another protocol, by id: one per 10 s at most.
    var takeovers = ReassertLimiter<UInt32>(windowMs: 10_000)
    /// Event overruns (ENOBUFS) after which the kernel's state was read again.
    var resyncs = 0
    /// The XFRM sockets, opened only when a path has `ipsec`.
    var xfrm: XfrmNetlink?
    var xfrmEvents: XfrmEvents?
    /// nftables, opened only when a path has `ipsec` (the MSS clamp, AgentClamp).
    var nft: NftNetlink?
    var nftEvents: NftEvents?
    var clampInPlace = false
    var clampRepairs = 0

    // MARK: the loop

    let loop: EventLoop
    /// Loop slots of the timers that other work moves (AgentLoop.registerTimers).
    var decisionSlot = -1
    var kernelSlot = -1
    var measureSlot = -1
    var reportingSlot = -1

    // MARK: listeners and reporting

    var control: ControlServer?
    /// The BMP station and the paths it watches for.
    var bmp: AgentBMP?
    /// `/metrics` and `/status`; nil while off or not bound (then retried at `httpRetryAt`).
    var http: HTTPServer?
    var httpRetryAt: Millis?
    /// Syslog, the event queue and its push; nil until reporting starts.
    var eventLog: EventLog?

    // MARK: errors

    /// Every error logged, and those that were netlink's.
    var errors = 0
    var netlinkErrors = 0
    var lastError: String?
    /// When the last error event went out (the same error again is one event a minute).
    var lastErrorEventAt: Millis = -1_000_000

    // MARK: the process

    let startMono: Millis
    let wallOffset: Millis
    /// `--user`: who the agent becomes once everything privileged is open.
    let user: String?
    /// The service manager (systemd `Type=notify`), when hedge runs under one.
    var notify: SystemdNotify?
    var nextWatchdog: Millis?

    public init(configPath: String, config: HedgeConfig, user: String? = nil) throws(SystemError) {
        self.configPath = configPath
        self.config = config
        self.user = user
        decision = Decision(config: config)
        groups = [GroupRuntime](repeating: GroupRuntime(), count: config.groups.count)
        startMono = Clock.monotonicMs()
        wallOffset = Clock.realtimeMs() - startMono
        loop = try EventLoop()
        // Subscribe before the first dump so that no change falls between the two.
        events = try KernelEvents(protocolID: config.kernel.routeProtocol,
                                  receiveBuffer: config.kernel.netlinkReceiveBuffer)
        kernel = try RouteNetlink(protocolID: config.kernel.routeProtocol)
    }

    var useNexthops: Bool { kernel.hasNexthopObjects && config.kernel.nexthopObjects }

    /// Runs until SIGTERM/SIGINT. Returns the exit status.
    public func run() -> Int32 {
        Log.neverBlock()
        hedge_malloc_fixed_mmap_threshold()
        do {
            try start()
        } catch {
            Log.error("start-up failed: \(error)")
            return 1
        }
        loop.run()
        shutdown()
        return 0
    }

    func start() throws(SystemError) {
        Log.info("starting: \(config.paths.count) paths, \(config.groups.count) groups, "
                 + (useNexthops ? "nexthop objects" : "per-route replace (kernel has no nexthop objects)"))
        if !useNexthops {
            for g in config.groups where g.ecmp {
                Log.warn("group \(g.name): its paths share a priority, but without nexthop objects its routes use only the first path in use (no ECMP)")
            }
        }
        let now = Clock.monotonicMs()
        registerTimers()
        runtimes = config.paths.indices.map { PathRuntime(path: $0, agent: self) }
        // The tunnel's interface must exist before routes can point at it.
        try startIPsec(now: now)
        startClamp(now: now)
        resync(now: now, why: "start-up")
        adoptFromKernel(now: now)
        try startProbes()
        try startMeasures(now: now)
        try startBFD()
        try startBGP(now: now)
        try startRouteWatches(now: now)
        try startBMP(now: now)
        try startControl()
        startReporting(now: now)
        try loop.add(events.fd) { _ in self.kernelEvents() }
        loop.onSignal = { sig in self.signal(sig) }
        for r in runtimes { try attach(r) }
        step(now: now, due: true)
        loop.rescheduleAll()
        try dropPrivileges()
        startService(now: now)
        emitEvent(type: "start", severity: .notice, message: "hedge \(HedgeVersion.string) started: \(serviceStatus())",
                  fields: [EventField("version", HedgeVersion.string), EventField("generation", "\(configGeneration)")])
    }

    // MARK: kernel state

    /// Full re-read of links and owned objects: at start, and after an event overrun (ENOBUFS),
    /// when the picture built from events can no longer be trusted.
    func resync(now: Millis, why: String) {
        do {
            let all = try kernel.links()
            links.removeAll(); indexByName.removeAll()
            for l in all { links[l.index] = l; indexByName[l.name] = l.index }
            mirror = try kernel.ownedState()
        } catch {
            recordNetlinkError("re-dump (\(why)) failed: \(error)")
        }
        for i in config.paths.indices { feedCarrier(path: i, now: now) }
        needsReconcile = true
    }

    /// The groups' active paths as the kernel has them, so that a restart keeps traffic where it is
    /// (`activePathsInKernel`). `kept`: groups whose decision state carries on across a reload.
    func adoptFromKernel(now: Millis, except kept: HashSet<Int> = []) {
        let found = inUseInKernel(config: config, actual: mirror, ifindex: { self.indexByName[$0] }, nexthopObjects: useNexthops)
        for (gi, f) in found.enumerated() where !kept.contains(gi) {
            guard !f.isEmpty else { continue }
            Log.info("group \(config.groups[gi].name): adopting \(config.pathNames(f, joinedBy: " + ")) from the kernel")
            decision.adopt(group: gi, members: f, now: now)
        }
    }

    func feedCarrier(path i: Int, now: Millis) {
        let p = config.paths[i]
        guard p.carrier else { return }
        guard let idx = indexByName[p.device], let l = links[idx] else {
            decision.signal(path: i, .carrier, .down, reason: "device \(p.device) not present", now: now)
            return
        }
        if l.carrier {
            decision.signal(path: i, .carrier, .up, reason: "carrier up", now: now)
        } else {
            let why = l.adminUp ? "carrier lost (operstate \(l.operStateName))" : "\(p.device) administratively down"
            decision.signal(path: i, .carrier, .down, reason: why, now: now)
        }
    }

    func kernelEvents() {
        let now = Clock.monotonicMs()
        var touched = HashSet<String>()
        let ok = events.drain { ev in
            switch ev {
            case .link(let l):
                Log.debug("link \(l.name) index \(l.index) admin \(l.adminUp) lower \(l.lowerUp) oper \(l.operStateName)")
                if let old = links[l.index], old.name != l.name { indexByName[old.name] = nil }
                if indexByName[l.name] != l.index { needsReconcile = true }
                if l.flushesNexthops && !(links[l.index]?.flushesNexthops ?? false) {
                    mirror.deviceFlushed(l.index, adminDown: !l.adminUp)
                    needsReconcile = true
                }
                links[l.index] = l; indexByName[l.name] = l.index
                touched.insert(l.name)
            case .linkGone(let idx):
                if let l = links.removeValue(forKey: idx) {
                    indexByName[l.name] = nil
                    touched.insert(l.name)
                }
                mirror.removeDevice(idx)
                needsReconcile = true
            case .nexthop(let n):
                if mirror.nexthops[n.id] != n { mirror.insert(n); needsReconcile = true }
            case .foreignNexthop(let n, let p):
                guard isGroupNexthop(n.id) else { break }
                // Another daemon took one of hedge's objects over. Say so loudly; put it back, but
                // not in a loop against a daemon that keeps rewriting it.
                let reassert = takeovers.allow(n.id, now: now)
                recordError("nexthop id \(n.id) was rewritten by protocol \(RouteWatch.protocolName(p))"
                            + (p == 11 ? " (FRR zebra: set 'zebra nexthop proto only', or give hedge other nexthop-id values)" : "")
                            + (reassert ? "; re-asserting it" : "; not re-asserting it within 10 s"))
                if reassert {
                    mirror.removeNexthop(n.id)
                    needsReconcile = true
                }
            case .nexthopGone(let id):
                if mirror.nexthops[id] != nil { mirror.removeNexthop(id); needsReconcile = true }
            case .route(let r):
                if mirror.routes[r.key] != r { mirror.insert(r); needsReconcile = true }
            case .routeGone(let r):
                if mirror.routes[r.key] != nil { mirror.routes[r.key] = nil; needsReconcile = true }
            case .ruleChanged:
                needsReconcile = true
                ruleDumpNeeded = true
            }
        }
        if !ok {
            resyncs += 1
            Log.warn("netlink event socket overrun (ENOBUFS): events were lost, re-reading kernel state")
            resync(now: now, why: "ENOBUFS")
        } else {
            for (i, p) in config.paths.enumerated() where touched.contains(p.device) { feedCarrier(path: i, now: now) }
            if ruleDumpNeeded {
                ruleDumpNeeded = false
                if let r = try? kernel.ownedRules() { mirror.rules = r }
            }
        }
        step(now: now)
    }
    func isGroupNexthop(_ id: UInt32) -> Bool {
        config.groups.contains { $0.ownsNexthop(id) }
    }

    // MARK: decision and actuation

    /// Decides, and applies what changed. `due`: the decision's own deadline came (a hold-down
    /// ended, damping let a path go): its alarms are looked at again even if no signal moved.
    func step(now: Millis, due: Bool = false) {
        let sw = decision.evaluate(now: now)
        // The kernel first: logging, events and their fsync come after traffic has moved.
        if !sw.isEmpty {
            needsReconcile = true
            // With nexthop objects a switch is one replace per group and family: it goes out now,
            // and the full reconcile (which finds those objects done) on the loop's next turn.
            if !useNexthops || !switchNexthops() { reconcileKernel() }
            // The far side's return path in the same step: UPDATEs go out right after the switch.
            updateSteering(now: now)
        } else if kernelWorkPending {
            reconcileKernel()
        }
        let ackAt = sw.isEmpty ? now : Clock.monotonicMs()
        for s in sw { record(s, ackAt: ackAt); measureSwitch(s) }
        if due || decision.version != reportedVersion {
            reportedVersion = decision.version
            reportChanges(now: now)
            checkRedundancy(now: now)
        }
        // A switch moves work everywhere (steering, measures, status); otherwise only the
        // decision's own deadline and the kernel's pending work can have moved.
        if !sw.isEmpty {
            loop.rescheduleAll()
        } else {
            loop.reschedule(decisionSlot)
            loop.reschedule(kernelSlot)
        }
    }

    /// Logs the no-redundancy alarm when it is raised and when it clears.
    func checkRedundancy(now: Millis) {
        for (gi, st) in decision.groupStates(now: now).enumerated() where st.noRedundancy != groups[gi].alarm {
            let group = EventField("group", config.groups[gi].name)
            if let a = st.noRedundancy {
                Log.warn("group \(config.groups[gi].name): ALARM \(a)")
                emitEvent(type: "no_redundancy", severity: .warning, message: "group \(config.groups[gi].name): \(a)", fields: [group])
            } else if groups[gi].alarm != nil {
                Log.info("group \(config.groups[gi].name): redundancy restored")
                emitEvent(type: "redundancy_restored", severity: .notice,
                          message: "group \(config.groups[gi].name): redundancy restored", fields: [group])
            }
            groups[gi].alarm = st.noRedundancy
        }
    }

    /// Counts, logs and reports one switch. `ackAt`: when the kernel acknowledged it.
    func record(_ s: Switch, ackAt: Millis) {
        let g = config.groups[s.group]
        // The in-use sets, named as `ip route` lists a multipath route's hops.
        let from = s.previous.isEmpty ? nil : config.pathNames(s.previous, joinedBy: " + ")
        let to = config.pathNames(s.members, joinedBy: " + ")
        groups[s.group].switches += 1
        groups[s.group].lastSwitch = SwitchEvent(kind: s.kind.rawValue, from: from, to: to, reason: s.reason,
                                          wallMs: s.at + wallOffset)
        var fields = [EventField("group", g.name), EventField("from", from ?? ""), EventField("to", to),
                      EventField("reason", s.reason)]
        var window = ""
        switch s.kind {
        case .failover:
            groups[s.group].failovers += 1
            groups[s.group].lastFailoverWallMs = s.at + wallOffset
            // From the failed path: the member that left (the lead may have stayed).
            if let f = s.left.first ?? s.from {
                let w = max(0, ackAt - lastSignOfLife(path: f, fallback: s.at))
                groups[s.group].lossWindowMs = w
                fields.append(EventField("loss_window_ms", "\(w)"))
                window = " (loss window \(w) ms)"
            }
        case .failback: groups[s.group].failbacks += 1
        case .initial: break
        }
        Log.info("group \(g.name): \(s.kind.rawValue) \(from ?? "none") -> \(to): \(s.reason)\(window)")
        emitEvent(type: s.kind.rawValue, severity: s.kind == .failover ? .warning : .notice,
                  message: "group \(g.name): \(s.kind.rawValue) \(from ?? "none") -> \(to): \(s.reason)\(window)", fields: fields)
        notify?.status(serviceStatus())
    }

    /// The failed path's last sign of life: its last probe reply or BFD packet, whichever came
    /// later. Traffic on it may have been lost from then until the switch: the loss window's bound.
    func lastSignOfLife(path: Int, fallback: Millis) -> Millis {
        var last: Millis?
        if let t = runtimes[path].probe?.tracker.lastReplyAt { last = max(last ?? t, t) }
        if let us = runtimes[path].bfd?.session.lastHeardAt {
            let t = us / 1000
            last = max(last ?? t, t)
        }
        return last ?? decision.paths[path].since ?? fallback
    }

    /// Brings the kernel toward the desired state, at most `opsPerTurn` operations per loop turn: a
    /// table of thousands of learned routes goes in over several turns, and BFD, probes and the
    /// control socket are served between them. `reconcile` puts nexthops first, so a failover's one
    /// nexthop replace never waits behind routes. The mirror follows every part the kernel took.
    func reconcileKernel() {
        if needsReconcile {
            let eff = effectiveConfig()
            let desired = desiredKernelState(config: eff, active: activePaths(), members: activeMembers(), ifindex: { self.indexByName[$0] },
                                             nexthopObjects: useNexthops, actual: mirror)
            // Routes covering a tunnel's remote wait for its underlay pin: once this batch has put
            // the pin in, the next turn adds them.
            pinsFirst = underlayPinsPending(config: eff, ifindex: { self.indexByName[$0] }, actual: mirror)
            pendingOps = reconcile(desired: desired, actual: mirror)
            pendingAt = 0
            needsReconcile = false
        }
        guard pendingAt < pendingOps.count else { pendingOps = []; pendingAt = 0; return }
        let end = min(pendingOps.count, pendingAt + Self.opsPerTurn)
        let part = Array(pendingOps[pendingAt..<end])
        for op in part { Log.debug("kernel: \(op)") }
        let refused: [NetlinkError]
        do { refused = try kernel.apply(part) } catch {
            // Replies lost or late: what the kernel took is unknown until it is read back. The rest
            // is decided again from there, a second on, so that a kernel that keeps losing replies
            // costs a dump a second, not every loop turn.
            recordNetlinkError("netlink: \(error); re-reading hedge's routes")
            redumpMirror(retry: false)
            reconcileRetryAt = Clock.monotonicMs() + 1_000
            return
        }
        for e in refused {
            let foreign = e.request == "RTM_NEWROUTE" && e.errno == EEXIST
            recordNetlinkError(e.description + (foreign ? "; a route hedge does not own has this prefix, table and metric, and hedge never replaces it (give hedge's routes their own metric or table: kernel { metric N; } or { table N; })" : ""))
        }
        if refused.isEmpty {
            for op in part { mirror.apply(op) }
            pendingAt = end
            if pendingAt == pendingOps.count {
                pendingOps = []; pendingAt = 0
                if pinsFirst { pinsFirst = false; needsReconcile = true }
            }
        } else {
            // Some of it did not take: learn what the kernel really holds. What was not sent yet is
            // decided again from there; what the kernel refused is tried once more at most.
            redumpMirror(retry: end < pendingOps.count)
        }
    }

    /// Re-points the groups' nexthop objects at their active paths. False if that was not all the
    /// switch needs (an object not there yet) or the kernel refused: then the full reconcile runs.
    func switchNexthops() -> Bool {
        let ops = nexthopSwitches(config: config, active: activePaths(), members: activeMembers(), ifindex: { self.indexByName[$0] }, actual: mirror)
        if ops.isEmpty { return false }
        do {
            let refused = try kernel.apply(ops)
            for e in refused { recordNetlinkError(e.description) }
            if !refused.isEmpty { return false }
        } catch {
            recordNetlinkError("netlink: \(error)")
            return false
        }
        for op in ops { mirror.apply(op) }
        for op in ops { Log.debug("kernel: \(op)") }
        return true
    }

    /// Each group's active path, as the kernel state is computed from it.
    func activePaths() -> [Int?] { config.groups.indices.map { decision.active(group: $0) } }

    /// Each group's in-use set (lead first): the members of equal priority that carry together.
    func activeMembers() -> [[Int]] { config.groups.indices.map { decision.activeMembers(group: $0) } }

    /// Kernel work left for the next loop turn (the loop then does not sleep).
    var kernelWorkPending: Bool { pendingAt < pendingOps.count || needsReconcile }

    /// After a lost exchange: the time to decide and send again (the loop's timer covers it).
    func retryReconcile(now: Millis) {
        guard let t = reconcileRetryAt, t <= now else { return }
        reconcileRetryAt = nil
        needsReconcile = true
    }
    static let opsPerTurn = 500

    func redumpMirror(retry: Bool) {
        pendingOps = []; pendingAt = 0
        do { mirror = try kernel.ownedState() } catch { recordNetlinkError("re-dump: \(error)") }
        needsReconcile = retry
    }

    /// A refusal or failure of netlink itself (what `hedge_netlink_errors_total` counts).
    func recordNetlinkError(_ s: String) {
        netlinkErrors += 1
        recordError(s)
    }

    func recordError(_ s: String) {
        errors += 1
        let now = Clock.monotonicMs()
        // The same error again and again (a kernel that keeps refusing) is one event a minute.
        if s != lastError || now - lastErrorEventAt >= 60_000 {
            lastErrorEventAt = now
            emitEvent(type: "error", severity: .error, message: s)
        }
        lastError = s
        Log.error(s)
    }

    // MARK: probes and timers

    func startProbes() throws(SystemError) {
        for r in runtimes { r.probe = try openProbe(path: r.path, in: config) }
    }

    /// The path's probe socket, nil without a probe. Its fwmark and table follow the path's index.
    func openProbe(path i: Int, in c: HedgeConfig) throws(SystemError) -> ProbeRunner? {
        guard let pc = c.paths[i].probe else { return nil }
        return try ProbeRunner(path: i, config: pc, mark: ProbePinning.table(base: c.kernel.probeTableBase, path: i), device: c.paths[i].device)
    }

    func probeReplies(_ r: ProbeRunner) {
        let now = Clock.monotonicMs()
        if let h = r.receive(now: now) {
            decision.signal(path: r.path, .probe, h, reason: r.tracker.reason, now: now)
            step(now: now)
        }
    }

    func startBFD() throws(SystemError) {
        for rt in runtimes {
            guard let r = try openBFD(path: rt.path, in: config) else { continue }
            rt.bfd = r
            addBFD(r)
        }
    }

    func openBFD(path i: Int, in c: HedgeConfig) throws(SystemError) -> BFDRunner? {
        guard let b = c.paths[i].bfd else { return nil }
        return try BFDRunner(path: i, config: b, device: c.paths[i].device, jitter: &jitter)
    }

    /// A new BFD session's first signal, and whether it waits for BGP.
    func addBFD(_ r: BFDRunner) {
        // A BGP session to the same neighbour starts this one (see `waitingForBGP`), unless it is up.
        if let b = config.paths[r.path].bgp, b.neighbor == r.config.neighbor,
           runtimes[r.path].bgp?.runner.state != .established {
            r.waitingForBGP = true
        }
        decision.signal(path: r.path, .bfd, .unknown,
                        reason: r.waitingForBGP ? "BFD: starts when BGP with \(r.config.neighbor) is Established"
                                                : "BFD: waiting for \(r.config.neighbor)", now: Clock.monotonicMs())
    }

    func bfdPackets(_ r: BFDRunner) {
        if let (h, why) = r.receive(nowUs: loop.nowUs, jitter: &jitter, limit: 1) {
            let now = Clock.monotonicMs()
            bfdSignal(r.path, h, why, now: now)
            step(now: now)
        }
    }

    func bfdSignal(_ path: Int, _ h: Health, _ why: String, now: Millis) {
        decision.signal(path: path, .bfd, h, reason: why, now: now)
        // Traffic first: the failover goes to the kernel before the BGP session is torn down and its
        // table marked stale, work that grows with the table.
        if h == .down { step(now: now) }
        bfdChanged(path: path, h, now: now)
    }

    // MARK: signals, reload, shutdown

    func signal(_ sig: Int32) {
        switch sig {
        case SIGHUP: reload()
        default:
            Log.info("signal \(sig): stopping")
            loop.stop()
        }
    }

    func shutdown() {
        notify?.stopping()
        emitEvent(type: "stop", severity: .notice, message: "hedge stopping"
                  + (config.kernel.withdrawOnExit ? "; withdrawing its routes" : "; routes stay in place"))
        control?.shutdown()
        control = nil
        stopReporting()
        stopBGP(now: Clock.monotonicMs())
        stopBMP(now: Clock.monotonicMs())
        for r in runtimes { if let t = r.tunnel { stopIKE(t) } }
        guard config.kernel.withdrawOnExit else {
            Log.info("stopped; routes left in place (withdraw-on-exit off)")
            return
        }
        let ops = reconcile(desired: KernelState(), actual: mirror)
        do {
            for e in try kernel.apply(ops) { Log.error(e.description) }
        } catch {
            Log.error("withdraw: \(error)")
        }
        Log.info("stopped; withdrew \(ops.count) kernel objects")
    }

    func startControl() throws(SystemError) {
        let c = try ControlServer(path: config.control.socketPath)
        c.handler = { req in self.answer(req) }
        try c.attach(to: loop)
        control = c
    }

    /// A control socket bound in `prepare`, on the loop (epoll refuses only for want of memory).
    func installControl(_ c: ControlServer) {
        c.handler = { req in self.answer(req) }
        do { try c.attach(to: loop) } catch { recordError("reload: control socket: \(error)") }
        control = c
    }
}
