import CHedge
import HedgeCore

/// One client connection of `HTTPServer`: what it has sent that is not yet answered, what it is
/// yet to receive, and the times that bound both.
final class HTTPConnection {
    enum Phase {
        /// Reading requests and answering them in order.
        case open
        /// The last response is queued (an error, or `Connection: close`): nothing more is read
        /// as a request.
        case closeAfterWrite
        /// Our side is shut (FIN sent); the client's remaining bytes are read and dropped until it
        /// closes too, so that closing does not reset the connection while the response is still
        /// in flight (RFC 9112 §9.6, "lingering close").
        case lingering(since: Millis)
    }

    let fd: Int32
    /// Whom `connectionsPerSource` counts this connection against (`HTTPServer.sourceKey`); nil
    /// when the kernel would not say.
    let source: IPAddress?
    let accepted: Millis
    var phase = Phase.open
    /// Last octet received or sent.
    var lastActive: Millis
    /// When the first octet of the request being read arrived.
    var requestStarted: Millis
    /// Received octets not yet consumed by a complete request.
    var input: [UInt8] = []
    /// `input.count` when the parser last said `.incomplete`: it is not asked again before a line
    /// ends or another `reparseStep` octets arrive (a client sending one octet at a time must not
    /// make every read cost a rescan of its head).
    var parsedCount = 0
    var output: [UInt8] = []
    var outputStart = 0
    /// Responses queued on this connection.
    var served = 0
    /// The client has shut its side (read returned 0).
    var peerClosed = false
    /// The epoll events currently registered.
    var watching: UInt32 = 0

    static let reparseStep = 1024

    init(fd: Int32, source: IPAddress?, now: Millis) {
        self.fd = fd; self.source = source; accepted = now; lastActive = now; requestStarted = now
    }

    var pendingOutput: Int { output.count - outputStart }

    var isLingering: Bool { if case .lingering = phase { return true } else { return false } }

    /// Part of a head has arrived, the rest has not.
    var isReadingHead: Bool {
        guard case .open = phase, pendingOutput == 0 else { return false }
        return !input.isEmpty
    }

    /// How readily the connection is closed to make room for a newcomer (lower first), and since
    /// when it has stood there (earlier first); nil when it must not be: its request is being
    /// answered. First those whose response is done (lingering). Then heads still arriving, the
    /// oldest first: an honest head is one small write and arrives at once, so the oldest is a
    /// client that trickles, and a trickle is never idle. Then the idle, the longest idle first.
    /// Last, those that have said nothing yet within `newGraceMs` of being accepted: a request
    /// may be on its way, and they go oldest first, so a burst of newcomers does not push out
    /// its own youngest.
    func evictionRank(now: Millis, newGraceMs: Millis) -> (rank: Int, since: Millis)? {
        if isLingering { return (0, lastActive) }
        if isReadingHead { return (1, requestStarted) }
        guard case .open = phase, pendingOutput == 0 else { return nil }
        if served > 0 || now - accepted >= newGraceMs { return (2, lastActive) }
        return (3, accepted)
    }

    /// When the connection is closed for lack of progress.
    func deadline(idleMs: Millis, headMs: Millis, lingerMs: Millis) -> Millis {
        switch phase {
        case .lingering(let since): return since + lingerMs
        case .closeAfterWrite: return lastActive + idleMs
        case .open:
            // A head must arrive whole within its own time, counted from its first octet:
            // dripping octets does not extend it.
            if isReadingHead { return requestStarted + headMs }
            return lastActive + idleMs
        }
    }

    /// Whether the parser should look at `input` again: a line ended since it last said
    /// `.incomplete`, or enough arrived that a limit may have been crossed.
    func worthParsing(limit: Int) -> Bool {
        if input.isEmpty { return false }
        if parsedCount == 0 || input.count >= limit || input.count - parsedCount >= HTTPConnection.reparseStep { return true }
        var i = parsedCount
        while i < input.count {
            if input[i] == 10 { return true }
            i += 1
        }
        return false
    }

    /// Takes the first `n` input octets away (a request was answered).
    func consume(_ n: Int, now: Millis) {
        input.removeFirst(n)
        parsedCount = 0
        requestStarted = now
    }
}
