/// The statements each block accepts: how many values, whether they open a block, whether they may
/// repeat. `Builder` checks every statement against this table before it looks at the values.

enum BlockKind: Equatable, Sendable {
    case top, azure, path, probe, bfd, bgp, watch, bmp, group, damping, kernel, control
    case ipsec, ipsecStatic, strongswan, reporting, push

    var name: String {
        switch self {
        case .top: return "top level"
        case .azure: return "azure"
        case .path: return "path"
        case .probe: return "probe"
        case .bfd: return "bfd"
        case .bgp: return "bgp"
        case .watch: return "watch-routes"
        case .bmp: return "bmp"
        case .group: return "group"
        case .damping: return "damping"
        case .kernel: return "kernel"
        case .control: return "control"
        case .ipsec: return "ipsec"
        case .ipsecStatic: return "static"
        case .strongswan: return "strongswan"
        case .reporting: return "reporting"
        case .push: return "push"
        }
    }

    static let all: [BlockKind] = [.top, .azure, .path, .probe, .bfd, .bgp, .watch, .bmp, .group, .damping, .kernel, .control,
                                   .ipsec, .ipsecStatic, .strongswan, .reporting, .push]

    var keywords: [Keyword] {
        switch self {
        case .top: return Keyword.top
        case .azure: return Keyword.azure
        case .path: return Keyword.path
        case .probe: return Keyword.probe
        case .bfd: return Keyword.bfd
        case .bgp: return Keyword.bgp
        case .watch: return Keyword.watch
        case .bmp: return Keyword.bmp
        case .group: return Keyword.group
        case .damping: return Keyword.damping
        case .kernel: return Keyword.kernel
        case .control: return Keyword.control
        case .ipsec: return Keyword.ipsec
        case .ipsecStatic: return Keyword.ipsecStatic
        case .strongswan: return Keyword.strongswan
        case .reporting: return Keyword.reporting
        case .push: return Keyword.push
        }
    }

    func keyword(_ name: String) -> Keyword? { keywords.first { $0.name == name } }
}

struct Keyword: Sendable {
    enum BlockUse: Sendable { case none, optional, required }
    var name: String
    var minArgs: Int
    var maxArgs: Int
    var block: BlockUse
    var repeatable: Bool
    /// The statement's form, for messages: `priority NUMBER;`
    var usage: String
    /// The kind of block its body is, when it has one.
    var body: BlockKind?

    @inline(never) init(_ name: String, _ minArgs: Int, _ maxArgs: Int, _ block: BlockUse = .none, repeatable: Bool = false,
         body: BlockKind? = nil, usage: String) {
        self.name = name; self.minArgs = minArgs; self.maxArgs = maxArgs; self.block = block
        self.repeatable = repeatable; self.body = body; self.usage = usage
    }

    static let many = Int.max

