import CHedge
import HedgeCore

/// Where the agent raises events: each goes to syslog, into the spool, and the pusher is told.
/// Every event gets an id, with or without a spool (then from an instance id made at start).
public final class EventLog {
    public let hostname: String
    public let syslog: SyslogSink?
    public let spool: EventSpool?
    public let pusher: EventPusher?
    /// Called with every event after it is sent and stored (the agent's own log, status).
    public var onEvent: (HedgeEvent) -> Void = { _ in }
    public private(set) var emitted = 0
    /// Ids when there is no spool: unique per run, not across runs (nothing remembers them).
    public let instanceID: String
    private var nextSeq: UInt64 = 1

    public init(hostname: String, syslog: SyslogSink?, spool: EventSpool?, pusher: EventPusher?) {
        self.hostname = hostname; self.syslog = syslog; self.spool = spool; self.pusher = pusher
        spool?.hostname = hostname
        instanceID = spool?.instanceID ?? EventSpool.newInstanceID()
    }

    /// `wallMs` is what people read (CLOCK_REALTIME); `now` the monotonic time for the pusher.
    @discardableResult
    public func emit(type: String, severity: SyslogSeverity, message: String, fields: [EventField] = [],
                     wallMs: Int64, now: Millis) -> HedgeEvent {
        var e = HedgeEvent(wallMs: wallMs, type: type, severity: severity, message: message, fields: fields)
        if let spool {
            spool.append(&e)
        } else {
            e.seq = nextSeq
            e.id = "\(instanceID)-\(nextSeq)"
            nextSeq += 1
        }
        syslog?.send(e)
        pusher?.kick(now: now)
        emitted += 1
        onEvent(e)
        return e
    }

    /// The kernel's host name (gethostname(2)) as it is: RFC 5424 §6.2.4 prefers an FQDN, which
    /// would need DNS. Empty when there is none (SyslogFormat writes NILVALUE then).
    public static func systemHostname() -> String {
        var buf = [UInt8](repeating: 0, count: 256)
        let r = buf.withUnsafeMutableBytes { gethostname($0.baseAddress!.assumingMemoryBound(to: CChar.self), 255) }
        guard r == 0 else { return "" }
        let n = buf.firstIndex(of: 0) ?? buf.count
        return String(decoding: buf[0..<n], as: UTF8.self)
    }
}
