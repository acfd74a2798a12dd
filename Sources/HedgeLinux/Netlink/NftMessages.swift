import CHedge
import HedgeCore

/// nftables over NETLINK_NETFILTER (nfnetlink subsystem NFNL_SUBSYS_NFTABLES), without libnftnl:
/// hedge's table holds four kinds of object, and each message is a handful of attributes built
/// through the one `NetlinkBuilder`. Changes go in one batch (NFNL_MSG_BATCH_BEGIN … END), which
/// the kernel applies whole or not at all. Integers are big-endian on the wire.
enum NftMessages {
    static let inet = UInt8(NFPROTO_INET)

    static func type(_ msg: nf_tables_msg_types) -> UInt16 { UInt16(NFNL_SUBSYS_NFTABLES << 8) | UInt16(msg.rawValue) }

    static func header(resID: UInt16 = 0, family: UInt8 = NftMessages.inet) -> nfgenmsg {
        var g = nfgenmsg()
        g.nfgen_family = family
        g.version = UInt8(NFNETLINK_V0)
        g.res_id = resID.bigEndian
        return g
    }

    static func batchBegin(_ b: NetlinkBuilder, seq: UInt32) {
        b.begin(type: UInt16(NFNL_MSG_BATCH_BEGIN), flags: NLM_F_REQUEST, seq: seq,
                family: header(resID: UInt16(NFNL_SUBSYS_NFTABLES), family: UInt8(AF_UNSPEC)))
    }

    static func batchEnd(_ b: NetlinkBuilder, seq: UInt32) {
        b.begin(type: UInt16(NFNL_MSG_BATCH_END), flags: NLM_F_REQUEST, seq: seq,
                family: header(resID: UInt16(NFNL_SUBSYS_NFTABLES), family: UInt8(AF_UNSPEC)))
    }

    static func build(_ b: NetlinkBuilder, _ op: NftOp, seq: UInt32) {
        let create = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE
        switch op {
        case .addTable:
            b.begin(type: type(NFT_MSG_NEWTABLE), flags: create, seq: seq, family: header())
            b.put(attr(NFTA_TABLE_NAME), string: NftClamp.table)
        case .deleteTable:
            b.begin(type: type(NFT_MSG_DELTABLE), flags: NLM_F_REQUEST | NLM_F_ACK, seq: seq, family: header())
            b.put(attr(NFTA_TABLE_NAME), string: NftClamp.table)
        case .addChain(let c):
            b.begin(type: type(NFT_MSG_NEWCHAIN), flags: create, seq: seq, family: header())
            b.put(attr(NFTA_CHAIN_TABLE), string: NftClamp.table)
            b.put(attr(NFTA_CHAIN_NAME), string: c.name)
            if let hook = c.hook {
                b.nest(attr(NFTA_CHAIN_HOOK)) {
                    b.put(attr(NFTA_HOOK_HOOKNUM), be32: hook)
                    b.put(attr(NFTA_HOOK_PRIORITY), be32: UInt32(bitPattern: c.priority ?? 0))
                }
                b.put(attr(NFTA_CHAIN_POLICY), be32: UInt32(NF_ACCEPT))
            }
            if let t = c.type { b.put(attr(NFTA_CHAIN_TYPE), string: t) }
        case .addRule(let r):
            b.begin(type: type(NFT_MSG_NEWRULE), flags: create | NLM_F_APPEND, seq: seq, family: header())
            b.put(attr(NFTA_RULE_TABLE), string: NftClamp.table)
            b.put(attr(NFTA_RULE_CHAIN), string: r.chain)
            b.nest(attr(NFTA_RULE_EXPRESSIONS)) { clamp(b, r) }
            b.put(attr(NFTA_RULE_USERDATA), bytes: comment(r.comment))
        case .deleteRule(let chain, let handle):
            b.begin(type: type(NFT_MSG_DELRULE), flags: NLM_F_REQUEST | NLM_F_ACK, seq: seq, family: header())
            b.put(attr(NFTA_RULE_TABLE), string: NftClamp.table)
            b.put(attr(NFTA_RULE_CHAIN), string: chain)
            b.put(attr(NFTA_RULE_HANDLE), be64: handle)
        }
    }

