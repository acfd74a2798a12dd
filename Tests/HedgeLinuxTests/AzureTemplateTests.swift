import Foundation
import XCTest
@testable import HedgeCore

/// What `hedge azure template` writes, validated offline: against Azure's published ARM schemas of
/// the API versions used (strictly: an unknown property fails), and beside the quickstart
/// expressroute-private-peering-vnet (Tests/azure/validate_arm.py, Debian's python3-jsonschema).
final class AzureTemplateTests: XCTestCase {
    static let policy = AzureIPsecPolicy(ikeEncryption: "GCMAES256", ikeIntegrity: "SHA384", dhGroup: "ECP384",
                                         ipsecEncryption: "GCMAES256", ipsecIntegrity: "GCMAES256", pfsGroup: "ECP384",
                                         saLifeTimeSeconds: 3600, saDataSizeKilobytes: 102_400_000)
    let schemas = packageRoot + "/Tests/Fixtures/arm-schemas"
    let quickstart = packageRoot + "/Tests/Fixtures/azure-quickstart/azuredeploy.json"
    let validator = packageRoot + "/Tests/azure/validate_arm.py"

    func requireValidator() throws {
        try requireTool("python3", install: "python3 python3-jsonschema")
        if sh("/usr/bin/python3 -c 'import jsonschema'", check: false).0 != 0 {
            throw cannotRun("python3-jsonschema missing: apt-get install python3-jsonschema")
        }
    }

    /// The example configuration, or `text` edited from it, planned with the proposal injected
    /// (until the ipsec block's own proposal statements land).
    func plan(_ edit: (String) -> String = { $0 }) throws -> (AzurePlan, String) {
        let path = packageRoot + "/deploy/examples/azure-er-vpn.conf"
        let text = edit(try String(contentsOfFile: path, encoding: .utf8))
        let r = ConfigLoader.parse(text, file: path)
        let c = try XCTUnwrap(r.config, r.diagnostics.map { $0.description }.joined(separator: "\n"))
        switch azurePlan(c, file: path, policy: Self.policy) {
        case .plan(let p): return (p, text)
        case .refused(let ds): XCTFail(ds.map { $0.description }.joined(separator: "\n")); throw CannotRun(description: "refused")
        }
    }

    /// Writes the three files and hedge's facts into a fresh directory.
    func write(_ p: AzurePlan, template: ((String) -> String)? = nil, parameters: ((String) -> String)? = nil) throws -> String {
        let dir = NSTemporaryDirectory() + "hedge-az-\(getpid())-\(UInt32.random(in: 0..<UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        // HEDGE_AZURE_KEEP=1 keeps the files to read.
        if ProcessInfo.processInfo.environment["HEDGE_AZURE_KEEP"] == nil {
            addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        }
        try (template ?? { $0 })(armTemplate(p)).write(toFile: dir + "/azure-vpn.json", atomically: true, encoding: .utf8)
        try (parameters ?? { $0 })(armParameters(p)).write(toFile: dir + "/azure-vpn.parameters.json", atomically: true, encoding: .utf8)
        try quickstartParameters(p).write(toFile: dir + "/azure-er.parameters.json", atomically: true, encoding: .utf8)
        let facts = "{\"vnet\": \"\(p.vnet)\", \"gatewaySubnet\": \"\(p.gatewaySubnet)\", \"expressRouteAnnounce\": ["
            + p.expressRouteAnnounce.map { "\"\($0)\"" }.joined(separator: ", ") + "]}"
        try facts.write(toFile: dir + "/facts.json", atomically: true, encoding: .utf8)
        return dir
    }

    func schema(_ dir: String) -> (Int32, String) {
        sh("/usr/bin/python3 \(validator) schema \(schemas) \(dir)/azure-vpn.json \(dir)/azure-vpn.parameters.json \(dir)/azure-er.parameters.json", check: false)
    }

    func joint(_ dir: String) -> (Int32, String) {
        sh("/usr/bin/python3 \(validator) joint \(dir)/azure-vpn.json \(dir)/azure-vpn.parameters.json \(quickstart) \(dir)/azure-er.parameters.json \(dir)/facts.json", check: false)
    }

    func testExampleTemplateValidatesAgainstTheSchemasAndJoinsTheQuickstart() throws {
        try requireValidator()
        let (p, _) = try plan()
        let dir = try write(p)
        let s = schema(dir)
        XCTAssertEqual(s.0, 0, s.1)
        let j = joint(dir)
        XCTAssertEqual(j.0, 0, j.1)
    }

    /// A misspelt property fails, although the published schema, taken as it is, lets it through
    /// (schema-lenient): the strictness is what catches it.
    func testStrictnessCatchesAMisspeltProperty() throws {
        try requireValidator()
        let (p, _) = try plan()
        let dir = try write(p, template: {
            $0.replacingOccurrences(of: "\"usePolicyBasedTrafficSelectors\"", with: "\"usePolicyBasedTrafficSelector\"")
        })
        let s = schema(dir)
        XCTAssertEqual(s.0, 1, s.1)
        XCTAssertTrue(s.1.contains("'usePolicyBasedTrafficSelector' was unexpected"), s.1)
        let lenient = sh("/usr/bin/python3 \(validator) schema-lenient \(schemas) \(dir)/azure-vpn.json", check: false)
        XCTAssertEqual(lenient.0, 0, "the published schema alone was expected to miss it: " + lenient.1)
        // A misspelt key inside a nested object (the local network gateway's BGP settings).
        let dir2 = try write(p, template: { $0.replacingOccurrences(of: "\"bgpPeeringAddress\"", with: "\"bgpPeerAddress\"") })
        let s2 = schema(dir2)
        XCTAssertEqual(s2.0, 1, s2.1)
        XCTAssertTrue(s2.1.contains("'bgpPeerAddress' was unexpected"), s2.1)
        // A value outside the schema's enum.
        let dir3 = try write(p, template: { $0.replacingOccurrences(of: "\"IPsec\"", with: "\"IPSec\"") })
        XCTAssertEqual(schema(dir3).0, 1)
    }

