import XCTest
import Foundation
@testable import HedgeCore

/// The `ipsec { ... }` block of a path (static and strongSwan keying) and the static key file.
final class ConfigIPsecTests: XCTestCase, ConfigChecking {

    /// Lines 1–7 fixed; the ipsec body starts on line 8, its statements at column 9 (a nested
    /// block's at column 13).
    func conf(_ body: [String], device: String = "device vpn0;", probe: Bool = true) -> String {
        var t = """
            path er { priority 10; device er0; gateway 192.168.10.2; }
            group g { prefix 10.200.0.0/16; paths er vpn; }
            path vpn {
                priority 20;
                \(device)
                \(probe ? "probe icmp 10.200.0.4 { interval 50ms; }" : "# no probe")
                ipsec {

            """
        for b in body { t += "        " + b + "\n" }
        return t + "    }\n}\n"
    }

    let outer = ["if-id 42;", "local 198.51.100.1;", "remote 203.0.113.2;"]
    let manual = ["static {", "    spi-out 0x1001;", "    spi-in 0x2001;", "    cipher aes256-sha256;",
                  "    key-file \"/etc/hedge/vpn.keys\";", "}"]
    let swan = ["strongswan { connection azure; }"]


    // MARK: good configurations

    func testStaticKeying() throws {
        let r = parse(conf(outer + ["underlay wan0;", "static {", "    spi-out 0x1001;", "    spi-in 8193;",
                                    "    cipher aes256-sha256;", "    key-file \"/etc/hedge/vpn.keys\";",
                                    "    replay-window 64;", "}"]))
        XCTAssertEqual(lines(r), [])
        let vpn = try XCTUnwrap(r.config?.paths[1])
        let x = try XCTUnwrap(vpn.ipsec)
        XCTAssertEqual(x.ifID, 42)
        XCTAssertEqual(x.local, IPAddress("198.51.100.1"))
        XCTAssertEqual(x.remote, IPAddress("203.0.113.2"))
        XCTAssertEqual(x.underlay, "wan0")
        XCTAssertEqual(x.location.description, "7:5")
        guard case .manual(let k) = x.keying else { return XCTFail("\(x.keying)") }
        XCTAssertEqual(k.spiOut, 0x1001)
        XCTAssertEqual(k.spiIn, 0x2001)
        XCTAssertEqual(k.cipher, .aes256sha256)
        XCTAssertEqual(k.keyFile, "/etc/hedge/vpn.keys")
        XCTAssertEqual(k.replayWindow, 64)
        XCTAssertEqual(k.location.description, "12:9")
        XCTAssertFalse(vpn.carrier, "an XFRM interface has no carrier of its own")
        XCTAssertNil(vpn.gateway)
        XCTAssertTrue(r.config!.paths[0].carrier, "other paths keep carrier on")
        XCTAssertNil(r.config!.paths[0].ipsec)
    }

    func testStaticDefaults() throws {
        let r = parse(conf(outer + manual))
        XCTAssertEqual(lines(r), [])
        let x = try XCTUnwrap(r.config?.paths[1].ipsec)
        XCTAssertNil(x.underlay)
        guard case .manual(let k) = x.keying else { return XCTFail("\(x.keying)") }
        XCTAssertEqual(k.replayWindow, 32)
    }

    func testStrongSwanKeying() throws {
        let r = parse(conf(outer + ["strongswan {", "    connection \"azure gw\";", "    child vnet;",
                                    "    vici \"unix:///run/strongswan/charon.vici\";", "    initiate off;", "}"]))
        XCTAssertEqual(lines(r), [])
        let x = try XCTUnwrap(r.config?.paths[1].ipsec)
        guard case .strongswan(let s) = x.keying else { return XCTFail("\(x.keying)") }
        XCTAssertEqual(s.connection, "azure gw")
        XCTAssertEqual(s.child, "vnet")
        XCTAssertEqual(s.vici, "/run/strongswan/charon.vici")
        XCTAssertFalse(s.initiate)
        XCTAssertEqual(s.location.description, "11:9")
    }

