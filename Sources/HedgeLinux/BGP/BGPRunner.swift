import CHedge
import HedgeCore

/// One BGP neighbour as the runner needs it.
public struct BGPPeerConfig: Sendable {
    /// For log lines and status ("expressroute").
    public var name: String
    public var session: SessionConfig
    public var transport: BGPTransportConfig
    /// TCP MD5 key file (see `BGPKeyFile`); read when the runner is made, and its key replaces
    /// `transport.md5Key`.
    public var md5KeyFile: String?
    /// NEXT_HOP of the IPv4 routes we announce; nil: our address on the connection (IPv4 sessions).
    public var nextHop: IPAddress?
    /// Next hop of the IPv6 routes we announce; nil: our address on the connection (IPv6 sessions).
    /// With neither, IPv6 routes are not announced.
    public var nextHopV6: IPAddress?
    /// Extra copies of our AS in the AS_PATH we send to an external peer (a less preferred circuit).
    public var prepend: Int

    public init(name: String, session: SessionConfig, transport: BGPTransportConfig, md5KeyFile: String? = nil,
                nextHop: IPAddress? = nil, nextHopV6: IPAddress? = nil, prepend: Int = 0) {
        self.name = name; self.session = session; self.transport = transport; self.md5KeyFile = md5KeyFile
        self.nextHop = nextHop; self.nextHopV6 = nextHopV6; self.prepend = prepend
    }
}

/// What the runner tells its owner.
public enum BGPRunnerEvent: Sendable {
    /// Every FSM transition (for logs and status).
    case stateChanged(from: SessionState, to: SessionState, reason: SessionReason)
    /// The session reached Established: BGP says the path is up.
    case up(peerAS: UInt32, peerID: UInt32, holdMs: Millis)
    /// The session left Established.
    case down(BGPDownCause, SessionReason)
    /// Routes received (new or replaced), one family per event. `indirect` as `SessionAction.announce`.
    indirect case routes(ReceivedRoutes)
    /// Routes gone: withdrawn by the peer, or every route when the session ended.
    case withdrawn([IPPrefix])
    case endOfRIB(AFISAFI)
    /// Malformed UPDATE contents handled without a reset (RFC 7606).
    case malformed([AttributeIssue])

    /// The path health this event means, in the form `BFDRunner` returns it.
    public var health: (Health, String)? {
        switch self {
        case .up(let asn, let id, _): return BGPDownCause.established(peerAS: asn, peerID: id)
        case .down(let cause, let reason): return BGPDownCause.health(cause, reason)
        default:
            return nil
        }
    }
}

/// One BGP neighbour: the pure Core `Session` plus its `BGPTransport`. The owner calls `start`,
/// then `ready` for readiness of `listenFD`/`connectionFD` and `tick` at `nextDeadline`, and
/// reads what changed from the events each call returns. Time is milliseconds of `Clock.monotonicMs`.
///
/// The routes we announce are set with `announce`; they are sent whenever the session reaches
/// Established, and the difference is sent when they change while it is.
public final class BGPRunner {
    public let config: BGPPeerConfig
    public private(set) var session: Session
    public let transport: BGPTransport
    /// What we announce, and what the peer has of it in this session.
    public private(set) var adjRIBOut = AdjRIBOut()
    public var announced: HashSet<IPPrefix> { adjRIBOut.wanted }
    /// The last transport error (a refused or failed connection), for status.
    public private(set) var lastTransportError: SystemError?

    public init(config: BGPPeerConfig) throws(SystemError) {
        var t = config.transport
        if let file = config.md5KeyFile { t.md5Key = try BGPKeyFile.read(file) }
        self.config = config
        session = Session(config: config.session)
        transport = try BGPTransport(config: t)
    }

    public var state: SessionState { session.state }
    public var nextDeadline: Millis? { session.nextDeadline }
    public var listenFD: Int32 { transport.listenFD }
    public var connectionFD: Int32 { transport.connectionFD }
    public var wantsWrite: Bool { transport.wantsWrite }
    /// Changes whenever a descriptor is opened or closed (re-register then).
    public var watchGeneration: Int { transport.watchGeneration }

    // MARK: - Inputs

