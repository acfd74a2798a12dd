/// A BFD Control packet (RFC 5880 §4.1): the 24-byte mandatory section, then the authentication
/// section when the A bit is set.
///
///      0                   1                   2                   3
///      0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
///     +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///     |Vers |  Diag   |Sta|P|F|C|A|D|M|  Detect Mult  |    Length     |
///     |                       My Discriminator                        |
///     |                      Your Discriminator                       |
///     |                    Desired Min TX Interval                    |
///     |                   Required Min RX Interval                    |
///     |                 Required Min Echo RX Interval                 |
///     |   Auth Type   |   Auth Len    |    Authentication Data...     |
///
/// The codec only checks what it needs to read the bytes (version, Length, the authentication
/// section's own length); whether a well-formed packet is acceptable is `BFDReception`'s job, so
/// that any packet decodes and re-encodes to the same bytes.
public struct BFDControlPacket: Equatable, Sendable {
    public static let version: UInt8 = 1
    /// Length of the mandatory section.
    public static let mandatoryLength = 24

    public var diagnostic: BFDDiagnostic
    public var state: BFDState
    /// P: the sender is running a Poll Sequence and wants an F back.
    public var poll: Bool
    /// F: answers a Poll.
    public var final: Bool
    /// C: the sender's BFD does not share fate with its control plane (RFC 5882 §4.3.1 uses it).
    public var controlPlaneIndependent: Bool
    /// D: the sender wants to run Demand mode (it asks us to stop periodic packets once both are Up).
    public var demand: Bool
    /// M: reserved for multipoint; always discarded on reception (§6.8.6).
    public var multipoint: Bool
    public var detectMult: UInt8
    public var myDiscriminator: UInt32
    public var yourDiscriminator: UInt32
    /// µs, like every interval on the wire.
    public var desiredMinTxInterval: UInt32
    public var requiredMinRxInterval: UInt32
    public var requiredMinEchoRxInterval: UInt32
    /// Present exactly when the A bit is set.
    public var authentication: BFDAuthSection?

    public init(diagnostic: BFDDiagnostic = .none, state: BFDState, poll: Bool = false, final: Bool = false,
                controlPlaneIndependent: Bool = false, demand: Bool = false, multipoint: Bool = false,
                detectMult: UInt8, myDiscriminator: UInt32, yourDiscriminator: UInt32,
                desiredMinTxInterval: UInt32, requiredMinRxInterval: UInt32,
                requiredMinEchoRxInterval: UInt32 = 0, authentication: BFDAuthSection? = nil) {
        self.diagnostic = diagnostic; self.state = state; self.poll = poll; self.final = final
        self.controlPlaneIndependent = controlPlaneIndependent; self.demand = demand
        self.multipoint = multipoint; self.detectMult = detectMult
        self.myDiscriminator = myDiscriminator; self.yourDiscriminator = yourDiscriminator
        self.desiredMinTxInterval = desiredMinTxInterval; self.requiredMinRxInterval = requiredMinRxInterval
        self.requiredMinEchoRxInterval = requiredMinEchoRxInterval; self.authentication = authentication
    }

    /// The A bit.
    public var authenticationPresent: Bool { authentication != nil }

    /// The Length field: the mandatory section plus the authentication section, if any.
    public var length: Int { BFDControlPacket.mandatoryLength + (authentication?.length ?? 0) }

    /// Writes the mandatory section (24 bytes) at `p`: the send path's encoding, with no
    /// allocation (`encode` appends the authentication section, when there is one).
    public func encodeMandatory(into p: UnsafeMutableRawPointer) {
        var flags = state.rawValue << 6
        if poll { flags |= 0x20 }
        if final { flags |= 0x10 }
        if controlPlaneIndependent { flags |= 0x08 }
        if authenticationPresent { flags |= 0x04 }
        if demand { flags |= 0x02 }
        if multipoint { flags |= 0x01 }
        p.storeBytes(of: BFDControlPacket.version << 5 | diagnostic.rawValue & 0x1f, toByteOffset: 0, as: UInt8.self)
        p.storeBytes(of: flags, toByteOffset: 1, as: UInt8.self)
        p.storeBytes(of: detectMult, toByteOffset: 2, as: UInt8.self)
        p.storeBytes(of: UInt8(truncatingIfNeeded: length), toByteOffset: 3, as: UInt8.self)
        p.storeBytes(of: myDiscriminator.bigEndian, toByteOffset: 4, as: UInt32.self)
        p.storeBytes(of: yourDiscriminator.bigEndian, toByteOffset: 8, as: UInt32.self)
        p.storeBytes(of: desiredMinTxInterval.bigEndian, toByteOffset: 12, as: UInt32.self)
        p.storeBytes(of: requiredMinRxInterval.bigEndian, toByteOffset: 16, as: UInt32.self)
        p.storeBytes(of: requiredMinEchoRxInterval.bigEndian, toByteOffset: 20, as: UInt32.self)
    }

