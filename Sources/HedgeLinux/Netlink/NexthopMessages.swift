import CHedge
import HedgeCore

/// RTM_NEWNEXTHOP / RTM_DELNEXTHOP / RTM_GETNEXTHOP. Replacing one nexthop object moves every route
/// that uses it in one message: that is hedge's failover.
enum NexthopMessages {
    static func build(_ b: NetlinkBuilder, _ n: NexthopSpec, protocolID: UInt8, delete: Bool, seq: UInt32) {
        var nhm = nhmsg()
        // A group has no family of its own (the kernel wants AF_UNSPEC): NexthopSpec says .unspec.
        nhm.nh_family = n.family.rawValue
        // RTM_DELNEXTHOP wants a bare header ("Invalid values in header" otherwise).
        nhm.nh_protocol = delete ? 0 : protocolID
        let flags = delete ? NLM_F_REQUEST | NLM_F_ACK : NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE
        b.begin(type: UInt16(delete ? RTM_DELNEXTHOP : RTM_NEWNEXTHOP), flags: flags, seq: seq, family: nhm)
        b.put(UInt16(NHA_ID), u32: n.id)
        if delete { return }
        if n.isGroup {
            // NHA_GROUP alone (the kernel allows no device or gateway beside it): the default type
            // (multipath, hash-threshold), every member of weight 1 (the field holds weight - 1).
            b.put(UInt16(NHA_GROUP), bytes: groupEntries(n.group))
            return
        }
        b.put(UInt16(NHA_OIF), u32: UInt32(bitPattern: n.ifindex))
        if let gw = n.gateway { b.put(UInt16(NHA_GATEWAY), address: gw) }
    }

    /// struct nexthop_grp { u32 id; u8 weight; u8 resvd1; u16 resvd2; } per member, host order.
    static func groupEntries(_ ids: [UInt32]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(ids.count * MemoryLayout<nexthop_grp>.size)
        for id in ids {
            var e = nexthop_grp()
            e.id = id
            withUnsafeBytes(of: e) { out.append(contentsOf: $0) }
        }
        return out
    }

    static func parseGroupEntries(_ bytes: [UInt8]) -> [UInt32] {
        let size = MemoryLayout<nexthop_grp>.size
        var ids: [UInt32] = []
        var i = 0
        while i + size <= bytes.count {
            ids.append(bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: i, as: nexthop_grp.self).id })
            i += size
        }
        return ids
    }

    static func buildDump(_ b: NetlinkBuilder, seq: UInt32) {
        b.begin(type: UInt16(RTM_GETNEXTHOP), flags: NLM_F_REQUEST | NLM_F_DUMP, seq: seq, family: nhmsg())
    }

    /// (object, owner protocol); blackholes are not hedge's and parse as nil. A group's members
    /// come back as the kernel lists them, sorted as NexthopSpec keeps them.
    static func parse(_ nlh: UnsafePointer<nlmsghdr>) -> (NexthopSpec, UInt8)? {
        guard Int(nlh.pointee.nlmsg_len) >= MemoryLayout<nlmsghdr>.size + MemoryLayout<nhmsg>.size else { return nil }
        let nhm = mnl_nlmsg_get_payload(nlh)!.loadUnaligned(as: nhmsg.self)
        let a = NetlinkAttributes(nlh, headerSize: MemoryLayout<nhmsg>.size)
        guard let id = a.u32(UInt16(NHA_ID)), !a.has(UInt16(NHA_BLACKHOLE)) else { return nil }
        if let g = a.bytes(UInt16(NHA_GROUP)) {
            let members = parseGroupEntries(g)
            return members.isEmpty ? nil : (NexthopSpec(id: id, group: members), nhm.nh_protocol)
        }
        guard let family = AddressFamily(ip: nhm.nh_family) else { return nil }
        let spec = NexthopSpec(id: id, family: family, gateway: a.address(UInt16(NHA_GATEWAY)),
                               ifindex: a.i32(UInt16(NHA_OIF)) ?? 0)
        return (spec, nhm.nh_protocol)
    }

    static func parseID(_ nlh: UnsafePointer<nlmsghdr>) -> UInt32? {
        NetlinkAttributes(nlh, headerSize: MemoryLayout<nhmsg>.size).u32(UInt16(NHA_ID))
    }
}
