import XCTest
import Foundation
@testable import HedgeCore

/// The proposal statements of a `strongswan` block, their mapping onto Azure's custom IPsec/IKE
/// policy, and `hedge check` holding them to what Azure accepts when the file has an `azure` block.
final class ConfigAzureIPsecTests: XCTestCase, ConfigChecking {

    /// Lines 1–10 fixed; the strongswan body's extra statements start on line 11, column 13.
    func conf(_ swan: [String], azure: Bool = true) -> String {
        var t = """
            \(azure ? "azure { vnet 10.200.0.0/16; }" : "# no azure block")
            path er { priority 10; device er0; gateway 192.168.10.2; }
            group g { prefix 10.200.0.0/16; paths er vpn; }
            path vpn {
                priority 20; device vpn0;
                probe icmp 10.200.0.4 { interval 50ms; }
                ipsec {
                    if-id 42; local 198.51.100.1; remote 203.0.113.2;
                    strongswan {
                        connection azure;

            """
        for s in swan { t += "            " + s + "\n" }
        return t + "        }\n    }\n}\n"
    }

    /// Azure's own first offers for a route-based gateway.
    let azureDefault = ["proposals aes256-sha256-modp1024;", "esp-proposals aes256gcm16;", "ike-lifetime 8h;",
                        "child-lifetime 27000s;", "child-bytes 102400000kb;"]

    func policy(_ r: ConfigResult, file: StaticString = #filePath, line: UInt = #line) throws -> AzureIPsecPolicy {
        let x = try XCTUnwrap(r.config?.paths[1].ipsec, lines(r).joined(separator: "\n"), file: file, line: line)
        return try XCTUnwrap(azureIPsecPolicy(x), file: file, line: line)
    }

    // MARK: grammar and mapping

    func testAzureDefaultProposal() throws {
        let r = parse(conf(azureDefault))
        XCTAssertEqual(lines(r), [])
        guard case .strongswan(let s) = r.config?.paths[1].ipsec?.keying else { return XCTFail(lines(r).joined()) }
        let p = try XCTUnwrap(s.proposal)
        XCTAssertEqual(p.ike.map { $0.text }, ["aes256", "sha256", "modp1024"])
        XCTAssertEqual(p.ike.map { $0.location.description }, ["11:23", "11:30", "11:37"])
        XCTAssertEqual(p.esp, [ProposalKeyword("aes256gcm16", SourceLocation(line: 12, column: 27))])
        XCTAssertEqual(p.ikeLocation?.description, "11:23")
        XCTAssertEqual(p.ikeLifetime, PlacedCount(28_800, SourceLocation(line: 13, column: 26)))
        XCTAssertEqual(p.childLifetime, PlacedCount(27_000, SourceLocation(line: 14, column: 28)))
        XCTAssertEqual(p.childKilobytes, PlacedCount(102_400_000, SourceLocation(line: 15, column: 25)))
        XCTAssertEqual(try policy(r), AzureIPsecPolicy(ikeEncryption: "AES256", ikeIntegrity: "SHA256", dhGroup: "DHGroup2",
                                                       ipsecEncryption: "GCMAES256", ipsecIntegrity: "GCMAES256", pfsGroup: "None",
                                                       saLifeTimeSeconds: 27_000, saDataSizeKilobytes: 102_400_000))
    }

