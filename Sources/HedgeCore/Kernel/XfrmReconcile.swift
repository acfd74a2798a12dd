/// The route-based tunnel's SPD and SAD entries, as hedge wants them and as the kernel holds them.
///
/// XFRM objects have no rtm_protocol: hedge's are the ones carrying its interface's if_id. Reconcile
/// adopts what already matches and never flushes: an SA that is already right is never re-added
/// (that would restart its sequence numbers and trip the peer's replay window), and objects of other
/// if_ids (another tunnel, charon's own) are never looked at.

/// One change to the kernel's XFRM state. `indirect`: a copy of an op (plans are built, filtered and
/// logged) moves one reference, not a whole `XfrmState` field by field, which on 32-bit ARM made
/// its outlined copies the largest of the program.
public indirect enum XfrmOp: Sendable, CustomStringConvertible {
    /// XFRM_MSG_NEWSA.
    case addState(XfrmState)
    /// XFRM_MSG_DELSA.
    case deleteState(XfrmSAID)
    /// XFRM_MSG_UPDPOLICY: adds the policy or replaces the one with the same selector, direction and if_id.
    case updatePolicy(XfrmPolicy)
    /// XFRM_MSG_DELPOLICY.
    case deletePolicy(XfrmPolicyID)

    /// Never names key material: SPI, addresses, direction and if_id only.
    public var description: String {
        switch self {
        case .addState(let s): return "add " + XfrmTunnel.describe(s)
        case .deleteState(let id): return "delete SA spi 0x\(hex32(id.spi)) dst \(id.destination)"
        case .updatePolicy(let p): return "update " + XfrmTunnel.describe(p)
        case .deletePolicy(let id): return "delete policy dir \(id.direction.name) if_id \(id.ifID)"
        }
    }
}

/// Eight hex digits, as `ip xfrm` prints an SPI.
public func hex32(_ v: UInt32) -> String {
    let digits: [UInt8] = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    for k in (0..<8).reversed() { out.append(digits[Int((v >> (UInt32(k) * 4)) & 0xF)]) }
    return String(decoding: out, as: UTF8.self)
}

/// A static (manually keyed) route-based tunnel: what `ip xfrm` commands an engineer would type for
/// an Azure route-based gateway, as values. strongSwan mode needs none of this: charon installs its
/// own policies and SAs with the if_id, and hedge only watches them.
public struct XfrmTunnel: Sendable {
    public var ifID: UInt32
    /// Outer addresses.
    public var local: IPAddress
    public var remote: IPAddress
    public var spiOut: UInt32
    public var spiIn: UInt32
    public var outbound: XfrmAlgorithm
    public var inbound: XfrmAlgorithm
    public var replayWindow: UInt8
    /// reqid ties the policies' templates to the SAs; the if_id is a fine, stable choice.
    public var reqid: UInt32 { ifID }

    public init(ifID: UInt32, local: IPAddress, remote: IPAddress, spiOut: UInt32, spiIn: UInt32,
                outbound: XfrmAlgorithm, inbound: XfrmAlgorithm, replayWindow: UInt8 = 32) {
        self.ifID = ifID; self.local = local; self.remote = remote; self.spiOut = spiOut; self.spiIn = spiIn
        self.outbound = outbound; self.inbound = inbound; self.replayWindow = replayWindow
    }

    /// The XFRM interface decides what enters the tunnel, so the policies select everything
    /// (0.0.0.0/0 both ways), as Azure's route-based gateway negotiates. IPv4 inside only: Azure's
    /// VPN gateways carry IPv6 only in dual-stack previews, and an IPv6-in-IPv4 SA needs the
    /// af-unspec flag on both ends.
    public static let innerFamilies: [AddressFamily] = [.v4]

    /// out (local → remote), in and fwd (remote → local). Without fwd, decapsulated packets
    /// forwarded on to the LAN are dropped (XfrmInNoPols).
    public var policies: [XfrmPolicy] {
        var out: [XfrmPolicy] = []
        for fam in XfrmTunnel.innerFamilies {
            for dir in [XfrmPolicyDirection.out, .in, .fwd] {
                let outbound = dir == .out
                let t = XfrmTemplate(family: local.family, source: outbound ? local : remote,
                                     destination: outbound ? remote : local, reqid: reqid)
                out.append(XfrmPolicy(selector: .any(fam), direction: dir, ifID: ifID, templates: [t]))
            }
        }
        return out
    }

