import CHedge
import HedgeCore

/// The root-only unix control socket: one request line in, one response out, like birdc's.
/// Mode 0600 keeps others out at connect; SO_PEERCRED is checked again on accept.
public final class ControlServer {
    public let fd: Int32
    public let path: String
    /// request line -> response text
    public var handler: (String) -> String = { _ in "" }
    /// Who may ask besides root: the user that started the agent (root on a router; the developer
    /// running an unprivileged lab), never the user it drops to with `--user`.
    let owner = Int32(getuid())

    public init(path: String) throws(SystemError) {
        self.path = path
        var addr = sockaddr_un()
        guard path.utf8.count < MemoryLayout.size(ofValue: addr.sun_path) else {
            throw SystemError("bind", errno: ENAMETOOLONG, object: path)
        }
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        if fd < 0 { throw SystemError("socket(AF_UNIX)", object: path) }
        makeParentDirectory(path)
        unlink(path)   // a stale socket from a previous run
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            var p = path
            p.withUTF8 { raw.copyBytes(from: $0) }
        }
        let oldMask = umask(0o177)
        let r = hedge_bind(fd, &addr, socklen_t(MemoryLayout<sockaddr_un>.size))
        umask(oldMask)
        if r != 0 { let e = SystemError("bind", object: path); close(fd); throw e }
        if listen(fd, 8) != 0 { let e = SystemError("listen", object: path); close(fd); throw e }
    }

    /// Stops serving: the socket file goes away with it (a stale one would refuse the next agent's
    /// clients with "connection refused" rather than "no such file").
    public func shutdown() {
        for c in order { loop?.remove(c); close(c) }
        pending.removeAll()
        order = []
        loop?.remove(fd)
        loop = nil
        close(fd)
        unlink(path)
    }

    /// Requests being read, by client fd. Nothing here blocks: a client that connects and says
    /// nothing must not stall the event loop (probes and timers run on it).
    private var pending = HashMap<Int32, [UInt8]>()
    private var order: [Int32] = []   // pending clients, oldest first
    private var loop: EventLoop?

    /// Serves on `loop`: accepts here, reads each client when it is readable.
    public func attach(to loop: EventLoop) throws(SystemError) {
        self.loop = loop
        try loop.add(fd) { _ in self.acceptAll() }
    }

    func acceptAll() {
        while true {
            let c = hedge_accept(fd)
            if c < 0 { return }
            if hedge_peer_uid(c) != owner && hedge_peer_uid(c) != 0 {
                FileIO.writeAll(c, "error: permission denied\n")
                close(c)
                continue
            }
            if let oldest = order.first, order.count >= 16 { finish(oldest); close(oldest) }   // the longest-idle makes room
            pending[c] = []
            order.append(c)
            do { try loop?.add(c) { _ in self.readable(c) } } catch { pending[c] = nil; close(c) }
        }
    }

    private func readable(_ c: Int32) {
        var buf = [UInt8](repeating: 0, count: 512)
        let n = buf.withUnsafeMutableBytes { read(c, $0.baseAddress, $0.count) }
        if n < 0 && (hedge_errno() == EAGAIN || hedge_errno() == EINTR) { return }
        var line = pending[c] ?? []
        if n > 0 { line.append(contentsOf: buf[0..<n]) }
        if n > 0 && !line.contains(10) && line.count < 512 { pending[c] = line; return }
        finish(c)
        guard n > 0 || !line.isEmpty else { return }
        let request = String(decoding: line.prefix { $0 != 10 && $0 != 13 }, as: UTF8.self)
        // Answers are small (a few KiB) against a unix socket's send buffer (~200 KiB): one write.
        FileIO.writeAll(c, handler(request), nonBlocking: true)
        close(c)
    }

    private func finish(_ c: Int32) {
        loop?.remove(c)
        pending[c] = nil
        order.removeAll { $0 == c }
    }
}

func makeParentDirectory(_ path: String) {
    guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")), slash != path.utf8.startIndex else { return }
    let dir = String(path[..<slash])
    _ = mkdir(dir, 0o700)
}

/// `hedge status`: connects, sends one line, returns everything the agent answered.
public enum ControlClient {
    public static func request(path: String, _ line: String) throws(SystemError) -> String {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        if fd < 0 { throw SystemError("socket(AF_UNIX)") }
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            var p = path
            p.withUTF8 { raw.copyBytes(from: $0.prefix(raw.count - 1)) }
        }
        // Before the connect: a unix connect waits while a wedged agent's backlog is full, bounded
        // only by SO_SNDTIMEO.
        _ = hedge_set_blocking_timeout(fd, 5000)
        if hedge_connect(fd, &addr, socklen_t(MemoryLayout<sockaddr_un>.size)) != 0 {
            throw SystemError("connect", object: path)
        }
        FileIO.writeAll(fd, line + "\n")
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 { throw SystemError("read", object: path) }
            if n == 0 { break }
            out.append(contentsOf: buf[0..<n])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
