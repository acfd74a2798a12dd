import CHedge
import HedgeCore

/// Delivers the spool's events to an HTTP collector: `POST <path>` with a JSON array of up to
/// `batch` events, one request at a time, on the event loop without blocking it.
///
/// A 2xx answer acknowledges the batch in the spool. Anything else (refused, no answer within 5 s,
/// a non-2xx status, a broken answer) leaves the batch where it is and retries it after 1 s, 2 s,
/// 4 s … 30 s. A batch whose answer was lost is sent again with the same ids: the collector
/// deduplicates on `id`.
///
/// The owner calls `attach(to:)`, `kick(now:)` when events were added (and once after start, for
/// what a restart left in the spool), and `tick(now:)` at `nextDeadline`.
public final class EventPusher {
    public static let timeoutMs: Millis = 5_000
    public static let firstBackoffMs: Millis = 1_000
    public static let maxBackoffMs: Millis = 30_000

    public let url: CollectorURL
    public let spool: EventSpool
    public let batch: Int
    /// Failed requests (this run), the last failure's text, failures since the last success.
    public private(set) var errors = 0
    public private(set) var lastError: String?
    public private(set) var consecutiveFailures = 0
    /// Requests started, and those answered with a 2xx.
    public private(set) var requests = 0
    public private(set) var acceptedRequests = 0

    private var loop: EventLoop?
    private var fd: Int32 = -1
    private var connecting = false
    private var out: [UInt8] = []
    private var outStart = 0
    private var rx: [UInt8] = []
    private var buffer = [UInt8](repeating: 0, count: 4096)
    private var batchLast: UInt64 = 0
    private var deadline: Millis = 0
    private var retryAt: Millis?
    private var backoff = EventPusher.firstBackoffMs

    public init(url: CollectorURL, spool: EventSpool, batch: Int = 100) {
        self.url = url; self.spool = spool; self.batch = max(1, batch)
    }

    deinit { if fd >= 0 { close(fd) } }

    public func attach(to loop: EventLoop) { self.loop = loop }

    /// Abandons a request in flight and leaves the loop (the batch stays in the spool).
    public func detach() {
        closeConnection()
        loop = nil
    }

    /// A request is in flight.
    public var busy: Bool { fd >= 0 }
    /// When `tick` has work: the request's timeout, or the end of the back-off.
    public var nextDeadline: Millis? { fd >= 0 ? deadline : retryAt }

    /// New events are in the spool: send now unless a request is in flight or a back-off runs.
    public func kick(now: Millis) {
        if fd < 0 && retryAt == nil { start(now) }
    }

    public func tick(now: Millis) {
        if fd >= 0 {
            if now >= deadline { fail("no answer within \(EventPusher.timeoutMs / 1000) s", now) }
        } else if let r = retryAt, now >= r {
            retryAt = nil
            start(now)
        }
    }

    // MARK: - One request

    private var collector: String { url.hostHeader }