    public func encode() -> [UInt8] {
        var b = [UInt8](repeating: 0, count: BFDControlPacket.mandatoryLength)
        b.withUnsafeMutableBytes { encodeMandatory(into: $0.baseAddress!) }
        if let a = authentication {
            b.append(a.type)
            b.append(UInt8(truncatingIfNeeded: a.length))
            b += a.data
        }
        return b
    }

    /// Decodes one UDP payload. Bytes past Length are ignored (§6.8.6 only rejects Length larger
    /// than the payload).
    @inline(__always)
    public static func decode(_ b: UnsafeRawBufferPointer) throws(BFDDiscardReason) -> BFDControlPacket {
        guard b.count >= 1 else { throw .lengthExceedsPayload }
        guard b[0] >> 5 == version else { throw .badVersion }
        guard b.count >= 4 else { throw .lengthExceedsPayload }
        let a = b[1] & 0x04 != 0
        let length = Int(b[3])
        // 26: the mandatory section plus Auth Type and Auth Len.
        guard length >= mandatoryLength + (a ? 2 : 0) else { throw .tooShort }
        guard length <= b.count else { throw .lengthExceedsPayload }
        var auth: BFDAuthSection? = nil
        if a {
            // Parsed only far enough to carry (and re-encode) it: hedge v1 authenticates nothing,
            // and reception discards any packet with A set.
            // Longer than any type RFC 5880 defines is malformed whatever the type.
            let authLen = Int(b[25])
            guard authLen >= 2, authLen <= BFDAuthSection.maxLength, mandatoryLength + authLen <= length else { throw .badAuthSection }
            auth = BFDAuthSection(type: b[24], UnsafeRawBufferPointer(rebasing: b[(mandatoryLength + 2)..<(mandatoryLength + authLen)]))
        }
        func u32(_ o: Int) -> UInt32 { UInt32(bigEndian: b.loadUnaligned(fromByteOffset: o, as: UInt32.self)) }
        return BFDControlPacket(
            diagnostic: BFDDiagnostic(rawValue: b[0] & 0x1f),
            state: BFDState(rawValue: b[1] >> 6)!,     // 2 bits: every value is a state
            poll: b[1] & 0x20 != 0, final: b[1] & 0x10 != 0, controlPlaneIndependent: b[1] & 0x08 != 0,
            demand: b[1] & 0x02 != 0, multipoint: b[1] & 0x01 != 0,
            detectMult: b[2], myDiscriminator: u32(4), yourDiscriminator: u32(8),
            desiredMinTxInterval: u32(12), requiredMinRxInterval: u32(16), requiredMinEchoRxInterval: u32(20),
            authentication: auth)
    }

    public static func decode(_ bytes: [UInt8]) throws(BFDDiscardReason) -> BFDControlPacket {
        // withUnsafeBytes rethrows untyped; keep the typed error by carrying it out in a Result.
        let r: Result<BFDControlPacket, BFDDiscardReason> = bytes.withUnsafeBytes { raw in
            do throws(BFDDiscardReason) { return .success(try decode(raw)) } catch { return .failure(error) }
        }
        return try r.get()
    }
}

/// The authentication section (RFC 5880 §4.2–4.4), kept opaque: Auth Type, then everything after
/// Auth Len (Auth Key ID and the type's own fields).
///
/// Its bytes are held inline, not in an array, so that a packet is a plain value: the session
/// copies packets on every one it sends or receives, and an array would make each copy count a
/// reference. The longest section RFC 5880 defines is Keyed SHA1's, Auth Len 28.
public struct BFDAuthSection: Equatable, Sendable {
    /// The largest Auth Len of any type RFC 5880 defines (Keyed SHA1, §4.4).
    public static let maxLength = 28
    /// 1 simple password, 2 keyed MD5, 3 meticulous keyed MD5, 4 keyed SHA1, 5 meticulous keyed SHA1.
    public var type: UInt8
    private var count: UInt8
    private var bytes: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    /// `data`: at most `maxLength - 2` octets (the rest is cut).
    public init(type: UInt8, data: [UInt8]) {
        self.type = type
        count = UInt8(min(data.count, Self.maxLength - 2))
        let n = Int(count)
        withUnsafeMutableBytes(of: &bytes) { b in for i in 0..<n { b[i] = data[i] } }
    }

    init(type: UInt8, _ raw: UnsafeRawBufferPointer) {
        self.type = type
        count = UInt8(min(raw.count, Self.maxLength - 2))
        let n = Int(count)
        withUnsafeMutableBytes(of: &bytes) { b in for i in 0..<n { b[i] = raw[i] } }
    }

    /// Everything after Auth Len.
    public var data: [UInt8] {
        withUnsafeBytes(of: bytes) { [UInt8]($0[0..<Int(count)]) }
    }

    /// The Auth Len field: counts Auth Type and Auth Len themselves.
    public var length: Int { 2 + Int(count) }

    public static func == (a: BFDAuthSection, b: BFDAuthSection) -> Bool { a.type == b.type && a.data == b.data }
}
