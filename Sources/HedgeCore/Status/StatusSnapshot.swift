/// Everything `hedge status` shows, gathered by the agent at one instant. Durations are "ago" in ms
/// (monotonic), events carry wall-clock ms for people and collectors.
public struct StatusSnapshot: Sendable {
    public var version: String
    public var routerID: String?
    public var localAS: UInt32?
    public var uptimeMs: Int64
    public var nowWallMs: Int64
    /// Wall time the agent started (ms): what `process_start_time_seconds` is to other exporters.
    public var startWallMs: Int64
    public var paths: [PathStatus] = []
    public var groups: [GroupStatus] = []
    public var kernel = KernelStatus()
    /// The last `hedge drill`: its wall time and outcome.
    public var lastDrill: String?
    public var config = ConfigStatus()
    public var events = EventsStatus()
    /// The `/metrics` endpoint itself; nil while it is off or not bound.
    public var http: HTTPServerStatus?
    public init(version: String, routerID: String?, localAS: UInt32?, uptimeMs: Int64, nowWallMs: Int64) {
        self.version = version; self.routerID = routerID; self.localAS = localAS
        self.uptimeMs = uptimeMs; self.nowWallMs = nowWallMs
        startWallMs = nowWallMs - uptimeMs
    }
}

public struct SignalStatus: Sendable {
    public var kind: String
    public var health: Health
    public var reason: String
    public var forMs: Int64?
    public init(kind: String, health: Health, reason: String, forMs: Int64?) {
        self.kind = kind; self.health = health; self.reason = reason; self.forMs = forMs
    }
}

public struct ProbeStatus: Sendable {
    public var kind: String
    public var target: String
    public var intervalMs: Int64
    public var threshold: Int
    public var sent: Int
    public var received: Int
    public var lost: Int
    public var rttUs: Int64?
    /// reflect probes: one-way loss as the reflector's counters tell it, RTT figures, and replies
    /// that failed authentication or matched no request.
    public var forwardLoss: Int?
    public var returnLoss: Int?
    public var minRTTUs: Int64?
    public var avgRTTUs: Int64?
    public var rejected: Int?
    public init(kind: String, target: String, intervalMs: Int64, threshold: Int, sent: Int, received: Int,
                lost: Int, rttUs: Int64?) {
        self.kind = kind; self.target = target; self.intervalMs = intervalMs; self.threshold = threshold
        self.sent = sent; self.received = received; self.lost = lost; self.rttUs = rttUs
    }
}

/// One BGP neighbour, the facts `birdc show protocols all` / `vtysh show bgp summary` give.
public struct BGPStatus: Sendable {
    public var neighbor: String
    public var remoteAS: UInt32
    public var state: String
    /// Time in the current state when Established (ms).
    public var upForMs: Int64?
    public var holdMs: Int64?
    /// Prefixes installed from this session, and how many of them are stale (the session that
    /// taught them ended; they now follow the failover).
    public var learned: Int
    public var stale: Int
    /// Received but not installed (a family the group cannot carry, or a prefix already configured).
    public var ignored: Int
    public var announced: Int
    /// Asked to announce (more than `announced` when the private-peering limit cut the list).
    public var announceWanted: Int
    public var lastDown: String?
    /// Transitions into Established since the session was made (RFC 4273
    /// bgpPeerFsmEstablishedTransitions): its flaps are this minus one.
    public var establishedTransitions = 0
    /// Return-path steering (ReturnSteering): "off" in the configuration, "ready", or "active" while
    /// the session carries the more-specific halves; `moreSpecifics` of them, and `unsteered`
    /// prefixes whose halves did not fit the peer's limit.
    public var returnSteering = "off"
    public var moreSpecifics = 0
    public var unsteered = 0
    public init(neighbor: String, remoteAS: UInt32, state: String, upForMs: Int64?, holdMs: Int64?, learned: Int,
                stale: Int, ignored: Int, announced: Int, announceWanted: Int, lastDown: String?) {
        self.neighbor = neighbor; self.remoteAS = remoteAS; self.state = state; self.upForMs = upForMs
        self.holdMs = holdMs; self.learned = learned; self.stale = stale; self.ignored = ignored
        self.announced = announced; self.announceWanted = announceWanted; self.lastDown = lastDown
    }
}

