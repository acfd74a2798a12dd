/// What a reload changes, worked out before anything is touched: the paths and groups whose
/// settings are the same keep their sessions, health, hold-downs and damping, so that an edit
/// elsewhere in the file moves no traffic (BIRD's `configure` keeps unchanged protocols the same way).
public struct ReloadPlan: Sendable {
    /// New path index → old path index, for paths whose settings are unchanged (their priority and
    /// announcements may change: neither restarts a session nor resets a signal).
    public var paths = HashMap<Int, Int>()
    /// New group index → old group index, for groups that are unchanged and whose members are all
    /// unchanged paths at the same indices (their engine state stays valid as is).
    public var groups = HashMap<Int, Int>()
    /// The BMP station's settings and the neighbours it watches are unchanged.
    public var bmpUnchanged: Bool
    /// One line per difference, for the log: "path vpn: changed", "group dc: added".
    public var changes: [String] = []

    public init(old: HedgeConfig, new: HedgeConfig) {
        for (ni, p) in new.paths.enumerated() {
            guard let oi = old.pathIndex(named: p.name) else { changes.append("path \(p.name): added"); continue }
            if ReloadPlan.sameSessions(old.paths[oi], p) {
                paths[ni] = oi
                if old.paths[oi].priority != p.priority { changes.append("path \(p.name): priority \(old.paths[oi].priority) -> \(p.priority)") }
                if old.paths[oi].announce != p.announce { changes.append("path \(p.name): announcements changed") }
                if let a = old.paths[oi].ipsec, let b = p.ipsec {
                    if a.mss != b.mss { changes.append("path \(p.name): mss \(a.mss.map { "\($0)" } ?? "off") -> \(b.mss.map { "\($0)" } ?? "off")") }
                    if a.mtu != b.mtu { changes.append("path \(p.name): mtu \(a.mtu) -> \(b.mtu)") }
                }
            } else {
                changes.append("path \(p.name): changed")
            }
        }
        for p in old.paths where new.pathIndex(named: p.name) == nil { changes.append("path \(p.name): removed") }
        for (ni, g) in new.groups.enumerated() {
            guard let oi = old.groups.firstIndex(where: { $0.name == g.name }) else { changes.append("group \(g.name): added"); continue }
            var same = ReloadPlan.normalized(old.groups[oi]) == ReloadPlan.normalized(g)
            for m in g.paths {
                guard let n = new.pathIndex(named: m), let o = paths[n], o == n,
                      old.paths[o].priority == new.paths[n].priority else { same = false; break }
            }
            if same { groups[ni] = oi } else { changes.append("group \(g.name): changed") }
            if old.groups[oi].measure?.withoutLocation != g.measure?.withoutLocation { changes.append("group \(g.name): measure changed") }
        }
        for g in old.groups where !new.groups.contains(where: { $0.name == g.name }) { changes.append("group \(g.name): removed") }
        let watched = { (c: HedgeConfig) -> [String] in
            c.paths.compactMap { p in p.bmpNeighbor.map { "\(p.name) \($0.neighbor) \($0.peerAS ?? 0)" } }
        }
        bmpUnchanged = old.bmp == new.bmp && watched(old) == watched(new)
        if old.kernel != new.kernel { changes.append("kernel settings changed") }
        if old.reporting != new.reporting { changes.append("reporting changed") }
        if old.localAS != new.localAS || old.routerID != new.routerID { changes.append("local identity changed") }
    }

    /// Where an unchanged old path sits in the new configuration.
    public func newIndex(ofOld old: Int) -> Int? { paths.first { $0.value == old }?.key }

    /// Everything that feeds a path's signals or sessions is the same. The tunnel's MSS clamp and
    /// MTU are applied in place (nftables, the link), and restart nothing.
    static func sameSessions(_ a: PathConfig, _ b: PathConfig) -> Bool {
        var x = normalized(a), y = normalized(b)
        x.priority = 0; y.priority = 0
        x.announce = []; y.announce = []
        x.ipsec?.mss = nil; y.ipsec?.mss = nil
        x.ipsec?.mtu = 0; y.ipsec?.mtu = 0
        return x == y
    }

    static let nowhere = SourceLocation(line: 0, column: 0)

    /// The same settings without the places they were written: moving a block in the file is not a
    /// change; nor is what hedge only checks and hands to Azure (a strongswan block's proposal).
    static func normalized(_ p: PathConfig) -> PathConfig {
        var p = p
        p.location = nowhere
        p.probe?.location = nowhere
        p.bfd?.location = nowhere
        p.bgp?.location = nowhere
        p.bmpNeighbor?.location = nowhere
        p.watchRoutes?.location = nowhere
        if let s = p.ipsec { p.ipsec = normalized(s) }
        return p
    }

    @inline(never) static func normalized(_ s: IPsecConfig) -> IPsecConfig {
        var s = s
        s.location = nowhere
        switch s.keying {
        case .manual(var m): m.location = nowhere; s.keying = .manual(m)
        // The proposal is what Azure's policy is written from; charon, not hedge, applies it.
        case .strongswan(var w): w.location = nowhere; w.proposal = nil; s.keying = .strongswan(w)
        }
        return s
    }

    /// Whether a reload keeps a tunnel as it is: the same interface, outer addresses and keying, wherever
    /// the block was written and whatever proposal it states for Azure.
    public static func keepsTunnel(_ old: IPsecConfig, _ new: IPsecConfig) -> Bool {
        tunnel(old) == tunnel(new)
    }

    /// The tunnel's own settings: without its MSS, MTU and underlay, normalised.
    @inline(never) static func tunnel(_ x: IPsecConfig) -> IPsecConfig {
        var x = normalized(x)
        x.mss = nil; x.mtu = 0; x.underlay = nil; x.underlayGateway = nil
        return x
    }

    /// A group's measure decides nothing: it carries on by itself (the agent keeps it while it is
    /// the same), and a change to it keeps the group's state.
    static func normalized(_ g: GroupConfig) -> GroupConfig {
        var g = g
        g.location = nowhere
        g.measure = nil
        return g
    }
}
