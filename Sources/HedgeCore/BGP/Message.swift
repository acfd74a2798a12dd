/// The message header (RFC 4271 §4.1), the five message types, and framing of the TCP byte stream.

extension BGPMessage {
    /// 16-octet marker, 2-octet length, 1-octet type.
    public static let headerLength = 19
    /// RFC 4271 §4.1 (extended messages, RFC 8654, are not negotiated).
    public static let maxMessageLength = 4096

    /// The Data of a Bad Message Length NOTIFICATION: the erroneous length (§6.1).
    static func lengthData(_ length: Int) -> [UInt8] {
        PathAttributes.u16(UInt16(truncatingIfNeeded: length))
    }
}

public enum MessageType: UInt8, Sendable {
    case open = 1
    case update = 2
    case notification = 3
    case keepalive = 4
    /// RFC 2918.
    case routeRefresh = 5

    /// Smallest valid length, header included (RFC 4271 §6.1, RFC 2918 §3).
    var minLength: Int {
        switch self {
        case .open: return 29
        case .update: return 23
        case .notification: return 21
        case .keepalive: return 19
        case .routeRefresh: return 23
        }
    }
}

/// ROUTE-REFRESH (RFC 2918 §3): ask the peer to send its routes of one family again. The octet
/// between AFI and SAFI is reserved there and a message subtype in RFC 7313; it is kept as sent.
public struct RouteRefreshMessage: Equatable, Sendable {
    public var family: AFISAFI
    public var subtype: UInt8

    public init(family: AFISAFI, subtype: UInt8 = 0) { self.family = family; self.subtype = subtype }
}

/// A message to send.
public enum BGPMessage: Equatable, Sendable {
    case open(OpenMessage)
    case update(UpdateMessage)
    case notification(NotificationMessage)
    case keepalive
    case routeRefresh(RouteRefreshMessage)

    public var type: MessageType {
        switch self {
        case .open: return .open
        case .update: return .update
        case .notification: return .notification
        case .keepalive: return .keepalive
        case .routeRefresh: return .routeRefresh
        }
    }

    /// The whole message, header included.
    public func encode(options: CodecOptions = CodecOptions()) throws(BGPError) -> [UInt8] {
        var w = ByteWriter()
        w.append([UInt8](repeating: 0xFF, count: 16))
        w.u16(0)
        w.u8(type.rawValue)
        switch self {
        case .open(let m): m.encodeBody(into: &w)
        case .update(let m): m.encodeBody(into: &w, options: options)
        case .notification(let m): m.encodeBody(into: &w)
        case .keepalive: break
        case .routeRefresh(let m): w.u16(m.family.afi); w.u8(m.subtype); w.u8(m.family.safi)
        }
        guard w.count <= BGPMessage.maxMessageLength else { throw .tooLong(w.count) }
        w.patch16(at: 16, UInt16(w.count))
        return w.bytes
    }

    /// Reads one whole message (as `MessageFramer` cuts it). Header errors and malformed OPEN,
    /// NOTIFICATION, KEEPALIVE and ROUTE-REFRESH throw the NOTIFICATION to send; an UPDATE is never
    /// thrown, its verdict says what to do (RFC 7606).
    public static func decode(_ bytes: ArraySlice<UInt8>, options: CodecOptions = CodecOptions())
        throws(BGPError) -> ReceivedMessage {
        let length = try MessageFramer.checkHeader(bytes)
        guard bytes.count == length else { throw .notify(.header(.badMessageLength, data: BGPMessage.lengthData(bytes.count))) }
        let typeByte = bytes[bytes.startIndex + 18]
        guard let type = MessageType(rawValue: typeByte) else { throw .notify(.header(.badMessageType, data: [typeByte])) }
        guard length >= type.minLength, type != .keepalive || length == BGPMessage.headerLength,
              type != .routeRefresh || length == MessageType.routeRefresh.minLength else {
            throw .notify(.header(.badMessageLength, data: BGPMessage.lengthData(length)))
        }
        let body = bytes[(bytes.startIndex + BGPMessage.headerLength)...]
        switch type {
        case .open: return .open(try OpenMessage.decodeBody(body))
        case .update: return .update(UpdateMessage.decode(body, options: options))
        case .notification: return .notification(try NotificationMessage.decodeBody(body))
        case .keepalive: return .keepalive
        case .routeRefresh:
            var r = ByteReader(body)
            let afi = try r.u16(), subtype = try r.u8(), safi = try r.u8()
            return .routeRefresh(RouteRefreshMessage(family: AFISAFI(afi: afi, safi: safi), subtype: subtype))
        }
    }

    public static func decode(_ bytes: [UInt8], options: CodecOptions = CodecOptions()) throws(BGPError) -> ReceivedMessage {
        try decode(bytes[...], options: options)
    }
}

/// A message received; an UPDATE comes with its RFC 7606 verdict.
public enum ReceivedMessage: Equatable, Sendable {
    case open(OpenMessage)
    case update(UpdateVerdict)
    case notification(NotificationMessage)
    case keepalive
    case routeRefresh(RouteRefreshMessage)
}

/// Cuts the TCP byte stream into messages. After a header error the stream cannot be resynchronised
/// (RFC 4271 §6.1): the session sends the NOTIFICATION thrown and closes.
public struct MessageFramer: Sendable {
    private var buffer: [UInt8] = []
    private var start = 0

    public init() {}

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

    /// The next whole message, header included; nil until one has arrived.
    public mutating func next() throws(BGPError) -> [UInt8]? {
        let avail = buffer[start...]
        guard avail.count >= BGPMessage.headerLength else { return nil }
        let length = try MessageFramer.checkHeader(avail)
        guard avail.count >= length else { return nil }
        let out = Array(buffer[start..<start + length])
        start += length
        return out
    }

    public mutating func reset() { buffer = []; start = 0 }

    /// Marker and length (RFC 4271 §6.1); returns the length. Needs at least the 19 header octets.
    static func checkHeader(_ b: ArraySlice<UInt8>) throws(BGPError) -> Int {
        guard b.count >= BGPMessage.headerLength else { throw .notify(.header(.badMessageLength, data: BGPMessage.lengthData(b.count))) }
        let s = b.startIndex
        for i in 0..<16 where b[s + i] != 0xFF { throw .notify(.header(.connectionNotSynchronized)) }
        let length = Int(b[s + 16]) << 8 | Int(b[s + 17])
        guard length >= BGPMessage.headerLength, length <= BGPMessage.maxMessageLength else {
            throw .notify(.header(.badMessageLength, data: BGPMessage.lengthData(length)))
        }
        return length
    }
}
