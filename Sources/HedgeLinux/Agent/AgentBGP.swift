import CHedge
import HedgeCore

/// One path's BGP session inside the agent, with the prefixes it has taught the path's group
/// (the session's Adj-RIB-In, and `learned.stale`: see `LearnedRoutes`).
final class AgentBGPPeer {
    let path: Int
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

    init(path: Int, runner: BGPRunner, binding: BGPLoopBinding, signature: String) {
        self.path = path; self.runner = runner; self.binding = binding; self.signature = signature
    }

    var stale: HashSet<IPPrefix> { learned.stale }
    var learnedCount: Int { learned.count(runner.session) }
    var wanted: Int { cap.wanted }
    var announcing: Int { cap.announcing }
    var steering: Bool { cap.steering }
    var moreSpecifics: Int { cap.moreSpecifics }
    var unsteered: Int { cap.unsteered }
}

extension Agent {
    /// The file's configuration plus what the BGP sessions have taught: the groups' prefixes as the
    /// kernel should have them.
    func effectiveConfig() -> HedgeConfig {
        guard !bgpPeers.isEmpty else { return config }
        // Cached: a table of thousands is merged once per change, not on every reconcile and status.
        var key = [configGeneration]
        for peer in bgpPeers { key.append(peer.generations.0); key.append(peer.generations.1) }
        if let (k, c) = effective, k == key { return c }
        let (c, ignored) = LearnedRoutes.merge(config, learned: bgpPeers.map { (path: $0.path, prefixes: $0.learned.all($0.runner.session)) })
        for (peer, n) in zip(bgpPeers, ignored) { peer.ignored = n }
        effective = (key, c)
        return c
    }

    func startBGP(now: Millis, keep old: [AgentBGPPeer] = []) throws(SystemError) {
        var peers: [AgentBGPPeer] = []
        var reused = HashSet<Int>()
        for (i, p) in config.paths.enumerated() {
            guard let b = p.bgp else { continue }
            let sig = bgpSignature(p)
            if let o = old.firstIndex(where: { $0.signature == sig }), !reused.contains(o) {
                // Same session after a reload: keep it (and the peer's routes) instead of resetting it.
                reused.insert(o)
                let peer = AgentBGPPeer(path: i, runner: old[o].runner, binding: old[o].binding, signature: sig)
                peer.learned = old[o].learned; peer.upSince = old[o].upSince; peer.lastDown = old[o].lastDown
                peers.append(peer)
                decision.signal(path: i, .bgp, peer.runner.state == .established ? .up : .unknown,
                                reason: peer.runner.state == .established ? "BGP Established (kept across reload)" : "BGP: \(peer.runner.state.name)",
                                now: now)
                continue
            }
            let peer = try makeBGPPeer(path: i, bgp: b, signature: sig)
            peers.append(peer)
            decision.signal(path: i, .bgp, .unknown, reason: "BGP: connecting to \(b.neighbor)", now: now)
        }
        for (o, peer) in old.enumerated() where !reused.contains(o) {
            peer.binding.detach()
            _ = peer.runner.close(now: now)
        }
        bgpPeers = peers
        // A BFD session added before its (kept, Established) BGP session was: nothing will start it.
        for r in bfds where r.waitingForBGP && peers.contains(where: { $0.path == r.path && $0.runner.state == .established }) {
            r.waitingForBGP = false
        }
        if old.isEmpty { seedLearned() }
        for peer in peers {
            peer.binding.sync()
            applyAnnouncements(peer, now: now)
            if peer.runner.state == .idle && holds[peer.path] == nil { handleBGP(peer, peer.runner.start(now: now), now: now) }
        }
    }

    /// At start-up the kernel still holds what the last run learned (see `LearnedRoutes.seed`).
    func seedLearned() {
        let seeds = LearnedRoutes.seed(config: config, paths: bgpPeers.map { $0.path }, routes: mirror.routes)
        for (peer, s) in zip(bgpPeers, seeds) where !s.isEmpty {
            peer.learned.seed(s)
            Log.info("bgp \(config.paths[peer.path].name): keeping \(peer.learned.stale.count) routes from the last run until the session confirms them")
        }
    }

