/// The hashing behind HashMap and HashSet, written once for all of them: an open-addressing table
/// (linear probing, at most three quarters full) of positions into the owner's arrays, plus the low
/// 32 bits of each entry's hash (enough to place it and to skip most non-matches; the owner's
/// `matches` decides).
/// It never sees a key: the owner hashes, and answers "is the entry at this position the one I
/// want?" through `matches`, so none of this is specialised per key type.
///
/// Removal is backward-shift deletion (no tombstones, so lookups never slow down with churn), and
/// the owner's last entry moves into the hole, so positions stay dense.
public struct HashIndex: Sendable {
    /// Entry position + 1; 0 is an empty slot. Int32: the agent's tables hold thousands of entries.
    @usableFromInline var slots: [Int32] = []
    @usableFromInline var hashes: [UInt32] = []

    public init() {}

    public var count: Int { hashes.count }

    @inline(never)
    public func find(_ hash: Int, _ matches: (Int) -> Bool) -> Int? {
        if slots.isEmpty { return nil }
        let h = UInt32(truncatingIfNeeded: hash)
        let mask = slots.count - 1
        var s = Int(truncatingIfNeeded: h) & mask
        while true {
            let p = Int(slots[s]) - 1
            if p < 0 { return nil }
            if hashes[p] == h && matches(p) { return p }
            s = (s + 1) & mask
        }
    }

    /// Registers a new entry at position `count` (the owner appends it to its arrays).
    @inline(never)
    public mutating func append(_ hash: Int) {
        growGently(&hashes)
        hashes.append(UInt32(truncatingIfNeeded: hash))
        if hashes.count * 4 > slots.count * 3 {
            rebuild(capacity: max(8, slots.count * 2))
        } else {
            place(hashes.count - 1)
        }
    }

    /// Forgets the entry at `position`; the last entry takes its position, as the owner's
    /// `swapAt(position, last)` + `removeLast()` does to its arrays.
    @inline(never)
    public mutating func remove(at position: Int) {
        let last = hashes.count - 1
        vacate(slot(of: position))
        if position != last {
            slots[slot(of: last)] = Int32(position + 1)
            hashes[position] = hashes[last]
        }
        hashes.removeLast()
    }

    @inline(never)
    public mutating func removeAll(keepingCapacity keep: Bool) {
        hashes.removeAll(keepingCapacity: keep)
        if keep {
            for i in slots.indices { slots[i] = 0 }
        } else {
            slots = []
        }
    }

    private mutating func place(_ position: Int) {
        let mask = slots.count - 1
        var s = Int(truncatingIfNeeded: hashes[position]) & mask
        while slots[s] != 0 { s = (s + 1) & mask }
        slots[s] = Int32(position + 1)
    }

    private mutating func rebuild(capacity: Int) {
        slots = [Int32](repeating: 0, count: capacity)
        for p in hashes.indices { place(p) }
    }

    private func slot(of position: Int) -> Int {
        let mask = slots.count - 1
        var s = Int(truncatingIfNeeded: hashes[position]) & mask
        while Int(slots[s]) - 1 != position { s = (s + 1) & mask }
        return s
    }

    /// Backward-shift deletion: pulls later members of the probe run into the hole, so every
    /// remaining entry stays reachable from its home slot without tombstones.
    private mutating func vacate(_ slot: Int) {
        let mask = slots.count - 1
        var hole = slot
        var j = slot
        while true {
            j = (j + 1) & mask
            let p = Int(slots[j]) - 1
            if p < 0 { break }
            let home = Int(truncatingIfNeeded: hashes[p]) & mask
            // Stays if its home lies cyclically in (hole, j]: moving it would put it before home.
            let stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j)
            if stays { continue }
            slots[hole] = slots[j]
            hole = j
        }
        slots[hole] = 0
    }
}

/// Makes room for one more element in a large table by a quarter of its size, where `append` would
/// double it: a table of 10,001 routes would otherwise hold room for 16,384, and the agent keeps
/// several tables that size. Still amortised O(1) per element; small tables grow as usual.
@inline(__always)
func growGently<T>(_ a: inout [T]) {
    if a.count == a.capacity && a.count >= 1024 { a.reserveCapacity(a.count + a.count / 4) }
}
