import CHedge
import HedgeCore

/// One path's BGP session inside the agent, with the prefixes it has taught the path's group
/// (the session's Adj-RIB-In, and `learned.stale`: see `LearnedRoutes`).
final class AgentBGPPeer {
    /// The path it runs for; a reload that renumbers the paths moves it.
    let ref: PathRef
    var path: Int { ref.path }
    let runner: BGPRunner
    let binding: BGPLoopBinding
    var learned = LearnedRoutes()
    /// The session's Adj-RIB-In generation when the agent last acted on it.
    var ribInSeen = 0
    /// The generations `effectiveConfig` is cached on.
    var generations: (Int, Int) { (learned.generation, runner.session.ribInGeneration) }
    var upSince: Millis?
    var lastDown: String?
    /// Prefixes received but not installed (family the group's paths cannot carry, or a static
    /// prefix of some group).
    var ignored = 0
    /// What goes out, and its counters.
    var cap = AnnouncementCap()
    /// `signature` of the configuration the runner was made from, to keep it across a reload.
    let signature: String

    init(ref: PathRef, runner: BGPRunner, binding: BGPLoopBinding, signature: String) {
        self.ref = ref; self.runner = runner; self.binding = binding; self.signature = signature
    }

    var stale: HashSet<IPPrefix> { learned.stale }
    var learnedCount: Int { learned.count(runner.session) }
    var wanted: Int { cap.wanted }
    var announcing: Int { cap.announcing }
    var steering: Bool { cap.steering }
    var moreSpecifics: Int { cap.moreSpecifics }
    var unsteered: Int { cap.unsteered }
}

/// A path index that a loop handler reads when it runs: a reload that renumbers the paths moves
/// it (a handler holding the part itself would keep it, and its table, alive in a cycle).
final class PathRef {
    var path: Int
    init(_ path: Int) { self.path = path }
}

extension Agent {
    /// The file's configuration plus what the BGP sessions have taught: the groups' prefixes as the
    /// kernel should have them.
    func effectiveConfig() -> HedgeConfig {
        // Cached: a table of thousands is merged once per change, not on every reconcile and status.
        var key = [configGeneration]
        var learned: [(path: Int, prefixes: [IPPrefix])] = []
        for r in runtimes {
            guard let peer = r.bgp else { continue }
            key.append(peer.generations.0); key.append(peer.generations.1)
        }
        guard key.count > 1 else { return config }
        if let (k, c) = effective, k == key { return c }
        for r in runtimes { if let peer = r.bgp { learned.append((path: peer.path, prefixes: peer.learned.all(peer.runner.session))) } }
        let (c, ignored) = LearnedRoutes.merge(config, learned: learned)
        var n = 0
        for r in runtimes { if let peer = r.bgp { peer.ignored = ignored[n]; n += 1 } }
        effective = (key, c)
        return c
    }

    /// At start: every path's session, connecting (or listening).
    func startBGP(now: Millis) throws(SystemError) {
        for r in runtimes {
            guard let b = config.paths[r.path].bgp else { continue }
            r.bgp = try makeBGPPeer(path: r.path, in: config)
            decision.signal(path: r.path, .bgp, .unknown, reason: "BGP: connecting to \(b.neighbor)", now: now)
        }
        seedLearned()
        startPeers(now: now)
    }

    /// The sessions on the loop, with their announcements; those Idle and not held start.
    func startPeers(now: Millis) {
        for r in runtimes {
            guard let peer = r.bgp else { continue }
            peer.binding.sync()
            applyAnnouncements(peer, now: now)
            if peer.runner.state == .idle && holds[peer.path] == nil { handleBGP(peer, peer.runner.start(now: now), now: now) }
        }
    }