    static let top: [Keyword] = [
        Keyword("router-id", 1, 1, usage: "router-id IPV4;"),
        Keyword("local-as", 1, 1, usage: "local-as NUMBER;"),
        Keyword("azure", 0, 0, .required, body: .azure, usage: "azure { ... }"),
        Keyword("path", 1, 1, .required, repeatable: true, body: .path, usage: "path NAME { ... }"),
        Keyword("group", 1, 1, .required, repeatable: true, body: .group, usage: "group NAME { ... }"),
        Keyword("kernel", 0, 0, .required, body: .kernel, usage: "kernel { ... }"),
        Keyword("control", 0, 0, .required, body: .control, usage: "control { ... }"),
        Keyword("reporting", 0, 0, .required, body: .reporting, usage: "reporting { ... }"),
        Keyword("bmp", 0, 0, .required, body: .bmp, usage: "bmp { listen ADDRESS; port NUMBER; ... }"),
    ]
    static let azure: [Keyword] = [
        Keyword("vnet", 1, many, repeatable: true, usage: "vnet PREFIX...;"),
        Keyword("gateway-subnet", 1, 1, usage: "gateway-subnet PREFIX;"),
        Keyword("private-peering-limit", 1, 1, usage: "private-peering-limit NUMBER;"),
    ]
    static let path: [Keyword] = [
        Keyword("priority", 1, 1, usage: "priority NUMBER;"),
        Keyword("device", 1, 1, usage: "device INTERFACE;"),
        Keyword("gateway", 1, 1, usage: "gateway ADDRESS;"),
        Keyword("gateway6", 1, 1, usage: "gateway6 IPV6;"),
        Keyword("carrier", 1, 1, usage: "carrier on|off;"),
        Keyword("announce", 1, many, repeatable: true, usage: "announce PREFIX...;"),
        Keyword("probe", 2, 4, .optional, body: .probe, usage: "probe icmp|udp|reflect ADDRESS [port NUMBER] { ... }"),
        Keyword("bfd", 1, 1, .optional, body: .bfd, usage: "bfd NEIGHBOR { ... }"),
        Keyword("bgp", 1, 1, .required, body: .bgp, usage: "bgp NEIGHBOR { remote-as NUMBER; ... }"),
        Keyword("bmp-neighbor", 1, 3, usage: "bmp-neighbor ADDRESS [as NUMBER];"),
        Keyword("watch-routes", 1, 1, .required, body: .watch, usage: "watch-routes bgp|bird|NUMBER { prefix PREFIX...; }"),
        Keyword("ipsec", 0, 0, .required, body: .ipsec,
                usage: "ipsec { if-id NUMBER; local ADDRESS; remote ADDRESS; static { ... } or strongswan { ... } }"),
    ]
    static let ipsec: [Keyword] = [
        Keyword("if-id", 1, 1, usage: "if-id NUMBER;"),
        Keyword("local", 1, 1, usage: "local ADDRESS;"),
        Keyword("remote", 1, 1, usage: "remote ADDRESS;"),
        Keyword("underlay", 1, 3, usage: "underlay INTERFACE [via ADDRESS];"),
        Keyword("mss", 1, 1, usage: "mss NUMBER|off;"),
        Keyword("mtu", 1, 1, usage: "mtu NUMBER;"),
        Keyword("static", 0, 0, .required, body: .ipsecStatic,
                usage: "static { spi-out NUMBER; spi-in NUMBER; cipher NAME; key-file \"PATH\"; }"),
        Keyword("strongswan", 0, 0, .required, body: .strongswan, usage: "strongswan { connection NAME; ... }"),
    ]
    static let ipsecStatic: [Keyword] = [
        Keyword("spi-out", 1, 1, usage: "spi-out NUMBER;"),
        Keyword("spi-in", 1, 1, usage: "spi-in NUMBER;"),
        Keyword("cipher", 1, 1, usage: "cipher aes256gcm16|aes256-sha256;"),
        Keyword("key-file", 1, 1, usage: "key-file \"PATH\";"),
        Keyword("replay-window", 1, 1, usage: "replay-window NUMBER;"),
    ]
    static let strongswan: [Keyword] = [
        Keyword("connection", 1, 1, usage: "connection NAME;"),
        Keyword("child", 1, 1, usage: "child NAME;"),
        Keyword("vici", 1, 1, usage: "vici \"PATH\";"),
        Keyword("initiate", 1, 1, usage: "initiate on|off;"),
    ]
    static let watch: [Keyword] = [
        Keyword("prefix", 1, many, repeatable: true, usage: "prefix PREFIX...;"),
        Keyword("table", 1, 1, usage: "table NUMBER;"),
        Keyword("mode", 1, 1, usage: "mode all|any;"),
    ]
    static let bmp: [Keyword] = [
        Keyword("listen", 1, 1, usage: "listen ADDRESS;"),
        Keyword("port", 1, 1, usage: "port NUMBER;"),
        Keyword("allow", 1, many, repeatable: true, usage: "allow ADDRESS...;"),
        Keyword("grace", 1, 1, usage: "grace DURATION;"),
    ]
    static let bgp: [Keyword] = [
        Keyword("remote-as", 1, 1, usage: "remote-as NUMBER;"),
        Keyword("hold-time", 1, 1, usage: "hold-time SECONDS;"),
        Keyword("connect-retry", 1, 1, usage: "connect-retry DURATION;"),
        Keyword("passive", 1, 1, usage: "passive on|off;"),
        Keyword("gtsm", 1, 1, usage: "gtsm on|off;"),
        Keyword("md5-key-file", 1, 1, usage: "md5-key-file \"PATH\";"),
        Keyword("max-prefix", 1, 1, usage: "max-prefix NUMBER;"),
        Keyword("prepend", 1, 1, usage: "prepend NUMBER;"),
        Keyword("source", 1, 1, usage: "source ADDRESS;"),
        Keyword("return-steering", 1, 1, usage: "return-steering on|off;"),
    ]
    static let bfd: [Keyword] = [
        Keyword("interval", 1, 1, usage: "interval DURATION;"),
        Keyword("min-rx", 1, 1, usage: "min-rx DURATION;"),
        Keyword("multiplier", 1, 1, usage: "multiplier NUMBER;"),
    ]
    static let probe: [Keyword] = [
        Keyword("interval", 1, 1, usage: "interval DURATION;"),
        Keyword("threshold", 1, 1, usage: "threshold NUMBER;"),
        Keyword("recover", 1, 1, usage: "recover NUMBER;"),
        Keyword("source", 1, 1, usage: "source ADDRESS;"),
        Keyword("port", 1, 1, usage: "port NUMBER;"),
        Keyword("key-file", 1, 1, usage: "key-file \"PATH\";"),
    ]
    static let group: [Keyword] = [
        Keyword("prefix", 1, many, repeatable: true, usage: "prefix PREFIX...;"),
        Keyword("paths", 1, many, usage: "paths NAME...;"),
        Keyword("hold-down", 1, 1, usage: "hold-down DURATION;"),
        Keyword("nexthop-id", 1, 1, usage: "nexthop-id NUMBER;"),
        Keyword("damping", 0, 1, .optional, body: .damping, usage: "damping on|off; or damping { ... }"),
        Keyword("measure", 2, 4, .optional, body: .probe, usage: "measure reflect ADDRESS [port NUMBER] { ... }"),
    ]
    static let damping: [Keyword] = [
        Keyword("penalty", 1, 1, usage: "penalty NUMBER;"),
        Keyword("suppress", 1, 1, usage: "suppress NUMBER;"),
        Keyword("reuse", 1, 1, usage: "reuse NUMBER;"),
        Keyword("half-life", 1, 1, usage: "half-life DURATION;"),
        Keyword("max-suppress", 1, 1, usage: "max-suppress DURATION;"),
    ]
    static let kernel: [Keyword] = [
        Keyword("protocol", 1, 1, usage: "protocol NUMBER;"),
        Keyword("table", 1, 1, usage: "table NUMBER;"),
        Keyword("metric", 1, 1, usage: "metric NUMBER;"),
        Keyword("withdraw-on-exit", 1, 1, usage: "withdraw-on-exit on|off;"),
        Keyword("nexthop-objects", 1, 1, usage: "nexthop-objects on|off;"),
        Keyword("netlink-receive-buffer", 1, 1, usage: "netlink-receive-buffer BYTES;"),
        Keyword("probe-table-base", 1, 1, usage: "probe-table-base NUMBER;"),
    ]
    static let control: [Keyword] = [
        Keyword("socket", 1, 1, usage: "socket \"PATH\";"),
    ]
    static let reporting: [Keyword] = [
        Keyword("http", 1, 3, usage: "http ADDRESS [port NUMBER]; | http off;"),
        Keyword("syslog", 1, 4, usage: "syslog local [\"PATH\"]; | syslog udp ADDRESS [port NUMBER]; | syslog off;"),
        Keyword("syslog-facility", 1, 1, usage: "syslog-facility daemon|local0..local7|...;"),
        Keyword("push", 1, 1, .optional, body: .push, usage: "push \"http://ADDRESS[:PORT]/PATH\" { spool \"DIR\"; max-events NUMBER; }"),
    ]
    static let push: [Keyword] = [
        Keyword("spool", 1, 1, usage: "spool \"DIRECTORY\";"),
        Keyword("max-events", 1, 1, usage: "max-events NUMBER;"),
    ]
}

