/// The statement layer: syntax tree → `DraftConfig`. Checks each statement against the keyword
/// table of its block (unknown keywords, missing `;` between two statements, value counts, blocks,
/// repeats) and reads each value (numbers, durations, switches, addresses, prefixes). Rules that
/// relate values to each other are `Validator`'s.

struct Builder {
    let file: String
    var diagnostics: [Diagnostic] = []
    var draft = DraftConfig()

    init(file: String) { self.file = file }

    // MARK: - Diagnostics

    // The helpers below and the value readers are @inline(never): each builds a message, and the
    // optimiser, counting only the call, copied that into every caller (Embedded, -Osize: 16 KB).

    func loc(_ t: Token) -> SourceLocation { SourceLocation(line: t.line, column: t.column) }
    func loc(after t: Token) -> SourceLocation { SourceLocation(line: t.line, column: t.column + t.width) }

    @inline(never) mutating func error(_ at: SourceLocation, _ message: String) {
        diagnostics.append(Diagnostic(.error, file, at, message))
    }
    @inline(never) mutating func warning(_ at: SourceLocation, _ message: String) {
        diagnostics.append(Diagnostic(.warning, file, at, message))
    }

    // MARK: - Statements against the keyword table

    /// The statements of one block that are well-formed enough to interpret, in order. Everything
    /// else is reported here.
    mutating func statements(_ nodes: [Node], in kind: BlockKind, owner: String) -> [Node] {
        var out: [Node] = []
        var seen = HashMap<String, SourceLocation>()
        for n in nodes { check(n, in: kind, owner: owner, seen: &seen, into: &out) }
        return out
    }

    /// Where a statement that lost its `;` runs into the next one: the first value that is a keyword
    /// of this block and either starts a line or comes after all the values the statement takes.
    func splitIndex(_ node: Node, in kind: BlockKind, spec: Keyword?) -> Int? {
        for (i, a) in node.args.enumerated() where a.kind == .word && kind.keyword(a.text) != nil {
            if a.firstOnLine { return i }
            if let spec, i >= spec.maxArgs { return i }
        }
        return nil
    }

    mutating func check(_ original: Node, in kind: BlockKind, owner: String,
                        seen: inout HashMap<String, SourceLocation>, into out: inout [Node]) {
        var node = original
        let kw = node.keyword
        let spec = kind.keyword(kw.text)

        if let i = splitIndex(node, in: kind, spec: spec) {
            var head = node
            head.args = Array(node.args[..<i])
            head.body = nil; head.open = nil; head.terminator = nil
            var tail = node
            tail.keyword = node.args[i]
            tail.args = Array(node.args[(i + 1)...])
            if spec.map({ head.args.count >= $0.minArgs }) ?? true {
                error(loc(after: head.endOfHead), "expected ';' after \(head.endOfHead.quoted)")
            }
            check(head, in: kind, owner: owner, seen: &seen, into: &out)
            check(tail, in: kind, owner: owner, seen: &seen, into: &out)
            return
        }

        guard let spec else {
            unknown(kw, in: kind)
            return
        }
        if node.args.count < spec.minArgs {
            let at = node.terminator.map { loc($0) } ?? loc(after: node.endOfHead)
            let what = spec.minArgs - node.args.count == 1 && node.args.isEmpty ? "a value" : "more values"
            error(at, "'\(spec.name)' needs \(what) (usage: \(spec.usage))")
            return
        }
        if node.args.count > spec.maxArgs {
            let extra = node.args[spec.maxArgs]
            error(loc(extra), "unexpected \(extra.quoted) in '\(spec.name)' statement (usage: \(spec.usage))")
            node.args = Array(node.args[..<spec.maxArgs])
        }
        switch spec.block {
        case .none:
            if let o = node.open {
                error(loc(o), "'\(spec.name)' does not take a block (usage: \(spec.usage))")
                node.body = nil
            }
        case .required:
            if node.body == nil {
                let at = node.terminator.map { loc($0) } ?? loc(after: node.endOfHead)
                error(at, "'\(spec.name)' needs a block (usage: \(spec.usage))")
                return
            }
        case .optional:
            break
        }
        if !spec.repeatable {
            if let first = seen[spec.name] {
                error(loc(kw), "duplicate '\(spec.name)' in \(owner) (first given at line \(first.line))")
                return
            }
            seen[spec.name] = loc(kw)
        }
        out.append(node)
    }