    /// At start-up the kernel still holds what the last run learned (see `LearnedRoutes.seed`).
    func seedLearned() {
        let peers = runtimes.compactMap { $0.bgp }
        let seeds = LearnedRoutes.seed(config: config, paths: peers.map { $0.path }, routes: mirror.routes)
        for (peer, s) in zip(peers, seeds) where !s.isEmpty {
            peer.learned.seed(s)
            Log.info("bgp \(config.paths[peer.path].name): keeping \(peer.learned.stale.count) routes from the last run until the session confirms them")
        }
    }

    /// Everything that, changed, needs a new session.
    func bgpSignature(_ p: PathConfig, in config: HedgeConfig) -> String {
        guard let b = p.bgp else { return "" }
        return "\(p.name)|\(p.device)|\(b.neighbor)|\(b.remoteAS)|\(b.holdTime)|\(b.connectRetryMs)|\(b.passive)|\(b.gtsm)|"
            + "\(b.md5KeyFile ?? "")|\(b.maxPrefix ?? -1)|\(b.prepend)|\(b.source.map { "\($0)" } ?? "")|"
            + "\(config.localAS ?? 0)|\(config.routerID.map { "\($0)" } ?? "")"
    }

    /// Opens the path's session (its listener, and reads its MD5 key file).
    func makeBGPPeer(path i: Int, in config: HedgeConfig) throws(SystemError) -> AgentBGPPeer? {
        let p = config.paths[i]
        guard let b = p.bgp else { return nil }
        var routerID: UInt32 = 0
        if case .v4(let v)? = config.routerID { routerID = v }
        var limits = HashMap<AFISAFI, Int>()
        if let m = b.maxPrefix { limits[.ipv4Unicast] = m; limits[.ipv6Unicast] = m }
        let session = SessionConfig(localAS: config.localAS ?? 0, routerID: routerID, peerAS: b.remoteAS,
                                    mode: b.passive ? .passive : .active, holdTime: b.holdTime,
                                    connectRetryMs: b.connectRetryMs,
                                    // A peer one hop away answers an OPEN at once. One that took the
                                    // connection and stays silent (FRR, in a connection collision:
                                    // bench/soak) must not hold failback for RFC 4271's 4 minutes.
                                    openHoldMs: 10_000,
                                    // A circuit coming back should be seen in seconds, not minutes.
                                    idleHoldInitialMs: 1_000, idleHoldMaxMs: 60_000,
                                    maxPrefixes: limits)
        let transport = BGPTransportConfig(neighbor: b.neighbor, localAddress: b.source, device: p.device, gtsm: b.gtsm)
        let runner = try BGPRunner(config: BGPPeerConfig(name: p.name, session: session, transport: transport,
                                                         md5KeyFile: b.md5KeyFile, prepend: b.prepend))
        let ref = PathRef(i)
        let binding = BGPLoopBinding(runner: runner, loop: loop) { fd, events in
            guard ref.path < self.runtimes.count, let peer = self.runtimes[ref.path].bgp else { return }
            let now = Clock.monotonicMs()
            self.handleBGP(peer, peer.runner.ready(fd: fd, events: events, now: now), now: now)
            self.step(now: now)
        }
        return AgentBGPPeer(ref: ref, runner: runner, binding: binding, signature: bgpSignature(p, in: config))
    }

    /// The path's announcements (see `AnnouncementCap`), to its session.
    func applyAnnouncements(_ peer: AgentBGPPeer, now: Millis) {
        let cap = AnnouncementCap(path: peer.path, config: config, groups: groupPreferences())
        if let m = cap.cutMessage { recordError(m) }
        if let m = cap.steeringMessage(since: peer.cap) { Log.info(m) }
        peer.cap = cap
        handleBGP(peer, peer.runner.announce(cap.prefixes, now: now), now: now)
    }

    /// Each group's members in order of preference and its active path, as ReturnSteering reads them.
    func groupPreferences() -> [(preference: [Int], active: Int?)] {
        decision.groupStates(now: decision.lastNow).map { g in (preference: g.members.map { $0.path }, active: g.active) }
    }