/// A VPN path's IPsec tunnel: its XFRM interface and the ESP SA pair the kernel holds (SPIs and
/// counters only: never keys).
public struct TunnelStatus: Sendable {
    public var ifID: UInt32
    public var local: String
    public var remote: String
    /// "static" or "strongswan".
    public var keying: String
    public var spiOut: UInt32?
    public var spiIn: UInt32?
    public var packetsOut: UInt64 = 0
    public var packetsIn: UInt64 = 0
    public var bytesOut: UInt64 = 0
    public var bytesIn: UInt64 = 0
    /// strongSwan mode: charon's view (IKE_SA / CHILD_SA states), and initiations asked for.
    public var ike: String?
    public var initiations: Int = 0
    /// The MSS clamp (nil: `mss off`), whether hedge's nftables table holds it, and how often hedge
    /// had to put it back after another program changed the table.
    public var mss: Int?
    public var clampInPlace = false
    public var clampRepairs = 0
    public var mtu: Int = 0
    public init(ifID: UInt32, local: String, remote: String, keying: String) {
        self.ifID = ifID; self.local = local; self.remote = remote; self.keying = keying
    }
}

public struct PathStatus: Sendable {
    public var name: String
    public var priority: Int
    public var device: String
    public var gateway: String?
    public var health: Health
    public var reason: String
    public var forMs: Int64?
    public var flaps: Int
    /// Wall time of the last health change; nil while it has not changed since start.
    public var changedWallMs: Int64?
    public var signals: [SignalStatus] = []
    public var bfd: BFDStatus?
    public var probe: ProbeStatus?
    public var bgp: BGPStatus?
    public var tunnel: TunnelStatus?
    public init(name: String, priority: Int, device: String, gateway: String?, health: Health, reason: String,
                forMs: Int64?, flaps: Int) {
        self.name = name; self.priority = priority; self.device = device; self.gateway = gateway
        self.health = health; self.reason = reason; self.forMs = forMs; self.flaps = flaps
    }
}

public struct SwitchEvent: Sendable {
    public var kind: String
    public var from: String?
    public var to: String
    public var reason: String
    public var wallMs: Int64
    public init(kind: String, from: String?, to: String, reason: String, wallMs: Int64) {
        self.kind = kind; self.from = from; self.to = to; self.reason = reason; self.wallMs = wallMs
    }
}

public struct MemberStatus: Sendable {
    public var path: String
    public var suppressed: Bool
    public var penalty: Int64
    public var holdDownRemainingMs: Int64?
    public init(path: String, suppressed: Bool, penalty: Int64, holdDownRemainingMs: Int64?) {
        self.path = path; self.suppressed = suppressed; self.penalty = penalty
        self.holdDownRemainingMs = holdDownRemainingMs
    }
}

public struct GroupStatus: Sendable {
    public var name: String
    public var active: String?
    /// The members carrying traffic together (equal priority, one nexthop group), lead first;
    /// `[active]` without ties.
    public var inUse: [String] = []
    /// The group's paths share a priority: its route is a nexthop group (ECMP).
    public var ecmp = false
    /// The first `listed` of the group's prefixes (a status over a table of thousands would cost the
    /// loop more than a failover), and how many there are in all.
    public var prefixes: [String]
    public var prefixCount: Int
    public static let listed = 64
    public var nexthopID: UInt32
    public var holdDownMs: Int64
    public var switches: Int
    public var lastSwitch: SwitchEvent?
    public var stranded: String?
    /// The no-redundancy alarm (see `GroupState.noRedundancy`), nil while a backup is usable.
    public var noRedundancy: String?
    public var members: [MemberStatus] = []
    /// Switches away from a failed path, and back to a better one once it recovered.
    public var failovers = 0
    public var failbacks = 0
    public var lastFailoverWallMs: Int64?
    /// The last failover's loss window: from the failed path's last sign of life to the kernel's
    /// acknowledgement of the switch.
    public var lossWindowMs: Int64?
    /// The group's `measure reflect`, nil without one.
    public var measure: MeasureStatus?
    public init(name: String, active: String?, prefixes: [String], nexthopID: UInt32, holdDownMs: Int64,
                switches: Int, lastSwitch: SwitchEvent?, stranded: String?) {
        self.name = name; self.active = active; self.prefixes = prefixes; self.prefixCount = prefixes.count
        self.nexthopID = nexthopID
        self.holdDownMs = holdDownMs; self.switches = switches; self.lastSwitch = lastSwitch; self.stranded = stranded
    }
}

/// A group's measure probe: its counters, and what the last failover and failback cost the LAN in
/// each direction.
public struct MeasureStatus: Sendable {
    public var target: String
    public var source: String
    public var intervalMs: Int64
    public var sent: Int
    public var received: Int
    public var forwardLoss: Int
    public var returnLoss: Int
    /// Lost in a direction that the next reply will tell (or still in flight).
    public var unanswered: Int
    public var lastFailover: TransitionLossStatus?
    public var lastFailback: TransitionLossStatus?
    public init(target: String, source: String, intervalMs: Int64, sent: Int, received: Int, forwardLoss: Int,
                returnLoss: Int, unanswered: Int) {
        self.target = target; self.source = source; self.intervalMs = intervalMs; self.sent = sent
        self.received = received; self.forwardLoss = forwardLoss; self.returnLoss = returnLoss; self.unanswered = unanswered
    }
}

