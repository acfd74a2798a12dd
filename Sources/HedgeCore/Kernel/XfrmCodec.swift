/// XFRM netlink message bodies (everything after the 16-byte nlmsghdr): the family struct, then
/// attributes (struct nlattr: u16 len, u16 type, NLA_ALIGN to 4). Host-order fields are written
/// little-endian (every target hedge builds for is); addresses, SPIs and ports in network order.
/// Pure bytes in and out, so the fuzzers can drive the decoder with anything.

public enum XfrmCodec {
    // MARK: encode

    /// The body of XFRM_MSG_NEWSA or XFRM_MSG_UPDSA.
    public static func encodeState(_ s: XfrmState) throws(XfrmError) -> [UInt8] { try stateBody(s).bytes }

    /// The body of XFRM_MSG_DELSA (or GETSA): xfrm_usersa_id (+ XFRMA_SRCADDR, XFRMA_MARK).
    public static func encodeSAID(_ id: XfrmSAID) throws(XfrmError) -> [UInt8] { try saIDBody(id).bytes }

    /// The body of XFRM_MSG_NEWPOLICY or XFRM_MSG_UPDPOLICY.
    public static func encodePolicy(_ p: XfrmPolicy) throws(XfrmError) -> [UInt8] { try policyBody(p).bytes }

    /// The body of XFRM_MSG_DELPOLICY (or GETPOLICY): xfrm_userpolicy_id + XFRMA_IF_ID & co.
    public static func encodePolicyID(_ id: XfrmPolicyID) throws(XfrmError) -> [UInt8] { try policyIDBody(id).bytes }

    /// The same bodies as fixed header + attribute list, for a netlink builder that puts each
    /// attribute itself (HedgeLinux's NetlinkBuilder).
    public static func stateBody(_ s: XfrmState) throws(XfrmError) -> XfrmBody {
        var w = XfrmWriter()
        try w.usersaInfo(s)
        try w.stateAttributes(s)
        return w.body
    }

    public static func saIDBody(_ id: XfrmSAID) throws(XfrmError) -> XfrmBody {
        var w = XfrmWriter()
        try w.address(id.destination, family: id.family)
        w.u32be(id.spi)
        w.u16(UInt16(id.family.rawValue))
        w.u8(id.proto.rawValue)
        w.zeros(1)
        if let src = id.source {
            guard src.family == id.family else { throw .familyMismatch }
            var a = XfrmWriter()
            try a.address(src, family: id.family)
            w.attribute(.srcAddr, a.bytes)
        }
        if let m = id.mark { w.mark(m) }
        return w.body
    }

    public static func policyBody(_ p: XfrmPolicy) throws(XfrmError) -> XfrmBody {
        var w = XfrmWriter()
        try w.userpolicyInfo(p)
        if !p.templates.isEmpty {
            var body = XfrmWriter()
            for t in p.templates { try body.template(t) }
            w.attribute(.tmpl, body.bytes)
        }
        w.policyCommon(ifID: p.ifID, policyType: p.policyType, mark: p.mark)
        return w.body
    }

    public static func policyIDBody(_ id: XfrmPolicyID) throws(XfrmError) -> XfrmBody {
        var w = XfrmWriter()
        try w.selector(id.selector)
        w.u32(id.index)
        w.u8(id.direction.rawValue)
        w.zeros(3)
        w.policyCommon(ifID: id.ifID, policyType: id.policyType, mark: id.mark)
        return w.body
    }

    // MARK: decode

