// String building and comparison, out of line.
//
// The standard library's String operations are inlinable, and Embedded Swift inlines them into
// every use: ~1.2 KB of aarch64 for "\(a):\(b): unknown '\(c)'" (a call per segment: ~240 bytes),
// ~170 bytes per `s += x`, ~120 per `s == "literal"` or `case "literal":`. The agent has ~600
// interpolations, ~180 appends and ~250 comparisons with literals (config keywords, errors, log
// lines, status text). The declarations here are found before the standard library's (a module's
// own declarations shadow those of the modules it imports; HedgeLinux and hedge import this one),
// so each of these calls one copy. They compute exactly what the standard library's do: the
// comparisons go through the standard library's own `==` (Unicode canonical equivalence).

extension DefaultStringInterpolation {
    @inline(never)
    public mutating func appendLiteral(_ literal: String) { write(literal) }

    @inline(never)
    public mutating func appendInterpolation(_ value: String) { write(value) }

    @inline(never)
    public mutating func appendInterpolation(_ value: Substring) { write(String(value)) }

    @inline(never)
    public mutating func appendInterpolation(_ value: Int64) { write(String(value)) }

    @inline(never)
    public mutating func appendInterpolation(_ value: UInt64) { write(String(value)) }

    // The other integers widen into the two above (64 bits: Int is 32 on armv7): one copy of the
    // digit loop each, not one per type.
    public mutating func appendInterpolation(_ value: Int) { appendInterpolation(Int64(value)) }
    public mutating func appendInterpolation(_ value: Int32) { appendInterpolation(Int64(value)) }
    public mutating func appendInterpolation(_ value: UInt8) { appendInterpolation(UInt64(value)) }
    public mutating func appendInterpolation(_ value: UInt16) { appendInterpolation(UInt64(value)) }
    public mutating func appendInterpolation(_ value: UInt32) { appendInterpolation(UInt64(value)) }
    public mutating func appendInterpolation(_ value: UInt) { appendInterpolation(UInt64(value)) }

    @inline(never)
    public mutating func appendInterpolation(_ value: Bool) { write(value ? "true" : "false") }

    /// Everything else that describes itself (addresses, prefixes, enums): one copy per type.
    @inline(never)
    public mutating func appendInterpolation<T: CustomStringConvertible>(_ value: T) { write(value.description) }
}

/// The standard library's `==` for any Equatable: inside a generic function `==` is the protocol's
/// requirement, so this is String's own comparison even where `==` below shadows it.
@inline(__always)
func standardEqual<T: Equatable>(_ a: T, _ b: T) -> Bool { a == b }

extension String {
    @inline(never)
    public static func == (lhs: String, rhs: String) -> Bool { standardEqual(lhs, rhs) }

    @inline(never)
    public static func != (lhs: String, rhs: String) -> Bool { !standardEqual(lhs, rhs) }

    @inline(never)
    public static func += (lhs: inout String, rhs: String) { lhs.append(rhs) }
}

/// `case "literal":` in a switch over a String.
@inline(never)
public func ~= (pattern: String, value: String) -> Bool { standardEqual(pattern, value) }

// `String(decoding:as: UTF8.self)` of bytes: the standard library's generic initialiser, with its
// validation and repair, was copied into each of ~40 uses. These two are preferred over it for
// arrays and slices (not generic) and call it once, on the bytes' buffer.
extension String {
    @inline(never)
    public init(decoding bytes: [UInt8], as encoding: UTF8.Type) {
        self = bytes.withUnsafeBufferPointer { String(decoding: $0, as: UTF8.self) }
    }

    @inline(never)
    public init(decoding bytes: ArraySlice<UInt8>, as encoding: UTF8.Type) {
        self = bytes.withUnsafeBufferPointer { String(decoding: $0, as: UTF8.self) }
    }
}
