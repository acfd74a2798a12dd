/// OPEN (RFC 4271 §4.2) with Capabilities optional parameters (RFC 5492) and the extended
/// optional parameters length of RFC 9072 (decoded; hedge never needs it to encode).
public struct OpenMessage: Equatable, Sendable {
    /// RFC 6793 §9: what a 4-octet AS number goes as in the 2-octet My AS field.
    public static let asTrans: UInt16 = 23456
    public static let version: UInt8 = 4
    /// Optional parameter type 2 (RFC 5492 §4); any other type is Unsupported Optional Parameter.
    static let capabilitiesParameter: UInt8 = 2

    public var version: UInt8
    /// The 2-octet field: the AS number, or AS_TRANS for one above 65535.
    public var myAS: UInt16
    /// Seconds; 0 or at least 3.
    public var holdTime: UInt16
    /// The router id, host byte order.
    public var bgpIdentifier: UInt32
    public var capabilities: [Capability]

    public init(version: UInt8 = OpenMessage.version, myAS: UInt16, holdTime: UInt16, bgpIdentifier: UInt32,
                capabilities: [Capability]) {
        self.version = version; self.myAS = myAS; self.holdTime = holdTime
        self.bgpIdentifier = bgpIdentifier; self.capabilities = capabilities
    }

    /// The OPEN hedge sends: one multiprotocol capability per family, route refresh, and the
    /// 4-octet AS capability (always, RFC 6793 §3; My AS is AS_TRANS above 65535).
    public init(asNumber: UInt32, holdTime: UInt16, bgpIdentifier: UInt32, families: [AFISAFI]) {
        var caps: [Capability] = families.map { .multiprotocol($0) }
        caps.append(.routeRefresh)
        caps.append(.fourOctetAS(asNumber))
        self.init(myAS: asNumber > 0xFFFF ? OpenMessage.asTrans : UInt16(asNumber), holdTime: holdTime,
                  bgpIdentifier: bgpIdentifier, capabilities: caps)
    }

    /// The sender's AS: from the 4-octet AS capability if present, else My AS.
    public var asNumber: UInt32 {
        for case .fourOctetAS(let asn) in capabilities { return asn }
        return UInt32(myAS)
    }

    public var supportsFourOctetAS: Bool {
        capabilities.contains { if case .fourOctetAS = $0 { return true } else { return false } }
    }

    public var supportsRouteRefresh: Bool { capabilities.contains(.routeRefresh) }

    /// The families offered; RFC 4760 §8: without any multiprotocol capability, IPv4 unicast.
    public var families: [AFISAFI] {
        var out: [AFISAFI] = []
        for case .multiprotocol(let f) in capabilities where !out.contains(f) { out.append(f) }
        return out.isEmpty ? [.ipv4Unicast] : out
    }

    public func encodeBody(into w: inout ByteWriter) {
        w.u8(version); w.u16(myAS); w.u16(holdTime); w.u32(bgpIdentifier)
        var caps = ByteWriter()
        for c in capabilities { c.encode(into: &caps) }
        if caps.count == 0 { w.u8(0); return }
        // All capabilities in one parameter (RFC 5492 allows one or several); past 255 bytes a
        // capability would need RFC 9072, which nothing hedge sends comes near.
        w.u8(UInt8(truncatingIfNeeded: caps.count + 2))
        w.u8(OpenMessage.capabilitiesParameter); w.u8(UInt8(truncatingIfNeeded: caps.count))
        w.append(caps.bytes)
    }

    /// RFC 4271 §6.2 checks that need only the message: length, version, optional parameters.
    /// Checks that need configuration (peer AS, hold time, identifier) are `check(...)`.
    public static func decodeBody(_ body: ArraySlice<UInt8>) throws(BGPError) -> OpenMessage {
        let badLength = BGPError.notify(.header(.badMessageLength, data: BGPMessage.lengthData(body.count + BGPMessage.headerLength)))
        var r = ByteReader(body)
        guard body.count >= 10, let version = try? r.u8() else { throw badLength }
        guard version == OpenMessage.version else {
            // Data: the largest version this speaker supports (§6.2).
            throw .notify(.open(.unsupportedVersionNumber, data: [0, OpenMessage.version]))
        }
        guard let myAS = try? r.u16(), let hold = try? r.u16(), let id = try? r.u32(), var paramLen = try? r.u8().asInt
        else { throw badLength }
        var extended = false
        // RFC 9072 §2: a non-extended length of 255 followed by type 255 announces a 2-octet length.
        if paramLen == 255, r.remaining >= 3, r.bytes[r.offset] == 255 {
            _ = try? r.u8()
            guard let l = try? r.u16() else { throw badLength }
            paramLen = Int(l); extended = true
        }
        guard paramLen == r.remaining, var params = try? r.sub(paramLen) else {
            throw .notify(.open(.unspecific))
        }
        var caps: [Capability] = []
        while !params.isAtEnd {
            guard let type = try? params.u8(),
                  let len = try? params.length(wide: extended),
                  let value = try? params.take(len) else { throw .notify(.open(.unspecific)) }
            guard type == capabilitiesParameter else { throw .notify(.open(.unsupportedOptionalParameter)) }
            caps += try Capability.decodeList(value)
        }
        return OpenMessage(version: version, myAS: myAS, holdTime: hold, bgpIdentifier: id, capabilities: caps)
    }

    /// The checks of RFC 4271 §6.2 that need configuration; nil when the OPEN is acceptable.
    /// - `expectedAS`: the configured peer AS, nil to accept any.
    public func check(expectedAS: UInt32?) -> NotificationMessage? {
        if let expectedAS {
            if asNumber != expectedAS { return .open(.badPeerAS) }
            // RFC 6793 §4.2.1: without the capability, an AS above 65535 cannot be the peer's.
            if expectedAS > 0xFFFF && !supportsFourOctetAS { return .open(.badPeerAS) }
        }
        // RFC 6286 §2.1: any non-zero 32-bit value is a valid identifier.
        if bgpIdentifier == 0 { return .open(.badBGPIdentifier) }
        if holdTime == 1 || holdTime == 2 { return .open(.unacceptableHoldTime) }
        return nil
    }
}

private extension FixedWidthInteger {
    /// For `let n = try? r.u8().asInt` chains.
    var asInt: Int { Int(self) }
}
