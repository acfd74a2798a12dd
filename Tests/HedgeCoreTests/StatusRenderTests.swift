import XCTest
import Foundation
@testable import HedgeCore

final class StatusRenderTests: XCTestCase {

    func parseJSON(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> [String: Any] {
        do {
            let obj = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
            guard let dict = obj as? [String: Any] else {
                XCTFail("not a JSON object: \(text)", file: file, line: line); return [:]
            }
            return dict
        } catch {
            XCTFail("invalid JSON (\(error)): \(text)", file: file, line: line); return [:]
        }
    }

    // MARK: JSONWriter

    func testJSONWriterProducesNestedObjectsAndArraysWithCommas() {
        var w = JSONWriter()
        w.beginObject()
        w.string("name", "er"); w.int("n", 3); w.bool("ok", true)
        w.beginArray("list"); w.int(nil, 1); w.int(nil, 2); w.beginObject(); w.endObject(); w.endArray()
        w.beginObject("inner"); w.string("a", nil); w.int("b", nil as Int64?); w.endObject()
        w.endObject()
        XCTAssertEqual(w.text, #"{"name":"er","n":3,"ok":true,"list":[1,2,{}],"inner":{"a":null,"b":null}}"#)
        let d = parseJSON(w.text)
        XCTAssertEqual(d["name"] as? String, "er")
        XCTAssertEqual((d["list"] as? [Any])?.count, 3)
        XCTAssertTrue((d["inner"] as? [String: Any])?["a"] is NSNull)
    }

    func testJSONWriterDecimalIsAFixedPointNumber() {
        var w = JSONWriter()
        w.beginObject(); w.decimal("rtt", 1234, decimals: 3); w.decimal("none", nil, decimals: 3); w.endObject()
        XCTAssertEqual(w.text, #"{"rtt":1.234,"none":null}"#)
        XCTAssertEqual(parseJSON(w.text)["rtt"] as? Double, 1.234)
    }

    func testStringsEscapeQuotesBackslashesAndControlCharacters() {
        XCTAssertEqual(quote("plain"), #""plain""#)
        XCTAssertEqual(quote("say \"hi\""), #""say \"hi\"""#)
        XCTAssertEqual(quote(#"C:\dir"#), #""C:\\dir""#)
        XCTAssertEqual(quote("a\nb\rc\td"), #""a\nb\rc\td""#)
        XCTAssertEqual(quote("\u{0}\u{1}\u{1f}"), #""\u0000\u0001\u001f""#)
        XCTAssertEqual(quote("é ✓ \u{7f}"), "\"é ✓ \u{7f}\"")
    }

    func testEscapedStringsRoundTripThroughJSONSerialization() {
        let nasty = "q\"b\\s/n\nr\rt\tnul\u{0}bel\u{7}esc\u{1b}us\u{1f}é😀"
        var w = JSONWriter()
        w.beginObject(); w.string(nasty, nasty); w.endObject()
        XCTAssertEqual(parseJSON(w.text)[nasty] as? String, nasty)
    }

    func testFormatDecimal() {
        XCTAssertEqual(formatDecimal(12345, decimals: 3), "12.345")
        XCTAssertEqual(formatDecimal(5, decimals: 3), "0.005")
        XCTAssertEqual(formatDecimal(0, decimals: 3), "0.000")
        XCTAssertEqual(formatDecimal(-5, decimals: 3), "-0.005")
        XCTAssertEqual(formatDecimal(-1500, decimals: 3), "-1.500")
        XCTAssertEqual(formatDecimal(42, decimals: 0), "42")
        XCTAssertEqual(formatDecimal(-42, decimals: 0), "-42")
        XCTAssertEqual(formatDecimal(7, decimals: 1), "0.7")
    }

    // MARK: CivilTime

    func testCivilTimeOfTheEpoch() {
        XCTAssertEqual(CivilTime(epochMs: 0).iso8601, "1970-01-01T00:00:00.000Z")
    }

    func testCivilTimeOfLeapDays() {
        XCTAssertEqual(CivilTime(epochMs: 1_709_164_800_000).iso8601, "2024-02-29T00:00:00.000Z")
        XCTAssertEqual(CivilTime(epochMs: 1_709_251_199_999).iso8601, "2024-02-29T23:59:59.999Z")
        XCTAssertEqual(CivilTime(epochMs: 1_709_251_200_000).iso8601, "2024-03-01T00:00:00.000Z")
        XCTAssertEqual(CivilTime(epochMs: 951_782_400_000).iso8601, "2000-02-29T00:00:00.000Z")
        XCTAssertEqual(CivilTime(epochMs: 4_107_542_400_000).iso8601, "2100-03-01T00:00:00.000Z")  // 2100 is no leap year
    }

    func testCivilTimeFieldsAndTimeOfDay() {
        let t = CivilTime(epochMs: 1_795_714_801_234)
        XCTAssertEqual(t.iso8601, "2026-11-26T17:40:01.234Z")
        XCTAssertEqual(t.timeOfDay, "17:40:01.234")
        XCTAssertEqual([t.year, t.month, t.day, t.hour, t.minute, t.second, t.millisecond],
                       [2026, 11, 26, 17, 40, 1, 234])
    }

    func testCivilTimeBeforeTheEpoch() {
        XCTAssertEqual(CivilTime(epochMs: -1).iso8601, "1969-12-31T23:59:59.999Z")
        XCTAssertEqual(CivilTime(epochMs: -1000).iso8601, "1969-12-31T23:59:59.000Z")
        XCTAssertEqual(CivilTime(epochMs: -86_400_000).iso8601, "1969-12-31T00:00:00.000Z")
        XCTAssertEqual(CivilTime(epochMs: -2_203_848_000_000).iso8601, "1900-03-01T12:00:00.000Z")
    }

    // MARK: humanDuration

    func testHumanDurationPicksTheUnitsLikeBirdc() {
        XCTAssertEqual(humanDuration(0), "0ms")
        XCTAssertEqual(humanDuration(850), "850ms")
        XCTAssertEqual(humanDuration(999), "999ms")
        XCTAssertEqual(humanDuration(1000), "1.000s")
        XCTAssertEqual(humanDuration(12_345), "12.345s")
        XCTAssertEqual(humanDuration(59_999), "59.999s")
        XCTAssertEqual(humanDuration(60_000), "1m00s")
        XCTAssertEqual(humanDuration(192_000), "3m12s")
        XCTAssertEqual(humanDuration(3_599_999), "59m59s")
        XCTAssertEqual(humanDuration(3_600_000), "1h00m")
        XCTAssertEqual(humanDuration(7_500_000), "2h05m")
        XCTAssertEqual(humanDuration(86_400_000), "1d00h")
        XCTAssertEqual(humanDuration((4 * 86_400 + 3 * 3600 + 59) * 1000), "4d03h")
    }

    // MARK: StatusRender

    func snapshot() -> StatusSnapshot {
        var s = StatusSnapshot(version: "1.2.3", routerID: "192.0.2.1", localAS: 65010,
                               uptimeMs: 7_500_000, nowWallMs: 1_795_714_801_234)
        var er = PathStatus(name: "expressroute", priority: 10, device: "er0", gateway: "192.168.10.2",
                            health: .down, reason: "probe lost", forMs: 12_345, flaps: 2)
        er.signals = [SignalStatus(kind: "carrier", health: .up, reason: "", forMs: 60_000),
                      SignalStatus(kind: "probe", health: .down, reason: "3 lost", forMs: 12_345)]
        er.probe = ProbeStatus(kind: "icmp", target: "10.200.0.4", intervalMs: 10, threshold: 3,
                               sent: 100, received: 97, lost: 3, rttUs: 1234)
        let vpn = PathStatus(name: "vpn", priority: 20, device: "vpn0", gateway: nil,
                             health: .up, reason: "", forMs: nil, flaps: 0)
        s.paths = [er, vpn]
        var g = GroupStatus(name: "azure", active: "vpn", prefixes: ["10.200.0.0/16"], nexthopID: 4800,
                            holdDownMs: 30_000, switches: 1,
                            lastSwitch: SwitchEvent(kind: "failover", from: "expressroute", to: "vpn",
                                                    reason: "probe lost", wallMs: 1_795_714_789_000),
                            stranded: nil)
        g.members = [MemberStatus(path: "expressroute", suppressed: false, penalty: 1000, holdDownRemainingMs: 17_655),
                     MemberStatus(path: "vpn", suppressed: false, penalty: 0, holdDownRemainingMs: nil)]
        s.groups = [g]
        s.kernel.nexthopObjects = true
        s.kernel.protocolID = 88
        s.kernel.changes = 3
        return s
    }

    func testTableRendersAlignedColumns() {
        let expected = """
            hedge 1.2.3  router-id 192.0.2.1  AS65010  up 2h05m  2026-11-26T17:40:01.234Z

            Path          Prio  Device  State  Since    Info
            expressroute  10    er0     down   12.345s  carrier up; probe down (3 lost) 10.200.0.4 rtt 1.234ms 97/100; flaps 2
            vpn           20    vpn0    up     -

            Group  Active  Prefixes       Nexthop  Last change
            azure  vpn     10.200.0.0/16  4800     17:39:49.000 failover expressroute -> vpn: probe lost
              azure: expressroute in hold-down, 17.655s left

            Kernel: nexthop objects, proto 88, 3 changes, 0 resyncs, 0 errors

            """
        XCTAssertEqual(StatusRender.table(snapshot()), expected)
    }

    func testTableLinesHaveNoTrailingSpaces() {
        for line in StatusRender.table(snapshot()).split(separator: "\n") {
            XCTAssertFalse(line.hasSuffix(" "), "trailing space: \(line)")
        }
    }

    func testTableShowsGroupsWithoutActivePathAndKernelErrors() {
        var s = StatusSnapshot(version: "1.2.3", routerID: nil, localAS: nil, uptimeMs: 850, nowWallMs: 0)
        s.groups = [GroupStatus(name: "g", active: nil, prefixes: ["10.1.0.0/16", "10.2.0.0/16"], nexthopID: 7,
                                holdDownMs: 0, switches: 0, lastSwitch: nil, stranded: "no healthy path")]
        s.groups[0].members = [MemberStatus(path: "er", suppressed: true, penalty: 3500, holdDownRemainingMs: nil)]
        s.kernel.errors = 1
        s.kernel.lastError = "RTM_NEWNEXTHOP: File exists"
        let t = StatusRender.table(s)
        XCTAssertTrue(t.hasPrefix("hedge 1.2.3  up 850ms  1970-01-01T00:00:00.000Z\n"), t)
        XCTAssertTrue(t.contains("\ng      none    2         7        - [no healthy path]\n"), t)
        XCTAssertTrue(t.contains("  g: er suppressed (damping penalty 3500)\n"), t)
        XCTAssertTrue(t.contains("Kernel: per-route replace (no nexthop objects), proto 0, 0 changes, 0 resyncs, 1 errors\n"), t)
        XCTAssertTrue(t.hasSuffix("Last error: RTM_NEWNEXTHOP: File exists\n"), t)
    }

    func testJSONParsesAndCarriesTheFields() throws {
        let text = StatusRender.json(snapshot())
        XCTAssertTrue(text.hasSuffix("}\n"))
        let d = parseJSON(text)
        XCTAssertEqual(d["version"] as? String, "1.2.3")
        XCTAssertEqual(d["router_id"] as? String, "192.0.2.1")
        XCTAssertEqual(d["local_as"] as? Int, 65010)
        XCTAssertEqual(d["uptime_ms"] as? Int, 7_500_000)
        XCTAssertEqual(d["time_ms"] as? Int, 1_795_714_801_234)

        let paths = try XCTUnwrap(d["paths"] as? [[String: Any]])
        XCTAssertEqual(paths.map { $0["name"] as? String }, ["expressroute", "vpn"])
        XCTAssertEqual(paths[0]["state"] as? String, "down")
        XCTAssertEqual(paths[0]["since_ms_ago"] as? Int, 12_345)
        XCTAssertTrue(paths[1]["gateway"] is NSNull)
        XCTAssertTrue(paths[1]["since_ms_ago"] is NSNull)
        XCTAssertNil(paths[1]["probe"], "no probe object for an unprobed path")
        let signals = try XCTUnwrap(paths[0]["signals"] as? [[String: Any]])
        XCTAssertEqual(signals.map { $0["kind"] as? String }, ["carrier", "probe"])
        let probe = try XCTUnwrap(paths[0]["probe"] as? [String: Any])
        XCTAssertEqual(probe["target"] as? String, "10.200.0.4")
        XCTAssertEqual(probe["lost"] as? Int, 3)
        XCTAssertEqual(probe["rtt_ms"] as? Double, 1.234)

        let groups = try XCTUnwrap(d["groups"] as? [[String: Any]])
        XCTAssertEqual(groups[0]["active"] as? String, "vpn")
        XCTAssertEqual(groups[0]["prefixes"] as? [String], ["10.200.0.0/16"])
        XCTAssertEqual(groups[0]["nexthop_id"] as? Int, 4800)
        XCTAssertTrue(groups[0]["stranded"] is NSNull)
        let last = try XCTUnwrap(groups[0]["last_switch"] as? [String: Any])
        XCTAssertEqual(last["from"] as? String, "expressroute")
        XCTAssertEqual(last["time_ms"] as? Int, 1_795_714_789_000)
        let members = try XCTUnwrap(groups[0]["members"] as? [[String: Any]])
        XCTAssertEqual(members[0]["hold_down_remaining_ms"] as? Int, 17_655)
        XCTAssertEqual(members[0]["suppressed"] as? Bool, false)

        let kernel = try XCTUnwrap(d["kernel"] as? [String: Any])
        XCTAssertEqual(kernel["nexthop_objects"] as? Bool, true)
        XCTAssertEqual(kernel["protocol"] as? Int, 88)
        XCTAssertTrue(kernel["last_error"] is NSNull)
    }

    func testJSONOfAnEmptySnapshotHasNullsAndEmptyArrays() {
        let d = parseJSON(StatusRender.json(StatusSnapshot(version: "x", routerID: nil, localAS: nil,
                                                          uptimeMs: 0, nowWallMs: 0)))
        XCTAssertTrue(d["router_id"] is NSNull)
        XCTAssertTrue(d["local_as"] is NSNull)
        XCTAssertEqual((d["paths"] as? [Any])?.count, 0)
        XCTAssertEqual((d["groups"] as? [Any])?.count, 0)
    }
}
