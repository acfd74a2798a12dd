import CHedge
import HedgeCore

/// A group's `measure reflect` probe: reflect requests from an on-prem LAN address, with no fwmark
/// and no bound device, so that they leave along the group's routes like the LAN's traffic and their
/// replies are taken from whichever device Azure's routing brings them in on. Its figures go to the
/// group's `LossMeter`; it never signals a path's health.
public final class MeasureRunner {
    public var group: Int
    public let groupName: String
    public let config: ProbeConfig
    public let socket: ProbeSocket
    public private(set) var sender: ReflectSender
    public private(set) var meter: LossMeter
    public private(set) var lastReplyAt: Millis?
    private var sequence: UInt16 = 0
    private var nextSendAt: Millis

    /// Path ids the path probes use are their indices; a group's measure sets the top bit, so that
    /// the reflector counts it apart even from the same source.
    static let pathIDBase: UInt32 = 0x8000_0000

    public init(group: Int, groupName: String, config: ProbeConfig, now: Millis) throws(SystemError) {
        self.group = group
        self.groupName = groupName
        self.config = config
        guard let file = config.keyFile else {
            throw SystemError("measure reflect", errno: EINVAL, object: "group \(groupName): no key-file")
        }
        let key = try ReflectKeyFile.read(file)
        sender = ReflectSender(key: key, session: ProbeRunner.randomSession(),
                               path: Self.pathIDBase | UInt32(truncatingIfNeeded: group))
        meter = LossMeter(intervalMs: config.intervalMs)
        socket = try ProbeSocket(config: config, mark: 0, identifier: 0)
        nextSendAt = now
    }

    public func nextDeadline() -> Millis { nextSendAt }

    public func sendIfDue(now: Millis) {
        guard now >= nextSendAt else { return }
        sequence &+= 1
        socket.send(bytes: sender.request(sequence: sequence, nowUs: Clock.monotonicUs()))
        // A loop that fell behind sends one request, not a burst that would read as loss later.
        nextSendAt = max(nextSendAt + config.intervalMs, now + 1)
    }

    /// Reads the queued replies; returns the open transition if it settled.
    public func receive(now: Millis) -> TransitionLoss? {
        socket.receiveDatagrams { b in
            if sender.reply(b, nowUs: Clock.monotonicUs()) != nil { lastReplyAt = now }
        }
        return meter.update(stats: sender.stats, lastReplyAt: lastReplyAt, now: now)
    }

    /// A switch of the group; returns the transition it cut short, if any.
    public func transition(_ kind: Switch.Kind, at: Millis) -> TransitionLoss? {
        meter.transition(kind, at: at, stats: sender.stats)
    }
}