public struct TransitionLossStatus: Sendable {
    public var forwardMs: Int64
    public var returnMs: Int64
    /// False while still being measured, or when the next switch cut it short.
    public var settled: Bool
    /// The switch's wall time.
    public var wallMs: Int64
    public init(forwardMs: Int64, returnMs: Int64, settled: Bool, wallMs: Int64) {
        self.forwardMs = forwardMs; self.returnMs = returnMs; self.settled = settled; self.wallMs = wallMs
    }
}

public struct KernelStatus: Sendable {
    public var nexthopObjects = false
    public var protocolID: UInt8 = 0
    public var changes = 0
    public var resyncs = 0
    /// Every error the agent logged (netlink, sockets, sessions, reporting, reloads)...
    public var errors = 0
    /// ...and those that were netlink refusing or failing.
    public var netlinkErrors = 0
    public var lastError: String?
    public init() {}
}

/// One path's BFD session (RFC 5880 §6.8.1 state variables, with the values derived from them).
public struct BFDStatus: Sendable {
    public var neighbor: String
    public var state: BFDState
    public var remoteState: BFDState
    /// bfd.LocalDiag: why the session last left Up (0 while it is Up or never was).
    public var diagnostic: BFDDiagnostic
    /// Negotiated periodic transmit interval before jitter, and Detection Time (µs; §6.8.4). The
    /// detection time is nil until the neighbour has spoken.
    public var transmitIntervalUs: Int64
    public var detectionTimeUs: Int64?
    /// Our Detect Mult, and the neighbour's (which, with its interval, sets our detection time).
    public var detectMultiplier: Int
    public var remoteDetectMultiplier: Int?
    public var packetsSent: Int
    /// Packets that passed every check of §6.8.6 and were acted on.
    public var packetsAccepted: Int
    public var packetsDiscarded: Int
    /// Time in the current state (ms).
    public var forMs: Int64
    public init(neighbor: String, state: BFDState, remoteState: BFDState, diagnostic: BFDDiagnostic,
                transmitIntervalUs: Int64, detectionTimeUs: Int64?, detectMultiplier: Int,
                packetsSent: Int, packetsAccepted: Int, packetsDiscarded: Int, forMs: Int64) {
        self.neighbor = neighbor; self.state = state; self.remoteState = remoteState; self.diagnostic = diagnostic
        self.transmitIntervalUs = transmitIntervalUs; self.detectionTimeUs = detectionTimeUs
        self.detectMultiplier = detectMultiplier; self.packetsSent = packetsSent
        self.packetsAccepted = packetsAccepted; self.packetsDiscarded = packetsDiscarded; self.forMs = forMs
    }
}

/// The running configuration and what became of the reloads (SIGHUP) and drills.
public struct ConfigStatus: Sendable {
    /// 1 at start, +1 per applied reload.
    public var generation = 1
    public var reloadsSucceeded = 0
    public var reloadsFailed = 0
    public var lastReloadWallMs: Int64?
    /// Why the last reload was refused; nil when it was applied or there was none.
    public var lastReloadError: String?
    public var lastDrillSuccessWallMs: Int64?
    public init() {}
}

/// The `/metrics` and `/status` endpoint: what it served, and what its limits on slow and greedy
/// clients closed. A scrape that fails while these grow is the endpoint defending itself.
public struct HTTPServerStatus: Sendable {
    public var connections = 0
    public var requests = 0
    /// Answered with an error by the server itself (malformed, too large, not GET or HEAD).
    public var rejected = 0
    /// Closed to make room for a newer connection.
    public var evicted = 0
    /// Closed for lack of progress; `headTimedOut` of them because the request head did not arrive
    /// in time.
    public var timedOut = 0
    public var headTimedOut = 0
    /// Closed at once: their source address already had as many connections as it may.
    public var refused = 0
    public init() {}
}

/// Event export (syslog, push to a collector): the queue and what left it.
public struct EventsStatus: Sendable {
    public var queued = 0
    public var delivered = 0
    public var dropped = 0
    public var syslogSent = 0
    public var syslogErrors = 0
    public var pushErrors = 0
    public var pushTarget: String?
    public var lastPushError: String?
    public init() {}
}
