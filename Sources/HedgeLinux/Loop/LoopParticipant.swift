import HedgeCore

/// Something the event loop drives by time. The loop keeps each participant's next deadline in one
/// heap and sleeps until the earliest: nothing is ticked unless it is due.
///
/// After a participant's own descriptor was served, or after it fired, the loop asks it again for
/// its deadline. Work that changes another participant's deadline says so with
/// `EventLoop.reschedule` (or `rescheduleAll`, for rare events that touch many).
public protocol LoopParticipant: AnyObject {
    /// When it next needs `fire` (monotonic µs); nil while it waits only for its descriptors.
    func nextDeadline(nowUs: Int64) -> Int64?
    /// Its deadline has come. It does whatever is due at `nowUs`, and nothing that is not.
    func fire(nowUs: Int64)
}

/// A participant made of two closures, for the agent's smaller timers (drill holds, the watchdog,
/// reporting): one line each where the agent lists what its loop drives.
public final class LoopTimer: LoopParticipant {
    public let name: String
    private let deadline: (Int64) -> Int64?
    private let action: (Int64) -> Void

    /// `deadline` and `fire` work in monotonic µs.
    public init(_ name: String, deadline: @escaping (Int64) -> Int64?, fire: @escaping (Int64) -> Void) {
        self.name = name; self.deadline = deadline; self.action = fire
    }

    /// The same in milliseconds, as most of the agent's clocks are.
    public init(_ name: String, ms deadline: @escaping (Millis) -> Millis?, fire: @escaping (Millis) -> Void) {
        self.name = name
        self.deadline = { us in deadline(us / 1000).map { $0 * 1000 } }
        self.action = { us in fire(us / 1000) }
    }

    public func nextDeadline(nowUs: Int64) -> Int64? { deadline(nowUs) }
    public func fire(nowUs: Int64) { action(nowUs) }
}