    mutating func unknown(_ kw: Token, in kind: BlockKind) {
        let place = kind == .top ? "at top level" : "in \(kind.name)"
        guard kw.kind == .word else {
            error(loc(kw), "expected a statement keyword, found \(kw.quoted)")
            return
        }
        var message = "unknown statement \(kw.quoted) \(place)"
        let hint = Suggest.hint(kw.text, in: kind.keywords.map { $0.name })
        if !hint.isEmpty {
            message += hint
        } else if let home = BlockKind.all.first(where: { $0 != kind && $0.keyword(kw.text) != nil }) {
            message += home == .top ? " ('\(kw.text)' belongs at top level)" : " ('\(kw.text)' belongs in a \(home.name) block)"
        }
        error(loc(kw), message)
    }

    // MARK: - Values

    @inline(never) mutating func address(_ t: Token, _ what: String) -> Located<IPAddress>? {
        if let a = IPAddress(t.text) { return Located(a, loc(t)) }
        if IPPrefix.parse(t.text) != nil {
            error(loc(t), "\(what) must be an address, not a prefix: \(t.quoted)")
        } else {
            error(loc(t), "invalid IP address \(t.quoted) for \(what)")
        }
        return nil
    }

    @inline(never) mutating func prefix(_ t: Token) -> Located<IPPrefix>? {
        if let r = IPPrefix.parse(t.text) {
            if r.hadHostBits {
                warning(loc(t), "prefix \(t.text) has host bits set; it is read as \(r.prefix)")
            }
            return Located(r.prefix, loc(t))
        }
        let b = Array(t.text.utf8)
        if let slash = b.lastIndex(of: 47) {
            let addrText = String(decoding: b[..<slash], as: UTF8.self)
            if let a = IPAddress(addrText) {
                error(loc(t), "invalid prefix length in \(t.quoted) (\(a.isV4 ? "IPv4: 0–32" : "IPv6: 0–128"))")
            } else {
                error(loc(t), "invalid prefix \(t.quoted): '\(addrText)' is not an IP address")
            }
        } else if IPAddress(t.text) != nil {
            error(loc(t), "invalid prefix \(t.quoted): missing '/length'")
        } else {
            error(loc(t), "invalid prefix \(t.quoted)")
        }
        return nil
    }

    @inline(never) mutating func number(_ t: Token, _ what: String) -> Located<UInt64>? {
        if let v = Values.integer(t.text) { return Located(v, loc(t)) }
        if Values.isOverlongInteger(t.text) {
            error(loc(t), "\(what) \(t.text) is too large")
        } else {
            error(loc(t), "invalid \(what) \(t.quoted) (expected a whole number)")
        }
        return nil
    }

    @inline(never) mutating func duration(_ t: Token, _ what: String) -> Located<Millis>? {
        switch Values.duration(t.text) {
        case .ok(let ms): return Located(ms, loc(t))
        case .missingUnit:
            error(loc(t), "\(what) \(t.quoted) needs a unit: ms, s, m or h (e.g. '\(t.text)ms' or '\(t.text)s')")
        case .fraction:
            error(loc(t), "\(what) \(t.quoted) must be a whole number; use a smaller unit (e.g. ms)")
        case .unknownUnit(let u):
            error(loc(t), "unknown unit '\(u)' in \(what) \(t.quoted) (use ms, s, m or h)")
        case .tooLarge:
            error(loc(t), "\(what) \(t.quoted) is too large")
        case .invalid:
            error(loc(t), "invalid \(what) \(t.quoted) (expected a duration such as 10ms, 30s, 10m, 1h)")
        }
        return nil
    }

    @inline(never) mutating func onOff(_ t: Token, _ what: String) -> Bool? {
        if let b = Values.bool(t.text) { return b }
        error(loc(t), "invalid value \(t.quoted) for '\(what)' (expected on or off)")
        return nil
    }

    @inline(never) mutating func name(_ t: Token, _ what: String) -> Located<String> {
        if !Values.isName(t.text) {
            error(loc(t), "invalid \(what) name \(t.quoted) (letters, digits, '_', '-', '.'; starting with a letter)")
        }
        return Located(t.text, loc(t))
    }

