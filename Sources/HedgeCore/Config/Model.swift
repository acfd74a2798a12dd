/// The validated configuration: what `hedge check` accepts and `hedge run` acts on.
/// Every value keeps the line and column it came from so that later checks can still point at it.

/// Monotonic or wall time in milliseconds; Core never reads a clock, callers pass it in.
public typealias Millis = Int64

/// A place in a configuration file: line and column. The file is named by the Diagnostic that points
/// here (each parser knows its file). Without a String, a location is plain data: every value of the
/// draft and the model carries one, and a String in each cost ~21 KB of aarch64 code in
/// reference-counted copies.
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public init(line: Int, column: Int) { self.line = line; self.column = column }
    public var description: String { "\(line):\(column)" }
}

public struct Diagnostic: Hashable, Sendable, CustomStringConvertible {
    public enum Severity: Hashable, Sendable { case error, warning }
    public var severity: Severity
    public var file: String
    public var location: SourceLocation
    public var message: String
    public init(_ severity: Severity, _ file: String, _ location: SourceLocation, _ message: String) {
        self.severity = severity; self.file = file; self.location = location; self.message = message
    }
    /// `file:line:column: error: message`, the form compilers and editors understand.
    @inline(never) public var description: String {
        "\(file):\(location): \(severity == .error ? "error" : "warning"): \(message)"
    }
}

public struct HedgeConfig: Sendable {
    public var routerID: IPAddress?
    public var localAS: UInt32?
    public var azure: AzureSettings?
    /// In file order; `priority` orders them for the decision.
    public var paths: [PathConfig]
    public var groups: [GroupConfig]
    public var kernel: KernelConfig
    public var control: ControlConfig
    public var bmp = BMPSettings()
    public var reporting = ReportingConfig()

    public init(routerID: IPAddress? = nil, localAS: UInt32? = nil, azure: AzureSettings? = nil,
                paths: [PathConfig] = [], groups: [GroupConfig] = [],
                kernel: KernelConfig = KernelConfig(), control: ControlConfig = ControlConfig()) {
        self.routerID = routerID; self.localAS = localAS; self.azure = azure
        self.paths = paths; self.groups = groups; self.kernel = kernel; self.control = control
    }

    @inline(never) public func pathIndex(named name: String) -> Int? { paths.firstIndex { $0.name == name } }

    /// The names of paths `indices`, in that order.
    @inline(never) public func pathNames(_ indices: [Int]) -> [String] { indices.map { paths[$0].name } }

    /// The same joined by `separator` (" + " names an in-use set as `ip route` lists a multipath route's hops).
    @inline(never) public func pathNames(_ indices: [Int], joinedBy separator: String) -> String {
        pathNames(indices).joined(separator: separator)
    }

    /// The group that the prefixes path `path` learns over BGP join: the first one listing it.
    public func learningGroup(path: Int) -> Int? {
        let name = paths[path].name
        return groups.firstIndex { $0.paths.contains(name) }
    }
}

/// What hedge is told about the Azure side, so that `hedge check` can hold the config against it.
public struct AzureSettings: Sendable, Equatable {
    public var vnet: [IPPrefix]
    public var gatewaySubnet: IPPrefix?
    /// Prefixes Azure accepts from on-prem over private peering before it drops the session
    /// (4,000; 10,000 with ExpressRoute Premium).
    public var privatePeeringLimit: Int
    public var location: SourceLocation
    public init(vnet: [IPPrefix] = [], gatewaySubnet: IPPrefix? = nil, privatePeeringLimit: Int = 4000,
                location: SourceLocation) {
        self.vnet = vnet; self.gatewaySubnet = gatewaySubnet
        self.privatePeeringLimit = privatePeeringLimit; self.location = location
    }
}

