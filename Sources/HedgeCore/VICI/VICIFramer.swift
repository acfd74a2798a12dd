/// Cuts a VICI stream into segments: u32 big-endian length of the data, then the data (README
/// "Transport protocol"). A length over the cap cannot be skipped safely (a hostile or broken
/// peer could make hedge buffer it all), so it ends the stream: every later call throws it again
/// and the owner drops the connection.
public struct VICIFramer: Sendable {
    /// charon's VICI_MESSAGE_SIZE_MAX (vici_message.h): it refuses longer segments itself.
    public static let defaultMaxSegmentLength = 512 * 1024

    public let maxSegmentLength: Int
    private var buffer: [UInt8] = []
    private var start = 0
    /// The framing error that ended the stream.
    public private(set) var failure: VICIError?

    public init(maxSegmentLength: Int = VICIFramer.defaultMaxSegmentLength) {
        self.maxSegmentLength = maxSegmentLength
    }

    /// Bytes received and not yet cut into segments.
    public var buffered: Int { buffer.count - start }

    public mutating func append<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        guard failure == nil else { return }
        // Drop what was consumed before growing, so the buffer stays about one segment long.
        if start > 0 && start >= buffer.count / 2 {
            buffer.removeFirst(start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The data of the next whole segment; nil until one has arrived. The length error is thrown
    /// as soon as the four length octets are in.
    public mutating func next() throws(VICIError) -> [UInt8]? {
        if let f = failure { throw f }
        guard buffer.count - start >= 4 else { return nil }
        var length = 0
        for k in 0..<4 { length = length << 8 | Int(buffer[start + k]) }
        guard length <= maxSegmentLength else {
            failure = .segmentTooLong(length)
            throw .segmentTooLong(length)
        }
        guard buffer.count - start - 4 >= length else { return nil }
        let out = Array(buffer[(start + 4)..<(start + 4 + length)])
        start += 4 + length
        return out
    }

    /// The next whole segment decoded as a packet. A packet that does not decode is consumed and
    /// its error thrown; the stream stays in step (the length said where it ends), but the owner
    /// should still drop the connection: the lost packet may have been the reply it waits for.
    public mutating func nextPacket(maxDepth: Int = VICIMessage.defaultMaxDepth) throws(VICIError) -> VICIPacket? {
        guard let data = try next() else { return nil }
        return try VICIPacket.decode(data[...], maxDepth: maxDepth)
    }

    public mutating func reset() { buffer = []; start = 0; failure = nil }

    /// `data` with its length prefix.
    public static func frame(_ data: [UInt8], maxLength: Int = VICIFramer.defaultMaxSegmentLength) throws(VICIError) -> [UInt8] {
        guard data.count <= maxLength, data.count <= Int(UInt32.max) else { throw .segmentTooLong(data.count) }
        let n = UInt32(data.count)
        return [UInt8(n >> 24), UInt8((n >> 16) & 0xFF), UInt8((n >> 8) & 0xFF), UInt8(n & 0xFF)] + data
    }
}
