/// The event loop's timers: one deadline per participant slot, earliest first.
///
/// An indexed binary min-heap: setting a slot's deadline moves it in place (O(log n)), so a
/// participant that reschedules on every packet costs a few comparisons, not a scan of every
/// participant. Slots are small integers the owner hands out; a slot holds at most one deadline.
public struct DeadlineHeap: Sendable {
    /// Heap order: (deadline, slot).
    private var heap: [(at: Int64, slot: Int)] = []
    /// Per slot, its position in `heap`, or -1 while it has no deadline.
    private var position: [Int] = []

    public init() {}

    public var isEmpty: Bool { heap.isEmpty }
    public var count: Int { heap.count }

    /// The earliest deadline and its slot.
    public var first: (at: Int64, slot: Int)? { heap.first }

    /// The slot's deadline, if it has one.
    public func deadline(_ slot: Int) -> Int64? {
        guard slot >= 0 && slot < position.count, position[slot] >= 0 else { return nil }
        return heap[position[slot]].at
    }

    /// Sets (or, with nil, clears) a slot's deadline.
    public mutating func set(_ slot: Int, _ at: Int64?) {
        precondition(slot >= 0, "DeadlineHeap: negative slot")
        while position.count <= slot { position.append(-1) }
        let i = position[slot]
        guard let at else {
            if i >= 0 { remove(at: i) }
            return
        }
        if i < 0 {
            heap.append((at, slot))
            position[slot] = heap.count - 1
            up(heap.count - 1)
        } else if at != heap[i].at {
            let earlier = at < heap[i].at
            heap[i].at = at
            if earlier { up(i) } else { down(i) }
        }
    }

    /// Removes and returns the earliest slot if its deadline is at or before `now`.
    public mutating func popDue(now: Int64) -> Int? {
        guard let f = heap.first, f.at <= now else { return nil }
        remove(at: 0)
        return f.slot
    }

    private mutating func remove(at i: Int) {
        position[heap[i].slot] = -1
        let last = heap.count - 1
        if i != last {
            heap[i] = heap[last]
            position[heap[i].slot] = i
            heap.removeLast()
            up(i); down(i)
        } else {
            heap.removeLast()
        }
    }

    private func less(_ a: Int, _ b: Int) -> Bool {
        heap[a].at != heap[b].at ? heap[a].at < heap[b].at : heap[a].slot < heap[b].slot
    }

    private mutating func swapAt(_ a: Int, _ b: Int) {
        heap.swapAt(a, b)
        position[heap[a].slot] = a
        position[heap[b].slot] = b
    }

    private mutating func up(_ start: Int) {
        var i = start
        while i > 0 {
            let parent = (i - 1) / 2
            guard less(i, parent) else { return }
            swapAt(i, parent)
            i = parent
        }
    }

    private mutating func down(_ start: Int) {
        var i = start
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < heap.count && less(l, m) { m = l }
            if r < heap.count && less(r, m) { m = r }
            if m == i { return }
            swapAt(i, m)
            i = m
        }
    }
}