public struct PathConfig: Sendable, Equatable {
    public var name: String
    /// Lower is preferred (like an administrative distance).
    public var priority: Int
    public var device: String
    /// Next hop on `device`; nil for a point-to-point device (tunnel).
    public var gateway: IPAddress?
    /// IPv6 next hop, for groups with IPv6 prefixes when `gateway` is IPv4 (nil: none or device-only).
    public var gateway6: IPAddress?
    /// Watch the device's carrier/operstate (on by default).
    public var carrier: Bool
    /// On-prem prefixes advertised toward Azure over this path (`announce`), in file order, distinct.
    public var announce: [IPPrefix]
    public var probe: ProbeConfig?
    /// Single-hop BFD toward the path's neighbour (RFC 5881).
    public var bfd: BFDConfig?
    /// hedge's own BGP session over this path (the ExpressRoute private peering).
    public var bgp: BGPConfig?
    /// A CE router's session with this neighbour, as its BMP feed reports it.
    public var bmpNeighbor: BMPNeighborConfig?
    /// Routes an on-box FRR/BIRD installs for this path.
    public var watchRoutes: RouteWatchConfig?
    /// The device is an XFRM interface of a route-based IPsec tunnel (no gateway, carrier off by
    /// default).
    public var ipsec: IPsecConfig?
    public var location: SourceLocation

    public init(name: String, priority: Int, device: String, gateway: IPAddress? = nil,
                gateway6: IPAddress? = nil, carrier: Bool = true, announce: [IPPrefix] = [],
                probe: ProbeConfig? = nil, bfd: BFDConfig? = nil, bgp: BGPConfig? = nil,
                ipsec: IPsecConfig? = nil, location: SourceLocation) {
        self.name = name; self.priority = priority; self.device = device; self.gateway = gateway
        self.gateway6 = gateway6; self.carrier = carrier; self.announce = announce
        self.probe = probe; self.bfd = bfd; self.bgp = bgp; self.ipsec = ipsec; self.location = location
    }
}

/// `bmp-neighbor ADDRESS [as NUMBER];`: the path is healthy while a CE router's BMP feed shows its
/// session with this neighbour up with routes (RFC 7854).
public struct BMPNeighborConfig: Sendable, Equatable {
    public var neighbor: IPAddress
    public var peerAS: UInt32?
    public var location: SourceLocation
    public init(neighbor: IPAddress, peerAS: UInt32? = nil, location: SourceLocation) {
        self.neighbor = neighbor; self.peerAS = peerAS; self.location = location
    }
}

/// `watch-routes PROTOCOL { prefix ...; table N; mode all|any; }`: the path is healthy while the
/// kernel holds routes of that protocol (186 bgp, 12 bird, or a number) for the prefixes.
public struct RouteWatchConfig: Sendable, Equatable {
    public var protocolID: UInt8
    public var prefixes: [IPPrefix]
    public var table: UInt32
    /// Every prefix must be present (true), or any one of them.
    public var all: Bool
    public var location: SourceLocation
    public init(protocolID: UInt8, prefixes: [IPPrefix], table: UInt32 = 254, all: Bool = true, location: SourceLocation) {
        self.protocolID = protocolID; self.prefixes = prefixes; self.table = table; self.all = all; self.location = location
    }
}

/// The BMP station (top-level `bmp { ... }`): where CE routers send their feeds.
public struct BMPSettings: Sendable, Equatable {
    /// nil: every address, IPv4 and IPv6.
    public var listen: IPAddress?
    public var port: UInt16
    /// Routers allowed to connect; empty: any.
    public var allow: [IPAddress]
    /// How long a feed may take to show the neighbour up with routes.
    public var graceMs: Millis
    public init(listen: IPAddress? = nil, port: UInt16 = 11019, allow: [IPAddress] = [], graceMs: Millis = 10_000) {
        self.listen = listen; self.port = port; self.allow = allow; self.graceMs = graceMs
    }
}

/// One eBGP neighbour (the MSEE, AS 12076). The session's state is a health signal of the path,
/// the prefixes it receives join the path's failover group, and it announces the path's `announce`.
public struct BGPConfig: Sendable, Equatable {
    public var neighbor: IPAddress
    public var remoteAS: UInt32
    /// Seconds offered in our OPEN (0, or 3–65535); the lower of the two sides' values wins.
    public var holdTime: UInt16
    public var connectRetryMs: Millis
    /// Only accept the neighbour's connection, never connect.
    public var passive: Bool
    /// RFC 5082: TTL 255 out, segments below TTL 254 dropped.
    public var gtsm: Bool
    /// TCP MD5 (RFC 2385) key file: root-owned, mode 0600.
    public var md5KeyFile: String?
    /// Most prefixes accepted per address family; nil: no limit.
    public var maxPrefix: Int?
    /// Extra copies of local-as in the AS_PATH we announce (on the backup circuit, say).
    public var prepend: Int
    /// Source address of our connections.
    public var source: IPAddress?
    /// While a group is failed over onto this path, announce more-specific halves of the path's
    /// `announce` here, so that the far side's return traffic follows at once (ReturnSteering).
    public var returnSteering: Bool
    public var location: SourceLocation

