/// Peer Up (RFC 7854 §4.10) and Peer Down (§4.9): a monitored session reached Established, or left it.

public struct BMPPeerUp: Equatable, Sendable {
    public var peer: BMPPeerHeader
    /// The router's address on the session.
    public var localAddress: IPAddress
    public var localPort: UInt16
    public var remotePort: UInt16
    /// The OPEN the router sent, and the one it received from the peer.
    public var sentOpen: OpenMessage
    public var receivedOpen: OpenMessage
    /// Information TLVs after the OPENs (type 0: free text; RFC 9069 type 3: VRF/table name).
    public var information: [BMPTLV]

    public init(peer: BMPPeerHeader, localAddress: IPAddress, localPort: UInt16, remotePort: UInt16,
                sentOpen: OpenMessage, receivedOpen: OpenMessage, information: [BMPTLV] = []) {
        self.peer = peer; self.localAddress = localAddress; self.localPort = localPort; self.remotePort = remotePort
        self.sentOpen = sentOpen; self.receivedOpen = receivedOpen; self.information = information
    }

    /// RFC 6793 §4: 4-octet AS numbers in AS_PATH only when both sides sent the capability.
    public var fourOctetAS: Bool { sentOpen.supportsFourOctetAS && receivedOpen.supportsFourOctetAS }

    /// The negotiated hold time in seconds (RFC 4271 §4.2: the smaller of the two).
    public var holdTime: UInt16 { min(sentOpen.holdTime, receivedOpen.holdTime) }

    static func decode(peer: BMPPeerHeader, _ r: inout BMPReader) throws(BMPError) -> BMPPeerUp {
        let raw = try r.take(16)
        // §4.10: the local address is IPv4 (last 4 octets) when the peer's is.
        guard let local = peer.isV6 ? IPAddress(bytes: raw) : IPAddress(bytes: raw.suffix(4)) else { throw .truncated }
        let lport = try r.u16(), rport = try r.u16()
        let sent = try open(&r, "Peer Up: sent OPEN")
        let received = try open(&r, "Peer Up: received OPEN")
        var info: [BMPTLV] = []
        for t in try r.tlvs("Peer Up") { info.append(BMPTLV(type: t.type, value: Array(t.value))) }
        return BMPPeerUp(peer: peer, localAddress: local, localPort: lport, remotePort: rport,
                         sentOpen: sent, receivedOpen: received, information: info)
    }

    private static func open(_ r: inout BMPReader, _ what: String) throws(BMPError) -> OpenMessage {
        let pdu = try r.bgpPDU(what)
        guard pdu.type == MessageType.open.rawValue else { throw .malformed("\(what): BGP message type \(pdu.type)") }
        do throws(BGPError) {
            return try OpenMessage.decodeBody(pdu.body)
        } catch {
            throw .malformed("\(what): \(BMPPeerDown.describe(error))")
        }
    }
}

public struct BMPPeerDown: Equatable, Sendable {
    public var peer: BMPPeerHeader
    public var reason: BMPPeerDownReason

    public init(peer: BMPPeerHeader, reason: BMPPeerDownReason) { self.peer = peer; self.reason = reason }

    static func decode(peer: BMPPeerHeader, _ r: inout BMPReader) throws(BMPError) -> BMPPeerDown {
        let code = try r.u8()
        let reason: BMPPeerDownReason
        switch code {
        case 1: reason = .localNotification(try notification(&r))
        case 2: reason = .localNoNotification(fsmEvent: try r.u16())
        case 3: reason = .remoteNotification(try notification(&r))
        // No data follows 4 and 5; anything there is ignored, the reason is what matters.
        case 4: reason = .remoteNoNotification
        case 5: reason = .peerDeconfigured
        default: reason = .other(code: code, data: Array(r.rest()))
        }
        return BMPPeerDown(peer: peer, reason: reason)
    }

    private static func notification(_ r: inout BMPReader) throws(BMPError) -> NotificationMessage {
        let pdu = try r.bgpPDU("Peer Down")
        guard pdu.type == MessageType.notification.rawValue else {
            throw .malformed("Peer Down: BGP message type \(pdu.type), not a NOTIFICATION")
        }
        do throws(BGPError) {
            return try NotificationMessage.decodeBody(pdu.body)
        } catch {
            throw .malformed("Peer Down: NOTIFICATION: \(describe(error))")
        }
    }

    static func describe(_ e: BGPError) -> String {
        switch e {
        case .truncated: return "truncated"
        case .notify(let n): return n.description
        case .tooLong(let l): return "\(l) octets"
        }
    }
}

/// §4.9 reason codes.
public enum BMPPeerDownReason: Equatable, Sendable, CustomStringConvertible {
    /// 1: the router closed the session and sent this NOTIFICATION.
    case localNotification(NotificationMessage)
    /// 2: the router closed the session without a NOTIFICATION; the FSM event (RFC 4271 §8.1) that
    /// did it, 0 when none applies (what FRR 8.4 sends for a hold timer expiry and a failed connect).
    case localNoNotification(fsmEvent: UInt16)
    /// 3: the peer sent this NOTIFICATION.
    case remoteNotification(NotificationMessage)
    /// 4: the peer closed the connection without a NOTIFICATION.
    case remoteNoNotification
    /// 5: the session is no longer configured (or no longer monitored).
    case peerDeconfigured
    /// Any other code (RFC 9069's 6 among them), its data kept as received.
    case other(code: UInt8, data: [UInt8])

    public var code: UInt8 {
        switch self {
        case .localNotification: return 1
        case .localNoNotification: return 2
        case .remoteNotification: return 3
        case .remoteNoNotification: return 4
        case .peerDeconfigured: return 5
        case .other(let c, _): return c
        }
    }

    public var notification: NotificationMessage? {
        switch self {
        case .localNotification(let n), .remoteNotification(let n): return n
        default: return nil
        }
    }

    /// "remote system closed the session with NOTIFICATION Cease / Administrative Shutdown (BMP reason 3)"
    public var description: String {
        let text: String
        switch self {
        case .localNotification(let n): text = "local system closed the session with NOTIFICATION \(n)"
        case .localNoNotification(let e):
            text = "local system closed the session without NOTIFICATION" + (e == 0 ? "" : " (FSM event \(e))")
        case .remoteNotification(let n): text = "remote system closed the session with NOTIFICATION \(n)"
        case .remoteNoNotification: text = "remote system closed the session without NOTIFICATION"
        case .peerDeconfigured: text = "peer de-configured"
        case .other: text = "peer down"
        }
        return text + " (BMP reason \(code))"
    }
}
