/// The health of one BGP neighbour of a CE router (the MSEE of an ExpressRoute circuit) as one
/// BMP feed from that router reports it. Pure: fed decoded messages and the time.
///
/// - up: a Peer Up for the neighbour, no Peer Down since, and at least one prefix from it in
///   Route Monitoring (pre-policy Adj-RIB-In, or post-policy when that is what the router exports).
///   An Established session without routes carries nothing: failing back onto it before its routes
///   are in would black-hole traffic. So routes are required; End-of-RIB does not stand in for
///   them (it is kept for status).
/// - down: a Peer Down for the neighbour (the reason names the BMP reason code and the NOTIFICATION,
///   if any); no Peer Up within `graceMs` of the feed's start (an exporter sends the Peer Ups of its
///   Established sessions right after its Initiation: FRR does at once); Established but no prefix
///   within `graceMs` of the Peer Up; every prefix withdrawn.
/// - unknown: until one of those is known; and when the feed is lost (its TCP connection closed,
///   or a Termination): the CE's management link is not the circuit.
///
/// The neighbour is matched by address (an IPv4 one also as v4-mapped), in any instance except
/// RFC 9069's Loc-RIB, and by AS when `peerAS` is set; a session at that address with another AS is
/// ignored and named in the reason if no Peer Up comes.
public struct BMPNeighborTracker: Sendable {
    public static let defaultGraceMs: Millis = 10_000

    public let neighbor: IPAddress
    public let peerAS: UInt32?
    public let graceMs: Millis

    public private(set) var health: Health = .unknown
    public private(set) var reason: String
    /// When `health` or `reason` last changed.
    public private(set) var since: Millis?
    /// A Peer Up was seen and no Peer Down since.
    public private(set) var established = false
    public private(set) var lastPeerUp: BMPPeerUp?
    public private(set) var lastPeerDown: BMPPeerDownReason?
    /// The neighbour's prefixes as the router received them (pre-policy Adj-RIB-In), and as its
    /// policy left them (post-policy), in the current session.
    public private(set) var prePolicy: HashSet<IPPrefix> = []
    public private(set) var postPolicy: HashSet<IPPrefix> = []
    /// Families whose End-of-RIB came in the current session.
    public private(set) var endOfRIB: HashSet<AFISAFI> = []
    /// UPDATEs about the neighbour hedge could not read (RFC 7606 session reset verdict).
    public private(set) var malformedUpdates = 0
    /// The AS of a session at the neighbour's address that did not match `peerAS`.
    public private(set) var otherAS: UInt32?
    /// When `tick` has something to decide (a grace period ends).
    public private(set) var nextDeadline: Millis?

    public init(neighbor: IPAddress, peerAS: UInt32? = nil, graceMs: Millis = BMPNeighborTracker.defaultGraceMs) {
        self.neighbor = neighbor; self.peerAS = peerAS; self.graceMs = graceMs
        reason = "BMP: no feed yet"
    }

    /// Prefixes of the neighbour in the pre-policy Adj-RIB-In.
    public var prefixCount: Int { prePolicy.count }
    public var postPolicyPrefixCount: Int { postPolicy.count }
    public var hasRoutes: Bool { !prePolicy.isEmpty || !postPolicy.isEmpty }

    /// The message's session is the neighbour's (address, and AS when configured).
    public func matches(_ p: BMPPeerHeader) -> Bool {
        guard !p.isLocRIB, p.address == neighbor || p.address.mappedV4 == neighbor else { return false }
        if let peerAS, p.asNumber != peerAS { return false }
        return true
    }

    // MARK: - Inputs

    /// A new feed: nothing is known of the neighbour yet.
    public mutating func feedStarted(now: Millis) -> (Health, String)? {
        resetSession()
        lastPeerUp = nil
        otherAS = nil
        nextDeadline = now + graceMs
        return set(.unknown, "BMP: feed up, waiting for the Peer Up of \(neighbor)", now)
    }