    public init(neighbor: IPAddress, remoteAS: UInt32, holdTime: UInt16 = 90, connectRetryMs: Millis = 5_000,
                passive: Bool = false, gtsm: Bool = false, md5KeyFile: String? = nil, maxPrefix: Int? = nil,
                prepend: Int = 0, source: IPAddress? = nil, returnSteering: Bool = true, location: SourceLocation) {
        self.neighbor = neighbor; self.remoteAS = remoteAS; self.holdTime = holdTime
        self.connectRetryMs = connectRetryMs; self.passive = passive; self.gtsm = gtsm
        self.md5KeyFile = md5KeyFile; self.maxPrefix = maxPrefix; self.prepend = prepend
        self.returnSteering = returnSteering
        self.source = source; self.location = location
    }
}

public struct BFDConfig: Sendable, Equatable {
    public var neighbor: IPAddress
    /// Desired min TX interval; Azure's edge runs 300 ms and accepts only longer.
    public var intervalMs: Millis
    /// Required min RX interval.
    public var minRxMs: Millis
    public var multiplier: Int
    public var location: SourceLocation
    public init(neighbor: IPAddress, intervalMs: Millis = 300, minRxMs: Millis = 300, multiplier: Int = 3,
                location: SourceLocation) {
        self.neighbor = neighbor; self.intervalMs = intervalMs; self.minRxMs = minRxMs
        self.multiplier = multiplier; self.location = location
    }
}

public struct ProbeConfig: Sendable, Equatable {
    /// `reflect`: hedge's authenticated probe against `hedge-reflect` (sequence numbers, one-way
    /// loss, RTT; an HMAC so that nobody on the way can fake health).
    public enum Kind: String, Sendable { case icmp, udp, reflect }
    public var kind: Kind
    public var target: IPAddress
    /// UDP echo port (RFC 862) for udp, the reflector's port for reflect.
    public var port: UInt16
    /// reflect: file holding the key shared with the reflector (mode 0600, like a BGP MD5 key).
    public var keyFile: String?
    /// Source address of the probes; default: the kernel's choice for the path's device.
    public var source: IPAddress?
    public var intervalMs: Millis
    /// Down once no reply has come for `threshold` × `intervalMs` (a BFD-style detection time).
    public var threshold: Int
    /// Up again after this many consecutive replies.
    public var recover: Int
    public var location: SourceLocation

    /// The same probe, wherever it was written in the file.
    public var withoutLocation: ProbeConfig {
        var p = self
        p.location = SourceLocation(line: 0, column: 0)
        return p
    }

    /// Default UDP port of `hedge-reflect` (0x4865, "He").
    public static let reflectPort: UInt16 = 18533

    public init(kind: Kind, target: IPAddress, port: UInt16 = 7, keyFile: String? = nil, source: IPAddress? = nil,
                intervalMs: Millis = 100, threshold: Int = 3, recover: Int = 3, location: SourceLocation) {
        self.kind = kind; self.target = target; self.port = port; self.keyFile = keyFile; self.source = source
        self.intervalMs = intervalMs; self.threshold = threshold; self.recover = recover
        self.location = location
    }
}

/// Route-flap damping of a path inside a group, after RFC 2439's figure of merit.
public struct DampingConfig: Hashable, Sendable {
    public var penalty: Int          // added per down transition
    public var suppress: Int         // suppressed above this
    public var reuse: Int            // usable again below this
    public var halfLifeMs: Millis
    public var maxSuppressMs: Millis // caps the penalty so suppression never outlasts this
    public init(penalty: Int = 1000, suppress: Int = 3000, reuse: Int = 750,
                halfLifeMs: Millis = 60_000, maxSuppressMs: Millis = 600_000) {
        self.penalty = penalty; self.suppress = suppress; self.reuse = reuse
        self.halfLifeMs = halfLifeMs; self.maxSuppressMs = maxSuppressMs
    }
}

