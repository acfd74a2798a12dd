import CHedge
import HedgeCore

/// What a VICI connection delivers, in the order charon sent it.
public enum VICIClientEvent: Sendable {
    /// CMD_RESPONSE to the command of that name.
    case response(String, VICIMessage)
    /// CMD_UNKNOWN: charon has no such command (a plugin missing, or an older charon).
    case unknownCommand(String)
    /// An EVENT: one registered, or a command's stream (`list-sa` during `list-sas`, `control-log`
    /// during `initiate`), which arrives before that command's response.
    case event(String, VICIMessage)
    /// EVENT_CONFIRM of a registration / deregistration.
    case registered(String)
    case unregistered(String)
    /// EVENT_UNKNOWN: charon has no such event source.
    case unknownEvent(String)
    /// The connection is gone (charon stopped or restarted, or it sent what hedge cannot read).
    /// The client has closed its descriptor; commands not yet answered are dropped.
    case closed(String)
}

/// A client of charon's VICI socket (strongSwan src/libcharon/plugins/vici/README.md) for a
/// single-threaded event loop. VICI has no sequence numbers: the only way to pair a reply with
/// its request is to have one outstanding per connection, so registrations and commands wait in
/// one queue and the next is sent when the previous is answered. Events may arrive at any time,
/// even between a command and its response; they are told apart by packet type.
///
/// The owner watches `fd` for input and calls `drain` when it is readable; after `.closed` it
/// removes that descriptor from its loop and connects a new client when it wants to (charon
/// restarted). Requests are small and written at once; should the socket ever be full,
/// `wantsWrite` says so and `drain` (or `flush`) writes the rest.
public final class VICIClient {
    /// The socket path (a `unix://` prefix, as strongSwan writes URIs, is accepted and dropped).
    public let path: String
    /// -1 once closed.
    public private(set) var fd: Int32 = -1
    /// Why the connection ended, once it has.
    public private(set) var closedReason: String?

    private enum Kind { case command, register, unregister }
    private struct Op {
        var kind: Kind
        var name: String
        var bytes: [UInt8]
        var id: Int
    }
    private var queue: [Op] = []
    /// The head of `queue` has been written (or put in `output`) and waits for its reply.
    private var headSent = false
    private var nextID = 0
    private var output: [UInt8] = []
    private var framer = VICIFramer()
    /// Events seen by `call` while it waited, handed out by the next `drain`.
    private var held: [VICIClientEvent] = []
    /// The op `call` waits for, and its reply once in.
    private var waiting: (id: Int, reply: VICIClientEvent?)?
    private var rx = [UInt8].receiveBuffer(count: 65536)

