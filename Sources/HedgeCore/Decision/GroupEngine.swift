/// What the decision needs to know about a failover group.
public struct GroupSpec: Sendable {
    public var name: String
    /// Member path indices (into the decision's paths); preference is the paths' priority.
    public var members: [Int]
    /// A better member must be continuously up this long before traffic moves back to it.
    public var holdDownMs: Millis
    public var damping: DampingConfig?

    public init(name: String, members: [Int], holdDownMs: Millis, damping: DampingConfig? = nil) {
        self.name = name; self.members = members; self.holdDownMs = holdDownMs; self.damping = damping
    }
}

/// One route move decided for a group.
public struct Switch: Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// First choice of a group that had no active path.
        case initial
        /// Away from a down (or suppressed) active path, at once.
        case failover
        /// Back to a better path after its hold-down.
        case failback
    }
    public var group: Int
    public var from: Int?
    public var to: Int
    public var reason: String
    public var at: Millis
    public var kind: Kind

    public init(group: Int, from: Int?, to: Int, reason: String, at: Millis, kind: Kind) {
        self.group = group; self.from = from; self.to = to; self.reason = reason; self.at = at
        self.kind = kind
    }

    public var description: String {
        let f = from.map { "\($0)" } ?? "-"
        return "\(kind.rawValue) group \(group): \(f) -> \(to) at \(at): \(reason)"
    }
}

/// A member of a group as seen at one moment.
public struct MemberState: Sendable {
    public var path: Int
    public var suppressed: Bool
    /// Damping penalty (0 without damping).
    public var penalty: Int64
    /// When a suppressed member becomes usable again.
    public var reuseAt: Millis?
    /// How long the member has been continuously up; nil if not up.
    public var healthyFor: Millis?
    /// End of the member's hold-down when it is up and still inside it.
    public var holdDownUntil: Millis?
}

/// A group as seen at one moment.
public struct GroupState: Sendable {
    public var name: String
    public var active: Int?
    /// The active path was adopted from the kernel at start-up and has not been switched since.
    public var adopted: Bool
    public var activeSince: Millis?
    public var lastSwitch: Switch?
    /// Set while the active path is down and no other member is usable (hedge stays put and
    /// says why); nil otherwise.
    public var stranded: String?
    public var strandedSince: Millis?
    /// In order of preference (priority, then path index).
    public var members: [MemberState]
    /// Set while traffic flows on a healthy path and no other member could take over (the VPN is
    /// down while ExpressRoute is up): the next failure would cut the site off.
    public var noRedundancy: String?
}

/// Selection for one group. Pure: paths' health comes in, a switch (or none) goes out.
struct GroupEngine: Sendable {
    var index: Int
    let spec: GroupSpec
    /// Member path indices in order of preference (priority, then index).
    let order: [Int]
    /// Damping per member, parallel to `order` (nil without damping).
    var damping: [Damping?]
    var active: Int?
    var adopted = false
    var activeSince: Millis?
    var lastSwitch: Switch?
    var stranded: String?
    var strandedSince: Millis?

    init(index: Int, spec: GroupSpec, paths: [PathState]) {
        self.index = index
        self.spec = spec
        var seen = HashSet<Int>()
        var members: [Int] = []
        for m in spec.members where m >= 0 && m < paths.count && !seen.contains(m) {
            seen.insert(m); members.append(m)
        }
        order = members.stableSorted { a, b in
            paths[a].priority != paths[b].priority ? paths[a].priority < paths[b].priority : a < b
        }
        damping = order.map { _ in spec.damping.map { Damping(config: $0) } }
    }

    func slot(of path: Int) -> Int? { order.firstIndex(of: path) }

    func suppressed(_ slot: Int, now: Millis) -> Bool {
        damping[slot]?.isSuppressed(now: now) ?? false
    }

    mutating func adopt(_ path: Int?, now: Millis) {
        guard let p = path, slot(of: p) != nil else {
            active = nil; adopted = false; activeSince = nil
            return
        }
        active = p; adopted = true; activeSince = now
        stranded = nil; strandedSince = nil
    }

    mutating func recordFlap(path: Int, now: Millis) {
        if let s = slot(of: path) { damping[s]?.recordDown(now: now) }
    }

    /// First member in preference order satisfying `ok`, skipping `except`.
    private func best(except: Int?, _ ok: (Int, Int) -> Bool) -> Int? {
        for (s, p) in order.enumerated() where p != except && ok(s, p) { return p }
        return nil
    }

