import CHedge
import HedgeCore

/// One path's BGP session inside the agent, with the prefixes it has taught the path's group.
///
/// Learned prefixes outlive the session that taught them: when ExpressRoute fails, the session
/// ends and its routes are "withdrawn", but the VNet is still there and its prefixes must now go
/// over the VPN. So a session's end marks them stale instead of removing them (like a graceful
/// restart's helper, RFC 4724 §4.2); only the peer's own withdrawals remove them, and stale ones
/// the peer does not announce again go at End-of-RIB, or `staleMs` after the session is back.
final class AgentBGPPeer {
    let path: Int
    let runner: BGPRunner
    let binding: BGPLoopBinding
    /// What the peer taught and the current session has not confirmed: the last session's table
    /// after its end, or the kernel's at start-up. The confirmed prefixes are the session's own
    /// Adj-RIB-In (`runner.session.received`); a prefix is in one or the other, never both, so a
    /// table of ten thousand is kept once.
    var stale = HashSet<IPPrefix>() { didSet { staleGeneration = Generation.next() } }
    private(set) var staleGeneration = Generation.next()
    /// The session's Adj-RIB-In generation when the agent last acted on it.
    var ribInSeen = 0
    /// The generations `effectiveConfig` is cached on.
    var generations: (Int, Int) { (staleGeneration, runner.session.ribInGeneration) }
    var staleDeadline: Millis?
    var upSince: Millis?
    var lastDown: String?
    /// Prefixes received but not installed (family the group's paths cannot carry, or a static
    /// prefix of some group).
    var ignored = 0
    /// What the config asked to announce, and what went out after the private-peering guard.
    var wanted = 0
    var announcing = 0
    /// Return-path steering: whether the more-specific halves go out now, how many, and how many
    /// prefixes did not fit the peer's limit.
    var steering = false
    var moreSpecifics = 0
    var unsteered = 0
    /// `signature` of the configuration the runner was made from, to keep it across a reload.
    let signature: String

    static let staleMs: Millis = 30_000

    init(path: Int, runner: BGPRunner, binding: BGPLoopBinding, signature: String) {
        self.path = path; self.runner = runner; self.binding = binding; self.signature = signature
    }

    /// Every learned prefix: the session's, then the stale.
    func forEachLearned(_ body: (IPPrefix) -> Void) {
        for f in [AFISAFI.ipv4Unicast, .ipv6Unicast] { runner.session.received(f)?.elements.forEach(body) }
        stale.elements.forEach(body)
    }

    var learnedCount: Int {
        stale.count + runner.session.prefixCount(.ipv4Unicast) + runner.session.prefixCount(.ipv6Unicast)
    }