    func testStrongSwanDefaults() throws {
        let r = parse(conf(outer + swan))
        XCTAssertEqual(lines(r), [])
        let vpn = try XCTUnwrap(r.config?.paths[1])
        guard case .strongswan(let s) = vpn.ipsec?.keying else { return XCTFail("\(String(describing: vpn.ipsec))") }
        XCTAssertEqual(s.connection, "azure")
        XCTAssertEqual(s.child, "azure", "the CHILD_SA is named after the connection unless told")
        XCTAssertEqual(s.vici, "/var/run/charon.vici")
        XCTAssertTrue(s.initiate)
        XCTAssertFalse(vpn.carrier)
    }

    func testCarrierGivenExplicitly() throws {
        let on = parse(conf(outer + swan, device: "device vpn0; carrier on;"))
        XCTAssertEqual(lines(on), [])
        XCTAssertEqual(on.config?.paths[1].carrier, true)
        let off = parse(conf(outer + swan, device: "device vpn0; carrier off;"))
        XCTAssertEqual(off.config?.paths[1].carrier, false)
    }

    func testIPv6Tunnel() throws {
        let r = parse(conf(["if-id 7;", "local 2001:db8::1;", "remote 2001:db8:1::2;"] + swan))
        XCTAssertEqual(lines(r), [])
        XCTAssertEqual(r.config?.paths[1].ipsec?.remote, IPAddress("2001:db8:1::2"))
    }

    func testHexNumbers() throws {
        let r = parse(conf(["if-id 0xFFFF_FFFF;", "local 198.51.100.1;", "remote 203.0.113.2;", "static {",
                            "    spi-out 0xffffffff;", "    spi-in 0x100;", "    cipher aes256-sha256;",
                            "    key-file \"/k\";", "}"]))
        XCTAssertEqual(lines(r), [])
        let x = try XCTUnwrap(r.config?.paths[1].ipsec)
        XCTAssertEqual(x.ifID, UInt32.max)
        guard case .manual(let k) = x.keying else { return XCTFail() }
        XCTAssertEqual(k.spiOut, 0xffff_ffff)
        XCTAssertEqual(k.spiIn, 256)
        XCTAssertEqual(Values.integer("0x1001"), 4097)
        XCTAssertEqual(Values.integer("0X2a"), 42)
        XCTAssertEqual(Values.integer("0x4865_0000"), 0x4865_0000)
        XCTAssertNil(Values.integer("0x"))
        XCTAssertNil(Values.integer("0xg1"))
        XCTAssertNil(Values.integer("0x_1"))
        XCTAssertNil(Values.integer("0x1__2"))
        XCTAssertNil(Values.integer("0x1_0000_0000_0000_0000"))
        XCTAssertTrue(Values.isOverlongInteger("0x1_0000_0000_0000_0000"))
        XCTAssertFalse(Values.isOverlongInteger("0xffff_ffff_ffff_ffff"))
        XCTAssertFalse(Values.isOverlongInteger("0x12_"))
        XCTAssertEqual(Values.integer("4_000"), 4000, "decimal unchanged")
    }

    // MARK: errors, each where it is

    func testIfID() {
        expectError(conf(["if-id 0;"] + outer.dropFirst() + swan), at: 8, 15, "if-id must be 1–4294967295")
        expectError(conf(["if-id 0x1_0000_0000;"] + outer.dropFirst() + swan), at: 8, 15, "if-id must be 1–4294967295")
        expectError(conf(Array(outer.dropFirst()) + swan), at: 7, 5, "'ipsec' needs 'if-id NUMBER;'")
        expectError(conf(["if-id 4x;"] + outer.dropFirst() + swan), at: 8, 15, "invalid if-id '4x'")
    }

