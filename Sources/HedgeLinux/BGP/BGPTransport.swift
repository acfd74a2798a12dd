import CHedge
import HedgeCore

/// Where and how one BGP neighbour is reached over TCP.
public struct BGPTransportConfig: Sendable {
    public var neighbor: IPAddress
    /// The neighbour's port for our connections (179).
    public var port: UInt16
    /// Our listening port for the neighbour's connections (179); nil: never accept.
    public var listenPort: UInt16?
    /// Source address of our connections and address of the listening socket.
    public var localAddress: IPAddress?
    /// SO_BINDTODEVICE on every socket: the session never runs over another path.
    public var device: String?
    /// TCP MD5 signature key (RFC 2385), read from a root-owned 0600 file by `BGPKeyFile`.
    public var md5Key: [UInt8]?
    /// GTSM (RFC 5082): send with TTL 255, drop segments that arrive with a TTL below 254.
    public var gtsm: Bool

    public init(neighbor: IPAddress, port: UInt16 = 179, listenPort: UInt16? = 179, localAddress: IPAddress? = nil,
                device: String? = nil, md5Key: [UInt8]? = nil, gtsm: Bool = false) {
        self.neighbor = neighbor; self.port = port; self.listenPort = listenPort; self.localAddress = localAddress
        self.device = device; self.md5Key = md5Key; self.gtsm = gtsm
    }
}

/// The TCP MD5 key file (a `SecretFile`): root-owned, mode 0600 or 0400, the key up to the first
/// line break, 1 to 80 octets (RFC 2385's limit, as Linux enforces it).
public enum BGPKeyFile {
    public static func read(_ path: String) throws(SystemError) -> [UInt8] {
        try SecretFile.read(path, what: "BGP key file", lengths: 1...80, rule: "TCP MD5 takes 1 to 80")
    }

    static func octal(_ v: UInt32) -> String { SecretFile.octal(v) }
}

/// Non-blocking TCP for one BGP neighbour: an outgoing connection, a listening socket for the
/// neighbour's, at most one connection owned by the session, and an output queue. Every socket
/// gets the neighbour's MD5 key, GTSM and the device before it connects or listens.
///
/// The transport does not decide: it reports what happened (`BGPTransportEvent`) and the runner
/// feeds it to the session. Watch `listenFD` for input, and `connectionFD` for input plus output
/// while `wantsWrite` (a connect in progress, or queued bytes); `watchGeneration` changes whenever
/// a descriptor is opened or closed, so that an owner can re-register.
public final class BGPTransport {
    public let config: BGPTransportConfig
    public private(set) var listenFD: Int32 = -1
    /// The session's connection, or the outgoing attempt in progress; -1 when neither.
    public private(set) var connectionFD: Int32 = -1
    /// `connectionFD` is an outgoing attempt that has not completed.
    public private(set) var connecting = false
    /// Bumped when a descriptor is opened or closed.
    public private(set) var watchGeneration = 0
    /// An accepted connection offered to the session and not yet adopted or refused.
    private var offeredFD: Int32 = -1
    private var out: [UInt8] = []
    private var outStart = 0
    private var rx = [UInt8].receiveBuffer(count: 65536)
    /// When set, the first `captureLimit` octets received on each connection are kept in `captured`
    /// (tests and debugging).
    public var captureLimit = 0
    public private(set) var captured: [UInt8] = []

    public init(config: BGPTransportConfig) throws(SystemError) {
        self.config = config
        if let port = config.listenPort { try openListener(port) }
    }

    deinit {
        if listenFD >= 0 { close(listenFD) }
        if connectionFD >= 0 { close(connectionFD) }
        if offeredFD >= 0 { close(offeredFD) }
    }

    /// Bytes written to the connection but not yet accepted by the kernel.
    public var queued: Int { out.count - outStart }
    /// The connection needs EPOLLOUT: completing a connect, or draining the output queue.
    public var wantsWrite: Bool { connectionFD >= 0 && (connecting || queued > 0) }
    /// A connection is established (not an attempt).
    public var isConnected: Bool { connectionFD >= 0 && !connecting }

    private var v6: Bool { !config.neighbor.isV4 }
    private var what: String { "BGP neighbour \(config.neighbor)" }

    // MARK: - Sockets

