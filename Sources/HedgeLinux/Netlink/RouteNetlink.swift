import CHedge
import HedgeCore

/// What hedge does to the kernel's routing: dump its own objects and apply reconcile operations.
/// One command socket, one reusable builder.
public final class RouteNetlink {
    let sock: NetlinkSocket
    let builder = NetlinkBuilder()
    public let protocolID: UInt8
    /// Set once probed: does this kernel have nexthop objects (Linux 5.3+)?
    public private(set) var hasNexthopObjects = false
    /// Messages sent to change the kernel (not dumps): tests and status count these.
    public private(set) var changesSent = 0

    /// `receiveBuffer`: the request socket's SO_RCVBUF (0: the system default), which sets how many
    /// messages go out per window.
    public init(protocolID: UInt8, receiveBuffer: Int = 0) throws(SystemError) {
        sock = try NetlinkSocket(receiveBuffer: receiveBuffer, strictDumps: true)
        self.protocolID = protocolID
        hasNexthopObjects = probeNexthopSupport()
    }

    private func probeNexthopSupport() -> Bool {
        builder.reset()
        let seq = sock.nextSeq()
        NexthopMessages.buildDump(builder, seq: seq)
        do { try sock.dump(builder, seq: seq, request: "RTM_GETNEXTHOP") { _ in } } catch { return false }
        return true
    }

    private func dump(_ request: String, _ build: (UInt32) -> Void,
                      _ each: (UnsafePointer<nlmsghdr>) -> Void) throws(NetlinkError) {
        builder.reset()
        let seq = sock.nextSeq()
        build(seq)
        try sock.dump(builder, seq: seq, request: request, each)
    }

    public func links() throws(NetlinkError) -> [LinkInfo] {
        var out: [LinkInfo] = []
        try dumpLinks { nlh in
            if let l = LinkMessages.parse(nlh) { out.append(l) }
        }
        return out
    }

    func dumpLinks(_ each: (UnsafePointer<nlmsghdr>) -> Void) throws(NetlinkError) {
        try dump("RTM_GETLINK", { LinkMessages.buildDump(builder, seq: $0) }, each)
    }

    /// One request with NLM_F_ACK: nil when the kernel took it, else its refusal.
    func command(_ request: String, object: String, _ build: (UInt32) -> Void) throws(SystemError) -> NetlinkError? {
        builder.reset()
        let seq = sock.nextSeq()
        build(seq)
        changesSent += 1
        return try sock.transact(builder, expecting: [seq]) { _ in (request, object) }.first
    }

    /// Adds `a` as a host address on `device`; nil when the kernel took it, else its refusal.
    public func addAddress(_ a: IPAddress, index: Int32, device: String) throws(SystemError) -> NetlinkError? {
        try command("RTM_NEWADDR", object: "\(a)/\(a.isV4 ? 32 : 128) on \(device)") {
            AddressMessages.buildAdd(builder, index: index, address: a, seq: $0)
        }
    }

    public func addresses() throws(NetlinkError) -> [(Int32, IPAddress)] {
        var out: [(Int32, IPAddress)] = []
        try dump("RTM_GETADDR", { AddressMessages.buildDump(builder, seq: $0) }) { nlh in
            if let a = AddressMessages.parse(nlh) { out.append(a) }
        }
        return out
    }

    /// Every object marked with hedge's protocol: nexthops, routes in all tables, rules.
    public func ownedState() throws(NetlinkError) -> KernelState {
        var s = KernelState()
        let proto = protocolID
        if hasNexthopObjects {
            try dump("RTM_GETNEXTHOP", { NexthopMessages.buildDump(builder, seq: $0) }) { nlh in
                if let (n, p) = NexthopMessages.parse(nlh), p == proto { s.insert(n) }
            }
        }
        for fam in [AddressFamily.v4, .v6] {
            // Filtered by protocol in the kernel: a router with a full table dumps only hedge's.
            try dump("RTM_GETROUTE", { RouteMessages.buildDump(builder, family: fam, seq: $0, protocolID: proto) }) { nlh in
                if let r = RouteMessages.parse(nlh, protocolID: proto) { s.insert(r) }
            }
        }
        s.rules = try ownedRules()
        return s
    }

    /// hedge's policy rules alone (a rule event does not need the routes read again).
    public func ownedRules() throws(NetlinkError) -> HashSet<RuleSpec> {
        var out: HashSet<RuleSpec> = []
        let proto = protocolID
        for fam in [AddressFamily.v4, .v6] {
            try dump("RTM_GETRULE", { RuleMessages.buildDump(builder, family: fam, seq: $0) }) { nlh in
                if let r = RuleMessages.parse(nlh, protocolID: proto) { out.insert(r) }
            }
        }
        return out
    }

    /// Applies `ops` in order as batched sends (one sendto for up to ~64 KiB of messages) and checks
    /// every ack. Returns the refusals, each naming its object; the rest were applied.
    public func apply(_ ops: [KernelOp]) throws(SystemError) -> [NetlinkError] {
        var errors: [NetlinkError] = []
        var i = 0
        while i < ops.count {
            builder.reset()
            var seqs: [UInt32] = []
            var bySeq = HashMap<UInt32, KernelOp>()
            while i < ops.count && builder.hasRoom(512) {
                let seq = sock.nextSeq()
                build(ops[i], seq: seq)
                seqs.append(seq); bySeq[seq] = ops[i]
                i += 1
            }
            changesSent += seqs.count
            let refused = try sock.transact(builder, expecting: seqs) { seq in
                let op = bySeq[seq]!
                return (Self.requestName(op), Self.objectName(op))
            }
            for e in refused {
                // An add of a rule that exists, a delete of what is already gone: the goal holds.
                if e.request == "RTM_NEWRULE" && e.errno == EEXIST { continue }
                if e.request.hasPrefix("RTM_DEL") && (e.errno == ENOENT || e.errno == ESRCH) { continue }
                errors.append(e)
            }
        }
        return errors
    }

    private func build(_ op: KernelOp, seq: UInt32) {
        switch op {
        case .replaceNexthop(let n): NexthopMessages.build(builder, n, protocolID: protocolID, delete: false, seq: seq)
        case .deleteNexthop(let n): NexthopMessages.build(builder, n, protocolID: protocolID, delete: true, seq: seq)
        case .addRoute(let r): RouteMessages.build(builder, r, .add, seq: seq)
        case .replaceRoute(let r): RouteMessages.build(builder, r, .replace, seq: seq)
        case .deleteRoute(let r): RouteMessages.build(builder, r, .delete, seq: seq)
        case .addRule(let r): RuleMessages.build(builder, r, protocolID: protocolID, delete: false, seq: seq)
        case .deleteRule(let r): RuleMessages.build(builder, r, protocolID: protocolID, delete: true, seq: seq)
        }
    }

    static func requestName(_ op: KernelOp) -> String {
        switch op {
        case .replaceNexthop: return "RTM_NEWNEXTHOP"
        case .deleteNexthop: return "RTM_DELNEXTHOP"
        case .addRoute, .replaceRoute: return "RTM_NEWROUTE"
        case .deleteRoute: return "RTM_DELROUTE"
        case .addRule: return "RTM_NEWRULE"
        case .deleteRule: return "RTM_DELRULE"
        }
    }

    static func objectName(_ op: KernelOp) -> String {
        switch op {
        case .replaceNexthop(let n), .deleteNexthop(let n): return n.description
        case .addRoute(let r), .replaceRoute(let r), .deleteRoute(let r): return r.description
        case .addRule(let r), .deleteRule(let r): return r.description
        }
    }
}
