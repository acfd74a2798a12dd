import XCTest
@testable import HedgeCore

/// Every keyword of every block's table is read into the configuration: for each one, two valid
/// configurations that differ only in that statement must give different results. The keywords come
/// from the tables themselves, so a keyword added without a case here fails, as does a case for a
/// keyword that no longer exists.
final class ConfigGrammarTests: XCTestCase, ConfigChecking {

    /// Where a block's statements go: `%` is replaced by the block's default statements (less the
    /// one under test) and the statement under test.
    struct Place {
        var template: String
        var defaults: [(keyword: String, text: String)] = []
        /// Statements of which a block takes one: testing any of them drops the default of each.
        var alternatives: Set<String> = []

        func body(_ keyword: String, _ statement: String) -> String {
            let drop = alternatives.contains(keyword) ? alternatives : [keyword]
            let kept = defaults.filter { !drop.contains($0.keyword) }.map { $0.text }
            return template.replacingOccurrences(of: "%", with: (kept + [statement]).joined(separator: " "))
        }
    }

    static let paths = """
        path er { priority 10; device er0; gateway 192.168.10.2; }
        path vpn { priority 20; device vpn0; }

        """
    static let group = "group g { prefix 10.200.0.0/16; paths er vpn; }\n"
    static let identity = "router-id 192.0.2.1;\nlocal-as 65010;\n"
    static let base = paths + group

    /// One per block kind; the switch has no default, so a new kind does not compile without one.
    static func place(_ kind: BlockKind) -> Place {
        let erHead = "path er { priority 10; device er0; gateway 192.168.10.2;"
        let rest = "path vpn { priority 20; device vpn0; }\n" + group
        switch kind {
        case .top: return Place(template: base + "%\n")
        case .azure: return Place(template: base + "azure { % }\n")
        case .path:
            return Place(template: identity + "path er { % }\n" + rest,
                         defaults: [("priority", "priority 10;"), ("device", "device er0;")])
        case .probe:
            return Place(template: "\(erHead) probe reflect 10.200.0.4 { % } }\n" + rest,
                         defaults: [("key-file", "key-file \"/etc/hedge/a.key\";")])
        case .bfd: return Place(template: "\(erHead) bfd 192.168.10.2 { % } }\n" + rest)
        case .bgp:
            return Place(template: identity + "\(erHead) bgp 192.168.10.2 { % } }\n" + rest,
                         defaults: [("remote-as", "remote-as 12076;")])
        case .watch:
            return Place(template: "\(erHead) watch-routes bgp { % } }\n" + rest,
                         defaults: [("prefix", "prefix 10.200.0.0/16;")])
        case .bmp: return Place(template: base + "bmp { % }\n")
        case .group:
            return Place(template: paths + "group g { % }\n",
                         defaults: [("prefix", "prefix 10.200.0.0/16;"), ("paths", "paths er vpn;")])
        case .damping: return Place(template: paths + "group g { prefix 10.200.0.0/16; paths er vpn; damping { % } }\n")
        case .kernel: return Place(template: base + "kernel { % }\n")
        case .control: return Place(template: base + "control { % }\n")
        case .ipsec:
            return Place(template: ipsecPath("%"),
                         defaults: [("if-id", "if-id 42;"), ("local", "local 198.51.100.1;"),
                                    ("remote", "remote 203.0.113.2;"), ("strongswan", "strongswan { connection azure; }")],
                         alternatives: ["static", "strongswan"])
        case .ipsecStatic:
            return Place(template: ipsecPath("if-id 42; local 198.51.100.1; remote 203.0.113.2; static { % }"),
                         defaults: [("spi-out", "spi-out 0x1001;"), ("spi-in", "spi-in 0x2001;"),
                                    ("cipher", "cipher aes256-sha256;"), ("key-file", "key-file \"/etc/hedge/vpn.keys\";")])
        case .strongswan:
            return Place(template: ipsecPath("if-id 42; local 198.51.100.1; remote 203.0.113.2; strongswan { % }"),
                         defaults: [("connection", "connection azure;")])
        case .reporting: return Place(template: base + "reporting { % }\n")
        case .push: return Place(template: base + "reporting { push \"http://127.0.0.1:9000/events\" { % } }\n")
        }
    }