    /// Decodes the body of one XFRM message of `type` (nlmsg_type), as the kernel sends it in dumps,
    /// events and (for the tests) as iproute2 sends requests.
    public static func decode(type: UInt16, body: ArraySlice<UInt8>) throws(XfrmError) -> XfrmMessage {
        guard let t = XfrmMessageType(rawValue: type) else { throw .unsupportedMessage(type) }
        switch t {
        case .newSA: return .newSA(try decodeState(body))
        case .updSA: return .updSA(try decodeState(body))
        case .delSA:
            let r = XfrmReader(body)
            let id = try r.usersaID(at: 0)
            let attrs = try XfrmAttributes(body, from: XfrmLayout.usersaIDSize)
            var sid = id
            if let a = attrs[.srcAddr] { sid.source = try XfrmReader(a).address(at: 0, family: id.family) }
            if let m = attrs[.mark] { sid.mark = try XfrmReader(m).mark() }
            var full: XfrmState?
            if let sa = attrs[.sa] {
                // The event's attributes describe the deleted SA; they follow XFRMA_SA, not nest in it.
                full = try state(info: sa, attrs: attrs)
            }
            return .delSA(sid, full)
        case .expire:
            let r = XfrmReader(body)
            let hard = try r.u8(at: XfrmLayout.expireHard)
            let attrs = try XfrmAttributes(body, from: XfrmLayout.userExpireSize)
            return .expire(try state(info: body.prefix(XfrmLayout.usersaInfoSize), attrs: attrs), hard: hard != 0)
        case .newPolicy: return .newPolicy(try decodePolicy(body))
        case .updPolicy: return .updPolicy(try decodePolicy(body))
        case .delPolicy:
            let r = XfrmReader(body)
            var id = XfrmPolicyID(selector: try r.selector(at: XfrmLayout.polIDSel),
                                  direction: try direction(try r.u8(at: XfrmLayout.polIDDir)))
            id.index = try r.u32(at: XfrmLayout.polIDIndex)
            guard body.count >= XfrmLayout.userpolicyIDSize else { throw .truncated("xfrm_userpolicy_id") }
            let attrs = try XfrmAttributes(body, from: XfrmLayout.userpolicyIDSize)
            try common(attrs, ifID: &id.ifID, policyType: &id.policyType, mark: &id.mark)
            var full: XfrmPolicy?
            if let info = attrs[.policy] { full = try policy(info: info, attrs: attrs) }
            return .delPolicy(id, full)
        case .polExpire:
            let r = XfrmReader(body)
            let hard = try r.u8(at: XfrmLayout.polexpireHard)
            let attrs = try XfrmAttributes(body, from: XfrmLayout.userPolexpireSize)
            return .polExpire(try policy(info: body.prefix(XfrmLayout.userpolicyInfoSize), attrs: attrs),
                              hard: hard != 0)
        case .flushSA:
            return .flushSA(proto: try XfrmReader(body).u8(at: 0))
        case .flushPolicy:
            return .flushPolicy
        case .getSA, .getPolicy, .allocSPI, .acquire:
            throw .unsupportedMessage(type)
        }
    }

    /// xfrm_usersa_info + attributes (NEWSA, UPDSA, a GETSA dump entry).
    public static func decodeState(_ body: ArraySlice<UInt8>) throws(XfrmError) -> XfrmState {
        let attrs = try XfrmAttributes(body, from: XfrmLayout.usersaInfoSize)
        return try state(info: body, attrs: attrs)
    }

    /// xfrm_userpolicy_info + attributes (NEWPOLICY, UPDPOLICY, a GETPOLICY dump entry).
    public static func decodePolicy(_ body: ArraySlice<UInt8>) throws(XfrmError) -> XfrmPolicy {
        let attrs = try XfrmAttributes(body, from: XfrmLayout.userpolicyInfoSize)
        return try policy(info: body, attrs: attrs)
    }

    // MARK: decode helpers

    static func direction(_ d: UInt8) throws(XfrmError) -> XfrmPolicyDirection {
        guard let v = XfrmPolicyDirection(rawValue: d) else { throw .badDirection(d) }
        return v
    }

    static func common(_ attrs: XfrmAttributes, ifID: inout UInt32, policyType: inout UInt8,
                       mark: inout XfrmMark?) throws(XfrmError) {
        if let a = attrs[.ifID] { ifID = try XfrmReader(a).u32(at: 0) }
        if let a = attrs[.policyType] { policyType = try XfrmReader(a).u8(at: 0) }
        if let a = attrs[.mark] { mark = try XfrmReader(a).mark() }
    }