    private func start(_ now: Millis) {
        guard let loop, fd < 0 else { return }
        let events = spool.pending(max: batch)
        guard let last = events.last else { return }
        var body = "["
        for (i, e) in events.enumerated() {
            if i > 0 { body += "," }
            body += e.json
        }
        body += "]"
        let head = "POST \(url.path) HTTP/1.1\r\nHost: \(url.hostHeader)\r\nUser-Agent: hedge/\(HedgeVersion.string)\r\n"
            + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n"
        out = Array((head + body).utf8)
        outStart = 0
        rx = []
        batchLast = last.seq
        requests += 1
        deadline = now + EventPusher.timeoutMs

        let s = socket(url.address.isV4 ? AF_INET : AF_INET6,
                       Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        if s < 0 { fail("socket: " + errnoString(hedge_errno()), now); return }
        var sa = sockaddr_storage(); var len: socklen_t = 0
        fillSockaddr(&sa, &len, url.address, port: url.port)
        let r = retryingEINTR { Int(hedge_connect(s, &sa, len)) }
        if r != 0 && hedge_errno() != EINPROGRESS {
            let e = hedge_errno()
            close(s)
            fail("connect \(collector): " + errnoString(e), now)
            return
        }
        fd = s
        connecting = r != 0
        // Edge-triggered, input and output at once: one registration for the whole exchange, and
        // no busy wake-ups for writability once the request is out.
        let events32 = UInt32(EPOLLIN.rawValue | EPOLLOUT.rawValue | EPOLLRDHUP.rawValue) | UInt32(EPOLLET.rawValue)
        do throws(SystemError) {
            try loop.add(s, events: events32) { ev in self.ready(ev) }
        } catch {
            fail(error.description, now)
        }
    }

    private func ready(_ events: UInt32) {
        guard fd >= 0 else { return }
        let now = Clock.monotonicMs()
        if connecting {
            let err = hedge_so_error(fd)
            if err != 0 { fail("connect \(collector): " + errnoString(err), now); return }
            var sa = sockaddr_storage(); var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
            if hedge_getpeername(fd, &sa, &len) != 0 { return }   // not yet
            connecting = false
        }
        while outStart < out.count {
            let s = fd, start = outStart
            let n = out.withUnsafeBytes { b in
                retryingEINTR { CHedge.send(s, b.baseAddress! + start, b.count - start, Int32(MSG_DONTWAIT | MSG_NOSIGNAL)) }
            }
            if n > 0 { outStart += n; continue }
            let e = hedge_errno()
            if n < 0 && (e == EAGAIN || e == EWOULDBLOCK) { break }
            // The collector may have answered and closed before taking the whole request (413):
            // read what it said before giving up.
            if receive(now) { return }
            fail("send to \(collector): " + errnoString(e), now)
            return
        }
        _ = receive(now)
    }

    /// Reads what is there and acts on a complete answer; true when the request ended.
    private func receive(_ now: Millis) -> Bool {
        var closed = false
        while true {
            let s = fd
            let n = buffer.withUnsafeMutableBytes { b in retryingEINTR { recv(s, b.baseAddress, b.count, Int32(MSG_DONTWAIT)) } }
            if n > 0 { rx.append(contentsOf: buffer[0..<n]); if rx.count > HTTPResponseHead.maxHeadLength * 2 { break }; continue }
            if n == 0 { closed = true; break }
            let e = hedge_errno()
            if e == EAGAIN || e == EWOULDBLOCK { break }
            if rx.isEmpty { fail("receive from \(collector): " + errnoString(e), now); return true }
            closed = true
            break
        }
        while true {
            switch HTTPResponseHead.parse(rx) {
            case .incomplete:
                if closed { fail("\(collector) closed the connection without an answer", now); return true }
                return false
            case .malformed(let why):
                fail("\(collector): \(why)", now)
                return true
            case .complete(let status, let headerLength, _):
                if status < 200 { rx.removeFirst(headerLength); continue }   // 100 Continue and the like
                if status < 300 {
                    succeed(now)
                } else {
                    fail("\(collector) answered HTTP \(status)", now)
                }
                return true
            }
        }
    }

    private func succeed(_ now: Millis) {
        closeConnection()
        spool.ack(through: batchLast)
        acceptedRequests += 1
        consecutiveFailures = 0
        backoff = EventPusher.firstBackoffMs
        retryAt = nil
        if spool.queued > 0 { start(now) }
    }

    private func fail(_ why: String, _ now: Millis) {
        closeConnection()
        errors += 1
        consecutiveFailures += 1
        lastError = why
        retryAt = now + backoff
        backoff = min(backoff * 2, EventPusher.maxBackoffMs)
    }

    private func closeConnection() {
        guard fd >= 0 else { return }
        loop?.remove(fd)
        close(fd)
        fd = -1
        connecting = false
        out = []
        rx = []
    }
}
