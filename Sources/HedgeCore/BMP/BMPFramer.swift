/// Cuts a BMP TCP stream into whole messages by the common header (RFC 7854 §4.1). A bad version
/// or length cannot be skipped over (nothing marks where the next message starts): the feed ends.
public struct BMPFramer: Sendable {
    /// Far above any real message (an UPDATE is at most 65,535 octets, RFC 8654) and small enough
    /// that a broken or hostile exporter cannot make hedge buffer much.
    public static let defaultMaxMessageLength = 1 << 20

    public let maxMessageLength: Int
    private var buffer: [UInt8] = []
    private var start = 0

    public init(maxMessageLength: Int = BMPFramer.defaultMaxMessageLength) {
        self.maxMessageLength = maxMessageLength
    }

    /// Bytes received and not yet cut into messages.
    public var buffered: Int { buffer.count - start }

    public mutating func append<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        // Drop what was consumed before growing, so the buffer stays about one message long.
        if start > 0 && start >= buffer.count / 2 {
            buffer.removeFirst(start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next whole message, common header included; nil until one has arrived. A version or
    /// length error is thrown as soon as the bytes that show it are in.
    public mutating func next() throws(BMPError) -> [UInt8]? {
        let avail = buffer[start...]
        if let v = avail.first, v != BMPMessage.version { throw .badVersion(v) }
        guard avail.count >= 5 else { return nil }
        let length = try BMPFramer.checkHeader(avail, maxLength: maxMessageLength)
        guard avail.count >= length else { return nil }
        let out = Array(buffer[start..<start + length])
        start += length
        return out
    }

    public mutating func reset() { buffer = []; start = 0 }

    /// Version and length; returns the length. Needs at least the first 5 octets.
    static func checkHeader(_ b: ArraySlice<UInt8>, maxLength: Int) throws(BMPError) -> Int {
        guard b.count >= 5 else { throw .truncated }
        let s = b.startIndex
        guard b[s] == BMPMessage.version else { throw .badVersion(b[s]) }
        var length = 0
        for i in 1...4 { length = length << 8 | Int(b[s + i]) }
        guard length >= BMPMessage.commonHeaderLength, length <= maxLength else { throw .badLength(length) }
        return length
    }
}

/// One feed as hedge reads it: the framer, and what earlier messages taught about later ones (the
/// AS_PATH width each monitored session negotiated, from its Peer Up). The first error ends the
/// feed: every later `next` throws it again.
public struct BMPFeed: Sendable {
    public private(set) var framer: BMPFramer
    /// Per monitored session: both OPENs of its Peer Up carried the 4-octet AS capability.
    public private(set) var fourOctetAS = HashMap<BMPPeerKey, Bool>()
    /// The router's Initiation, once received.
    public private(set) var initiation: BMPInformation?
    /// Messages decoded.
    public private(set) var messages = 0
    /// Messages of types RFC 7854 does not define (skipped).
    public private(set) var unknownMessages = 0
    /// The error that ended the feed.
    public private(set) var failure: BMPError?

    public init(maxMessageLength: Int = BMPFramer.defaultMaxMessageLength) {
        framer = BMPFramer(maxMessageLength: maxMessageLength)
    }

    public mutating func append<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        if failure == nil { framer.append(bytes) }
    }

    /// The next decoded message; nil until a whole one has arrived.
    public mutating func next() throws(BMPError) -> BMPMessage? {
        if let failure { throw failure }
        do throws(BMPError) {
            guard let bytes = try framer.next() else { return nil }
            let m = try BMPMessage.decode(bytes, fourOctetAS: fourOctetAS)
            messages += 1
            switch m {
            case .peerUp(let u):
                fourOctetAS[u.peer.key] = u.fourOctetAS
            case .peerDown(let d):
                fourOctetAS[d.peer.key] = nil
            case .initiation(let i):
                initiation = i
            case .unknown:
                unknownMessages += 1
            default:
                break
            }
            return m
        } catch {
            failure = error
            framer.reset()
            throw error
        }
    }
}
