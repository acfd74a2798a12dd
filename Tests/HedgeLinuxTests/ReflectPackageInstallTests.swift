import XCTest

/// The amd64 hedge-reflect .deb installed on this machine with apt-get, the reflector started from
/// its unit's own ExecStart as the unit's user (no capability) in namespace rf-pk, reloaded, stopped,
/// then purged; the unit passes `systemd-analyze verify` and keeps its exposure level low:
/// deploy/debian/test-install-reflect does the work and says which step failed.
/// HEDGE_REFLECT_BIN reuses a `board/build x86_64 hedge-reflect` binary; without it the script builds one.
final class ReflectPackageInstallTests: XCTestCase {
    func testReflectDebInstallsRunsAsItsUserAndPurgesClean() throws {
        try requireRoot("apt-get install of the hedge-reflect .deb, hedge-reflect in the rf-pk namespace")
        let (status, out) = sh("cd \(packageRoot) && deploy/debian/test-install-reflect", check: false)
        XCTAssertEqual(status, 0, out)
        XCTAssertTrue(out.contains("test-install-reflect: OK"), out)
    }
}
