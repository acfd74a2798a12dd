import CHedge
import HedgeCore

/// RTM_NEWRULE / RTM_DELRULE: `fwmark M lookup T` rules that pin each path's probes to the path.
enum RuleMessages {
    static func build(_ b: NetlinkBuilder, _ r: RuleSpec, protocolID: UInt8, delete: Bool, seq: UInt32) {
        var h = fib_rule_hdr()
        h.family = r.family.rawValue
        h.action = UInt8(FR_ACT_TO_TBL)
        h.table = r.table < 256 ? UInt8(r.table) : UInt8(RT_TABLE_UNSPEC.rawValue)
        // Rules have no replace: EXCL turns a duplicate into EEXIST instead of a second copy.
        let flags = delete ? NLM_F_REQUEST | NLM_F_ACK : NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL
        b.begin(type: UInt16(delete ? RTM_DELRULE : RTM_NEWRULE), flags: flags, seq: seq, family: h)
        b.put(UInt16(FRA_PRIORITY), u32: r.priority)
        b.put(UInt16(FRA_FWMARK), u32: r.fwmark)
        b.put(UInt16(FRA_FWMASK), u32: 0xffff_ffff)
        b.put(UInt16(FRA_TABLE), u32: r.table)
        b.put(UInt16(FRA_PROTOCOL), u8: protocolID)
    }

    static func buildDump(_ b: NetlinkBuilder, family: AddressFamily, seq: UInt32) {
        var h = fib_rule_hdr()
        h.family = family.rawValue
        b.begin(type: UInt16(RTM_GETRULE), flags: NLM_F_REQUEST | NLM_F_DUMP, seq: seq, family: h)
    }

    static func parse(_ nlh: UnsafePointer<nlmsghdr>, protocolID: UInt8) -> RuleSpec? {
        guard Int(nlh.pointee.nlmsg_len) >= MemoryLayout<nlmsghdr>.size + MemoryLayout<fib_rule_hdr>.size else { return nil }
        let h = mnl_nlmsg_get_payload(nlh)!.loadUnaligned(as: fib_rule_hdr.self)
        let a = NetlinkAttributes(nlh, headerSize: MemoryLayout<fib_rule_hdr>.size)
        guard a.u8(UInt16(FRA_PROTOCOL)) == protocolID, let family = AddressFamily(ip: h.family),
              let mark = a.u32(UInt16(FRA_FWMARK)) else { return nil }
        return RuleSpec(family: family, fwmark: mark, table: a.u32(UInt16(FRA_TABLE)) ?? UInt32(h.table),
                        priority: a.u32(UInt16(FRA_PRIORITY)) ?? 0)
    }
}