    func testMappingOfGroupsCiphersAndPFS() throws {
        // Group 14 is DHGroup14 in IKE (Azure's DHGroup2048 is the same group) and PFS2048 in ESP.
        var p = try policy(parse(conf(["proposals aes256-sha256-modp2048;", "esp-proposals aes256-sha256-modp2048;"])))
        XCTAssertEqual([p.ikeEncryption, p.ikeIntegrity, p.dhGroup], ["AES256", "SHA256", "DHGroup14"])
        XCTAssertEqual([p.ipsecEncryption, p.ipsecIntegrity, p.pfsGroup], ["AES256", "SHA256", "PFS2048"])
        XCTAssertEqual(p.saLifeTimeSeconds, 27_000, "Azure's default when child-lifetime is not given")
        XCTAssertEqual(p.saDataSizeKilobytes, 102_400_000)

        // GCM in IKE names its PRF, which Azure calls the IKE integrity; order does not matter.
        p = try policy(parse(conf(["proposals \"ecp384-aes256gcm16-prfsha384\";", "esp-proposals aes128gcm16-ecp256;",
                                   "child-lifetime 1h;", "child-bytes 1_024kb;"])))
        XCTAssertEqual([p.ikeEncryption, p.ikeIntegrity, p.dhGroup], ["GCMAES256", "SHA384", "ECP384"])
        XCTAssertEqual([p.ipsecEncryption, p.ipsecIntegrity, p.pfsGroup], ["GCMAES128", "GCMAES128", "ECP256"])
        XCTAssertEqual([p.saLifeTimeSeconds, p.saDataSizeKilobytes], [3600, 1024])

        p = try policy(parse(conf(["proposals aes128-sha1-modp2048s256;", "esp-proposals aes192gcm16-modp2048s256;"])))
        XCTAssertEqual([p.ikeEncryption, p.ikeIntegrity, p.dhGroup], ["AES128", "SHA1", "DHGroup24"])
        XCTAssertEqual([p.ipsecEncryption, p.pfsGroup], ["GCMAES192", "PFS24"])

        // An IKE integrity and the same hash as PRF are one setting to Azure.
        p = try policy(parse(conf(["proposals aes256-sha256-prfsha256-ecp256;", "esp-proposals aes256-sha1;"])))
        XCTAssertEqual([p.ikeIntegrity, p.ipsecIntegrity, p.pfsGroup], ["SHA256", "SHA1", "None"])
    }

    func testNoPolicyWithoutBothProposals() throws {
        let r = parse(conf(["proposals aes256-sha256-modp2048;"], azure: false))
        XCTAssertEqual(lines(r), [])
        XCTAssertNil(azureIPsecPolicy(try XCTUnwrap(r.config?.paths[1].ipsec)))
        let plain = parse(conf([], azure: false))
        XCTAssertEqual(lines(plain), [])
        guard case .strongswan(let s) = plain.config?.paths[1].ipsec?.keying else { return XCTFail() }
        XCTAssertNil(s.proposal)
    }

    func testWithoutAzureBlockOnlyTheSyntaxIsHeld() {
        // Not Azure: algorithms Azure refuses are fine, one combination is still asked for.
        expect(conf(["proposals aes256gcm16-prfsha512-curve25519;", "esp-proposals chacha20poly1305;",
                     "child-lifetime 100s;"], azure: false), [])
        expectError(conf(["esp-proposals aes128gcm16-aes256gcm16;"], azure: false), at: 11, 39, "second encryption algorithm")
    }

    // MARK: what Azure refuses

