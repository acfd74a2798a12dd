import Foundation
import XCTest
@testable import HedgeCore

/// The Azure half as `hedge-azure template` plans and writes it, from the example configuration (both
/// circuit links; with a proposal given, so that these tests do not follow the example's).
final class AzureTemplateWriterTests: XCTestCase, ConfigChecking {
    static let policy = AzureIPsecPolicy(ikeEncryption: "AES256", ikeIntegrity: "SHA256", dhGroup: "DHGroup14",
                                         ipsecEncryption: "GCMAES256", ipsecIntegrity: "GCMAES256", pfsGroup: "PFS2048",
                                         saLifeTimeSeconds: 27_000, saDataSizeKilobytes: 102_400_000)
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()
    static let examplePath = root + "/deploy/examples/azure-er-vpn.conf"

    func example(_ edit: (String) -> String = { $0 }) throws -> HedgeConfig {
        let r = ConfigLoader.parse(edit(try String(contentsOfFile: Self.examplePath, encoding: .utf8)), file: "x.conf")
        return try XCTUnwrap(r.config, lines(r).joined(separator: "\n"))
    }

    enum Planned { case success(AzurePlan), failure([String]) }

    func plan(_ c: HedgeConfig, policy: AzureIPsecPolicy? = AzureTemplateWriterTests.policy) -> Planned {
        switch azurePlan(c, file: "x.conf", policy: policy) {
        case .plan(let p): return .success(p)
        case .refused(let ds): return .failure(ds.map { $0.description })
        }
    }

    func planned(_ c: HedgeConfig) throws -> AzurePlan {
        switch plan(c) {
        case .success(let p): return p
        case .failure(let e): XCTFail(e.joined(separator: "\n")); throw XCTSkip("refused")
        }
    }

