import CHedge
import HedgeCore

/// hedge's HTTP/1.1 server for `/metrics` and `/status`: GET and HEAD, on the agent's event loop.
///
/// Nothing blocks: a read takes what is there, a response the socket cannot take at once waits
/// for EPOLLOUT, and a client that stalls is closed by `tick`: after `idleTimeoutMs` without an
/// octet, or when a request head has not arrived whole within `headTimeoutMs` of its first octet
/// (Go's ReadHeaderTimeout, nginx's client_header_timeout), however steadily it drips. Keep-alive
/// and pipelining are served in order; a response is written completely before the next request
/// on its connection is read.
///
/// Slow clients must not starve scrapes (slowloris: many connections, each sending a head one
/// octet at a time, are never idle). So:
/// - A connection is accepted once its first octets are in (TCP_DEFER_ACCEPT) and read at once:
///   a scraper, which sends its request as soon as it is connected, is answered on arrival, and
///   a client that says nothing waits in the kernel rather than in one of the places here.
/// - At most `maxConnections`. When full, a newcomer takes the place of another
///   (`HTTPConnection.evictionRank`): one whose response is done, else the one whose head has
///   been arriving the longest, else the one idle the longest, else the oldest that has said
///   nothing yet. A connection whose request is being answered is never closed for room; when
///   all are, accepting pauses (the kernel's backlog holds the newcomers) until one is done.
/// - At most `connectionsPerSource` from one IPv4 address or IPv6 /64 (`HTTPSource`): a newcomer
///   beyond that is closed at once, so one host cannot take every place.
///
/// The owner calls `tick(now:)` at `nextDeadline` (Clock.monotonicMs()).
public final class HTTPServer {
    public static let maxConnections = 32
    public static let defaultIdleTimeoutMs: Millis = 10_000
    /// A scraper writes its head at once, and it is small: it arrives in one segment, within a
    /// round trip. A few seconds leave room for a lost segment's retransmission on a poor link,
    /// and bound how long a trickling client can hold a place even when nobody claims it. Also
    /// about how long the kernel holds a connection that has said nothing (TCP_DEFER_ACCEPT).
    public static let defaultHeadTimeoutMs: Millis = 5_000
    /// The default for `connectionsPerSource`: a Prometheus pair, curl and a browser with room to
    /// spare, while one host cannot take every place.
    public static let maxConnectionsPerSource = 8
    /// How long a connection whose response is complete waits for the client to close.
    public static let lingerMs: Millis = 2_000
    /// Until this long after it was accepted, a connection that has said nothing is closed to make
    /// room only after all others that may be (its request may be on its way); then it is idle.
    public static let newConnectionGraceMs: Millis = 1_000

    public let address: IPAddress
    /// The bound port (the kernel's choice when 0 was asked for).
    public private(set) var port: UInt16 = 0
    public private(set) var listenFD: Int32 = -1

    /// Answers a GET or HEAD (HEAD gets the same response without its content).
    public var handler: (HTTPRequest) -> HTTPResponse = { _ in .text(404, "not found\n") }
    public var idleTimeoutMs: Millis = HTTPServer.defaultIdleTimeoutMs
    /// A request head must arrive whole within this of its first octet.
    public var headTimeoutMs: Millis = HTTPServer.defaultHeadTimeoutMs
    /// Connections at most from one source (`HTTPSource.key`).
    public var connectionsPerSource = HTTPServer.maxConnectionsPerSource
    public var limits = HTTPRequestLimits.standard
    /// Stamps activity between ticks; tests may replace it.
    public var clock: () -> Millis = { Clock.monotonicMs() }

    /// Requests given to the handler.
    public private(set) var requests = 0
    /// Requests answered by the server itself with an error: malformed, too large, not HTTP/1.x
    /// (their status, then close), or a method other than GET and HEAD (405).
    public private(set) var rejected = 0
    /// Connections closed to make room for a newer one.
    public private(set) var evicted = 0
    /// Connections closed by `tick` for lack of progress.
    public private(set) var timedOut = 0
    /// Of `timedOut`, those whose request head did not arrive within `headTimeoutMs`.
    public private(set) var headTimedOut = 0
    /// Connections closed at once on accept: their source already had `connectionsPerSource`.
    public private(set) var refused = 0

