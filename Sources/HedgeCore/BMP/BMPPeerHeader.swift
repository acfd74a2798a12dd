/// The per-peer header (RFC 7854 §4.2) that names the monitored BGP session of a message.
public struct BMPPeerHeader: Equatable, Sendable {
    public static let length = 42

    /// §4.2 / §10.12 peer types.
    public static let globalInstance: UInt8 = 0
    public static let rdInstance: UInt8 = 1
    public static let localInstance: UInt8 = 2
    /// RFC 9069: the router's own Loc-RIB; the address fields are zero and the flags mean other things.
    public static let locRIBInstance: UInt8 = 3

    /// §4.2 flags (for peer types 0–2).
    public static let flagV: UInt8 = 0x80   // the peer address is IPv6
    public static let flagL: UInt8 = 0x40   // post-policy Adj-RIB-In
    public static let flagA: UInt8 = 0x20   // legacy 2-octet AS_PATH format
    public static let flagO: UInt8 = 0x10   // RFC 8671: Adj-RIB-Out

    public var peerType: UInt8
    public var flags: UInt8
    /// Route distinguisher of an RD instance peer; zero for the global instance.
    public var distinguisher: UInt64
    public var address: IPAddress
    public var asNumber: UInt32
    /// The peer's BGP identifier (zero in FRR's Peer Down of a session that never came up).
    public var bgpID: UInt32
    /// When the router saw the event (its clock; zero in FRR's End-of-RIB messages).
    public var seconds: UInt32
    public var microseconds: UInt32

    public init(peerType: UInt8 = BMPPeerHeader.globalInstance, flags: UInt8 = 0, distinguisher: UInt64 = 0,
                address: IPAddress, asNumber: UInt32, bgpID: UInt32, seconds: UInt32 = 0, microseconds: UInt32 = 0) {
        self.peerType = peerType; self.flags = flags; self.distinguisher = distinguisher; self.address = address
        self.asNumber = asNumber; self.bgpID = bgpID; self.seconds = seconds; self.microseconds = microseconds
    }

    public var isLocRIB: Bool { peerType == BMPPeerHeader.locRIBInstance }
    public var isV6: Bool { !isLocRIB && flags & BMPPeerHeader.flagV != 0 }
    public var isPostPolicy: Bool { !isLocRIB && flags & BMPPeerHeader.flagL != 0 }
    public var isTwoOctetAS: Bool { !isLocRIB && flags & BMPPeerHeader.flagA != 0 }
    public var isAdjRIBOut: Bool { !isLocRIB && flags & BMPPeerHeader.flagO != 0 }

    public var key: BMPPeerKey { BMPPeerKey(peerType: peerType, distinguisher: distinguisher, address: address) }

    static func decode(_ r: inout BMPReader) throws(BMPError) -> BMPPeerHeader {
        let type = try r.u8(), flags = try r.u8()
        let rd = UInt64(try r.u32()) << 32 | UInt64(try r.u32())
        let raw = try r.take(16)
        let v6 = type != locRIBInstance && flags & flagV != 0
        // §4.2: an IPv4 address sits in the last 4 of the 16 octets.
        guard let address = v6 ? IPAddress(bytes: raw) : IPAddress(bytes: raw.suffix(4)) else { throw .truncated }
        let asn = try r.u32(), id = try r.u32(), sec = try r.u32(), usec = try r.u32()
        return BMPPeerHeader(peerType: type, flags: flags, distinguisher: rd, address: address, asNumber: asn,
                             bgpID: id, seconds: sec, microseconds: usec)
    }
}

/// One monitored session of a feed: what its Peer Up, Peer Down and Route Monitoring share.
public struct BMPPeerKey: Hashable, Sendable {
    public var peerType: UInt8
    public var distinguisher: UInt64
    public var address: IPAddress

    public init(peerType: UInt8, distinguisher: UInt64, address: IPAddress) {
        self.peerType = peerType; self.distinguisher = distinguisher; self.address = address
    }
}

/// `ByteReader` with BMP's errors, and the embedded BGP PDUs.
struct BMPReader {
    var r: ByteReader

    init(_ bytes: ArraySlice<UInt8>) { r = ByteReader(bytes) }

    var remaining: Int { r.remaining }
    var isAtEnd: Bool { r.isAtEnd }

    mutating func u8() throws(BMPError) -> UInt8 {
        guard let v = try? r.u8() else { throw .truncated }
        return v
    }

    mutating func u16() throws(BMPError) -> UInt16 {
        guard let v = try? r.u16() else { throw .truncated }
        return v
    }

    mutating func u32() throws(BMPError) -> UInt32 {
        guard let v = try? r.u32() else { throw .truncated }
        return v
    }

    mutating func take(_ n: Int) throws(BMPError) -> ArraySlice<UInt8> {
        guard let v = try? r.take(n) else { throw .truncated }
        return v
    }

    mutating func rest() -> ArraySlice<UInt8> { r.rest() }

    /// A whole BGP message (RFC 4271 §4.1: marker, length, type): its type and body. The length may
    /// exceed 4,096 (RFC 8654 extended messages are the router's business, not hedge's).
    mutating func bgpPDU(_ what: String) throws(BMPError) -> (type: UInt8, body: ArraySlice<UInt8>) {
        let marker = try take(16)
        guard marker.allSatisfy({ $0 == 0xFF }) else { throw .malformed("\(what): BGP message without its marker") }
        let length = Int(try u16())
        let type = try u8()
        guard length >= BGPMessage.headerLength else { throw .malformed("\(what): BGP message length \(length)") }
        guard remaining >= length - BGPMessage.headerLength else {
            throw .malformed("\(what): BGP message of \(length) octets overruns the BMP message")
        }
        return (type, try take(length - BGPMessage.headerLength))
    }

    /// Type-length-value fields (§4.4) up to the end: 2-octet type, 2-octet length.
    mutating func tlvs(_ what: String) throws(BMPError) -> [(type: UInt16, value: ArraySlice<UInt8>)] {
        var out: [(type: UInt16, value: ArraySlice<UInt8>)] = []
        while !isAtEnd {
            let t = try u16(), l = try u16()
            guard remaining >= Int(l) else { throw .malformed("\(what): TLV type \(t) of \(l) octets overruns the message") }
            out.append((t, try take(Int(l))))
        }
        return out
    }
}
