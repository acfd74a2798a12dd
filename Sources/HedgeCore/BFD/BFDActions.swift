/// What a session asks of its caller. Returned in the order to carry them out.
public enum BFDAction: Equatable, Sendable {
    /// Send this packet to the neighbour now (UDP 3784, TTL 255: the Linux layer's part). The
    /// packet, not its bytes: the Linux layer encodes it into a buffer of its own, so that the
    /// periodic packet allocates nothing.
    case send(BFDControlPacket)
    /// The session changed state.
    case stateChanged(BFDStateChange)
    /// The session just left Up (RFC 5882): follows the `.stateChanged` it belongs to.
    case down(BFDDown)
}

public struct BFDStateChange: Equatable, Sendable {
    public var from: BFDState
    public var to: BFDState
    /// bfd.LocalDiag after the change: what we now tell the neighbour.
    public var diagnostic: BFDDiagnostic
    /// For people: "BFD: no control packet for 30000 µs (Control Detection Time Expired)".
    public var reason: String
    /// µs, the caller's clock.
    public var at: Int64

    public init(from: BFDState, to: BFDState, diagnostic: BFDDiagnostic, reason: String, at: Int64) {
        self.from = from; self.to = to; self.diagnostic = diagnostic; self.reason = reason; self.at = at
    }
}

/// The BFD Down notification of RFC 5882 §3.2: the session was Up and is not any more. The agent
/// takes the path down and resets the BGP session over it at once (RFC 5882 §4.3) instead of
/// waiting for the hold timer, which against Azure is three minutes.
public struct BFDDown: Equatable, Sendable {
    public var localDiscriminator: UInt32
    public var diagnostic: BFDDiagnostic
    /// µs, the caller's clock.
    public var at: Int64
    /// The neighbour said AdminDown (it was taken down on purpose).
    public var neighborAdminDown: Bool
    /// The C bit last heard from the neighbour (RFC 5882 §4.3.1: with C clear, a neighbour's BFD
    /// going down may be its control plane restarting, which graceful restart may choose to ride out).
    public var neighborControlPlaneIndependent: Bool

    public init(localDiscriminator: UInt32, diagnostic: BFDDiagnostic, at: Int64,
                neighborAdminDown: Bool, neighborControlPlaneIndependent: Bool) {
        self.localDiscriminator = localDiscriminator; self.diagnostic = diagnostic; self.at = at
        self.neighborAdminDown = neighborAdminDown
        self.neighborControlPlaneIndependent = neighborControlPlaneIndependent
    }

    /// Whether the forwarding path should be taken as failed. RFC 5882 §3.2: AdminDown (ours or the
    /// neighbour's) says nothing about the path, so clients must not treat it as a failure.
    public var pathFailed: Bool { !neighborAdminDown && diagnostic != .administrativelyDown }
}
