/// The top level and its one-of-a-kind blocks: azure, kernel, control, bmp.
extension Grammar {
    static let top: [Statement<DraftConfig>] = [
        .init("router-id", 1, 1, usage: "router-id IPV4;") { b, s, d in d.routerID = b.address(s, "router-id") },
        .init("local-as", 1, 1, usage: "local-as NUMBER;") { b, s, d in d.localAS = b.number(s, "local-as") },
        .init("azure", 0, 0, .required, usage: "azure { ... }") { b, s, d in d.azure = b.buildAzure(s) },
        .init("path", 1, 1, .required, repeatable: true, usage: "path NAME { ... }") { b, s, d in d.paths.append(b.buildPath(s)) },
        .init("group", 1, 1, .required, repeatable: true, usage: "group NAME { ... }") { b, s, d in d.groups.append(b.buildGroup(s)) },
        .init("kernel", 0, 0, .required, usage: "kernel { ... }") { b, s, d in b.read(s.body, .kernel, kernel, owner: "kernel", into: &d.kernel) },
        .init("control", 0, 0, .required, usage: "control { ... }") { b, s, d in b.read(s.body, .control, control, owner: "control", into: &d.control) },
        .init("reporting", 0, 0, .required, usage: "reporting { ... }") { b, s, d in d.reporting = b.buildReporting(s) },
        .init("bmp", 0, 0, .required, usage: "bmp { listen ADDRESS; port NUMBER; ... }") { b, s, d in d.bmp = b.buildBMP(s) },
    ]

    static let azure: [Statement<DraftAzure>] = [
        .init("vnet", 1, many, repeatable: true, usage: "vnet PREFIX...;") { b, s, d in
            for t in s.args { if let p = b.prefix(t) { d.vnet.append(p) } }
        },
        .init("gateway-subnet", 1, 1, usage: "gateway-subnet PREFIX;") { b, s, d in d.gatewaySubnet = b.prefix(s) },
        .init("private-peering-limit", 1, 1, usage: "private-peering-limit NUMBER;") { b, s, d in
            d.privatePeeringLimit = b.number(s, "private-peering-limit")
        },
    ]

    static let kernel: [Statement<DraftKernel>] = [
        .init("protocol", 1, 1, usage: "protocol NUMBER;") { b, s, d in d.routeProtocol = b.number(s, "protocol") },
        .init("table", 1, 1, usage: "table NUMBER;") { b, s, d in d.table = b.number(s, "table") },
        .init("metric", 1, 1, usage: "metric NUMBER;") { b, s, d in d.metric = b.number(s, "metric") },
        .init("withdraw-on-exit", 1, 1, usage: "withdraw-on-exit on|off;") { b, s, d in
            d.withdrawOnExit = b.onOff(s, "withdraw-on-exit")
        },
        .init("nexthop-objects", 1, 1, usage: "nexthop-objects on|off;") { b, s, d in
            d.nexthopObjects = b.onOff(s, "nexthop-objects")
        },
        .init("netlink-receive-buffer", 1, 1, usage: "netlink-receive-buffer BYTES;") { b, s, d in
            d.netlinkReceiveBuffer = b.number(s, "netlink-receive-buffer")
        },
        .init("probe-table-base", 1, 1, usage: "probe-table-base NUMBER;") { b, s, d in
            d.probeTableBase = b.number(s, "probe-table-base")
        },
    ]

    static let control: [Statement<DraftControl>] = [
        .init("socket", 1, 1, usage: "socket \"PATH\";") { b, s, d in d.socket = b.text(s) },
    ]

    static let bmp: [Statement<DraftBMP>] = [
        .init("listen", 1, 1, usage: "listen ADDRESS;") { b, s, d in d.listen = b.address(s, "BMP listen address") },
        .init("port", 1, 1, usage: "port NUMBER;") { b, s, d in d.port = b.number(s, "port") },
        .init("allow", 1, many, repeatable: true, usage: "allow ADDRESS...;") { b, s, d in
            for t in s.args { if let x = b.address(t, "BMP router address") { d.allow.append(x) } }
        },
        .init("grace", 1, 1, usage: "grace DURATION;") { b, s, d in d.grace = b.duration(s, "grace") },
    ]
}

extension Builder {
    mutating func buildAzure(_ node: Node) -> DraftAzure {
        var az = DraftAzure(at: loc(node.keyword))
        read(node.body, .azure, Grammar.azure, owner: "azure", into: &az)
        return az
    }

    mutating func buildBMP(_ node: Node) -> DraftBMP {
        var b = DraftBMP(at: loc(node.keyword))
        read(node.body, .bmp, Grammar.bmp, owner: "bmp", into: &b)
        return b
    }
}
