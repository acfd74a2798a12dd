import Foundation
import XCTest
@testable import HedgeCore

/// What `hedge-azure template` writes, validated offline (Tests/azure/validate_arm.py): against the
/// resource models of the Azure SDK for Python (azure-mgmt-network, azure-mgmt-compute, pinned, in the
/// venv scripts/install-azure-sdk makes), strictly; and beside the quickstart
/// expressroute-private-peering-vnet as Tests/azure/quickstart_facts.json describes it.
/// HEDGE_QUICKSTART_JSON=/path/azuredeploy.json also runs the joint check against the real file, and
/// checks the facts against it.
final class AzureTemplateTests: XCTestCase {
    let validator = packageRoot + "/Tests/azure/validate_arm.py"
    static var venv: String { ProcessInfo.processInfo.environment["HEDGE_AZSDK_VENV"] ?? "/opt/hedge-azsdk" }
    static var azureBin: String { ProcessInfo.processInfo.environment["HEDGE_AZURE_BIN"] ?? Lab.binDir + "/hedge-azure" }
    var python: String { Self.venv + "/bin/python" }

    /// The SDK's venv, installed when missing (as root, from PyPI).
    func requireSDK() throws {
        try requireTool("python3", install: "python3 python3-venv")
        let check = "\(python) -c 'import azure.mgmt.network.models, azure.mgmt.compute.models' 2>/dev/null"
        if sh(check, check: false).0 == 0 { return }
        if getuid() == 0 { sh("\(packageRoot)/scripts/install-azure-sdk 2>&1", check: false) }
        if sh(check, check: false).0 != 0 {
            throw cannotRun("the Azure SDK models are not in \(Self.venv): run scripts/install-azure-sdk as root")
        }
    }

    func config(_ path: String, _ edit: (String) -> String = { $0 }) throws -> HedgeConfig {
        let r = ConfigLoader.parse(edit(try String(contentsOfFile: path, encoding: .utf8)), file: path)
        return try XCTUnwrap(r.config, r.diagnostics.map { $0.description }.joined(separator: "\n"))
    }

    func plan(_ c: HedgeConfig) throws -> AzurePlan {
        switch azurePlan(c, file: "x.conf") {
        case .plan(let p): return p
        case .refused(let ds): XCTFail(ds.map { $0.description }.joined(separator: "\n")); throw CannotRun(description: "refused")
        }
    }

    func newDir() throws -> String {
        let dir = NSTemporaryDirectory() + "hedge-az-\(getpid())-\(UInt32.random(in: 0..<UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        // HEDGE_AZURE_KEEP=1 keeps the files to read.
        if ProcessInfo.processInfo.environment["HEDGE_AZURE_KEEP"] == nil {
            addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        }
        return dir
    }

    /// hedge's own facts, read off the configuration (not the plan): the azure block, what the
    /// ExpressRoute paths announce, local-as, and those paths in their group's order.
    func hedgeFacts(_ c: HedgeConfig, _ dir: String) throws {
        var order: [PathConfig] = []
        for g in c.groups { for n in g.paths { if let p = c.paths.first(where: { $0.name == n }), !order.contains(where: { $0.name == n }) { order.append(p) } } }
        let er = order.filter { $0.bgp?.remoteAS == 12076 }
        let links = er.map { p in
            "{\"path\": \"\(p.name)\", \"priority\": \(p.priority), \"neighbor\": \"\(p.bgp!.neighbor)\""
                + (p.gateway.map { ", \"gateway\": \"\($0)\"" } ?? "") + "}"
        }
        var announce: [String] = []
        for p in er { for a in p.announce where !announce.contains("\"\(a)\"") { announce.append("\"\(a)\"") } }
        let az = try XCTUnwrap(c.azure)
        let facts = "{\"vnet\": \"\(az.vnet[0])\", \"gatewaySubnet\": \"\(try XCTUnwrap(az.gatewaySubnet))\", "
            + "\"expressRouteAnnounce\": [\(announce.joined(separator: ", "))], \"localAS\": \(c.localAS ?? 0), "
            + "\"expressRouteLinks\": [\(links.joined(separator: ", "))]}"
        try facts.write(toFile: dir + "/hedge-facts.json", atomically: true, encoding: .utf8)
    }

    /// Writes the three files (as the writer does, then `edit`ed) and hedge's facts.
    func write(_ c: HedgeConfig, template: (String) -> String = { $0 }, parameters: (String) -> String = { $0 },
               quickstart: (String) -> String = { $0 }) throws -> String {
        let p = try plan(c)
        let dir = try newDir()
        try template(armTemplate(p)).write(toFile: dir + "/azure-vpn.json", atomically: true, encoding: .utf8)
        try parameters(armParameters(p)).write(toFile: dir + "/azure-vpn.parameters.json", atomically: true, encoding: .utf8)
        try quickstart(quickstartParameters(p)).write(toFile: dir + "/azure-er.parameters.json", atomically: true, encoding: .utf8)
        try hedgeFacts(c, dir)
        return dir
    }

