/// The route-watch signal: where FRR or BIRD already speaks BGP to the ExpressRoute edge, the path
/// is healthy while the kernel holds that daemon's routes (one `rtm_protocol`, one table) for the
/// configured prefixes. The Linux layer feeds it the routes it sees in a dump and in RTM_NEWROUTE /
/// RTM_DELROUTE events; it answers with a health change.
///
/// - Matching is exact: a route counts for a prefix only when its destination is that prefix (not a
///   more specific or a covering one), its protocol and table are the watched ones. Everything else
///   is ignored. The caller passes unicast routes only: a blackhole or unreachable route of the
///   daemon does not make the path usable.
/// - A prefix is present while at least one route for it is (routes of the same prefix with
///   different metrics are counted apart). Routes are keyed by metric: adding the same (prefix,
///   metric) twice is one route — the kernel replaced it — and removing an absent one changes
///   nothing, so that events replayed after a dump are harmless. Duplicates the key cannot tell
///   apart (IPv4 TOS, `ip route append`, one IPv6 ECMP sibling deleted alone) make a removal look
///   like a loss: the Linux layer confirms every loss with a dump before it believes it.
/// - `Mode.all` (the default): up only while every prefix is present. The ExpressRoute path is
///   chosen for all of a group's prefixes at once, so one prefix the edge no longer announces would
///   blackhole its traffic on a path hedge still calls healthy; failing over the whole path is the
///   safe side. `Mode.any` is for alternatives (an aggregate or its halves, whichever the provider
///   announces): up while at least one is present.
/// - Between `reset()` and `dumpDone()` (a full dump, the first one included) health does not move:
///   a half-read dump would otherwise look like a loss. Health is `.unknown` until the first dump.
public struct RouteWatch: Sendable {
    public enum Mode: String, Sendable {
        case all
        case any
    }

    /// The watched prefixes, sorted, without duplicates.
    public let prefixes: [IPPrefix]
    /// rtm_protocol of the routes that count (186 bgp for FRR's zebra, 12 bird).
    public let protocolID: UInt8
    /// Routing table (254: main).
    public let table: UInt32
    public let mode: Mode

    public private(set) var health: Health = .unknown
    public private(set) var reason: String = "route-watch: waiting for the kernel's routes"
    /// True between `reset()` (or creation) and `dumpDone()`.
    public private(set) var dumping = true

    /// Per watched prefix, the metrics of its routes now in the kernel.
    private var routes = HashMap<IPPrefix, HashSet<UInt32>>()

    public init(prefixes: [IPPrefix], protocolID: UInt8, table: UInt32 = 254, mode: Mode = .all) {
        self.prefixes = Array(HashSet(prefixes)).stableSorted()
        self.protocolID = protocolID
        self.table = table
        self.mode = mode
    }

    /// Does a route with these properties concern this watch?
    public func watches(_ prefix: IPPrefix, table: UInt32, protocolID: UInt8) -> Bool {
        protocolID == self.protocolID && table == self.table && prefixes.contains(prefix)
    }

    /// The address families of the watched prefixes (which families a dump must cover).
    public var families: [AddressFamily] {
        var out: [AddressFamily] = []
        if prefixes.contains(where: { $0.isV4 }) { out.append(.v4) }
        if prefixes.contains(where: { !$0.isV4 }) { out.append(.v6) }
        return out
    }

    /// A route appeared (RTM_NEWROUTE or a dump entry). Returns the new health if it changed.
    public mutating func routeAdded(_ prefix: IPPrefix, table: UInt32, protocolID: UInt8,
                                    metric: UInt32 = 0) -> (Health, String)? {
        guard watches(prefix, table: table, protocolID: protocolID) else { return nil }
        routes[prefix, default: []].insert(metric)
        return evaluate()
    }

    /// A route went away (RTM_DELROUTE). Returns the new health if it changed.
    public mutating func routeRemoved(_ prefix: IPPrefix, table: UInt32, protocolID: UInt8,
                                      metric: UInt32 = 0) -> (Health, String)? {
        guard watches(prefix, table: table, protocolID: protocolID) else { return nil }
        routes[prefix]?.remove(metric)
        if routes[prefix]?.isEmpty == true { routes[prefix] = nil }
        return evaluate()
    }

