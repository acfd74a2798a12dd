import CHedge
import HedgeCore

/// The route-based tunnel's device: an XFRM interface (kind "xfrm", Linux 4.19+). Packets routed into
/// it are matched against the policies and states that carry the same `if_id` (XFRMA_IF_ID), so the
/// tunnel needs no selectors of its own: any-to-any, as Azure's route-based gateway negotiates.
public struct XfrmInterface: Equatable, Sendable, CustomStringConvertible {
    public var name: String
    /// IFLA_XFRM_IF_ID: never 0 (the kernel refuses it).
    public var ifID: UInt32
    /// IFLA_XFRM_LINK: the underlying device's ifindex (0: none, the usual case).
    public var link: Int32
    /// IFLA_MTU at creation; 0: the kernel's default. Azure's gateways want 1400 (and TCP MSS 1350).
    public var mtu: UInt32
    public init(name: String, ifID: UInt32, link: Int32 = 0, mtu: UInt32 = 0) {
        self.name = name; self.ifID = ifID; self.link = link; self.mtu = mtu
    }
    public var description: String { "xfrm interface \(name) if_id \(ifID)" + (link != 0 ? " link \(link)" : "") }
}

enum XfrmInterfaceMessages {
    /// RTM_NEWLINK with IFLA_LINKINFO { IFLA_INFO_KIND "xfrm", IFLA_INFO_DATA { IFLA_XFRM_IF_ID, IFLA_XFRM_LINK } }.
    static func buildCreate(_ b: NetlinkBuilder, _ x: XfrmInterface, seq: UInt32) {
        b.begin(type: UInt16(RTM_NEWLINK), flags: NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, seq: seq,
                family: ifinfomsg())
        b.put(UInt16(IFLA_IFNAME), string: x.name)
        if x.mtu != 0 { b.put(UInt16(IFLA_MTU), u32: x.mtu) }
        b.nest(UInt16(IFLA_LINKINFO)) {
            b.put(UInt16(IFLA_INFO_KIND), string: "xfrm")
            b.nest(UInt16(IFLA_INFO_DATA)) {
                b.put(UInt16(IFLA_XFRM_IF_ID), u32: x.ifID)
                if x.link != 0 { b.put(UInt16(IFLA_XFRM_LINK), u32: UInt32(bitPattern: x.link)) }
            }
        }
    }

    /// RTM_NEWLINK without NLM_F_CREATE: sets IFF_UP (`ip link set NAME up`).
    static func buildSetUp(_ b: NetlinkBuilder, index: Int32, seq: UInt32) {
        var ifi = ifinfomsg()
        ifi.ifi_index = index
        ifi.ifi_flags = UInt32(IFF_UP)
        ifi.ifi_change = UInt32(IFF_UP)
        b.begin(type: UInt16(RTM_NEWLINK), flags: NLM_F_REQUEST | NLM_F_ACK, seq: seq, family: ifi)
    }

    /// RTM_NEWLINK without NLM_F_CREATE: sets IFLA_MTU (`ip link set NAME mtu N`).
    static func buildSetMTU(_ b: NetlinkBuilder, index: Int32, mtu: UInt32, seq: UInt32) {
        var ifi = ifinfomsg()
        ifi.ifi_index = index
        b.begin(type: UInt16(RTM_NEWLINK), flags: NLM_F_REQUEST | NLM_F_ACK, seq: seq, family: ifi)
        b.put(UInt16(IFLA_MTU), u32: mtu)
    }

    static func buildDelete(_ b: NetlinkBuilder, index: Int32, seq: UInt32) {
        var ifi = ifinfomsg()
        ifi.ifi_index = index
        b.begin(type: UInt16(RTM_DELLINK), flags: NLM_F_REQUEST | NLM_F_ACK, seq: seq, family: ifi)
    }

    /// The interface described by an RTM_NEWLINK (dump or event), if it is of kind "xfrm".
    static func parse(_ nlh: UnsafePointer<nlmsghdr>) -> XfrmInterface? {
        guard Int(nlh.pointee.nlmsg_len) >= MemoryLayout<nlmsghdr>.size + MemoryLayout<ifinfomsg>.size else { return nil }
        let a = NetlinkAttributes(nlh, headerSize: MemoryLayout<ifinfomsg>.size)
        guard let info = a[UInt16(IFLA_LINKINFO)] else { return nil }
        let li = NetlinkAttributes(nested: info)
        guard li.string(UInt16(IFLA_INFO_KIND)) == "xfrm", let data = li[UInt16(IFLA_INFO_DATA)] else { return nil }
        let d = NetlinkAttributes(nested: data)
        guard let id = d.u32(UInt16(IFLA_XFRM_IF_ID)) else { return nil }
        return XfrmInterface(name: a.string(UInt16(IFLA_IFNAME)) ?? "", ifID: id, link: d.i32(UInt16(IFLA_XFRM_LINK)) ?? 0)
    }
}

extension RouteNetlink {
    /// XFRM interfaces present, with their ifindex (to adopt one instead of creating it).
    public func xfrmInterfaces() throws(NetlinkError) -> [(Int32, XfrmInterface)] {
        var out: [(Int32, XfrmInterface)] = []
        try dumpLinks { nlh in
            if let x = XfrmInterfaceMessages.parse(nlh) { out.append((LinkMessages.parseIndex(nlh), x)) }
        }
        return out
    }

    /// Creates `x`; nil when the kernel took it, else its refusal (a kernel without the xfrm
    /// driver answers EOPNOTSUPP "Unknown device type"; an if_id already used, EEXIST).
    public func createXfrmInterface(_ x: XfrmInterface) throws(SystemError) -> NetlinkError? {
        try command("RTM_NEWLINK", object: x.description) { XfrmInterfaceMessages.buildCreate(builder, x, seq: $0) }
    }

    public func setLinkUp(index: Int32, name: String) throws(SystemError) -> NetlinkError? {
        try command("RTM_NEWLINK", object: "link \(name) (ifindex \(index)) up") { XfrmInterfaceMessages.buildSetUp(builder, index: index, seq: $0) }
    }

    public func setLinkMTU(index: Int32, name: String, mtu: UInt32) throws(SystemError) -> NetlinkError? {
        try command("RTM_NEWLINK", object: "link \(name) (ifindex \(index)) mtu \(mtu)") {
            XfrmInterfaceMessages.buildSetMTU(builder, index: index, mtu: mtu, seq: $0)
        }
    }

    public func deleteLink(index: Int32, name: String) throws(SystemError) -> NetlinkError? {
        try command("RTM_DELLINK", object: "link \(name) (ifindex \(index))") { XfrmInterfaceMessages.buildDelete(builder, index: index, seq: $0) }
    }
}
