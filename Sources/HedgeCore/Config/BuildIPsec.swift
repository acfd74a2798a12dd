/// A path's `ipsec` block and its keying: `static` or `strongswan`.
extension Grammar {
    static let ipsec: [Statement<DraftIPsec>] = [
        .init("if-id", 1, 1, usage: "if-id NUMBER;") { b, s, x in x.ifID = b.number(s, "if-id") },
        .init("local", 1, 1, usage: "local ADDRESS;") { b, s, x in x.local = b.address(s, "ipsec local") },
        .init("remote", 1, 1, usage: "remote ADDRESS;") { b, s, x in x.remote = b.address(s, "ipsec remote") },
        .init("underlay", 1, 3, usage: "underlay INTERFACE [via ADDRESS];") { b, s, x in
            let a = s.args
            x.underlay = b.text(a[0])
            if a.count == 3 && a[1].text == "via" {
                x.underlayGateway = b.address(a[2], "underlay gateway")
            } else if a.count > 1 {
                b.error(b.loc(a[1]), "unexpected \(a[1].quoted) after the underlay device (usage: underlay INTERFACE [via ADDRESS];)")
            }
        },
        .init("mss", 1, 1, usage: "mss NUMBER|off;") { b, s, x in
            let v = s.args[0]
            x.mss = v.text == "off" ? Located(0, b.loc(v)) : b.number(v, "mss")
        },
        .init("mtu", 1, 1, usage: "mtu NUMBER;") { b, s, x in x.mtu = b.number(s, "mtu") },
        .init("static", 0, 0, .required, usage: "static { spi-out NUMBER; spi-in NUMBER; cipher NAME; key-file \"PATH\"; }") { b, s, x in
            x.manual = b.buildStaticKeying(s)
        },
        .init("strongswan", 0, 0, .required, usage: "strongswan { connection NAME; ... }") { b, s, x in
            x.strongswan = b.buildStrongSwan(s)
        },
    ]

    static let ipsecStatic: [Statement<DraftStaticKeying>] = [
        .init("spi-out", 1, 1, usage: "spi-out NUMBER;") { b, s, k in k.spiOut = b.number(s, "spi-out") },
        .init("spi-in", 1, 1, usage: "spi-in NUMBER;") { b, s, k in k.spiIn = b.number(s, "spi-in") },
        .init("cipher", 1, 1, usage: "cipher aes256gcm16|aes256-sha256;") { b, s, k in
            let v = s.args[0]
            if let c = IPsecCipher(rawValue: v.text) {
                k.cipher = Located(c, b.loc(v))
            } else {
                let names = IPsecCipher.all.map { $0.rawValue }
                b.error(b.loc(v), "unknown cipher \(v.quoted) (expected aes256gcm16 or aes256-sha256)\(Suggest.hint(v.text, in: names))")
            }
        },
        .init("key-file", 1, 1, usage: "key-file \"PATH\";") { b, s, k in k.keyFile = b.text(s) },
        .init("replay-window", 1, 1, usage: "replay-window NUMBER;") { b, s, k in k.replayWindow = b.number(s, "replay-window") },
    ]

    static let strongswan: [Statement<DraftStrongSwan>] = [
        .init("connection", 1, 1, usage: "connection NAME;") { b, s, w in w.connection = b.text(s) },
        .init("child", 1, 1, usage: "child NAME;") { b, s, w in w.child = b.text(s) },
        .init("vici", 1, 1, usage: "vici \"PATH\";") { b, s, w in w.vici = b.text(s) },
        .init("initiate", 1, 1, usage: "initiate on|off;") { b, s, w in w.initiate = b.onOff(s, "initiate") },
        // The proposal charon is configured with, in swanctl.conf's words: what Azure's connection
        // gets as its custom IPsec/IKE policy (`hedge check` holds it to what Azure accepts).
        .init("proposals", 1, 1, usage: "proposals ENCRYPTION-INTEGRITY-DHGROUP;") { b, s, w in w.proposals = b.valueText(s) },
        .init("esp-proposals", 1, 1, usage: "esp-proposals ENCRYPTION[-INTEGRITY][-PFSGROUP];") { b, s, w in
            w.espProposals = b.valueText(s)
        },
        .init("ike-lifetime", 1, 1, usage: "ike-lifetime DURATION;") { b, s, w in w.ikeLifetime = b.duration(s, "ike-lifetime") },
        .init("child-lifetime", 1, 1, usage: "child-lifetime DURATION;") { b, s, w in
            w.childLifetime = b.duration(s, "child-lifetime")
        },
        .init("child-bytes", 1, 1, usage: "child-bytes NUMBERkb;") { b, s, w in w.childBytes = b.kilobytes(s, "child-bytes") },
    ]
}

extension Builder {
    // `seen` holds every statement given, readable or not: a `static;` without its block is reported
    // once, not again as missing keying.

    mutating func buildIPsec(_ node: Node) -> DraftIPsec {
        var x = DraftIPsec(at: loc(node.keyword))
        x.seen = read(node.body, .ipsec, Grammar.ipsec, owner: "ipsec", into: &x)
        for n in node.body ?? [] { x.seen.insert(n.keyword.text) }
        return x
    }

    mutating func buildStaticKeying(_ node: Node) -> DraftStaticKeying {
        var k = DraftStaticKeying(at: loc(node.keyword))
        k.seen = read(node.body, .ipsecStatic, Grammar.ipsecStatic, owner: "static", into: &k)
        for n in node.body ?? [] { k.seen.insert(n.keyword.text) }
        return k
    }

    mutating func buildStrongSwan(_ node: Node) -> DraftStrongSwan {
        var w = DraftStrongSwan(at: loc(node.keyword))
        w.seen = read(node.body, .strongswan, Grammar.strongswan, owner: "strongswan", into: &w)
        for n in node.body ?? [] { w.seen.insert(n.keyword.text) }
        return w
    }
}