    func testRefusedAlgorithmNamesAzuresList() {
        expect(conf(["proposals aes256-sha256-modp1024;", "esp-proposals chacha20poly1305;"]),
               ["t.conf:12:27: error: esp-proposals: 'chacha20poly1305' is not accepted by Azure's VPN gateway; Azure accepts for ESP encryption: aes128 (AES128), aes192 (AES192), aes256 (AES256), 3des (DES3), des (DES), null (None), aes128gcm16 (GCMAES128), aes192gcm16 (GCMAES192), aes256gcm16 (GCMAES256)"])
        let esp = "esp-proposals aes256gcm16;"
        expectError(conf(["proposals aes256ctr-sha256-modp1024;", esp]), at: 11, 23,
                    "'aes256ctr' is not accepted by Azure's VPN gateway; Azure accepts for IKE encryption: aes128 (AES128), aes192 (AES192), aes256 (AES256), aes128gcm16 (GCMAES128), aes256gcm16 (GCMAES256)")
        expectError(conf(["proposals aes192gcm16-prfsha256-modp1024;", esp]), at: 11, 23,
                    "'aes192gcm16' is not accepted by Azure's VPN gateway; Azure accepts for IKE encryption")
        expectError(conf(["proposals 3des-sha256-modp1024;", esp]), at: 11, 23, "Azure accepts for IKE encryption")
        expectError(conf(["proposals aes256-sha512-modp1024;", esp]), at: 11, 30,
                    "'sha512' is not accepted by Azure's VPN gateway; Azure accepts for IKE integrity: md5 (MD5), sha1 (SHA1), sha256 (SHA256), sha384 (SHA384)")
        expectError(conf(["proposals aes256gcm16-prfsha512-modp1024;", esp]), at: 11, 35,
                    "Azure accepts for IKE integrity: md5 (MD5), sha1 (SHA1), sha256 (SHA256), sha384 (SHA384) (as PRF: the same with 'prf' before it)")
        expectError(conf(["proposals aes256-sha256-modp3072;", esp]), at: 11, 37,
                    "'modp3072' is not accepted by Azure's VPN gateway; Azure accepts for the IKE DH group: modp768 (DHGroup1), modp1024 (DHGroup2), modp2048 (DHGroup14), modp2048s256 (DHGroup24), ecp256 (ECP256), ecp384 (ECP384)")
        expectError(conf(["proposals aes256-sha256-curve25519;", esp]), at: 11, 37, "Azure accepts for the IKE DH group")
        expectError(conf(["proposals aes256-sha256-modp1024;", "esp-proposals aes256-sha384;"]), at: 12, 34,
                    "'sha384' is not accepted by Azure's VPN gateway; Azure accepts for ESP integrity: md5 (MD5), sha1 (SHA1), sha256 (SHA256)")
        expectError(conf(["proposals aes256-sha256-modp1024;", "esp-proposals aes256gcm16-ecp521;"]), at: 12, 39,
                    "'ecp521' is not accepted by Azure's VPN gateway; Azure accepts for the ESP PFS group: modp768 (PFS1), modp1024 (PFS2), modp2048 (PFS2048), modp2048s256 (PFS24), ecp256 (ECP256), ecp384 (ECP384)")
    }

    func testEveryRefusalInOneRun() {
        let r = parse(conf(["proposals aes256ctr-sha512-modp3072;", "esp-proposals chacha20poly1305-curve25519;"]))
        XCTAssertNil(r.config)
        XCTAssertEqual(r.diagnostics.map { $0.location.description }, ["11:23", "11:33", "11:40", "12:27", "12:44"])
    }

    func testIKEIntegrityAndPRFMustAgree() {
        expectError(conf(["proposals aes256-sha256-prfsha384-modp1024;", "esp-proposals aes256gcm16;"]), at: 11, 37,
                    "'prfsha384' and 'sha256' differ, but Azure's IKE integrity (SHA256) is its PRF as well")
    }

    func testLifetimesOutsideAzuresRanges() {
        let p = ["proposals aes256-sha256-modp1024;", "esp-proposals aes256gcm16;"]
        expectError(conf(p + ["child-lifetime 299s;"]), at: 13, 28,
                    "child-lifetime 299s is outside what Azure accepts for the CHILD_SA (saLifeTimeSeconds): 300s–172799s")
        expectError(conf(p + ["child-lifetime 48h;"]), at: 13, 28, "300s–172799s")
        expect(conf(p + ["child-lifetime 5m;"]), [])
        expect(conf(p + ["child-lifetime 172799s;"]), [])
        expectError(conf(p + ["child-bytes 1023kb;"]), at: 13, 25,
                    "child-bytes 1023kb is outside what Azure accepts for the CHILD_SA (saDataSizeKilobytes): 1024kb–2147483647kb")
        expectError(conf(p + ["child-bytes 2147483648kb;"]), at: 13, 25, "1024kb–2147483647kb")
        expect(conf(p + ["child-bytes 2147483647kb;", "ike-lifetime 28800s;"]), [])
        expectWarning(conf(p + ["ike-lifetime 9h;"]), at: 13, 26,
                      "ike-lifetime 9h is longer than Azure's IKE SA lifetime, fixed at 28800s (8h): Azure rekeys first")
    }

