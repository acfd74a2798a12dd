/// The routes of a KernelState, found by their key. A route carries its own key, so the table keeps
/// the routes alone: a HashMap would keep every key twice (its key array beside the routes), 32
/// bytes a route more, and hedge holds tables of ten thousand routes (Azure's private-peering limit
/// with Premium). Reads like HashMap<RouteKey, RouteSpec>: subscript by key, `(key, value)` pairs,
/// `keys`, `values`; iteration order is insertion order until a removal.
public struct RouteTable: Sendable, Sequence {
    var index = HashIndex()
    public private(set) var values: [RouteSpec] = []

    public init() {}

    public var count: Int { values.count }
    public var isEmpty: Bool { values.isEmpty }
    public var keys: [RouteKey] { values.map { $0.key } }

    @inline(never) func position(of key: RouteKey) -> Int? {
        index.find(key.hashValue) { values[$0].key == key }
    }

    /// Setting a route stores it under its own key (`key` must be that key); nil removes.
    public subscript(key: RouteKey) -> RouteSpec? {
        @inline(never) get { position(of: key).map { values[$0] } }
        @inline(never) set {
            if let r = newValue {
                precondition(r.key == key, "RouteTable: a route is stored under its own key")
                if let i = position(of: key) { values[i] = r; return }
                index.append(key.hashValue)
                growGently(&values)
                values.append(r)
            } else if let i = position(of: key) {
                index.remove(at: i)
                let last = values.count - 1
                if i != last { values.swapAt(i, last) }
                values.removeLast()
            }
        }
    }

    public func filter(_ isIncluded: ((key: RouteKey, value: RouteSpec)) -> Bool) -> RouteTable {
        var out = RouteTable()
        for r in values where isIncluded((r.key, r)) { out[r.key] = r }
        return out
    }

    public struct Iterator: IteratorProtocol {
        let values: [RouteSpec]
        var i = 0
        public mutating func next() -> (key: RouteKey, value: RouteSpec)? {
            guard i < values.count else { return nil }
            defer { i += 1 }
            return (values[i].key, values[i])
        }
    }
    public func makeIterator() -> Iterator { Iterator(values: values) }
    public var underestimatedCount: Int { values.count }
}

/// Order does not matter, as for Dictionary.
extension RouteTable: Equatable {
    public static func == (a: RouteTable, b: RouteTable) -> Bool {
        guard a.count == b.count else { return false }
        for r in a.values {
            guard let j = b.position(of: r.key), b.values[j] == r else { return false }
        }
        return true
    }
}
