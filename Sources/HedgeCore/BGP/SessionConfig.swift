/// What one BGP session is configured with.
public struct SessionConfig: Sendable {
    /// Who opens the TCP connection (RFC 4271 §8.1.1 PassiveTcpEstablishment).
    public enum Mode: Sendable, Equatable {
        /// Connect to the peer, retrying every ConnectRetryTime, and accept its connections too.
        case active
        /// Only accept the peer's connection; never connect (OpenBSD bgpd's `passive`).
        case passive
    }

    public var localAS: UInt32
    /// BGP Identifier, host byte order; must not be 0.
    public var routerID: UInt32
    /// The AS the peer must announce; nil accepts any (the OPEN's AS is then what the session uses).
    public var peerAS: UInt32?
    public var mode: Mode
    /// Seconds, offered in our OPEN: 0 (no keepalives) or at least 3. The ExpressRoute edge offers
    /// 180 and accepts lower down to 10 (Microsoft: ExpressRoute routing requirements).
    public var holdTime: UInt16
    /// RFC 4271 §10 suggests 120 s; hedge retries faster so that a peering coming back is seen soon.
    public var connectRetryMs: Millis
    /// The hold timer while waiting for the peer's OPEN (RFC 4271 §8.2.2: "a large value",
    /// suggested 4 minutes).
    public var openHoldMs: Millis
    /// Wait before the first automatic restart after an error, and its cap as it doubles.
    public var idleHoldInitialMs: Millis
    public var idleHoldMaxMs: Millis
    /// Families offered in the multiprotocol capability.
    public var families: [AFISAFI]
    /// Most prefixes accepted per family; past it the session ends with Cease / Maximum Number of
    /// Prefixes Reached (RFC 4486). Families absent here are unlimited.
    public var maxPrefixes: HashMap<AFISAFI, Int>
    /// Send Cease / BFD Down (RFC 9384) before closing when BFD reports the path down. Off by
    /// default: BFD down means the forwarding path is gone, so the NOTIFICATION would most likely sit
    /// in the socket's send queue; the session goes Idle at once either way (RFC 5882 §10.2).
    public var notifyOnBFDDown: Bool

    public init(localAS: UInt32, routerID: UInt32, peerAS: UInt32?, mode: Mode = .active, holdTime: UInt16 = 90,
                connectRetryMs: Millis = 30_000, openHoldMs: Millis = 240_000,
                idleHoldInitialMs: Millis = 5_000, idleHoldMaxMs: Millis = 300_000,
                families: [AFISAFI] = [.ipv4Unicast, .ipv6Unicast], maxPrefixes: HashMap<AFISAFI, Int> = HashMap(),
                notifyOnBFDDown: Bool = false) {
        self.localAS = localAS; self.routerID = routerID; self.peerAS = peerAS; self.mode = mode
        self.holdTime = holdTime; self.connectRetryMs = connectRetryMs; self.openHoldMs = openHoldMs
        self.idleHoldInitialMs = idleHoldInitialMs; self.idleHoldMaxMs = idleHoldMaxMs
        self.families = families; self.maxPrefixes = maxPrefixes; self.notifyOnBFDDown = notifyOnBFDDown
    }

    /// The OPEN this configuration sends.
    public var open: OpenMessage {
        OpenMessage(asNumber: localAS, holdTime: holdTime == 1 || holdTime == 2 ? 3 : holdTime,
                    bgpIdentifier: routerID, families: families)
    }
}

/// What the OPEN exchange agreed.
public struct Negotiated: Sendable, Equatable {
    public var peerAS: UInt32
    public var peerID: UInt32
    public var holdMs: Millis
    public var keepaliveMs: Millis
    /// Both sides support route refresh (RFC 2918): we may send ROUTE-REFRESH.
    public var routeRefresh: Bool
    /// Offered by both sides.
    public var families: [AFISAFI]
    /// How UPDATEs are read and written on this session.
    public var codec: CodecOptions
}
