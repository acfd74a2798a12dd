import CHedge
import HedgeCore

/// RFC 5424 records to a syslog receiver, one datagram each, never blocking the loop: a record
/// the socket does not take at once is counted in `errors` and dropped (the spool, not syslog, is
/// the reliable path). A local receiver that restarted (rsyslogd re-creating /dev/log) is reached
/// again: the socket reconnects when a send finds it gone, and on the next send after that.
public final class SyslogSink {
    public static let defaultSocket = "/dev/log"

    public let target: SyslogDestination
    public let facility: SyslogFacility
    public let hostname: String
    public let appName: String
    public let procID: String
    /// Records the socket took; records dropped (unreachable, buffer full, too big); reconnects
    /// of the local socket.
    public private(set) var sent = 0
    public private(set) var errors = 0
    public private(set) var reconnects = 0
    public private(set) var lastError: String?

    private var fd: Int32 = -1
    private var connected = false

    public init(target: SyslogDestination = .local(SyslogSink.defaultSocket), facility: SyslogFacility = .daemon, hostname: String,
                appName: String = "hedge") throws(SystemError) {
        self.target = target; self.facility = facility; self.hostname = hostname; self.appName = appName
        procID = "\(getpid())"
        if case .local(let path) = target {
            let addr = sockaddr_un()
            guard path.utf8.count < MemoryLayout.size(ofValue: addr.sun_path) else {
                throw SystemError("connect", errno: ENAMETOOLONG, object: path)
            }
        }
        try openSocket()
        // A receiver not there yet is no reason to fail start-up: the first send tries again.
        _ = connectSocket()
    }

    deinit { if fd >= 0 { close(fd) } }

    public var isConnected: Bool { connected }

    public func send(_ e: HedgeEvent) {
        send(record: SyslogFormat.record(e, facility: facility, hostname: hostname, appName: appName, procID: procID))
    }

    /// One preformatted record.
    public func send(record: String) {
        if !connected {
            reconnects += 1
            if !reconnect() { errors += 1; return }
        }
        var err = transmit(record)
        if err == 0 { sent += 1; return }
        if case .local = target, err == ECONNREFUSED || err == ENOENT || err == ENOTCONN {
            // The receiver went away (its socket file replaced): one fresh connect, one retry.
            reconnects += 1
            if reconnect() {
                err = transmit(record)
                if err == 0 { sent += 1; return }
            }
            connected = false
        }
        errors += 1
        lastError = "syslog \(where_): " + errnoString(err)
    }

    private var where_: String {
        switch target {
        case .local(let p): return p
        case .udp(let a, let port): return a.isV4 ? "\(a):\(port)" : "[\(a)]:\(port)"
        }
    }

    /// 0, or the errno of the failed send.
    private func transmit(_ record: String) -> Int32 {
        var r = record
        let n = r.withUTF8 { buf in
            retryingEINTR { CHedge.send(fd, buf.baseAddress, buf.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL)) }
        }
        return n >= 0 ? 0 : hedge_errno()
    }

    private func reconnect() -> Bool {
        if fd >= 0 { close(fd); fd = -1 }
        do throws(SystemError) { try openSocket() } catch {
            lastError = error.description
            return false
        }
        return connectSocket()
    }

    private func openSocket() throws(SystemError) {
        let family: Int32
        switch target {
        case .local: family = AF_UNIX
        case .udp(let a, _): family = a.isV4 ? AF_INET : AF_INET6
        }
        fd = socket(family, Int32(SOCK_DGRAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        if fd < 0 { throw SystemError("socket(syslog)", object: where_) }
    }

    private func connectSocket() -> Bool {
        let r: Int
        switch target {
        case .local(let path):
            var addr = sockaddr_un()
            addr.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &addr.sun_path) { raw in
                var q = path
                q.withUTF8 { raw.copyBytes(from: $0) }
            }
            r = retryingEINTR { Int(hedge_connect(fd, &addr, socklen_t(MemoryLayout<sockaddr_un>.size))) }
        case .udp(let a, let port):
            // connect(2) on UDP: send without an address, and learn of ICMP unreachables.
            var sa = sockaddr_storage(); var len: socklen_t = 0
            fillSockaddr(&sa, &len, a, port: port)
            r = retryingEINTR { Int(hedge_connect(fd, &sa, len)) }
        }
        connected = r == 0
        if !connected { lastError = SystemError("connect", object: where_).description }
        return connected
    }
}
