import Foundation
import XCTest

/// Both directions in a lab whose Azure side routes as Azure does (lab/azure.sh): hedge's BGP over
/// the VPN to Azure's VPN gateway (AS 65515, APIPA), and return-path steering with more-specifics.
final class LabTwoWayTests: XCTestCase {
    override func setUpWithError() throws {
        try requireRoot("hedge's BGP over the VPN against Azure's routing (FRR) in the namespace lab")
        try requireTool("/usr/lib/frr/bgpd", "/usr/lib/frr/bfdd", "/usr/bin/jq", install: "frr jq")
    }

    func config(steering: Bool = true, vpnBGP: Bool = true, measureKey: String? = nil) -> String {
        let steer = steering ? "" : "return-steering off;"
        // What the LAN sees both ways: from the LAN's address, along the group's routes.
        let measure = measureKey.map { "measure reflect 10.200.0.4 { source 172.16.0.1; interval 10ms; key-file \"\($0)\"; }" } ?? ""
        let session = "bgp 169.254.21.1 { remote-as 65515; source 169.254.21.2; connect-retry 1s; \(steer) }"
        return """
        router-id 192.168.10.1;
        local-as 65010;
        path expressroute {
            priority 10; device er0; gateway 192.168.10.2;
            announce 172.16.0.0/24;
            bgp 192.168.10.2 { remote-as 12076; connect-retry 1s; }
            probe icmp 10.200.0.4 { interval 10ms; threshold 3; recover 3; }
        }
        path vpn {
            priority 20; device vpn0; gateway 192.168.20.2;
            announce 172.16.0.0/24;
            \(vpnBGP ? session : "")
            probe icmp 10.200.0.4 { interval 10ms; threshold 3; recover 3; }
        }
        group azure { paths expressroute vpn; hold-down 1s; \(measure) }
        """
    }

    func bgp(_ lab: Lab, _ path: String) -> [String: Any] { lab.path(path)["bgp"] as? [String: Any] ?? [:] }
    func azureWay(_ lab: Lab) -> String { lab.bash("azure_route_of").1.trimmingCharacters(in: .whitespacesAndNewlines) }
    func gatewayHas(_ lab: Lab, _ prefix: String) -> Bool { lab.bash("azure_vpngw_received \(prefix)", check: false).0 == 0 }

    /// hedge-reflect on the VNet host, as on a VM in the VNet (lab_down ends it with the namespace).
    func startReflector(_ lab: Lab) -> String {
        let key = lab.dir + "/reflect.key"
        lab.bash("(umask 077; head -c 24 /dev/urandom | base64 >\(key)) && "
                 + "{ ip netns exec \(lab.prefix)-azure \(Lab.reflectBin) --listen 10.200.0.4 --key-file \(key) "
                 + ">\(lab.dir)/reflect.log 2>&1 & }")
        return key
    }

    func measure(_ lab: Lab) -> [String: Any] { lab.group()["measure"] as? [String: Any] ?? [:] }
    func transition(_ lab: Lab, _ kind: String) -> [String: Any] { measure(lab)["last_\(kind)"] as? [String: Any] ?? [:] }

    func steadyBothWays(_ lab: Lab) -> Bool {
        waitFor(25) {
            self.bgp(lab, "expressroute")["state"] as? String == "Established"
                && self.bgp(lab, "vpn")["state"] as? String == "Established"
                && lab.kernelPath == "expressroute" && self.azureWay(lab) == "expressroute"
        }
    }