    func models(_ dir: String) -> (Int32, String) {
        sh("\(python) \(validator) models \(dir)/azure-vpn.json \(dir)/azure-vpn.parameters.json \(dir)/azure-er.parameters.json 2>&1", check: false)
    }

    func joint(_ dir: String, quickstart: String? = nil) -> (Int32, String) {
        sh("\(python) \(validator) joint \(dir)/azure-vpn.json \(dir)/azure-vpn.parameters.json \(dir)/azure-er.parameters.json \(dir)/hedge-facts.json \(quickstart ?? "") 2>&1", check: false)
    }

    /// Both checks; with HEDGE_QUICKSTART_JSON, the joint one against the real quickstart as well.
    func assertValid(_ dir: String, file: StaticString = #filePath, line: UInt = #line) {
        let m = models(dir)
        XCTAssertEqual(m.0, 0, m.1, file: file, line: line)
        let j = joint(dir)
        XCTAssertEqual(j.0, 0, j.1, file: file, line: line)
        if let real = ProcessInfo.processInfo.environment["HEDGE_QUICKSTART_JSON"] {
            let f = sh("\(python) \(validator) facts \(real) 2>&1", check: false)
            XCTAssertEqual(f.0, 0, "quickstart_facts.json against \(real): " + f.1, file: file, line: line)
            let r = joint(dir, quickstart: real)
            XCTAssertEqual(r.0, 0, "against \(real): " + r.1, file: file, line: line)
        }
    }

    static let example = packageRoot + "/deploy/examples/azure-er-vpn.conf"

    func testExampleTemplateValidatesAgainstTheSDKModelsAndJoinsTheQuickstart() throws {
        try requireSDK()
        assertValid(try write(config(Self.example)))
    }

    /// The models catch a misspelt key deep in a resource, a value outside an enum (also through a
    /// parameter's allowedValues), a missing required field and a read-only one set.
    func testStrictness() throws {
        try requireSDK()
        let c = try config(Self.example)
        let cases: [(String, (String) -> String, String)] = [
            ("misspelt key at properties/bgpSettings", { $0.replacingOccurrences(of: "\"bgpPeeringAddress\"", with: "\"bgpPeerAddress\"") },
             "properties/bgpSettings: unknown key 'bgpPeerAddress' (BgpSettings has no such field)"),
            ("misspelt key in an ipsecPolicies entry", { $0.replacingOccurrences(of: "\"saLifeTimeSeconds\"", with: "\"saLifetimeSeconds\"") },
             "properties/ipsecPolicies[0]: unknown key 'saLifetimeSeconds'"),
            ("wrong enum", { $0.replacingOccurrences(of: "\"IPsec\"", with: "\"IPSec\"") },
             "properties/connectionType: 'IPSec' is not a VirtualNetworkGatewayConnectionType"),
            ("wrong enum through allowedValues", { $0.replacingOccurrences(of: "\"VpnGw5AZ\"", with: "\"VpnGw6AZ\"") },
             "'VpnGw6AZ' is not a VirtualNetworkGatewaySkuName"),
            ("missing required", { $0.replacingOccurrences(of: "\"dhGroup\": ", with: "\"pfsGroup\": ") },
             "IpsecPolicy requires 'dhGroup'"),
            ("read-only set", { $0.replacingOccurrences(of: "\"gatewayType\": \"Vpn\",", with: "\"gatewayType\": \"Vpn\", \"provisioningState\": \"Succeeded\",") },
             "properties/provisioningState: read-only"),
            ("undeclared parameter", { $0.replacingOccurrences(of: "parameters('connectionName')", with: "parameters('connection')") },
             "parameters('connection') is not declared"),
        ]
        for (what, edit, needle) in cases {
            let r = models(try write(c, template: edit))
            XCTAssertEqual(r.0, 1, what + ": " + r.1)
            XCTAssertTrue(r.1.contains(needle), what + ": " + r.1)
        }
    }

    func testJointCheckCatchesNamesPeeringsAndUndercuttingPrefixes() throws {
        try requireSDK()
        let c = try config(Self.example)
        let renamed = joint(try write(c, parameters: { $0.replacingOccurrences(of: "\"vnet1\"", with: "\"vnet2\"") }))
        XCTAssertEqual(renamed.0, 1, renamed.1)
        XCTAssertTrue(renamed.1.contains("parameter vnetName: 'vnet2' deployed here, 'vnet1' in the quickstart"), renamed.1)
        let longer = joint(try write(c, template: {
            $0.replacingOccurrences(of: "\"addressPrefixes\": []", with: "\"addressPrefixes\": [\"172.16.1.0/24\"]")
        }))
        XCTAssertEqual(longer.0, 1, longer.1)
        XCTAssertTrue(longer.1.contains("longer than 172.16.0.0/16 announced over ExpressRoute"), longer.1)
        let swapped = joint(try write(c, quickstart: {
            $0.replacingOccurrences(of: "192.168.10.16/30", with: "X").replacingOccurrences(of: "192.168.10.20/30", with: "192.168.10.16/30")
              .replacingOccurrences(of: "X", with: "192.168.10.20/30")
        }))
        XCTAssertEqual(swapped.0, 1, swapped.1)
        XCTAssertTrue(swapped.1.contains("primaryPeerAddressPrefix 192.168.10.20/30: path er-primary's MSEE 192.168.10.18 is not its second address"), swapped.1)
        let asn = joint(try write(c, quickstart: { $0.replacingOccurrences(of: "65010", with: "65011") }))
        XCTAssertEqual(asn.0, 1, asn.1)
        XCTAssertTrue(asn.1.contains("peerASN 65011 is not hedge's local-as 65010"), asn.1)
    }