    static func ipsecPath(_ body: String) -> String {
        """
        path er { priority 10; device er0; gateway 192.168.10.2; }
        group g { prefix 10.200.0.0/16; paths er vpn; }
        path vpn { priority 20; device vpn0; probe icmp 10.200.0.4; ipsec { \(body) } }

        """
    }

    /// Two spellings of each statement, each valid where its block is placed, that must lead to
    /// different configurations. Keyed "block keyword".
    static let cases: [String: (String, String)] = [
        "top level router-id": ("router-id 192.0.2.1;", "router-id 192.0.2.2;"),
        "top level local-as": ("local-as 65010;", "local-as 65011;"),
        "top level azure": ("azure { vnet 10.200.0.0/16; }", "azure { vnet 10.201.0.0/16; }"),
        "top level path": ("path t { priority 30; device t0; }", "path t { priority 30; device t1; }"),
        "top level group": ("group h { prefix 10.1.0.0/16; paths er vpn; }", "group h { prefix 10.2.0.0/16; paths er vpn; }"),
        "top level kernel": ("kernel { table 100; }", "kernel { table 101; }"),
        "top level control": ("control { socket \"/run/a.sock\"; }", "control { socket \"/run/b.sock\"; }"),
        "top level reporting": ("reporting { http 127.0.0.1 port 9101; }", "reporting { http 127.0.0.1 port 9102; }"),
        "top level bmp": ("bmp { port 1790; }", "bmp { port 1791; }"),

        "azure vnet": ("vnet 10.200.0.0/16;", "vnet 10.200.0.0/16 10.201.0.0/16;"),
        "azure gateway-subnet": ("gateway-subnet 10.200.255.224/27;", "gateway-subnet 10.200.255.192/27;"),
        "azure private-peering-limit": ("private-peering-limit 4000;", "private-peering-limit 10000;"),

        "path priority": ("priority 10;", "priority 11;"),
        "path device": ("device er0;", "device er1;"),
        "path gateway": ("gateway 192.168.10.2;", "gateway 192.168.10.3;"),
        "path gateway6": ("gateway6 fd00::1; gateway 192.168.10.2;", "gateway6 fd00::2; gateway 192.168.10.2;"),
        "path carrier": ("carrier on;", "carrier off;"),
        "path announce": ("announce 172.16.0.0/16;", "announce 172.17.0.0/16;"),
        "path probe": ("probe icmp 10.200.0.4;", "probe icmp 10.200.0.5;"),
        "path bfd": ("bfd 192.168.10.2;", "bfd 192.168.10.2 { multiplier 4; }"),
        "path bgp": ("bgp 192.168.10.2 { remote-as 12076; }", "bgp 192.168.10.3 { remote-as 12076; }"),
        "path bmp-neighbor": ("bmp-neighbor 192.168.10.2;", "bmp-neighbor 192.168.10.2 as 12076;"),
        "path watch-routes": ("watch-routes bgp { prefix 10.200.0.0/16; }", "watch-routes bird { prefix 10.200.0.0/16; }"),
        "path ipsec": ("ipsec { if-id 1; local 198.51.100.1; remote 203.0.113.2; strongswan { connection azure; } }",
                       "ipsec { if-id 2; local 198.51.100.1; remote 203.0.113.2; strongswan { connection azure; } }"),

        "probe interval": ("interval 5ms;", "interval 6ms;"),
        "probe threshold": ("threshold 3;", "threshold 4;"),
        "probe recover": ("recover 3;", "recover 4;"),
        "probe source": ("source 172.16.255.254;", "source 172.16.255.253;"),
        "probe port": ("port 7000;", "port 7001;"),
        "probe key-file": ("key-file \"/etc/hedge/a.key\";", "key-file \"/etc/hedge/b.key\";"),

        "bfd interval": ("interval 300ms;", "interval 400ms;"),
        "bfd min-rx": ("min-rx 300ms;", "min-rx 400ms;"),
        "bfd multiplier": ("multiplier 3;", "multiplier 4;"),

        "bgp remote-as": ("remote-as 12076;", "remote-as 64512;"),
        "bgp hold-time": ("hold-time 90;", "hold-time 30;"),
        "bgp connect-retry": ("connect-retry 5s;", "connect-retry 6s;"),
        "bgp passive": ("passive on;", "passive off;"),
        "bgp gtsm": ("gtsm on;", "gtsm off;"),
        "bgp md5-key-file": ("md5-key-file \"/etc/hedge/a.key\";", "md5-key-file \"/etc/hedge/b.key\";"),
        "bgp max-prefix": ("max-prefix 1000;", "max-prefix 2000;"),
        "bgp prepend": ("prepend 1;", "prepend 2;"),
        "bgp source": ("source 192.168.10.1;", "source 192.168.10.5;"),
        "bgp return-steering": ("return-steering on;", "return-steering off;"),

        "watch-routes prefix": ("prefix 10.200.0.0/16;", "prefix 10.201.0.0/16;"),
        "watch-routes table": ("table 254;", "table 100;"),
        "watch-routes mode": ("mode all;", "mode any;"),

        "bmp listen": ("listen 127.0.0.1;", "listen 127.0.0.2;"),
        "bmp port": ("port 1790;", "port 1791;"),
        "bmp allow": ("allow 192.0.2.1;", "allow 192.0.2.2;"),
        "bmp grace": ("grace 1s;", "grace 2s;"),

        "group prefix": ("prefix 10.200.0.0/16;", "prefix 10.201.0.0/16;"),
        "group paths": ("paths er vpn;", "paths vpn er;"),
        "group hold-down": ("hold-down 30s;", "hold-down 10s;"),
        "group nexthop-id": ("nexthop-id 100;", "nexthop-id 200;"),
        "group damping": ("damping on;", "damping off;"),
        "group measure": ("measure reflect 10.200.0.4 { source 172.16.0.1; key-file \"/k\"; }",
                          "measure reflect 10.200.0.5 { source 172.16.0.1; key-file \"/k\"; }"),

        "damping penalty": ("penalty 1000;", "penalty 1100;"),
        "damping suppress": ("suppress 2000;", "suppress 2100;"),
        "damping reuse": ("reuse 750;", "reuse 800;"),
        "damping half-life": ("half-life 1m;", "half-life 2m;"),
        "damping max-suppress": ("max-suppress 60m;", "max-suppress 50m;"),

        "kernel protocol": ("protocol 88;", "protocol 89;"),
        "kernel table": ("table 100;", "table 101;"),
        "kernel metric": ("metric 0;", "metric 1;"),
        "kernel withdraw-on-exit": ("withdraw-on-exit on;", "withdraw-on-exit off;"),
        "kernel nexthop-objects": ("nexthop-objects on;", "nexthop-objects off;"),
        "kernel netlink-receive-buffer": ("netlink-receive-buffer 1048576;", "netlink-receive-buffer 2097152;"),
        "kernel probe-table-base": ("probe-table-base 1000;", "probe-table-base 2000;"),

        "control socket": ("socket \"/run/a.sock\";", "socket \"/run/b.sock\";"),

        "ipsec if-id": ("if-id 42;", "if-id 43;"),
        "ipsec local": ("local 198.51.100.1;", "local 198.51.100.2;"),
        "ipsec remote": ("remote 203.0.113.2;", "remote 203.0.113.3;"),
        "ipsec underlay": ("underlay wan0;", "underlay wan0 via 198.51.100.254;"),
        "ipsec mss": ("mss 1300;", "mss off;"),
        "ipsec mtu": ("mtu 1400;", "mtu 1380;"),
        "ipsec static": ("static { spi-out 0x1001; spi-in 0x2001; cipher aes256-sha256; key-file \"/k\"; }",
                         "static { spi-out 0x1002; spi-in 0x2001; cipher aes256-sha256; key-file \"/k\"; }"),
        "ipsec strongswan": ("strongswan { connection azure; }", "strongswan { connection azure2; }"),

        "static spi-out": ("spi-out 0x1001;", "spi-out 0x1002;"),
        "static spi-in": ("spi-in 0x2001;", "spi-in 0x2002;"),
        "static cipher": ("cipher aes256-sha256;", "cipher aes256gcm16;"),
        "static key-file": ("key-file \"/etc/hedge/a.keys\";", "key-file \"/etc/hedge/b.keys\";"),
        "static replay-window": ("replay-window 64;", "replay-window 128;"),

        "strongswan connection": ("connection azure;", "connection azure2;"),
        "strongswan child": ("child a;", "child b;"),
        "strongswan vici": ("vici \"/run/a.vici\";", "vici \"/run/b.vici\";"),
        "strongswan initiate": ("initiate on;", "initiate off;"),
        "strongswan proposals": ("proposals aes256-sha256-modp2048;", "proposals aes128-sha256-modp2048;"),
        "strongswan esp-proposals": ("esp-proposals aes256gcm16;", "esp-proposals aes128gcm16;"),
        "strongswan ike-lifetime": ("ike-lifetime 8h;", "ike-lifetime 4h;"),
        "strongswan child-lifetime": ("child-lifetime 27000s;", "child-lifetime 3600s;"),
        "strongswan child-bytes": ("child-bytes 102400000kb;", "child-bytes 1024kb;"),

        "reporting http": ("http 127.0.0.1;", "http off;"),
        "reporting syslog": ("syslog local;", "syslog udp 192.0.2.9;"),
        "reporting syslog-facility": ("syslog-facility local0;", "syslog-facility local1;"),
        "reporting push": ("push \"http://127.0.0.1:9000/a\";", "push \"http://127.0.0.1:9000/b\";"),

        "push spool": ("spool \"/var/spool/a\";", "spool \"/var/spool/b\";"),
        "push max-events": ("max-events 10;", "max-events 20;"),
    ]