    func testDuplicateIfIDAcrossPaths() {
        let text = """
            path er { priority 10; device er0; gateway 192.168.10.2; }
            path vpn { priority 20; device vpn0; probe icmp 10.200.0.4 { }
              ipsec { if-id 42; local 198.51.100.1; remote 203.0.113.2; strongswan { connection a; } } }
            path vpn2 { priority 30; device vpn1; probe icmp 10.200.0.5 { }
              ipsec { if-id 0x2a; local 198.51.100.1; remote 203.0.113.3; strongswan { connection b; } } }
            group g { prefix 10.200.0.0/16; paths er vpn vpn2; }
            """
        expectError(text, at: 5, 17, "if-id 42 is already used by path 'vpn' (line 3)")
        let sameDevice = text.replacingOccurrences(of: "device vpn1", with: "device vpn0")
            .replacingOccurrences(of: "if-id 0x2a", with: "if-id 43")
        expectError(sameDevice, at: 4, 33, "device vpn0 is already the XFRM interface of path 'vpn' (line 2)")
    }

    func testOuterAddresses() {
        expectError(conf(["if-id 42;", "local 198.51.100.1;", "remote 2001:db8::2;"] + swan), at: 10, 16,
                    "ipsec remote 2001:db8::2 and local 198.51.100.1 are of different address families")
        expectError(conf(["if-id 42;", "local 198.51.100.1;", "remote 198.51.100.1;"] + swan), at: 10, 16,
                    "ipsec remote is the same address as local (198.51.100.1)")
        expectError(conf(["if-id 42;", "local 224.0.0.5;", "remote 203.0.113.2;"] + swan), at: 9, 15,
                    "ipsec local must be a unicast address")
        expectError(conf(["if-id 42;", "local 198.51.100.0/24;", "remote 203.0.113.2;"] + swan), at: 9, 15,
                    "ipsec local must be an address, not a prefix")
        expectError(conf(["if-id 42;", "local 198.51.100.1;"] + swan), at: 7, 5, "'ipsec' needs 'remote ADDRESS;'")
    }

    func testGatewayRefused() {
        expectError(conf(outer + swan, device: "device vpn0; gateway 10.0.0.1;"), at: 5, 26,
                    "path 'vpn' has 'ipsec': vpn0 is an XFRM interface, point-to-point, so routes over it take no next hop; remove 'gateway'")
        expectError(conf(outer + swan, device: "device vpn0; gateway6 fe80::1;"), at: 5, 27, "remove 'gateway6'")
    }

    func testUnderlay() {
        expectError(conf(outer + ["underlay vpn0;"] + swan), at: 11, 18, "underlay vpn0 is the tunnel's own device")
        expectError(conf(outer + ["underlay a/b;"] + swan), at: 11, 18, "invalid underlay device name 'a/b'")
    }

    func testKeyingExactlyOne() {
        expectError(conf(outer), at: 7, 5, "'ipsec' needs its keying: 'static { ... }'")
        expectError(conf(outer + manual + swan), at: 17, 9,
                    "an 'ipsec' block takes one keying, 'static' or 'strongswan', not both ('static' at line 11)")
        expectError(conf(outer + swan + manual), at: 12, 9,
                    "an 'ipsec' block takes one keying, 'static' or 'strongswan', not both ('strongswan' at line 11)")
        // A keyword without its block is reported once, not again as missing keying.
        let r = parse(conf(outer + ["static;"]))
        XCTAssertEqual(lines(r), ["t.conf:11:15: error: 'static' needs a block (usage: static { spi-out NUMBER; spi-in NUMBER; cipher NAME; key-file \"PATH\"; })"])
    }

