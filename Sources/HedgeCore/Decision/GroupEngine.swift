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
///
/// Members of equal priority are used together (ECMP): `members` is the group's new in-use set,
/// `to` its lead (the first of them), `previous` the set before. A change inside the set is a
/// switch too, and its lead may stay the same path: `from == to` then.
public struct Switch: Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// First choice of a group that had no active path.
        case initial
        /// Away from a down (or suppressed) path, at once: the whole set, or one member of it.
        case failover
        /// Back to a better path after its hold-down, or a member joining the set after its own.
        case failback
    }
    public var group: Int
    public var from: Int?
    public var to: Int
    /// The in-use set after the switch, lead first (`[to]` without ties).
    public var members: [Int]
    /// The in-use set before it (empty for `.initial`).
    public var previous: [Int]
    public var reason: String
    public var at: Millis
    public var kind: Kind

    public init(group: Int, from: Int?, to: Int, reason: String, at: Millis, kind: Kind,
                members: [Int]? = nil, previous: [Int]? = nil) {
        self.group = group; self.from = from; self.to = to; self.reason = reason; self.at = at
        self.kind = kind
        self.members = members ?? [to]
        self.previous = previous ?? from.map { [$0] } ?? []
    }

    /// Paths that were in use and are not any more (the failed ones of a failover).
    public var left: [Int] { previous.filter { !members.contains($0) } }

    public var description: String {
        let f = previous.isEmpty ? "-" : previous.map { "\($0)" }.joined(separator: "+")
        let t = members.map { "\($0)" }.joined(separator: "+")
        return "\(kind.rawValue) group \(group): \(f) -> \(t) at \(at): \(reason)"
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
    /// The lead of the in-use set (the path traffic uses, without ties).
    public var active: Int?
    /// The members that carry traffic together (equal priority, ECMP), lead first; `[active]`
    /// without ties, empty before the first choice.
    public var inUse: [Int] = []
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
    /// Set while traffic flows on a healthy path and no member outside the in-use set could take
    /// over (the VPN is down while ExpressRoute is up): should the in-use set fail, the site would be
    /// cut off. Both links of a circuit in use with the VPN down raise it; one link down while the
    /// other carries does not (the VPN still could), and its switch says so.
    public var noRedundancy: String?
}

/// Selection for one group. Pure: paths' health comes in, a switch (or none) goes out.
///
/// Members of equal priority form a tier and are used together: the in-use set is the members of
/// the active tier that carry traffic, and its first (in preference order) is the lead, `active`.
/// Without ties every tier has one member and the set is the active path alone.
struct GroupEngine: Sendable {
    var index: Int
    let spec: GroupSpec
    /// Member path indices in order of preference (priority, then index).
    let order: [Int]
    /// Damping per member, parallel to `order` (nil without damping).
    var damping: [Damping?]
    /// The in-use set, in preference order; empty before the first choice.
    var inUse: [Int] = []
    var adopted = false
    var activeSince: Millis?
    var lastSwitch: Switch?
    var stranded: String?
    var strandedSince: Millis?

    /// The lead of the in-use set.
    var active: Int? { inUse.first }

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

    func suppressed(path p: Int, now: Millis) -> Bool { slot(of: p).map { suppressed($0, now: now) } ?? false }

    /// What the kernel had at start-up: the paths a group's route used. Only members are kept, in
    /// preference order.
    mutating func adopt(_ paths: [Int], now: Millis) {
        let members = order.filter { paths.contains($0) }
        guard !members.isEmpty else {
            inUse = []; adopted = false; activeSince = nil
            return
        }
        inUse = members; adopted = true; activeSince = now
        stranded = nil; strandedSince = nil
    }

    mutating func recordFlap(path: Int, now: Millis) {
        if let s = slot(of: path) { damping[s]?.recordDown(now: now) }
    }

    /// What a member must be for a choice: a predicate by name rather than a closure, which would
    /// carry a copy of the engine into every call (closures here capture `self`).
    private enum Fit { case upFree, upAny, unknown, held }

    /// How long member `p` (slot `s`) has been up when it is up, not suppressed and past the
    /// hold-down; nil otherwise.
    @inline(never) private func heldLongEnough(_ s: Int, _ p: Int, _ paths: [PathState], _ now: Millis) -> Millis? {
        guard let upFor = paths[p].upFor(now: now), !suppressed(s, now: now), upFor >= spec.holdDownMs else { return nil }
        return upFor
    }