    static func state(info: ArraySlice<UInt8>, attrs: XfrmAttributes) throws(XfrmError) -> XfrmState {
        let r = XfrmReader(info)
        guard info.count >= XfrmLayout.usersaInfoSize else { throw .truncated("xfrm_usersa_info") }
        let fam = try family(r.u16(at: XfrmLayout.saFamily))
        let id = XfrmLayout.saID
        var s = XfrmState(family: fam, source: try r.address(at: XfrmLayout.saSaddr, family: fam),
                          destination: try r.address(at: id + XfrmLayout.idDaddr, family: fam),
                          spi: try r.u32be(at: id + XfrmLayout.idSpi), algorithm: .unsupported)
        s.selector = try r.selector(at: XfrmLayout.saSel)
        s.proto = XfrmProto(rawValue: try r.u8(at: id + XfrmLayout.idProto))
        s.lifetime = try r.lifetimeConfig(at: XfrmLayout.saLft)
        s.current = try r.lifetimeCurrent(at: XfrmLayout.saCurlft)
        s.statsReplayWindow = try r.u32(at: XfrmLayout.saStats)
        s.statsReplay = try r.u32(at: XfrmLayout.saStats + 4)
        s.statsIntegrityFailed = try r.u32(at: XfrmLayout.saStats + 8)
        s.seq = try r.u32(at: XfrmLayout.saSeq)
        s.reqid = try r.u32(at: XfrmLayout.saReqid)
        s.mode = XfrmMode(rawValue: try r.u8(at: XfrmLayout.saMode))
        s.replayWindow = try r.u8(at: XfrmLayout.saReplayWindow)
        s.flags = try r.u8(at: XfrmLayout.saFlags)

        if let a = attrs[.algAEAD] {
            let alg = try XfrmReader(a).algorithm(headerSize: XfrmLayout.algoAEADSize)
            s.algorithm = .aead(name: alg.name, key: alg.key, icvBits: alg.extra)
        } else if let c = attrs[.algCrypt], let t = attrs[.algAuthTrunc], attrs[.algComp] == nil {
            // Dumps carry XFRMA_ALG_AUTH next to XFRMA_ALG_AUTH_TRUNC; the latter has the real length.
            let enc = try XfrmReader(c).algorithm(headerSize: XfrmLayout.algoSize)
            let auth = try XfrmReader(t).algorithm(headerSize: XfrmLayout.algoAuthSize)
            s.algorithm = .cbcHmac(encryption: enc.name, encKey: enc.key, authentication: auth.name,
                                   authKey: auth.key, truncBits: auth.extra)
        }
        if let a = attrs[.ifID] { s.ifID = try XfrmReader(a).u32(at: 0) }
        if let a = attrs[.mark] { s.mark = try XfrmReader(a).mark() }
        if let a = attrs[.saExtraFlags] { s.extraFlags = try XfrmReader(a).u32(at: 0) }
        if let a = attrs[.replayVal] {
            let rr = XfrmReader(a)
            s.replay = XfrmReplayState(oseq: try rr.u32(at: 0), seq: try rr.u32(at: 4), bitmap: try rr.u32(at: 8))
        }
        if let a = attrs[.replayESNVal] { s.replayESN = try XfrmReader(a).replayESN() }
        return s
    }

    static func policy(info: ArraySlice<UInt8>, attrs: XfrmAttributes) throws(XfrmError) -> XfrmPolicy {
        let r = XfrmReader(info)
        guard info.count >= XfrmLayout.userpolicyInfoSize else { throw .truncated("xfrm_userpolicy_info") }
        var p = XfrmPolicy(selector: try r.selector(at: XfrmLayout.polSel),
                           direction: try direction(try r.u8(at: XfrmLayout.polDir)))
        p.lifetime = try r.lifetimeConfig(at: XfrmLayout.polLft)
        p.current = try r.lifetimeCurrent(at: XfrmLayout.polCurlft)
        p.priority = try r.u32(at: XfrmLayout.polPriority)
        p.index = try r.u32(at: XfrmLayout.polIndex)
        let action = try r.u8(at: XfrmLayout.polAction)
        guard let act = XfrmPolicyAction(rawValue: action) else { throw .badAction(action) }
        p.action = act
        p.flags = try r.u8(at: XfrmLayout.polFlags)
        p.share = try r.u8(at: XfrmLayout.polShare)
        if let t = attrs[.tmpl] {
            guard t.count % XfrmLayout.userTmplSize == 0 else {
                throw .badAttribute(type: XfrmAttribute.tmpl.rawValue, length: t.count)
            }
            var off = t.startIndex
            while off < t.endIndex {
                p.templates.append(try XfrmReader(t[off..<off + XfrmLayout.userTmplSize]).template())
                off += XfrmLayout.userTmplSize
            }
        }
        try common(attrs, ifID: &p.ifID, policyType: &p.policyType, mark: &p.mark)
        return p
    }

    static func family(_ raw: UInt16) throws(XfrmError) -> AddressFamily {
        guard raw <= 255, let f = AddressFamily(ip: UInt8(raw)) else { throw .badFamily(raw) }
        return f
    }
}