    func testMissingProposalWarns() {
        expectWarning(conf([]), at: 9, 9,
                      "path 'vpn': Azure's connection needs the proposal charon uses, to write its custom IPsec/IKE policy and check it against Azure's list: add 'proposals' and 'esp-proposals'")
        expectWarning(conf(["proposals aes256-sha256-modp1024;"]), at: 9, 9, "add 'esp-proposals' (e.g. 'esp-proposals aes256gcm16;')")
        expectWarning(conf(["esp-proposals aes256gcm16;"]), at: 9, 9, "add 'proposals' (e.g. 'proposals aes256-sha256-modp2048;')")
    }

    // MARK: one combination

    func testSeveralAlgorithmsOfAKindRefused() {
        let esp = "esp-proposals aes256gcm16;"
        expectError(conf(["proposals aes128-aes256-sha256-modp2048;", esp]), at: 11, 30,
                    "proposals: 'aes256' is a second encryption algorithm (after 'aes128'): Azure's custom IPsec/IKE policy takes exactly one combination, one algorithm of each kind")
        expectError(conf(["proposals aes256-sha256-sha1-modp2048;", esp]), at: 11, 37, "'sha1' is a second integrity algorithm (after 'sha256')")
        expectError(conf(["proposals aes256-sha256-modp2048-ecp256;", esp]), at: 11, 46, "'ecp256' is a second DH group (after 'modp2048')")
        expectError(conf(["proposals aes256-sha256-modp2048;", "esp-proposals aes256gcm16-aes256-sha256;"]), at: 12, 39,
                    "'aes256' is a second encryption algorithm (after 'aes256gcm16')")
        expectError(conf(["proposals aes256-sha256-modp2048,aes128-sha1-modp1024;", esp]), at: 11, 46,
                    "proposals lists 2 proposals: Azure's custom IPsec/IKE policy takes exactly one combination, so give one")
        expectError(conf(["proposals default;", esp]), at: 11, 23, "'default' is strongSwan's whole default list")
    }

    // MARK: how strongSwan reads a proposal

    func testProposalSyntax() {
        let esp = "esp-proposals aes256gcm16;"
        expectError(conf(["proposals aes256-sha265-modp2048;", esp]), at: 11, 30,
                    "proposals: unknown algorithm 'sha265' (strongSwan's keywords, such as aes256, sha256, modp2048) (did you mean 'sha256'?)")
        expectError(conf(["proposals aes256--modp2048;", esp]), at: 11, 30, "proposals: empty algorithm")
        expectError(conf(["proposals aes256-sha256;", esp]), at: 11, 23, "proposals needs a DH group")
        expectError(conf(["proposals sha256-modp2048;", esp]), at: 11, 23, "proposals needs an encryption algorithm")
        expectError(conf(["proposals aes256-modp2048;", esp]), at: 11, 23, "proposals needs an integrity algorithm")
        expectError(conf(["proposals aes256gcm16-modp2048;", esp]), at: 11, 23,
                    "proposals needs a PRF, as aes256gcm16 carries no hash (e.g. aes256gcm16-prfsha256-modp2048)")
        expectError(conf(["proposals aes256-sha256-modp2048-esn;", esp]), at: 11, 46, "'esn' is for ESP, not IKE")
        expectError(conf(["proposals aes256-sha256-modp2048;", "esp-proposals aes256gcm16-prfsha256;"]), at: 12, 39,
                    "'prfsha256' is a PRF, which only IKE uses")
        expectError(conf(["proposals aes256-sha256-modp2048;", "esp-proposals aes256gcm16-sha256;"]), at: 12, 39,
                    "esp-proposals: aes256gcm16 carries its own integrity; remove 'sha256'")
        expectError(conf(["proposals aes256-sha256-modp2048;", "esp-proposals aes256;"]), at: 12, 27,
                    "esp-proposals needs an integrity algorithm beside aes256 (e.g. aes256-sha256), or an AEAD cipher such as aes256gcm16")
        // In IKE an integrity algorithm beside GCM is taken as the PRF, as charon does.
        expect(conf(["proposals aes256gcm16-sha384-ecp384;", "esp-proposals aes256gcm16-noesn;"]), [])
    }

