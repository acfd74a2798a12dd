import CHedge
import HedgeCore

/// A network device as the carrier signal sees it.
public struct LinkInfo: Equatable, Sendable {
    public var index: Int32
    public var name: String
    public var adminUp: Bool      // IFF_UP
    public var lowerUp: Bool      // IFF_LOWER_UP: carrier
    public var running: Bool      // IFF_RUNNING
    public var operState: UInt8   // IF_OPER_*
    public var mtu: UInt32 = 0    // IFLA_MTU
    /// Usable for forwarding: administratively up with carrier, and not operationally down.
    public var carrier: Bool { adminUp && lowerUp && operState != UInt8(IF_OPER_DOWN)
                                 && operState != UInt8(IF_OPER_LOWERLAYERDOWN) }
    /// The kernel flushes nexthop objects on a device in this state (nh_netdev_event: NETDEV_DOWN,
    /// or NETDEV_CHANGE without IFF_RUNNING|IFF_LOWER_UP) together with the routes using them, and
    /// sends no RTM_DELNEXTHOP for it: hedge must assume they are gone.
    public var flushesNexthops: Bool { !adminUp || (!lowerUp && !running) }

    public var operStateName: String {
        switch Int(operState) {
        case Int(IF_OPER_UP): return "up"
        case Int(IF_OPER_DOWN): return "down"
        case Int(IF_OPER_LOWERLAYERDOWN): return "lowerlayerdown"
        case Int(IF_OPER_DORMANT): return "dormant"
        case Int(IF_OPER_NOTPRESENT): return "notpresent"
        case Int(IF_OPER_TESTING): return "testing"
        default: return "unknown"
        }
    }
}

/// RTM_GETLINK dumps and RTM_NEWLINK/RTM_DELLINK events.
enum LinkMessages {
    static func buildDump(_ b: NetlinkBuilder, seq: UInt32) {
        b.begin(type: UInt16(RTM_GETLINK), flags: NLM_F_REQUEST | NLM_F_DUMP, seq: seq, family: ifinfomsg())
    }

    static func parse(_ nlh: UnsafePointer<nlmsghdr>) -> LinkInfo? {
        guard Int(nlh.pointee.nlmsg_len) >= MemoryLayout<nlmsghdr>.size + MemoryLayout<ifinfomsg>.size else { return nil }
        let ifi = mnl_nlmsg_get_payload(nlh)!.loadUnaligned(as: ifinfomsg.self)
        let a = NetlinkAttributes(nlh, headerSize: MemoryLayout<ifinfomsg>.size)
        var l = LinkInfo(index: ifi.ifi_index, name: a.string(UInt16(IFLA_IFNAME)) ?? "",
                         adminUp: ifi.ifi_flags & UInt32(IFF_UP) != 0,
                         lowerUp: ifi.ifi_flags & UInt32(IFF_LOWER_UP.rawValue) != 0,
                         running: ifi.ifi_flags & UInt32(IFF_RUNNING) != 0,
                         operState: a.u8(UInt16(IFLA_OPERSTATE)) ?? UInt8(IF_OPER_UNKNOWN))
        l.mtu = a.u32(UInt16(IFLA_MTU)) ?? 0
        return l
    }

    static func parseIndex(_ nlh: UnsafePointer<nlmsghdr>) -> Int32 {
        mnl_nlmsg_get_payload(nlh)!.loadUnaligned(as: ifinfomsg.self).ifi_index
    }
}

/// RTM_GETADDR: the addresses of each device (status shows a path's local address).
enum AddressMessages {
    static func buildDump(_ b: NetlinkBuilder, seq: UInt32) {
        b.begin(type: UInt16(RTM_GETADDR), flags: NLM_F_REQUEST | NLM_F_DUMP, seq: seq, family: ifaddrmsg())
    }

    /// RTM_NEWADDR: `a` as a host address (/32, /128) on device `index` (`ip addr add A/32 dev D`).
    static func buildAdd(_ b: NetlinkBuilder, index: Int32, address a: IPAddress, seq: UInt32) {
        var ifa = ifaddrmsg()
        ifa.ifa_family = UInt8(a.isV4 ? AF_INET : AF_INET6)
        ifa.ifa_prefixlen = a.isV4 ? 32 : 128
        ifa.ifa_index = UInt32(bitPattern: index)
        b.begin(type: UInt16(RTM_NEWADDR), flags: NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE, seq: seq, family: ifa)
        b.put(UInt16(IFA_LOCAL), address: a)
        b.put(UInt16(IFA_ADDRESS), address: a)
    }

    /// (ifindex, the device's own address): IFA_LOCAL, or IFA_ADDRESS where there is no peer.
    static func parse(_ nlh: UnsafePointer<nlmsghdr>) -> (Int32, IPAddress)? {
        guard Int(nlh.pointee.nlmsg_len) >= MemoryLayout<nlmsghdr>.size + MemoryLayout<ifaddrmsg>.size else { return nil }
        let ifa = mnl_nlmsg_get_payload(nlh)!.loadUnaligned(as: ifaddrmsg.self)
        let a = NetlinkAttributes(nlh, headerSize: MemoryLayout<ifaddrmsg>.size)
        guard let addr = a.address(UInt16(IFA_LOCAL)) ?? a.address(UInt16(IFA_ADDRESS)) else { return nil }
        return (Int32(ifa.ifa_index), addr)
    }
}
