import CHedge
import HedgeCore

/// One path's probe: the pure tracker plus its socket, and microsecond RTTs for status.
final class ProbeRunner {
    let path: Int
    let config: ProbeConfig
    var tracker: ProbeTracker
    let socket: ProbeSocket
    private var sentUs: [UInt16: Int64] = [:]
    private(set) var lastRTTUs: Int64?

    init(path: Int, config: ProbeConfig, mark: UInt32, device: String) throws(SystemError) {
        self.path = path
        self.config = config
        tracker = ProbeTracker(intervalMs: config.intervalMs, threshold: config.threshold, recover: config.recover)
        socket = try ProbeSocket(config: config, mark: mark,
                                 identifier: UInt16(truncatingIfNeeded: Int(getpid()) &* 31 &+ path))
        socket.bind(device: device)
    }

    /// Sends the probe that is due, if any.
    func sendIfDue(now: Millis) {
        guard let seq = tracker.nextSend(now: now) else { return }
        if sentUs.count > 256 { sentUs.removeAll(keepingCapacity: true) }
        sentUs[seq] = Clock.monotonicUs()
        socket.send(sequence: seq)
    }

    /// Feeds queued replies; returns the new health if it changed.
    func receive(now: Millis) -> Health? {
        var change: Health?
        socket.receive { seq in
            if let t = sentUs.removeValue(forKey: seq) { lastRTTUs = Clock.monotonicUs() - t }
            if let h = tracker.received(sequence: seq, now: now) { change = h }
        }
        return change
    }
}
