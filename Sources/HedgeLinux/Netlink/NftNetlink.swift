import CHedge
import HedgeCore

/// hedge's nftables table over NETLINK_NETFILTER: read it back, apply a plan (`nftClampPlan`) as one
/// batch, and hear what anyone else does to it.
public final class NftNetlink {
    let sock: NetlinkSocket
    let builder = NetlinkBuilder()
    /// Messages sent to change the kernel (not dumps, not the batch markers).
    public private(set) var changesSent = 0

    public init() throws(SystemError) {
        sock = try NetlinkSocket(protocol: NETLINK_NETFILTER)
    }

    /// The port id hedge's changes carry in the kernel's notifications (to tell them from others').
    public var portID: UInt32 { sock.portID }

    /// Table `inet hedge` as the kernel holds it; nil when there is none.
    public func table() throws(NetlinkError) -> NftTableState? {
        var found = false
        try dump("NFT_MSG_GETTABLE", NFT_MSG_GETTABLE) { nlh in
            if NftMessages.family(of: nlh) == NftMessages.inet, NftMessages.tableOf(nlh) == NftClamp.table { found = true }
        }
        guard found else { return nil }
        var s = NftTableState()
        try dump("NFT_MSG_GETCHAIN", NFT_MSG_GETCHAIN) { nlh in
            guard NftMessages.family(of: nlh) == NftMessages.inet, NftMessages.tableOf(nlh) == NftClamp.table,
                  let c = NftMessages.parseChain(nlh) else { return }
            s.chains.append(c)
        }
        try dump("NFT_MSG_GETRULE", NFT_MSG_GETRULE) { nlh in
            guard NftMessages.family(of: nlh) == NftMessages.inet, NftMessages.tableOf(nlh) == NftClamp.table,
                  let r = NftMessages.parseRule(nlh) else { return }
            s.rules.append(r)
        }
        return s
    }

    /// Applies `ops` as one batch; the refusals, each naming its operation (empty: all taken).
    public func apply(_ ops: [NftOp]) throws(SystemError) -> [NetlinkError] {
        guard !ops.isEmpty else { return [] }
        builder.reset()
        NftMessages.batchBegin(builder, seq: sock.nextSeq())
        var bySeq = HashMap<UInt32, NftOp>()
        var seqs: [UInt32] = []
        for op in ops {
            let seq = sock.nextSeq()
            NftMessages.build(builder, op, seq: seq)
            bySeq[seq] = op
            seqs.append(seq)
        }
        NftMessages.batchEnd(builder, seq: sock.nextSeq())
        changesSent += ops.count
        return try sock.transactBatch(builder, expecting: seqs) { s in
            let op = bySeq[s]
            return (op.map { Self.request($0) } ?? "nftables batch", op?.description ?? "?")
        }
    }

    static func request(_ op: NftOp) -> String {
        switch op {
        case .addTable: return "NFT_MSG_NEWTABLE"
        case .deleteTable: return "NFT_MSG_DELTABLE"
        case .addChain: return "NFT_MSG_NEWCHAIN"
        case .addRule: return "NFT_MSG_NEWRULE"
        case .deleteRule: return "NFT_MSG_DELRULE"
        }
    }

    private func dump(_ request: String, _ msg: nf_tables_msg_types, _ each: (UnsafePointer<nlmsghdr>) -> Void) throws(NetlinkError) {
        builder.reset()
        let seq = sock.nextSeq()
        NftMessages.dump(builder, msg, seq: seq)
        try sock.dump(builder, seq: seq, request: request, each)
    }
}

/// nftables notifications (NFNLGRP_NFTABLES): whether anyone but hedge touched its table.
public final class NftEvents {
    let sock: NetlinkSocket
    public var fd: Int32 { sock.fd }

    public init() throws(SystemError) {
        sock = try NetlinkSocket(protocol: NETLINK_NETFILTER, groups: [UInt32(NFNLGRP_NFTABLES.rawValue)])
    }

    /// What others did to table `inet hedge` since the last call ("NFT_MSG_DELRULE", ...), hedge's
    /// own changes (`ownPort`) left out; an overrun (events lost) reads as a change.
    public func drain(ownPort: UInt32) -> [String] {
        var seen: [String] = []
        let r = sock.drainEvents { nlh in
            guard nlh.pointee.nlmsg_type >> 8 == UInt16(NFNL_SUBSYS_NFTABLES), nlh.pointee.nlmsg_pid != ownPort,
                  NftMessages.family(of: nlh) == NftMessages.inet, NftMessages.tableOf(nlh) == NftClamp.table else { return }
            let name = Self.name(UInt32(nlh.pointee.nlmsg_type & 0xff))
            if !seen.contains(name) { seen.append(name) }
        }
        if r == .overrun { seen.append("events lost (ENOBUFS)") }
        return seen
    }

    static func name(_ t: UInt32) -> String {
        switch t {
        case NFT_MSG_NEWTABLE.rawValue: return "NFT_MSG_NEWTABLE"
        case NFT_MSG_DELTABLE.rawValue: return "NFT_MSG_DELTABLE"
        case NFT_MSG_NEWCHAIN.rawValue: return "NFT_MSG_NEWCHAIN"
        case NFT_MSG_DELCHAIN.rawValue: return "NFT_MSG_DELCHAIN"
        case NFT_MSG_NEWRULE.rawValue: return "NFT_MSG_NEWRULE"
        case NFT_MSG_DELRULE.rawValue: return "NFT_MSG_DELRULE"
        default: return "nftables message \(t)"
        }
    }
}