// MARK: - attributes

/// The attributes of a body from `from` on, by type (the last of a type wins, as in nla_parse).
/// Unknown types are kept too and never an error; a malformed header is.
struct XfrmAttributes {
    private var byType = HashMap<UInt16, ArraySlice<UInt8>>()

    init(_ body: ArraySlice<UInt8>, from offset: Int) throws(XfrmError) {
        guard body.count >= offset else { throw .truncated("XFRM message header") }
        var i = body.startIndex + offset
        while body.endIndex - i >= 4 {
            let len = Int(body[i]) | Int(body[i + 1]) << 8
            let type = (UInt16(body[i + 2]) | UInt16(body[i + 3]) << 8) & 0x3FFF   // NLA_TYPE_MASK
            guard len >= 4, len <= body.endIndex - i else { throw .badAttribute(type: type, length: len) }
            byType[type] = body[(i + 4)..<(i + len)]
            let aligned = (len + 3) & ~3
            i += min(aligned, body.endIndex - i)
        }
        guard i == body.endIndex else { throw .truncated("XFRM attribute header") }
    }

    subscript(_ a: XfrmAttribute) -> ArraySlice<UInt8>? { byType[a.rawValue] }
}

// MARK: - reading

struct XfrmReader {
    let b: ArraySlice<UInt8>
    init(_ b: ArraySlice<UInt8>) { self.b = b }

    private func check(_ off: Int, _ n: Int) throws(XfrmError) -> Int {
        guard off >= 0, n >= 0, b.count - off >= n else { throw .truncated("XFRM field") }
        return b.startIndex + off
    }

    func u8(at off: Int) throws(XfrmError) -> UInt8 { b[try check(off, 1)] }

    func u16(at off: Int) throws(XfrmError) -> UInt16 {
        let i = try check(off, 2)
        return UInt16(b[i]) | UInt16(b[i + 1]) << 8
    }

    func u16be(at off: Int) throws(XfrmError) -> UInt16 {
        let i = try check(off, 2)
        return UInt16(b[i]) << 8 | UInt16(b[i + 1])
    }

    @inline(never) func u32(at off: Int) throws(XfrmError) -> UInt32 {
        let i = try check(off, 4)
        var v: UInt32 = 0
        for k in (0..<4).reversed() { v = v << 8 | UInt32(b[i + k]) }
        return v
    }

    func u32be(at off: Int) throws(XfrmError) -> UInt32 {
        let i = try check(off, 4)
        var v: UInt32 = 0
        for k in 0..<4 { v = v << 8 | UInt32(b[i + k]) }
        return v
    }

    func u64(at off: Int) throws(XfrmError) -> UInt64 {
        let i = try check(off, 8)
        var v: UInt64 = 0
        for k in (0..<8).reversed() { v = v << 8 | UInt64(b[i + k]) }
        return v
    }

    func i32(at off: Int) throws(XfrmError) -> Int32 { Int32(bitPattern: try u32(at: off)) }

    /// xfrm_address_t under `family`: IPv4 in the first 4 bytes.
    func address(at off: Int, family: AddressFamily) throws(XfrmError) -> IPAddress {
        let i = try check(off, XfrmLayout.addressSize)
        let n = family == .v4 ? 4 : 16
        return IPAddress(bytes: b[i..<i + n])!
    }

    func selector(at off: Int) throws(XfrmError) -> XfrmSelector {
        _ = try check(off, XfrmLayout.selectorSize)
        let raw = try u16(at: off + XfrmLayout.selFamily)
        var fam: AddressFamily?
        if raw != 0 { fam = try XfrmCodec.family(raw) }
        let asFam = fam ?? .v4
        let dl = try u8(at: off + XfrmLayout.selPrefixlenD), sl = try u8(at: off + XfrmLayout.selPrefixlenS)
        guard let d = IPPrefix(address: try address(at: off + XfrmLayout.selDaddr, family: asFam), length: dl)
        else { throw .badPrefixLength(dl) }
        guard let s = IPPrefix(address: try address(at: off + XfrmLayout.selSaddr, family: asFam), length: sl)
        else { throw .badPrefixLength(sl) }
        var sel = XfrmSelector(family: fam, destination: d, source: s)
        sel.destinationPort = try u16be(at: off + XfrmLayout.selDport)
        sel.destinationPortMask = try u16be(at: off + XfrmLayout.selDportMask)
        sel.sourcePort = try u16be(at: off + XfrmLayout.selSport)
        sel.sourcePortMask = try u16be(at: off + XfrmLayout.selSportMask)
        sel.proto = try u8(at: off + XfrmLayout.selProto)
        sel.ifindex = try i32(at: off + XfrmLayout.selIfindex)
        sel.user = try u32(at: off + XfrmLayout.selUser)
        return sel
    }