    mutating func evaluate(paths: [PathState], now: Millis) -> Switch? {
        guard !order.isEmpty else { return nil }
        func health(_ p: Int) -> Health { paths[p].health }
        let upFree = { (s: Int, p: Int) -> Bool in health(p) == .up && !self.suppressed(s, now: now) }
        let upAny = { (_: Int, p: Int) -> Bool in health(p) == .up }
        let unknown = { (_: Int, p: Int) -> Bool in health(p) == .unknown }

        guard let cur = active, let curSlot = slot(of: cur) else {
            // Nothing active: best up, else best unknown (start-up), else best regardless.
            let name: (Int) -> String = { paths[$0].name }
            if let p = best(except: nil, upFree) {
                return take(p, from: nil, .initial, "\(name(p)) up", now)
            }
            if let p = best(except: nil, upAny) {
                return take(p, from: nil, .initial, "\(name(p)) up (suppressed by flap damping, no other member up)", now)
            }
            if let p = best(except: nil, unknown) {
                return take(p, from: nil, .initial, "\(name(p)) health unknown, no member up yet", now)
            }
            let p = order[0]
            return take(p, from: nil, .initial, "no member up; \(name(p)) chosen (\(paths[p].reason))", now)
        }
        let curName = paths[cur].name

        if health(cur) == .down {
            let why = "\(curName) down: \(paths[cur].reason)"
            if let p = best(except: cur, upFree) {
                return take(p, from: cur, .failover, why, now)
            }
            if let p = best(except: cur, upAny) {
                return take(p, from: cur, .failover, "\(why); \(paths[p].name) up but suppressed by flap damping", now)
            }
            if let p = best(except: cur, unknown) {
                return take(p, from: cur, .failover, "\(why); \(paths[p].name) health unknown", now)
            }
            // Never switch between two dead paths.
            if stranded == nil { strandedSince = now }
            stranded = "\(why); no other member is up"
            return nil
        }
        stranded = nil; strandedSince = nil

        if suppressed(curSlot, now: now), let p = best(except: cur, upFree) {
            let pen = damping[curSlot]?.penalty(now: now) ?? 0
            return take(p, from: cur, .failover, "\(curName) suppressed by flap damping (penalty \(pen))", now)
        }

        // Fail back to a strictly better member continuously up for the hold-down, not suppressed.
        let curPriority = paths[cur].priority
        for (s, p) in order.enumerated() where p != cur && paths[p].priority < curPriority {
            guard let upFor = paths[p].upFor(now: now), !suppressed(s, now: now) else { continue }
            if upFor >= spec.holdDownMs {
                let why = spec.holdDownMs > 0
                    ? "\(paths[p].name) up for \(upFor == Millis.max ? spec.holdDownMs : upFor) ms (hold-down)"
                    : "\(paths[p].name) up (no hold-down)"
                return take(p, from: cur, .failback, why, now)
            }
        }
        return nil
    }

    @inline(never) private mutating func take(_ to: Int, from: Int?, _ kind: Switch.Kind, _ reason: String, _ now: Millis) -> Switch {
        let sw = Switch(group: index, from: from, to: to, reason: reason, at: now, kind: kind)
        active = to; adopted = false; activeSince = now; lastSwitch = sw
        stranded = nil; strandedSince = nil
        return sw
    }

    /// Earliest time after `now` at which `evaluate` could change something without a new signal:
    /// the end of a better member's hold-down, or a suppressed member's reuse.
    func nextDeadline(paths: [PathState], now: Millis) -> Millis? {
        guard !order.isEmpty else { return nil }
        guard let cur = active else { return now }
        var next: Millis? = nil
        func consider(_ t: Millis) { next = min(next ?? t, max(t, now)) }
        for (s, p) in order.enumerated() {
            let reuse = damping[s]?.reuseAt(now: now)
            if let r = reuse { consider(r) }
            guard p != cur, paths[p].priority < paths[cur].priority,
                  paths[p].health == .up, let since = paths[p].since else { continue }
            let (end, o) = since.addingReportingOverflow(spec.holdDownMs)
            guard !o else { continue }
            consider(max(end, reuse ?? end))
        }
        return next
    }

    func state(paths: [PathState], now: Millis) -> GroupState {
        var members: [MemberState] = []
        for (s, p) in order.enumerated() {
            let upFor = paths[p].upFor(now: now)
            var until: Millis? = nil
            if upFor != nil, let since = paths[p].since {
                let (end, o) = since.addingReportingOverflow(spec.holdDownMs)
                if !o && end > now { until = end }
            }
            members.append(MemberState(
                path: p,
                suppressed: suppressed(s, now: now),
                penalty: damping[s]?.penalty(now: now) ?? 0,
                reuseAt: damping[s]?.reuseAt(now: now),
                healthyFor: upFor,
                holdDownUntil: until))
        }
        var g = GroupState(name: spec.name, active: active, adopted: adopted, activeSince: activeSince,
                           lastSwitch: lastSwitch, stranded: stranded, strandedSince: strandedSince,
                           members: members)
        g.noRedundancy = redundancyAlarm(paths: paths, members: members)
        return g
    }

    /// "no redundancy: vpn down (reason)" when the active path is up and no other member is usable.
    private func redundancyAlarm(paths: [PathState], members: [MemberState]) -> String? {
        guard let a = active, paths[a].health == .up, members.count > 1 else { return nil }
        var down: [String] = []
        var why = ""
        for m in members where m.path != a {
            if paths[m.path].health == .up && !m.suppressed { return nil }
            down.append(paths[m.path].name)
            if why.isEmpty { why = m.suppressed ? "suppressed (damping)" : paths[m.path].reason }
        }
        return "no redundancy: \(down.joined(separator: ", ")) \(down.count == 1 ? "is" : "are") not usable (\(why))"
    }
}
