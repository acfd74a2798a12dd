import CHedge
import HedgeCore

/// RTM_NEWNEXTHOP / RTM_DELNEXTHOP / RTM_GETNEXTHOP. Replacing one nexthop object moves every route
/// that uses it in one message: that is hedge's failover.
enum NexthopMessages {
    static func build(_ b: NetlinkBuilder, _ n: NexthopSpec, protocolID: UInt8, delete: Bool, seq: UInt32) {
        var nhm = nhmsg()
        nhm.nh_family = n.family.rawValue
        // RTM_DELNEXTHOP wants a bare header ("Invalid values in header" otherwise).
        nhm.nh_protocol = delete ? 0 : protocolID
        let flags = delete ? NLM_F_REQUEST | NLM_F_ACK : NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE
        b.begin(type: UInt16(delete ? RTM_DELNEXTHOP : RTM_NEWNEXTHOP), flags: flags, seq: seq, family: nhm)
        b.put(UInt16(NHA_ID), u32: n.id)
        if delete { return }
        b.put(UInt16(NHA_OIF), u32: UInt32(bitPattern: n.ifindex))
        if let gw = n.gateway { b.put(UInt16(NHA_GATEWAY), address: gw) }
    }

    static func buildDump(_ b: NetlinkBuilder, seq: UInt32) {
        b.begin(type: UInt16(RTM_GETNEXTHOP), flags: NLM_F_REQUEST | NLM_F_DUMP, seq: seq, family: nhmsg())
    }

    /// (object, owner protocol); groups and blackholes are not hedge's and parse as nil.
    static func parse(_ nlh: UnsafePointer<nlmsghdr>) -> (NexthopSpec, UInt8)? {
        guard Int(nlh.pointee.nlmsg_len) >= MemoryLayout<nlmsghdr>.size + MemoryLayout<nhmsg>.size else { return nil }
        let nhm = mnl_nlmsg_get_payload(nlh)!.loadUnaligned(as: nhmsg.self)
        let a = NetlinkAttributes(nlh, headerSize: MemoryLayout<nhmsg>.size)
        guard let id = a.u32(UInt16(NHA_ID)), !a.has(UInt16(NHA_GROUP)),
              !a.has(UInt16(NHA_BLACKHOLE)),
              let family = AddressFamily(rawValue: nhm.nh_family) else { return nil }
        let spec = NexthopSpec(id: id, family: family, gateway: a.address(UInt16(NHA_GATEWAY)),
                               ifindex: a.i32(UInt16(NHA_OIF)) ?? 0)
        return (spec, nhm.nh_protocol)
    }

    static func parseID(_ nlh: UnsafePointer<nlmsghdr>) -> UInt32? {
        NetlinkAttributes(nlh, headerSize: MemoryLayout<nhmsg>.size).u32(UInt16(NHA_ID))
    }
}
