import CHedge
import HedgeCore

/// Log lines on stderr with a UTC millisecond timestamp (journald and `hedge run` in a terminal
/// both read stderr). The state changes an operator acts on are events as well (Events/: RFC 5424
/// syslog and the push queue); these lines are for whoever reads the agent's own output.
public enum Log {
    nonisolated(unsafe) public static var verbose = false  // one thread: the event loop
    /// The program the lines name (hedge-reflect sets its own).
    nonisolated(unsafe) public static var program = "hedge"
    @inline(never) public static func info(_ s: String) { line("info", s) }
    public static func warn(_ s: String) { line("warning", s) }
    public static func error(_ s: String) { line("error", s) }
    public static func debug(_ s: String) { if verbose { line("debug", s) } }
    /// Lines a full stderr could not take (see `neverBlock`); the next line that goes out says so.
    nonisolated(unsafe) static var dropped = 0

    private static func line(_ level: String, _ s: String) {
        let stamp = "\(CivilTime(epochMs: Clock.realtimeMs()).iso8601) \(program)[\(getpid())] "
        var text = stamp + "\(level): \(s)\n"
        if dropped > 0 { text = stamp + "warning: \(dropped) log lines dropped: stderr was full\n" + text }
        if FileIO.writeAll(2, text) { dropped = 0 } else { dropped += 1 }
    }

    /// The agent's loop must not wait on its log: when stderr is a pipe or a socket (journald's
    /// stream, a pager), it becomes non-blocking and a line that does not fit is dropped and
    /// counted. A terminal stays as it is.
    public static func neverBlock() {
        var st = stat()
        guard fstat(2, &st) == 0 else { return }
        let type = st.st_mode & UInt32(S_IFMT)
        if type == UInt32(S_IFIFO) || type == UInt32(S_IFSOCK) { _ = hedge_fcntl_nonblock(2) }
    }
}