    /// `iifname|oifname DEV tcp flags syn tcp option maxseg size > MSS tcp option maxseg size set MSS`,
    /// as nft compiles it: a SYN or SYN-ACK whose MSS option is above the clamp gets the clamp (the
    /// kernel fixes the TCP checksum); one below it, or without the option, passes untouched.
    static func clamp(_ b: NetlinkBuilder, _ r: ClampRule) {
        let reg = UInt32(NFT_REG_1.rawValue)
        let mss = [UInt8(r.mss >> 8), UInt8(r.mss & 0xff)]
        var ifname = Array(r.device.utf8.prefix(Int(IFNAMSIZ) - 1))
        ifname += [UInt8](repeating: 0, count: Int(IFNAMSIZ) - ifname.count)
        expression(b, "meta") {
            b.put(attr(NFTA_META_KEY), be32: UInt32(r.direction == .inbound ? NFT_META_IIFNAME.rawValue : NFT_META_OIFNAME.rawValue))
            b.put(attr(NFTA_META_DREG), be32: reg)
        }
        compare(b, NFT_CMP_EQ, ifname)
        expression(b, "meta") {
            b.put(attr(NFTA_META_KEY), be32: UInt32(NFT_META_L4PROTO.rawValue))
            b.put(attr(NFTA_META_DREG), be32: reg)
        }
        compare(b, NFT_CMP_EQ, [UInt8(IPPROTO_TCP)])
        // TCP flags: octet 13 of the header; SYN is 0x02 (also set in a SYN-ACK).
        expression(b, "payload") {
            b.put(attr(NFTA_PAYLOAD_DREG), be32: reg)
            b.put(attr(NFTA_PAYLOAD_BASE), be32: UInt32(NFT_PAYLOAD_TRANSPORT_HEADER.rawValue))
            b.put(attr(NFTA_PAYLOAD_OFFSET), be32: 13)
            b.put(attr(NFTA_PAYLOAD_LEN), be32: 1)
        }
        expression(b, "bitwise") {
            b.put(attr(NFTA_BITWISE_SREG), be32: reg)
            b.put(attr(NFTA_BITWISE_DREG), be32: reg)
            b.put(attr(NFTA_BITWISE_LEN), be32: 1)
            b.nest(attr(NFTA_BITWISE_MASK)) { b.put(attr(NFTA_DATA_VALUE), bytes: [0x02]) }
            b.nest(attr(NFTA_BITWISE_XOR)) { b.put(attr(NFTA_DATA_VALUE), bytes: [0x00]) }
        }
        compare(b, NFT_CMP_NEQ, [0])
        // The MSS option (kind 2): its 2-byte value sits 2 octets into the option.
        expression(b, "exthdr") {
            b.put(attr(NFTA_EXTHDR_DREG), be32: reg)
            maxseg(b)
        }
        compare(b, NFT_CMP_GT, mss)
        expression(b, "immediate") {
            b.put(attr(NFTA_IMMEDIATE_DREG), be32: reg)
            b.nest(attr(NFTA_IMMEDIATE_DATA)) { b.put(attr(NFTA_DATA_VALUE), bytes: mss) }
        }
        expression(b, "exthdr") {
            b.put(attr(NFTA_EXTHDR_SREG), be32: reg)
            maxseg(b)
        }
    }

    private static func maxseg(_ b: NetlinkBuilder) {
        b.put(attr(NFTA_EXTHDR_TYPE), u8: 2)   // TCPOPT_MAXSEG
        b.put(attr(NFTA_EXTHDR_OFFSET), be32: 2)
        b.put(attr(NFTA_EXTHDR_LEN), be32: 2)
        b.put(attr(NFTA_EXTHDR_OP), be32: UInt32(NFT_EXTHDR_OP_TCPOPT.rawValue))
    }

    private static func expression(_ b: NetlinkBuilder, _ name: String, _ data: () -> Void) {
        b.nest(attr(NFTA_LIST_ELEM)) {
            b.put(attr(NFTA_EXPR_NAME), string: name)
            b.nest(attr(NFTA_EXPR_DATA)) { data() }
        }
    }

