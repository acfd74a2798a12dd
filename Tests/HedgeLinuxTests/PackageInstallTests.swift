import XCTest

/// The amd64 .deb installed on this machine with apt-get, hedge started from it with the unit's
/// own command lines (ExecStartPre, ExecStart, ExecReload) in the namespace lab, then purged:
/// deploy/debian/test-install does the work and says which step failed.
/// HEDGE_BIN reuses a `board/build x86_64` binary; without it the script builds one (~5 min).
final class PackageInstallTests: XCTestCase {
    func testDebInstallsRunsFromItsUnitAndPurgesClean() throws {
        try requireRoot("apt-get install of the hedge .deb, hedge run in the pk-* namespaces")
        let (status, out) = sh("cd \(packageRoot) && deploy/debian/test-install", check: false)
        XCTAssertEqual(status, 0, out)
        XCTAssertTrue(out.contains("test-install: OK"), out)
    }
}