    /// A gray failure (the MSEE keeps BGP up, drops the traffic): the probe moves on-prem's side, and
    /// the halves announced over the VPN move Azure's side; both come back together at failback.
    func testGrayFailureMovesBothDirectionsAndBack() throws {
        let lab = Lab("ttw", azureVPN: "bgp")
        lab.writeConfig(text: config(measureKey: startReflector(lab)))
        lab.bash("anchors_edge_start bgp - - - 9 3 >/dev/null 2>&1")
        lab.startHedge()
        XCTAssertTrue(steadyBothWays(lab), "both sessions up, ExpressRoute both ways:\n\(lab.log)\n\(lab.bash("azure_status").1)")
        XCTAssertEqual(bgp(lab, "vpn")["return_steering"] as? String, "ready")
        XCTAssertTrue(lab.onprem("ip route show 169.254.21.1/32").contains("dev vpn0 proto 88"),
                      "hedge pins the VPN gateway's session to the VPN path: \(lab.onprem("ip route"))")
        XCTAssertTrue(gatewayHas(lab, "172.16.0.0/24"), "the VPN gateway learned the LAN over the tunnel")
        XCTAssertFalse(gatewayHas(lab, "172.16.0.0/25"))

        lab.bash("lab_fail_gray")
        XCTAssertTrue(waitFor(3) { lab.kernelPath == "vpn" }, "on-prem moved:\n\(lab.log)")
        XCTAssertTrue(waitFor(3) { self.azureWay(lab) == "vpn" }, "Azure moved its return to the VPN:\n\(lab.bash("azure_status").1)")
        XCTAssertTrue(gatewayHas(lab, "172.16.0.0/25") && gatewayHas(lab, "172.16.0.128/25"), lab.bash("azure_status").1)
        XCTAssertEqual(bgp(lab, "expressroute")["state"] as? String, "Established", "a gray failure leaves BGP up")
        let vpn = bgp(lab, "vpn")
        XCTAssertEqual(vpn["return_steering"] as? String, "active")
        XCTAssertEqual(vpn["prefixes_more_specific"] as? Int, 2)
        let table = lab.onprem("\(lab.binary ?? Lab.hedgeBin) status -s \(lab.socketPath)")
        XCTAssertTrue(table.contains("steering return (2 more-specifics)"), table)
        // The field's view of the same failover: both directions came back, and what each lost.
        XCTAssertTrue(waitFor(5) { self.transition(lab, "failover")["settled"] as? Bool == true },
                      "the failover's loss settles once replies flow again: \(measure(lab))\n\(lab.log)")
        let fo = transition(lab, "failover")
        XCTAssertGreaterThan(fo["forward_loss_ms"] as? Int ?? 0, 0, "the gray failure dropped probes before the switch: \(fo)")
        XCTAssertNotNil(fo["return_loss_ms"] as? Int, "\(fo)")
        XCTAssertTrue(lab.log.contains("failover cost the LAN"), lab.log)
        XCTAssertTrue(lab.onprem("\(lab.binary ?? Lab.hedgeBin) status -s \(lab.socketPath)").contains("azure: measure 10.200.0.4 from 172.16.0.1"))

        lab.bash("lab_restore_gray")
        XCTAssertTrue(waitFor(10) { lab.kernelPath == "expressroute" && self.azureWay(lab) == "expressroute" },
                      "both directions back on ExpressRoute:\n\(lab.log)\n\(lab.bash("azure_status").1)")
        XCTAssertTrue(waitFor(3) { !self.gatewayHas(lab, "172.16.0.0/25") }, "the halves withdrawn at failback")
        XCTAssertEqual(bgp(lab, "vpn")["return_steering"] as? String, "ready")
        XCTAssertTrue(waitFor(5) { self.transition(lab, "failback")["settled"] as? Bool == true }, "\(measure(lab))")
        let fb = transition(lab, "failback")
        XCTAssertEqual([fb["forward_loss_ms"] as? Int, fb["return_loss_ms"] as? Int], [0, 0],
                       "both directions move back together, nothing lost: \(fb)")
    }

    /// Without steering, a gray failure strands Azure's return on ExpressRoute: what the steering is for.
    func testWithoutSteeringTheReturnStaysOnTheFailedPath() throws {
        let lab = Lab("ttx", azureVPN: "bgp")
        lab.writeConfig(text: config(steering: false, measureKey: startReflector(lab)))
        lab.bash("anchors_edge_start bgp - - - 9 3 >/dev/null 2>&1")
        lab.startHedge()
        XCTAssertTrue(steadyBothWays(lab), lab.log)
        XCTAssertEqual(bgp(lab, "vpn")["return_steering"] as? String, "off")
        lab.bash("lab_fail_gray")
        XCTAssertTrue(waitFor(3) { lab.kernelPath == "vpn" }, lab.log)
        Thread.sleep(forTimeInterval: 1)
        XCTAssertEqual(azureWay(lab), "expressroute", "the MSEE still announces the LAN: Azure keeps using it")
        XCTAssertFalse(gatewayHas(lab, "172.16.0.0/25"))
        // The measure sees it from the field: nothing comes back, and the failover never settles.
        let m = measure(lab)
        XCTAssertGreaterThan(m["unanswered"] as? Int ?? 0, 50, "\(m)")
        XCTAssertEqual(transition(lab, "failover")["settled"] as? Bool, false, "\(m)")
    }

    /// A far-end failure: the MSEE withdraws the LAN by itself, and the static (local network gateway)
    /// mode falls back to the VPN; the lab's Azure routes as Azure does, in the default mode too.
    func testFarFailureMovesAzuresReturnInStaticMode() throws {
        let lab = Lab("tty")
        lab.writeConfig(text: config(vpnBGP: false))
        lab.bash("anchors_edge_start bgp - - - 3 1 >/dev/null 2>&1")
        lab.startHedge()
        XCTAssertTrue(waitFor(25) { lab.kernelPath == "expressroute" && self.azureWay(lab) == "expressroute" },
                      "\(lab.log)\n\(lab.bash("azure_status").1)")
        lab.bash("lab_fail_far")
        XCTAssertTrue(waitFor(3) { lab.kernelPath == "vpn" }, lab.log)
        XCTAssertTrue(waitFor(8) { self.azureWay(lab) == "vpn" }, "after the MSEE's hold timer, Azure uses the local network gateway's prefixes")
        lab.bash("lab_restore_far")
        XCTAssertTrue(waitFor(20) { lab.kernelPath == "expressroute" && self.azureWay(lab) == "expressroute" }, lab.log)
    }
}
