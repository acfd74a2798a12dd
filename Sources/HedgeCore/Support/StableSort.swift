/// The one sort of the agent.
///
/// Every `sorted(by:)` of the standard library is specialised, in Embedded Swift, for each element
/// type and comparison it is used with: ~2.5 KB of aarch64 code per call site's type (merge runs,
/// insertion sort, buffer handling), 15 copies in the agent. Here the sorting itself is one
/// non-generic function over indices, and what remains per type is a comparison closure and a map.
/// Stable, like the standard library's: equal elements keep their order.

/// The permutation that sorts `count` elements by `less` (which compares elements by index).
public func stableOrder(count: Int, by less: (Int, Int) -> Bool) -> [Int] {
    // Through a class box, not as a closure argument: the optimizer clones a function for each
    // closure passed to it directly (closure specialisation), which would bring back one sort per
    // call site.
    withoutActuallyEscaping(less) { mergeOrder(count: count, IndexOrder($0)) }
}

final class IndexOrder {
    let less: (Int, Int) -> Bool
    init(_ less: @escaping (Int, Int) -> Bool) { self.less = less }
}

/// A bottom-up merge sort of the indices 0..<count: O(n log n) comparisons, two Int arrays of scratch.
@inline(never)
func mergeOrder(count: Int, _ order: IndexOrder) -> [Int] {
    let less = order.less
    var a = [Int](repeating: 0, count: count)
    for i in 0..<count { a[i] = i }
    if count < 2 { return a }
    var b = a
    var width = 1
    while width < count {
        var lo = 0
        while lo < count {
            let mid = min(lo + width, count), hi = min(lo + 2 * width, count)
            var i = lo, j = mid, k = lo
            while i < mid && j < hi {
                // Only a strictly smaller right element goes first: that keeps equal elements in order.
                if less(a[j], a[i]) { b[k] = a[j]; j += 1 } else { b[k] = a[i]; i += 1 }
                k += 1
            }
            while i < mid { b[k] = a[i]; i += 1; k += 1 }
            while j < hi { b[k] = a[j]; j += 1; k += 1 }
            lo = hi
        }
        swap(&a, &b)
        width *= 2
    }
    return a
}

extension Sequence {
    /// The elements in `less` order; equal elements keep their order.
    public func stableSorted(by less: (Element, Element) -> Bool) -> [Element] {
        let items = Array(self)
        return stableOrder(count: items.count) { less(items[$0], items[$1]) }.map { items[$0] }
    }
}

extension Sequence where Element: Comparable {
    public func stableSorted() -> [Element] { stableSorted(by: <) }
}

extension Array {
    public mutating func stableSort(by less: (Element, Element) -> Bool) { self = stableSorted(by: less) }
}
