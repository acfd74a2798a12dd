/// Health of one signal or of one path.
public enum Health: String, Sendable {
    /// Nothing heard yet (start-up), or the signal is not running.
    case unknown
    case up
    case down
}

/// A source of health for a path. The order of
/// `allCases` is the order in which a path's signals are listed and the first down one names the
/// path's reason.
public enum SignalKind: String, Sendable, CaseIterable {
    /// Link carrier / operstate of the path's device.
    case carrier
    /// Single-hop BFD with the path's neighbour (RFC 5880/5881).
    case bfd
    /// hedge's own BGP session with the path's neighbour: up while Established.
    case bgp
    /// A CE router's session with the neighbour, as its BMP feed reports it (RFC 7854).
    case bmp
    /// Routes an on-box FRR/BIRD installed for the path's prefixes (route-watch).
    case routes
    /// The VPN path's ESP SAs (both directions, with the tunnel's if_id) in the kernel's SAD.
    case sa
    /// End-to-end active probe through the path (see `ProbeTracker`).
    case probe
    /// An operator's hold (`hedge drill`): the path is taken down on purpose, the provider untouched.
    case hold

    /// Position in `allCases`, used to keep a path's signals in a stable order.
    var order: Int {
        var i = 0
        for k in SignalKind.allCases {
            if k == self { return i }
            i += 1
        }
        return i
    }
}

/// The last word of one signal on one path.
public struct SignalState: Sendable {
    public var kind: SignalKind
    public var health: Health
    /// Human reason as given by the signal's source, verbatim ("carrier lost",
    /// "probe: no reply for 30 ms").
    public var reason: String
    /// Time of the last health change of this signal; nil while it has never reported.
    public var since: Millis?

    public init(kind: SignalKind, health: Health = .unknown, reason: String = "", since: Millis? = nil) {
        self.kind = kind; self.health = health; self.reason = reason; self.since = since
    }
}