    // MARK: - Blocks

    mutating func build(_ nodes: [Node]) {
        for s in statements(nodes, in: .top, owner: "the configuration") {
            let a = s.args
            switch s.keyword.text {
            case "router-id": draft.routerID = address(a[0], "router-id")
            case "local-as": draft.localAS = number(a[0], "local-as")
            case "azure": buildAzure(s)
            case "path": buildPath(s)
            case "group": buildGroup(s)
            case "kernel": buildKernel(s)
            case "control": buildControl(s)
            case "reporting": buildReporting(s)
            case "bmp": buildBMP(s)
            default: break
            }
        }
    }

    mutating func buildAzure(_ node: Node) {
        var az = DraftAzure(at: loc(node.keyword))
        for s in statements(node.body ?? [], in: .azure, owner: "azure") {
            let a = s.args
            switch s.keyword.text {
            case "vnet": for t in a { if let p = prefix(t) { az.vnet.append(p) } }
            case "gateway-subnet": az.gatewaySubnet = prefix(a[0])
            case "private-peering-limit": az.privatePeeringLimit = number(a[0], "private-peering-limit")
            default: break
            }
        }
        draft.azure = az
    }

    mutating func buildBFD(_ node: Node) -> DraftBFD {
        var b = DraftBFD(at: loc(node.keyword), neighbor: address(node.args[0], "BFD neighbor"))
        for s in statements(node.body ?? [], in: .bfd, owner: "bfd") {
            let v = s.args[0]
            switch s.keyword.text {
            case "interval": b.interval = duration(v, "interval")
            case "min-rx": b.minRx = duration(v, "min-rx")
            case "multiplier": b.multiplier = number(v, "multiplier")
            default: break
            }
        }
        return b
    }

    mutating func buildBGP(_ node: Node) -> DraftBGP {
        var b = DraftBGP(at: loc(node.keyword), neighbor: address(node.args[0], "BGP neighbor"))
        for s in statements(node.body ?? [], in: .bgp, owner: "bgp") {
            let v = s.args[0]
            switch s.keyword.text {
            case "remote-as": b.remoteAS = number(v, "remote-as")
            case "hold-time": b.holdTime = number(v, "hold-time")
            case "connect-retry": b.connectRetry = duration(v, "connect-retry")
            case "passive": if let x = onOff(v, "passive") { b.passive = x }
            case "gtsm": if let x = onOff(v, "gtsm") { b.gtsm = x }
            case "return-steering": if let x = onOff(v, "return-steering") { b.returnSteering = x }
            case "md5-key-file": b.md5KeyFile = Located(v.text, loc(v))
            case "max-prefix": b.maxPrefix = number(v, "max-prefix")
            case "prepend": b.prepend = number(v, "prepend")
            case "source": b.source = address(v, "BGP source")
            default: break
            }
        }
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
        for s in statements(node.body ?? [], in: .watch, owner: "watch-routes") {
            let v = s.args[0]
            switch s.keyword.text {
            case "prefix": for t in s.args { if let x = prefix(t) { w.prefixes.append(x) } }
            case "table": w.table = number(v, "table")
            case "mode":
                switch v.text {
                case "all": w.all = true
                case "any": w.all = false
                default: error(loc(v), "mode must be all or any, not \(v.quoted)")
                }
            default: break
            }
        }
        return w
    }

    mutating func buildBMP(_ node: Node) {
        var b = DraftBMP(at: loc(node.keyword))
        for s in statements(node.body ?? [], in: .bmp, owner: "bmp") {
            let v = s.args[0]
            switch s.keyword.text {
            case "listen": b.listen = address(v, "BMP listen address")
            case "port": b.port = number(v, "port")
            case "allow": for t in s.args { if let x = address(t, "BMP router address") { b.allow.append(x) } }
            case "grace": b.grace = duration(v, "grace")
            default: break
            }
        }
        draft.bmp = b
    }