    func testJointCheckCatchesAWrongNameAndAnUndercuttingPrefix() throws {
        try requireValidator()
        let (p, _) = try plan()
        let renamed = try write(p, parameters: { $0.replacingOccurrences(of: "\"vnet1\"", with: "\"vnet2\"") })
        let j = joint(renamed)
        XCTAssertEqual(j.0, 1, j.1)
        XCTAssertTrue(j.1.contains("vnetName"), j.1)
        let longer = try write(p, template: {
            $0.replacingOccurrences(of: "\"addressPrefixes\": []", with: "\"addressPrefixes\": [\"172.16.1.0/24\"]")
        })
        let j2 = joint(longer)
        XCTAssertEqual(j2.0, 1, j2.1)
        XCTAssertTrue(j2.1.contains("longer than 172.16.0.0/16"), j2.1)
    }

    /// Static mode (no BGP over the tunnel) with two ipsec paths: an active-active gateway, two
    /// public IPs, the announce prefixes in the local network gateway.
    func testStaticActiveActiveVariantValidates() throws {
        try requireValidator()
        let (p, _) = try plan { text in
            var t = text.replacingOccurrences(of: """
                bgp 169.254.21.1 {
                    remote-as 65515;            # the Azure VPN gateway's ASN beside an ExpressRoute gateway
                    source 169.254.21.2;        # our APIPA address on vpn0
                }
            """, with: "")
            let vpnStart = t.range(of: "path vpn {")!.lowerBound
            let vpnEnd = t.range(of: "\n}\n", range: vpnStart..<t.endIndex)!.upperBound
            let second = String(t[vpnStart..<vpnEnd]).replacingOccurrences(of: "path vpn {", with: "path vpn2 {")
                .replacingOccurrences(of: "priority 20;", with: "priority 30;").replacingOccurrences(of: "vpn0", with: "vpn1")
                .replacingOccurrences(of: "if-id 42;", with: "if-id 43;").replacingOccurrences(of: "203.0.113.2", with: "203.0.113.3")
                .replacingOccurrences(of: "connection azure;", with: "connection azure2;")
                .replacingOccurrences(of: "child azure;", with: "child azure2;")
            t.insert(contentsOf: second, at: vpnEnd)
            return t.replacingOccurrences(of: "paths expressroute vpn;", with: "paths expressroute vpn vpn2;")
        }
        XCTAssertTrue(p.activeActive)
        XCTAssertNil(p.bgp)
        XCTAssertEqual(p.localNetworkPrefixes.map { "\($0)" }, ["172.16.0.0/16"])
        let dir = try write(p)
        let s = schema(dir)
        XCTAssertEqual(s.0, 0, s.1)
        let j = joint(dir)
        XCTAssertEqual(j.0, 0, j.1)
        let t = try String(contentsOfFile: dir + "/azure-vpn.json", encoding: .utf8)
        XCTAssertTrue(t.contains("vpnGatewayPublicIp2"))
        XCTAssertTrue(t.contains("\"activeActive\": true"))
    }

    /// The command itself: until the ipsec block names its proposal (the proposal statements), it
    /// refuses the example at that block; once it does, what it writes passes both checks.
    func testCommandWritesOrRefusesAtTheIPsecBlock() throws {
        let dir = NSTemporaryDirectory() + "hedge-az-cli-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let example = packageRoot + "/deploy/examples/azure-er-vpn.conf"
        XCTAssertEqual(sh("\(Lab.hedgeBin) azure 2>&1", check: false).0, 2)
        let (rc, out) = sh("\(Lab.hedgeBin) azure template -c \(example) -o \(dir) 2>&1", check: false)
        if rc == 0 {
            for f in ["azure-vpn.json", "azure-vpn.parameters.json", "azure-er.parameters.json"] {
                XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/" + f), f)
            }
            let s = schema(dir)
            XCTAssertEqual(s.0, 0, s.1)
            let (p, _) = try plan()
            let facts = try write(p)   // hedge's facts beside the files the command wrote
            try FileManager.default.copyItem(atPath: facts + "/facts.json", toPath: dir + "/facts.json")
            let j = joint(dir)
            XCTAssertEqual(j.0, 0, j.1)
        } else {
            XCTAssertEqual(rc, 1, out)
            XCTAssertTrue(out.contains("azure-er-vpn.conf:93:5: error: path vpn: the ipsec block names no IKE/ESP proposal"), out)
        }
        let steps = sh("\(Lab.hedgeBin) azure steps -c \(example) 2>&1", check: false)
        XCTAssertTrue(steps.0 == 0 ? steps.1.contains("hedge drill -c") : steps.1.contains(":93:5: error:"), steps.1)
    }
}