    public func start(now: Millis) -> [BGPRunnerEvent] {
        run(session.handle(.manualStart, now: now), now)
    }

    /// Cease / Administrative Shutdown, close, and stay Idle (the listening socket stays open and
    /// refuses the neighbour until `start`).
    public func stop(now: Millis) -> [BGPRunnerEvent] {
        run(session.handle(.manualStop, now: now), now)
    }

    /// `stop`, then closes the listening socket too (detach a `BGPLoopBinding` first).
    public func close(now: Millis) -> [BGPRunnerEvent] {
        let out = stop(now: now)
        transport.shutdownAll()
        return out
    }

    /// The BFD session protecting this neighbour went down (RFC 5882 §10.2).
    public func bfdDown(now: Millis) -> [BGPRunnerEvent] {
        run(session.handle(.bfdDown, now: now), now)
    }

    public func tick(now: Millis) -> [BGPRunnerEvent] {
        run(session.tick(now: now), now)
    }

    /// Readiness of `listenFD` or `connectionFD`, `events` as epoll reports them.
    public func ready(fd: Int32, events: UInt32, now: Millis) -> [BGPRunnerEvent] {
        var out: [BGPRunnerEvent] = []
        for e in transport.ready(fd: fd, events: events) { out += transportEvent(e, now) }
        return out
    }

    /// Sets the prefixes we announce (IPv4 and IPv6 together); sends the difference if Established.
    public func announce(_ prefixes: [IPPrefix], now: Millis) -> [BGPRunnerEvent] {
        adjRIBOut.want(prefixes)
        guard session.state == .established else { return [] }
        return run(syncAnnouncements(now: now, family: nil), now)
    }

    // MARK: - Carrying out

    private func transportEvent(_ e: BGPTransportEvent, _ now: Millis) -> [BGPRunnerEvent] {
        switch e {
        case .connected:
            let out = run(session.handle(.tcpConnectionAcknowledged, now: now), now)
            // A stale completion (the session no longer waits for it): do not keep a connection
            // the session does not know about.
            if session.state.rawValue < SessionState.openSent.rawValue && transport.isConnected { transport.disconnect() }
            return out
        case .connectFailed(let err):
            lastTransportError = err
            Log.debug("bgp \(config.name): \(err)")
            return run(session.handle(.tcpConnectionFails, now: now), now)
        case .offered:
            let actions = session.handle(.tcpConnectionConfirmed, now: now)
            if !actions.contains(.accept) && !actions.contains(.refuse) { transport.refuseOffered() }
            return run(actions, now)
        case .strangerRefused(let from):
            Log.debug("bgp \(config.name): refused a connection from \(from.map { "\($0)" } ?? "?")")
            return []
        case .received(let bytes):
            return run(session.received(bytes, now: now), now)
        case .closed(let err):
            lastTransportError = err
            return run(session.handle(.tcpConnectionFails, now: now), now)
        }
    }

    /// Carries out the session's actions in order. Transport failures found on the way are fed to
    /// the session after the batch, so that its actions are never interleaved with their answers.
    private func run(_ first: [SessionAction], _ now: Millis) -> [BGPRunnerEvent] {
        var out: [BGPRunnerEvent] = []
        var actions = first
        var later: [BGPTransportEvent] = []
        var i = 0
        while true {
            while i < actions.count {
                let a = actions[i]
                i += 1
                switch a {
                case .connect: later += transport.connect()
                case .cancelConnect: transport.cancelConnect()
                case .accept: transport.acceptOffered()
                case .refuse: transport.refuseOffered()
                case .send(let bytes): later += transport.send(bytes)
                case .disconnect: transport.disconnect()
                case .armTimer, .disarmTimer: break   // `nextDeadline` reads the session's timers
                case .announce(let r): out.append(.routes(r))
                case .withdraw(let ps): out.append(.withdrawn(ps))
                case .endOfRIB(let f): out.append(.endOfRIB(f))
                case .routeRefreshRequested(let f):
                    adjRIBOut.refresh(f)
                    actions += syncAnnouncements(now: now, family: f)
                case .malformedUpdate(let issues):
                    Log.warn("bgp \(config.name): malformed UPDATE: \(issues.map { $0.description }.joined(separator: "; "))")
                    out.append(.malformed(issues))
                case .stateChanged(let from, let to, let reason):
                    Log.info("bgp \(config.name) \(config.transport.neighbor): \(from.name) -> \(to.name): \(reason)")
                    out.append(.stateChanged(from: from, to: to, reason: reason))
                    switch BGPDownCause.transition(from: from, to: to, reason: reason) {
                    case .up?:
                        guard let n = session.negotiated else { break }
                        adjRIBOut.sessionReset()
                        out.append(.up(peerAS: n.peerAS, peerID: n.peerID, holdMs: n.holdMs))
                        actions += syncAnnouncements(now: now, family: nil)
                    case .down(let cause)?:
                        adjRIBOut.sessionReset()
                        out.append(.down(cause, reason))
                    case nil:
                        break
                    }
                }
            }
            guard !later.isEmpty else { break }
            let e = later.removeFirst()
            out += transportEvent(e, now)
        }
        return out
    }

