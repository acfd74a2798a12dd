/// One state change worth telling a person or a collector about: a failover, a path going down, a
/// BGP session, a reload. Syslog (SyslogFormat) and the HTTP collector (EventJSON) render the same
/// value, so both carry the same id.
public struct HedgeEvent: Sendable, Equatable {
    /// `"<instance>-<seq>"`: unique across restarts, so a collector can drop a re-delivery.
    public var id: String
    /// Per instance, from 1, without gaps in what one spool hands out.
    public var seq: UInt64
    /// Wall-clock milliseconds since the epoch (what a person correlates with other logs).
    public var wallMs: Int64
    /// A short machine-readable kind: "failover", "failback", "path_down", "path_up", "bfd_state",
    /// "bgp_state", "sa_up", "sa_down", "no_redundancy", "redundancy_restored", "config_reload",
    /// "config_reload_failed", "start", "stop", "drill", "kernel_error". It becomes syslog's MSGID.
    public var type: String
    public var severity: SyslogSeverity
    public var message: String
    /// Extra facts ("path" = "er", "from" = "vpn"): strings, in order.
    public var fields: [EventField]

    public init(id: String = "", seq: UInt64 = 0, wallMs: Int64, type: String, severity: SyslogSeverity,
                message: String, fields: [EventField] = []) {
        self.id = id; self.seq = seq; self.wallMs = wallMs; self.type = type; self.severity = severity
        self.message = message; self.fields = fields
    }

    /// The first field of that name.
    public func field(_ name: String) -> String? { fields.first { $0.name == name }?.value }
}

public struct EventField: Sendable, Equatable {
    public var name: String
    public var value: String
    public init(_ name: String, _ value: String) { self.name = name; self.value = value }
    public init(name: String, value: String) { self.name = name; self.value = value }
}

/// RFC 5424 §6.2.1, table 2.
public enum SyslogSeverity: Int, Sendable, CaseIterable {
    case emergency = 0, alert = 1, critical = 2, error = 3, warning = 4, notice = 5, informational = 6, debug = 7

    /// Lower-case RFC 5424 name: what the JSON's "severity" member says.
    public var name: String {
        switch self {
        case .emergency: return "emergency"
        case .alert: return "alert"
        case .critical: return "critical"
        case .error: return "error"
        case .warning: return "warning"
        case .notice: return "notice"
        case .informational: return "informational"
        case .debug: return "debug"
        }
    }

    /// The RFC 5424 name or syslog.conf's short one ("emerg", "crit", "err", "info").
    public init?(name: String) {
        switch asciiLowercased(name) {
        case "emergency", "emerg", "panic": self = .emergency
        case "alert": self = .alert
        case "critical", "crit": self = .critical
        case "error", "err": self = .error
        case "warning", "warn": self = .warning
        case "notice": self = .notice
        case "informational", "info": self = .informational
        case "debug": self = .debug
        default: return nil
        }
    }
}

/// RFC 5424 §6.2.1, table 1: the facility part of PRI (0...23).
public struct SyslogFacility: Sendable, Equatable {
    public let code: Int

    public init?(code: Int) {
        guard (0...23).contains(code) else { return nil }
        self.code = code
    }
    private init(_ code: Int) { self.code = code }

    public static let user = SyslogFacility(1)
    /// The default: hedge is a system daemon.
    public static let daemon = SyslogFacility(3)
    public static let auth = SyslogFacility(4)
    public static let local0 = SyslogFacility(16)
    public static let local1 = SyslogFacility(17)
    public static let local2 = SyslogFacility(18)
    public static let local3 = SyslogFacility(19)
    public static let local4 = SyslogFacility(20)
    public static let local5 = SyslogFacility(21)
    public static let local6 = SyslogFacility(22)
    public static let local7 = SyslogFacility(23)

    /// RFC 5424 §6.2.1's facilities as syslog.conf names them.
    public static let names: [(String, Int)] = [
        ("kern", 0), ("user", 1), ("mail", 2), ("daemon", 3), ("auth", 4), ("syslog", 5), ("lpr", 6),
        ("news", 7), ("uucp", 8), ("cron", 9), ("authpriv", 10), ("ftp", 11),
        ("local0", 16), ("local1", 17), ("local2", 18), ("local3", 19), ("local4", 20), ("local5", 21),
        ("local6", 22), ("local7", 23),
    ]

    /// "daemon", "local3", ... (any case).
    public init?(name: String) {
        let n = asciiLowercased(name)
        guard let code = SyslogFacility.names.first(where: { $0.0 == n })?.1 else { return nil }
        self.init(code)
    }
}

/// ASCII-only lower case: configuration keywords, without Unicode tables.
func asciiLowercased(_ s: String) -> String {
    var out = ""
    for u in s.unicodeScalars {
        if u.value >= 65 && u.value <= 90 { out.unicodeScalars.append(Unicode.Scalar(u.value + 32)!) } else { out.unicodeScalars.append(u) }
    }
    return out
}