    public init(path: String) throws(SystemError) {
        var p = path
        if p.hasPrefix("unix://") { p = String(p.dropFirst(7)) }
        self.path = p
        var addr = sockaddr_un()
        guard p.utf8.count < MemoryLayout.size(ofValue: addr.sun_path) else {
            throw SystemError("connect", errno: ENAMETOOLONG, object: p)
        }
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            var q = p
            q.withUTF8 { raw.copyBytes(from: $0) }
        }
        // Non-blocking from the start: a unix connect waits while the listener's backlog is full
        // (charon's is 3), with no deadline. Non-blocking, it fails with EAGAIN instead, and the
        // caller tries again at its next connect time.
        let s = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue | SOCK_NONBLOCK.rawValue), 0)
        if s < 0 { throw SystemError("socket(AF_UNIX)", object: p) }
        let r = retryingEINTR { Int(hedge_connect(s, &addr, socklen_t(MemoryLayout<sockaddr_un>.size))) }
        if r != 0 { let e = SystemError("connect", object: p); CHedge.close(s); throw e }
        fd = s
    }

    deinit { if fd >= 0 { CHedge.close(fd) } }

    public var isOpen: Bool { fd >= 0 }
    /// Output not yet taken by the socket.
    public var wantsWrite: Bool { !output.isEmpty }
    /// The command or event name whose reply is awaited, if any.
    public var outstanding: String? { headSent ? queue.first?.name : nil }
    /// Registrations and commands not yet answered (the outstanding one included).
    public var pending: Int { queue.count }

    // MARK: requests

    /// Queues an EVENT_REGISTER; `.registered(event)` or `.unknownEvent(event)` answers it.
    public func register(_ event: String) throws(VICIError) {
        try enqueue(.register, event, VICIPacket(.eventRegister, name: event))
    }

    public func unregister(_ event: String) throws(VICIError) {
        try enqueue(.unregister, event, VICIPacket(.eventUnregister, name: event))
    }

    /// Queues a command; `.response(command, reply)` or `.unknownCommand(command)` answers it.
    /// Throws only when the message cannot be encoded (a name over 255 bytes, a value over
    /// 65,535, a packet over 512 KiB).
    public func request(_ command: String, _ msg: VICIMessage = VICIMessage()) throws(VICIError) {
        try enqueue(.command, command, .request(command, msg))
    }

    @discardableResult
    private func enqueue(_ kind: Kind, _ name: String, _ packet: VICIPacket) throws(VICIError) -> Int {
        let bytes = try packet.segment()
        let id = nextID
        nextID += 1
        queue.append(Op(kind: kind, name: name, bytes: bytes, id: id))
        sendNext()
        return id
    }

    private func sendNext() {
        guard !headSent, let head = queue.first, fd >= 0 else { return }
        headSent = true
        output.append(contentsOf: head.bytes)
        flush()
    }

    /// Writes what the socket takes now.
    public func flush() {
        guard fd >= 0, !output.isEmpty else { return }
        let s = fd
        var off = 0
        while off < output.count {
            let n = output.withUnsafeBytes { b in
                retryingEINTR { send(s, b.baseAddress! + off, b.count - off, Int32(MSG_DONTWAIT | MSG_NOSIGNAL)) }
            }
            if n > 0 { off += n; continue }
            let e = hedge_errno()
            if n < 0 && (e == EAGAIN || e == EWOULDBLOCK) { break }
            // Leave the closing to `drain`, which the owner calls for the descriptor's readiness:
            // shutting the socket down makes it readable (end of file) at once.
            if closedReason == nil { closedReason = "send: " + errnoString(e) }
            _ = shutdown(s, Int32(SHUT_RDWR))
            break
        }
        output.removeFirst(off)
    }

    // MARK: input

    /// Reads what arrived and returns it decoded (events held by `call` first). Never blocks.
    /// Throws only when called after `.closed` was returned.
    public func drain() throws(SystemError) -> [VICIClientEvent] {
        var out = held
        held = []
        guard fd >= 0 else {
            if !out.isEmpty { return out }
            throw SystemError("recv", errno: EBADF, object: path + " (VICI connection closed: " + (closedReason ?? "?") + ")")
        }
        flush()
        if let why = closedReason { finish(why, &out); return out }
        // At most 1 MiB a call: the loop is level-triggered and comes back for the rest.
        var budget = 16
        while budget > 0 && fd >= 0 {
            budget -= 1
            let s = fd
            let n = rx.withUnsafeMutableBytes { b in retryingEINTR { recv(s, b.baseAddress, b.count, Int32(MSG_DONTWAIT)) } }
            if n > 0 {
                framer.append(rx[0..<n])
                decode(&out)
                continue
            }
            if n == 0 { finish("charon closed the VICI connection", &out); break }
            let e = hedge_errno()
            if e == EAGAIN || e == EWOULDBLOCK { break }
            finish("recv: " + errnoString(e), &out)
        }
        return out
    }

    private func decode(_ out: inout [VICIClientEvent]) {
        while fd >= 0 {
            let p: VICIPacket
            do throws(VICIError) {
                guard let next = try framer.nextPacket() else { return }
                p = next
            } catch {
                finish("unreadable VICI data: \(error)", &out)
                return
            }
            dispatch(p, &out)
        }
    }

    private func dispatch(_ p: VICIPacket, _ out: inout [VICIClientEvent]) {
        switch p.type {
        case .event:
            out.append(.event(p.name ?? "", p.message))
        case .cmdResponse, .cmdUnknown, .eventConfirm, .eventUnknown:
            guard headSent, let op = queue.first else { finish("\(p.type) with nothing outstanding", &out); return }
            let reply: VICIClientEvent
            switch (p.type, op.kind) {
            case (.cmdResponse, .command): reply = .response(op.name, p.message)
            case (.cmdUnknown, .command): reply = .unknownCommand(op.name)
            case (.eventConfirm, .register): reply = .registered(op.name)
            case (.eventConfirm, .unregister): reply = .unregistered(op.name)
            case (.eventUnknown, .register), (.eventUnknown, .unregister): reply = .unknownEvent(op.name)
            default:
                finish("\(p.type) in reply to \(op.name)", &out)
                return
            }
            queue.removeFirst()
            headSent = false
            if waiting?.id == op.id { waiting!.reply = reply } else { out.append(reply) }
            sendNext()
        case .cmdRequest, .eventRegister, .eventUnregister:
            finish("charon sent a \(p.type)", &out)
        }
    }

    private func finish(_ why: String, _ out: inout [VICIClientEvent]) {
        guard fd >= 0 else { return }
        CHedge.close(fd)
        fd = -1
        closedReason = why
        queue = []
        headSent = false
        output = []
        framer.reset()
        out.append(.closed(why))
    }

    /// Closes the connection; the next `drain` returns `.closed(why)`.
    public func close(_ why: String = "closed by hedge") {
        var out: [VICIClientEvent] = []
        finish(why, &out)
        held.append(contentsOf: out)
    }

    // MARK: blocking use (tests, the command line)

    /// Sends a command and waits up to `timeoutMs` for its response; whatever else arrives
    /// meanwhile (events, replies to earlier requests) is kept for the next `drain`. Throws
    /// ETIMEDOUT (the command stays outstanding: its response will come out of `drain`),
    /// EOPNOTSUPP for CMD_UNKNOWN, ECONNRESET when the connection ends, EMSGSIZE when the
    /// message cannot be encoded.
    public func call(_ command: String, _ msg: VICIMessage = VICIMessage(), timeoutMs: Int) throws(SystemError) -> VICIMessage {
        let what = "VICI " + command
        let id: Int
        do throws(VICIError) { id = try enqueue(.command, command, .request(command, msg)) } catch {
            throw SystemError(what, errno: EMSGSIZE, object: "\(error)")
        }
        waiting = (id, nil)
        defer { waiting = nil }
        let deadline = Clock.monotonicMs() + Millis(timeoutMs)
        while true {
            if let reply = waiting?.reply {
                if case .response(_, let m) = reply { return m }
                throw SystemError(what, errno: EOPNOTSUPP, object: path)
            }
            if fd < 0 {
                throw SystemError(what, errno: ECONNRESET, object: path + ": " + (closedReason ?? "closed"))
            }
            let left = deadline - Clock.monotonicMs()
            if left <= 0 { throw SystemError(what, errno: ETIMEDOUT, object: path) }
            var p = pollfd(fd: fd, events: Int16(POLLIN) | (wantsWrite ? Int16(POLLOUT) : 0), revents: 0)
            let r = poll(&p, 1, Int32(min(left, 1_000)))
            if r < 0 && hedge_errno() != EINTR { throw SystemError("poll", object: path) }
            if r > 0 { held.append(contentsOf: try drain()) }
        }
    }
}
