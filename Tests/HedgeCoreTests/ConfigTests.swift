import XCTest
import Foundation
@testable import HedgeCore

final class ConfigTests: XCTestCase, ConfigChecking {

    // MARK: helpers

    /// A minimal valid configuration; tests append to it or replace parts of it.
    static let paths = """
        path er { priority 10; device er0; gateway 192.168.10.2; }
        path vpn { priority 20; device vpn0; }

        """
    static let group = """
        group g { prefix 10.200.0.0/16; paths er vpn; }

        """
    static let minimal = paths + group


    // MARK: the example

    func testExampleFileParsesCleanly() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let url = root.appendingPathComponent("deploy/examples/azure-er-vpn.conf")
        let text = try String(contentsOf: url, encoding: .utf8)
        let r = ConfigLoader.parse(text, file: "azure-er-vpn.conf")
        XCTAssertEqual(lines(r), [])
        let c = try XCTUnwrap(r.config)
        XCTAssertEqual(c.routerID, IPAddress("192.0.2.1"))
        XCTAssertEqual(c.localAS, 65010)
        let az = try XCTUnwrap(c.azure)
        XCTAssertEqual(az.vnet, [IPPrefix("10.200.0.0/16")!])
        XCTAssertEqual(az.gatewaySubnet, IPPrefix("10.200.255.224/27"))
        XCTAssertEqual(az.privatePeeringLimit, 4000)
        XCTAssertEqual(c.paths.map { $0.name }, ["expressroute", "vpn"])
        let er = c.paths[0], vpn = c.paths[1]
        XCTAssertEqual(er.priority, 10)
        XCTAssertEqual(er.device, "er0")
        XCTAssertEqual(er.gateway, IPAddress("192.168.10.2"))
        XCTAssertNil(er.gateway6)
        XCTAssertTrue(er.carrier)
        XCTAssertEqual(er.announce, [IPPrefix("172.16.0.0/16")!, IPPrefix("172.16.255.254/32")!])
        let probe = try XCTUnwrap(er.probe)
        XCTAssertEqual(probe.kind, .reflect)
        XCTAssertEqual(probe.keyFile, "/etc/hedge/reflect.key")
        XCTAssertEqual(probe.port, ProbeConfig.reflectPort)
        XCTAssertEqual(probe.target, IPAddress("10.200.0.4"))
        XCTAssertEqual(probe.intervalMs, 5)
        XCTAssertEqual(probe.threshold, 3)
        XCTAssertEqual(probe.recover, 3)
        XCTAssertEqual(probe.source, IPAddress("172.16.255.254"))
        let bgp = try XCTUnwrap(er.bgp)
        XCTAssertEqual(bgp.neighbor, IPAddress("192.168.10.2"))
        XCTAssertEqual(bgp.remoteAS, 12076)
        XCTAssertEqual(bgp.holdTime, 90)
        XCTAssertEqual(bgp.md5KeyFile, "/etc/hedge/expressroute.key")
        XCTAssertEqual(bgp.maxPrefix, 1000)
        let bfd = try XCTUnwrap(er.bfd)
        XCTAssertEqual(bfd.intervalMs, 300)
        XCTAssertEqual(bfd.multiplier, 3)
        XCTAssertEqual(vpn.priority, 20)
        XCTAssertEqual(vpn.device, "vpn0")
        XCTAssertNil(vpn.gateway)
        XCTAssertEqual(c.groups.count, 1)
        let g = c.groups[0]
        XCTAssertEqual(g.name, "azure")
        XCTAssertEqual(g.prefixes, [], "learned from the expressroute BGP session")
        XCTAssertEqual(c.learningGroup(path: 0), 0)
        XCTAssertEqual(g.paths, ["expressroute", "vpn"])
        XCTAssertEqual(g.holdDownMs, 30_000)
        XCTAssertEqual(g.nexthopID, 4800)
        XCTAssertEqual(g.damping, DampingConfig())
        XCTAssertEqual(c.kernel.routeProtocol, 88)
        XCTAssertEqual(c.kernel.table, 254)
        XCTAssertEqual(c.kernel.metric, 0)
        XCTAssertFalse(c.kernel.withdrawOnExit)
        XCTAssertTrue(c.kernel.nexthopObjects)
        XCTAssertEqual(c.kernel.netlinkReceiveBuffer, 16 << 20)
        XCTAssertEqual(c.control.socketPath, "/run/hedge/hedge.sock")
        XCTAssertEqual(er.location.description, "\(lineOf("path expressroute", in: text)):1")
    }

    func lineOf(_ s: String, in text: String) -> Int {
        (text.components(separatedBy: "\n").firstIndex { $0.hasPrefix(s) } ?? -1) + 1
    }

    // MARK: the grammar

    func testMinimalAndDefaults() throws {
        let r = parse(Self.minimal)
        XCTAssertEqual(lines(r), [])
        let c = try XCTUnwrap(r.config)
        XCTAssertNil(c.routerID)
        XCTAssertNil(c.localAS)
        XCTAssertNil(c.azure)
        XCTAssertEqual(c.paths.count, 2)
        XCTAssertNil(c.paths[0].probe)
        XCTAssertEqual(c.paths[1].announce, [])
        XCTAssertEqual(c.groups[0].holdDownMs, 30_000)
        XCTAssertNil(c.groups[0].damping)
        XCTAssertEqual(c.groups[0].nexthopID, 4800)
        XCTAssertEqual(c.kernel.routeProtocol, 88)
        XCTAssertEqual(c.kernel.table, 254)
        XCTAssertEqual(c.control.socketPath, "/run/hedge/hedge.sock")
        XCTAssertEqual(c.paths[0].location, SourceLocation(line: 1, column: 1))
        XCTAssertEqual(c.groups[0].location, SourceLocation(line: 3, column: 1))
    }

    func testFullGrammar() throws {
        let text = """
            router-id 192.0.2.1;   # comment
            local-as 4200000000;
            azure { vnet 10.200.0.0/16 10.201.0.0/16; vnet fd00:200::/48; gateway-subnet 10.200.255.0/26;
                    private-peering-limit 10_000; }
            path er1 {
                priority 10; device er0; gateway 192.168.10.2; gateway6 fd00:10::2; carrier off;
                announce 172.16.0.0/16 2001:db8::/32;
                announce 172.17.0.0/16;
                probe udp 10.200.0.4 port 7 { interval 5ms; threshold 5; recover 2; source 172.16.0.1; }
            }
            path er2 { priority 15; device er1; gateway 192.168.11.2; gateway6 fe80::1;
                       announce 172.16.0.0/16 172.17.0.0/16 2001:db8::/32;
                       probe udp 10.200.0.4 { port 3784; } }
            path vpn { priority 20; device vpn0; probe icmp fd00:200::4; }
            group azure {
                prefix 10.200.0.0/16;
                prefix 10.201.0.0/16 fd00:200::/48;
                paths er1 er2 vpn;
                hold-down 0s;
                nexthop-id 100;
                damping on;
            }
            group default { prefix 0.0.0.0/0; paths er1 vpn; hold-down 1h; damping off; }
            group third { prefix 192.168.0.0/16; paths er1 vpn; damping { penalty 500; max-suppress 1h; } }
            kernel { protocol 200; table 1000; metric 50; withdraw-on-exit on; nexthop-objects off;
                     netlink-receive-buffer 65536; probe-table-base 70000; }
            control { socket "/tmp/h.sock"; }
            """
        let r = parse(text)
        XCTAssertEqual(lines(r), [])
        let c = try XCTUnwrap(r.config)
        XCTAssertEqual(c.localAS, 4_200_000_000)
        XCTAssertEqual(c.azure?.vnet.count, 3)
        XCTAssertEqual(c.azure?.privatePeeringLimit, 10_000)
        let er1 = c.paths[0]
        XCTAssertEqual(er1.gateway6, IPAddress("fd00:10::2"))
        XCTAssertFalse(er1.carrier)
        XCTAssertEqual(er1.announce.map { $0.description }, ["172.16.0.0/16", "2001:db8::/32", "172.17.0.0/16"])
        XCTAssertEqual(er1.probe?.kind, .udp)
        XCTAssertEqual(er1.probe?.port, 7)
        XCTAssertEqual(er1.probe?.intervalMs, 5)
        XCTAssertEqual(er1.probe?.threshold, 5)
        XCTAssertEqual(er1.probe?.recover, 2)
        XCTAssertEqual(c.paths[1].probe?.port, 3784)
        XCTAssertEqual(c.paths[1].gateway6, IPAddress("fe80::1"))
        XCTAssertEqual(c.paths[2].probe?.intervalMs, 100)         // the model's defaults
        XCTAssertEqual(c.paths[2].probe?.threshold, 3)
        XCTAssertEqual(c.groups.map { $0.nexthopID }, [100, 4802, 4804])
        XCTAssertEqual(c.groups[0].prefixes.count, 3)
        XCTAssertEqual(c.groups[0].paths, ["er1", "er2", "vpn"])
        XCTAssertEqual(c.groups[0].holdDownMs, 0)
        XCTAssertEqual(c.groups[0].damping, DampingConfig())
        XCTAssertEqual(c.groups[1].holdDownMs, 3_600_000)
        XCTAssertNil(c.groups[1].damping)
        XCTAssertEqual(c.groups[2].damping, DampingConfig(penalty: 500, maxSuppressMs: 3_600_000))
        XCTAssertEqual(c.kernel.routeProtocol, 200)
        XCTAssertEqual(c.kernel.table, 1000)
        XCTAssertEqual(c.kernel.metric, 50)
        XCTAssertTrue(c.kernel.withdrawOnExit)
        XCTAssertFalse(c.kernel.nexthopObjects)
        XCTAssertEqual(c.kernel.netlinkReceiveBuffer, 65536)
        XCTAssertEqual(c.kernel.probeTableBase, 70000)
        XCTAssertEqual(c.control.socketPath, "/tmp/h.sock")
    }

    func testDurations() {
        XCTAssertEqual(Values.duration("10ms"), .ok(10))
        XCTAssertEqual(Values.duration("30s"), .ok(30_000))
        XCTAssertEqual(Values.duration("10m"), .ok(600_000))
        XCTAssertEqual(Values.duration("1h"), .ok(3_600_000))
        XCTAssertEqual(Values.duration("1_000ms"), .ok(1000))
        XCTAssertEqual(Values.duration("10"), .missingUnit)
        XCTAssertEqual(Values.duration("1.5s"), .fraction)
        XCTAssertEqual(Values.duration("10us"), .unknownUnit("us"))
        XCTAssertEqual(Values.duration("99999999999999999999ms"), .tooLarge)
        XCTAssertEqual(Values.duration("9999999999999999h"), .tooLarge)
        XCTAssertEqual(Values.duration("s"), .invalid)
        XCTAssertEqual(Values.duration("-1s"), .invalid)
        XCTAssertEqual(Values.format(duration: 10), "10ms")
        XCTAssertEqual(Values.format(duration: 1500), "1500ms")
        XCTAssertEqual(Values.format(duration: 30_000), "30s")
        XCTAssertEqual(Values.format(duration: 600_000), "10m")
        XCTAssertEqual(Values.format(duration: 3_600_000), "1h")
        XCTAssertEqual(Values.integer("4_194_304"), 4_194_304)
        XCTAssertNil(Values.integer("4__1"))
        XCTAssertNil(Values.integer("_4"))
        XCTAssertNil(Values.integer("4_"))
        XCTAssertNil(Values.integer("18446744073709551616"))
        XCTAssertEqual(Values.integer("18446744073709551615"), UInt64.max)
    }

    func testCommentsStringsAndLayout() throws {
        let text = """
            # leading comment
            path er{priority 10;device er0;gateway 192.168.10.2;}#trailing
            path vpn {
                priority 20 ;   device  vpn0 ;
            };
            ;;
            group g { prefix 10.200.0.0/16; paths er
                vpn; }
            control { socket "/run/a \\"b\\" c.sock"; }   # escaped quotes
            """
        let r = parse(text)
        XCTAssertEqual(lines(r), [])
        XCTAssertEqual(r.config?.control.socketPath, "/run/a \"b\" c.sock")
        XCTAssertEqual(r.config?.groups.first?.paths, ["er", "vpn"])
    }

    func testEmptyFile() {
        expect("", ["t.conf:1:1: error: no 'path' defined: at least one path is required",
                    "t.conf:1:1: error: no 'group' defined: at least one failover group is required"])
        expect("# nothing\n", ["t.conf:1:1: error: no 'path' defined: at least one path is required",
                               "t.conf:1:1: error: no 'group' defined: at least one failover group is required"])
    }

    // MARK: lexical and syntax errors

    func testUnterminatedString() {
        expectError(Self.minimal + "control { socket \"/run/x.sock; }\n", at: 4, 18, "unterminated string")
    }

    func testControlCharacter() {
        expectError(Self.minimal + "kernel { table\u{7} 254; }\n", at: 4, 15, "invalid control character")
    }

    func testMissingSemicolonBeforeNextLine() {
        let text = """
            path er {
                priority 10
                device er0;
                gateway 192.168.10.2;
            }
            path vpn { priority 20; device vpn0; }
            group g { prefix 10.200.0.0/16; paths er vpn; }
            """
        expect(text, ["t.conf:2:16: error: expected ';' after '10'"])
    }

    func testMissingSemicolonOnSameLine() {
        expect(Self.minimal.replacingOccurrences(of: "device er0;", with: "device er0 gateway6 fd00::1;"),
               ["t.conf:1:34: error: expected ';' after 'er0'"])
    }

    func testMissingSemicolonInVariadicStatement() {
        let text = Self.paths + """
            group g {
                paths er vpn
                prefix 10.200.0.0/16;
            }
            """
        expect(text, ["t.conf:4:17: error: expected ';' after 'vpn'"])
    }

    func testMissingSemicolonBeforeBlockStatement() {
        let text = """
            path er {
                priority 10; device er0
                probe icmp 10.200.0.4 { interval 10ms; }
            }
            path vpn { priority 20; device vpn0; }
            group g { prefix 10.200.0.0/16; paths er vpn; }
            """
        let r = parse(text)
        XCTAssertEqual(lines(r), ["t.conf:2:28: error: expected ';' after 'er0'"])
    }

    func testMissingSemicolonBeforeBrace() {
        expect(Self.paths + "group g { prefix 10.200.0.0/16; paths er vpn }\n",
               ["t.conf:3:45: error: expected ';' after 'vpn'"])
    }

    func testMissingSemicolonAtEndOfFile() {
        expect(Self.minimal + "router-id 192.0.2.1", ["t.conf:4:20: error: expected ';' after '192.0.2.1'"])
    }

    func testUnterminatedBlock() {
        expect(Self.minimal + "kernel {\n  table 254;\n",
               ["t.conf:4:8: error: unterminated block: this '{' has no matching '}'"])
    }

    /// A forgotten `}`: a top-level keyword at the start of a line closes the open blocks, so the
    /// rest of the file is still checked as top-level statements.
    func testMissingCloseBraceRecovery() {
        let text = """
            path er {
                priority 10;
                device er0;
                probe icmp 10.200.0.4 {
                    interval 10ms
                }
            path vpn { priority 20; device vpn0; }
            group g { prefix 10.200.0.0/16; paths er vpn; hold-down 30; }
            control { socket "/run/x.sock }
            kernel { protocol 12; }
            """
        expect(text, [
            "t.conf:1:9: error: unterminated block: this '{' has no matching '}' before 'path' at line 7",
            "t.conf:5:22: error: expected ';' after '10ms'",
            "t.conf:8:57: error: hold-down '30' needs a unit: ms, s, m or h (e.g. '30ms' or '30s')",
            "t.conf:9:9: error: unterminated block: this '{' has no matching '}' before 'kernel' at line 10",
            "t.conf:9:18: error: unterminated string (missing closing '\"' on this line)",
            "t.conf:9:32: error: expected ';' after \"/run/x.sock }\"",
            "t.conf:10:19: warning: protocol 12 is 'bird' in /etc/iproute2/rt_protos; hedge would take that daemon's routes for its own",
        ])
        // Nested two deep: both blocks are reported.
        expect("path er { priority 10; device er0; probe icmp 10.200.0.4 { interval 10ms;\n" +
               "path vpn { priority 20; device vpn0; }\n" + Self.group, [
            "t.conf:1:9: error: unterminated block: this '{' has no matching '}' before 'path' at line 2",
            "t.conf:1:58: error: unterminated block: this '{' has no matching '}' before 'path' at line 2",
        ])
    }

    func testUnexpectedCloseBrace() {
        expect(Self.minimal + "}\n", ["t.conf:4:1: error: unexpected '}' (no block is open)"])
    }

    func testStatementMustStartWithKeyword() {
        expect(Self.minimal + "\"quoted\" 1;\n{ table 1; }\n",
               ["t.conf:4:1: error: expected a statement keyword, found string \"quoted\"",
                "t.conf:5:1: error: expected a statement keyword before '{'"])
    }

    func testNestingLimit() {
        let deep = String(repeating: "kernel { ", count: 20) + String(repeating: "} ", count: 20)
        expectError(Self.minimal + deep + "\n", at: 4, 143, "blocks nested too deeply")
    }

    // MARK: statement errors

    func testUnknownStatementSuggestsNearest() {
        let text = """
            path er {
                priority 10;
                device er0;
                gatway 192.168.10.2;
            }
            path vpn { priority 20; device vpn0; }
            group g { prefix 10.200.0.0/16; paths er vpn; }
            """
        let r = ConfigLoader.parse(text, file: "azure-er-vpn.conf")
        XCTAssertEqual(lines(r), ["azure-er-vpn.conf:4:5: error: unknown statement 'gatway' in path (did you mean 'gateway'?)"])
        XCTAssertNil(r.config)
    }

    func testUnknownStatementElsewhere() {
        expect(Self.minimal + "hold-down 30s;\nfrobnicate;\nrouterid 1.2.3.4;\n",
               ["t.conf:4:1: error: unknown statement 'hold-down' at top level ('hold-down' belongs in a group block)",
                "t.conf:5:1: error: unknown statement 'frobnicate' at top level",
                "t.conf:6:1: error: unknown statement 'routerid' at top level (did you mean 'router-id'?)"])
        expect(Self.minimal + "kernel { intervall 10ms; }\n",
               ["t.conf:4:10: error: unknown statement 'intervall' in kernel"])
        expect(Self.minimal + "kernel { interval 10ms; }\n",
               ["t.conf:4:10: error: unknown statement 'interval' in kernel ('interval' belongs in a probe block)"])
    }

    func testUnknownStatementInEachBlock() {
        expectError(Self.minimal + "azure { vnett 10.0.0.0/8; }\n", at: 4, 9, "unknown statement 'vnett' in azure (did you mean 'vnet'?)")
        expectError(Self.paths + "group g { prefix 10.200.0.0/16; paths er vpn; holddown 1s; }\n", at: 3, 47,
                    "unknown statement 'holddown' in group (did you mean 'hold-down'?)")
        expectError(Self.minimal.replacingOccurrences(of: "device vpn0;", with: "device vpn0; probe icmp 10.200.0.4 { treshold 3; }"),
                    at: 2, 62, "unknown statement 'treshold' in probe (did you mean 'threshold'?)")
        expectError(Self.paths + "group g { prefix 10.200.0.0/16; paths er vpn; damping { halflife 1m; } }\n", at: 3, 57,
                    "unknown statement 'halflife' in damping (did you mean 'half-life'?)")
        expectError(Self.minimal + "control { sock \"/a\"; }\n", at: 4, 11, "unknown statement 'sock' in control")
    }

    func testWrongNumberOfValues() {
        expect(Self.minimal + "router-id;\n", ["t.conf:4:10: error: 'router-id' needs a value (usage: router-id IPV4;)"])
        expect(Self.minimal + "local-as 1 2;\n", ["t.conf:4:12: error: unexpected '2' in 'local-as' statement (usage: local-as NUMBER;)"])
        expect(Self.minimal + "kernel 5 { }\n", ["t.conf:4:8: error: unexpected '5' in 'kernel' statement (usage: kernel { ... })"])
        expectError(Self.minimal.replacingOccurrences(of: "device vpn0;", with: "device vpn0; probe icmp;"),
                    at: 2, 48, "'probe' needs more values")
    }

    func testBlocks() {
        expect(Self.minimal + "kernel;\n", ["t.conf:4:7: error: 'kernel' needs a block (usage: kernel { ... })"])
        expect(Self.minimal + "local-as 65010 { }\n", ["t.conf:4:16: error: 'local-as' does not take a block (usage: local-as NUMBER;)"])
    }

    func testDuplicateUniqueStatements() {
        expect(Self.minimal + "router-id 192.0.2.1;\nrouter-id 192.0.2.2;\n",
               ["t.conf:5:1: error: duplicate 'router-id' in the configuration (first given at line 4)"])
        expect(Self.minimal.replacingOccurrences(of: "device vpn0;", with: "device vpn0; priority 30;"),
               ["t.conf:2:38: error: duplicate 'priority' in path 'vpn' (first given at line 2)"])
        expect(Self.minimal + "kernel { table 254; } kernel { table 100; }\n",
               ["t.conf:4:23: error: duplicate 'kernel' in the configuration (first given at line 4)"])
        expectError(Self.paths + "group g { prefix 10.200.0.0/16; paths er vpn; paths er; }\n", at: 3, 47,
                    "duplicate 'paths' in group 'g'")
        expectError(Self.minimal.replacingOccurrences(of: "device vpn0;", with: "device vpn0; probe udp 10.200.0.4 port 7 { port 8; }"),
                    at: 2, 68, "duplicate 'port' in probe")
        expectError(Self.minimal.replacingOccurrences(of: "device vpn0;", with: "device vpn0; probe icmp 10.200.0.4 { interval 1s; interval 2s; }"),
                    at: 2, 75, "duplicate 'interval' in probe")
    }

    // MARK: value errors

    func testBadValues() {
        expectError(Self.minimal + "router-id 1.2.3;\n", at: 4, 11, "invalid IP address '1.2.3' for router-id")
        expectError(Self.minimal + "router-id 10.0.0.0/8;\n", at: 4, 11, "router-id must be an address, not a prefix")
        expectError(Self.minimal + "local-as AS65010;\n", at: 4, 10, "invalid local-as 'AS65010' (expected a whole number)")
        expectError(Self.minimal + "local-as 99999999999999999999999;\n", at: 4, 10, "local-as 99999999999999999999999 is too large")
        expectError(Self.minimal + "azure { vnet 10.200.0.0; }\n", at: 4, 14, "invalid prefix '10.200.0.0': missing '/length'")
        expectError(Self.minimal + "azure { vnet 10.200.0.0/33; }\n", at: 4, 14, "invalid prefix length in '10.200.0.0/33' (IPv4: 0–32)")
        expectError(Self.minimal + "azure { vnet fd00::/129; }\n", at: 4, 14, "invalid prefix length in 'fd00::/129' (IPv6: 0–128)")
        expectError(Self.minimal + "azure { vnet vnet1/16; }\n", at: 4, 14, "invalid prefix 'vnet1/16': 'vnet1' is not an IP address")
        expectError(Self.minimal + "azure { vnet banana; }\n", at: 4, 14, "invalid prefix 'banana'")
        expectError(Self.minimal.replacingOccurrences(of: "device vpn0;", with: "device vpn0; carrier yes;"),
                    at: 2, 46, "invalid value 'yes' for 'carrier' (expected on or off)")
        expectError(Self.minimal.replacingOccurrences(of: "priority 20;", with: "priority high;"),
                    at: 2, 21, "invalid priority 'high' (expected a whole number)")
        expectError(Self.minimal.replacingOccurrences(of: "path vpn", with: "path 2vpn").replacingOccurrences(of: "er vpn", with: "er 2vpn"),
                    at: 2, 6, "invalid path name '2vpn'")
        expectError(Self.minimal.replacingOccurrences(of: "group g", with: "group \"my group\""),
                    at: 3, 7, "invalid group name \"my group\"")
        expectError(Self.minimal.replacingOccurrences(of: "device vpn0;", with: "device vpn0; probe tcp 10.200.0.4;"),
                    at: 2, 44, "unknown probe type 'tcp' (expected icmp, udp or reflect)")
        expectError(Self.minimal.replacingOccurrences(of: "device vpn0;", with: "device vpn0; probe udp 10.200.0.4 7;"),
                    at: 2, 59, "unexpected '7' after the probe target")
        expectError(Self.minimal.replacingOccurrences(of: "device vpn0;", with: "device vpn0; probe udp 10.200.0.4 prt 7;"),
                    at: 2, 59, "unexpected 'prt' after the probe target (expected 'port' or '{')")
        expectError(Self.minimal.replacingOccurrences(of: "device vpn0;", with: "device vpn0; probe udp 10.200.0.4 port echo;"),
                    at: 2, 64, "invalid port 'echo'")
        expectError(Self.minimal.replacingOccurrences(of: "device vpn0;", with: "device vpn0; probe icmp 10.200.0.x;"),
                    at: 2, 49, "invalid IP address '10.200.0.x' for probe target")
        expectError(Self.paths + "group g { prefix 10.200.0.0/16; paths er vpn; damping maybe; }\n", at: 3, 55,
                    "invalid value 'maybe' for 'damping'")
        expectError(Self.paths + "group g { prefix 10.200.0.0/16; paths er vpn; damping; }\n", at: 3, 54,
                    "'damping' needs on, off or a block")
        expectError(Self.paths + "group g { prefix 10.200.0.0/16; paths er vpn; damping on { reuse 1; } }\n", at: 3, 55,
                    "'damping' takes either on|off or a block, not both")
    }

    func testBadDurations() {
        let probe = { (v: String) in Self.minimal.replacingOccurrences(of: "device vpn0;", with: "device vpn0; probe icmp 10.200.0.4 { interval \(v); }") }
        expectError(probe("10"), at: 2, 71, "interval '10' needs a unit: ms, s, m or h (e.g. '10ms' or '10s')")
        expectError(probe("0.5s"), at: 2, 71, "interval '0.5s' must be a whole number; use a smaller unit")
        expectError(probe("10us"), at: 2, 71, "unknown unit 'us' in interval '10us' (use ms, s, m or h)")
        expectError(probe("fast"), at: 2, 71, "invalid interval 'fast' (expected a duration such as 10ms")
        expectError(probe("99999999999999999999h"), at: 2, 71, "interval '99999999999999999999h' is too large")
    }

    // MARK: validation: identity and Azure

    func testLocalASReserved() {
        expectError(Self.minimal + "local-as 12076;\n", at: 4, 10,
                    "local-as 12076 is Microsoft's ASN (the ExpressRoute edge peers from it)")
        for asn in 65515...65520 {
            expectError(Self.minimal + "local-as \(asn);\n", at: 4, 10, "local-as \(asn) is reserved by Azure (65515–65520")
        }
        expectError(Self.minimal + "local-as 0;\n", at: 4, 10, "local-as 0 is reserved (RFC 7607)")
        expectError(Self.minimal + "local-as 23456;\n", at: 4, 10, "local-as 23456 is AS_TRANS (RFC 6793)")
        expectError(Self.minimal + "local-as 4294967296;\n", at: 4, 10, "local-as must be 1–4294967295")
        expect(Self.minimal + "local-as 65514;\n", [])
        expect(Self.minimal + "local-as 65521;\n", [])
    }

    func testRouterID() {
        expectError(Self.minimal + "router-id ::1;\n", at: 4, 11, "router-id must be an IPv4 address")
        expectError(Self.minimal + "router-id 0.0.0.0;\n", at: 4, 11, "router-id must not be 0.0.0.0")
    }

    func testGatewaySubnet() {
        expect(Self.minimal + "azure { vnet 10.200.0.0/16; gateway-subnet 10.200.255.240/28; }\n",
               ["t.conf:4:44: error: GatewaySubnet must be /27 or larger for ExpressRoute/VPN coexistence (got /28)"])
        expect(Self.minimal + "azure { vnet 10.200.0.0/16; gateway-subnet 10.200.255.0/24; }\n", [])
        expectError(Self.minimal + "azure { vnet 10.200.0.0/16; gateway-subnet 10.201.255.224/27; }\n", at: 4, 44,
                    "gateway-subnet 10.201.255.224/27 is not inside any vnet")
        expectError(Self.minimal + "azure { gateway-subnet fd00::/64; }\n", at: 4, 24, "gateway-subnet must be an IPv4 prefix")
        expectError(Self.minimal + "azure { private-peering-limit 0; }\n", at: 4, 31, "private-peering-limit must be 1–10000")
        expectError(Self.minimal + "azure { private-peering-limit 10001; }\n", at: 4, 31, "private-peering-limit must be 1–10000")
    }

    func testHostBitsWarning() {
        expect(Self.minimal + "azure { vnet 10.200.0.1/16; }\n",
               ["t.conf:4:14: warning: prefix 10.200.0.1/16 has host bits set; it is read as 10.200.0.0/16"])
        let r = parse(Self.minimal.replacingOccurrences(of: "prefix 10.200.0.0/16", with: "prefix 10.200.7.7/16"))
        XCTAssertEqual(lines(r), ["t.conf:3:18: warning: prefix 10.200.7.7/16 has host bits set; it is read as 10.200.0.0/16"])
        XCTAssertEqual(r.config?.groups[0].prefixes, [IPPrefix("10.200.0.0/16")!])
        expectWarning(Self.minimal + "azure { vnet 10.200.0.0/16 10.200.0.0/16; }\n", at: 4, 28, "duplicate vnet 10.200.0.0/16")
    }

    // MARK: validation: paths

    func testPathRequirements() {
        expect(Self.group + "path er { device er0; }\npath vpn { priority 20; }\n",
               ["t.conf:2:6: error: path 'er' has no 'priority' (lower is preferred)",
                "t.conf:3:6: error: path 'vpn' has no 'device'"])
        expectError(Self.minimal.replacingOccurrences(of: "priority 20;", with: "priority 70000;"), at: 2, 21, "priority must be 0–65535")
        expectError(Self.minimal.replacingOccurrences(of: "device vpn0;", with: "device averyveryverylongname0;"), at: 2, 32,
                    "invalid device name 'averyveryverylongname0' (1–15 characters")
        expectError(Self.minimal.replacingOccurrences(of: "device vpn0;", with: "device vpn:0;"), at: 2, 32, "invalid device name 'vpn:0'")
    }

    func testDuplicatePathAndGroupNames() {
        expect(Self.minimal + "path vpn { priority 30; device vpn1; }\n",
               ["t.conf:4:6: error: duplicate path 'vpn' (first defined at line 2)"])
        expect(Self.minimal + "group g { prefix 10.0.0.0/8; paths er vpn; }\n",
               ["t.conf:4:7: error: duplicate group 'g' (first defined at line 3)"])
    }

    func testGateways() {
        expectError(Self.minimal.replacingOccurrences(of: "gateway 192.168.10.2;", with: "gateway 0.0.0.0;"), at: 1, 44,
                    "gateway must be a unicast address, not 0.0.0.0")
        expectError(Self.minimal.replacingOccurrences(of: "gateway 192.168.10.2;", with: "gateway 224.0.0.1;"), at: 1, 44,
                    "gateway must be a unicast address")
        expectError(Self.minimal.replacingOccurrences(of: "gateway 192.168.10.2;", with: "gateway 192.168.10.2; gateway6 192.168.10.3;"),
                    at: 1, 67, "gateway6 must be an IPv6 address (use 'gateway' for IPv4)")
        expectError(Self.minimal.replacingOccurrences(of: "gateway 192.168.10.2;", with: "gateway fd00::1; gateway6 fd00::2;"),
                    at: 1, 62, "'gateway6' given but 'gateway' is already IPv6")
        expectError(Self.minimal.replacingOccurrences(of: "gateway 192.168.10.2;", with: "gateway 192.168.10.2; gateway6 ff02::1;"),
                    at: 1, 67, "gateway6 must be a unicast address")
    }

    func testGatewayFamilyMismatch() {
        let v6group = Self.paths + "group g { prefix 10.200.0.0/16 fd00:200::/48; paths er vpn; }\n"
        expect(v6group, ["t.conf:3:53: error: group 'g' has IPv6 prefixes but path 'er' has only an IPv4 gateway; add 'gateway6'"])
        // gateway6 fixes it; a device-only path (vpn) needs nothing.
        expect(v6group.replacingOccurrences(of: "gateway 192.168.10.2;", with: "gateway 192.168.10.2; gateway6 fd00:10::2;"), [])
        // Only an IPv6 gateway, IPv4 prefixes.
        expect(Self.minimal.replacingOccurrences(of: "gateway 192.168.10.2;", with: "gateway fe80::1;"),
               ["t.conf:3:39: error: group 'g' has IPv4 prefixes but path 'er' has only an IPv6 gateway; add an IPv4 'gateway'"])
    }

    func testProbeRules() {
        let probe = { (s: String) in Self.minimal.replacingOccurrences(of: "device vpn0;", with: "device vpn0; \(s)") }
        expectError(probe("probe icmp 10.200.0.4 { interval 0ms; }"), at: 2, 71, "probe interval must be 1ms–60s")
        expectError(probe("probe icmp 10.200.0.4 { interval 61s; }"), at: 2, 71, "probe interval must be 1ms–60s")
        expect(probe("probe icmp 10.200.0.4 { interval 60s; }"), [])
        expect(probe("probe icmp 10.200.0.4 { interval 1ms; }"), [])          // 3 × 1ms = 3ms: allowed
        expectError(probe("probe icmp 10.200.0.4 { threshold 0; }"), at: 2, 72, "threshold must be 1–255")
        expectError(probe("probe icmp 10.200.0.4 { threshold 256; }"), at: 2, 72, "threshold must be 1–255")
        expectError(probe("probe icmp 10.200.0.4 { recover 0; }"), at: 2, 70, "recover must be 1–255")
        expectError(probe("probe icmp 10.200.0.4 { recover 300; }"), at: 2, 70, "recover must be 1–255")
        expect(probe("probe icmp 10.200.0.4 { interval 1ms; threshold 2; }"),
               ["t.conf:2:71: error: probe detection time 2ms (threshold 2 × interval 1ms) is under 3ms; too fast to be meaningful"])
        expectError(probe("probe icmp 10.200.0.4 port 7;"), at: 2, 65, "'port' applies to udp and reflect probes only")
        expectError(probe("probe udp 10.200.0.4 port 0;"), at: 2, 64, "port must be 1–65535")
        expectError(probe("probe udp 10.200.0.4 port 65536;"), at: 2, 64, "port must be 1–65535")
        expectError(probe("probe icmp 10.200.0.4 { source fd00::1; }"), at: 2, 69,
                    "probe source fd00::1 and target 10.200.0.4 are of different address families")
        expectError(probe("probe icmp 224.0.0.1;"), at: 2, 49, "probe target must be a unicast address")
        // The IPv4-only path cannot carry an IPv6 probe.
        expectError(Self.minimal.replacingOccurrences(of: "gateway 192.168.10.2;", with: "gateway 192.168.10.2; probe icmp fd00::4;"),
                    at: 1, 69, "probe target is IPv6 but path 'er' has no IPv6 gateway; add 'gateway6'")
    }

    // MARK: validation: groups

    func testGroupRequirements() {
        expect(Self.paths + "group g { paths er vpn; }\n", ["t.conf:3:7: error: group 'g' has no prefixes (add 'prefix PREFIX;', or a member path with a 'bgp' session to learn them)"])
        expect(Self.paths + "group g { prefix 10.0.0.0/8; }\n",
               ["t.conf:1:6: warning: path 'er' is not used by any group",
                "t.conf:2:6: warning: path 'vpn' is not used by any group",
                "t.conf:3:7: error: group 'g' has no paths (add 'paths NAME...;')"])
        expect(Self.paths, ["t.conf:1:1: error: no 'group' defined: at least one failover group is required"])
        expect(Self.group, ["t.conf:1:1: error: no 'path' defined: at least one path is required",
                            "t.conf:1:39: error: group 'g' names unknown path 'er'",
                            "t.conf:1:42: error: group 'g' names unknown path 'vpn'"])
    }

    func testGroupReferences() {
        expect(Self.paths + "group g { prefix 10.200.0.0/16; paths er vnp; }\n",
               ["t.conf:2:6: warning: path 'vpn' is not used by any group",
                "t.conf:3:42: error: group 'g' names unknown path 'vnp' (did you mean 'vpn'?)"])
        expect(Self.paths + "group g { prefix 10.200.0.0/16; paths er vpn er; }\n",
               ["t.conf:3:46: error: path 'er' is listed twice in group 'g'"])
    }

    func testPriorityTie() throws {
        // Equal priorities are used together (ECMP through a nexthop group).
        let tie = Self.minimal.replacingOccurrences(of: "priority 20;", with: "priority 10;")
        expect(tie, [])
        let g = try XCTUnwrap(parse(tie).config?.groups.first)
        XCTAssertTrue(g.ecmp)
        XCTAssertEqual(g.memberNexthopID(slot: 1, family: .v6), g.nexthopID + 5)
        XCTAssertFalse(try XCTUnwrap(parse(Self.minimal).config?.groups.first).ecmp)
        // ... which needs nexthop objects.
        expect("kernel { nexthop-objects off; }\n" + tie,
               ["t.conf:4:42: error: paths 'er' and 'vpn' in group 'g' have the same priority 10, which uses them together through a nexthop group; that needs 'nexthop-objects on;' (without it hedge would route over one of them only)"])
        // A group with ties takes a pair of ids per member after its own: the next group's default
        // moves past them, and an explicit id inside them is refused.
        let two = tie + "group h { prefix 10.0.0.0/8; paths er; }\n"
        XCTAssertEqual(try XCTUnwrap(parse(two).config?.groups.last).nexthopID, 4806)
        expect(tie + "group h { prefix 10.0.0.0/8; paths er; nexthop-id 4805; }\n", [
            "t.conf:4:7: warning: group 'h' has only one path; there is nothing to fail over to",
            "t.conf:4:51: error: nexthop-id 4805 of group 'h' collides with group 'g' (this group uses its id for IPv4 and id + 1 for IPv6; a group whose paths share a priority uses id + 2 onward for its members' own objects)"])
        // The same priority in different groups is fine.
        let text = Self.paths + "path b { priority 10; device b0; }\n" +
            "group g { prefix 10.200.0.0/16; paths er vpn; }\ngroup h { prefix 10.0.0.0/8; paths b vpn; }\n"
        expect(text, [])
    }

    func testHoldDownRange() {
        expect(Self.paths + "group g { prefix 10.200.0.0/16; paths er vpn; hold-down 61m; }\n",
               ["t.conf:3:57: error: hold-down must be 0s–1h"])
        expect(Self.paths + "group g { prefix 10.200.0.0/16; paths er vpn; hold-down 60m; }\n", [])
    }

    func testNexthopIDs() {
        // Explicit collision with the next group's id + 1.
        expect(Self.paths + "group a { prefix 10.1.0.0/16; paths er vpn; nexthop-id 4801; }\n" +
                            "group b { prefix 10.2.0.0/16; paths er vpn; nexthop-id 4800; }\n",
               ["t.conf:4:56: error: nexthop-id 4800 of group 'b' collides with group 'a' (each group uses its id for IPv4 and id + 1 for IPv6)"])
        // A default id taken by an explicit one.
        expect(Self.paths + "group a { prefix 10.1.0.0/16; paths er vpn; nexthop-id 4803; }\n" +
                            "group b { prefix 10.2.0.0/16; paths er vpn; }\n",
               ["t.conf:4:7: error: nexthop-id 4802 of group 'b' (the default, 4800 + 2 × group index) collides with group 'a' (each group uses its id for IPv4 and id + 1 for IPv6)"])
        expect(Self.paths + "group a { prefix 10.1.0.0/16; paths er vpn; nexthop-id 0; }\n",
               ["t.conf:3:56: error: nexthop-id must be 1–4294967294"])
        expect(Self.paths + "group a { prefix 10.1.0.0/16; paths er vpn; nexthop-id 4294967295; }\n",
               ["t.conf:3:56: error: nexthop-id must be 1–4294967294"])
    }

    func testPrefixInTwoGroups() {
        expect(Self.paths + "group a { prefix 10.1.0.0/16; paths er vpn; }\ngroup b { prefix 10.1.0.0/16; paths er vpn; }\n",
               ["t.conf:4:18: error: prefix 10.1.0.0/16 is already in group 'a' (a prefix can follow only one group)"])
        expectWarning(Self.paths + "group a { prefix 10.1.0.0/16 10.1.0.0/16; paths er vpn; }\n", at: 3, 30,
                      "duplicate prefix 10.1.0.0/16 in group 'a'")
    }

    func testUsageWarnings() {
        expect(Self.paths + "group g { prefix 10.200.0.0/16; paths er; }\n",
               ["t.conf:2:6: warning: path 'vpn' is not used by any group",
                "t.conf:3:7: warning: group 'g' has only one path; there is nothing to fail over to"])
    }

    func testDamping() {
        let g = { (d: String) in Self.paths + "group g { prefix 10.200.0.0/16; paths er vpn; damping { \(d) } }\n" }
        expect(g("reuse 3000;"), ["t.conf:3:63: error: damping reuse (3000) must be below suppress (3000)"])
        expect(g("penalty 0;"), ["t.conf:3:65: error: penalty must be 1–1000000"])
        expect(g("half-life 500ms;"), ["t.conf:3:67: error: half-life must be 1s–1h"])
        expect(g("max-suppress 25h;"), ["t.conf:3:70: error: max-suppress must be 1s–24h"])
        expect(g("half-life 10m; max-suppress 5m;"),
               ["t.conf:3:85: error: damping max-suppress (5m) must not be shorter than half-life (10m)"])
        expect(g("suppress 5000; half-life 60s; max-suppress 60s;"),
               ["t.conf:3:47: warning: damping can never suppress: the penalty is capped at 1500 (reuse × 2^(max-suppress / half-life)), not above suppress (5000)"])
    }

    // MARK: validation: announcements

    func testPrivatePeeringLimitWarning() {
        let prefixes = (0..<5).map { "172.16.\($0).0/24" }.joined(separator: " ")
        let text = Self.minimal + "azure { private-peering-limit 4; }\n"
        let withAnnounce = text.replacingOccurrences(of: "gateway 192.168.10.2;", with: "gateway 192.168.10.2; announce \(prefixes);")
        let r = parse(withAnnounce)
        XCTAssertNotNil(r.config)
        XCTAssertEqual(lines(r), ["t.conf:1:123: warning: more than 4 prefixes announced in total; Azure drops the private peering session over 4 prefixes"])
        // At the limit: fine.
        expect(text.replacingOccurrences(of: "gateway 192.168.10.2;", with: "gateway 192.168.10.2; announce \((0..<4).map { "172.16.\($0).0/24" }.joined(separator: " "));"), [])
    }

    func testDuplicateAnnounce() {
        let r = parse(Self.minimal.replacingOccurrences(of: "device vpn0;", with: "device vpn0; announce 172.16.0.0/16; announce 172.16.0.0/16;"))
        XCTAssertEqual(lines(r), ["t.conf:2:71: warning: duplicate announce 172.16.0.0/16 in path 'vpn'"])
        XCTAssertEqual(r.config?.paths[1].announce, [IPPrefix("172.16.0.0/16")!])
    }

    func testDefaultPrivatePeeringLimitIs4000() {
        let many = (0..<4001).map { "announce 10.\($0 / 256).\($0 % 256).0/24;" }.joined(separator: "\n")
        let text = "path er { priority 10; device er0;\n\(many)\n}\npath vpn { priority 20; device vpn0; }\n" + Self.group
            .replacingOccurrences(of: "10.200.0.0/16", with: "192.168.0.0/16")
        let r = parse(text)
        XCTAssertNotNil(r.config)
        XCTAssertEqual(r.diagnostics.count, 1)
        XCTAssertEqual(r.diagnostics.first?.location.line, 4002)
        XCTAssertEqual(r.diagnostics.first?.message,
                       "more than 4000 prefixes announced in total; Azure drops the private peering session over 4000 prefixes")
    }

    func testVPNMoreSpecificThanExpressRoute() {
        let text = """
            path er { priority 10; device er0; announce 172.16.0.0/16 172.20.0.0/24; }
            path vpn { priority 20; device vpn0; announce 172.16.0.0/16 172.16.5.0/24 172.20.0.0/16 10.9.0.0/16; }
            group g { prefix 10.200.0.0/16; paths vpn er; }
            """
        expect(text, [
            "t.conf:2:61: warning: announce 172.16.5.0/24 on path 'vpn' is more specific than 172.16.0.0/16 on the primary path 'er'; Azure prefers the longer prefix, so traffic for it would come over 'vpn' while 'er' is up",
            "t.conf:2:89: warning: announce 10.9.0.0/16 on path 'vpn' is not announced on the primary path 'er'; Azure would send traffic for it over 'vpn' while 'er' is up",
        ])
        // The primary is the best priority, not the first listed or the first defined.
        let swapped = text.replacingOccurrences(of: "priority 10", with: "priority 30")
        let r = parse(swapped)
        XCTAssertTrue(lines(r).allSatisfy { $0.contains("on path 'er'") && $0.contains("primary path 'vpn'") }, lines(r).joined(separator: "\n"))
    }

    // MARK: validation: kernel and control

    func testKernelRules() {
        expectError(Self.minimal + "kernel { protocol 4; }\n", at: 4, 19, "protocol 4 is reserved by the kernel")
        expectError(Self.minimal + "kernel { protocol 256; }\n", at: 4, 19, "protocol must be 5–255")
        expectWarning(Self.minimal + "kernel { protocol 186; }\n", at: 4, 19, "protocol 186 is 'bgp' in /etc/iproute2/rt_protos")
        expectError(Self.minimal + "kernel { table 0; }\n", at: 4, 16, "table must be 1–4294967295")
        expectError(Self.minimal + "kernel { table 255; }\n", at: 4, 16, "table 255 is the kernel's local table")
        expectError(Self.minimal + "kernel { metric 4294967296; }\n", at: 4, 17, "metric must be 0–4294967295")
        expectError(Self.minimal + "kernel { withdraw-on-exit true; }\n", at: 4, 27, "invalid value 'true' for 'withdraw-on-exit'")
        expectError(Self.minimal + "kernel { netlink-receive-buffer 1024; }\n", at: 4, 33, "netlink-receive-buffer must be 4096–2147483647 bytes")
        expectError(Self.minimal + "kernel { probe-table-base 254; }\n", at: 4, 27, "overlap table 254 or the kernel's tables 253–255")
        expectError(Self.minimal + "kernel { probe-table-base 0; }\n", at: 4, 27, "probe-table-base must be 1–")
    }

    func testControlRules() {
        expectError(Self.minimal + "control { socket \"run/hedge.sock\"; }\n", at: 4, 18, "control socket must be an absolute path")
        expectError(Self.minimal + "control { socket \"/\(String(repeating: "x", count: 110))\"; }\n", at: 4, 18,
                    "a unix socket path holds at most 107")
        expect(Self.minimal + "control { socket /run/bare.sock; }\n", [])
    }

    // MARK: recovery

    /// Many independent mistakes in one file: all are reported, each where it is, in file order.
    func testReportsEveryError() {
        let text = """
            local-as 12076;
            path er {
                priority 10;
                device er0;
                gatway 192.168.10.2;
                probe icmp 10.200.0.4 { interval 0ms; threshold 999; }
            }
            path er { priority 20; device er1; }
            path vpn { priority 10; device vpn0 }
            group g {
                prefix 10.200.0.0/33;
                paths er vpn nope;
                hold-down 2h;
            }
            azure { gateway-subnet 10.200.255.240/28; }
            """
        let r = parse(text)
        XCTAssertNil(r.config)
        XCTAssertEqual(lines(r), [
            "t.conf:1:10: error: local-as 12076 is Microsoft's ASN (the ExpressRoute edge peers from it); use your own ASN",
            "t.conf:5:5: error: unknown statement 'gatway' in path (did you mean 'gateway'?)",
            "t.conf:6:38: error: probe interval must be 1ms–60s",
            "t.conf:6:53: error: threshold must be 1–255",
            "t.conf:8:6: error: duplicate path 'er' (first defined at line 2)",
            "t.conf:9:36: error: expected ';' after 'vpn0'",
            "t.conf:11:12: error: invalid prefix length in '10.200.0.0/33' (IPv4: 0–32)",
            "t.conf:12:18: error: group 'g' names unknown path 'nope'",
            "t.conf:13:15: error: hold-down must be 0s–1h",
            "t.conf:15:24: error: GatewaySubnet must be /27 or larger for ExpressRoute/VPN coexistence (got /28)",
        ])
    }

    func testDiagnosticFormat() {
        let d = Diagnostic(.warning, "a.conf", SourceLocation(line: 3, column: 7), "something")
        XCTAssertEqual(d.description, "a.conf:3:7: warning: something")
        let r = parse(Self.minimal + "bogus;\n")
        XCTAssertEqual(r.errors.count, 1)
        XCTAssertEqual(r.warnings.count, 0)
        XCTAssertTrue(r.hasErrors)
    }

    func testColumnsCountCharactersNotBytes() {
        expect(Self.minimal + "# é\n\"é\" frob;\n", ["t.conf:5:1: error: expected a statement keyword, found string \"é\""])
        expect(Self.minimal + "kernel { table é; }\n", ["t.conf:4:16: error: invalid table 'é' (expected a whole number)"])
        expect(Self.minimal + "control { socket \"/é\" x; }\n", ["t.conf:4:23: error: unexpected 'x' in 'socket' statement (usage: socket \"PATH\";)"])
    }

    func testSuggest() {
        XCTAssertEqual(Suggest.distance("gatway", "gateway"), 1)
        XCTAssertEqual(Suggest.distance("", "abc"), 3)
        XCTAssertEqual(Suggest.nearest("gatway", in: ["gateway", "device"]), "gateway")
        XCTAssertNil(Suggest.nearest("xyz", in: ["gateway", "device"]))
        XCTAssertNil(Suggest.nearest("ab", in: ["ac"]))
        XCTAssertEqual(Suggest.distance("vnp", "vpn"), 1)                  // a transposition
        XCTAssertEqual(Suggest.nearest("prioirty", in: BlockKind.path.keywords.map { $0.name }), "priority")
    }
}
