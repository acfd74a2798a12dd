/// One BGP session's finite state machine (RFC 4271 §8), the pure half of a speaker in the way of
/// OpenBSD bgpd's session.c: it takes events and bytes with the time they happened and returns the
/// actions to carry out. The event loop owns the socket and the clock, and calls `tick` at
/// `nextDeadline`.
///
/// Choices where the RFC leaves room (or where hedge departs from it):
/// - One transport connection per session. An incoming connection offered while the session has one
///   is refused rather than run through collision detection (§6.8); with ExpressRoute both sides
///   connect, and the loser's retry finds the session up. Passive mode never connects.
/// - A failed outgoing connection moves Connect to Active and waits for the ConnectRetryTimer (as
///   bgpd; §8.2.2 would go Idle), so a peer that refuses connections is retried at a steady pace.
/// - Errors (a NOTIFICATION either way, hold timer expiry, BFD down, a lost connection after the
///   OPEN exchange, the prefix limit) go Idle and restart automatically after the IdleHoldTimer,
///   which doubles on each error up to a cap (§8.1.1 DampPeerOscillations) and resets once a
///   session stays Established at least as long as the current wait. ManualStop never restarts.
/// - BFD down (RFC 5882 §10.2) drops the session at once, withdrawing its routes, without waiting
///   for the hold timer; by default without a NOTIFICATION (see `SessionConfig.notifyOnBFDDown`).
/// - Adj-RIB-In is kept as prefix sets only, to count prefixes per family (max-prefix, RFC 4486)
///   and to withdraw everything when the session ends; attributes go to whoever keeps the routes.
public struct Session: Sendable {
    public let config: SessionConfig
    public private(set) var state: SessionState = .idle
    /// Set from the peer's OPEN until the session goes Idle.
    public private(set) var negotiated: Negotiated?
    /// Why the session last went Idle.
    public private(set) var lastDown: SessionReason?
    public private(set) var timers = SessionTimers()
    public private(set) var backoff: Backoff
    public private(set) var establishedAt: Millis?
    /// Transitions into Established (RFC 4273 bgpPeerFsmEstablishedTransitions).
    public private(set) var establishedTransitions = 0
    public private(set) var messagesReceived = 0
    public private(set) var messagesSent = 0

    private var framer = MessageFramer()
    /// A TCP connection belongs to the session (OpenSent and later).
    private var hasConnection = false
    /// An outgoing connection attempt is pending (Connect).
    private var connecting = false
    /// Cleared by ManualStop: Idle stays Idle.
    private var autoRestart = false
    private var ribIn = HashMap<AFISAFI, HashSet<IPPrefix>>()
    private var out: [SessionAction] = []

    public init(config: SessionConfig) {
        self.config = config
        backoff = Backoff(initial: config.idleHoldInitialMs, max: config.idleHoldMaxMs)
    }

    /// When `tick` must next be called; nil when no timer runs.
    public var nextDeadline: Millis? { timers.next }

    /// Prefixes currently received for a family.
    public func prefixCount(_ family: AFISAFI) -> Int { ribIn[family]?.count ?? 0 }

    /// The prefixes currently received for a family (Adj-RIB-In). The agent's learned table reads
    /// them here rather than keeping a second copy of a table that may hold ten thousand.
    public func received(_ family: AFISAFI) -> HashSet<IPPrefix>? { ribIn[family] }

    /// A new value (unique across sessions, see `Generation`) whenever the Adj-RIB-In gains or
    /// loses a prefix: what is derived from it can be cached on this.
    public private(set) var ribInGeneration = Generation.next()

    public mutating func handle(_ event: SessionEvent, now: Millis) -> [SessionAction] {
        out = []
        dispatch(event, now)
        return flush()
    }

    /// Fires every timer due at `now`.
    public mutating func tick(now: Millis) -> [SessionAction] {
        out = []
        for t in timers.expired(now: now) {
            // An earlier expiry in this loop may have disarmed or moved it.
            guard let d = timers.deadline(t), d <= now else { continue }
            timers.disarm(t)
            dispatch(.timerExpires(t), now)
        }
        return flush()
    }

    /// Bytes read from the session's connection.
    public mutating func received<C: Collection>(_ bytes: C, now: Millis) -> [SessionAction] where C.Element == UInt8 {
        out = []
        guard hasConnection else { return [] }
        framer.append(bytes)
        while hasConnection {
            let frame: [UInt8]?
            do throws(BGPError) {
                frame = try framer.next()
            } catch {
                dispatch(.messageError(Session.notification(for: error)), now)
                break
            }
            guard let frame else { break }
            messagesReceived += 1
            do throws(BGPError) {
                let m = try BGPMessage.decode(frame, options: negotiated?.codec ?? CodecOptions())
                dispatch(Session.event(for: m), now)
            } catch {
                dispatch(.messageError(Session.notification(for: error)), now)
            }
        }
        return flush()
    }