    private static func compare(_ b: NetlinkBuilder, _ op: nft_cmp_ops, _ value: [UInt8]) {
        expression(b, "cmp") {
            b.put(attr(NFTA_CMP_SREG), be32: UInt32(NFT_REG_1.rawValue))
            b.put(attr(NFTA_CMP_OP), be32: UInt32(op.rawValue))
            b.nest(attr(NFTA_CMP_DATA)) { b.put(attr(NFTA_DATA_VALUE), bytes: value) }
        }
    }

    /// A rule comment as `nft` stores it: one TLV (NFTNL_UDATA_RULE_COMMENT = 0), NUL-terminated.
    static func comment(_ s: String) -> [UInt8] {
        let text = Array(s.utf8.prefix(254))
        return [0, UInt8(text.count + 1)] + text + [0]
    }

    static func parseComment(_ udata: [UInt8]) -> String? {
        var i = 0
        while i + 2 <= udata.count {
            let t = udata[i], n = Int(udata[i + 1])
            guard i + 2 + n <= udata.count else { return nil }
            if t == 0 {
                let v = udata[(i + 2)..<(i + 2 + n)]
                return String(decoding: v.prefix { $0 != 0 }, as: UTF8.self)
            }
            i += 2 + n
        }
        return nil
    }

    static func dump(_ b: NetlinkBuilder, _ msg: nf_tables_msg_types, seq: UInt32) {
        b.begin(type: type(msg), flags: NLM_F_REQUEST | NLM_F_DUMP, seq: seq, family: header())
    }

    /// The table a dumped or notified object belongs to (NFTA_*_TABLE; a table's own name).
    static func tableOf(_ nlh: UnsafePointer<nlmsghdr>) -> String? {
        let a = NetlinkAttributes(nlh, headerSize: MemoryLayout<nfgenmsg>.size)
        switch UInt32(nlh.pointee.nlmsg_type & 0xff) {
        case NFT_MSG_NEWTABLE.rawValue, NFT_MSG_DELTABLE.rawValue: return a.string(attr(NFTA_TABLE_NAME))
        case NFT_MSG_NEWCHAIN.rawValue, NFT_MSG_DELCHAIN.rawValue: return a.string(attr(NFTA_CHAIN_TABLE))
        case NFT_MSG_NEWRULE.rawValue, NFT_MSG_DELRULE.rawValue: return a.string(attr(NFTA_RULE_TABLE))
        default: return a.string(1)   // NFTA_SET_TABLE, NFTA_OBJ_TABLE, …: the first attribute
        }
    }

    static func family(of nlh: UnsafePointer<nlmsghdr>) -> UInt8 {
        mnl_nlmsg_get_payload(nlh)!.loadUnaligned(as: nfgenmsg.self).nfgen_family
    }

    static func parseChain(_ nlh: UnsafePointer<nlmsghdr>) -> NftTableState.Chain? {
        let a = NetlinkAttributes(nlh, headerSize: MemoryLayout<nfgenmsg>.size)
        guard let name = a.string(attr(NFTA_CHAIN_NAME)) else { return nil }
        var c = NftTableState.Chain(name: name, hook: nil, priority: nil, type: a.string(attr(NFTA_CHAIN_TYPE)))
        if let h = a[attr(NFTA_CHAIN_HOOK)] {
            let n = NetlinkAttributes(nested: h)
            c.hook = n.be32(attr(NFTA_HOOK_HOOKNUM))
            c.priority = n.be32(attr(NFTA_HOOK_PRIORITY)).map { Int32(bitPattern: $0) }
        }
        return c
    }

    static func parseRule(_ nlh: UnsafePointer<nlmsghdr>) -> NftTableState.Rule? {
        let a = NetlinkAttributes(nlh, headerSize: MemoryLayout<nfgenmsg>.size)
        guard let chain = a.string(attr(NFTA_RULE_CHAIN)), let handle = a.be64(attr(NFTA_RULE_HANDLE)) else { return nil }
        return NftTableState.Rule(chain: chain, handle: handle, comment: a.bytes(attr(NFTA_RULE_USERDATA)).flatMap(parseComment))
    }

    static func attr<T: RawRepresentable>(_ v: T) -> UInt16 where T.RawValue: BinaryInteger { UInt16(truncatingIfNeeded: v.rawValue) }
}