    /// Removes stale prefixes (of one family, or all); true if any went.
    func purgeStale(family v6: Bool?) -> Bool {
        let before = stale.count
        if v6 == nil { stale.removeAll() } else { stale = stale.filter { $0.isV4 == v6! } }
        if stale.isEmpty { staleDeadline = nil }
        return stale.count != before
    }
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
        var c = config
        var taken = HashSet<IPPrefix>()
        for g in config.groups { for p in g.prefixes { taken.insert(p) } }
        for peer in bgpPeers {
            guard let gi = config.learningGroup(path: peer.path) else { continue }
            c.groups[gi].prefixes.reserveCapacity(c.groups[gi].prefixes.count + peer.learnedCount)   // kept: exact
            peer.ignored = 0
            var learned: [IPPrefix] = []
            learned.reserveCapacity(peer.learnedCount)
            peer.forEachLearned { learned.append($0) }
            for p in learned.stableSorted() {
                if taken.contains(p) || !groupCarries(gi, v6: !p.isV4) { peer.ignored += 1; continue }
                taken.insert(p)
                c.groups[gi].prefixes.append(p)
            }
        }
        effective = (key, c)
        return c
    }

    /// Whether every member of a group has a next hop of the family (a device-only path has both).
    func groupCarries(_ gi: Int, v6: Bool) -> Bool {
        for name in config.groups[gi].paths {
            guard let i = config.pathIndex(named: name) else { continue }
            let p = config.paths[i]
            if p.gateway == nil && p.gateway6 == nil { continue }
            let has = v6 ? (p.gateway6 != nil || p.gateway?.isV4 == false) : p.gateway?.isV4 == true
            if !has { return false }
        }
        return true
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
                peer.stale = old[o].stale; peer.upSince = old[o].upSince; peer.lastDown = old[o].lastDown
                peer.staleDeadline = old[o].staleDeadline
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

    /// At start-up the kernel still holds what the last run learned: keep it (stale) so that a
    /// restart changes nothing, and let the new session confirm or withdraw it.
    func seedLearned() {
        var statics = HashSet<IPPrefix>()
        for g in config.groups { for p in g.prefixes { statics.insert(p) } }
        var seeded = HashSet<Int>()
        for peer in bgpPeers {
            guard let gi = config.learningGroup(path: peer.path), seeded.insert(gi).inserted else { continue }
            let id = config.groups[gi].nexthopID
            for (key, r) in mirror.routes where key.table == config.kernel.table && !statics.contains(key.prefix) {
                if case .nexthop(let n) = r.target, n != id && n != id + 1 { continue }
                peer.stale.insert(key.prefix)
            }
            if !peer.stale.isEmpty { Log.info("bgp \(config.paths[peer.path].name): keeping \(peer.stale.count) routes from the last run until the session confirms them") }
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

    /// The path's `announce`, within what Azure accepts over private peering: past the limit Azure
    /// drops the session, which would take ExpressRoute down for every prefix. While a group is
    /// failed over onto the path, also the more-specific halves (ReturnSteering), within what the
    /// peer accepts (Azure's VPN gateway at AS 65515: its own limit).
    func applyAnnouncements(_ peer: AgentBGPPeer, now: Millis) {
        let p = config.paths[peer.path]
        let all = p.announce
        let limit = config.azure?.privatePeeringLimit ?? 4000
        var list = all
        if list.count > limit {
            list = Array(all.prefix(limit))
            recordError("bgp \(p.name): \(all.count) prefixes to announce but Azure accepts \(limit) over private peering; announcing the first \(limit) only")
        }
        let steering = p.bgp?.returnSteering == true && ReturnSteering.steers(path: peer.path, groups: groupPreferences())
        let peerLimit = p.bgp?.remoteAS == 65515 ? ReturnSteering.vpnGatewayLimit : limit
        let a = ReturnSteering.announcements(base: list, steering: steering, limit: peerLimit)
        if steering != peer.steering {
            Log.info(steering
                ? "bgp \(p.name): steering the return path: announcing \(a.moreSpecifics) more-specific halves"
                    + (a.unsteered > 0 ? " (\(a.unsteered) prefixes not steered: \(peerLimit) is the peer's limit)" : "")
                : "bgp \(p.name): return path no longer steered: withdrawing \(peer.moreSpecifics) more-specific halves")
        }
        peer.steering = steering; peer.moreSpecifics = a.moreSpecifics; peer.unsteered = a.unsteered
        peer.wanted = all.count
        peer.announcing = a.prefixes.count
        handleBGP(peer, peer.runner.announce(a.prefixes, now: now), now: now)
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
        let before = (peer.staleGeneration, peer.ribInSeen)
        defer {
            peer.ribInSeen = peer.runner.session.ribInGeneration
            if (peer.staleGeneration, peer.ribInSeen) != before { needsReconcile = true }
        }
        for e in events {
            switch e {
            case .routes(let r):
                // In the session's Adj-RIB-In now: confirmed, no longer stale.
                for p in r.prefixes where peer.stale.contains(p) { peer.stale.remove(p) }
            case .withdrawn(let ps):
                // A session's end withdraws everything: those routes stay, stale, and fail over.
                if established {
                    for p in ps where peer.stale.contains(p) { peer.stale.remove(p) }
                } else {
                    peer.stale.formUnion(ps)
                }
            case .endOfRIB(let f):
                _ = peer.purgeStale(family: f == .ipv6Unicast)
            case .up:
                peer.upSince = now
                for r in bfds where r.path == peer.path && r.waitingForBGP {
                    r.waitingForBGP = false
                    Log.info("bfd \(r.config.neighbor): starting: BGP Established")
                }
                if !peer.stale.isEmpty { peer.staleDeadline = now + AgentBGPPeer.staleMs }
            case .down(let cause, let reason):
                peer.upSince = nil
                peer.lastDown = "\(cause.name): \(reason)"
                peer.staleDeadline = nil
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
            if let d = peer.staleDeadline, d <= now {
                peer.staleDeadline = nil
                if peer.purgeStale(family: nil) { needsReconcile = true }
            }
        }
    }

    func nextBGPDeadline() -> Millis? {
        var next: Millis?
        for peer in bgpPeers {
            for d in [peer.runner.nextDeadline, peer.staleDeadline] {
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