    func json(_ s: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(s.utf8)) as? [String: Any])
    }

    func resource(_ t: [String: Any], _ type: String) throws -> [String: Any] {
        let rs = try XCTUnwrap(t["resources"] as? [[String: Any]])
        let r = try XCTUnwrap(rs.first { $0["type"] as? String == type }, "no \(type)")
        return try XCTUnwrap(r["properties"] as? [String: Any])
    }

    /// The cloud-init text the template carries is deploy/azure/reflector-cloud-init.yaml, byte for byte.
    func testEmbeddedCloudInitIsTheDeployFile() throws {
        let file = try String(contentsOfFile: Self.root + "/deploy/azure/reflector-cloud-init.yaml", encoding: .utf8)
        XCTAssertEqual(ReflectorCloudInit.text, file, "regenerate Sources/HedgeCore/Azure/ReflectorCloudInit.swift from the file")
        for p in [ReflectorCloudInit.debURLPlaceholder, ReflectorCloudInit.debSHA256Placeholder, ReflectorCloudInit.keyPlaceholder] {
            XCTAssertTrue(file.contains(p), p)
        }
    }

    func testExampleBGPPlanAndTemplate() throws {
        let p = try planned(example())
        XCTAssertFalse(p.activeActive)
        XCTAssertEqual(p.bgp?.azure.map { "\($0)" }, ["169.254.21.1"])
        XCTAssertEqual(p.bgp.map { "\($0.source)" }, "169.254.21.2")
        XCTAssertTrue(p.localNetworkPrefixes.isEmpty, "BGP from an APIPA address: the local network gateway carries nothing")
        XCTAssertEqual(p.expressRouteAnnounce.map { "\($0)" }, ["172.16.0.0/16", "172.16.255.254/32", "172.16.255.253/32"], "both links' announcements")
        XCTAssertEqual(p.reflector.map { "\($0.address):\($0.port)" }, "10.200.0.4:\(ProbeConfig.reflectPort)")
        XCTAssertEqual("\(p.subnet1)", "10.200.0.0/24")

        let t = try json(armTemplate(p))
        let gw = try resource(t, "Microsoft.Network/virtualNetworkGateways")
        XCTAssertEqual(gw["gatewayType"] as? String, "Vpn")
        XCTAssertEqual(gw["vpnType"] as? String, "RouteBased")
        XCTAssertEqual(gw["enableBgp"] as? Bool, true)
        let bgp = try XCTUnwrap(gw["bgpSettings"] as? [String: Any])
        XCTAssertEqual(bgp["asn"] as? Int, 65515)
        let peering = try XCTUnwrap((bgp["bgpPeeringAddresses"] as? [[String: Any]])?.first)
        XCTAssertEqual(peering["customBgpIpAddresses"] as? [String], ["169.254.21.1"])
        let lng = try resource(t, "Microsoft.Network/localNetworkGateways")
        XCTAssertEqual(lng["gatewayIpAddress"] as? String, "198.51.100.1")
        let lbgp = try XCTUnwrap(lng["bgpSettings"] as? [String: Any])
        XCTAssertEqual(lbgp["asn"] as? Int, 65010)
        XCTAssertEqual(lbgp["bgpPeeringAddress"] as? String, "169.254.21.2")
        let conn = try resource(t, "Microsoft.Network/connections")
        XCTAssertEqual(conn["usePolicyBasedTrafficSelectors"] as? Bool, false)
        XCTAssertEqual(conn["connectionProtocol"] as? String, "IKEv2")
        XCTAssertEqual(conn["sharedKey"] as? String, "[parameters('sharedKey')]")
        let ipsec = try XCTUnwrap((conn["ipsecPolicies"] as? [[String: Any]])?.first)
        XCTAssertEqual(ipsec["dhGroup"] as? String, "DHGroup14")
        XCTAssertEqual(ipsec["pfsGroup"] as? String, "PFS2048")
        XCTAssertEqual(ipsec["saLifeTimeSeconds"] as? Int, 27_000)
        let nsg = try resource(t, "Microsoft.Network/networkSecurityGroups")
        let reflect = try XCTUnwrap((nsg["securityRules"] as? [[String: Any]])?.first?["properties"] as? [String: Any])
        XCTAssertEqual(reflect["destinationPortRange"] as? String, "18533")
        XCTAssertEqual(reflect["sourceAddressPrefixes"] as? [String], ["172.16.0.0/16", "172.16.255.254/32", "172.16.255.253/32"])
        let params = try XCTUnwrap(t["parameters"] as? [String: Any])
        XCTAssertEqual((params["sharedKey"] as? [String: Any])?["type"] as? String, "securestring")
        XCTAssertEqual((params["reflectKey"] as? [String: Any])?["type"] as? String, "securestring")
        XCTAssertEqual((params["vnetName"] as? [String: Any])?["defaultValue"] as? String, "vnet1")
        XCTAssertFalse(((params["vpnGatewaySku"] as? [String: Any])?["allowedValues"] as? [String] ?? ["Basic"]).contains("Basic"))
        // No secret in what is written.
        let params2 = try json(armParameters(p))
        XCTAssertNil((params2["parameters"] as? [String: Any])?["sharedKey"])
    }

    /// Indentation changes nothing but the layout.
    func testPrettyJSONKeepsTheDocument() throws {
        var w = JSONWriter()
        w.beginObject(); w.string("a", "x, {y}: [\"z\"]"); w.beginArray("b"); w.endArray(); w.beginObject("c"); w.int("d", 1)
        w.beginArray("e"); w.string(nil, "f"); w.bool(nil, true); w.endArray(); w.endObject(); w.endObject()
        let pretty = prettyJSON(w.text)
        XCTAssertEqual(pretty, """
        {
          "a": "x, {y}: [\\"z\\"]",
          "b": [],
          "c": {
            "d": 1,
            "e": [
              "f",
              true
            ]
          }
        }

        """)
        XCTAssertEqual(try json(pretty) as NSDictionary, try json(w.text) as NSDictionary)
    }

    func testWithoutAProposalTheWriterRefusesAtTheIPsecBlock() throws {
        let c = try example { text in
            text.split(separator: "\n", omittingEmptySubsequences: false).filter {
                !$0.contains("proposals ") && !$0.contains("-lifetime ") && !$0.contains("child-bytes ")
            }.joined(separator: "\n")
        }
        guard case .failure(let e) = plan(c, policy: nil as AzureIPsecPolicy?) else { return XCTFail("planned without a proposal") }
        XCTAssertEqual(e.count, 1, "\(e)")
        XCTAssertTrue(e[0].contains(": error: path vpn: the ipsec block names no IKE/ESP proposal"), e[0])
    }

    static let twoLinksPath = root + "/deploy/examples/azure-er-vpn.conf"

    func twoLinks(_ edit: (String) -> String = { $0 }) throws -> HedgeConfig {
        let r = ConfigLoader.parse(edit(try String(contentsOfFile: Self.twoLinksPath, encoding: .utf8)), file: "x.conf")
        return try XCTUnwrap(r.config, lines(r).joined(separator: "\n"))
    }

    /// Both links of the circuit, two equal-priority paths: the first in the group's order is the
    /// primary /30, the second the secondary; each neighbour is its /30's second address (the MSEE's).
    func testTwoLinksArePrimaryAndSecondaryInTheGroupsOrder() throws {
        XCTAssertEqual(try planned(twoLinks()).peerPrefixes.map { "\($0)" }, ["192.168.10.16/30", "192.168.10.20/30"])
        let swapped = try planned(twoLinks { $0.replacingOccurrences(of: "paths er-primary er-secondary vpn;", with: "paths er-secondary er-primary vpn;") })
        XCTAssertEqual(swapped.peerPrefixes.map { "\($0)" }, ["192.168.10.20/30", "192.168.10.16/30"])
        let params = quickstartParameters(try planned(twoLinks()))
        XCTAssertTrue(params.contains("\"primaryPeerAddressPrefix\": {\n      \"value\": \"192.168.10.16/30\""), params)
        XCTAssertTrue(params.contains("\"secondaryPeerAddressPrefix\": {\n      \"value\": \"192.168.10.20/30\""), params)
        XCTAssertTrue(params.contains("\"peerASN\": {\n      \"value\": 65010"), params)
    }

    func testAnMSEEThatIsNotTheSecondAddressOrAThirdLinkIsRefused() throws {
        let first = try twoLinks { $0.replacingOccurrences(of: "192.168.10.22", with: "192.168.10.21") }
        guard case .failure(let e) = plan(first) else { return XCTFail("planned an MSEE at the first address") }
        XCTAssertTrue(e.contains { $0.contains("path er-secondary: the MSEE takes the second address of its /30 (192.168.10.20/30), and 192.168.10.21 is not it") }, "\(e)")
        let same = try twoLinks { $0.replacingOccurrences(of: "192.168.10.22", with: "192.168.10.18") }
        guard case .failure(let e2) = plan(same) else { return XCTFail("planned one /30 twice") }
        XCTAssertTrue(e2.contains { $0.contains("path er-secondary: 192.168.10.16/30 is the other link's /30 already") }, "\(e2)")
    }

    /// A GatewaySubnet under /27 is refused by `hedge check` already, at the prefix; and by the
    /// writer itself, given such a model however it was made.
    func testSmallGatewaySubnetIsRefused() throws {
        let text = try String(contentsOfFile: Self.examplePath, encoding: .utf8)
            .replacingOccurrences(of: "gateway-subnet 10.200.255.224/27;", with: "gateway-subnet 10.200.255.240/28;")
        let r = ConfigLoader.parse(text, file: "x.conf")
        XCTAssertNil(r.config)
        XCTAssertTrue(lines(r).contains { $0.hasPrefix("x.conf:") && $0.contains(": error: GatewaySubnet must be /27 or larger") }, "\(lines(r))")
        var c = try example()
        c.azure?.gatewaySubnet = IPPrefix("10.200.255.240/28")
        guard case .failure(let e) = plan(c) else { return XCTFail("planned a /28") }
        XCTAssertTrue(e.contains { $0.contains("error: GatewaySubnet must be an IPv4 /27 or larger") }, "\(e)")
    }

    func testVPNGatewayASNMustBeAzures() throws {
        let c = try example { $0.replacingOccurrences(of: "remote-as 65515;", with: "remote-as 65516;") }
        guard case .failure(let e) = plan(c) else { return XCTFail("planned with AS 65516") }
        XCTAssertTrue(e.contains { $0.contains("speaks from AS 65515") }, "\(e)")
    }

    /// Static mode: the local network gateway carries the VPN path's announce; one longer than
    /// ExpressRoute's would undercut it and is refused.
    func testStaticModeUndercuttingPrefixIsRefused() throws {
        let noBGP: (String) -> String = {
            $0.replacingOccurrences(of: "    bgp 169.254.21.1 {\n        remote-as 65515;", with: "    #bgp 169.254.21.1 {\n    #    remote-as 65515;")
              .replacingOccurrences(of: "        source 169.254.21.2;        # our APIPA address on vpn0\n    }",
                                    with: "    #    source 169.254.21.2;\n    #}")
        }
        let ok = try planned(example(noBGP))
        XCTAssertNil(ok.bgp)
        XCTAssertEqual(ok.localNetworkPrefixes.map { "\($0)" }, ["172.16.0.0/16"])
        let c = try example { noBGP($0).replacingOccurrences(of: "    announce 172.16.0.0/16;\n\n    # BGP through", with: "    announce 172.16.0.0/16 172.16.1.0/24;\n\n    # BGP through") }
        guard case .failure(let e) = plan(c) else { return XCTFail("planned an undercutting prefix") }
        XCTAssertTrue(e.contains { $0.contains("would carry 172.16.1.0/24, longer than 172.16.0.0/16") }, "\(e)")
    }

    func testStepsNameTheDeploymentsTheCommandsAndTheDrill() throws {
        let s = azureSteps(try planned(example()), configPath: "/etc/hedge/hedge.conf")
        for needle in ["az deployment group create -g \"$RG\" --parameters @azure-er.parameters.json",
                       "--template-file azure-vpn.json --parameters @azure-vpn.parameters.json",
                       "az network vnet-gateway create", "--asn 65515",
                       "customBgpIpAddresses=[\"169.254.21.1\"]",
                       "az network local-gateway create -g \"$RG\" -n hedge --gateway-ip-address 198.51.100.1 --asn 65010 --bgp-peering-address 169.254.21.2",
                       "--dh-group DHGroup14", "--pfs-group PFS2048", "--use-policy-based-traffic-selectors false",
                       "--destination-port-ranges 18533", "hedge drill -c /etc/hedge/hedge.conf"] {
            XCTAssertTrue(s.contains(needle), needle)
        }
    }
}