    /// The configuration `statement` gives in `kind`'s place, as text for comparison.
    func result(_ statement: String, in kind: BlockKind, keyword: String, file: StaticString = #filePath,
                line: UInt = #line) -> String? {
        let text = Self.place(kind).body(keyword, statement)
        let r = parse(text)
        guard let config = r.config else {
            XCTFail("\(kind.name) '\(keyword)': \(statement) is rejected:\n\(text)\n" + lines(r).joined(separator: "\n"),
                    file: file, line: line)
            return nil
        }
        var out = ""
        dump(config, to: &out)
        return out
    }

    func testEveryKeywordIsRead() {
        var used: Set<String> = []
        for kind in BlockKind.all {
            for k in kind.keywords {
                let key = "\(kind.name) \(k.name)"
                guard let (a, b) = Self.cases[key] else {
                    XCTFail("no case for '\(k.name)' in \(kind.name): add two spellings to ConfigGrammarTests.cases")
                    continue
                }
                used.insert(key)
                XCTAssertTrue(a.hasPrefix(k.name + " ") && b.hasPrefix(k.name + " "), key)
                guard let x = result(a, in: kind, keyword: k.name), let y = result(b, in: kind, keyword: k.name) else { continue }
                XCTAssertTrue(x != y, "\(key): '\(a)' and '\(b)' give the same configuration; is the statement read?")
            }
        }
        XCTAssertEqual(Set(Self.cases.keys).subtracting(used), [], "cases for keywords no table has")
    }

    /// The tables are the only source of keywords: the checks and the reading cannot drift apart.
    func testEachKindHasItsOwnTable() {
        for kind in BlockKind.all {
            let names = kind.keywords.map { $0.name }
            XCTAssertFalse(names.isEmpty, kind.name)
            XCTAssertEqual(Set(names).count, names.count, "\(kind.name): a keyword twice")
        }
    }
}