    /// Sends an UPDATE; nothing happens outside Established. Throws if it exceeds 4,096 bytes.
    public mutating func send(update: UpdateMessage, now: Millis) throws(BGPError) -> [SessionAction] {
        out = []
        guard state == .established, let n = negotiated else { return [] }
        let bytes = try BGPMessage.update(update).encode(options: n.codec)
        emit(.send(bytes))
        messagesSent += 1
        // §10: each KEEPALIVE or UPDATE sent restarts the KeepaliveTimer.
        if n.keepaliveMs > 0 { arm(.keepalive, later(now, n.keepaliveMs)) }
        return flush()
    }

    /// Asks the peer to send a family again (RFC 2918); only if it offered route refresh.
    public mutating func requestRouteRefresh(_ family: AFISAFI, now: Millis) -> [SessionAction] {
        out = []
        guard state == .established, negotiated?.routeRefresh == true else { return [] }
        send(.routeRefresh(RouteRefreshMessage(family: family)))
        return flush()
    }

    // MARK: - Events

    private mutating func dispatch(_ e: SessionEvent, _ now: Millis) {
        switch e {
        case .manualStart:
            guard state == .idle else { return }        // §8.2.2: ignored elsewhere
            autoRestart = true
            backoff.reset()
            disarm(.idleHold)
            start(now, .manualStart)
        case .manualStop:
            autoRestart = false
            if state == .idle { disarm(.idleHold); return }
            goIdle(now, .manualStop, notify: .cease(.administrativeShutdown))
        case .timerExpires(let t):
            timerExpired(t, now)
        case .tcpConnectionAcknowledged:
            // Only the pending attempt can complete; anything else is stale (the loop must not
            // report a connection it was told to cancel).
            guard state == .connect, connecting else { return }
            connecting = false
            connectionUp(now)
        case .tcpConnectionConfirmed:
            switch state {
            case .connect:
                if connecting { emit(.cancelConnect); connecting = false }
                emit(.accept)
                connectionUp(now)
            case .active:
                emit(.accept)
                connectionUp(now)
            default:
                emit(.refuse)
            }
        case .tcpConnectionFails:
            switch state {
            case .connect:
                connecting = false
                change(to: .active, .connectionFailed)
            case .openSent:
                // §8.2.2 OpenSent, Event 18: back to Active, retry later.
                dropConnection()
                disarm(.hold)
                if config.mode == .active { arm(.connectRetry, later(now, config.connectRetryMs)) }
                change(to: .active, .connectionFailed)
            case .openConfirm, .established:
                goIdle(now, .connectionFailed, notify: nil)
            case .idle, .active:
                break
            }
        case .bfdDown:
            guard hasConnection else { return }
            goIdle(now, .bfdDown, notify: config.notifyOnBFDDown ? .cease(.bfdDown) : nil)
        case .bgpOpen(let open):
            switch state {
            case .openSent: openReceived(open, now)
            case .openConfirm: fsmError(.unexpectedMessageInOpenConfirm, now)
            case .established: fsmError(.unexpectedMessageInEstablished, now)
            default: break
            }
        case .messageError(let n):
            guard hasConnection else { return }
            goIdle(now, .notificationSent(n), notify: n)
        case .notifMsg(let n):
            // §6.4: no NOTIFICATION answers a NOTIFICATION.
            guard hasConnection else { return }
            // The peer kept its own connection (§6.8): not an error of this session, so the next
            // attempt comes after the initial idle hold, not a doubled one. Both sides connecting
            // at once is what a repaired path looks like, and backing off turned a 2 s failback
            // into 16 s (bench/soak).
            if n.ceaseSubcode == .connectionCollisionResolution { backoff.reset() }
            goIdle(now, .notificationReceived(n), notify: nil)
        case .keepAliveMsg:
            switch state {
            case .openSent:
                fsmError(.unexpectedMessageInOpenSent, now)
            case .openConfirm:
                restartHold(now)
                establishedAt = now
                establishedTransitions += 1
                change(to: .established, .keepaliveReceived)
            case .established:
                restartHold(now)
            default:
                break
            }
        case .updateMsg(let verdict):
            switch state {
            case .openSent: fsmError(.unexpectedMessageInOpenSent, now)
            case .openConfirm: fsmError(.unexpectedMessageInOpenConfirm, now)
            case .established:
                restartHold(now)
                update(verdict, now)
            default: break
            }
        case .routeRefreshMsg(let m):
            switch state {
            case .openSent: fsmError(.unexpectedMessageInOpenSent, now)
            case .openConfirm: fsmError(.unexpectedMessageInOpenConfirm, now)
            case .established:
                // RFC 7313 subtypes 1 and 2 mark the start and end of a refresh; only 0 asks for one.
                if m.subtype == 0 { emit(.routeRefreshRequested(m.family)) }
            default: break
            }
        }
    }