    func testStaticRules() {
        // static starts on line 11, its statements on 12–15 at column 13.
        let noKey = manual.filter { !$0.contains("key-file") }
        expectError(conf(outer + noKey), at: 11, 9, "'static' needs 'key-file \"PATH\";'")
        expectError(conf(outer + manual.map { $0.replacingOccurrences(of: "0x2001", with: "4097") }), at: 13, 20,
                    "spi-in equals spi-out (0x1001): the inbound and outbound SAs need SPIs of their own")
        expectError(conf(outer + manual.map { $0.replacingOccurrences(of: "0x1001", with: "255") }), at: 12, 21,
                    "spi-out must be 256–4294967295")
        expectError(conf(outer + manual.map { $0.replacingOccurrences(of: "0x2001", with: "0") }), at: 13, 20,
                    "spi-in must be 256–4294967295")
        expectError(conf(outer + manual.filter { !$0.contains("spi-in") }), at: 11, 9, "'static' needs 'spi-in NUMBER;'")
        expectError(conf(outer + manual.filter { !$0.contains("cipher") }), at: 11, 9, "'static' needs 'cipher aes256gcm16|aes256-sha256;'")
        expectError(conf(outer + manual.map { $0.replacingOccurrences(of: "aes256-sha256", with: "aes256gcm128") }), at: 14, 20,
                    "unknown cipher 'aes256gcm128' (expected aes256gcm16 or aes256-sha256) (did you mean 'aes256gcm16'?)")
        expectError(conf(outer + manual.map { $0.replacingOccurrences(of: "aes256-sha256", with: "aes256sha256") }), at: 14, 20,
                    "(did you mean 'aes256-sha256'?)")
        expectError(conf(outer + manual.dropLast() + ["    replay-window 256;", "}"]), at: 16, 27, "replay-window must be 0–255")
        expectError(conf(outer + manual.map { $0.replacingOccurrences(of: "\"/etc/hedge/vpn.keys\"", with: "\"\"") }), at: 15, 22,
                    "key-file needs a path")
        expectError(conf(outer + manual.map { $0.replacingOccurrences(of: "spi-out", with: "spi-ot") }), at: 12, 13,
                    "unknown statement 'spi-ot' in static (did you mean 'spi-out'?)")
    }

    func testStrongSwanRules() {
        expectError(conf(outer + ["strongswan { child x; }"]), at: 11, 9, "'strongswan' needs 'connection NAME;'")
        expectError(conf(outer + ["strongswan { connection \"\"; }"]), at: 11, 33, "connection needs a name")
        expectError(conf(outer + ["strongswan { connection a; vici \"tcp://127.0.0.1:4502\"; }"]), at: 11, 41,
                    "vici: hedge reaches charon over its unix socket only, not 'tcp'")
        expectError(conf(outer + ["strongswan { connection a; vici \"charon.vici\"; }"]), at: 11, 41,
                    "vici must be an absolute socket path")
        expectError(conf(outer + ["strongswan { connection a; initiate maybe; }"]), at: 11, 45,
                    "invalid value 'maybe' for 'initiate' (expected on or off)")
        expectError(conf(outer + ["strongswan { conection a; }"]), at: 11, 22,
                    "unknown statement 'conection' in strongswan (did you mean 'connection'?)")
    }

    func testMisplacedAndMisspelledStatements() {
        expectError(conf(outer + ["statc { }"]), at: 11, 9, "unknown statement 'statc' in ipsec (did you mean 'static'?)")
        expectError(conf(outer + swan + ["spi-in 4097;"]), at: 12, 9,
                    "unknown statement 'spi-in' in ipsec ('spi-in' belongs in a static block)")
        expectError(conf(["if-id 42;", "local 198.51.100.1;", "remot 203.0.113.2;"] + swan), at: 10, 9,
                    "unknown statement 'remot' in ipsec (did you mean 'remote'?)")
        expectError(conf(outer + swan + ["if-id 43;"]), at: 12, 9, "duplicate 'if-id' in ipsec (first given at line 8)")
    }

    /// One pass reports every mistake, and nothing is applied.
    func testReportsEveryError() {
        let r = parse(conf(["if-id 0;", "local 198.51.100.1;", "remote 2001:db8::2;", "static {",
                            "    spi-out 1;", "    spi-in 1;", "    cipher aes;", "}"],
                           device: "device vpn0; gateway 10.0.0.1;"))
        XCTAssertNil(r.config)
        XCTAssertEqual(lines(r), [
            "t.conf:5:26: error: path 'vpn' has 'ipsec': vpn0 is an XFRM interface, point-to-point, so routes over it take no next hop; remove 'gateway'",
            "t.conf:8:15: error: if-id must be 1–4294967295 (the kernel refuses an XFRM interface with if_id 0)",
            "t.conf:10:16: error: ipsec remote 2001:db8::2 and local 198.51.100.1 are of different address families",
            "t.conf:11:9: error: 'static' needs 'key-file \"PATH\";' (the ESP keys: root-owned, mode 0600)",
            "t.conf:12:21: error: spi-out must be 256–4294967295 (0x100–0xffffffff; RFC 4303 reserves 1–255, and 0 is never sent)",
            "t.conf:13:20: error: spi-in must be 256–4294967295 (0x100–0xffffffff; RFC 4303 reserves 1–255, and 0 is never sent)",
            "t.conf:13:20: error: spi-in equals spi-out (0x1): the inbound and outbound SAs need SPIs of their own",
            "t.conf:14:20: error: unknown cipher 'aes' (expected aes256gcm16 or aes256-sha256)",
        ])
    }