    func lifetimeConfig(at off: Int) throws(XfrmError) -> XfrmLifetimeConfig {
        var l = XfrmLifetimeConfig()
        l.softByteLimit = try u64(at: off)
        l.hardByteLimit = try u64(at: off + 8)
        l.softPacketLimit = try u64(at: off + 16)
        l.hardPacketLimit = try u64(at: off + 24)
        l.softAddExpiresSeconds = try u64(at: off + 32)
        l.hardAddExpiresSeconds = try u64(at: off + 40)
        l.softUseExpiresSeconds = try u64(at: off + 48)
        l.hardUseExpiresSeconds = try u64(at: off + 56)
        return l
    }

    func lifetimeCurrent(at off: Int) throws(XfrmError) -> XfrmLifetimeCurrent {
        var c = XfrmLifetimeCurrent()
        c.bytes = try u64(at: off)
        c.packets = try u64(at: off + 8)
        c.addTime = try u64(at: off + 16)
        c.useTime = try u64(at: off + 24)
        return c
    }

    func usersaID(at off: Int) throws(XfrmError) -> XfrmSAID {
        _ = try check(off, XfrmLayout.usersaIDSize)
        let fam = try XfrmCodec.family(try u16(at: off + XfrmLayout.saIDFamily))
        return XfrmSAID(family: fam, destination: try address(at: off + XfrmLayout.saIDDaddr, family: fam),
                        spi: try u32be(at: off + XfrmLayout.saIDSpi),
                        proto: XfrmProto(rawValue: try u8(at: off + XfrmLayout.saIDProto)))
    }

    func template() throws(XfrmError) -> XfrmTemplate {
        _ = try check(0, XfrmLayout.userTmplSize)
        let fam = try XfrmCodec.family(try u16(at: XfrmLayout.tmplFamily))
        var t = XfrmTemplate(family: fam, source: try address(at: XfrmLayout.tmplSaddr, family: fam),
                             destination: try address(at: XfrmLayout.tmplID + XfrmLayout.idDaddr, family: fam))
        t.spi = try u32be(at: XfrmLayout.tmplID + XfrmLayout.idSpi)
        t.proto = XfrmProto(rawValue: try u8(at: XfrmLayout.tmplID + XfrmLayout.idProto))
        t.reqid = try u32(at: XfrmLayout.tmplReqid)
        t.mode = XfrmMode(rawValue: try u8(at: XfrmLayout.tmplMode))
        t.share = try u8(at: XfrmLayout.tmplShare)
        t.optional = try u8(at: XfrmLayout.tmplOptional) != 0
        t.authAlgorithms = try u32(at: XfrmLayout.tmplAalgos)
        t.encryptionAlgorithms = try u32(at: XfrmLayout.tmplEalgos)
        t.compressionAlgorithms = try u32(at: XfrmLayout.tmplCalgos)
        return t
    }

    func mark() throws(XfrmError) -> XfrmMark {
        XfrmMark(value: try u32(at: 0), mask: try u32(at: 4))
    }

    /// xfrm_algo / xfrm_algo_auth / xfrm_algo_aead: name[64], key_len (bits), [trunc|icv], key.
    func algorithm(headerSize: Int) throws(XfrmError) -> (name: String, key: [UInt8], extra: UInt32) {
        let i = try check(0, headerSize)
        let nameBytes = b[i..<i + XfrmLayout.algNameSize]
        guard let nul = nameBytes.firstIndex(of: 0) else { throw .badAlgorithmName }
        let name = String(decoding: nameBytes[i..<nul], as: UTF8.self)
        let bits = try u32(at: XfrmLayout.algNameSize)
        var extra: UInt32 = 0
        if headerSize > XfrmLayout.algoSize { extra = try u32(at: XfrmLayout.algoSize) }
        let n = (Int(bits) + 7) / 8
        guard b.count - headerSize >= n else { throw .badKeyLength(n) }
        return (name, Array(b[(i + headerSize)..<(i + headerSize + n)]), extra)
    }

