/// Why a received Control packet was discarded: one case per check of RFC 5880 §6.8.6 (plus RFC
/// 5881 §5's TTL check), so that each is counted on its own. A discarded packet changes nothing:
/// no state, no timer, no remote field.
public enum BFDDiscardReason: UInt8, Error, Sendable, CaseIterable {
    /// RFC 5881 §5 (GTSM, RFC 5082): single-hop packets are sent with TTL / Hop Limit 255, so any
    /// other value came from off-link.
    case ttlNot255
    /// Version ≠ 1.
    case badVersion
    /// Length < 24, or < 26 with the A bit set.
    case tooShort
    /// Length larger than the UDP payload (this includes a payload too short to hold Length).
    case lengthExceedsPayload
    /// A set, but Auth Len does not fit inside Length.
    case badAuthSection
    case zeroDetectMult
    /// M set (reserved for multipoint, RFC 8562).
    case multipoint
    case zeroMyDiscriminator
    /// Your Discriminator zero while the sender says Init or Up: it must already know ours.
    case zeroYourDiscriminatorNotDown
    /// Your Discriminator is not one of ours.
    case unknownYourDiscriminator
    /// A set while this session does not authenticate (hedge v1 never does), or the reverse.
    case authenticationMismatch
    /// Our session is AdminDown: the packet updates the remote fields and is then discarded (§6.8.6).
    case localAdminDown

    public var name: String {
        switch self {
        case .ttlNot255: return "ttl not 255"
        case .badVersion: return "bad version"
        case .tooShort: return "length too short"
        case .lengthExceedsPayload: return "length exceeds payload"
        case .badAuthSection: return "bad auth section"
        case .zeroDetectMult: return "detect mult 0"
        case .multipoint: return "multipoint bit set"
        case .zeroMyDiscriminator: return "my discriminator 0"
        case .zeroYourDiscriminatorNotDown: return "your discriminator 0 while not down"
        case .unknownYourDiscriminator: return "unknown your discriminator"
        case .authenticationMismatch: return "authentication mismatch"
        case .localAdminDown: return "local session admin down"
        }
    }
}

/// One counter per discard reason.
///
/// Inline storage, not an array: the session is a plain value then, and reading it (its deadline
/// on every loop turn) copies bytes without touching a reference count.
public struct BFDDiscardCounters: Equatable, Sendable {
    private var counts: (Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int)
        = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    private static let capacity = 20
    public init() {
        precondition(BFDDiscardReason.allCases.count <= Self.capacity, "BFDDiscardCounters: room for every reason")
    }
    public subscript(reason: BFDDiscardReason) -> Int {
        withUnsafeBytes(of: counts) { $0.load(fromByteOffset: Int(reason.rawValue) * MemoryLayout<Int>.stride, as: Int.self) }
    }
    public var total: Int {
        withUnsafeBytes(of: counts) { b in (0..<Self.capacity).reduce(0) { $0 + b.load(fromByteOffset: $1 * MemoryLayout<Int>.stride, as: Int.self) } }
    }
    public mutating func count(_ reason: BFDDiscardReason) {
        withUnsafeMutableBytes(of: &counts) { b in
            let o = Int(reason.rawValue) * MemoryLayout<Int>.stride
            b.storeBytes(of: b.load(fromByteOffset: o, as: Int.self) + 1, toByteOffset: o, as: Int.self)
        }
    }
    public static func == (a: BFDDiscardCounters, b: BFDDiscardCounters) -> Bool {
        BFDDiscardReason.allCases.allSatisfy { a[$0] == b[$0] }
    }
}

/// The checks of RFC 5880 §6.8.6 that come before a packet may touch a session, in the RFC's order
/// (TTL first: it is about the envelope, and a packet from off-link deserves no parsing).
public enum BFDReception {
    /// Single-hop BFD's required TTL / Hop Limit (RFC 5881 §5).
    public static let requiredTTL: UInt8 = 255

    /// - Parameters:
    ///   - ttl: TTL / Hop Limit the packet arrived with (IP_RECVTTL / IPV6_RECVHOPLIMIT).
    ///   - localDiscriminator: the session the Linux layer picked for this packet (by Your
    ///     Discriminator, or by addresses when that is zero); a non-zero Your Discriminator must match.
    ///   - authenticated: whether the session uses authentication (bfd.AuthType ≠ 0). Always false in
    ///     hedge v1.
    // Inlined into its one caller, the session's receive: the packet is then built once, in place,
    // instead of copied out of decode, out of here, and into the session.
    @inline(__always)
    public static func check(_ bytes: UnsafeRawBufferPointer, ttl: UInt8, localDiscriminator: UInt32,
                             authenticated: Bool = false) throws(BFDDiscardReason) -> BFDControlPacket {
        guard ttl == requiredTTL else { throw .ttlNot255 }
        let p = try BFDControlPacket.decode(bytes)
        guard p.detectMult != 0 else { throw .zeroDetectMult }
        guard !p.multipoint else { throw .multipoint }
        guard p.myDiscriminator != 0 else { throw .zeroMyDiscriminator }
        if p.yourDiscriminator == 0 {
            guard p.state == .down || p.state == .adminDown else { throw .zeroYourDiscriminatorNotDown }
        } else {
            guard p.yourDiscriminator == localDiscriminator else { throw .unknownYourDiscriminator }
        }
        guard p.authenticationPresent == authenticated else { throw .authenticationMismatch }
        return p
    }

    /// Your Discriminator of a payload long enough to hold it, for the Linux layer's demultiplexing
    /// (nil: too short; 0: pick the session by addresses).
    public static func yourDiscriminator(_ b: UnsafeRawBufferPointer) -> UInt32? {
        guard b.count >= 12 else { return nil }
        return UInt32(b[8]) << 24 | UInt32(b[9]) << 16 | UInt32(b[10]) << 8 | UInt32(b[11])
    }
}
