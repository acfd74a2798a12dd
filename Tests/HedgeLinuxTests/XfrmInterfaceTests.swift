import XCTest
import CHedge
import HedgeCore
@testable import HedgeLinux

/// The route-based tunnel's XFRM interface over rtnetlink, against this machine's real kernel. A
/// kernel without the xfrm driver (this CI machine's) must refuse with the netlink error, naming the
/// interface; one with it (Debian's, in the VM lab) must create it and show it with its if_id.
final class XfrmInterfaceTests: XCTestCase {
    var ns: Netns!

    override func setUpWithError() throws {
        try requireRoot("XFRM interface over netlink in a network namespace")
        ns = Netns("xi")
        ns.enter()
    }

    override func tearDown() {
        ns?.leave()
        ns = nil
    }

    func testCreateOrRefusalNamesTheInterface() throws {
        let k = try RouteNetlink(protocolID: 88)
        let x = XfrmInterface(name: "ipsec0", ifID: 42)
        let hasDriver = sh("modinfo xfrm_interface >/dev/null 2>&1 || grep -qw xfrm_interface /proc/modules", check: false).0 == 0
        if let refusal = try k.createXfrmInterface(x) {
            XCTAssertEqual(refusal.request, "RTM_NEWLINK")
            XCTAssertEqual(refusal.object, "xfrm interface ipsec0 if_id 42")
            XCTAssertEqual(refusal.errno, EOPNOTSUPP, refusal.description)
            XCTAssertTrue(refusal.description.contains("Unknown device type"), refusal.description)
            XCTAssertFalse(hasDriver, "the kernel has the driver but refused: \(refusal)")
            XCTAssertTrue(try k.xfrmInterfaces().isEmpty)
            print("note: this kernel has no XFRM interfaces (\(refusal)); the VM lab covers creation")
            return
        }
        // A kernel with the driver: the interface is there with its if_id, and a second one with the
        // same if_id is refused.
        let found = try k.xfrmInterfaces()
        XCTAssertEqual(found.map { $0.1 }, [x])
        XCTAssertTrue(ns.ip("-d link show ipsec0").contains("if_id 0x2a"))
        let dup = try k.createXfrmInterface(XfrmInterface(name: "ipsec1", ifID: 42))
        XCTAssertEqual(dup?.errno, EEXIST)
        XCTAssertNil(try k.deleteLink(index: found[0].0, name: "ipsec0"))
        XCTAssertTrue(try k.xfrmInterfaces().isEmpty)
    }
}
