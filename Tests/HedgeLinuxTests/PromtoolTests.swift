import Foundation
import XCTest
import HedgeCore

/// Prometheus's own checker on what /metrics serves, and the alert rules with their unit tests
/// (promtool from Debian's `prometheus` package).
final class PromtoolTests: XCTestCase {

    /// promtool's path; skips loudly outside CI when it is missing, fails under CI=true.
    func promtool() throws -> String {
        try requireTool("promtool", install: "prometheus")
    }

    func write(_ text: String) -> String {
        let path = NSTemporaryDirectory() + "hedge-metrics-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).prom"
        try! text.write(toFile: path, atomically: true, encoding: .utf8)
        addTeardownBlock { unlink(path) }
        return path
    }

    /// `promtool check metrics` parses the exposition and lints names, units, HELP and counters:
    /// silence and exit 0 mean it found nothing to say.
    func assertPromtoolAccepts(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let tool = try promtool()
        let (status, out) = sh("\(tool) check metrics < \(write(text))", check: false)
        XCTAssertEqual(status, 0, out, file: file, line: line)
        XCTAssertEqual(out, "", "promtool had something to say", file: file, line: line)
    }

    func testRichSnapshotPassesCheckMetrics() throws {
        try assertPromtoolAccepts(PrometheusRender.text(RichStatusSnapshot.make()))
    }

    func testEmptySnapshotPassesCheckMetrics() throws {
        try assertPromtoolAccepts(PrometheusRender.text(StatusSnapshot(version: "0", routerID: nil, localAS: nil,
                                                                       uptimeMs: 0, nowWallMs: 0)))
    }

    /// The check must be able to fail: a counter without _total and a split family are reported.
    func testCheckMetricsCatchesWhatTheRendererAvoids() throws {
        let tool = try promtool()
        let bad = "# HELP hedge_x Things.\n# TYPE hedge_x counter\nhedge_x 1\n"
        XCTAssertNotEqual(sh("\(tool) check metrics < \(write(bad))", check: false).1, "")
        let split = "# HELP a A.\n# TYPE a gauge\na 1\n# HELP b B.\n# TYPE b gauge\nb 1\n# HELP a A.\n# TYPE a gauge\na{x=\"1\"} 2\n"
        XCTAssertNotEqual(sh("\(tool) check metrics < \(write(split))", check: false).0, 0)
    }

    func testAlertRulesPassCheckRules() throws {
        let tool = try promtool()
        let (status, out) = sh("cd \(packageRoot)/deploy/prometheus && \(tool) check rules alerts.yml", check: false)
        XCTAssertEqual(status, 0, out)
        XCTAssertTrue(out.contains("SUCCESS"), out)
    }

    func testAlertRuleUnitTestsPass() throws {
        let tool = try promtool()
        let (status, out) = sh("cd \(packageRoot)/deploy/prometheus && \(tool) test rules alerts_test.yml", check: false)
        XCTAssertEqual(status, 0, out)
        XCTAssertTrue(out.contains("SUCCESS"), out)
    }

    func testExampleScrapeConfigPassesCheckConfig() throws {
        let tool = try promtool()
        let (status, out) = sh("cd \(packageRoot)/deploy/prometheus && \(tool) check config prometheus.yml", check: false)
        XCTAssertEqual(status, 0, out)
        XCTAssertTrue(out.contains("SUCCESS"), out)
    }
}
