/// BGP Monitoring Protocol version 3 (RFC 7854): the messages a router exports to a monitoring
/// station, decoded. hedge is the station: it only reads (§3.3: the station sends nothing).
///
/// A message is decoded on its own except for one thing it cannot say about itself: the AS_PATH
/// width of the UPDATE in a Route Monitoring message. RFC 7854 §4.2 puts that in the A flag of the
/// per-peer header, but FRR 8.4 never sets it (a 2-octet session's UPDATE comes with A clear), so
/// `BMPFeed` also learns the width from the two OPENs of each Peer Up and passes it in.

public enum BMPMessageType: UInt8, Sendable {
    case routeMonitoring = 0
    case statisticsReport = 1
    case peerDown = 2
    case peerUp = 3
    case initiation = 4
    case termination = 5
    case routeMirroring = 6

    public var name: String {
        switch self {
        case .routeMonitoring: return "Route Monitoring"
        case .statisticsReport: return "Statistics Report"
        case .peerDown: return "Peer Down"
        case .peerUp: return "Peer Up"
        case .initiation: return "Initiation"
        case .termination: return "Termination"
        case .routeMirroring: return "Route Mirroring"
        }
    }
}

/// Why BMP bytes could not be read. Every one of them ends the feed: after a framing error the
/// stream cannot be resynchronised, and a feed hedge cannot read tells nothing it could trust.
public enum BMPError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A field runs past the end of its message.
    case truncated
    /// The common header's version is not 3 (§4.1; the draft versions 1 and 2 are not spoken).
    case badVersion(UInt8)
    /// The common header's length is below the header itself or above the station's cap.
    case badLength(Int)
    /// A message breaks a rule of RFC 7854 or of the BGP PDU it carries.
    case malformed(String)

    public var description: String {
        switch self {
        case .truncated: return "truncated message"
        case .badVersion(let v): return "BMP version \(v) (only 3 is spoken)"
        case .badLength(let l): return "bad message length \(l)"
        case .malformed(let why): return why
        }
    }
}

/// `indirect`: a message (and the station's events that carry one) is copied as one reference, not
/// a whole Route Monitoring's UPDATE field by field; a feed allocates one box per message, beside the
/// arrays it decodes anyway.
public indirect enum BMPMessage: Equatable, Sendable {
    case routeMonitoring(BMPRouteMonitoring)
    /// Counters are kept for status only; hedge does not act on them.
    case statisticsReport(BMPStatisticsReport)
    case peerDown(BMPPeerDown)
    case peerUp(BMPPeerUp)
    case initiation(BMPInformation)
    case termination(BMPTermination)
    /// Copies of BGP messages (§4.7): skipped, only the peer is kept.
    case routeMirroring(BMPPeerHeader)
    /// A type RFC 7854 does not define; its length is trusted and it is skipped.
    case unknown(type: UInt8)

    /// Version, 4-octet length, type.
    public static let commonHeaderLength = 6
    public static let version: UInt8 = 3

    /// The monitored session the message is about, if it has a per-peer header.
    public var peer: BMPPeerHeader? {
        switch self {
        case .routeMonitoring(let m): return m.peer
        case .statisticsReport(let m): return m.peer
        case .peerDown(let m): return m.peer
        case .peerUp(let m): return m.peer
        case .routeMirroring(let p): return p
        case .initiation, .termination, .unknown: return nil
        }
    }

    /// For logs: "Peer Up", "message type 9".
    public var name: String {
        switch self {
        case .routeMonitoring: return BMPMessageType.routeMonitoring.name
        case .statisticsReport: return BMPMessageType.statisticsReport.name
        case .peerDown: return BMPMessageType.peerDown.name
        case .peerUp: return BMPMessageType.peerUp.name
        case .initiation: return BMPMessageType.initiation.name
        case .termination: return BMPMessageType.termination.name
        case .routeMirroring: return BMPMessageType.routeMirroring.name
        case .unknown(let t): return "message type \(t)"
        }
    }

    /// Reads one whole message as `BMPFramer` cuts it (common header included).
    /// - `fourOctetAS`: what each monitored session negotiated, from its Peer Up (see `BMPFeed`);
    ///   a session missing here is read as the A flag says.
    public static func decode(_ bytes: ArraySlice<UInt8>, fourOctetAS: HashMap<BMPPeerKey, Bool> = HashMap())
        throws(BMPError) -> BMPMessage {
        let length = try BMPFramer.checkHeader(bytes, maxLength: Int.max)
        guard bytes.count == length else { throw .badLength(bytes.count) }
        let typeByte = bytes[bytes.startIndex + 5]
        var r = BMPReader(bytes[(bytes.startIndex + commonHeaderLength)...])
        guard let type = BMPMessageType(rawValue: typeByte) else { return .unknown(type: typeByte) }
        switch type {
        case .initiation:
            return .initiation(try BMPInformation.decode(&r))
        case .termination:
            return .termination(try BMPTermination.decode(&r))
        case .routeMonitoring:
            let peer = try BMPPeerHeader.decode(&r)
            let wide = peer.isTwoOctetAS ? false : (fourOctetAS[peer.key] ?? true)
            return .routeMonitoring(try BMPRouteMonitoring.decode(peer: peer, &r, fourOctetAS: wide))
        case .statisticsReport:
            let peer = try BMPPeerHeader.decode(&r)
            return .statisticsReport(try BMPStatisticsReport.decode(peer: peer, &r))
        case .peerDown:
            let peer = try BMPPeerHeader.decode(&r)
            return .peerDown(try BMPPeerDown.decode(peer: peer, &r))
        case .peerUp:
            let peer = try BMPPeerHeader.decode(&r)
            return .peerUp(try BMPPeerUp.decode(peer: peer, &r))
        case .routeMirroring:
            return .routeMirroring(try BMPPeerHeader.decode(&r))
        }
    }

    public static func decode(_ bytes: [UInt8], fourOctetAS: HashMap<BMPPeerKey, Bool> = HashMap()) throws(BMPError) -> BMPMessage {
        try decode(bytes[...], fourOctetAS: fourOctetAS)
    }
}

/// Route Monitoring (§4.6): one UPDATE as the router received it (pre-policy), or as its policy
/// left it (post-policy, L flag), from one monitored session.
public struct BMPRouteMonitoring: Equatable, Sendable {
    public var peer: BMPPeerHeader
    /// The UPDATE with its RFC 7606 verdict; `sessionReset` means hedge could not read it.
    public var update: UpdateVerdict
    /// The AS_PATH width the UPDATE was read with.
    public var fourOctetAS: Bool

    public init(peer: BMPPeerHeader, update: UpdateVerdict, fourOctetAS: Bool) {
        self.peer = peer; self.update = update; self.fourOctetAS = fourOctetAS
    }

    static func decode(peer: BMPPeerHeader, _ r: inout BMPReader, fourOctetAS: Bool) throws(BMPError) -> BMPRouteMonitoring {
        let pdu = try r.bgpPDU("Route Monitoring")
        guard pdu.type == MessageType.update.rawValue else {
            throw .malformed("Route Monitoring carries BGP message type \(pdu.type), not an UPDATE")
        }
        guard r.isAtEnd else { throw .malformed("Route Monitoring: \(r.remaining) octets after the UPDATE") }
        // The monitored session is not ours: never drop what the router reports for being
        // meaningless from an external peer (LOCAL_PREF, confederation segments).
        let verdict = UpdateMessage.decode(pdu.body, options: CodecOptions(fourOctetAS: fourOctetAS, external: false))
        return BMPRouteMonitoring(peer: peer, update: verdict, fourOctetAS: fourOctetAS)
    }
}
