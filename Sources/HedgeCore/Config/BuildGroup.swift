/// A `group` block and its `damping` (its `measure` is a probe: BuildPath.swift).
extension Grammar {
    static let group: [Statement<DraftGroup>] = [
        .init("prefix", 1, many, repeatable: true, usage: "prefix PREFIX...;") { b, s, g in
            for t in s.args { if let x = b.prefix(t) { g.prefixes.append(x) } }
        },
        .init("paths", 1, many, usage: "paths NAME...;") { b, s, g in g.paths = s.args.map { b.text($0) } },
        .init("hold-down", 1, 1, usage: "hold-down DURATION;") { b, s, g in g.holdDown = b.duration(s, "hold-down") },
        .init("nexthop-id", 1, 1, usage: "nexthop-id NUMBER;") { b, s, g in g.nexthopID = b.number(s, "nexthop-id") },
        .init("damping", 0, 1, .optional, usage: "damping on|off; or damping { ... }") { b, s, g in g.damping = b.buildDamping(s) },
        .init("measure", 2, 4, .optional, usage: "measure reflect ADDRESS [port NUMBER] { ... }") { b, s, g in
            g.measure = b.buildProbe(s)
        },
    ]

    static let damping: [Statement<DraftDamping>] = [
        .init("penalty", 1, 1, usage: "penalty NUMBER;") { b, s, d in d.penalty = b.number(s, "penalty") },
        .init("suppress", 1, 1, usage: "suppress NUMBER;") { b, s, d in d.suppress = b.number(s, "suppress") },
        .init("reuse", 1, 1, usage: "reuse NUMBER;") { b, s, d in d.reuse = b.number(s, "reuse") },
        .init("half-life", 1, 1, usage: "half-life DURATION;") { b, s, d in d.halfLife = b.duration(s, "half-life") },
        .init("max-suppress", 1, 1, usage: "max-suppress DURATION;") { b, s, d in d.maxSuppress = b.duration(s, "max-suppress") },
    ]
}

extension Builder {
    mutating func buildGroup(_ node: Node) -> DraftGroup {
        var g = DraftGroup(at: loc(node.keyword), name: name(node.args[0], "group"))
        g.seen = read(node.body, .group, Grammar.group, owner: "group '\(g.name.value)'", into: &g)
        return g
    }

    /// `damping on|off;` or `damping { ... }`; nil when off or unreadable.
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
        read(node.body, .damping, Grammar.damping, owner: "damping", into: &d)
        return d
    }
}