    private var connections: [HTTPConnection] = []
    private var loop: EventLoop?
    private var accepting = true
    /// accept() failed for lack of descriptors or memory: try again then.
    private var acceptRetryAt: Millis?
    private var rx = [UInt8].receiveBuffer(count: 16384)

    public var connectionCount: Int { connections.count }

    /// Listens on `address` (IPv4 or IPv6; `::` also takes IPv4) and `port` (0: any free one).
    public init(address: IPAddress, port: UInt16) throws(SystemError) {
        self.address = address
        let what = "HTTP server on \(address.isV4 ? address.description : "[\(address)]"):\(port)"
        let fd = socket(address.isV4 ? AF_INET : AF_INET6, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        if fd < 0 { throw SystemError("socket(tcp)", object: what) }
        var one: Int32 = 1, zero: Int32 = 0
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, 4)
        if address.isV6 && address.isUnspecified { _ = setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &zero, 4) }
        var sa = sockaddr_storage(); var len: socklen_t = 0
        fillSockaddr(&sa, &len, address, port: port)
        if hedge_bind(fd, &sa, len) != 0 { let e = SystemError("bind", object: what); close(fd); throw e }
        // A client that connects and says nothing waits in the kernel, not in one of the places
        // here: accept() sees a connection once its first octets are in (a scraper sends its
        // request at once), or once the kernel stops waiting, after about a head's time.
        var deferSeconds = Int32(HTTPServer.defaultHeadTimeoutMs / 1000)
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_DEFER_ACCEPT, &deferSeconds, 4)
        // Room for a scrape burst while all connections are busy (accepting pauses, see above).
        if listen(fd, 64) != 0 { let e = SystemError("listen", object: what); close(fd); throw e }
        var bound = sockaddr_storage(); var blen = socklen_t(MemoryLayout<sockaddr_storage>.size)
        if hedge_getsockname(fd, &bound, &blen) == 0, let (_, p) = bmpEndpoint(bound) { self.port = p } else { self.port = port }
        listenFD = fd
    }

    deinit {
        for c in connections { close(c.fd) }
        if listenFD >= 0 { close(listenFD) }
    }

    /// Serves on `loop`.
    public func attach(to loop: EventLoop) throws(SystemError) {
        self.loop = loop
        try loop.add(listenFD, events: UInt32(EPOLLIN.rawValue)) { _ in self.acceptPending() }
    }

    /// Closes every connection and the listener.
    public func shutdown() {
        while let c = connections.first { drop(c) }
        if listenFD >= 0 {
            loop?.remove(listenFD)
            close(listenFD)
            listenFD = -1
        }
        loop = nil
    }

    /// The earliest time `tick` has something to do.
    public var nextDeadline: Millis? {
        var d = acceptRetryAt
        for c in connections {
            let x = c.deadline(idleMs: idleTimeoutMs, headMs: headTimeoutMs, lingerMs: HTTPServer.lingerMs)
            if d == nil || x < d! { d = x }
        }
        return d
    }

    /// Closes connections past their deadline.
    public func tick(now: Millis) {
        for c in connections where c.deadline(idleMs: idleTimeoutMs, headMs: headTimeoutMs, lingerMs: HTTPServer.lingerMs) <= now {
            if !c.isLingering { timedOut += 1 }
            if c.isReadingHead { headTimedOut += 1 }
            drop(c)
        }
        if let t = acceptRetryAt, t <= now { acceptRetryAt = nil; resumeAccepting() }
    }

    // MARK: - Accepting

    private func acceptPending() {
        while listenFD >= 0 {
            var making: HTTPConnection?
            if connections.count >= HTTPServer.maxConnections {
                guard let v = victim() else { pauseAccepting(); return }
                making = v
            }
            // Only close one for a client that is really there, and may stay.
            let fd = hedge_accept(listenFD)
            if fd < 0 { acceptFailed(); return }
            let source = peerSource(fd)
            if let s = source, connections.count(where: { $0.source == s }) >= connectionsPerSource {
                refused += 1
                close(fd)
                continue
            }
            if let v = making {
                evicted += 1
                drop(v, resume: false)
            }
            adopt(fd, source: source)
        }
    }

    private func peerSource(_ fd: Int32) -> IPAddress? {
        var sa = sockaddr_storage(); var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        guard hedge_getpeername(fd, &sa, &len) == 0, let (a, _) = bmpEndpoint(sa) else { return nil }
        return HTTPSource.key(a)
    }

    private func acceptFailed() {
        let e = hedge_errno()
        if e == EAGAIN || e == EWOULDBLOCK || e == EINTR || e == ECONNABORTED { return }
        // EMFILE and the like: the listener would fire again at once, forever.
        Log.warn("http: accept: \(errnoString(e))")
        pauseAccepting()
        acceptRetryAt = clock() + 1_000
    }

    private func adopt(_ fd: Int32, source: IPAddress?) {
        let c = HTTPConnection(fd: fd, source: source, now: clock())
        connections.append(c)
        c.watching = UInt32(EPOLLIN.rawValue | EPOLLRDHUP.rawValue)
        do throws(SystemError) {
            try loop?.add(fd, events: c.watching) { events in self.ready(c, events) }
        } catch {
            drop(c)
            return
        }
        // Its first octets are usually in already (TCP_DEFER_ACCEPT): a complete request is
        // answered now, before another newcomer may want its place.
        ready(c, UInt32(EPOLLIN.rawValue))
    }

    /// The connection to close for a newcomer (`HTTPConnection.evictionRank`).
    private func victim() -> HTTPConnection? {
        let now = clock()
        var best: HTTPConnection?
        var bestRank = (rank: Int.max, since: Millis.max)
        for c in connections {
            guard let r = c.evictionRank(now: now, newGraceMs: HTTPServer.newConnectionGraceMs) else { continue }
            if r.rank < bestRank.rank || r.rank == bestRank.rank && r.since < bestRank.since {
                best = c
                bestRank = r
            }
        }
        return best
    }

    private func pauseAccepting() {
        guard accepting, listenFD >= 0 else { return }
        accepting = false
        loop?.modify(listenFD, events: 0)
    }

    /// A connection ended or may make room: take the clients waiting in the backlog.
    private func resumeAccepting() {
        guard !accepting, acceptRetryAt == nil, listenFD >= 0 else { return }
        accepting = true
        loop?.modify(listenFD, events: UInt32(EPOLLIN.rawValue))
    }

    // MARK: - Connections

    private func ready(_ c: HTTPConnection, _ events: UInt32) {
        guard c.fd >= 0, connections.contains(where: { $0 === c }) else { return }
        if events & UInt32(EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0 {
            // Reset, or both directions shut: nothing more can be delivered.
            drop(c)
            return
        }
        if c.pendingOutput > 0 {
            guard flush(c) else { return }
        }
        if c.pendingOutput == 0 {
            guard receive(c) else { return }
        }
        advance(c)
    }

    /// Reads what the socket holds (bounded: the loop is level-triggered and comes back); false
    /// when the connection was closed.
    private func receive(_ c: HTTPConnection) -> Bool {
        let cap = limits.maxHead
        var budget = 8
        while budget > 0 && (c.isLingering || c.input.count < cap) {
            budget -= 1
            let fd = c.fd
            let n = rx.withUnsafeMutableBytes { b in retryingEINTR { recv(fd, b.baseAddress, b.count, Int32(MSG_DONTWAIT)) } }
            if n > 0 {
                let now = clock()
                c.lastActive = now
                if case .open = c.phase {
                    if c.input.isEmpty { c.requestStarted = now }
                    c.input.append(contentsOf: rx[0..<n])
                }
                continue
            }
            if n == 0 { c.peerClosed = true; break }
            let e = hedge_errno()
            if e == EAGAIN || e == EWOULDBLOCK { break }
            drop(c)
            return false
        }
        return true
    }

    /// Answers every complete request in `input`, in order, while output drains at once; then
    /// moves the connection on (linger, close) and sets what it is watched for.
    private func advance(_ c: HTTPConnection) {
        while case .open = c.phase, c.pendingOutput == 0, c.worthParsing(limit: limits.maxHead) {
            switch HTTPRequestParser.parse(c.input, limits: limits) {
            case .incomplete where c.input.count >= limits.maxHead:
                // Cannot happen (the parser decides within maxHead octets); were it to, reading
                // would stop with the connection stuck.
                rejected += 1
                c.input = []
                queue(c, .text(431, "request head too large\n"), head: false, keepAlive: false)
            case .incomplete:
                c.parsedCount = c.input.count
            case .failure(let status, let reason):
                rejected += 1
                c.input = []
                queue(c, .text(status, reason + "\n"), head: false, keepAlive: false)
            case .complete(let request, let consumed):
                c.consume(consumed, now: clock())
                answer(c, request)
            }
            if c.pendingOutput > 0 {
                guard flush(c) else { return }
            }
        }
        if case .open = c.phase, c.peerClosed, c.pendingOutput == 0 {
            // The client is gone (or only half there) and nothing it sent is complete.
            drop(c)
            return
        }
        if case .closeAfterWrite = c.phase, c.pendingOutput == 0 {
            _ = CHedge.shutdown(c.fd, Int32(SHUT_WR))
            c.phase = .lingering(since: clock())
            c.input = []
        }
        if c.isLingering && c.peerClosed { drop(c); return }
        watch(c)
        if !accepting && c.evictionRank(now: clock(), newGraceMs: HTTPServer.newConnectionGraceMs) != nil { resumeAccepting() }
    }

    private func answer(_ c: HTTPConnection, _ request: HTTPRequest) {
        var keepAlive = request.keepAlive
        var response: HTTPResponse
        if request.method == "GET" || request.method == "HEAD" {
            requests += 1
            response = handler(request)
        } else {
            rejected += 1
            response = .text(405, "method not allowed\n")
            response.extraHeaders.append(HTTPHeaderField(name: "Allow", value: "GET, HEAD"))
            // Its body, if any, would be read as the next request.
            if request.hasBody { keepAlive = false }
        }
        // An HTTP/1.0 client assumes the connection ends unless told otherwise (RFC 9112 §9.3).
        if keepAlive && request.versionMinor == 0 {
            response.extraHeaders.append(HTTPHeaderField(name: "Connection", value: "keep-alive"))
        }
        queue(c, response, head: request.method == "HEAD", keepAlive: keepAlive)
    }

    private func queue(_ c: HTTPConnection, _ response: HTTPResponse, head: Bool, keepAlive: Bool) {
        c.output.append(contentsOf: response.serialize(head: head, keepAlive: keepAlive))
        c.served += 1
        if !keepAlive { c.phase = .closeAfterWrite }
    }

    /// Writes what the socket takes; false when the connection was closed.
    private func flush(_ c: HTTPConnection) -> Bool {
        while c.outputStart < c.output.count {
            let fd = c.fd, start = c.outputStart
            let n = c.output.withUnsafeBytes { b in
                retryingEINTR { send(fd, b.baseAddress! + start, b.count - start, Int32(MSG_DONTWAIT | MSG_NOSIGNAL)) }
            }
            if n > 0 { c.outputStart += n; c.lastActive = clock(); continue }
            let e = hedge_errno()
            if n < 0 && (e == EAGAIN || e == EWOULDBLOCK) { break }
            drop(c)
            return false
        }
        if c.outputStart == c.output.count { c.output = []; c.outputStart = 0 }
        return true
    }

    /// EPOLLOUT alone while a response is being written (requests behind it wait in the kernel);
    /// input otherwise.
    private func watch(_ c: HTTPConnection) {
        let want = c.pendingOutput > 0 ? UInt32(EPOLLOUT.rawValue) : UInt32(EPOLLIN.rawValue | EPOLLRDHUP.rawValue)
        if want != c.watching {
            c.watching = want
            loop?.modify(c.fd, events: want)
        }
    }

    private func drop(_ c: HTTPConnection, resume: Bool = true) {
        guard let i = connections.firstIndex(where: { $0 === c }) else { return }
        connections.remove(at: i)
        loop?.remove(c.fd)
        close(c.fd)
        c.output = []
        c.input = []
        if resume { resumeAccepting() }
    }
}