    func replayESN() throws(XfrmError) -> XfrmReplayStateESN {
        let words = Int(try u32(at: 0))
        guard words <= 4096 / 32, b.count - XfrmLayout.replayStateESNSize >= words * 4 else {
            throw .badAttribute(type: XfrmAttribute.replayESNVal.rawValue, length: b.count)
        }
        // The window read is whatever the bytes say: no bitmap is sized from it (bmp_len is).
        var e = XfrmReplayStateESN(replayWindow: 0)
        e.replayWindow = try u32(at: 20)
        e.oseq = try u32(at: 4)
        e.seq = try u32(at: 8)
        e.oseqHi = try u32(at: 12)
        e.seqHi = try u32(at: 16)
        e.bitmap = []
        for k in 0..<words { e.bitmap.append(try u32(at: XfrmLayout.replayStateESNSize + 4 * k)) }
        return e
    }
}

// MARK: - writing

/// A message body as the builder sends it: the family struct, then attributes in order.
public struct XfrmBody: Sendable {
    public var header: [UInt8]
    public var attributes: [(type: UInt16, payload: [UInt8])]

    /// Header and attributes laid out as on the wire (struct nlattr, NLA_ALIGN padding).
    public var bytes: [UInt8] {
        var w = XfrmWriter()
        w.bytes = header
        for a in attributes {
            w.u16(UInt16(truncatingIfNeeded: 4 + a.payload.count))
            w.u16(a.type)
            w.bytes.append(contentsOf: a.payload)
            w.zeros((4 - a.payload.count % 4) % 4)
        }
        return w.bytes
    }
}

struct XfrmWriter {
    var bytes: [UInt8] = []
    /// Attributes written so far; kept apart from `bytes` (the fixed struct) until `body`.
    var attributes: [(type: UInt16, payload: [UInt8])] = []