    mutating func buildPath(_ node: Node) {
        var p = DraftPath(at: loc(node.keyword), name: name(node.args[0], "path"))
        for s in statements(node.body ?? [], in: .path, owner: "path '\(p.name.value)'") {
            let a = s.args
            p.seen.insert(s.keyword.text)
            switch s.keyword.text {
            case "priority": p.priority = number(a[0], "priority")
            case "device": p.device = Located(a[0].text, loc(a[0]))
            case "gateway": p.gateway = address(a[0], "gateway")
            case "gateway6": p.gateway6 = address(a[0], "gateway6")
            case "carrier": if let b = onOff(a[0], "carrier") { p.carrier = b }
            case "announce": for t in a { if let x = prefix(t) { p.announce.append(x) } }
            case "probe": p.probe = buildProbe(s)
            case "bfd": p.bfd = buildBFD(s)
            case "bgp": p.bgp = buildBGP(s)
            case "bmp-neighbor":
                p.bmpNeighbor = address(a[0], "BMP neighbor")
                if a.count == 2 || (a.count == 3 && a[1].text != "as") {
                    error(loc(a[1]), "unexpected \(a[1].quoted) after the neighbor (usage: bmp-neighbor ADDRESS [as NUMBER];)")
                } else if a.count == 3 {
                    p.bmpPeerAS = number(a[2], "as")
                }
            case "watch-routes": p.watch = buildWatch(s)
            case "ipsec": p.ipsec = buildIPsec(s)
            default: break
            }
        }
        draft.paths.append(p)
    }

    mutating func buildIPsec(_ node: Node) -> DraftIPsec {
        var x = DraftIPsec(at: loc(node.keyword))
        // Every statement given, readable or not: a `static;` without its block is reported once,
        // not again as missing keying.
        for n in node.body ?? [] { x.seen.insert(n.keyword.text) }
        for s in statements(node.body ?? [], in: .ipsec, owner: "ipsec") {
            x.seen.insert(s.keyword.text)
            let a = s.args
            switch s.keyword.text {
            case "if-id": x.ifID = number(a[0], "if-id")
            case "local": x.local = address(a[0], "ipsec local")
            case "remote": x.remote = address(a[0], "ipsec remote")
            case "underlay":
                x.underlay = Located(a[0].text, loc(a[0]))
                if a.count == 3 && a[1].text == "via" {
                    x.underlayGateway = address(a[2], "underlay gateway")
                } else if a.count > 1 {
                    error(loc(a[1]), "unexpected \(a[1].quoted) after the underlay device (usage: underlay INTERFACE [via ADDRESS];)")
                }
            case "mss": x.mss = a[0].text == "off" ? Located(0, loc(a[0])) : number(a[0], "mss")
            case "mtu": x.mtu = number(a[0], "mtu")
            case "static": x.manual = buildStaticKeying(s)
            case "strongswan": x.strongswan = buildStrongSwan(s)
            default: break
            }
        }
        return x
    }

    mutating func buildStaticKeying(_ node: Node) -> DraftStaticKeying {
        var k = DraftStaticKeying(at: loc(node.keyword))
        for n in node.body ?? [] { k.seen.insert(n.keyword.text) }
        for s in statements(node.body ?? [], in: .ipsecStatic, owner: "static") {
            k.seen.insert(s.keyword.text)
            let v = s.args[0]
            switch s.keyword.text {
            case "spi-out": k.spiOut = number(v, "spi-out")
            case "spi-in": k.spiIn = number(v, "spi-in")
            case "cipher":
                if let c = IPsecCipher(rawValue: v.text) {
                    k.cipher = Located(c, loc(v))
                } else {
                    let names = IPsecCipher.all.map { $0.rawValue }
                    error(loc(v), "unknown cipher \(v.quoted) (expected aes256gcm16 or aes256-sha256)\(Suggest.hint(v.text, in: names))")
                }
            case "key-file": k.keyFile = Located(v.text, loc(v))
            case "replay-window": k.replayWindow = number(v, "replay-window")
            default: break
            }
        }
        return k
    }