    /// Static mode (no BGP over the tunnel) with two ipsec paths: an active-active gateway, two
    /// public IPs, the announce prefixes in the local network gateway.
    func testStaticActiveActiveVariantValidates() throws {
        try requireSDK()
        let c = try config(Self.example) { text in
            // Without the example's comments, so that its blocks can be matched as text.
            let bare = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
                var l = String(line.prefix { $0 != "#" })
                while l.last == " " { l.removeLast() }
                return l
            }.joined(separator: "\n")
            var t = bare.replacingOccurrences(of: """
                bgp 169.254.21.1 {
                    remote-as 65515;
                    source 169.254.21.2;
                }
            """, with: "")
            let vpnStart = t.range(of: "path vpn {")!.lowerBound
            let vpnEnd = t.range(of: "\n}\n", range: vpnStart..<t.endIndex)!.upperBound
            let second = String(t[vpnStart..<vpnEnd]).replacingOccurrences(of: "path vpn {", with: "path vpn2 {")
                .replacingOccurrences(of: "priority 20;", with: "priority 30;").replacingOccurrences(of: "vpn0", with: "vpn1")
                .replacingOccurrences(of: "if-id 42;", with: "if-id 43;").replacingOccurrences(of: "203.0.113.2", with: "203.0.113.3")
                .replacingOccurrences(of: "connection azure;", with: "connection azure2;")
            t.insert(contentsOf: second, at: vpnEnd)
            return t.replacingOccurrences(of: "paths er-primary er-secondary vpn;", with: "paths er-primary er-secondary vpn vpn2;")
        }
        let p = try plan(c)
        XCTAssertTrue(p.activeActive)
        XCTAssertNil(p.bgp)
        XCTAssertEqual(p.localNetworkPrefixes.map { "\($0)" }, ["172.16.0.0/16"])
        let dir = try write(c)
        assertValid(dir)
        let t = try String(contentsOfFile: dir + "/azure-vpn.json", encoding: .utf8)
        XCTAssertTrue(t.contains("vpnGatewayPublicIp2"))
        XCTAssertTrue(t.contains("\"activeActive\": true"))
    }

    /// The programs themselves: hedge-azure writes what the checks accept, and `hedge azure` runs it
    /// when it is beside hedge (or on PATH), and says where it went when it is not.
    func testHedgeAzureProgramAndHedgeAzureCommand() throws {
        try requireSDK()
        for conf in [Self.example, Self.example] {
            let dir = try newDir()
            let (rc, out) = sh("\(Self.azureBin) template -c \(conf) -o \(dir) 2>&1", check: false)
            XCTAssertEqual(rc, 0, out)
            try hedgeFacts(config(conf), dir)
            assertValid(dir)
            // The same files through the router's binary, which execs hedge-azure beside it.
            let viaHedge = try newDir()
            let (rc2, out2) = sh("\(Lab.hedgeBin) azure template -c \(conf) -o \(viaHedge) 2>&1", check: false)
            XCTAssertEqual(rc2, 0, out2)
            for f in ["azure-vpn.json", "azure-vpn.parameters.json", "azure-er.parameters.json"] {
                XCTAssertEqual(try String(contentsOfFile: dir + "/" + f, encoding: .utf8),
                               try String(contentsOfFile: viaHedge + "/" + f, encoding: .utf8), f)
            }
        }
        let steps = sh("\(Self.azureBin) steps -c \(Self.example) 2>&1", check: false)
        XCTAssertEqual(steps.0, 0, steps.1)
        XCTAssertTrue(steps.1.contains("hedge drill -c"), steps.1)
        XCTAssertEqual(sh("\(Self.azureBin) 2>&1", check: false).0, 2)
        XCTAssertEqual(sh("\(Self.azureBin) version", check: false).1, "hedge-azure \(HedgeVersion.string)\n")

        // A hedge with no hedge-azure beside it nor on PATH.
        let lone = try newDir()
        XCTAssertEqual(sh("cp \(Lab.hedgeBin) \(lone)/hedge").0, 0)
        let (rc3, out3) = sh("PATH=/usr/bin:/bin \(lone)/hedge azure template -c my.conf -o out 2>&1", check: false)
        XCTAssertEqual(rc3, 2, out3)
        XCTAssertEqual(out3, "hedge azure is the hedge-azure program, not installed here: hedge-azure template -c my.conf -o out\n")
        // ... and one that finds it on PATH.
        let onPath = sh("PATH=\(URL(fileURLWithPath: Self.azureBin).deletingLastPathComponent().path):/usr/bin:/bin \(lone)/hedge azure version", check: false)
        XCTAssertEqual(onPath.1, "hedge-azure \(HedgeVersion.string)\n")
    }
}
