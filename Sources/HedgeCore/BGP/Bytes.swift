/// Big-endian (network order) reading and writing of wire formats.
///
/// Every read is bounds-checked and a short read throws `BGPError.truncated`: a peer's bytes can
/// never make hedge trap. The reader works on a slice so that a length field can fence a sub-reader
/// (`sub(_:)`) and nothing inside an attribute can read past the attribute.
public struct ByteReader: Sendable {
    public let bytes: ArraySlice<UInt8>
    public private(set) var offset: Int

    public init(_ bytes: ArraySlice<UInt8>) { self.bytes = bytes; offset = bytes.startIndex }
    public init(_ bytes: [UInt8]) { self.init(bytes[...]) }

    public var remaining: Int { bytes.endIndex - offset }
    public var isAtEnd: Bool { offset >= bytes.endIndex }

    public mutating func u8() throws(BGPError) -> UInt8 {
        guard remaining >= 1 else { throw .truncated }
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func u16() throws(BGPError) -> UInt16 {
        guard remaining >= 2 else { throw .truncated }
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    public mutating func u32() throws(BGPError) -> UInt32 {
        guard remaining >= 4 else { throw .truncated }
        var v: UInt32 = 0
        for i in 0..<4 { v = v << 8 | UInt32(bytes[offset + i]) }
        offset += 4
        return v
    }

    /// A length field of one octet, or of two when `wide` (the Extended Length bit of a path
    /// attribute, the extended parameters length of RFC 9072).
    public mutating func length(wide: Bool) throws(BGPError) -> Int {
        wide ? Int(try u16()) : Int(try u8())
    }

    /// The next `count` bytes.
    public mutating func take(_ count: Int) throws(BGPError) -> ArraySlice<UInt8> {
        guard count >= 0, remaining >= count else { throw .truncated }
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    /// A reader over the next `count` bytes; this reader moves past them.
    public mutating func sub(_ count: Int) throws(BGPError) -> ByteReader {
        ByteReader(try take(count))
    }

    /// Everything left.
    public mutating func rest() -> ArraySlice<UInt8> {
        defer { offset = bytes.endIndex }
        return bytes[offset...]
    }

    public mutating func skip(_ count: Int) throws(BGPError) { _ = try take(count) }
}

public struct ByteWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    public var count: Int { bytes.count }

    public mutating func u8(_ v: UInt8) { bytes.append(v) }

    public mutating func u16(_ v: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: v >> 8))
        bytes.append(UInt8(truncatingIfNeeded: v))
    }

    public mutating func u32(_ v: UInt32) {
        bytes.append(UInt8(truncatingIfNeeded: v >> 24))
        bytes.append(UInt8(truncatingIfNeeded: v >> 16))
        bytes.append(UInt8(truncatingIfNeeded: v >> 8))
        bytes.append(UInt8(truncatingIfNeeded: v))
    }

    public mutating func append<C: Collection>(_ b: C) where C.Element == UInt8 { bytes.append(contentsOf: b) }

    /// Overwrites a 16-bit field written earlier (a length known only once its content is written).
    public mutating func patch16(at index: Int, _ v: UInt16) {
        bytes[index] = UInt8(truncatingIfNeeded: v >> 8)
        bytes[index + 1] = UInt8(truncatingIfNeeded: v)
    }

    public mutating func patch8(at index: Int, _ v: UInt8) { bytes[index] = v }
}
