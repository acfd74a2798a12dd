/// The decision engine: path health from signals, and per group the active path (and the members
/// of equal priority used with it).
///
/// Pure and deterministic: time comes in as `now` on every call. The agent feeds signals, calls
/// `evaluate` after each batch of signals and whenever `nextDeadline` passes, and applies the
/// switches it returns.
public struct Decision: Sendable {
    public private(set) var paths: [PathState]
    private var engines: [GroupEngine]
    /// Latest time seen on any call; `groups` is computed at this time.
    public private(set) var lastNow: Millis = 0
    /// Moves whenever a signal, a path's health or a group's choice changes: the agent re-reports
    /// (events, the redundancy alarm) only when it moved, not on every turn of its loop.
    public private(set) var version = 1

    public init(paths: [PathSpec], groups: [GroupSpec]) {
        let states = paths.map { PathState($0) }
        self.paths = states
        var engines: [GroupEngine] = []
        for (i, g) in groups.enumerated() { engines.append(GroupEngine(index: i, spec: g, paths: states)) }
        self.engines = engines
    }

    /// Signals per path: carrier if `path.carrier`, and one per probe/bfd/bgp block. Group members
    /// that name no path are skipped (the config checker reports them).
    public init(config: HedgeConfig) {
        var specs: [PathSpec] = []
        for p in config.paths {
            var s = HashSet<SignalKind>()
            if p.carrier { s.insert(.carrier) }
            if p.probe != nil { s.insert(.probe) }
            if p.bfd != nil { s.insert(.bfd) }
            if p.bgp != nil { s.insert(.bgp) }
            if p.bmpNeighbor != nil { s.insert(.bmp) }
            if p.ipsec != nil { s.insert(.sa) }
            if p.watchRoutes != nil { s.insert(.routes) }
            s.insert(.hold)   // every path can be held down by a drill; the agent starts it up
            specs.append(PathSpec(name: p.name, priority: p.priority, signals: s))
        }
        var groups: [GroupSpec] = []
        for g in config.groups {
            var members: [Int] = []
            for name in g.paths { if let i = config.pathIndex(named: name) { members.append(i) } }
            groups.append(GroupSpec(name: g.name, members: members, holdDownMs: g.holdDownMs, damping: g.damping))
        }
        self.init(paths: specs, groups: groups)
        // Nothing is held at start: a hold exists only while a drill asks for it.
        for i in paths.indices { signal(path: i, .hold, .up, reason: "not held", now: 0) }
    }

    /// What the kernel already had at start-up. An adopted path is kept while it is not down:
    /// a restart must not move traffic. `nil` (or a path that is not a member) leaves the group
    /// to its initial pick.
    public mutating func adopt(group: Int, activePath: Int?, now: Millis) {
        adopt(group: group, members: activePath.map { [$0] } ?? [], now: now)
    }

    /// The same for a group whose route uses several members at once (equal priority, ECMP).
    public mutating func adopt(group: Int, members: [Int], now: Millis) {
        guard group >= 0 && group < engines.count else { return }
        see(now)
        engines[group].adopt(members, now: now)
        version += 1
    }

    /// Feeds one signal of one path. Returns the path's new health if it changed.
    /// Unknown path indices and signals the path does not declare are ignored.
    @discardableResult
    @inline(never) public mutating func signal(path: Int, _ kind: SignalKind, _ health: Health, reason: String,
                                now: Millis) -> Health? {
        guard path >= 0 && path < paths.count else { return nil }
        see(now)
        let change = paths[path].apply(kind, health, reason: reason, now: now)
        if change.touched { version += 1 }
        if change.flap {
            for g in engines.indices { engines[g].recordFlap(path: path, now: now) }
        }
        return change.health
    }

    /// After a reload: the paths and groups of `plan` take over their old state (health, signals,
    /// flaps; active path, hold-downs, damping). Everything else starts afresh.
    public mutating func inherit(from old: Decision, plan: ReloadPlan) {
        for (n, o) in plan.paths where n < paths.count && o < old.paths.count {
            guard old.paths[o].signals.map({ $0.kind }) == paths[n].signals.map({ $0.kind }) else { continue }
            let priority = paths[n].priority
            paths[n] = old.paths[o]
            paths[n].priority = priority
        }
        for (n, o) in plan.groups where n < engines.count && o < old.engines.count && engines[n].order == old.engines[o].order {
            var e = old.engines[o]
            e.index = n
            engines[n] = e
        }
        if old.lastNow > lastNow { lastNow = old.lastNow }
        version = old.version + 1
    }

    /// Applies the selection rules to every group; returns the switches to carry out, in group order.
    public mutating func evaluate(now: Millis) -> [Switch] {
        see(now)
        var out: [Switch] = []
        for g in engines.indices {
            let stranded = engines[g].stranded
            if let s = engines[g].evaluate(paths: paths, now: now) { out.append(s) }
            if engines[g].stranded != stranded { version += 1 }
        }
        if !out.isEmpty { version += 1 }
        return out
    }

    /// Earliest time at which `evaluate` could change something by itself (end of a better
    /// member's hold-down, a suppressed member's reuse); `now` if a group has not picked a path
    /// yet; nil if nothing is pending.
    public func nextDeadline(now: Millis) -> Millis? {
        var next: Millis? = nil
        for e in engines {
            if let t = e.nextDeadline(paths: paths, now: now) { next = min(next ?? t, t) }
        }
        return next
    }

    /// The groups as of the latest time seen (`lastNow`).
    public var groups: [GroupState] { groupStates(now: lastNow) }

    /// The groups as of `now` (damping penalties and hold-downs computed at that time).
    public func groupStates(now: Millis) -> [GroupState] {
        engines.map { $0.state(paths: paths, now: now) }
    }

    /// Index of the path named `name`.
    @inline(never) public func pathIndex(named name: String) -> Int? { paths.firstIndex { $0.name == name } }

    /// Index of the group named `name`.
    public func groupIndex(named name: String) -> Int? { engines.firstIndex { $0.spec.name == name } }

    /// The active path of a group: the lead of its in-use set.
    public func active(group: Int) -> Int? {
        group >= 0 && group < engines.count ? engines[group].active : nil
    }

    /// The members of a group's active tier that carry traffic together (equal priority), in
    /// preference order, lead first; empty before the group's first choice.
    public func activeMembers(group: Int) -> [Int] {
        group >= 0 && group < engines.count ? engines[group].inUse : []
    }

    private mutating func see(_ now: Millis) { if now > lastNow { lastNow = now } }
}