public struct GroupConfig: Sendable, Equatable {
    public var name: String
    public var prefixes: [IPPrefix]
    /// Member paths by name; preference among them is the paths' priority.
    public var paths: [String]
    /// A better path must be continuously healthy this long before traffic moves back to it.
    public var holdDownMs: Millis
    public var damping: DampingConfig?
    /// Kernel nexthop object id of the group (RTM_NEWNEXTHOP); the IPv6 member gets id + 1.
    public var nexthopID: UInt32
    /// `measure reflect`: a reflect probe along the group's routes from an on-prem LAN address, so
    /// that its replies return the way Azure routes the LAN. It reports each transition's loss in
    /// both directions and never decides anything (`threshold` and `recover` do not apply).
    public var measure: ProbeConfig?
    public var location: SourceLocation
    /// Two or more member paths share a priority: they carry traffic together, and the group's
    /// objects are nexthop groups (NHA_GROUP) whatever the members in use, since the kernel never
    /// replaces a group with a plain nexthop or back. Decided from the config alone.
    public var ecmp: Bool

    public init(name: String, prefixes: [IPPrefix] = [], paths: [String] = [], holdDownMs: Millis = 30_000,
                damping: DampingConfig? = nil, nexthopID: UInt32, measure: ProbeConfig? = nil, location: SourceLocation,
                ecmp: Bool = false) {
        self.name = name; self.prefixes = prefixes; self.paths = paths; self.holdDownMs = holdDownMs
        self.damping = damping; self.nexthopID = nexthopID; self.measure = measure; self.location = location
        self.ecmp = ecmp
    }

    /// How many nexthop ids a group takes from its `nexthopID` on: the group's pair (IPv4, IPv6),
    /// and with ties a pair per member path.
    public static func nexthopSpan(ecmp: Bool, paths: Int) -> UInt64 { ecmp ? 2 + 2 * UInt64(paths) : 2 }

    /// The own nexthop object of member `slot` (its index in `paths`) in a group with ties: the
    /// group's nexthop group lists these.
    public func memberNexthopID(slot: Int, family: AddressFamily) -> UInt32 {
        nexthopID + 2 + 2 * UInt32(slot) + (family == .v4 ? 0 : 1)
    }

    /// Whether `id` is one of this group's nexthop objects.
    public func ownsNexthop(_ id: UInt32) -> Bool {
        id >= nexthopID && UInt64(id - nexthopID) < Self.nexthopSpan(ecmp: ecmp, paths: paths.count)
    }
}

public struct KernelConfig: Sendable, Equatable {
    /// rtm_protocol of hedge's routes: `ip route` shows who owns them, a restart finds them.
    public var routeProtocol: UInt8
    /// Routing table of the failover groups' routes (RT_TABLE_MAIN = 254).
    public var table: UInt32
    public var metric: UInt32
    /// Remove hedge's routes on SIGTERM; off by default so that traffic keeps flowing across a restart.
    public var withdrawOnExit: Bool
    /// SO_RCVBUF of the netlink event socket; overruns are recovered by a full re-dump.
    public var netlinkReceiveBuffer: Int
    /// Use nexthop objects when the kernel has them; `false` forces per-route replace.
    public var nexthopObjects: Bool
    /// First routing table / fwmark used to pin each path's probes to that path.
    public var probeTableBase: UInt32
    public init(routeProtocol: UInt8 = 88, table: UInt32 = 254, metric: UInt32 = 0, withdrawOnExit: Bool = false,
                netlinkReceiveBuffer: Int = 16 << 20, nexthopObjects: Bool = true, probeTableBase: UInt32 = 0x4865_0000) {
        self.routeProtocol = routeProtocol; self.table = table; self.metric = metric
        self.withdrawOnExit = withdrawOnExit; self.netlinkReceiveBuffer = netlinkReceiveBuffer
        self.nexthopObjects = nexthopObjects; self.probeTableBase = probeTableBase
    }
}

public struct ControlConfig: Sendable, Equatable {
    public var socketPath: String
    public init(socketPath: String = "/run/hedge/hedge.sock") { self.socketPath = socketPath }
}