    /// After a switch: the sessions whose steering changed announce or withdraw their halves.
    func updateSteering(now: Millis) {
        for r in runtimes {
            guard let peer = r.bgp, config.paths[peer.path].bgp?.returnSteering == true else { continue }
            let want = ReturnSteering.steers(path: peer.path, groups: groupPreferences()) {
                self.config.paths[$0].priority == self.config.paths[$1].priority
            }
            if want != peer.steering { applyAnnouncements(peer, now: now) }
        }
    }

    /// Acts on what a runner reported; the caller runs `step` afterwards.
    func handleBGP(_ peer: AgentBGPPeer, _ events: [BGPRunnerEvent], now: Millis) {
        let established = peer.runner.state == .established
        // The session changed its Adj-RIB-In before reporting it: compare with what was last seen.
        let before = (peer.learned.generation, peer.ribInSeen)
        defer {
            peer.ribInSeen = peer.runner.session.ribInGeneration
            if (peer.learned.generation, peer.ribInSeen) != before { needsReconcile = true }
        }
        for e in events {
            switch e {
            case .routes(let r):
                peer.learned.received(r.prefixes)
            case .withdrawn(let ps):
                peer.learned.withdrawn(ps, established: established)
            case .endOfRIB(let f):
                _ = peer.learned.endOfRIB(f)
            case .up:
                peer.upSince = now
                if let r = runtimes[peer.path].bfd, r.waitingForBGP {
                    r.waitingForBGP = false
                    Log.info("bfd \(r.config.neighbor): starting: BGP Established")
                }
                peer.learned.sessionUp(now: now)
            case .down(let cause, let reason):
                peer.upSince = nil
                peer.lastDown = BGPDownCause.summary(cause, reason)
                peer.learned.sessionDown()
            default:
                break
            }
            if let (h, why) = e.health { decision.signal(path: peer.path, .bgp, h, reason: why, now: now) }
        }
        peer.binding.sync()
    }

    /// BFD on a path changed: Down resets its BGP session at once whatever the BGP timers say
    /// (RFC 5882 §10.2), Up restarts a session that is waiting out its backoff.
    func bfdChanged(path: Int, _ h: Health, now: Millis) {
        guard let peer = runtimes[path].bgp, holds[path] == nil else { return }
        if h == .down {
            handleBGP(peer, peer.runner.bfdDown(now: now), now: now)
        } else if h == .up && peer.runner.state == .idle {
            handleBGP(peer, peer.runner.start(now: now), now: now)
        }
    }

    /// Timers of every session, and the stale routes' deadline.
    func tickBGP(now: Millis) {
        for r in runtimes {
            guard let peer = r.bgp else { continue }
            if let d = peer.runner.nextDeadline, d <= now { handleBGP(peer, peer.runner.tick(now: now), now: now) }
            if peer.learned.expire(now: now) { needsReconcile = true }
        }
    }

    func nextBGPDeadline() -> Millis? {
        var next: Millis?
        for r in runtimes {
            guard let peer = r.bgp else { continue }
            for d in [peer.runner.nextDeadline, peer.learned.staleDeadline] {
                if let d { next = min(next ?? d, d) }
            }
        }
        return next
    }

    /// `hedge drill` holds the path: the session goes down (Cease / Administrative Shutdown) so
    /// that Azure moves its side too, as in a real failure; releasing starts it again.
    func holdBGP(path: Int, held: Bool, now: Millis) {
        guard let peer = runtimes[path].bgp else { return }
        handleBGP(peer, held ? peer.runner.stop(now: now) : peer.runner.start(now: now), now: now)
    }

    func stopBGP(now: Millis) {
        for r in runtimes {
            guard let peer = r.bgp else { continue }
            peer.binding.detach()
            _ = peer.runner.close(now: now)
            r.bgp = nil
        }
    }
}