    public mutating func handle(_ m: BMPMessage, now: Millis) -> (Health, String)? {
        if case .termination(let t) = m { return feedLost("Termination: " + t.description, now: now) }
        guard let p = m.peer, !p.isLocRIB, p.address == neighbor || p.address.mappedV4 == neighbor else { return nil }
        guard matches(p) else {
            otherAS = p.asNumber
            return nil
        }
        switch m {
        case .peerUp(let u):
            resetSession()
            established = true
            lastPeerUp = u
            nextDeadline = now + graceMs
            // Health stays what it was until the routes are in: a session that just came back
            // is not yet a path.
            return set(health, "BMP: \(name) Established (hold time \(u.holdTime) s), waiting for its routes", now)
        case .peerDown(let d):
            resetSession()
            lastPeerDown = d.reason
            nextDeadline = nil
            return set(.down, "BMP: Peer Down of \(neighbor): \(d.reason)", now)
        case .routeMonitoring(let rm):
            // RFC 8671 Adj-RIB-Out: the routes the router sends the neighbour, not the neighbour's.
            if p.isAdjRIBOut { return nil }
            guard let u = rm.update.message else {
                malformedUpdates += 1
                return nil
            }
            var withdrawn = u.allWithdrawn
            var announced = u.announced
            if case .treatAsWithdraw = rm.update { withdrawn += announced; announced = [] }
            let hadRoutes = hasRoutes
            if p.isPostPolicy {
                for x in withdrawn { postPolicy.remove(x) }
                for x in announced { postPolicy.insert(x) }
            } else {
                for x in withdrawn { prePolicy.remove(x) }
                for x in announced { prePolicy.insert(x) }
                if let f = u.endOfRIB { endOfRIB.insert(f) }
            }
            guard established else { return nil }
            if hasRoutes && (health != .up || !hadRoutes) {
                nextDeadline = nil
                return set(.up, "BMP: \(name) Established with routes", now)
            }
            if hadRoutes && !hasRoutes { return set(.down, "BMP: \(neighbor) withdrew all its routes", now) }
            return nil
        default:
            return nil
        }
    }

    public mutating func tick(now: Millis) -> (Health, String)? {
        guard let d = nextDeadline, now >= d else { return nil }
        nextDeadline = nil
        if !established {
            guard health != .down else { return nil }
            var why = "BMP: no Peer Up for \(neighbor) within \(BMPNeighborTracker.duration(graceMs)) of the feed's start"
            if let otherAS, let peerAS { why += " (a session with AS\(otherAS) is there, not AS\(peerAS))" }
            return set(.down, why, now)
        }
        if !hasRoutes {
            return set(.down, "BMP: \(name) Established but sent no routes within \(BMPNeighborTracker.duration(graceMs))", now)
        }
        return nil
    }

    /// The feed's connection closed, or it failed: the feed no longer says anything.
    public mutating func feedLost(_ why: String, now: Millis) -> (Health, String)? {
        resetSession()
        nextDeadline = nil
        return set(.unknown, "BMP feed lost: " + why, now)
    }

    // MARK: - Several feeds

    /// One answer from several feeds (several CE routers, or one reconnecting): up if any feed
    /// sees the neighbour up, else down if any sees it down, else unknown. `none` is the reason
    /// when there is no feed at all.
    public static func merge(_ trackers: [BMPNeighborTracker], none: String) -> (Health, String) {
        for t in trackers where t.health == .up { return (.up, t.reason) }
        for t in trackers where t.health == .down { return (.down, t.reason) }
        if let t = trackers.first { return (.unknown, t.reason) }
        return (.unknown, none)
    }

    // MARK: - Internals

    private var name: String {
        if let asn = lastPeerUp?.peer.asNumber ?? peerAS { return "\(neighbor) (AS\(asn))" }
        return "\(neighbor)"
    }

    private mutating func resetSession() {
        established = false
        prePolicy = []
        postPolicy = []
        endOfRIB = []
    }

    private mutating func set(_ h: Health, _ r: String, _ now: Millis) -> (Health, String)? {
        if h == health && r == reason { return nil }
        health = h
        reason = r
        since = now
        return (h, r)
    }

    static func duration(_ ms: Millis) -> String {
        ms % 1000 == 0 ? "\(ms / 1000) s" : "\(ms) ms"
    }
}
