import CHedge
import HedgeCore   // its out-of-line string interpolation (Support/StringOutOfLine.swift)

/// One netlink socket on libmnl (NETLINK_ROUTE, or NETLINK_XFRM for the tunnel's policies and SAs).
/// A command socket sends requests and reads their acks or dumps; an event socket joins multicast
/// groups and is drained from the event loop.
///
/// No exchange waits without a deadline. A request batch goes out in windows, each acked on error
/// only plus one synchronising ack on its last message, so that a window's worst case (every message
/// refused) still fits the socket's receive buffer. A reply the kernel dropped all the same (ENOBUFS),
/// or one that does not come within `replyDeadlineMs`, ends the exchange with `lostReplies`: the
/// caller learns the outcome by re-dumping its own objects, never by waiting longer.
public final class NetlinkSocket {
    private(set) var nl: OpaquePointer
    public private(set) var portID: UInt32
    private var seq: UInt32
    private var rx = [UInt8].receiveBuffer(count: 1 << 16)
    private let proto: Int32
    private let groups: [UInt32]
    private let receiveBuffer: Int
    private let strictDumps: Bool
    /// How long one window's replies (or a dump's next part) may take before the exchange is given up.
    /// rtnetlink and XFRM answer inside the sendto (a dump, inside each recv), so a reply that is not
    /// queued at once was dropped; the deadline only bounds the wait for one that never comes.
    public var replyDeadlineMs: Int64 = 250
    /// Messages per window: the receive buffer over what one error reply can cost it. (A test sets
    /// it beyond that to make the kernel drop replies.)
    public var window = 1
    /// The kernel charges a reply's whole skb (headers, shared info, slab rounding) to the receive
    /// buffer, not its bytes: an extended-ack error takes well under this much.
    static let replyCost = 2048
    /// Exchanges given up (a lost reply or a deadline), each on a socket then replaced.
    public private(set) var exchangesLost = 0

    /// The errno of a `SystemError` that says replies were lost: the outcome is unknown.
    public static let lostReplies = ENOBUFS

    /// `strictDumps`: NETLINK_GET_STRICT_CHK (4.20+), so that a dump request's header and attributes
    /// filter in the kernel (a route dump by protocol and table); older kernels refuse the option and
    /// dump everything, which the readers filter anyway.
    public init(protocol proto: Int32 = NETLINK_ROUTE, groups: [UInt32] = [], receiveBuffer: Int = 0,
                strictDumps: Bool = false) throws(SystemError) {
        self.proto = proto; self.groups = groups; self.receiveBuffer = receiveBuffer; self.strictDumps = strictDumps
        nl = try Self.open(proto, groups: groups, receiveBuffer: receiveBuffer, strictDumps: strictDumps)
        portID = mnl_socket_get_portid(nl)
        seq = UInt32(truncatingIfNeeded: Clock.realtimeMs())
        window = measuredWindow()
    }

