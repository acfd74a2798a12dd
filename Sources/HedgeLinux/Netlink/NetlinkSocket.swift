import CHedge
import HedgeCore   // its out-of-line string interpolation (Support/Interpolation.swift)

/// One netlink socket on libmnl (NETLINK_ROUTE, or NETLINK_XFRM for the tunnel's policies and SAs).
/// A command socket sends requests and reads their acks or dumps; an event socket joins multicast
/// groups and is drained from the event loop.
public final class NetlinkSocket {
    let nl: OpaquePointer
    public let portID: UInt32
    private var seq: UInt32
    private var rx = [UInt8].receiveBuffer(count: 1 << 16)

    public init(protocol proto: Int32 = NETLINK_ROUTE, groups: [UInt32] = [], receiveBuffer: Int = 0) throws(SystemError) {
        guard let s = mnl_socket_open2(proto, Int32(SOCK_CLOEXEC.rawValue | SOCK_NONBLOCK.rawValue)) else {
            throw SystemError(proto == NETLINK_XFRM ? "mnl_socket_open(NETLINK_XFRM)" : "mnl_socket_open(NETLINK_ROUTE)")
        }
        nl = s
        var one: Int32 = 1
        // Extended acks carry the kernel's reason in text; capped acks don't echo our request back.
        _ = mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, 4)
        _ = mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, 4)
        if receiveBuffer > 0 {
            var size = Int32(receiveBuffer)
            // SO_RCVBUFFORCE passes rmem_max as root; fall back to the capped SO_RCVBUF.
            if setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE, &size, 4) != 0 {
                _ = setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUF, &size, 4)
            }
        }
        if mnl_socket_bind(nl, 0, pid_t(MNL_SOCKET_AUTOPID)) < 0 {
            mnl_socket_close(nl)
            throw SystemError("mnl_socket_bind")
        }
        for g in groups {
            var group = Int32(g)
            if mnl_socket_setsockopt(nl, NETLINK_ADD_MEMBERSHIP, &group, 4) < 0 {
                mnl_socket_close(nl)
                throw SystemError("setsockopt(NETLINK_ADD_MEMBERSHIP)", object: "group \(g)")
            }
        }
        portID = mnl_socket_get_portid(nl)
        seq = UInt32(truncatingIfNeeded: Clock.realtimeMs())
    }

    deinit { mnl_socket_close(nl) }

    public var fd: Int32 { mnl_socket_get_fd(nl) }

    public func nextSeq() -> UInt32 { seq &+= 1; return seq }

    /// Sends every message in `b` (each built with NLM_F_ACK) and waits for all acks. Returns one
    /// error per refused message (empty: all applied); `describe` names a message's object by seq.
    public func transact(_ b: NetlinkBuilder, expecting seqs: [UInt32],
                         describe: (UInt32) -> (String, String)) throws(SystemError) -> [NetlinkError] {
        let (p, n) = b.bytes()
        if n == 0 { return [] }
        if mnl_socket_sendto(nl, p, n) < 0 { throw SystemError("sendto(netlink)") }
        var pending = HashSet(seqs)
        var errors: [NetlinkError] = []
        while !pending.isEmpty {
            let got = try receive(blocking: true)
            walk(got) { nlh in
                let s = nlh.pointee.nlmsg_seq
                guard nlh.pointee.nlmsg_type == UInt16(NLMSG_ERROR), pending.contains(s) else { return }
                pending.remove(s)
                let (code, text) = Self.ackError(nlh)
                if code != 0 {
                    let (req, obj) = describe(s)
                    errors.append(NetlinkError(request: req, object: obj, errno: -code, kernelMessage: text))
                }
            }
        }
        return errors
    }

    /// Sends a dump request and hands every reply message to `each` until NLMSG_DONE.
    public func dump(_ b: NetlinkBuilder, seq: UInt32, request: String,
                     _ each: (UnsafePointer<nlmsghdr>) -> Void) throws(NetlinkError) {
        let (p, n) = b.bytes()
        if mnl_socket_sendto(nl, p, n) < 0 {
            throw NetlinkError(request: request, object: "dump", errno: hedge_errno())
        }
        var done = false
        var failure: NetlinkError?
        while !done {
            let got: Int
            do { got = try receive(blocking: true) } catch {
                throw NetlinkError(request: request, object: "dump", errno: error.errno)
            }
            walk(got) { nlh in
                guard nlh.pointee.nlmsg_seq == seq, !done else { return }
                switch Int32(nlh.pointee.nlmsg_type) {
                case NLMSG_DONE: done = true
                case NLMSG_ERROR:
                    let (code, text) = Self.ackError(nlh)
                    if code != 0 { failure = NetlinkError(request: request, object: "dump", errno: -code, kernelMessage: text) }
                    done = true
                default: each(nlh)
                }
            }
        }
        if let f = failure { throw f }
    }

    public enum Drain { case drained, overrun }

    /// Reads every queued event without blocking. `.overrun` means the kernel dropped events
    /// (ENOBUFS): the caller must re-dump, since its picture of the kernel is now wrong.
    public func drainEvents(_ each: (UnsafePointer<nlmsghdr>) -> Void) -> Drain {
        while true {
            let got: Int
            do { got = try receive(blocking: false) } catch {
                if error.errno == EAGAIN || error.errno == EWOULDBLOCK { return .drained }
                if error.errno == ENOBUFS { return .overrun }
                return .drained
            }
            walk(got, each)
        }
    }

    private func receive(blocking: Bool) throws(SystemError) -> Int {
        while true {
            let n = rx.withUnsafeMutableBytes { b in
                recv(fd, b.baseAddress, b.count, blocking ? 0 : Int32(MSG_DONTWAIT))
            }
            if n >= 0 { return n }
            let e = hedge_errno()
            if e == EINTR { continue }
            if blocking && (e == EAGAIN || e == EWOULDBLOCK) {
                var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                _ = poll(&pfd, 1, 5000)
                continue
            }
            throw SystemError("recv(netlink)", errno: e)
        }
    }

    private func walk(_ len: Int, _ each: (UnsafePointer<nlmsghdr>) -> Void) {
        rx.withUnsafeBytes { b in
            var remaining = Int32(len)
            var p = UnsafeMutableRawPointer(mutating: b.baseAddress!).assumingMemoryBound(to: nlmsghdr.self)
            while mnl_nlmsg_ok(p, remaining) {
                each(UnsafePointer(p))
                p = hedge_mnl_nlmsg_next(p, &remaining)
            }
        }
    }

    /// The (negative) errno of an ack, 0 for success, and the kernel's extended-ack text.
    static func ackError(_ nlh: UnsafePointer<nlmsghdr>) -> (Int32, String?) {
        let payload = mnl_nlmsg_get_payload(nlh)!
        let code = payload.loadUnaligned(as: Int32.self)
        guard code != 0, nlh.pointee.nlmsg_flags & UInt16(NLM_F_ACK_TLVS) != 0 else { return (code, nil) }
        // With NETLINK_CAP_ACK the error carries only the request's header; TLVs follow it.
        let offset = MemoryLayout<nlmsgerr>.size
        let attrs = NetlinkAttributes(nlh, headerSize: offset)
        return (code, attrs.string(UInt16(NLMSGERR_ATTR_MSG.rawValue)))
    }
}
