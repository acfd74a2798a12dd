import CHedge
import HedgeCore

/// One path's probe: the pure tracker plus its socket, and microsecond RTTs for status. A
/// `reflect` probe also authenticates its replies (`ReflectSender`) and keeps one-way loss figures.
public final class ProbeRunner {
    public let path: Int
    public let config: ProbeConfig
    public var tracker: ProbeTracker
    public let socket: ProbeSocket
    /// The authenticated sender of a `reflect` probe; nil for icmp and udp.
    public private(set) var reflect: ReflectSender?
    private var sentUs = HashMap<UInt16, Int64>()
    public private(set) var lastRTTUs: Int64?

    /// For `reflect`, reads the key file first (a missing, unreadable or too open file throws,
    /// naming it) and draws a random session id, so that replies meant for an earlier agent or an
    /// earlier configuration are never counted.
    public init(path: Int, config: ProbeConfig, mark: UInt32, device: String) throws(SystemError) {
        self.path = path
        self.config = config
        if config.kind == .reflect {
            guard let file = config.keyFile else {
                throw SystemError("probe reflect", errno: EINVAL, object: "probe \(config.target): no key-file")
            }
            let key = try ReflectKeyFile.read(file)
            reflect = ReflectSender(key: key, session: ProbeRunner.randomSession(), path: UInt32(truncatingIfNeeded: path))
        }
        tracker = ProbeTracker(intervalMs: config.intervalMs, threshold: config.threshold, recover: config.recover)
        socket = try ProbeSocket(config: config, mark: mark,
                                 identifier: UInt16(truncatingIfNeeded: Int(getpid()) &* 31 &+ path))
        socket.bind(device: device)
    }

    /// The reflect probe's figures (sent, received, one-way loss, RTTs); nil for icmp and udp.
    public var reflectStats: ReflectStats? { reflect?.stats }

    /// Sends the probe that is due, if any.
    public func sendIfDue(now: Millis) {
        guard let seq = tracker.nextSend(now: now) else { return }
        if reflect != nil {
            let pkt = reflect!.request(sequence: seq, nowUs: Clock.monotonicUs())
            socket.send(bytes: pkt)
            return
        }
        if sentUs.count > 256 { sentUs.removeAll(keepingCapacity: true) }
        sentUs[seq] = Clock.monotonicUs()
        socket.send(sequence: seq)
    }

    /// Feeds queued replies; returns the new health if it changed.
    public func receive(now: Millis) -> Health? {
        var change: Health?
        if reflect != nil {
            socket.receiveDatagrams { b in
                guard let seq = reflect!.reply(b, nowUs: Clock.monotonicUs()) else { return }
                lastRTTUs = reflect!.stats.lastRTTUs
                if let h = tracker.received(sequence: seq, now: now) { change = h }
            }
            return change
        }
        socket.receive { seq in
            if let t = sentUs.removeValue(forKey: seq) { lastRTTUs = Clock.monotonicUs() - t }
            if let h = tracker.received(sequence: seq, now: now) { change = h }
        }
        return change
    }

    static func randomSession() -> UInt32 {
        var s: UInt32 = 0
        while s == 0 {
            if hedge_getrandom(&s, 4) != 0 { s = UInt32(truncatingIfNeeded: Clock.monotonicUs() ^ Int64(getpid()) << 16) }
        }
        return s
    }
}