    @inline(never) private func fits(_ fit: Fit, _ s: Int, _ p: Int, _ paths: [PathState], _ now: Millis) -> Bool {
        switch fit {
        case .upFree: return paths[p].health == .up && !suppressed(s, now: now)
        case .upAny: return paths[p].health == .up
        case .unknown: return paths[p].health == .unknown
        case .held: return heldLongEnough(s, p, paths, now) != nil
        }
    }

    /// First member in preference order that fits, skipping those in `except`.
    @inline(never) private func best(except: [Int], _ fit: Fit, _ paths: [PathState], _ now: Millis) -> Int? {
        for (s, p) in order.enumerated() where !except.contains(p) && fits(fit, s, p, paths, now) { return p }
        return nil
    }

    /// The members of `p`'s tier (its priority) that fit, in preference order; `p` itself is among
    /// them when it fits.
    @inline(never) private func tier(of p: Int, _ fit: Fit, _ paths: [PathState], _ now: Millis) -> [Int] {
        var out: [Int] = []
        for (s, q) in order.enumerated() where paths[q].priority == paths[p].priority && fits(fit, s, q, paths, now) { out.append(q) }
        return out
    }

    @inline(never) private static func names(_ ps: [Int], _ paths: [PathState]) -> String {
        ps.map { paths[$0].name }.joined(separator: " + ")
    }

    @inline(never) private func penalty(path p: Int, now: Millis) -> Int64 {
        slot(of: p).flatMap { damping[$0]?.penalty(now: now) } ?? 0
    }

    /// "NAME up for N ms (hold-down)", or "NAME up (no hold-down)".
    @inline(never) private func held(_ p: Int, _ upFor: Millis, _ paths: [PathState]) -> String {
        spec.holdDownMs > 0
            ? "\(paths[p].name) up for \(upFor == Millis.max ? spec.holdDownMs : upFor) ms (hold-down)"
            : "\(paths[p].name) up (no hold-down)"
    }