    var body: XfrmBody { XfrmBody(header: bytes, attributes: attributes) }

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { bytes.append(UInt8(truncatingIfNeeded: v)); bytes.append(UInt8(truncatingIfNeeded: v >> 8)) }
    mutating func u16be(_ v: UInt16) { bytes.append(UInt8(truncatingIfNeeded: v >> 8)); bytes.append(UInt8(truncatingIfNeeded: v)) }
    mutating func u32(_ v: UInt32) { for k in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(k)))) } }
    mutating func u32be(_ v: UInt32) { for k in (0..<4).reversed() { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(k)))) } }
    mutating func u64(_ v: UInt64) { for k in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(k)))) } }
    mutating func zeros(_ n: Int) { for _ in 0..<n { bytes.append(0) } }

    mutating func address(_ a: IPAddress, family: AddressFamily) throws(XfrmError) {
        guard a.family == family else { throw .familyMismatch }
        let raw = a.bytes
        bytes.append(contentsOf: raw)
        zeros(XfrmLayout.addressSize - raw.count)
    }

    mutating func selector(_ s: XfrmSelector) throws(XfrmError) {
        let fam = s.family ?? .v4
        try address(s.destination.address, family: fam)
        try address(s.source.address, family: fam)
        u16be(s.destinationPort); u16be(s.destinationPortMask)
        u16be(s.sourcePort); u16be(s.sourcePortMask)
        u16(UInt16(s.family?.rawValue ?? 0))
        u8(s.destination.length); u8(s.source.length)
        u8(s.proto)
        zeros(3)
        u32(UInt32(bitPattern: s.ifindex))
        u32(s.user)
    }

    mutating func lifetime(_ l: XfrmLifetimeConfig) {
        u64(l.softByteLimit); u64(l.hardByteLimit); u64(l.softPacketLimit); u64(l.hardPacketLimit)
        u64(l.softAddExpiresSeconds); u64(l.hardAddExpiresSeconds)
        u64(l.softUseExpiresSeconds); u64(l.hardUseExpiresSeconds)
    }

    mutating func current(_ c: XfrmLifetimeCurrent) { u64(c.bytes); u64(c.packets); u64(c.addTime); u64(c.useTime) }

    mutating func usersaInfo(_ s: XfrmState) throws(XfrmError) {
        try selector(s.selector)
        try address(s.destination, family: s.family)
        u32be(s.spi)
        u8(s.proto.rawValue)
        zeros(3)
        try address(s.source, family: s.family)
        lifetime(s.lifetime)
        current(s.current)
        u32(s.statsReplayWindow); u32(s.statsReplay); u32(s.statsIntegrityFailed)
        u32(s.seq)
        u32(s.reqid)
        u16(UInt16(s.family.rawValue))
        u8(s.mode.rawValue)
        u8(s.replayWindow)
        u8(s.flags)
        zeros(XfrmLayout.usersaInfoSize - XfrmLayout.saFlags - 1)
    }

    mutating func stateAttributes(_ s: XfrmState) throws(XfrmError) {
        switch s.algorithm {
        case .aead(let name, let key, let icv):
            try algorithm(.algAEAD, name: name, key: key, extra: icv)
        case .cbcHmac(let e, let ek, let a, let ak, let trunc):
            try algorithm(.algCrypt, name: e, key: ek, extra: nil)
            try algorithm(.algAuthTrunc, name: a, key: ak, extra: trunc)
        case .unsupported:
            break
        }
        if let r = s.replay {
            attribute(.replayVal) { w in w.u32(r.oseq); w.u32(r.seq); w.u32(r.bitmap) }
        }
        if let e = s.replayESN {
            attribute(.replayESNVal) { w in
                w.u32(UInt32(e.bitmap.count)); w.u32(e.oseq); w.u32(e.seq); w.u32(e.oseqHi); w.u32(e.seqHi)
                w.u32(e.replayWindow)
                for x in e.bitmap { w.u32(x) }
            }
        }
        if s.extraFlags != 0 { attribute(.saExtraFlags) { w in w.u32(s.extraFlags) } }
        if let m = s.mark { mark(m) }
        if s.ifID != 0 { attribute(.ifID) { w in w.u32(s.ifID) } }
    }

    mutating func algorithm(_ type: XfrmAttribute, name: String, key: [UInt8], extra: UInt32?) throws(XfrmError) {
        let n = Array(name.utf8)
        guard n.count < XfrmLayout.algNameSize, !n.contains(0) else { throw .badAlgorithmName }
        guard key.count <= Int(UInt32.max / 8), key.count <= 0xFFFF - XfrmLayout.algoAuthSize - 4 else {
            throw .badKeyLength(key.count)
        }
        attribute(type) { w in
            w.bytes.append(contentsOf: n)
            w.zeros(XfrmLayout.algNameSize - n.count)
            w.u32(UInt32(key.count * 8))
            if let extra { w.u32(extra) }
            w.bytes.append(contentsOf: key)
        }
    }

    mutating func userpolicyInfo(_ p: XfrmPolicy) throws(XfrmError) {
        try selector(p.selector)
        lifetime(p.lifetime)
        current(p.current)
        u32(p.priority)
        u32(p.index)
        u8(p.direction.rawValue)
        u8(p.action.rawValue)
        u8(p.flags)
        u8(p.share)
        zeros(XfrmLayout.userpolicyInfoSize - XfrmLayout.polShare - 1)
    }

    mutating func template(_ t: XfrmTemplate) throws(XfrmError) {
        try address(t.destination, family: t.family)
        u32be(t.spi)
        u8(t.proto.rawValue)
        zeros(3)
        u16(UInt16(t.family.rawValue))
        zeros(2)
        try address(t.source, family: t.family)
        u32(t.reqid)
        u8(t.mode.rawValue)
        u8(t.share)
        u8(t.optional ? 1 : 0)
        zeros(1)
        u32(t.authAlgorithms); u32(t.encryptionAlgorithms); u32(t.compressionAlgorithms)
    }

    mutating func mark(_ m: XfrmMark) { attribute(.mark) { w in w.u32(m.value); w.u32(m.mask) } }

    mutating func policyCommon(ifID: UInt32, policyType: UInt8, mark m: XfrmMark?) {
        if policyType != 0 {
            attribute(.policyType) { w in w.u8(policyType); w.zeros(5) }   // xfrm_userpolicy_type
        }
        if let m { mark(m) }
        if ifID != 0 { attribute(.ifID) { w in w.u32(ifID) } }
    }

    mutating func attribute(_ type: XfrmAttribute, _ payload: [UInt8]) {
        attributes.append((type: type.rawValue, payload: payload))
    }

    mutating func attribute(_ type: XfrmAttribute, _ body: (inout XfrmWriter) -> Void) {
        var w = XfrmWriter()
        body(&w)
        attribute(type, w.bytes)
    }
}
