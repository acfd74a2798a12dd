/// `reporting { ... }`: where hedge tells the outside world how it is doing.
public struct ReportingConfig: Sendable, Equatable {
    /// `/metrics` (Prometheus text) and `/status` (JSON); nil after `http off;`.
    public var http: HTTPListenConfig? = HTTPListenConfig()
    /// Structured RFC 5424 records of every state change; nil (the default) sends none.
    public var syslog: SyslogDestination?
    /// RFC 5424 facility code (daemon = 3).
    public var syslogFacility: Int = 3
    /// Events pushed as JSON to a collector, queued on disk while it is unreachable.
    public var push: PushConfig?
    public init() {}
}

public struct HTTPListenConfig: Sendable, Equatable {
    /// Loopback by default: metrics tell an attacker when the backup is down.
    public var address: IPAddress
    public var port: UInt16
    public static let defaultPort: UInt16 = 9180
    public init(address: IPAddress = IPAddress("127.0.0.1")!, port: UInt16 = HTTPListenConfig.defaultPort) {
        self.address = address; self.port = port
    }
}

public enum SyslogDestination: Sendable, Equatable {
    /// A unix datagram socket: the local syslog daemon ("/dev/log" for rsyslog, syslog-ng and
    /// journald's forwarder).
    case local(String)
    /// RFC 5426: one record per UDP datagram (514 is the registered port).
    case udp(IPAddress, UInt16)
}

public struct PushConfig: Sendable, Equatable {
    /// `http://ADDRESS[:PORT]/PATH`, as written.
    public var url: String
    /// Directory of the on-disk queue (events raised while the collector is away, and the ids).
    public var spool: String
    /// The queue's bound: beyond it the oldest events are dropped and counted.
    public var maxEvents: Int
    public init(url: String, spool: String = "/var/lib/hedge/events", maxEvents: Int = 10_000) {
        self.url = url; self.spool = spool; self.maxEvents = maxEvents
    }
}
