/// One path's reflect-probe figures for status: what went out, what came back, in which direction
/// the rest was lost, and round-trip times in µs.
///
/// One-way loss needs the reflector's count of requests it received from this session and path,
/// which every reply carries (`count`, within an `epoch`). At the newest reply (highest sequence w):
/// forward loss = requests sent up to w − count; return loss = count − replies received (the
/// reflector answers every request it counts). Both are frozen while nothing comes back: during a
/// total outage the direction is unknown, and the first reply afterwards settles it. A new epoch
/// (the reflector restarted or forgot the sender) starts the accounting again from that reply,
/// keeping what was counted before.
public struct ReflectStats: Sendable, Equatable {
    public private(set) var sent = 0
    /// Authentic replies matched to an outstanding request.
    public private(set) var received = 0
    public var forwardLoss: Int { carriedForward + max(segmentForward, 0) }
    public var returnLoss: Int { carriedReturn + max(segmentReturn, 0) }
    /// Requests after the newest answered one: in flight, or lost in a direction not known yet.
    public var unanswered: Int { max(0, sent - received - forwardLoss - returnLoss) }
    public private(set) var lastRTTUs: Int64?
    public private(set) var minRTTUs: Int64?
    public var avgRTTUs: Int64? { received == 0 ? nil : rttSumUs / Int64(received) }
    /// Datagrams that failed authentication (malformed, another key, bad MAC).
    public internal(set) var rejected = 0
    /// Authentic replies that answer no outstanding request: a replay, a duplicate, a reply to
    /// another session or path, or one too late to be waited for.
    public internal(set) var unmatched = 0
    /// Times the reflector's counter epoch changed (restart or eviction).
    public private(set) var epochChanges = 0

    private var rttSumUs: Int64 = 0
    private var epoch: UInt32?
    /// Sequence of the first request of the current accounting segment.
    private var segmentStart: UInt32 = 0
    /// Replies received before the current segment.
    private var receivedBefore = 0
    private var highest: UInt32 = 0
    /// The reflector's count in the reply to `highest`.
    private var latestCount: UInt32 = 0
    private var segmentForward = 0
    private var segmentReturn = 0
    private var carriedForward = 0
    private var carriedReturn = 0
    private var firstSent: UInt32?

    public init() {}

    public mutating func requestSent(sequence: UInt32) {
        if firstSent == nil { firstSent = sequence }
        sent += 1
    }

    /// An authentic reply to outstanding request `sequence`.
    public mutating func replyReceived(sequence: UInt32, epoch e: UInt32, count: UInt32, rttUs: Int64) {
        received += 1
        let rtt = max(rttUs, 0)
        lastRTTUs = rtt
        minRTTUs = min(minRTTUs ?? rtt, rtt)
        rttSumUs &+= rtt
        if let current = epoch {
            if e != current {
                carriedForward += max(segmentForward, 0)
                carriedReturn += max(segmentReturn, 0)
                epochChanges += 1
                epoch = e
                segmentStart = sequence &- count &+ 1
                receivedBefore = received - 1
                highest = sequence
            } else if Int32(bitPattern: sequence &- highest) > 0 {
                highest = sequence
            } else {
                // A late (reordered) reply: the reflector counted it already at `highest`.
                segmentReturn = Int(latestCount) - (received - receivedBefore)
                return
            }
        } else {
            epoch = e
            segmentStart = firstSent ?? sequence
            highest = sequence
        }
        latestCount = count
        let sentUpTo = highest &- segmentStart &+ 1
        segmentForward = Int(Int32(bitPattern: sentUpTo &- count))
        segmentReturn = Int(count) - (received - receivedBefore)
    }
}