    // MARK: - Announcements

    /// The UPDATEs that bring the peer to what we announce (one family, or both).
    private func syncAnnouncements(now: Millis, family: AFISAFI?) -> [SessionAction] {
        guard session.state == .established, let n = session.negotiated else { return [] }
        let route = AdjRIBOut.Route(localAS: config.session.localAS, peerAS: n.peerAS, prepend: config.prepend,
                                    nextHop: config.nextHop, nextHopV6: config.nextHopV6,
                                    local: transport.connectionLocalAddress)
        let u = adjRIBOut.updates(families: n.families, only: family, route: route)
        for w in u.withoutNextHop {
            Log.warn("bgp \(config.name): no \(w.family) next hop (set one): not announcing \(w.count) prefixes")
        }
        var actions: [SessionAction] = []
        for m in u.messages { actions += sendUpdate(m, now) }
        return actions
    }

    private func sendUpdate(_ m: UpdateMessage, _ now: Millis) -> [SessionAction] {
        do throws(BGPError) {
            return try session.send(update: m, now: now)
        } catch {
            Log.error("bgp \(config.name): UPDATE not sent: \(error)")
            return []
        }
    }
}

/// Keeps an `EventLoop`'s registrations in step with a runner's descriptors: call `sync` after
/// every call into the runner. Level-triggered; the connection is watched for output only while
/// the transport wants it, which the loop's `add`/`remove` express without further methods.
public final class BGPLoopBinding {
    public let runner: BGPRunner
    private let loop: EventLoop
    private let handler: (Int32, UInt32) -> Void
    private var listen: Int32 = -1
    private var conn: Int32 = -1
    private var connWrite = false
    private var generation = -1

    /// `handler` gets readiness of the runner's descriptors; it should call `runner.ready`,
    /// act on the events, and call `sync`.
    public init(runner: BGPRunner, loop: EventLoop, handler: @escaping (Int32, UInt32) -> Void) {
        self.runner = runner; self.loop = loop; self.handler = handler
    }

    /// Removes the runner's descriptors from the loop (before the runner is dropped or closed).
    public func detach() {
        if listen >= 0 { loop.remove(listen) }
        if conn >= 0 { loop.remove(conn) }
        listen = -1; conn = -1
        generation = -1
    }

    public func sync() {
        let t = runner.transport
        if generation != t.watchGeneration {
            // A descriptor was closed or opened (its number may be reused): start over.
            if listen >= 0 { loop.remove(listen) }
            if conn >= 0 { loop.remove(conn) }
            listen = -1; conn = -1
            generation = t.watchGeneration
        }
        let h = handler
        if listen < 0 && t.listenFD >= 0 {
            let fd = t.listenFD
            listen = fd
            try? loop.add(fd) { h(fd, $0) }
        }
        let want = t.wantsWrite
        if conn >= 0 && want != connWrite { loop.remove(conn); conn = -1 }
        if conn < 0 && t.connectionFD >= 0 {
            conn = t.connectionFD
            connWrite = want
            let fd = conn
            var ev = UInt32(EPOLLIN.rawValue | EPOLLRDHUP.rawValue)
            if want { ev |= UInt32(EPOLLOUT.rawValue) }
            try? loop.add(fd, events: ev) { h(fd, $0) }
        }
    }
}
