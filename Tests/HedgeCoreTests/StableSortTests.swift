import XCTest
@testable import HedgeCore

final class StableSortTests: XCTestCase {
    func testEmptyAndOne() {
        XCTAssertEqual(stableOrder(count: 0) { _, _ in true }, [])
        XCTAssertEqual([Int]().stableSorted(), [])
        XCTAssertEqual([7].stableSorted(), [7])
    }

    /// Against the standard library's sort, for every length up to 70 (odd runs, the last run short)
    /// and a few long arrays; keys from a small range so that there are many equal ones.
    func testAgreesWithStandardSortAndIsStable() {
        var rng = SystemRandomNumberGenerator()
        for n in Array(0...70) + [257, 1000, 4099] {
            let items = (0..<n).map { i in (key: Int.random(in: 0..<max(1, n / 3), using: &rng), seq: i) }
            let mine = items.stableSorted { $0.key < $1.key }
            let theirs = items.enumerated().sorted { ($0.element.key, $0.offset) < ($1.element.key, $1.offset) }.map { $0.element }
            XCTAssertEqual(mine.map { $0.key }, theirs.map { $0.key }, "n=\(n)")
            XCTAssertEqual(mine.map { $0.seq }, theirs.map { $0.seq }, "n=\(n): equal keys must keep their order")
        }
    }

    func testInPlaceAndDescending() {
        var a = [3, 1, 2, 3, 0]
        a.stableSort(by: >)
        XCTAssertEqual(a, [3, 3, 2, 1, 0])
        XCTAssertEqual(Set([5, 1, 3]).stableSorted(), [1, 3, 5])
    }
}