    // MARK: warnings

    func testVPNWithoutProbeWarns() {
        expectWarning(conf(outer + swan, probe: false), at: 7, 5,
                      "path 'vpn' has 'ipsec' but no probe: nothing tells a dead tunnel from a live one but the SA; add a probe through the tunnel")
        let withBFD = parse(conf(outer + swan, device: "device vpn0; bfd 169.254.0.1 { }", probe: false))
        XCTAssertEqual(lines(withBFD), [], "BFD through the tunnel tells too")
    }

    func testStaticGCMWarns() {
        expectWarning(conf(outer + manual.map { $0.replacingOccurrences(of: "aes256-sha256", with: "aes256gcm16") }), at: 14, 20,
                      "aes256gcm16 with static keys")
    }

    func testRelativeKeyFileWarns() {
        expectWarning(conf(outer + manual.map { $0.replacingOccurrences(of: "/etc/hedge/vpn.keys", with: "vpn.keys") }), at: 15, 22,
                      "key-file \"vpn.keys\" is a relative path")
    }

    // MARK: the example

    func testExampleVPNPath() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("deploy/examples/azure-er-vpn.conf"), encoding: .utf8)
        let r = ConfigLoader.parse(text, file: "azure-er-vpn.conf")
        XCTAssertEqual(lines(r), [])
        let vpn = try XCTUnwrap(r.config?.paths.first { $0.name == "vpn" })
        let x = try XCTUnwrap(vpn.ipsec)
        XCTAssertEqual(x.ifID, 42)
        XCTAssertEqual(x.local, IPAddress("198.51.100.1"))
        XCTAssertEqual(x.remote, IPAddress("203.0.113.2"))
        XCTAssertEqual(x.underlay, "wan0")
        guard case .strongswan(let s) = x.keying else { return XCTFail("\(x.keying)") }
        XCTAssertEqual(s.connection, "azure")
        XCTAssertEqual(s.child, "azure")
        XCTAssertEqual(s.vici, "/var/run/charon.vici")
        XCTAssertTrue(s.initiate)
        XCTAssertFalse(vpn.carrier)
    }

    // MARK: the key file

    let gcmOut = String(repeating: "0123456789abcdef", count: 4) + "c0ffee01"        // 72 digits
    let gcmIn = String(repeating: "fedcba9876543210", count: 4) + "0badf00d"
    let enc = String(repeating: "11", count: 32), auth = String(repeating: "A2", count: 32)
    let enc2 = String(repeating: "33", count: 32), auth2 = String(repeating: "44", count: 32)

    func keys(_ text: String, _ cipher: IPsecCipher) throws(IPsecKeyFileError) -> (outbound: XfrmAlgorithm, inbound: XfrmAlgorithm) {
        try IPsecKeyFile.parse(Array(text.utf8), cipher: cipher, file: "vpn.keys")
    }

    /// The diagnostics of a key file that must fail, checked never to contain key digits.
    func keyErrors(_ text: String, _ cipher: IPsecCipher, file: StaticString = #filePath, line: UInt = #line) -> [String] {
        do {
            _ = try keys(text, cipher)
            XCTFail("accepted", file: file, line: line)
            return []
        } catch {
            let out = error.diagnostics.map { $0.description }
            for d in out {
                for secret in [gcmOut, gcmIn, enc, auth, enc2, auth2] {
                    XCTAssertFalse(d.contains(String(secret.prefix(8))), "key material in \(d)", file: file, line: line)
                }
            }
            XCTAssertEqual(error.description, out.joined(separator: "\n"), file: file, line: line)
            return out
        }
    }

    func bytes(_ hex: String) -> [UInt8] {
        let b = Array(hex.utf8)
        return stride(from: 0, to: b.count, by: 2).map { UInt8(String(decoding: b[$0..<$0 + 2], as: UTF8.self), radix: 16)! }
    }

    func testKeyFileGCM() throws {
        let text = "# hedge static ESP keys; mode 0600, owned by root\n\nout 0x\(gcmOut)\n  in\t\(gcmIn.uppercased())   # peer's out\n"
        let k = try keys(text, .aes256gcm16)
        XCTAssertEqual(k.outbound, .aead(name: "rfc4106(gcm(aes))", key: bytes(gcmOut), icvBits: 128))
        XCTAssertEqual(k.inbound, .aead(name: "rfc4106(gcm(aes))", key: bytes(gcmIn), icvBits: 128))
        if case .aead(_, let key, _) = k.outbound { XCTAssertEqual(key.count, IPsecCipher.aes256gcm16.keyBytes) }
        XCTAssertEqual(IPsecCipher.aes256gcm16.keyBytes, 36)
    }

    func testKeyFileCBCHMAC() throws {
        let text = "in 0x\(enc2) 0x\(auth2)\r\nout \(enc) 0X\(auth)\r\n"
        let k = try keys(text, .aes256sha256)
        XCTAssertEqual(k.outbound, .cbcHmac(encryption: "cbc(aes)", encKey: bytes(enc), authentication: "hmac(sha256)",
                                            authKey: bytes(auth), truncBits: 128))
        XCTAssertEqual(k.inbound, .cbcHmac(encryption: "cbc(aes)", encKey: bytes(enc2), authentication: "hmac(sha256)",
                                           authKey: bytes(auth2), truncBits: 128))
        XCTAssertEqual(IPsecCipher.aes256sha256.keyBytes, 64)
        XCTAssertEqual(IPsecCipher.aes256sha256.keyParts, [32, 32])
        XCTAssertFalse("\(k.outbound)".contains("11111111"), "description names sizes only")
    }

    func testKeyFileDigitCounts() {
        XCTAssertEqual(keyErrors("out 0x\(gcmOut.dropLast())\nin 0x\(gcmIn)\n", .aes256gcm16),
                       ["vpn.keys:1:5: error: expected 72 hex digits for the AES key and salt, found 71; an odd count: a digit is missing or extra"])
        XCTAssertEqual(keyErrors("out 0x\(gcmOut)\nin  \(gcmIn.dropLast(2))\n", .aes256gcm16),
                       ["vpn.keys:2:5: error: expected 72 hex digits for the AES key and salt, found 70"])
        XCTAssertEqual(keyErrors("out \(enc) \(auth)00\nin \(enc2) \(auth2)\n", .aes256sha256),
                       ["vpn.keys:1:70: error: expected 64 hex digits for the authentication key, found 66"])
    }

    func testKeyFileBadCharacter() {
        var bad = Array(gcmOut)
        bad[10] = "g"
        XCTAssertEqual(keyErrors("out 0x\(String(bad))\nin 0x\(gcmIn)\n", .aes256gcm16),
                       ["vpn.keys:1:17: error: not a hex digit (keys are hex: 0-9, a-f)"])
        XCTAssertEqual(keyErrors("out 0x\(gcmOut)\nin 0x\(gcmIn.dropLast())é\n", .aes256gcm16),
                       ["vpn.keys:2:77: error: not a hex digit (keys are hex: 0-9, a-f)"])
    }

    func testKeyFileMissingAndDuplicateLines() {
        XCTAssertEqual(keyErrors("out 0x\(gcmOut)\n", .aes256gcm16),
                       ["vpn.keys:1:1: error: no 'in' line: the key file needs an 'out' and an 'in' key (aes256gcm16: 0x and 72 hex digits, the 32-byte AES key and its 4-byte salt)"])
        XCTAssertEqual(keyErrors("# nothing\n\n", .aes256sha256).count, 2)
        XCTAssertEqual(keyErrors("out 0x\(gcmOut)\nin 0x\(gcmIn)\nout 0x\(gcmIn)\n", .aes256gcm16),
                       ["vpn.keys:3:1: error: duplicate 'out' (first given at line 1)"])
        XCTAssertEqual(keyErrors("out\nin 0x\(gcmIn)\n", .aes256gcm16),
                       ["vpn.keys:1:4: error: 'out' needs its key (aes256gcm16: 0x and 72 hex digits, the 32-byte AES key and its 4-byte salt)"])
    }

    func testKeyFileFieldCounts() {
        XCTAssertEqual(keyErrors("out \(enc)\nin \(enc2) \(auth2)\n", .aes256sha256),
                       ["vpn.keys:1:69: error: 'out' needs 2 keys with aes256-sha256, found 1 (aes256-sha256: 0x and 64 hex digits of encryption key, then 0x and 64 of authentication key)"])
        XCTAssertEqual(keyErrors("out \(gcmOut) 0x00\nin \(gcmIn)\n", .aes256gcm16),
                       ["vpn.keys:1:78: error: unexpected extra field: aes256gcm16 takes one key per line (aes256gcm16: 0x and 72 hex digits, the 32-byte AES key and its 4-byte salt)"])
    }

    func testKeyFileLineWithoutDirection() {
        XCTAssertEqual(keyErrors("0x\(gcmOut)\nin \(gcmIn)\n", .aes256gcm16), [
            "vpn.keys:1:1: error: expected 'out' or 'in' at the start of the line",
            "vpn.keys:1:1: error: no 'out' line: the key file needs an 'out' and an 'in' key (aes256gcm16: 0x and 72 hex digits, the 32-byte AES key and its 4-byte salt)",
        ])
        XCTAssertEqual(keyErrors("Out \(gcmOut)\nin \(gcmIn)\n", .aes256gcm16).first,
                       "vpn.keys:1:1: error: expected 'out' or 'in' at the start of the line (did you mean 'out'?)")
    }

    func testKeyFileSameKeyBothWays() {
        XCTAssertEqual(keyErrors("out \(gcmOut)\nin \(gcmOut)\n", .aes256gcm16),
                       ["vpn.keys:2:4: error: the 'in' key is the same as the 'out' key: each direction needs a key of its own"])
    }

    func testKeyFileEveryErrorInOnePass() {
        XCTAssertEqual(keyErrors("out 0x12\nin 0xzz\nup\n", .aes256gcm16), [
            "vpn.keys:1:5: error: expected 72 hex digits for the AES key and salt, found 2",
            "vpn.keys:2:6: error: not a hex digit (keys are hex: 0-9, a-f)",
            "vpn.keys:3:1: error: expected 'out' or 'in' at the start of the line",
        ])
    }

    // MARK: mss and mtu

    func ipsecWith(_ extra: String) -> String {
        """
        path er { priority 10; device er0; gateway 192.168.10.2; }
        path vpn { priority 20; device vpn0; probe icmp 10.200.0.4 { }
            ipsec { if-id 42; local 198.51.100.1; remote 203.0.113.2; strongswan { connection a; } \(extra) } }
        group g { prefix 10.200.0.0/16; paths er vpn; }
        """
    }

    func testMSSAndMTUDefaultToAzures() throws {
        let x = try XCTUnwrap(parse(ipsecWith("")).config?.paths[1].ipsec)
        XCTAssertEqual(x.mss, 1350)
        XCTAssertEqual(x.mtu, 1400)
        let y = try XCTUnwrap(parse(ipsecWith("mss 1300; mtu 1420;")).config?.paths[1].ipsec)
        XCTAssertEqual(y.mss, 1300)
        XCTAssertEqual(y.mtu, 1420)
    }

    func testMSSOffIsWarned() {
        expectWarning(ipsecWith("mss off;"), at: 3, 96, "TCP through the tunnel stalls after the handshake")
    }

    func testMSSAndMTUOutOfRangeAreRefused() {
        expectError(ipsecWith("mss 100;"), at: 3, 96, "mss must be 536–1460 or off")
        expectError(ipsecWith("mtu 1000;"), at: 3, 96, "mtu must be 1280–9000")
    }
}