    private static func open(_ proto: Int32, groups: [UInt32], receiveBuffer: Int, strictDumps: Bool) throws(SystemError) -> OpaquePointer {
        guard let nl = mnl_socket_open2(proto, Int32(SOCK_CLOEXEC.rawValue | SOCK_NONBLOCK.rawValue)) else {
            throw SystemError(proto == NETLINK_XFRM ? "mnl_socket_open(NETLINK_XFRM)"
                              : proto == NETLINK_NETFILTER ? "mnl_socket_open(NETLINK_NETFILTER)" : "mnl_socket_open(NETLINK_ROUTE)")
        }
        var one: Int32 = 1
        // Extended acks carry the kernel's reason in text; capped acks don't echo our request back.
        _ = mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, 4)
        _ = mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, 4)
        if strictDumps { _ = mnl_socket_setsockopt(nl, NETLINK_GET_STRICT_CHK, &one, 4) }
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
        return nl
    }

    /// The window the socket's real receive buffer allows (the kernel doubles what was asked, and
    /// caps what SO_RCVBUF may ask).
    private func measuredWindow() -> Int {
        var size: Int32 = 0
        var len = socklen_t(4)
        _ = getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, &len)
        return max(1, Int(size) / Self.replyCost)
    }

    /// A fresh socket in place of one whose exchange was given up: replies still queued for it, or a
    /// dump the kernel is still producing (it would refuse the next dump with EBUSY), go with the old.
    private func reopen() {
        exchangesLost += 1
        guard let fresh = try? Self.open(proto, groups: groups, receiveBuffer: receiveBuffer, strictDumps: strictDumps) else {
            // Keep the old one: its stale replies carry old sequence numbers and are ignored.
            drainStale()
            return
        }
        mnl_socket_close(nl)
        nl = fresh
        portID = mnl_socket_get_portid(nl)
    }

    private func drainStale() {
        while (try? receive(deadline: nil)) != nil {}
    }

    deinit { mnl_socket_close(nl) }

    public var fd: Int32 { mnl_socket_get_fd(nl) }

    public func nextSeq() -> UInt32 { seq &+= 1; return seq }

    /// Sends every message in `b` (built with NLM_F_ACK) in windows, each acked on error only and
    /// synchronised by its last message's ack. Returns one error per refused message (empty: all
    /// applied); `describe` names a message's object by seq. Throws `lostReplies` when a reply was
    /// dropped or late: the outcome of the window in flight is then unknown.
    public func transact(_ b: NetlinkBuilder, expecting seqs: [UInt32],
                         describe: (UInt32) -> (String, String)) throws(SystemError) -> [NetlinkError] {
        let (base, total) = b.bytes()
        if total == 0 { return [] }
        let ours = HashSet(seqs)
        var errors: [NetlinkError] = []
        var offset = 0
        while offset < total {
            let (end, count, sync) = b.ackOnError(from: offset, limit: window)
            if mnl_socket_sendto(nl, base + offset, end - offset) < 0 { throw SystemError("sendto(netlink)") }
            var synced = false
            let deadline = Clock.monotonicMs() + replyDeadlineMs
            while !synced {
                let got: Int
                do { got = try receive(deadline: deadline) } catch {
                    reopen()
                    throw SystemError("netlink replies to \(count) requests", errno: error.errno == ETIMEDOUT ? ETIMEDOUT : Self.lostReplies)
                }
                walk(got) { nlh in
                    let s = nlh.pointee.nlmsg_seq
                    guard nlh.pointee.nlmsg_type == UInt16(NLMSG_ERROR), ours.contains(s) else { return }
                    let (code, text) = Self.ackError(nlh)
                    if code != 0 {
                        let (req, obj) = describe(s)
                        errors.append(NetlinkError(request: req, object: obj, errno: -code, kernelMessage: text))
                    }
                    if s == sync { synced = true }
                }
            }
            offset = end
        }
        return errors
    }

    /// An nfnetlink batch: everything in one sendto (the kernel applies it whole or not at all, so it
    /// cannot go out in windows), each request of `seqs` carrying NLM_F_ACK. Done when every one is
    /// answered; a batch the kernel refused may leave the rest unanswered, so once a refusal is in,
    /// the deadline ends the exchange without calling the replies lost.
    public func transactBatch(_ b: NetlinkBuilder, expecting seqs: [UInt32],
                              describe: (UInt32) -> (String, String)) throws(SystemError) -> [NetlinkError] {
        let (base, total) = b.bytes()
        if total == 0 || seqs.isEmpty { return [] }
        var waiting = HashSet(seqs)
        var errors: [NetlinkError] = []
        if mnl_socket_sendto(nl, base, total) < 0 { throw SystemError("sendto(netlink)") }
        let deadline = Clock.monotonicMs() + replyDeadlineMs
        while !waiting.isEmpty {
            let got: Int
            do { got = try receive(deadline: deadline) } catch {
                if !errors.isEmpty { break }
                reopen()
                throw SystemError("netlink replies to a batch of \(seqs.count)", errno: error.errno == ETIMEDOUT ? ETIMEDOUT : Self.lostReplies)
            }
            walk(got) { nlh in
                let s = nlh.pointee.nlmsg_seq
                guard nlh.pointee.nlmsg_type == UInt16(NLMSG_ERROR), waiting.remove(s) != nil else { return }
                let (code, text) = Self.ackError(nlh)
                if code != 0 {
                    let (req, obj) = describe(s)
                    errors.append(NetlinkError(request: req, object: obj, errno: -code, kernelMessage: text))
                }
            }
        }
        return errors
    }

    /// Sends a dump request and hands every reply message to `each` until NLMSG_DONE. Each part must
    /// come within `replyDeadlineMs` of the one before; otherwise, or when a part was dropped
    /// (ENOBUFS), the dump is abandoned on a fresh socket and thrown as `lostReplies`/ETIMEDOUT.
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
            do { got = try receive(deadline: Clock.monotonicMs() + replyDeadlineMs) } catch {
                reopen()
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

    public enum Drain { case drained, more, overrun }

    /// Reads queued events without blocking, at most `limit` datagrams (the loop's other work runs
    /// before the rest: `.more`). `.overrun` means the kernel dropped events (ENOBUFS): the caller
    /// must re-dump, since its picture of the kernel is now wrong.
    public func drainEvents(limit: Int = Int.max, _ each: (UnsafePointer<nlmsghdr>) -> Void) -> Drain {
        var n = 0
        while n < limit {
            let got: Int
            do { got = try receive(deadline: nil) } catch {
                if error.errno == EAGAIN || error.errno == EWOULDBLOCK { return .drained }
                if error.errno == ENOBUFS { return .overrun }
                return .drained
            }
            walk(got, each)
            n += 1
        }
        return .more
    }

    /// One datagram. `deadline` nil: only what is queued now (EAGAIN otherwise); else wait for one
    /// until then at the latest (ETIMEDOUT).
    private func receive(deadline: Millis?) throws(SystemError) -> Int {
        while true {
            let n = rx.withUnsafeMutableBytes { b in recv(fd, b.baseAddress, b.count, Int32(MSG_DONTWAIT)) }
            if n >= 0 { return n }
            let e = hedge_errno()
            if e == EINTR { continue }
            guard e == EAGAIN || e == EWOULDBLOCK, let d = deadline else { throw SystemError("recv(netlink)", errno: e) }
            let left = d - Clock.monotonicMs()
            if left <= 0 { throw SystemError("recv(netlink)", errno: ETIMEDOUT) }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            _ = poll(&pfd, 1, Int32(left))
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