    private func newSocket() throws(SystemError) -> Int32 {
        let fd = socket(v6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        if fd < 0 { throw SystemError("socket(tcp)", object: what) }
        do throws(SystemError) {
            try configure(fd)
        } catch {
            close(fd)
            throw error
        }
        return fd
    }

    /// Device, MD5 key and GTSM: what both the listening and the connecting socket need.
    private func configure(_ fd: Int32) throws(SystemError) {
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, 4)
        if let device = config.device {
            var d = device
            let r = d.withUTF8 { setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, $0.baseAddress, socklen_t($0.count)) }
            if r != 0 { throw SystemError("setsockopt(SO_BINDTODEVICE)", object: what + " on " + device) }
        }
        if let key = config.md5Key {
            var peer = sockaddr_storage(); var len: socklen_t = 0
            fillSockaddr(&peer, &len, config.neighbor, port: 0)
            let r = key.withUnsafeBufferPointer { hedge_tcp_md5sig(fd, &peer, len, $0.baseAddress, Int32($0.count)) }
            if r != 0 { throw SystemError("setsockopt(TCP_MD5SIG)", object: what) }
        }
        if config.gtsm && hedge_gtsm(fd, v6 ? 1 : 0, 254) != 0 {
            throw SystemError("setsockopt(IP_TTL/IP_MINTTL)", object: what)
        }
    }

    private func openListener(_ port: UInt16) throws(SystemError) {
        let fd = try newSocket()
        var sa = sockaddr_storage(); var len: socklen_t = 0
        fillSockaddr(&sa, &len, config.localAddress ?? (v6 ? IPAddress("::")! : .v4(0)), port: port)
        if hedge_bind(fd, &sa, len) != 0 {
            let e = SystemError("bind(tcp/\(port))", object: what); close(fd); throw e
        }
        if listen(fd, 8) != 0 { let e = SystemError("listen", object: what); close(fd); throw e }
        listenFD = fd
        watchGeneration &+= 1
    }

    /// Starts an outgoing connection, replacing an attempt in progress. A failure to even start
    /// (no route, address not yet configured) is reported as `.connectFailed`.
    public func connect() -> [BGPTransportEvent] {
        if connecting { closeConnection() }
        guard connectionFD < 0 else { return [] }     // the session has a connection: nothing to do
        let fd: Int32
        do throws(SystemError) {
            fd = try newSocket()
            if let local = config.localAddress {
                var sa = sockaddr_storage(); var len: socklen_t = 0
                fillSockaddr(&sa, &len, local, port: 0)
                if hedge_bind(fd, &sa, len) != 0 { let e = SystemError("bind", object: what + " from \(local)"); close(fd); throw e }
            }
        } catch {
            return [.connectFailed(error)]
        }
        var sa = sockaddr_storage(); var len: socklen_t = 0
        fillSockaddr(&sa, &len, config.neighbor, port: config.port)
        let r = hedge_connect(fd, &sa, len)
        if r != 0 && hedge_errno() != EINPROGRESS {
            let e = SystemError("connect", object: what)
            close(fd)
            return [.connectFailed(e)]
        }
        adopt(fd, connecting: true)
        // Loopback and some local cases complete at once; the write readiness reports it either way.
        return []
    }

    /// Abandons the outgoing attempt in progress.
    public func cancelConnect() {
        if connecting { closeConnection() }
    }

    /// Adopts the offered incoming connection as the session's.
    public func acceptOffered() {
        guard offeredFD >= 0 else { return }
        if connectionFD >= 0 { closeConnection() }
        adopt(offeredFD, connecting: false)
        offeredFD = -1
        if config.gtsm { _ = hedge_gtsm(connectionFD, v6 ? 1 : 0, 254) }
    }

    /// Closes the offered incoming connection.
    public func refuseOffered() {
        guard offeredFD >= 0 else { return }
        close(offeredFD)
        offeredFD = -1
    }

    /// Queues bytes and writes what the socket takes now.
    public func send(_ bytes: [UInt8]) -> [BGPTransportEvent] {
        guard isConnected else { return [] }
        out.append(contentsOf: bytes)
        return flush()
    }

    /// Closes the connection after one last attempt to write what is queued (a NOTIFICATION).
    public func disconnect() {
        guard connectionFD >= 0 else { return }
        if !connecting {
            _ = flush()
            _ = shutdown(connectionFD, Int32(SHUT_WR))
        }
        closeConnection()
    }

    /// Closes everything, the listening socket included.
    public func shutdownAll() {
        disconnect()
        refuseOffered()
        if listenFD >= 0 { close(listenFD); listenFD = -1; watchGeneration &+= 1 }
    }

    private func adopt(_ fd: Int32, connecting: Bool) {
        connectionFD = fd
        self.connecting = connecting
        out = []
        outStart = 0
        captured = []
        watchGeneration &+= 1
    }

    private func closeConnection() {
        guard connectionFD >= 0 else { return }
        close(connectionFD)
        connectionFD = -1
        connecting = false
        out = []
        outStart = 0
        watchGeneration &+= 1
    }

    // MARK: - Readiness

    /// Handles readiness of one of the transport's descriptors (`events` as epoll reports them).
    public func ready(fd: Int32, events: UInt32) -> [BGPTransportEvent] {
        if fd == listenFD && fd >= 0 { return acceptPending() }
        guard fd == connectionFD && fd >= 0 else { return [] }
        if connecting {
            // Completion (or failure) of a non-blocking connect shows as writability or an error.
            let err = hedge_so_error(fd)
            if err != 0 {
                closeConnection()
                return [.connectFailed(SystemError("connect", errno: err, object: what))]
            }
            if events & UInt32(EPOLLOUT.rawValue | EPOLLERR.rawValue | EPOLLHUP.rawValue) == 0 { return [] }
            // Still in progress (a stale readiness of an earlier descriptor with the same number).
            var sa = sockaddr_storage(); var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
            if hedge_getpeername(fd, &sa, &len) != 0 { return [] }
            connecting = false
            return [.connected(local: localAddress(fd))]
        }
        var result: [BGPTransportEvent] = []
        if events & UInt32(EPOLLOUT.rawValue) != 0 { result += flush() }
        if connectionFD == fd && events & UInt32(EPOLLIN.rawValue | EPOLLERR.rawValue | EPOLLHUP.rawValue | EPOLLRDHUP.rawValue) != 0 {
            result += receive()
        }
        return result
    }

    /// Reads everything queued; bytes first, then the end of the connection if it ended.
    public func receive() -> [BGPTransportEvent] {
        guard isConnected else { return [] }
        var got: [UInt8] = []
        var end: BGPTransportEvent?
        while true {
            let fd = connectionFD
            let n = rx.withUnsafeMutableBytes { b in retryingEINTR { recv(fd, b.baseAddress, b.count, Int32(MSG_DONTWAIT)) } }
            if n > 0 { got.append(contentsOf: rx[0..<n]); continue }
            if n == 0 { end = .closed(SystemError("recv", errno: 0, object: what + ": connection closed by the peer")); break }
            let e = hedge_errno()
            if e == EAGAIN || e == EWOULDBLOCK { break }
            end = .closed(SystemError("recv", errno: e, object: what))
            break
        }
        if captured.count < captureLimit && !got.isEmpty {
            captured.append(contentsOf: got.prefix(captureLimit - captured.count))
        }
        var result: [BGPTransportEvent] = []
        if !got.isEmpty { result.append(.received(got)) }
        if let end { closeConnection(); result.append(end) }
        return result
    }

    private func flush() -> [BGPTransportEvent] {
        guard isConnected else { return [] }
        while outStart < out.count {
            let fd = connectionFD
            let start = outStart
            let n = out.withUnsafeBytes { b in
                retryingEINTR { CHedge.send(fd, b.baseAddress! + start, b.count - start, Int32(MSG_DONTWAIT | MSG_NOSIGNAL)) }
            }
            if n > 0 { outStart += n; continue }
            let e = hedge_errno()
            if n < 0 && (e == EAGAIN || e == EWOULDBLOCK) { break }
            closeConnection()
            return [.closed(SystemError("send", errno: e, object: what))]
        }
        if outStart == out.count { out = []; outStart = 0 }
        else if outStart > 65536 { out.removeFirst(outStart); outStart = 0 }
        return []
    }

    private func acceptPending() -> [BGPTransportEvent] {
        var result: [BGPTransportEvent] = []
        while true {
            let fd = hedge_accept(listenFD)
            if fd < 0 { break }
            var sa = sockaddr_storage(); var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let from: IPAddress? = hedge_getpeername(fd, &sa, &len) == 0 ? bgpAddress(sa) : nil
            // Only the configured neighbour (an IPv4 peer may show as v4-mapped on an IPv6 socket).
            guard let from, from == config.neighbor || from.mappedV4 == config.neighbor else {
                close(fd)
                result.append(.strangerRefused(from))
                continue
            }
            refuseOffered()
            offeredFD = fd
            result.append(.offered)
            // One offer at a time: the runner adopts or refuses it before the next accept.
            break
        }
        return result
    }

    private func localAddress(_ fd: Int32) -> IPAddress? {
        var sa = sockaddr_storage(); var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        return hedge_getsockname(fd, &sa, &len) == 0 ? bgpAddress(sa) : nil
    }

    /// Our address on the session's connection.
    public var connectionLocalAddress: IPAddress? { isConnected ? localAddress(connectionFD) : nil }
}

/// What happened on the transport.
public enum BGPTransportEvent {
    /// The outgoing connection completed.
    case connected(local: IPAddress?)
    /// The outgoing attempt failed (refused, unreachable, timed out) or could not start.
    case connectFailed(SystemError)
    /// The neighbour connected; `acceptOffered` or `refuseOffered` must follow.
    case offered
    /// A connection from another address was closed.
    case strangerRefused(IPAddress?)
    case received([UInt8])
    /// The connection ended (the peer closed it, reset it, or a write failed); it is closed.
    case closed(SystemError)
}

func bgpAddress(_ ss: sockaddr_storage) -> IPAddress? {
    let family = Int32(ss.ss_family)
    return withUnsafeBytes(of: ss) { raw -> IPAddress? in
        if family == AF_INET {
            let sin = raw.load(as: sockaddr_in.self)
            return IPAddress(bytes: withUnsafeBytes(of: sin.sin_addr) { [UInt8]($0) })
        }
        if family == AF_INET6 {
            let sin6 = raw.load(as: sockaddr_in6.self)
            return IPAddress(bytes: withUnsafeBytes(of: sin6.sin6_addr) { [UInt8]($0) })
        }
        return nil
    }
}