    private mutating func timerExpired(_ t: SessionTimer, _ now: Millis) {
        switch t {
        case .connectRetry:
            switch state {
            case .connect:
                // §8.2.2 Connect, Event 9: the attempt took too long; start again.
                emit(.connect)
                connecting = true
                arm(.connectRetry, later(now, config.connectRetryMs))
            case .active where config.mode == .active:
                emit(.connect)
                connecting = true
                arm(.connectRetry, later(now, config.connectRetryMs))
                change(to: .connect, .connectRetry)
            default:
                break
            }
        case .hold:
            guard hasConnection else { return }
            goIdle(now, .holdTimerExpired, notify: .holdTimerExpired)
        case .keepalive:
            guard state == .openConfirm || state == .established, let n = negotiated, n.keepaliveMs > 0 else { return }
            send(.keepalive)
            arm(.keepalive, later(now, n.keepaliveMs))
        case .idleHold:
            guard state == .idle, autoRestart else { return }
            start(now, .automaticStart)
        }
    }

    // MARK: - Transitions

    private mutating func start(_ now: Millis, _ reason: SessionReason) {
        switch config.mode {
        case .active:
            change(to: .connect, reason)
            connecting = true
            emit(.connect)
            arm(.connectRetry, later(now, config.connectRetryMs))
        case .passive:
            change(to: .active, reason)
        }
    }

    /// §8.2.2 Connect/Active, Events 16/17: send OPEN and wait for the peer's with a long hold.
    private mutating func connectionUp(_ now: Millis) {
        hasConnection = true
        framer.reset()
        disarm(.connectRetry)
        send(.open(config.open))
        arm(.hold, later(now, config.openHoldMs))
        change(to: .openSent, .connectionUp)
    }

    private mutating func openReceived(_ open: OpenMessage, _ now: Millis) {
        if let n = open.check(expectedAS: config.peerAS) {
            goIdle(now, .notificationSent(n), notify: n)
            return
        }
        let (hold, keepalive) = negotiateHoldTime(ours: config.holdTime, theirs: open.holdTime)
        let theirs = open.families
        negotiated = Negotiated(
            peerAS: open.asNumber, peerID: open.bgpIdentifier, holdMs: hold, keepaliveMs: keepalive,
            routeRefresh: open.supportsRouteRefresh, families: config.families.filter { theirs.contains($0) },
            // Our OPEN always carries the 4-octet AS capability, so the peer's decides.
            codec: CodecOptions(fourOctetAS: open.supportsFourOctetAS, external: open.asNumber != config.localAS))
        send(.keepalive)
        if hold > 0 {
            arm(.hold, later(now, hold))
            arm(.keepalive, later(now, keepalive))
        } else {
            disarm(.hold)
            disarm(.keepalive)
        }
        change(to: .openConfirm, .openReceived)
    }

    @inline(never) private mutating func fsmError(_ s: FSMErrorSubcode, _ now: Millis) {
        let n = NotificationMessage.fsm(s)
        goIdle(now, .notificationSent(n), notify: n)
    }

    /// Ends the session: NOTIFICATION (if there is a connection to carry it), close, stop the timers,
    /// withdraw every route, Idle, and the IdleHoldTimer unless stopped by hand.
    private mutating func goIdle(_ now: Millis, _ reason: SessionReason, notify: NotificationMessage?) {
        if let notify, hasConnection { send(.notification(notify)) }
        if hasConnection { emit(.disconnect) } else if connecting { emit(.cancelConnect) }
        dropConnection()
        connecting = false
        for t in SessionTimer.allCases { disarm(t) }
        withdrawAll()
        if let at = establishedAt, now - at >= backoff.current { backoff.reset() }
        establishedAt = nil
        negotiated = nil
        lastDown = reason
        change(to: .idle, reason)
        if autoRestart { arm(.idleHold, later(now, backoff.take())) }
    }

    private mutating func dropConnection() {
        hasConnection = false
        framer.reset()
    }

    @inline(never) private mutating func change(to new: SessionState, _ reason: SessionReason) {
        guard new != state else { return }
        emit(.stateChanged(from: state, to: new, reason: reason))
        state = new
    }

    // MARK: - Routes

    private mutating func update(_ verdict: UpdateVerdict, _ now: Millis) {
        switch verdict {
        case .sessionReset(let n, _):
            goIdle(now, .notificationSent(n), notify: n)
        case .treatAsWithdraw(let m, let issues):
            emit(.malformedUpdate(issues))
            remove(m.allWithdrawn + m.announced)
        case .attributeDiscard(let m, let issues):
            emit(.malformedUpdate(issues))
            apply(m, now)
        case .accept(let m):
            apply(m, now)
        }
    }