    mutating func evaluate(paths: [PathState], now: Millis) -> Switch? {
        guard !order.isEmpty else { return nil }
        func health(_ p: Int) -> Health { paths[p].health }
        func name(_ p: Int) -> String { paths[p].name }

        guard let cur = active, slot(of: cur) != nil else {
            // Nothing active: best up, else best unknown (start-up), else best regardless; with
            // the members of its tier in the same state.
            if let p = best(except: [], .upFree, paths, now) {
                let set = tier(of: p, .upFree, paths, now)
                return take(set, from: nil, .initial, "\(Self.names(set, paths)) up", now)
            }
            if let p = best(except: [], .upAny, paths, now) {
                return take([p], from: nil, .initial, "\(name(p)) up (suppressed by flap damping, no other member up)", now)
            }
            if let p = best(except: [], .unknown, paths, now) {
                let set = tier(of: p, .unknown, paths, now)
                return take(set, from: nil, .initial, "\(Self.names(set, paths)) health unknown, no member up yet", now)
            }
            let p = order[0]
            return take([p], from: nil, .initial, "no member up; \(name(p)) chosen (\(paths[p].reason))", now)
        }

        // Members still fit to carry: not down, not suppressed.
        var keep = inUse.filter { health($0) != .down && !suppressed(path: $0, now: now) }
        if keep.isEmpty {
            if inUse.allSatisfy({ health($0) == .down }) {
                // The whole set is down: fail over at once, to the best tier with a member up.
                let why = "\(Self.names(inUse, paths)) down: \(paths[cur].reason)"
                if let p = best(except: inUse, .upFree, paths, now) {
                    return take(tier(of: p, .upFree, paths, now), from: cur, .failover, why, now)
                }
                if let p = best(except: inUse, .upAny, paths, now) {
                    return take([p], from: cur, .failover, "\(why); \(name(p)) up but suppressed by flap damping", now)
                }
                if let p = best(except: inUse, .unknown, paths, now) {
                    return take([p], from: cur, .failover, "\(why); \(name(p)) health unknown", now)
                }
                // Never switch between two dead paths.
                if stranded == nil { strandedSince = now }
                stranded = "\(why); no other member is up"
                return nil
            }
            // Up but suppressed: away if another member is free, else stay on what is up.
            let sup = inUse.first { health($0) != .down } ?? cur
            if let p = best(except: inUse, .upFree, paths, now) {
                return take(tier(of: p, .upFree, paths, now), from: cur, .failover,
                            "\(name(sup)) suppressed by flap damping (penalty \(penalty(path: sup, now: now)))", now)
            }
            keep = inUse.filter { health($0) != .down }
        }
        stranded = nil; strandedSince = nil
        if keep != inUse {
            // A member of the set left (down, or suppressed while another carries): the others go on.
            let gone = inUse.filter { !keep.contains($0) }
            let g = gone[0]
            let what = health(g) == .down ? "down: \(paths[g].reason)"
                : "suppressed by flap damping (penalty \(penalty(path: g, now: now)))"
            return take(keep, from: cur, .failover,
                        "\(Self.names(gone, paths)) \(what); \(Self.names(keep, paths)) \(keep.count == 1 ? "carries" : "carry") on", now)
        }

        // Fail back to a strictly better tier: its members continuously up for the hold-down, not suppressed.
        let curPriority = paths[cur].priority
        for (s, p) in order.enumerated() where paths[p].priority < curPriority {
            guard let upFor = heldLongEnough(s, p, paths, now) else { continue }
            return take(tier(of: p, .held, paths, now), from: cur, .failback, held(p, upFor, paths), now)
        }
        // Members of the active tier join the set after their own hold-down.
        var joining: [Int] = []
        var why = ""
        for (s, p) in order.enumerated() where paths[p].priority == curPriority && !inUse.contains(p) {
            guard let upFor = heldLongEnough(s, p, paths, now) else { continue }
            if joining.isEmpty { why = held(p, upFor, paths) }
            joining.append(p)
        }
        guard !joining.isEmpty else { return nil }
        let set = order.filter { inUse.contains($0) || joining.contains($0) }
        let who = joining.count == 1 ? why : "\(Self.names(joining, paths)) up for the hold-down"
        return take(set, from: cur, .failback, "\(who), \(joining.count == 1 ? "joins" : "join") \(Self.names(inUse, paths))", now)
    }

    @inline(never) private mutating func take(_ members: [Int], from: Int?, _ kind: Switch.Kind, _ reason: String, _ now: Millis) -> Switch {
        let sw = Switch(group: index, from: from, to: members[0], reason: reason, at: now, kind: kind,
                        members: members, previous: inUse)
        inUse = members; adopted = false; activeSince = now; lastSwitch = sw
        stranded = nil; strandedSince = nil
        return sw
    }

    /// Earliest time after `now` at which `evaluate` could change something without a new signal:
    /// the end of the hold-down of a better member or of one that would join the set, or a
    /// suppressed member's reuse.
    func nextDeadline(paths: [PathState], now: Millis) -> Millis? {
        guard !order.isEmpty else { return nil }
        guard let cur = active else { return now }
        var next: Millis? = nil
        func consider(_ t: Millis) { next = min(next ?? t, max(t, now)) }
        for (s, p) in order.enumerated() {
            let reuse = damping[s]?.reuseAt(now: now)
            if let r = reuse { consider(r) }
            guard !inUse.contains(p), paths[p].priority <= paths[cur].priority,
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
        g.inUse = inUse
        g.noRedundancy = redundancyAlarm(paths: paths, members: members)
        return g
    }

    /// "no redundancy: vpn down (reason)" when the lead is up and no member outside the in-use set
    /// is usable. A group whose members are all in use raises nothing: they back each other up.
    private func redundancyAlarm(paths: [PathState], members: [MemberState]) -> String? {
        guard let a = active, paths[a].health == .up, members.count > inUse.count else { return nil }
        var down: [String] = []
        var why = ""
        for m in members where !inUse.contains(m.path) {
            if paths[m.path].health == .up && !m.suppressed { return nil }
            down.append(paths[m.path].name)
            if why.isEmpty { why = m.suppressed ? "suppressed (damping)" : paths[m.path].reason }
        }
        return "no redundancy: \(down.joined(separator: ", ")) \(down.count == 1 ? "is" : "are") not usable (\(why))"
    }
}