    /// Forgets every route: a full dump follows, then `dumpDone()`. Health holds meanwhile.
    public mutating func reset() {
        routes.removeAll()
        dumping = true
    }

    /// The dump that followed `reset()` is complete: the routes fed since are the kernel's.
    public mutating func dumpDone() -> (Health, String)? {
        dumping = false
        return evaluate()
    }

    /// Is the prefix present (at least one matching route)?
    public func isPresent(_ prefix: IPPrefix) -> Bool { routeCount(prefix) > 0 }

    /// How many routes (distinct metrics) the kernel holds for a watched prefix.
    public func routeCount(_ prefix: IPPrefix) -> Int { routes[prefix]?.count ?? 0 }

    /// For status: the watched prefixes the kernel holds, and those it does not.
    public var present: [IPPrefix] { prefixes.filter { isPresent($0) } }
    public var missing: [IPPrefix] { prefixes.filter { !isPresent($0) } }

    /// The health the present routes give, whatever was last reported.
    public var computedHealth: Health {
        if prefixes.isEmpty { return .up }
        switch mode {
        case .all: return missing.isEmpty ? .up : .down
        case .any: return present.isEmpty ? .down : .up
        }
    }

    private mutating func evaluate() -> (Health, String)? {
        if dumping { return nil }
        let h = computedHealth
        let what = " proto \(RouteWatch.protocolName(protocolID))"
        let inTable = " table \(RouteWatch.tableName(table))"
        if prefixes.isEmpty {
            reason = "route-watch: no prefixes to watch"
        } else if h == .up {
            reason = "route-watch: " + RouteWatch.list(present) + what + " in" + inTable
        } else {
            reason = "route-watch: " + RouteWatch.list(missing) + what + " gone from" + inTable
        }
        guard h != health else { return nil }
        health = h
        return (h, reason)
    }

    /// "a, b, c and 4 more": a reason stays one readable line however many prefixes are watched.
    static func list(_ ps: [IPPrefix], max: Int = 3) -> String {
        var s = ""
        for (i, p) in ps.enumerated() where i < max {
            if i > 0 { s += ", " }
            s += p.description
        }
        if ps.count > max { s += " and \(ps.count - max) more" }
        return s
    }

    // MARK: - Names (iproute2's /etc/iproute2/rt_protos and rt_tables)

    static let protocolNames: [(UInt8, String)] = [
        (186, "bgp"), (12, "bird"), (11, "zebra"), (88, "hedge"), (4, "static"), (3, "boot"), (2, "kernel"),
    ]

    /// 186 "bgp", 12 "bird", 11 "zebra", 88 "hedge", 4 "static", 3 "boot", 2 "kernel", else the number.
    public static func protocolName(_ p: UInt8) -> String {
        for (n, s) in protocolNames where n == p { return s }
        return "\(p)"
    }

    /// A name `protocolName` gives, or a number 0–255 (for the config).
    public static func parseProtocol(_ text: String) -> UInt8? {
        for (n, s) in protocolNames where s == text { return n }
        return parseNumber(text, max: 255).map { UInt8($0) }
    }

    /// 254 "main", 253 "default", 255 "local", else the number.
    public static func tableName(_ t: UInt32) -> String {
        switch t {
        case 254: return "main"
        case 253: return "default"
        case 255: return "local"
        default: return "\(t)"
        }
    }

    /// "main", "default", "local" or a number 1–4294967295 (0 is RT_TABLE_UNSPEC).
    public static func parseTable(_ text: String) -> UInt32? {
        switch text {
        case "main": return 254
        case "default": return 253
        case "local": return 255
        default:
            guard let v = parseNumber(text, max: UInt64(UInt32.max)), v > 0 else { return nil }
            return UInt32(v)
        }
    }

    /// Plain decimal, no sign, no leading zeros (bar "0" itself).
    static func parseNumber(_ text: String, max: UInt64) -> UInt64? {
        let b = Array(text.utf8)
        guard !b.isEmpty, b.count <= 10, !(b.count > 1 && b[0] == 48) else { return nil }
        var v: UInt64 = 0
        for c in b {
            guard c >= 48 && c <= 57 else { return nil }
            v = v * 10 + UInt64(c - 48)
        }
        return v <= max ? v : nil
    }
}