    public var states: [XfrmState] {
        var o = XfrmState(family: local.family, source: local, destination: remote, spi: spiOut, reqid: reqid,
                          replayWindow: replayWindow, ifID: ifID, algorithm: outbound)
        o.selector = .unspecified
        var i = XfrmState(family: local.family, source: remote, destination: local, spi: spiIn, reqid: reqid,
                          replayWindow: replayWindow, ifID: ifID, algorithm: inbound)
        i.selector = .unspecified
        return [o, i]
    }

    static func describe(_ s: XfrmState) -> String {
        "SA spi 0x\(hex32(s.spi)) \(s.source) -> \(s.destination) if_id \(s.ifID) (\(s.algorithm))"
    }

    static func describe(_ p: XfrmPolicy) -> String {
        let fam = p.selector.family == .v6 ? "::/0" : "0.0.0.0/0"
        return "policy \(fam) dir \(p.direction.name) if_id \(p.ifID)"
    }
}

public enum XfrmReconcile {
    /// Ops that take the kernel from `policies`/`states` (full dumps) to `tunnel` (nil: hedge keys
    /// nothing, e.g. strongSwan mode, and removes nothing either). Only objects with the tunnel's
    /// if_id are considered.
    public static func plan(tunnel: XfrmTunnel, policies: [XfrmPolicy], states: [XfrmState]) -> [XfrmOp] {
        var ops: [XfrmOp] = []
        let ours = policies.filter { $0.ifID == tunnel.ifID }
        let wanted = tunnel.policies
        for w in wanted where !ours.contains(where: { samePolicy($0, w) }) { ops.append(.updatePolicy(w)) }
        for p in ours where !wanted.contains(where: { sameSlot($0, p) }) {
            ops.append(.deletePolicy(p.id))
        }
        let ourStates = states.filter { $0.ifID == tunnel.ifID }
        let wantedStates = tunnel.states
        for s in ourStates where !wantedStates.contains(where: { sameState($0, s) }) {
            // A changed key or algorithm cannot be updated in place (XFRM_MSG_UPDSA keeps them).
            var id = s.id
            id.source = s.source
            ops.append(.deleteState(id))
        }
        for w in wantedStates where !ourStates.contains(where: { sameState($0, w) }) { ops.append(.addState(w)) }
        return ops
    }

    /// Same selector, direction and if_id: UPDPOLICY replaces one with the other.
    static func sameSlot(_ a: XfrmPolicy, _ b: XfrmPolicy) -> Bool {
        a.selector == b.selector && a.direction == b.direction && a.ifID == b.ifID && a.policyType == b.policyType
    }

    /// Equal as far as hedge sets them (dumps add index, lifetimes and counters).
    static func samePolicy(_ a: XfrmPolicy, _ b: XfrmPolicy) -> Bool {
        guard sameSlot(a, b), a.action == b.action, a.priority == b.priority,
              a.templates.count == b.templates.count else { return false }
        for (x, y) in zip(a.templates, b.templates) {
            guard x.family == y.family, x.source == y.source, x.destination == y.destination, x.proto == y.proto,
                  x.mode == y.mode, x.reqid == y.reqid, x.spi == y.spi, x.optional == y.optional else { return false }
        }
        return true
    }

    static func sameState(_ a: XfrmState, _ b: XfrmState) -> Bool {
        a.family == b.family && a.destination == b.destination && a.source == b.source && a.spi == b.spi
            && a.proto == b.proto && a.mode == b.mode && a.reqid == b.reqid && a.ifID == b.ifID
            && a.algorithm == b.algorithm && a.replayWindow == b.replayWindow
    }
}

extension XfrmPolicyDirection {
    /// As `ip xfrm policy` prints it.
    public var name: String {
        switch self {
        case .in: return "in"
        case .out: return "out"
        case .fwd: return "fwd"
        }
    }
}
