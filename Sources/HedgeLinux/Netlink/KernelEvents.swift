import CHedge
import HedgeCore

/// Multicast notifications hedge follows: links (carrier), and its own nexthops, routes and rules
/// (someone deleting them, or the kernel flushing them with a device).
public enum KernelEvent {
    case link(LinkInfo)
    case linkGone(Int32)
    case nexthop(NexthopSpec)
    case nexthopGone(UInt32)
    /// A nexthop object now owned by another protocol: a routing daemon (FRR's zebra adopts kernel
    /// nexthop objects its routes use) may have rewritten one of hedge's.
    case foreignNexthop(NexthopSpec, protocolID: UInt8)
    case route(RouteSpec)
    case routeGone(RouteSpec)
    case ruleChanged
}

public final class KernelEvents {
    public let sock: NetlinkSocket
    let protocolID: UInt8
    public private(set) var overruns = 0

    public init(protocolID: UInt8, receiveBuffer: Int) throws(SystemError) {
        sock = try NetlinkSocket(groups: [UInt32(RTNLGRP_LINK.rawValue), UInt32(RTNLGRP_IPV4_ROUTE.rawValue),
                                          UInt32(RTNLGRP_IPV6_ROUTE.rawValue), UInt32(RTNLGRP_NEXTHOP.rawValue),
                                          UInt32(RTNLGRP_IPV4_RULE.rawValue), UInt32(RTNLGRP_IPV6_RULE.rawValue)],
                                 receiveBuffer: receiveBuffer)
        self.protocolID = protocolID
    }

    public var fd: Int32 { sock.fd }

    /// Events decoded per call: a nexthop replace makes the kernel announce every route that uses
    /// the object, thousands at once; the loop serves BFD and probes between these slices (epoll
    /// reports the socket again while events remain).
    public static let perTurn = 1000

    /// Decodes up to `perTurn` queued events. Returns false after an overrun (ENOBUFS): events were lost.
    public func drain(_ each: (KernelEvent) -> Void) -> Bool {
        let proto = protocolID
        let r = sock.drainEvents(limit: Self.perTurn) { nlh in
            switch Int32(nlh.pointee.nlmsg_type) {
            case Int32(RTM_NEWLINK): if let l = LinkMessages.parse(nlh) { each(.link(l)) }
            case Int32(RTM_DELLINK): each(.linkGone(LinkMessages.parseIndex(nlh)))
            case Int32(RTM_NEWNEXTHOP):
                if let (n, p) = NexthopMessages.parse(nlh) {
                    each(p == proto ? .nexthop(n) : .foreignNexthop(n, protocolID: p))
                }
            case Int32(RTM_DELNEXTHOP): if let id = NexthopMessages.parseID(nlh) { each(.nexthopGone(id)) }
            case Int32(RTM_NEWROUTE): if let r = RouteMessages.parse(nlh, protocolID: proto) { each(.route(r)) }
            case Int32(RTM_DELROUTE): if let r = RouteMessages.parse(nlh, protocolID: proto) { each(.routeGone(r)) }
            case Int32(RTM_NEWRULE), Int32(RTM_DELRULE):
                if RuleMessages.parse(nlh, protocolID: proto) != nil { each(.ruleChanged) }
            default: break
            }
        }
        if r == .overrun { overruns += 1; return false }
        return true
    }
}
