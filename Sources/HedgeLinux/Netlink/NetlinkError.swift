import CHedge
import HedgeCore   // its out-of-line string interpolation (Support/StringOutOfLine.swift)

/// A kernel refusal: the netlink error, the request it answered and the object it concerned, plus
/// the kernel's own extended-ack text when it gave one.
public struct NetlinkError: Error, CustomStringConvertible {
    public var request: String
    public var object: String
    public var errno: Int32
    public var kernelMessage: String?
    public init(request: String, object: String, errno: Int32, kernelMessage: String? = nil) {
        self.request = request; self.object = object; self.errno = errno; self.kernelMessage = kernelMessage
    }
    public var description: String {
        var s = "\(request) \(object): \(errnoString(errno))"
        if let m = kernelMessage, !m.isEmpty { s += ": kernel says \"\(m)\"" }
        return s
    }
}

func messageTypeName(_ t: UInt16) -> String {
    switch Int32(t) {
    case Int32(RTM_NEWROUTE): return "RTM_NEWROUTE"
    case Int32(RTM_DELROUTE): return "RTM_DELROUTE"
    case Int32(RTM_GETROUTE): return "RTM_GETROUTE"
    case Int32(RTM_NEWNEXTHOP): return "RTM_NEWNEXTHOP"
    case Int32(RTM_DELNEXTHOP): return "RTM_DELNEXTHOP"
    case Int32(RTM_GETNEXTHOP): return "RTM_GETNEXTHOP"
    case Int32(RTM_NEWRULE): return "RTM_NEWRULE"
    case Int32(RTM_DELRULE): return "RTM_DELRULE"
    case Int32(RTM_GETRULE): return "RTM_GETRULE"
    case Int32(RTM_GETLINK): return "RTM_GETLINK"
    case Int32(RTM_NEWLINK): return "RTM_NEWLINK"
    case Int32(RTM_DELLINK): return "RTM_DELLINK"
    case Int32(RTM_GETADDR): return "RTM_GETADDR"
    default: return "netlink type \(t)"
    }
}
