/// The agent's set: the elements in an array, found through a HashIndex (see HashMap for why the
/// standard library's `Set` is not used). Iteration follows insertion order until a removal.
public struct HashSet<Element: Hashable> {
    @usableFromInline var index: HashIndex
    public private(set) var elements: [Element]

    public init() { index = HashIndex(); elements = [] }

    public init<S: Sequence>(_ items: S) where S.Element == Element {
        self.init()
        for e in items { insert(e) }
    }

    public var count: Int { elements.count }
    public var isEmpty: Bool { elements.isEmpty }

    public func contains(_ e: Element) -> Bool { position(of: e) != nil }

    @inline(never) @usableFromInline func position(of e: Element) -> Int? {
        index.find(e.hashValue) { elements[$0] == e }
    }

    @discardableResult
    public mutating func insert(_ e: Element) -> (inserted: Bool, memberAfterInsert: Element) {
        if let i = position(of: e) { return (false, elements[i]) }
        append(e)
        return (true, e)
    }

    @discardableResult
    public mutating func remove(_ e: Element) -> Element? {
        guard let i = position(of: e) else { return nil }
        let member = elements[i]
        remove(at: i)
        return member
    }

    /// Adds an element known to be absent. HashMap keeps its keys in a HashSet through this and
    /// `remove(at:)`, so the hashing code is specialised once per key type, not per key/value pair.
    @inline(never) @usableFromInline mutating func append(_ e: Element) {
        index.append(e.hashValue)
        growGently(&elements)
        elements.append(e)
    }

    /// Removes the element at `i`; the last element takes its place, as HashIndex expects.
    @inline(never) @usableFromInline mutating func remove(at i: Int) {
        index.remove(at: i)
        let last = elements.count - 1
        if i != last { elements.swapAt(i, last) }
        elements.removeLast()
    }

    public mutating func removeAll(keepingCapacity keep: Bool = false) {
        index.removeAll(keepingCapacity: keep)
        elements.removeAll(keepingCapacity: keep)
    }

    /// A set, as `Set.filter` returns.
    public func filter(_ isIncluded: (Element) -> Bool) -> HashSet {
        var out = HashSet()
        for e in elements where isIncluded(e) { out.insert(e) }
        return out
    }

    public mutating func formUnion<S: Sequence>(_ other: S) where S.Element == Element {
        for e in other { insert(e) }
    }

    public func union<S: Sequence>(_ other: S) -> HashSet where S.Element == Element {
        var out = self
        out.formUnion(other)
        return out
    }

    public mutating func subtract<S: Sequence>(_ other: S) where S.Element == Element {
        for e in other { remove(e) }
    }

    public func subtracting(_ other: HashSet) -> HashSet {
        HashSet(elements.filter { !other.contains($0) })
    }

    public func isSubset(of other: HashSet) -> Bool {
        count <= other.count && elements.allSatisfy { other.contains($0) }
    }
}

extension HashSet: ExpressibleByArrayLiteral {
    public init(arrayLiteral elements: Element...) { self.init(elements) }
}

extension HashSet: Sequence {
    public func makeIterator() -> IndexingIterator<[Element]> { elements.makeIterator() }
    public var underestimatedCount: Int { elements.count }
}

/// Order does not matter, as for Set.
extension HashSet: Equatable {
    public static func == (a: HashSet, b: HashSet) -> Bool {
        a.count == b.count && a.isSubset(of: b)
    }
}

extension HashSet: Hashable {
    /// Order-independent: the elements' own hashes, combined commutatively.
    public func hash(into hasher: inout Hasher) {
        var sum = 0
        for e in elements { sum = sum &+ e.hashValue }
        hasher.combine(count)
        hasher.combine(sum)
    }
}

extension HashSet: Sendable where Element: Sendable {}