enum Suggest {
    /// Edit distance over bytes (optimal string alignment: insertions, deletions, substitutions
    /// and transpositions of neighbours each cost 1).
    static func distance(_ a: String, _ b: String) -> Int {
        let x = Array(a.utf8), y = Array(b.utf8)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        let w = y.count + 1
        var d = [Int](repeating: 0, count: (x.count + 1) * w)
        for i in 0...x.count { d[i * w] = i }
        for j in 0...y.count { d[j] = j }
        for i in 1...x.count {
            for j in 1...y.count {
                let cost = x[i - 1] == y[j - 1] ? 0 : 1
                var v = min(d[(i - 1) * w + j] + 1, d[i * w + j - 1] + 1, d[(i - 1) * w + j - 1] + cost)
                if i > 1 && j > 1 && x[i - 1] == y[j - 2] && x[i - 2] == y[j - 1] {
                    v = min(v, d[(i - 2) * w + j - 2] + 1)
                }
                d[i * w + j] = v
            }
        }
        return d[x.count * w + y.count]
    }

    /// The closest candidate if it is close enough to be a likely typo.
    static func nearest(_ word: String, in candidates: [String]) -> String? {
        let n = word.utf8.count
        let limit = n >= 6 ? 2 : (n >= 3 ? 1 : 0)
        var best: String? = nil, bestD = limit + 1
        for c in candidates {
            let d = distance(word, c)
            if d < bestD { best = c; bestD = d }
        }
        return best
    }

    /// " (did you mean 'x'?)" or "".
    static func hint(_ word: String, in candidates: [String]) -> String {
        if let s = nearest(word, in: candidates) { return " (did you mean '\(s)'?)" }
        return ""
    }
}
