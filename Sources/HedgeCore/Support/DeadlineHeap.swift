/// The event loop's timers: one deadline per participant slot, earliest first.
///
/// An indexed binary min-heap: setting a slot's deadline moves it in place (O(log n)), so a
/// participant that reschedules on every packet costs a few comparisons, not a scan of every
/// participant. Slots are small integers the owner hands out; a slot holds at most one deadline.
///
/// A class over storage of its own rather than a struct over arrays: it is touched several times
/// per packet, and arrays would check uniqueness and capacity on every write.
public final class DeadlineHeap {
    /// Heap order: deadlines and their slots, `count` of them.
    private var at: UnsafeMutablePointer<Int64>
    private var slotAt: UnsafeMutablePointer<Int>
    private var capacity: Int
    public private(set) var count = 0
    /// Per slot, its position in the heap, or -1 while it has no deadline.
    private var position: UnsafeMutablePointer<Int>
    private var slots: Int

    public init() {
        capacity = 16; slots = 16
        at = .allocate(capacity: capacity)
        slotAt = .allocate(capacity: capacity)
        position = .allocate(capacity: slots)
        position.initialize(repeating: -1, count: slots)
    }

    deinit {
        at.deallocate(); slotAt.deallocate(); position.deallocate()
    }

    public var isEmpty: Bool { count == 0 }

    /// The earliest deadline and its slot.
    public var first: (at: Int64, slot: Int)? { count == 0 ? nil : (at[0], slotAt[0]) }

    /// The slot's deadline, if it has one.
    public func deadline(_ slot: Int) -> Int64? {
        guard slot >= 0 && slot < slots, position[slot] >= 0 else { return nil }
        return at[position[slot]]
    }

    /// Sets (or, with nil, clears) a slot's deadline.
    public func set(_ slot: Int, _ deadline: Int64?) {
        precondition(slot >= 0, "DeadlineHeap: negative slot")
        if slot >= slots { growSlots(to: slot + 1) }
        let i = position[slot]
        guard let deadline else {
            if i >= 0 { remove(at: i) }
            return
        }
        if i < 0 {
            if count == capacity { grow() }
            at[count] = deadline
            slotAt[count] = slot
            position[slot] = count
            count += 1
            up(count - 1)
        } else if deadline != at[i] {
            let earlier = deadline < at[i]
            at[i] = deadline
            if earlier { up(i) } else { down(i) }
        }
    }

    /// Removes and returns the earliest slot if its deadline is at or before `now`.
    public func popDue(now: Int64) -> Int? {
        guard count > 0, at[0] <= now else { return nil }
        let s = slotAt[0]
        remove(at: 0)
        return s
    }

    private func remove(at i: Int) {
        position[slotAt[i]] = -1
        count -= 1
        if i != count {
            at[i] = at[count]
            slotAt[i] = slotAt[count]
            position[slotAt[i]] = i
            up(i); down(i)
        }
    }

    private func growSlots(to n: Int) {
        let m = max(n, slots * 2)
        let p = UnsafeMutablePointer<Int>.allocate(capacity: m)
        p.initialize(from: position, count: slots)
        (p + slots).initialize(repeating: -1, count: m - slots)
        position.deallocate()
        position = p; slots = m
    }

    private func grow() {
        let m = capacity * 2
        let a = UnsafeMutablePointer<Int64>.allocate(capacity: m)
        a.initialize(from: at, count: count)
        let s = UnsafeMutablePointer<Int>.allocate(capacity: m)
        s.initialize(from: slotAt, count: count)
        at.deallocate(); slotAt.deallocate()
        at = a; slotAt = s; capacity = m
    }

    private func less(_ a: Int, _ b: Int) -> Bool {
        at[a] != at[b] ? at[a] < at[b] : slotAt[a] < slotAt[b]
    }

    private func swapAt(_ a: Int, _ b: Int) {
        let t = at[a]; at[a] = at[b]; at[b] = t
        let s = slotAt[a]; slotAt[a] = slotAt[b]; slotAt[b] = s
        position[slotAt[a]] = a
        position[slotAt[b]] = b
    }

    private func up(_ start: Int) {
        var i = start
        while i > 0 {
            let parent = (i - 1) / 2
            guard less(i, parent) else { return }
            swapAt(i, parent)
            i = parent
        }
    }

    private func down(_ start: Int) {
        var i = start
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < count && less(l, m) { m = l }
            if r < count && less(r, m) { m = r }
            if m == i { return }
            swapAt(i, m)
            i = m
        }
    }
}
