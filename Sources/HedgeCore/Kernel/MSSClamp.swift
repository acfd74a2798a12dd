/// hedge's nftables table, `table inet hedge`: the TCP MSS clamp on the tunnels' devices. A SYN or
/// SYN-ACK entering or leaving by an `ipsec` path's device has its MSS option lowered to the path's
/// `mss` (Azure asks for 1350), so that TCP between 1500-byte hosts never sends a segment the tunnel
/// cannot carry, whether or not ICMP "fragmentation needed" gets through.
///
/// The table is hedge's alone: hedge creates it, recognises its rules by their comments, puts back
/// what someone else removed, and touches nothing outside it.
public enum NftClamp {
    public static let table = "hedge"
    /// SYNs arriving by the device (from Azure, to the LAN or to the router itself).
    public static let inChain = "mss-in"
    /// SYNs leaving by it (from the LAN, or the router's own).
    public static let outChain = "mss-out"
    /// NF_INET_PRE_ROUTING / NF_INET_POST_ROUTING, at NF_IP_PRI_MANGLE as `nft` names it ("mangle").
    public static let preRouting: UInt32 = 0
    public static let postRouting: UInt32 = 4
    public static let manglePriority: Int32 = -150

    public static let chains: [NftTableState.Chain] = [
        NftTableState.Chain(name: inChain, hook: preRouting, priority: manglePriority, type: "filter"),
        NftTableState.Chain(name: outChain, hook: postRouting, priority: manglePriority, type: "filter"),
    ]

    /// One rule per direction for each `ipsec` path whose `mss` is not off.
    public static func desired(_ config: HedgeConfig) -> [ClampRule] {
        var out: [ClampRule] = []
        for p in config.paths {
            guard let mss = p.ipsec?.mss else { continue }
            out.append(ClampRule(device: p.device, direction: .inbound, mss: mss))
            out.append(ClampRule(device: p.device, direction: .outbound, mss: mss))
        }
        return out
    }

    /// Whether hedge has a table to look after at all (it never opens nftables otherwise).
    public static func wanted(_ config: HedgeConfig) -> Bool { config.paths.contains { $0.ipsec != nil } }
}

public struct ClampRule: Hashable, Sendable, CustomStringConvertible {
    public enum Direction: Sendable { case inbound, outbound }
    public var device: String
    public var direction: Direction
    public var mss: UInt16

    public init(device: String, direction: Direction, mss: UInt16) {
        self.device = device; self.direction = direction; self.mss = mss
    }

    public var chain: String { direction == .inbound ? NftClamp.inChain : NftClamp.outChain }
    /// The rule's comment (NFTA_RULE_USERDATA, as `nft` stores one): how hedge recognises its own
    /// rules in a dump, and what `nft list table inet hedge` shows an operator.
    public var comment: String { "hedge: clamp TCP MSS to \(mss) \(direction == .inbound ? "in from" : "out to") \(device)" }
    public var description: String { comment }
}

/// What the kernel holds of hedge's table, as dumped.
public struct NftTableState: Equatable, Sendable {
    public struct Chain: Equatable, Sendable {
        public var name: String
        /// nil: a regular chain (no hook).
        public var hook: UInt32?
        public var priority: Int32?
        public var type: String?
        public init(name: String, hook: UInt32?, priority: Int32?, type: String?) {
            self.name = name; self.hook = hook; self.priority = priority; self.type = type
        }
    }
    public struct Rule: Equatable, Sendable {
        public var chain: String
        public var handle: UInt64
        public var comment: String?
        public init(chain: String, handle: UInt64, comment: String?) {
            self.chain = chain; self.handle = handle; self.comment = comment
        }
    }
    public var chains: [Chain] = []
    public var rules: [Rule] = []
    public init(chains: [Chain] = [], rules: [Rule] = []) { self.chains = chains; self.rules = rules }
}

/// One change to hedge's nftables table. `indirect`: an op copies as one reference, not a rule.
public indirect enum NftOp: Equatable, Sendable, CustomStringConvertible {
    case addTable
    case deleteTable
    case addChain(NftTableState.Chain)
    case addRule(ClampRule)
    case deleteRule(chain: String, handle: UInt64)

    public var description: String {
        switch self {
        case .addTable: return "add table inet \(NftClamp.table)"
        case .deleteTable: return "delete table inet \(NftClamp.table)"
        case .addChain(let c): return "add chain inet \(NftClamp.table) \(c.name)"
        case .addRule(let r): return "add rule inet \(NftClamp.table) \(r.chain) (\(r.comment))"
        case .deleteRule(let c, let h): return "delete rule inet \(NftClamp.table) \(c) handle \(h)"
        }
    }
}

/// The one batch (nftables applies it whole or not at all) that brings hedge's table to `desired`;
/// empty when the kernel already holds exactly that, so a restart changes nothing. A chain that is
/// not one of hedge's, or one of its names with another hook, priority or type, means the table is
/// not as hedge made it: it is rebuilt in the same batch.
public func nftClampPlan(desired: [ClampRule], actual: NftTableState?) -> [NftOp] {
    guard let actual else {
        return desired.isEmpty ? [] : [.addTable] + NftClamp.chains.map { .addChain($0) } + desired.map { .addRule($0) }
    }
    if desired.isEmpty { return [.deleteTable] }
    let foreign = actual.chains.contains { c in !NftClamp.chains.contains(c) }
    if foreign {
        return [.deleteTable, .addTable] + NftClamp.chains.map { .addChain($0) } + desired.map { .addRule($0) }
    }
    var ops: [NftOp] = []
    for c in NftClamp.chains where !actual.chains.contains(c) { ops.append(.addChain(c)) }
    var kept = HashSet<String>()
    for r in actual.rules {
        let match = desired.first { $0.comment == r.comment && $0.chain == r.chain }
        if let m = match, kept.insert(m.comment).inserted { continue }
        ops.append(.deleteRule(chain: r.chain, handle: r.handle))
    }
    for d in desired where !kept.contains(d.comment) { ops.append(.addRule(d)) }
    return ops
}
