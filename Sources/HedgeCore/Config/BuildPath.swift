/// A `path` block and the blocks inside it: probe, bfd, bgp, watch-routes (ipsec: BuildIPsec.swift).
extension Grammar {
    static let path: [Statement<DraftPath>] = [
        .init("priority", 1, 1, usage: "priority NUMBER;") { b, s, p in p.priority = b.number(s, "priority") },
        .init("device", 1, 1, usage: "device INTERFACE;") { b, s, p in p.device = b.text(s) },
        .init("gateway", 1, 1, usage: "gateway ADDRESS;") { b, s, p in p.gateway = b.address(s, "gateway") },
        .init("gateway6", 1, 1, usage: "gateway6 IPV6;") { b, s, p in p.gateway6 = b.address(s, "gateway6") },
        .init("carrier", 1, 1, usage: "carrier on|off;") { b, s, p in if let x = b.onOff(s, "carrier") { p.carrier = x } },
        .init("announce", 1, many, repeatable: true, usage: "announce PREFIX...;") { b, s, p in
            for t in s.args { if let x = b.prefix(t) { p.announce.append(x) } }
        },
        .init("probe", 2, 4, .optional, usage: "probe icmp|udp|reflect ADDRESS [port NUMBER] { ... }") { b, s, p in
            p.probe = b.buildProbe(s)
        },
        .init("bfd", 1, 1, .optional, usage: "bfd NEIGHBOR { ... }") { b, s, p in p.bfd = b.buildBFD(s) },
        .init("bgp", 1, 1, .required, usage: "bgp NEIGHBOR { remote-as NUMBER; ... }") { b, s, p in p.bgp = b.buildBGP(s) },
        .init("bmp-neighbor", 1, 3, usage: "bmp-neighbor ADDRESS [as NUMBER];") { b, s, p in
            let a = s.args
            p.bmpNeighbor = b.address(a[0], "BMP neighbor")
            if a.count == 2 || (a.count == 3 && a[1].text != "as") {
                b.error(b.loc(a[1]), "unexpected \(a[1].quoted) after the neighbor (usage: bmp-neighbor ADDRESS [as NUMBER];)")
            } else if a.count == 3 {
                p.bmpPeerAS = b.number(a[2], "as")
            }
        },
        .init("watch-routes", 1, 1, .required, usage: "watch-routes bgp|bird|NUMBER { prefix PREFIX...; }") { b, s, p in
            p.watch = b.buildWatch(s)
        },
        .init("ipsec", 0, 0, .required,
              usage: "ipsec { if-id NUMBER; local ADDRESS; remote ADDRESS; static { ... } or strongswan { ... } }") { b, s, p in
            p.ipsec = b.buildIPsec(s)
        },
    ]

    /// Also the body of a group's `measure`.
    static let probe: [Statement<ProbeBody>] = [
        .init("interval", 1, 1, usage: "interval DURATION;") { b, s, p in p.probe?.interval = b.duration(s, "interval") },
        .init("threshold", 1, 1, usage: "threshold NUMBER;") { b, s, p in p.probe?.threshold = b.number(s, "threshold") },
        .init("recover", 1, 1, usage: "recover NUMBER;") { b, s, p in p.probe?.recover = b.number(s, "recover") },
        .init("source", 1, 1, usage: "source ADDRESS;") { b, s, p in p.probe?.source = b.address(s, "probe source") },
        .init("port", 1, 1, usage: "port NUMBER;") { b, s, p in
            if p.portGiven {
                b.error(b.loc(s.keyword), "duplicate 'port' in probe (already given after the target)")
            } else {
                p.probe?.port = b.number(s, "port")
                p.portGiven = true
            }
        },
        .init("key-file", 1, 1, usage: "key-file \"PATH\";") { b, s, p in p.probe?.keyFile = b.text(s) },
    ]

    static let bfd: [Statement<DraftBFD>] = [
        .init("interval", 1, 1, usage: "interval DURATION;") { b, s, d in d.interval = b.duration(s, "interval") },
        .init("min-rx", 1, 1, usage: "min-rx DURATION;") { b, s, d in d.minRx = b.duration(s, "min-rx") },
        .init("multiplier", 1, 1, usage: "multiplier NUMBER;") { b, s, d in d.multiplier = b.number(s, "multiplier") },
    ]

