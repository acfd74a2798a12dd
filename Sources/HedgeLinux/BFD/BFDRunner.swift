import CHedge
import HedgeCore

/// One path's BFD session: the pure state machine plus its sockets. Times are microseconds.
final class BFDRunner {
    var path: Int
    let config: BFDConfig
    private(set) var session: BFDSession
    let socket: BFDSocket

    init(path: Int, config: BFDConfig, device: String, jitter: inout Jitter) throws(SystemError) {
        self.path = path
        self.config = config
        var disc = jitter.next()
        if disc == 0 { disc = 1 }
        let timers = BFDTimers(desiredMinTx: config.intervalMs * 1000, requiredMinRx: config.minRxMs * 1000,
                               detectMult: UInt8(clamping: config.multiplier))
        session = BFDSession(localDiscriminator: disc, timers: timers, now: Clock.monotonicUs())
        socket = try BFDSocket(device: device, neighbor: config.neighbor, sourcePortSeed: UInt16(truncatingIfNeeded: disc))
    }

    /// Carries out the session's actions; returns the health change they mean for the path, if any.
    func perform() -> (Health, String)? {
        // The periodic packet, alone: nothing to look through.
        if actions.count == 1, case .send(let packet) = actions[0] {
            socket.send(packet)
            return nil
        }
        var change: (Health, String)?
        for a in actions {
            switch a {
            case .send(let packet): socket.send(packet)
            case .stateChanged(let c):
                if c.to == .up { change = (.up, "BFD up with \(config.neighbor)") }
                else if c.from == .up || change?.0 == .up { change = (.down, c.reason) }
                Log.info("bfd \(config.neighbor): \(c.from.name) -> \(c.to.name) (\(c.diagnostic.name)): \(c.reason)")
            case .down(let d):
                // RFC 5882: a neighbour that went AdminDown is not a failed path.
                if !d.pathFailed { change = (.unknown, "BFD neighbour administratively down") }
            }
        }
        return change
    }

    /// Silent until the path's BGP session first reaches Established: packets are read and dropped,
    /// none is sent. BGP is this BFD session's client (RFC 5882), as in BIRD and FRR, which start BFD
    /// from BGP: a peer whose BGP re-registers its BFD session at Established (FRR's bgpd moves it
    /// from source 0.0.0.0 to the session's address) would otherwise tear down a BFD session that is
    /// already Up, and the new BGP session with it.
    var waitingForBGP = false

    /// The session's actions, one array kept for the runner's life: a packet in or out allocates
    /// nothing.
    private var actions: [BFDAction] = []

    /// Empties `actions` keeping its storage (removeAll(keepingCapacity:) costs more for the one
    /// or two actions it ever holds).
    private func clearActions() {
        while !actions.isEmpty { actions.removeLast() }
    }

    /// `limit`: packets to read at most (the handler reads one per wakeup; before detection is
    /// judged, everything queued is read).
    func receive(nowUs: Int64, jitter: inout Jitter, limit: Int = .max) -> (Health, String)? {
        clearActions()
        let drop = waitingForBGP
        socket.receive(limit: limit) { bytes, ttl in
            if drop { return }
            session.receive(bytes, ttl: ttl, now: nowUs, random: jitter.next(), into: &actions)
        }
        return actions.isEmpty ? nil : perform()
    }

    /// Whether packets already queued must be read before `tick`: only when detection is due (a
    /// packet in the queue counts for the neighbour); a periodic packet going out needs no read.
    func detectionDue(nowUs: Int64) -> Bool {
        guard !waitingForBGP, let d = session.detectionAt else { return false }
        return nowUs >= d
    }

    func tick(nowUs: Int64, jitter: inout Jitter) -> (Health, String)? {
        if waitingForBGP { return nil }
        clearActions()
        session.tick(now: nowUs, random: jitter.next(), into: &actions)
        return actions.isEmpty ? nil : perform()
    }

    func nextDeadline(nowUs: Int64) -> Int64? {
        // The stored deadline, not `session.nextDeadline`: a method call would copy the session.
        guard !waitingForBGP, let d = session.deadline else { return nil }
        return max(d, nowUs)
    }
}
