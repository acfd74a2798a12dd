import CHedge
import HedgeCore

/// Log lines on stderr with a UTC millisecond timestamp (journald and `hedge run` in a terminal
/// both read stderr). Structured events go to syslog in a later layer.
public enum Log {
    nonisolated(unsafe) public static var verbose = false  // one thread: the event loop
    @inline(never) public static func info(_ s: String) { line("info", s) }
    public static func warn(_ s: String) { line("warning", s) }
    public static func error(_ s: String) { line("error", s) }
    public static func debug(_ s: String) { if verbose { line("debug", s) } }
    private static func line(_ level: String, _ s: String) {
        writeErr("\(CivilTime(epochMs: Clock.realtimeMs()).iso8601) hedge[\(getpid())] \(level): \(s)")
    }
}