    static let bgp: [Statement<DraftBGP>] = [
        .init("remote-as", 1, 1, usage: "remote-as NUMBER;") { b, s, d in d.remoteAS = b.number(s, "remote-as") },
        .init("hold-time", 1, 1, usage: "hold-time SECONDS;") { b, s, d in d.holdTime = b.number(s, "hold-time") },
        .init("connect-retry", 1, 1, usage: "connect-retry DURATION;") { b, s, d in
            d.connectRetry = b.duration(s, "connect-retry")
        },
        .init("passive", 1, 1, usage: "passive on|off;") { b, s, d in if let x = b.onOff(s, "passive") { d.passive = x } },
        .init("gtsm", 1, 1, usage: "gtsm on|off;") { b, s, d in if let x = b.onOff(s, "gtsm") { d.gtsm = x } },
        .init("md5-key-file", 1, 1, usage: "md5-key-file \"PATH\";") { b, s, d in d.md5KeyFile = b.text(s) },
        .init("max-prefix", 1, 1, usage: "max-prefix NUMBER;") { b, s, d in d.maxPrefix = b.number(s, "max-prefix") },
        .init("prepend", 1, 1, usage: "prepend NUMBER;") { b, s, d in d.prepend = b.number(s, "prepend") },
        .init("source", 1, 1, usage: "source ADDRESS;") { b, s, d in d.source = b.address(s, "BGP source") },
        .init("return-steering", 1, 1, usage: "return-steering on|off;") { b, s, d in
            if let x = b.onOff(s, "return-steering") { d.returnSteering = x }
        },
    ]

    static let watch: [Statement<DraftWatch>] = [
        .init("prefix", 1, many, repeatable: true, usage: "prefix PREFIX...;") { b, s, w in
            for t in s.args { if let x = b.prefix(t) { w.prefixes.append(x) } }
        },
        .init("table", 1, 1, usage: "table NUMBER;") { b, s, w in w.table = b.number(s, "table") },
        .init("mode", 1, 1, usage: "mode all|any;") { b, s, w in
            let v = s.args[0]
            switch v.text {
            case "all": w.all = true
            case "any": w.all = false
            default: b.error(b.loc(v), "mode must be all or any, not \(v.quoted)")
            }
        },
    ]
}

/// A probe's body as it is read: the probe, nil when its head was unreadable (its body is then
/// checked but not read), and whether a port was given yet (in the head or the body).
struct ProbeBody {
    var probe: DraftProbe?
    var portGiven: Bool
}

extension Builder {
    mutating func buildPath(_ node: Node) -> DraftPath {
        var p = DraftPath(at: loc(node.keyword), name: name(node.args[0], "path"))
        p.seen = read(node.body, .path, Grammar.path, owner: "path '\(p.name.value)'", into: &p)
        return p
    }

    mutating func buildBFD(_ node: Node) -> DraftBFD {
        var b = DraftBFD(at: loc(node.keyword), neighbor: address(node.args[0], "BFD neighbor"))
        read(node.body, .bfd, Grammar.bfd, owner: "bfd", into: &b)
        return b
    }

    mutating func buildBGP(_ node: Node) -> DraftBGP {
        var b = DraftBGP(at: loc(node.keyword), neighbor: address(node.args[0], "BGP neighbor"))
        read(node.body, .bgp, Grammar.bgp, owner: "bgp", into: &b)
        return b
    }

    mutating func buildWatch(_ node: Node) -> DraftWatch {
        var w = DraftWatch(at: loc(node.keyword))
        let p = node.args[0]
        if let n = RouteWatch.parseProtocol(p.text) {
            w.protocolID = Located(UInt64(n), loc(p))
        } else {
            error(loc(p), "unknown route protocol \(p.quoted) (expected bgp, bird, static, kernel or a number 0–255)")
        }
        read(node.body, .watch, Grammar.watch, owner: "watch-routes", into: &w)
        return w
    }

    /// A path's `probe` or a group's `measure`: `KIND ADDRESS [port NUMBER]`, then the body.
    mutating func buildProbe(_ node: Node) -> DraftProbe? {
        let a = node.args
        var kind: ProbeConfig.Kind? = nil
        switch a[0].text {
        case "icmp": kind = .icmp
        case "udp": kind = .udp
        case "reflect": kind = .reflect
        default:
            error(loc(a[0]), "unknown probe type \(a[0].quoted) (expected icmp, udp or reflect)\(Suggest.hint(a[0].text, in: ["icmp", "udp", "reflect"]))")
        }
        let target = address(a[1], "probe target")
        var port: Located<UInt64>? = nil
        if a.count == 3 {
            error(loc(a[2]), "unexpected \(a[2].quoted) after the probe target (usage: probe udp ADDRESS port NUMBER { ... })")
        } else if a.count == 4 {
            if a[2].text == "port" {
                port = number(a[3], "port")
            } else {
                error(loc(a[2]), "unexpected \(a[2].quoted) after the probe target (expected 'port' or '{')")
            }
        }
        var body = ProbeBody(probe: nil, portGiven: port != nil)
        if let kind, let target {
            body.probe = DraftProbe(at: loc(node.keyword), kind: kind, target: target, port: port)
        }
        read(node.body, .probe, Grammar.probe, owner: "probe", into: &body)
        return body.probe
    }
}
