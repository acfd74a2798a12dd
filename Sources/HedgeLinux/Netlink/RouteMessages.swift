import CHedge
import HedgeCore

/// RTM_NEWROUTE / RTM_DELROUTE / RTM_GETROUTE: hedge's routes as rtmsg + attributes.
enum RouteMessages {
    enum Mode { case add, replace, delete }

    static func build(_ b: NetlinkBuilder, _ r: RouteSpec, _ mode: Mode, seq: UInt32) {
        let delete = mode == .delete
        var rtm = rtmsg()
        rtm.rtm_family = r.prefix.family.rawValue
        rtm.rtm_dst_len = r.prefix.length
        rtm.rtm_table = r.key.table < 256 ? UInt8(r.key.table) : UInt8(RT_TABLE_UNSPEC.rawValue)
        rtm.rtm_protocol = r.protocolID   // on delete, the kernel removes the route only if it is ours
        rtm.rtm_type = UInt8(RTN_UNICAST)
        rtm.rtm_scope = UInt8(RT_SCOPE_UNIVERSE.rawValue)
        if case .via(nil, _) = r.target { rtm.rtm_scope = UInt8(RT_SCOPE_LINK.rawValue) }
        let flags: Int32
        switch mode {
        case .add: flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL
        case .replace: flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE
        case .delete: flags = NLM_F_REQUEST | NLM_F_ACK
        }
        b.begin(type: UInt16(delete ? RTM_DELROUTE : RTM_NEWROUTE), flags: flags, seq: seq, family: rtm)
        b.put(UInt16(RTA_TABLE.rawValue), u32: r.key.table)
        b.put(UInt16(RTA_DST.rawValue), address: r.prefix.address)
        b.put(UInt16(RTA_PRIORITY.rawValue), u32: r.key.metric)
        if delete { return }
        switch r.target {
        case .nexthop(let id):
            b.put(UInt16(RTA_NH_ID.rawValue), u32: id)
        case .via(let gw, let ifindex):
            if let gw { b.put(UInt16(RTA_GATEWAY.rawValue), address: gw) }
            b.put(UInt16(RTA_OIF.rawValue), u32: UInt32(bitPattern: ifindex))
        }
    }

    /// A non-zero `protocolID` / `table` asks the kernel to filter the dump: honoured only on a socket
    /// with NETLINK_GET_STRICT_CHK (Linux 4.20+), ignored otherwise, so the reader filters too.
    static func buildDump(_ b: NetlinkBuilder, family: AddressFamily, seq: UInt32,
                          protocolID: UInt8 = 0, table: UInt32 = 0) {
        var rtm = rtmsg()
        rtm.rtm_family = family.rawValue
        rtm.rtm_protocol = protocolID
        b.begin(type: UInt16(RTM_GETROUTE), flags: NLM_F_REQUEST | NLM_F_DUMP, seq: seq, family: rtm)
        if table != 0 { b.put(UInt16(RTA_TABLE.rawValue), u32: table) }
    }

    /// A route the kernel reported, if it is a plain unicast route of the given protocol.
    static func parse(_ nlh: UnsafePointer<nlmsghdr>, protocolID: UInt8) -> RouteSpec? {
        guard Int(nlh.pointee.nlmsg_len) >= MemoryLayout<nlmsghdr>.size + MemoryLayout<rtmsg>.size else { return nil }
        let rtm = mnl_nlmsg_get_payload(nlh)!.loadUnaligned(as: rtmsg.self)
        guard rtm.rtm_protocol == protocolID, rtm.rtm_type == UInt8(RTN_UNICAST),
              let family = AddressFamily(ip: rtm.rtm_family) else { return nil }
        let a = NetlinkAttributes(nlh, headerSize: MemoryLayout<rtmsg>.size)
        let table = a.u32(UInt16(RTA_TABLE.rawValue)) ?? UInt32(rtm.rtm_table)
        let zero: IPAddress = family == .v4 ? .v4(0) : .v6(0, 0)
        guard let prefix = IPPrefix(address: a.address(UInt16(RTA_DST.rawValue)) ?? zero, length: rtm.rtm_dst_len)
        else { return nil }
        let target: RouteTarget
        if let id = a.u32(UInt16(RTA_NH_ID.rawValue)) {
            target = .nexthop(id)
        } else {
            target = .via(gateway: a.address(UInt16(RTA_GATEWAY.rawValue)),
                          ifindex: a.i32(UInt16(RTA_OIF.rawValue)) ?? 0)
        }
        return RouteSpec(prefix: prefix, table: table, metric: a.u32(UInt16(RTA_PRIORITY.rawValue)) ?? 0,
                         target: target, protocolID: rtm.rtm_protocol)
    }
}