    mutating func buildStrongSwan(_ node: Node) -> DraftStrongSwan {
        var w = DraftStrongSwan(at: loc(node.keyword))
        for n in node.body ?? [] { w.seen.insert(n.keyword.text) }
        for s in statements(node.body ?? [], in: .strongswan, owner: "strongswan") {
            w.seen.insert(s.keyword.text)
            let v = s.args[0]
            switch s.keyword.text {
            case "connection": w.connection = Located(v.text, loc(v))
            case "child": w.child = Located(v.text, loc(v))
            case "vici": w.vici = Located(v.text, loc(v))
            case "initiate": w.initiate = onOff(v, "initiate")
            default: break
            }
        }
        return w
    }

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
        var probe: DraftProbe? = nil
        if let kind, let target {
            probe = DraftProbe(at: loc(node.keyword), kind: kind, target: target, port: port)
        }
        var headerPort = port != nil
        for s in statements(node.body ?? [], in: .probe, owner: "probe") {
            let v = s.args[0]
            switch s.keyword.text {
            case "interval": probe?.interval = duration(v, "interval")
            case "threshold": probe?.threshold = number(v, "threshold")
            case "recover": probe?.recover = number(v, "recover")
            case "source": probe?.source = address(v, "probe source")
            case "key-file": probe?.keyFile = Located(v.text, loc(v))
            case "port":
                if headerPort {
                    error(loc(s.keyword), "duplicate 'port' in probe (already given after the target)")
                } else {
                    probe?.port = number(v, "port")
                    headerPort = true
                }
            default: break
            }
        }
        return probe
    }

    mutating func buildGroup(_ node: Node) {
        var g = DraftGroup(at: loc(node.keyword), name: name(node.args[0], "group"))
        for s in statements(node.body ?? [], in: .group, owner: "group '\(g.name.value)'") {
            let a = s.args
            g.seen.insert(s.keyword.text)
            switch s.keyword.text {
            case "prefix": for t in a { if let x = prefix(t) { g.prefixes.append(x) } }
            case "paths": g.paths = a.map { Located($0.text, loc($0)) }
            case "hold-down": g.holdDown = duration(a[0], "hold-down")
            case "nexthop-id": g.nexthopID = number(a[0], "nexthop-id")
            case "damping": g.damping = buildDamping(s)
            case "measure": g.measure = buildProbe(s)
            default: break
            }
        }
        draft.groups.append(g)
    }

    mutating func buildDamping(_ node: Node) -> DraftDamping? {
        var d = DraftDamping(at: loc(node.keyword))
        if let t = node.args.first {
            if node.open != nil {
                error(loc(t), "'damping' takes either on|off or a block, not both")
            }
            guard let on = onOff(t, "damping") else { return nil }
            if !on { return nil }
        } else if node.body == nil {
            error(node.terminator.map { loc($0) } ?? loc(after: node.keyword),
                  "'damping' needs on, off or a block (usage: damping on|off; or damping { ... })")
            return nil
        }
        for s in statements(node.body ?? [], in: .damping, owner: "damping") {
            let v = s.args[0]
            switch s.keyword.text {
            case "penalty": d.penalty = number(v, "penalty")
            case "suppress": d.suppress = number(v, "suppress")
            case "reuse": d.reuse = number(v, "reuse")
            case "half-life": d.halfLife = duration(v, "half-life")
            case "max-suppress": d.maxSuppress = duration(v, "max-suppress")
            default: break
            }
        }
        return d
    }

    mutating func buildKernel(_ node: Node) {
        var k = DraftKernel()
        for s in statements(node.body ?? [], in: .kernel, owner: "kernel") {
            let v = s.args[0]
            switch s.keyword.text {
            case "protocol": k.routeProtocol = number(v, "protocol")
            case "table": k.table = number(v, "table")
            case "metric": k.metric = number(v, "metric")
            case "withdraw-on-exit": k.withdrawOnExit = onOff(v, "withdraw-on-exit")
            case "nexthop-objects": k.nexthopObjects = onOff(v, "nexthop-objects")
            case "netlink-receive-buffer": k.netlinkReceiveBuffer = number(v, "netlink-receive-buffer")
            case "probe-table-base": k.probeTableBase = number(v, "probe-table-base")
            default: break
            }
        }
        draft.kernel = k
    }

    mutating func buildControl(_ node: Node) {
        var c = DraftControl()
        for s in statements(node.body ?? [], in: .control, owner: "control") {
            let v = s.args[0]
            switch s.keyword.text {
            case "socket": c.socket = Located(v.text, loc(v))
            default: break
            }
        }
        draft.control = c
    }
}