    /// Everything that, changed, needs a new session.
    func bgpSignature(_ p: PathConfig) -> String {
        guard let b = p.bgp else { return "" }
        return "\(p.name)|\(p.device)|\(b.neighbor)|\(b.remoteAS)|\(b.holdTime)|\(b.connectRetryMs)|\(b.passive)|\(b.gtsm)|"
            + "\(b.md5KeyFile ?? "")|\(b.maxPrefix ?? -1)|\(b.prepend)|\(b.source.map { "\($0)" } ?? "")|"
            + "\(config.localAS ?? 0)|\(config.routerID.map { "\($0)" } ?? "")"
    }

    func makeBGPPeer(path i: Int, bgp b: BGPConfig, signature: String) throws(SystemError) -> AgentBGPPeer {
        let p = config.paths[i]
        var routerID: UInt32 = 0
        if case .v4(let v)? = config.routerID { routerID = v }
        var limits = HashMap<AFISAFI, Int>()
        if let m = b.maxPrefix { limits[.ipv4Unicast] = m; limits[.ipv6Unicast] = m }
        let session = SessionConfig(localAS: config.localAS ?? 0, routerID: routerID, peerAS: b.remoteAS,
                                    mode: b.passive ? .passive : .active, holdTime: b.holdTime,
                                    connectRetryMs: b.connectRetryMs,
                                    // A circuit coming back should be seen in seconds, not minutes.
                                    idleHoldInitialMs: 1_000, idleHoldMaxMs: 60_000,
                                    maxPrefixes: limits)
        let transport = BGPTransportConfig(neighbor: b.neighbor, localAddress: b.source, device: p.device, gtsm: b.gtsm)
        let runner = try BGPRunner(config: BGPPeerConfig(name: p.name, session: session, transport: transport,
                                                         md5KeyFile: b.md5KeyFile, prepend: b.prepend))
        let binding = BGPLoopBinding(runner: runner, loop: loop) { fd, events in
            guard let peer = self.bgpPeers.first(where: { $0.runner === runner }) else { return }
            let now = Clock.monotonicMs()
            self.handleBGP(peer, peer.runner.ready(fd: fd, events: events, now: now), now: now)
            self.step(now: now)
        }
        return AgentBGPPeer(path: i, runner: runner, binding: binding, signature: signature)
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
        for peer in bgpPeers where config.paths[peer.path].bgp?.returnSteering == true {
            let want = ReturnSteering.steers(path: peer.path, groups: groupPreferences())
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
                for r in bfds where r.path == peer.path && r.waitingForBGP {
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
        guard let peer = bgpPeers.first(where: { $0.path == path }), holds[path] == nil else { return }
        if h == .down {
            handleBGP(peer, peer.runner.bfdDown(now: now), now: now)
        } else if h == .up && peer.runner.state == .idle {
            handleBGP(peer, peer.runner.start(now: now), now: now)
        }
    }

    /// Timers of every session, and the stale routes' deadline.
    func tickBGP(now: Millis) {
        for peer in bgpPeers {
            if let d = peer.runner.nextDeadline, d <= now { handleBGP(peer, peer.runner.tick(now: now), now: now) }
            if peer.learned.expire(now: now) { needsReconcile = true }
        }
    }

    func nextBGPDeadline() -> Millis? {
        var next: Millis?
        for peer in bgpPeers {
            for d in [peer.runner.nextDeadline, peer.learned.staleDeadline] {
                if let d { next = min(next ?? d, d) }
            }
        }
        return next
    }

    /// `hedge drill` holds the path: the session goes down (Cease / Administrative Shutdown) so
    /// that Azure moves its side too, as in a real failure; releasing starts it again.
    func holdBGP(path: Int, held: Bool, now: Millis) {
        guard let peer = bgpPeers.first(where: { $0.path == path }) else { return }
        handleBGP(peer, held ? peer.runner.stop(now: now) : peer.runner.start(now: now), now: now)
    }

    func stopBGP(now: Millis) {
        for peer in bgpPeers {
            peer.binding.detach()
            _ = peer.runner.close(now: now)
        }
        bgpPeers = []
    }
}
