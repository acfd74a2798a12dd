/// Address family (RFC 4760 §3 AFI, SAFI). hedge routes IPv4 and IPv6 unicast; other families
/// are carried as opaque bytes and ignored.
public struct AFISAFI: Hashable, Sendable, CustomStringConvertible {
    public var afi: UInt16
    public var safi: UInt8

    public init(afi: UInt16, safi: UInt8) { self.afi = afi; self.safi = safi }

    public static let ipv4Unicast = AFISAFI(afi: 1, safi: 1)
    public static let ipv6Unicast = AFISAFI(afi: 2, safi: 1)

    /// The unicast family of an address or prefix.
    public static func unicast(v6: Bool) -> AFISAFI { v6 ? .ipv6Unicast : .ipv4Unicast }

    /// True for the two families hedge parses NLRI of.
    public var isSupported: Bool { self == .ipv4Unicast || self == .ipv6Unicast }

    /// Address width in bits, for the supported families.
    var addressBits: UInt8? { self == .ipv4Unicast ? 32 : (self == .ipv6Unicast ? 128 : nil) }

    public var description: String {
        if self == .ipv4Unicast { return "IPv4 unicast" }
        if self == .ipv6Unicast { return "IPv6 unicast" }
        return "AFI \(afi) SAFI \(safi)"
    }
}

/// A capability of an OPEN (RFC 5492). Unknown ones are kept as received: a speaker must ignore
/// capabilities it does not understand, but status output should still show them.
public enum Capability: Equatable, Sendable {
    /// Code 1, RFC 4760 §8: AFI (2), reserved (1), SAFI (1).
    case multiprotocol(AFISAFI)
    /// Code 2, RFC 2918: no value.
    case routeRefresh
    /// Code 65, RFC 6793: the speaker's 4-octet AS number.
    case fourOctetAS(UInt32)
    case unknown(code: UInt8, value: [UInt8])

    public static let multiprotocolCode: UInt8 = 1
    public static let routeRefreshCode: UInt8 = 2
    public static let fourOctetASCode: UInt8 = 65

    public var code: UInt8 {
        switch self {
        case .multiprotocol: return Capability.multiprotocolCode
        case .routeRefresh: return Capability.routeRefreshCode
        case .fourOctetAS: return Capability.fourOctetASCode
        case .unknown(let code, _): return code
        }
    }

    public func encode(into w: inout ByteWriter) {
        w.u8(code)
        switch self {
        case .multiprotocol(let f):
            w.u8(4); w.u16(f.afi); w.u8(0); w.u8(f.safi)
        case .routeRefresh:
            w.u8(0)
        case .fourOctetAS(let asn):
            w.u8(4); w.u32(asn)
        case .unknown(_, let value):
            w.u8(UInt8(truncatingIfNeeded: value.count)); w.append(value.prefix(255))
        }
    }

    /// The capabilities in one Capabilities optional parameter's value (RFC 5492 §4). A known
    /// capability with the wrong length, or one that runs past the parameter, is an OPEN Message
    /// Error: guessing what the peer meant would negotiate something it did not offer.
    public static func decodeList(_ value: ArraySlice<UInt8>) throws(BGPError) -> [Capability] {
        let malformed = BGPError.notify(.open(.unspecific))
        var r = ByteReader(value)
        var out: [Capability] = []
        while !r.isAtEnd {
            guard let code = try? r.u8(), let len = try? r.u8(), let v = try? r.take(Int(len)) else { throw malformed }
            var c = ByteReader(v)
            switch code {
            case multiprotocolCode:
                guard len == 4, let afi = try? c.u16(), (try? c.u8()) != nil, let safi = try? c.u8() else { throw malformed }
                out.append(.multiprotocol(AFISAFI(afi: afi, safi: safi)))
            case routeRefreshCode:
                guard len == 0 else { throw malformed }
                out.append(.routeRefresh)
            case fourOctetASCode:
                guard len == 4, let asn = try? c.u32() else { throw malformed }
                out.append(.fourOctetAS(asn))
            default:
                out.append(.unknown(code: code, value: Array(v)))
            }
        }
        return out
    }
}
