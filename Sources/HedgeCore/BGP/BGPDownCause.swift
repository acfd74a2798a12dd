/// Why an Established session ended, as the path's health sees it.
public enum BGPDownCause: Sendable, Equatable {
    /// The connection broke, the hold timer expired, or BFD went down: the circuit looks failed.
    case pathFailure
    /// The peer sent Cease / Maximum Number of Prefixes Reached (RFC 4486): we announced more than
    /// it accepts. The circuit is fine; the fix is on our side, and failing back will not help.
    case peerPrefixLimit
    /// We sent Cease / Maximum Number of Prefixes Reached: the peer sent more than configured.
    case localPrefixLimit
    /// Any other NOTIFICATION from the peer (administrative shutdown or reset, errors it found).
    case peerNotification
    /// We found a protocol error and sent a NOTIFICATION.
    case protocolError
    /// Stopped here (`stop`).
    case stopped

    public init(_ r: SessionReason) {
        switch r {
        case .notificationReceived(let n): self = n.isPrefixLimit ? .peerPrefixLimit : .peerNotification
        case .maximumPrefixes: self = .localPrefixLimit
        case .notificationSent: self = .protocolError
        case .manualStop: self = .stopped
        default: self = .pathFailure
        }
    }

    public var name: String {
        switch self {
        case .pathFailure: return "path failure"
        case .peerPrefixLimit: return "peer's prefix limit"
        case .localPrefixLimit: return "our prefix limit"
        case .peerNotification: return "peer notification"
        case .protocolError: return "protocol error"
        case .stopped: return "stopped"
        }
    }

    /// The path's BGP signal after the session ended for `reason`.
    public static func health(_ cause: BGPDownCause, _ reason: SessionReason) -> (Health, String) {
        // Stopped here (shutdown, reconfiguration): BGP no longer says anything about the path.
        if cause == .stopped { return (.unknown, "BGP stopped") }
        return (.down, "BGP down (\(cause.name)): \(reason)")
    }

    /// The path's BGP signal once the session is Established.
    public static func established(peerAS: UInt32, peerID: UInt32) -> (Health, String) {
        (.up, "BGP Established with AS\(peerAS) (\(IPAddress.v4(peerID)))")
    }

    /// What an FSM transition means for the path: nil for one that neither reaches nor leaves
    /// Established.
    public enum Transition: Sendable, Equatable {
        case up
        case down(BGPDownCause)
    }

    public static func transition(from: SessionState, to: SessionState, reason: SessionReason) -> Transition? {
        if to == .established { return .up }
        if from == .established { return .down(BGPDownCause(reason)) }
        return nil
    }

    /// `lastDown` as status shows it.
    public static func summary(_ cause: BGPDownCause, _ reason: SessionReason) -> String {
        "\(cause.name): \(reason)"
    }
}
