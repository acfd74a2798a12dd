import CHedge
import HedgeCore

/// XFRM multicast notifications: SAs (XFRMNLGRP_SA), policies (XFRMNLGRP_POLICY) and lifetime
/// expiry (XFRMNLGRP_EXPIRE). charon installing or rekeying a CHILD_SA, `ip xfrm state flush`, an
/// SA hitting its hard lifetime: each arrives here as it happens.
public final class XfrmEvents {
    public let sock: NetlinkSocket
    public private(set) var overruns = 0
    /// Messages that did not decode (counted and dropped, never fatal).
    public private(set) var malformed = 0
    public private(set) var lastMalformed: String?

    public init(receiveBuffer: Int = 0) throws(SystemError) {
        sock = try NetlinkSocket(protocol: NETLINK_XFRM,
                                 groups: [UInt32(XFRMNLGRP_EXPIRE.rawValue), UInt32(XFRMNLGRP_SA.rawValue),
                                          UInt32(XFRMNLGRP_POLICY.rawValue)],
                                 receiveBuffer: receiveBuffer)
    }

    public var fd: Int32 { sock.fd }

    /// Decodes everything queued. Returns false after an overrun (ENOBUFS): events were lost and
    /// the caller must re-dump.
    public func drain(_ each: (XfrmMessage) -> Void) -> Bool {
        let r = sock.drainEvents { nlh in
            let type = nlh.pointee.nlmsg_type
            // Acquire and report messages are for a keying daemon; hedge does not answer them.
            guard XfrmMessageType(rawValue: type) != nil, type != XfrmMessageType.acquire.rawValue else { return }
            do throws(XfrmError) {
                each(try XfrmCodec.decode(type: type, body: XfrmNetlink.body(nlh)))
            } catch {
                malformed += 1
                lastMalformed = "XFRM message type \(type): \(error)"
            }
        }
        if r == .overrun { overruns += 1; return false }
        return true
    }
}
