// `x == nil` and `x != nil`, as a test of the case only.
//
// Where the wrapped type is Equatable, the type checker picks the standard library's Equatable `==`
// (and `Equatable.!=`) for a comparison with `nil`, over its `_OptionalNilComparisonType` overload:
// the literal becomes an `Optional<Wrapped>.none` and the whole derived equality of the wrapped type
// is compiled in, then inlined (a `PathConfig`'s `ipsec != nil` carried IPsecConfig's, keying and
// proposal included). The declarations here are found before the standard library's (as in
// StringOutOfLine.swift), so a comparison with `nil` reads the tag and nothing else.

extension Optional {
    @inline(__always)
    public static func == (lhs: Wrapped?, rhs: _OptionalNilComparisonType) -> Bool {
        if case .some = lhs { return false } else { return true }
    }

    @inline(__always)
    public static func != (lhs: Wrapped?, rhs: _OptionalNilComparisonType) -> Bool {
        if case .some = lhs { return true } else { return false }
    }

    @inline(__always)
    public static func == (lhs: _OptionalNilComparisonType, rhs: Wrapped?) -> Bool { rhs == nil }

    @inline(__always)
    public static func != (lhs: _OptionalNilComparisonType, rhs: Wrapped?) -> Bool { rhs != nil }
}

// Two optionals compared (`routes[key] != route`): one copy of the comparison per wrapped type, not
// the wrapped type's whole equality at every use.
extension Optional where Wrapped: Equatable {
    @inline(never)
    public static func == (lhs: Wrapped?, rhs: Wrapped?) -> Bool {
        switch (lhs, rhs) {
        case let (l?, r?): return l == r
        case (nil, nil): return true
        default: return false
        }
    }

    @inline(never)
    public static func != (lhs: Wrapped?, rhs: Wrapped?) -> Bool { !(lhs == rhs) }
}

// The same for arrays: the standard library's `==` is inlinable and was copied, element loop and all,
// into the derived equality of every struct holding an array.
extension Array where Element: Equatable {
    @inline(never)
    public static func == (lhs: [Element], rhs: [Element]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        for i in lhs.indices where !standardEqual(lhs[i], rhs[i]) { return false }
        return true
    }

    @inline(never)
    public static func != (lhs: [Element], rhs: [Element]) -> Bool { !(lhs == rhs) }
}
