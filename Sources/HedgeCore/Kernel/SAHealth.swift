/// The SA signal of one route-based tunnel: its ESP SAs (the tunnel's if_id) as the kernel's SAD
/// holds them, kept from dumps and XFRM events, and whether both directions are there. The data
/// plane's truth is the kernel's SAD, whoever keyed it (hedge's static keys or charon).
public struct SAHealth: Sendable {
    public let ifID: UInt32
    public let local: IPAddress
    public let remote: IPAddress
    /// Keyed as `XfrmState.id`: destination, SPI and protocol, no source.
    public private(set) var states = HashMap<XfrmSAID, XfrmState>()

    public init(ifID: UInt32, local: IPAddress, remote: IPAddress) {
        self.ifID = ifID; self.local = local; self.remote = remote
    }

    public init(_ c: IPsecConfig) { self.init(ifID: c.ifID, local: c.local, remote: c.remote) }

    /// Whether an SA is one of this tunnel's.
    public func carries(_ s: XfrmState) -> Bool { s.ifID == ifID && s.proto == .esp }

    /// A full dump of the SAD: this tunnel's SAs are exactly those in it.
    public mutating func replace(with dump: [XfrmState]) {
        states.removeAll()
        for s in dump where carries(s) { states[s.id] = s }
    }

    /// XFRM_MSG_NEWSA / UPDSA; true if the SA is this tunnel's.
    public mutating func update(_ s: XfrmState) -> Bool {
        guard carries(s) else { return false }
        states[s.id] = s
        return true
    }

    /// XFRM_MSG_DELSA; true if it was one of this tunnel's. DELSA names the SA by destination, SPI
    /// and protocol (a source and mark when iproute2 sent them); the keys here carry neither.
    public mutating func deleted(_ id: XfrmSAID) -> Bool {
        var k = id
        k.source = nil
        k.mark = nil
        return states.removeValue(forKey: k) != nil
    }

    /// A hard XFRM_MSG_EXPIRE: the kernel removed the SA. True if it was one of this tunnel's.
    public mutating func expired(_ s: XfrmState) -> Bool { states.removeValue(forKey: s.id) != nil }

    public var outbound: XfrmState? { states.values.first { $0.source == local && $0.destination == remote } }
    public var inbound: XfrmState? { states.values.first { $0.source == remote && $0.destination == local } }

    /// The signal: up with both directions present, down naming what is missing. `charon`: how
    /// strongSwan sees the CHILD_SA, added to the reason in strongSwan mode.
    public func judge(charon: String? = nil) -> (Health, String) {
        var (h, why) = judgeSAD()
        if let charon { why += "; charon: " + charon }
        return (h, why)
    }

    private func judgeSAD() -> (Health, String) {
        let o = outbound, i = inbound
        if let o, let i {
            return (.up, "ESP SAs in place: out spi 0x\(hex32(o.spi)), in spi 0x\(hex32(i.spi)) (if_id \(ifID))")
        }
        var missing: [String] = []
        if o == nil { missing.append("outbound") }
        if i == nil { missing.append("inbound") }
        return (.down, "no \(missing.joined(separator: " or ")) ESP SA with if_id \(ifID)")
    }
}