    func testLifetimeAndVolumeSyntax() {
        let p = ["proposals aes256-sha256-modp1024;", "esp-proposals aes256gcm16;"]
        expectError(conf(p + ["child-lifetime 1500ms;"]), at: 13, 28, "child-lifetime must be a whole number of seconds")
        expectError(conf(p + ["ike-lifetime 28800;"]), at: 13, 26, "ike-lifetime '28800' needs a unit")
        expectError(conf(p + ["child-bytes 102400000;"]), at: 13, 25,
                    "child-bytes '102400000' needs its unit: kilobytes, as Azure counts them (e.g. '102400000kb')")
        expectError(conf(p + ["child-bytes 100gb;"]), at: 13, 25, "unknown unit 'gb' in child-bytes '100gb'")
        expectError(conf(p + ["child-bytes 99999999999999999999999kb;"]), at: 13, 25, "child-bytes '99999999999999999999999kb' is too large")
        expectError(conf(p + ["child-bytes lots;"]), at: 13, 25, "invalid child-bytes 'lots'")
        expectError(conf(p + ["child-bytes 0kb;"]), at: 13, 25, "child-bytes must be 1kb or more")
    }

    // MARK: the table

    func testTableIsConsistent() {
        var seen: Set<String> = []
        for a in IPsecAlgorithm.all {
            XCTAssertTrue(seen.insert(a.keyword).inserted, "\(a.keyword) twice")
            if let canonical = a.aliasOf {
                let c = IPsecAlgorithm.named(canonical)
                XCTAssertNotNil(c, a.keyword)
                XCTAssertEqual(c?.ike, a.ike, a.keyword)
                XCTAssertEqual(c?.esp, a.esp, a.keyword)
            }
            if a.kind == .prf { XCTAssertNil(a.esp, a.keyword) }
        }
        // Exactly the documented lists (MicrosoftDocs/azure-docs vpn-gateway-ipsec-ike-algorithm-include.md).
        func names(_ s: AzureIPsecSlot) -> Set<String> { Set(s.accepted.compactMap { s.azureName($0) }) }
        XCTAssertEqual(names(.ikeEncryption), ["GCMAES256", "GCMAES128", "AES256", "AES192", "AES128"])
        XCTAssertEqual(names(.ikeIntegrity), ["SHA384", "SHA256", "SHA1", "MD5"])
        XCTAssertEqual(names(.dhGroup), ["DHGroup24", "ECP384", "ECP256", "DHGroup14", "DHGroup2", "DHGroup1"])
        XCTAssertEqual(names(.ipsecEncryption), ["GCMAES256", "GCMAES192", "GCMAES128", "AES256", "AES192", "AES128", "DES3", "DES", "None"])
        XCTAssertEqual(names(.ipsecIntegrity), ["SHA256", "SHA1", "MD5"], "the GCMAES integrities come with the GCM ciphers")
        XCTAssertEqual(names(.pfsGroup), ["PFS24", "ECP384", "ECP256", "PFS2048", "PFS2", "PFS1"], "and None: no group")
    }

    // MARK: the example

    func testExamplesCarryAzuresDefaultsWithGroup14() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        for name in ["azure-er-vpn.conf", "azure-default-route.conf"] {
            let text = try String(contentsOf: root.appendingPathComponent("deploy/examples/" + name), encoding: .utf8)
            let r = ConfigLoader.parse(text, file: name)
            XCTAssertEqual(lines(r), [], name)
            let vpn = try XCTUnwrap(r.config?.paths.first { $0.name == "vpn" }, name)
            let p = try XCTUnwrap(azureIPsecPolicy(try XCTUnwrap(vpn.ipsec)), name)
            XCTAssertEqual(p, AzureIPsecPolicy(ikeEncryption: "AES256", ikeIntegrity: "SHA256", dhGroup: "DHGroup14",
                                               ipsecEncryption: "GCMAES256", ipsecIntegrity: "GCMAES256", pfsGroup: "None",
                                               saLifeTimeSeconds: 27_000, saDataSizeKilobytes: 102_400_000), name)
        }
    }
}