    private mutating func apply(_ m: UpdateMessage, _ now: Millis) {
        if let f = m.endOfRIB { emit(.endOfRIB(f)); return }
        remove(m.allWithdrawn)
        // RFC 4271 §9.1.2: a route whose AS_PATH holds our own AS has looped (an eBGP peer may send
        // our announcements back); it replaces nothing usable, so it withdraws any earlier route.
        if m.attributes.containsAS(config.localAS) {
            remove(m.announced)
            return
        }
        var attrs = m.attributes
        attrs.mpReach = nil
        attrs.mpUnreach = nil
        var batches: [ReceivedRoutes] = []
        if !m.nlri.isEmpty {
            batches.append(ReceivedRoutes(family: .ipv4Unicast, prefixes: m.nlri, nextHop: attrs.nextHop,
                                          linkLocalNextHop: nil, attributes: attrs))
        }
        if let r = m.attributes.mpReach, !r.nlri.isEmpty {
            batches.append(ReceivedRoutes(family: r.family, prefixes: r.nlri, nextHop: r.nextHop,
                                          linkLocalNextHop: r.linkLocalNextHop, attributes: attrs))
        }
        // Count before accepting anything: the UPDATE that crosses the limit is not delivered.
        // Counted without copying the table: a copy per UPDATE would cost the whole table each time.
        for (family, limit) in config.maxPrefixes.stableSorted(by: { $0.key.afi < $1.key.afi }) {
            var fresh = HashSet<IPPrefix>()
            for b in batches where b.family == family {
                for p in b.prefixes where ribIn[family]?.contains(p) != true { fresh.insert(p) }
            }
            if prefixCount(family) + fresh.count > limit {
                goIdle(now, .maximumPrefixes(family, limit: limit),
                       notify: .maximumPrefixes(family, limit: UInt32(clamping: limit)))
                return
            }
        }
        var grew = false
        for b in batches { for p in b.prefixes where ribIn[b.family, default: []].insert(p).inserted { grew = true } }
        if grew { ribInGeneration = Generation.next() }
        for b in batches { emit(.announce(b)) }
    }

    private mutating func remove(_ prefixes: [IPPrefix]) {
        var gone: [IPPrefix] = []
        for p in prefixes where ribIn[AFISAFI.unicast(v6: !p.isV4)]?.remove(p) != nil { gone.append(p) }
        if !gone.isEmpty {
            ribInGeneration = Generation.next()
            emit(.withdraw(gone))
        }
    }

    private mutating func withdrawAll() {
        var all: [IPPrefix] = []
        for (_, set) in ribIn { all += set }
        ribIn.removeAll()
        ribInGeneration = Generation.next()
        if !all.isEmpty { emit(.withdraw(all.stableSorted())) }
    }

    // MARK: - Output

    private mutating func send(_ m: BGPMessage) {
        // Only UPDATEs can outgrow a message, and those go through `send(update:)`.
        guard let bytes = try? m.encode(options: negotiated?.codec ?? CodecOptions()) else { return }
        messagesSent += 1
        emit(.send(bytes))
    }

    private mutating func restartHold(_ now: Millis) {
        if let n = negotiated, n.holdMs > 0 { arm(.hold, later(now, n.holdMs)) }
    }

    private mutating func arm(_ t: SessionTimer, _ at: Millis) {
        timers.arm(t, at: at)
        emit(.armTimer(t, at: at))
    }

    private mutating func disarm(_ t: SessionTimer) {
        guard timers.deadline(t) != nil else { return }
        timers.disarm(t)
        emit(.disarmTimer(t))
    }

    private mutating func emit(_ a: SessionAction) { out.append(a) }

    private mutating func flush() -> [SessionAction] {
        let a = out
        out = []
        return a
    }

    static func event(for m: ReceivedMessage) -> SessionEvent {
        switch m {
        case .open(let o): return .bgpOpen(o)
        case .update(let v): return .updateMsg(v)
        case .notification(let n): return .notifMsg(n)
        case .keepalive: return .keepAliveMsg
        case .routeRefresh(let r): return .routeRefreshMsg(r)
        }
    }

    static func notification(for e: BGPError) -> NotificationMessage {
        switch e {
        case .notify(let n): return n
        case .truncated, .tooLong: return .header(.badMessageLength)
        }
    }
}

/// `now + d`, saturating instead of trapping (a misconfigured huge timer must not crash hedge).
private func later(_ now: Millis, _ d: Millis) -> Millis {
    let (s, o) = now.addingReportingOverflow(d)
    return o ? .max : s
}
