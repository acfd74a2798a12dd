/// The agent's dictionary: keys and values in two arrays, found through a HashIndex.
///
/// Why not `Dictionary`: Embedded Swift specialises all of Dictionary's storage code (resize,
/// copy, delete, allocate, deinit) for every key/value pair it meets, 1.5–5 KB of text each, and
/// the agent had some sixty pairs (~100 KB of a 1 MB binary). Here the hashing is written once,
/// in HashIndex; what is left per pair is a few array operations.
///
/// The keys are a HashSet, so the hashing code is specialised per key type; per key/value pair
/// there is only the values array.
///
/// Iteration follows insertion order until a removal, which moves the last entry into the hole.
/// Code that needs a stable order sorts, as it did with `Dictionary`.
public struct HashMap<Key: Hashable, Value> {
    @usableFromInline var table: HashSet<Key>
    public private(set) var values: [Value]

    public init() { table = HashSet(); values = [] }

    public var keys: [Key] { table.elements }

    public init<S: Sequence>(uniqueKeysWithValues pairs: S) where S.Element == (Key, Value) {
        self.init()
        for (k, v) in pairs {
            precondition(position(of: k) == nil, "HashMap(uniqueKeysWithValues:): duplicate key")
            append(k, v)
        }
    }

    public var count: Int { values.count }
    public var isEmpty: Bool { values.isEmpty }

    public subscript(key: Key) -> Value? {
        @inline(never) get {
            guard let i = position(of: key) else { return nil }
            return values[i]
        }
        // Not through updateValue/removeValue: they copy out the old value, which nearly every
        // `map[k] = v` throws away (~5 KB of aarch64 over the agent's ~40 pairs).
        @inline(never) set {
            guard let v = newValue else {
                if let i = position(of: key) { remove(at: i) }
                return
            }
            if let i = position(of: key) { values[i] = v } else { append(key, v) }
        }
    }

    /// In place, as Dictionary's: `map[k, default: []].append(x)` must not copy the array.
    public subscript(key: Key, default value: @autoclosure () -> Value) -> Value {
        get { self[key] ?? value() }
        _modify {
            let i: Int
            if let at = position(of: key) { i = at } else { i = values.count; append(key, value()) }
            yield &values[i]
        }
    }

    @discardableResult @inline(never)
    public mutating func updateValue(_ value: Value, forKey key: Key) -> Value? {
        if let i = position(of: key) {
            let old = values[i]
            values[i] = value
            return old
        }
        append(key, value)
        return nil
    }

    @discardableResult
    public mutating func removeValue(forKey key: Key) -> Value? {
        guard let i = position(of: key) else { return nil }
        let old = values[i]
        remove(at: i)
        return old
    }

    /// The last entry takes the place of the removed one (HashIndex's rule).
    @inline(never) @usableFromInline mutating func remove(at i: Int) {
        table.remove(at: i)
        let last = values.count - 1
        if i != last { values.swapAt(i, last) }
        values.removeLast()
    }

    public mutating func removeAll(keepingCapacity keep: Bool = false) {
        table.removeAll(keepingCapacity: keep)
        values.removeAll(keepingCapacity: keep)
    }

    public func mapValues<T, E: Error>(_ transform: (Value) throws(E) -> T) throws(E) -> HashMap<Key, T> {
        var out = HashMap<Key, T>()
        out.table = table
        out.values.reserveCapacity(values.count)
        for v in values { out.values.append(try transform(v)) }
        return out
    }

    /// A map, as `Dictionary.filter` returns.
    public func filter(_ isIncluded: ((key: Key, value: Value)) -> Bool) -> HashMap {
        var out = HashMap()
        let keys = table.elements
        for i in keys.indices where isIncluded((keys[i], values[i])) { out.append(keys[i], values[i]) }
        return out
    }

    @usableFromInline func position(of key: Key) -> Int? { table.position(of: key) }

    @usableFromInline mutating func append(_ key: Key, _ value: Value) {
        table.append(key)
        growGently(&values)
        values.append(value)
    }
}

extension HashMap: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (Key, Value)...) {
        self.init(uniqueKeysWithValues: elements)
    }
}

extension HashMap: Sequence {
    public struct Iterator: IteratorProtocol {
        let keys: [Key]
        let values: [Value]
        var i = 0
        public mutating func next() -> (key: Key, value: Value)? {
            guard i < keys.count else { return nil }
            defer { i += 1 }
            return (keys[i], values[i])
        }
    }
    public func makeIterator() -> Iterator { Iterator(keys: table.elements, values: values) }
    public var underestimatedCount: Int { values.count }
}

/// Order does not matter, as for Dictionary.
extension HashMap: Equatable where Value: Equatable {
    public static func == (a: HashMap, b: HashMap) -> Bool {
        guard a.count == b.count else { return false }
        for i in a.keys.indices {
            guard let j = b.position(of: a.keys[i]), a.values[i] == b.values[j] else { return false }
        }
        return true
    }
}

extension HashMap: Hashable where Value: Hashable {
    /// Order-independent, like `==`: each entry's hash, combined commutatively.
    public func hash(into hasher: inout Hasher) {
        var sum = 0
        for i in keys.indices {
            var h = Hasher()
            h.combine(keys[i])
            h.combine(values[i])
            sum = sum &+ h.finalize()
        }
        hasher.combine(keys.count)
        hasher.combine(sum)
    }
}

extension HashMap: Sendable where Key: Sendable, Value: Sendable {}
