/// The packets of hedge's authenticated end-to-end probe (`probe reflect`) and of `hedge-reflect`,
/// the tiny UDP reflector on a VM inside the VNet. Azure's edge runs BFD at 300 ms × 3, so BFD cannot
/// see a failure in under ~0.9 s; this probe runs at intervals down to 5 ms, tells forward from
/// return loss, and carries an HMAC so that nobody on the way can fake a path's health.
///
/// One layout, 72 octets, for both directions (a request is padded to the reply's size so that the
/// reflector never sends more than it received). Integers are big-endian.
///
///     0      4  magic "hdgr"
///     4      1  version (1)
///     5      1  type: 1 request, 2 reply
///     6      2  reserved, 0 (covered by the MAC)
///     8      4  key id: first 4 octets of HMAC-SHA256(key, "hedge reflect key id")
///    12      4  session: the sender's, random per probe start, so replies to an earlier agent
///               (or an earlier configuration) are never counted
///    16      4  path id: the sender's path index
///    20      4  sequence: 32-bit, +1 per request
///    24      8  sender timestamp, µs on the sender's monotonic clock (opaque to the reflector)
///    32      4  reply: counter epoch, random per reflector table entry (0 in requests): a new
///               epoch means the counter below restarted (reflector restarted or entry evicted)
///    36      4  reply: requests received in this epoch from this (source address, session,
///               path), this one included (0 in requests)
///    40      8  reply: reflector receive timestamp, µs on the reflector's monotonic clock (0: none)
///    48      8  reply: reflector send timestamp, µs, same clock (0: none)
///    56     16  HMAC-SHA256 over octets 0..<56 with the shared key, truncated to 16 octets
///               (RFC 2104 §5)
///
/// Replay and spoofing: a reply counts only if its MAC is valid and it echoes the session, path,
/// sequence and timestamp of a request still outstanding (each answers once). The reflector drops
/// requests with a bad MAC or an old sequence (a 64-sequence window per sender) without answering.
/// One-way loss: forward = requests sent − the reflector's count; return = the reflector's count
/// (it answers every request it counts) − replies received.
public enum ReflectCodec {
    public static let magic: [UInt8] = [0x68, 0x64, 0x67, 0x72]   // "hdgr"
    public static let version: UInt8 = 1
    public static let length = 72
    public static let macOffset = 56
    public static let macLength = 16

    public enum Kind: UInt8, Sendable { case request = 1, reply = 2 }

    /// Why a datagram was not accepted.
    public enum Rejection: Error, Equatable, Sendable {
        /// Wrong length, magic, version or type.
        case malformed
        /// Authenticated with another key (the key ids differ).
        case unknownKey
        /// Right key id, wrong MAC: tampered or forged.
        case badMAC
    }

    public static func encode(_ p: ReflectPacket, key: ReflectKey) -> [UInt8] {
        var b = magic
        b.reserveCapacity(length)
        b.append(version)
        b.append(p.kind.rawValue)
        b.append(0); b.append(0)
        put32(&b, key.id)
        put32(&b, p.session)
        put32(&b, p.path)
        put32(&b, p.sequence)
        put64(&b, p.senderTimeUs)
        put32(&b, p.epoch)
        put32(&b, p.count)
        put64(&b, p.reflectorReceiveUs)
        put64(&b, p.reflectorSendUs)
        b += key.mac(b)
        return b
    }

    /// The authenticated packet, or why not. The MAC is checked before any field is believed.
    public static func decode(_ b: UnsafeRawBufferPointer, key: ReflectKey) throws(Rejection) -> ReflectPacket {
        guard b.count == length, b[0] == magic[0], b[1] == magic[1], b[2] == magic[2], b[3] == magic[3],
              b[4] == version, let kind = Kind(rawValue: b[5]) else { throw .malformed }
        if get32(b, 8) != key.id { throw .unknownKey }
        let body = UnsafeRawBufferPointer(rebasing: b[0..<macOffset])
        let mac = UnsafeRawBufferPointer(rebasing: b[macOffset..<length])
        guard constantTimeEqual(key.mac(body), mac) else { throw .badMAC }
        return ReflectPacket(kind: kind, session: get32(b, 12), path: get32(b, 16), sequence: get32(b, 20),
                             senderTimeUs: get64(b, 24), epoch: get32(b, 32), count: get32(b, 36),
                             reflectorReceiveUs: get64(b, 40), reflectorSendUs: get64(b, 48))
    }

