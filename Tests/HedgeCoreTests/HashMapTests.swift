import XCTest
@testable import HedgeCore

/// HashMap and HashSet stand in for Dictionary and Set everywhere in the agent: checked against
/// the standard library's own types, operation by operation, on a pseudo-random workload.
final class HashMapTests: XCTestCase {
    func testMatchesDictionaryUnderRandomOperations() {
        var rng = SplitMix(seed: 7)
        var ours: HashMap<Int, String> = [:]
        var theirs: [Int: String] = [:]
        for step in 0..<20_000 {
            let k = Int(rng.next() % 300)
            switch rng.next() % 5 {
            case 0, 1: ours[k] = "v\(step)"; theirs[k] = "v\(step)"
            case 2: XCTAssertEqual(ours.removeValue(forKey: k), theirs.removeValue(forKey: k))
            case 3: ours[k, default: ""] += "x"; theirs[k, default: ""] += "x"
            default: XCTAssertEqual(ours.updateValue("u", forKey: k), theirs.updateValue("u", forKey: k))
            }
            XCTAssertEqual(ours.count, theirs.count)
            XCTAssertEqual(ours[k], theirs[k])
        }
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: ours.map { ($0.key, $0.value) }), theirs)
        XCTAssertEqual(Set(ours.keys), Set(theirs.keys))
    }

    func testEqualityAndHashIgnoreOrder() {
        let a: HashMap<String, Int> = ["a": 1, "b": 2, "c": 3]
        var b: HashMap<String, Int> = ["c": 3, "a": 1]
        XCTAssertNotEqual(a, b)
        b["b"] = 2
        XCTAssertEqual(a, b)
        XCTAssertEqual(a.hashValue, b.hashValue)
        b["b"] = 5
        XCTAssertNotEqual(a, b)
    }

    func testRemovalKeepsEveryOtherEntryReachable() {
        var m: HashMap<Int, Int> = [:]
        for i in 0..<100 { m[i] = i * i }
        for i in stride(from: 0, to: 100, by: 3) { m[i] = nil }
        for i in 0..<100 { XCTAssertEqual(m[i], i % 3 == 0 ? nil : i * i) }
        XCTAssertEqual(m.count, 66)
        XCTAssertEqual(m.keys.count, m.values.count)
        for (k, v) in m { XCTAssertEqual(v, k * k) }
    }

    func testDefaultSubscriptMutatesInPlace() {
        var m: HashMap<String, [Int]> = [:]
        for i in 0..<5 { m["x", default: []].append(i) }
        XCTAssertEqual(m["x"], [0, 1, 2, 3, 4])
        XCTAssertEqual(m.mapValues { $0.count }, ["x": 5])
        XCTAssertEqual(m.filter { $0.value.isEmpty }.count, 0)
    }

    func testSetMatchesStandardSet() {
        var rng = SplitMix(seed: 11)
        var ours = HashSet<UInt32>()
        var theirs = Set<UInt32>()
        for _ in 0..<20_000 {
            let e = UInt32(rng.next() % 200)
            if rng.next() % 2 == 0 {
                XCTAssertEqual(ours.insert(e).inserted, theirs.insert(e).inserted)
            } else {
                XCTAssertEqual(ours.remove(e), theirs.remove(e))
            }
            XCTAssertEqual(ours.count, theirs.count)
            XCTAssertEqual(ours.contains(e), theirs.contains(e))
        }
        XCTAssertEqual(Set(ours), theirs)
        let other: HashSet<UInt32> = [1, 2, 3, 500]
        XCTAssertEqual(Set(ours.subtracting(other)), theirs.subtracting([1, 2, 3, 500]))
        XCTAssertEqual(Set(ours.union(other)), theirs.union([1, 2, 3, 500]))
        XCTAssertEqual(Set(ours.filter { $0 % 2 == 0 }), theirs.filter { $0 % 2 == 0 })
    }

    func testSetEqualityAndHashIgnoreOrder() {
        let a: HashSet<String> = ["x", "y", "z"]
        let b: HashSet<String> = ["z", "x", "y"]
        XCTAssertEqual(a, b)
        XCTAssertEqual(a.hashValue, b.hashValue)
        XCTAssertNotEqual(a, ["x", "y"])
        XCTAssertTrue(HashSet(["x"]).isSubset(of: a))
    }
}

/// A small deterministic generator, so a failure reproduces.
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Every key lands in one of three home slots: long probe runs, and removals from their middle.
private struct Colliding: Hashable {
    var v: Int
    func hash(into h: inout Hasher) { h.combine(v % 3) }
}

extension HashMapTests {
    func testCollidingKeysSurviveRemovalFromProbeRuns() {
        var rng = SplitMix(seed: 3)
        var ours = HashMap<Colliding, Int>()
        var theirs: [Int: Int] = [:]
        for step in 0..<5_000 {
            let k = Int(rng.next() % 64)
            if rng.next() % 3 == 0 {
                XCTAssertEqual(ours.removeValue(forKey: Colliding(v: k)), theirs.removeValue(forKey: k))
            } else {
                ours[Colliding(v: k)] = step
                theirs[k] = step
            }
            for probe in 0..<64 { XCTAssertEqual(ours[Colliding(v: probe)], theirs[probe], "step \(step)") }
        }
        var kept = ours
        kept.removeAll(keepingCapacity: true)
        XCTAssertTrue(kept.isEmpty)
        kept[Colliding(v: 1)] = 1
        XCTAssertEqual(kept[Colliding(v: 1)], 1)
        XCTAssertEqual(ours.count, theirs.count)
    }
}
