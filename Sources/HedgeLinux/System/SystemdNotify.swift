import CHedge
import HedgeCore   // its out-of-line string interpolation (Support/StringOutOfLine.swift)

/// The service manager's notify protocol (sd_notify(3)) without libsystemd: datagrams of
/// `KEY=VALUE` lines to $NOTIFY_SOCKET. With `Type=notify` systemd waits for READY=1; with
/// `WatchdogSec=` it restarts an agent whose event loop stops sending WATCHDOG=1.
public final class SystemdNotify {
    let fd: Int32
    var address = sockaddr_un()
    let addressLength: socklen_t
    /// Half the watchdog period (ms), or nil without a watchdog for this process.
    public let watchdogIntervalMs: Int64?
    public private(set) var sent = 0
    public private(set) var errors = 0

    /// nil when not started by a service manager (no NOTIFY_SOCKET).
    public static func fromEnvironment() -> SystemdNotify? {
        guard let p = getenv("NOTIFY_SOCKET") else { return nil }
        let path = String(cString: p)
        var interval: Int64?
        if let w = getenv("WATCHDOG_USEC"), let usec = Int64(String(cString: w)), usec > 0 {
            // WATCHDOG_PID, when set, names the process the watchdog is meant for.
            let forUs = getenv("WATCHDOG_PID").map { Int32(String(cString: $0)) == getpid() } ?? true
            if forUs { interval = max(usec / 2000, 1) }
        }
        return SystemdNotify(path: path, watchdogIntervalMs: interval)
    }

    init?(path: String, watchdogIntervalMs: Int64?) {
        var bytes = Array(path.utf8)
        guard !bytes.isEmpty, bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return nil }
        // "@name" is a socket in the abstract namespace: its first byte is NUL.
        if bytes[0] == UInt8(ascii: "@") { bytes[0] = 0 }
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue | SOCK_CLOEXEC.rawValue | SOCK_NONBLOCK.rawValue), 0)
        if fd < 0 { return nil }
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in raw.copyBytes(from: bytes) }
        addressLength = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (bytes[0] == 0 ? 0 : 1))
        self.watchdogIntervalMs = watchdogIntervalMs
    }

    deinit { close(fd) }

    /// Sends one state message ("READY=1\nSTATUS=…").
    public func send(_ state: String) {
        var s = state
        let n = s.withUTF8 { b in withUnsafePointer(to: &address) { a in
            hedge_sendto(fd, b.baseAddress, b.count, Int32(MSG_NOSIGNAL), a, addressLength)
        } }
        if n < 0 { errors += 1 } else { sent += 1 }
    }

    public func ready(status: String) { send("READY=1\nSTATUS=\(status)\nMAINPID=\(getpid())") }
    public func reloading(nowUs: Int64) { send("RELOADING=1\nMONOTONIC_USEC=\(nowUs)") }
    public func stopping() { send("STOPPING=1") }
    public func status(_ s: String) { send("STATUS=\(s)") }
    public func watchdog() { send("WATCHDOG=1") }
}