    public static func decode(_ bytes: [UInt8], key: ReflectKey) throws(Rejection) -> ReflectPacket {
        let r: Result<ReflectPacket, Rejection> = bytes.withUnsafeBytes { b in
            do throws(Rejection) { return .success(try decode(b, key: key)) } catch { return .failure(error) }
        }
        return try r.get()
    }

    /// The reply to an authenticated request.
    public static func reply(to q: ReflectPacket, epoch: UInt32, count: UInt32, receiveUs: UInt64, sendUs: UInt64) -> ReflectPacket {
        var p = q
        p.kind = .reply
        p.epoch = epoch
        p.count = count
        p.reflectorReceiveUs = receiveUs
        p.reflectorSendUs = sendUs
        return p
    }

    static func put32(_ b: inout [UInt8], _ v: UInt32) {
        b.append(UInt8(truncatingIfNeeded: v >> 24)); b.append(UInt8(truncatingIfNeeded: v >> 16))
        b.append(UInt8(truncatingIfNeeded: v >> 8)); b.append(UInt8(truncatingIfNeeded: v))
    }
    static func put64(_ b: inout [UInt8], _ v: UInt64) {
        put32(&b, UInt32(truncatingIfNeeded: v >> 32)); put32(&b, UInt32(truncatingIfNeeded: v))
    }
    static func get32(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt32 {
        UInt32(b[o]) << 24 | UInt32(b[o + 1]) << 16 | UInt32(b[o + 2]) << 8 | UInt32(b[o + 3])
    }
    static func get64(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt64 {
        UInt64(get32(b, o)) << 32 | UInt64(get32(b, o + 4))
    }
}

/// The fields of a reflect packet (see `ReflectCodec` for the layout); the key id and MAC are the
/// codec's business.
public struct ReflectPacket: Equatable, Sendable {
    public var kind: ReflectCodec.Kind
    public var session: UInt32
    public var path: UInt32
    public var sequence: UInt32
    public var senderTimeUs: UInt64
    public var epoch: UInt32
    public var count: UInt32
    public var reflectorReceiveUs: UInt64
    public var reflectorSendUs: UInt64

    public init(kind: ReflectCodec.Kind = .request, session: UInt32, path: UInt32, sequence: UInt32, senderTimeUs: UInt64,
                epoch: UInt32 = 0, count: UInt32 = 0, reflectorReceiveUs: UInt64 = 0, reflectorSendUs: UInt64 = 0) {
        self.kind = kind; self.session = session; self.path = path; self.sequence = sequence
        self.senderTimeUs = senderTimeUs; self.epoch = epoch; self.count = count
        self.reflectorReceiveUs = reflectorReceiveUs; self.reflectorSendUs = reflectorSendUs
    }
}

/// The key shared by the agent and the reflector, ready to MAC with.
public struct ReflectKey: Sendable {
    /// Names the key on the wire without revealing it, so that a reflector tells "another key"
    /// (a configuration mistake) from "bad MAC" (tampering) in its counters.
    public let id: UInt32
    private let hmac: HMACSHA256

    public init(secret: [UInt8]) {
        hmac = HMACSHA256(key: secret)
        let d = hmac.authenticate(Array("hedge reflect key id".utf8))
        id = UInt32(d[0]) << 24 | UInt32(d[1]) << 16 | UInt32(d[2]) << 8 | UInt32(d[3])
    }

    /// The truncated MAC (16 octets).
    public func mac<C: Collection>(_ body: C) -> [UInt8] where C.Element == UInt8 {
        Array(hmac.authenticate(body).prefix(ReflectCodec.macLength))
    }
}
