/// The prefixes one BGP session has taught its path's group that the current session has not
/// confirmed: the stale ones.
///
/// Learned prefixes outlive the session that taught them: when ExpressRoute fails, the session
/// ends and its routes are "withdrawn", but the VNet is still there and its prefixes must now go
/// over the VPN. So a session's end marks them stale instead of removing them (like a graceful
/// restart's helper, RFC 4724 §4.2); only the peer's own withdrawals remove them, and stale ones
/// the peer does not announce again go at End-of-RIB, or `staleMs` after the session is back.
///
/// The confirmed prefixes are the session's own Adj-RIB-In (`Session.received`); a prefix is in
/// one or the other, never both, so a table of ten thousand is kept once.
public struct LearnedRoutes: Sendable {
    /// How long stale prefixes wait, after the session is back, for the peer to announce them again.
    public static let staleMs: Millis = 30_000

    /// The last session's table after its end, or the kernel's at start-up.
    public private(set) var stale = HashSet<IPPrefix>()
    /// A new value (see `Generation`) whenever `stale` changes: what is derived from it is cached on this.
    public private(set) var generation = Generation.next()
    /// When the stale prefixes go if the peer has not announced them again.
    public private(set) var staleDeadline: Millis?

    public init() {}

    // MARK: - The session's events

    /// Received (new or replaced): in the session's Adj-RIB-In now, confirmed, no longer stale.
    public mutating func received(_ prefixes: [IPPrefix]) {
        var changed = false
        for p in prefixes where stale.remove(p) != nil { changed = true }
        if changed { generation = Generation.next() }
    }

    /// Withdrawn: by the peer while `established`, else by the session's end, whose routes stay,
    /// stale, and fail over.
    public mutating func withdrawn(_ prefixes: [IPPrefix], established: Bool) {
        if established { received(prefixes); return }
        let before = stale.count
        stale.formUnion(prefixes)
        if stale.count != before { generation = Generation.next() }
    }

    /// End-of-RIB (RFC 4724 §2): the peer has sent all of a family; what it did not is gone.
    public mutating func endOfRIB(_ family: AFISAFI) -> Bool {
        purgeStale(family: family == .ipv6Unicast)
    }

    /// Established: what is still stale goes in `staleMs` unless the peer announces it again.
    public mutating func sessionUp(now: Millis) {
        if !stale.isEmpty { staleDeadline = now + LearnedRoutes.staleMs }
    }

    /// The session left Established: its routes wait, stale, for the next one however long.
    public mutating func sessionDown() { staleDeadline = nil }

    /// At the stale deadline: every stale prefix goes. True if any went.
    public mutating func expire(now: Millis) -> Bool {
        guard let d = staleDeadline, d <= now else { return false }
        staleDeadline = nil
        return purgeStale(family: nil)
    }

    /// Removes stale prefixes (of one family, or all); true if any went.
    @discardableResult
    public mutating func purgeStale(family v6: Bool?) -> Bool {
        let before = stale.count
        if let v6 { stale = stale.filter { $0.isV4 == v6 } } else { stale.removeAll() }
        if stale.isEmpty { staleDeadline = nil }
        if stale.count != before { generation = Generation.next() }
        return stale.count != before
    }

    /// What the kernel held at start-up (see `seed(config:paths:routes:)`).
    public mutating func seed(_ prefixes: HashSet<IPPrefix>) {
        let before = stale.count
        stale.formUnion(prefixes)
        if stale.count != before { generation = Generation.next() }
    }

    // MARK: - With the session's Adj-RIB-In

    /// Every learned prefix: the session's (IPv4, then IPv6), then the stale.
    public func forEach(_ session: Session, _ body: (IPPrefix) -> Void) {
        for f in [AFISAFI.ipv4Unicast, .ipv6Unicast] { session.received(f)?.elements.forEach(body) }
        stale.elements.forEach(body)
    }

    public func count(_ session: Session) -> Int {
        stale.count + session.prefixCount(.ipv4Unicast) + session.prefixCount(.ipv6Unicast)
    }

    public func all(_ session: Session) -> [IPPrefix] {
        var out: [IPPrefix] = []
        out.reserveCapacity(count(session))
        forEach(session) { out.append($0) }
        return out
    }

    // MARK: - The groups

    /// At start-up the kernel still holds what the last run learned: kept (stale) so that a
    /// restart changes nothing, and the new session confirms or withdraws it. Per entry of `paths`
    /// (the paths with a BGP session, in order): the kernel's routes in hedge's table that are not
    /// a group's static prefix and follow the path's learning group (its nexthop objects, or a
    /// gateway route). A group is seeded once, into its first session.
    public static func seed(config: HedgeConfig, paths: [Int], routes: RouteTable) -> [HashSet<IPPrefix>] {
        var statics = HashSet<IPPrefix>()
        for g in config.groups { for p in g.prefixes { statics.insert(p) } }
        var seeded = HashSet<Int>()
        var out: [HashSet<IPPrefix>] = []
        for path in paths {
            var s = HashSet<IPPrefix>()
            defer { out.append(s) }
            guard let gi = config.learningGroup(path: path), seeded.insert(gi).inserted else { continue }
            let id = config.groups[gi].nexthopID
            for (key, r) in routes where key.table == config.kernel.table && !statics.contains(key.prefix) {
                if case .nexthop(let n) = r.target, n != id && n != id + 1 { continue }
                s.insert(key.prefix)
            }
        }
        return out
    }

    /// The configuration's groups with what the sessions have taught: the groups' prefixes as the
    /// kernel should have them. `learned`: per session, its path and every prefix it has taught.
    /// A prefix joins the path's learning group, in order, unless a group already has it (a
    /// static prefix, or another session's) or the group's paths cannot carry its family; those are
    /// counted in `ignored`, per entry of `learned`.
    public static func merge(_ config: HedgeConfig, learned: [(path: Int, prefixes: [IPPrefix])])
        -> (config: HedgeConfig, ignored: [Int]) {
        var c = config
        var ignored = [Int](repeating: 0, count: learned.count)
        var taken = HashSet<IPPrefix>()
        for g in config.groups { for p in g.prefixes { taken.insert(p) } }
        for (i, l) in learned.enumerated() {
            guard let gi = config.learningGroup(path: l.path) else { continue }
            c.groups[gi].prefixes.reserveCapacity(c.groups[gi].prefixes.count + l.prefixes.count)   // kept: exact
            for p in l.prefixes.stableSorted() {
                if taken.contains(p) || !config.groupCarries(gi, v6: !p.isV4) { ignored[i] += 1; continue }
                taken.insert(p)
                c.groups[gi].prefixes.append(p)
            }
        }
        return (c, ignored)
    }
}

extension HedgeConfig {
    /// Whether every member of a group has a next hop of the family (a device-only path has both).
    public func groupCarries(_ gi: Int, v6: Bool) -> Bool {
        for name in groups[gi].paths {
            guard let i = pathIndex(named: name) else { continue }
            let p = paths[i]
            if p.gateway == nil && p.gateway6 == nil { continue }
            let has = v6 ? (p.gateway6 != nil || p.gateway?.isV4 == false) : p.gateway?.isV4 == true
            if !has { return false }
        }
        return true
    }
}
