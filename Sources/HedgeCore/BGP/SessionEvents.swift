/// The vocabulary between the session FSM and the event loop: states, events in, actions out.

/// RFC 4271 §8.2.2.
public enum SessionState: UInt8, Sendable {
    case idle, connect, active, openSent, openConfirm, established

    public var name: String {
        switch self {
        case .idle: return "Idle"
        case .connect: return "Connect"
        case .active: return "Active"
        case .openSent: return "OpenSent"
        case .openConfirm: return "OpenConfirm"
        case .established: return "Established"
        }
    }
}

/// RFC 4271 §8.1 events (numbers in the comments), plus BFD (RFC 5882). Timer expiries normally
/// come from `Session.tick(now:)`; they are events too so that a test can fire one directly.
public enum SessionEvent: Sendable, Equatable {
    /// 1 / 4 (the configured mode decides which).
    case manualStart
    /// 2.
    case manualStop
    /// 9, 10, 11, and the IdleHoldTimer (13 restarts automatically, §8.1.1).
    case timerExpires(SessionTimer)
    /// 16: our outgoing connection completed.
    case tcpConnectionAcknowledged
    /// 17: the peer's connection was accepted and is offered to the session.
    case tcpConnectionConfirmed
    /// 18: the session's connection failed or was closed by the peer.
    case tcpConnectionFails
    /// 19.
    case bgpOpen(OpenMessage)
    /// 21, 22: a header or OPEN error found while decoding; the NOTIFICATION to send.
    case messageError(NotificationMessage)
    /// 25 (24 for a version error is handled alike: hedge does not fall back to older versions).
    case notifMsg(NotificationMessage)
    /// 26.
    case keepAliveMsg
    /// 27 / 28, with the RFC 7606 verdict.
    case updateMsg(UpdateVerdict)
    /// RFC 2918.
    case routeRefreshMsg(RouteRefreshMessage)
    /// The BFD session protecting this peering went down (RFC 5882 §10.2).
    case bfdDown
}

/// Routes from one UPDATE for one family.
public struct ReceivedRoutes: Sendable, Equatable {
    public var family: AFISAFI
    public var prefixes: [IPPrefix]
    /// NEXT_HOP (IPv4) or MP_REACH_NLRI's global next hop.
    public var nextHop: IPAddress?
    /// The IPv6 link-local next hop, when the peer sent one.
    public var linkLocalNextHop: IPAddress?
    public var attributes: PathAttributes
}

/// What the event loop must do, in order.
public enum SessionAction: Sendable, Equatable {
    /// Start an outgoing TCP connection to the peer (port 179), replacing a pending attempt.
    case connect
    /// Abandon the pending outgoing attempt (an incoming connection was adopted instead).
    case cancelConnect
    /// Adopt the incoming connection just offered (`tcpConnectionConfirmed`).
    case accept
    /// Close the incoming connection just offered: the session has one already, or is Idle.
    case refuse
    /// Write these bytes to the session's connection.
    case send([UInt8])
    /// Close the session's connection once what was sent is written.
    case disconnect
    case armTimer(SessionTimer, at: Millis)
    case disarmTimer(SessionTimer)
    /// Routes received (Adj-RIB-In additions or replacements). `indirect`: the other actions, a timer
    /// armed on every KEEPALIVE, copy as a few words, not as a `PathAttributes` field by field.
    indirect case announce(ReceivedRoutes)
    /// Routes gone: withdrawn by the peer, treated as withdrawn (RFC 7606), or the session ended.
    case withdraw([IPPrefix])
    /// The peer finished its initial table for a family (RFC 4724 End-of-RIB).
    case endOfRIB(AFISAFI)
    /// The peer asked for our routes of a family again (RFC 2918).
    case routeRefreshRequested(AFISAFI)
    /// Malformed UPDATE contents handled without a reset (RFC 7606 says to log them).
    case malformedUpdate([AttributeIssue])
    case stateChanged(from: SessionState, to: SessionState, reason: SessionReason)
}

/// Why the state changed. A session that ends says who ended it and how, so that status can tell a
/// prefix-limit drop or an administrative shutdown by the peer from a broken circuit.
public enum SessionReason: Sendable, Equatable, CustomStringConvertible {
    case manualStart
    case automaticStart
    case manualStop
    /// Connect: ConnectRetryTimer fired (active mode).
    case connectRetry
    case connectionUp
    case connectionFailed
    case openReceived
    case keepaliveReceived
    case holdTimerExpired
    case bfdDown
    /// The peer ended the session with this NOTIFICATION.
    case notificationReceived(NotificationMessage)
    /// hedge found an error and sent this NOTIFICATION.
    case notificationSent(NotificationMessage)
    /// The peer sent more prefixes of a family than the configured limit (we sent Cease 1).
    case maximumPrefixes(AFISAFI, limit: Int)

    /// The peer dropped the session because of our prefix count: the circuit is fine.
    public var isPeerPrefixLimit: Bool {
        if case .notificationReceived(let n) = self { return n.isPrefixLimit }
        return false
    }

    /// The transport or the peer stopped answering: what a failed circuit looks like.
    public var isPathFailure: Bool {
        switch self {
        case .connectionFailed, .holdTimerExpired, .bfdDown: return true
        default: return false
        }
    }

    public var description: String {
        switch self {
        case .manualStart: return "manual start"
        case .automaticStart: return "automatic start"
        case .manualStop: return "manual stop"
        case .connectRetry: return "connect retry"
        case .connectionUp: return "TCP connection up"
        case .connectionFailed: return "TCP connection failed"
        case .openReceived: return "OPEN received"
        case .keepaliveReceived: return "KEEPALIVE received"
        case .holdTimerExpired: return "hold timer expired"
        case .bfdDown: return "BFD down"
        case .notificationReceived(let n): return "NOTIFICATION received: " + n.description
        case .notificationSent(let n): return "NOTIFICATION sent: " + n.description
        case .maximumPrefixes(let f, let limit): return "maximum prefixes reached: \(f) over \(limit)"
        }
    }
}
