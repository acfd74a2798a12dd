import XCTest
@testable import HedgeCore

/// Assertions shared by the configuration tests: a config file's text in, its diagnostics checked.
protocol ConfigChecking {}

extension ConfigChecking {
    func parse(_ text: String) -> ConfigResult { ConfigLoader.parse(text, file: "t.conf") }

    func lines(_ r: ConfigResult) -> [String] { r.diagnostics.map { $0.description } }

    /// Exactly these diagnostics (as `file:line:col: severity: message`), in this order.
    func expect(_ text: String, _ expected: [String], file: StaticString = #filePath, line: UInt = #line) {
        let r = parse(text)
        XCTAssertEqual(lines(r), expected, file: file, line: line)
        let hasError = r.diagnostics.contains { $0.severity == .error }
        XCTAssertEqual(r.config == nil, hasError, "config must be nil iff there is an error", file: file, line: line)
    }

    /// One error at line:col whose message contains `fragment`, and possibly other diagnostics.
    func expectError(_ text: String, at l: Int, _ c: Int, _ fragment: String,
                     file: StaticString = #filePath, line: UInt = #line) {
        let r = parse(text)
        XCTAssertNil(r.config, "an error must leave no config", file: file, line: line)
        let hit = r.diagnostics.contains {
            $0.severity == .error && $0.location.line == l && $0.location.column == c && $0.message.contains(fragment)
        }
        XCTAssertTrue(hit, "no error at \(l):\(c) containing \"\(fragment)\"; got:\n" + lines(r).joined(separator: "\n"),
                      file: file, line: line)
    }

    /// One warning at line:col whose message contains `fragment`; the config is still accepted.
    func expectWarning(_ text: String, at l: Int, _ c: Int, _ fragment: String,
                       file: StaticString = #filePath, line: UInt = #line) {
        let r = parse(text)
        XCTAssertNotNil(r.config, "warnings must not reject the config: " + lines(r).joined(separator: "\n"),
                        file: file, line: line)
        XCTAssertEqual(r.diagnostics.filter { $0.severity == .error }.count, 0, file: file, line: line)
        let hit = r.diagnostics.contains {
            $0.severity == .warning && $0.location.line == l && $0.location.column == c && $0.message.contains(fragment)
        }
        XCTAssertTrue(hit, "no warning at \(l):\(c) containing \"\(fragment)\"; got:\n" + lines(r).joined(separator: "\n"),
                      file: file, line: line)
    }
}
