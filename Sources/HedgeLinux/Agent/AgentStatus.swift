import CHedge
import HedgeCore

extension Agent {
    /// Control-socket requests: `status`, `status json`.
    func answer(_ request: String) -> String {
        let words = request.split(separator: " ").map(String.init)
        switch words.first ?? "status" {
        case "status", "show":
            let s = snapshot()
            return words.contains("json") ? StatusRender.json(s) : StatusRender.table(s)
        case "hold", "release", "drill-state", "drill-done":
            return answerDrill(words)
        default:
            return "error: unknown request '\(request)' (try: status, status json)\n"
        }
    }

    func snapshot() -> StatusSnapshot {
        let now = Clock.monotonicMs()
        let nowUs = Clock.monotonicUs()
        var s = StatusSnapshot(version: HedgeVersion.string, routerID: config.routerID?.description,
                               localAS: config.localAS, uptimeMs: now - startMono, nowWallMs: now + wallOffset)
        s.startWallMs = startMono + wallOffset
        // SA counters move with every packet and raise no event: read them fresh for the report.
        var live = HashMap<XfrmSAID, XfrmState>()
        if let x = xfrm, runtimes.contains(where: { $0.tunnel != nil }), let all = try? x.states() { for st in all { live[st.id] = st } }
        for (i, p) in config.paths.enumerated() {
            let st = decision.paths[i]
            var ps = PathStatus(name: p.name, priority: p.priority, device: p.device,
                                gateway: p.gateway?.description, health: st.health, reason: st.reason,
                                forMs: st.since.map { now - $0 } ?? (now - startMono), flaps: st.flaps)
            ps.changedWallMs = st.since.map { $0 + wallOffset }
            for sig in st.signals where !(sig.kind == .hold && sig.health == .up) {
                ps.signals.append(SignalStatus(kind: sig.kind.rawValue, health: sig.health, reason: sig.reason,
                                               forMs: sig.since.map { now - $0 }))
            }
            if let r = runtimes[i].bfd {
                let b = r.session
                ps.bfd = BFDStatus(neighbor: r.config.neighbor.description, state: b.state, remoteState: b.remoteState,
                                   diagnostic: b.localDiagnostic, transmitIntervalUs: b.transmitInterval,
                                   detectionTimeUs: b.detectionTime, detectMultiplier: Int(b.timers.detectMult),
                                   packetsSent: b.sent, packetsAccepted: b.accepted, packetsDiscarded: b.discards.total,
                                   forMs: max(0, nowUs - b.since) / 1000)
                if b.remoteDetectMult != 0 { ps.bfd?.remoteDetectMultiplier = Int(b.remoteDetectMult) }
            }
            if let r = runtimes[i].probe {
                let t = r.tracker
                ps.probe = ProbeStatus(kind: r.config.kind.rawValue, target: r.config.target.description,
                                       intervalMs: r.config.intervalMs, threshold: r.config.threshold,
                                       sent: t.sent, received: t.received, lost: t.lost,
                                       rttUs: r.reflectStats?.lastRTTUs ?? r.lastRTTUs)
                if let rs = r.reflectStats {
                    ps.probe?.forwardLoss = rs.forwardLoss; ps.probe?.returnLoss = rs.returnLoss
                    ps.probe?.minRTTUs = rs.minRTTUs; ps.probe?.avgRTTUs = rs.avgRTTUs
                    ps.probe?.rejected = rs.rejected + rs.unmatched
                }
            }
            if let peer = runtimes[i].bgp, let b = p.bgp {
                let r = peer.runner
                ps.bgp = BGPStatus(neighbor: b.neighbor.description, remoteAS: b.remoteAS, state: r.state.name,
                                   upForMs: peer.upSince.map { now - $0 }, holdMs: r.session.negotiated?.holdMs,
                                   learned: peer.learnedCount, stale: peer.stale.count,
                                   ignored: peer.ignored, announced: peer.announcing, announceWanted: peer.wanted,
                                   lastDown: peer.lastDown)
                ps.bgp?.establishedTransitions = r.session.establishedTransitions
                ps.bgp?.returnSteering = !b.returnSteering ? "off" : peer.steering ? "active" : "ready"
                ps.bgp?.moreSpecifics = peer.moreSpecifics
                ps.bgp?.unsteered = peer.unsteered
            }
            if let t = runtimes[i].tunnel {
                var tu = TunnelStatus(ifID: t.config.ifID, local: t.config.local.description,
                                      remote: t.config.remote.description, keying: t.ike == nil ? "static" : "strongswan")
                if var o = t.outbound, var n = t.inbound {
                    o = live[o.id] ?? o; n = live[n.id] ?? n
                    tu.spiOut = o.spi; tu.spiIn = n.spi
                    tu.packetsOut = o.current.packets; tu.packetsIn = n.current.packets
                    tu.bytesOut = o.current.bytes; tu.bytesIn = n.current.bytes
                }
                tu.ike = t.ike?.summary
                tu.initiations = t.ike?.initiations ?? 0
                tu.mss = t.config.mss.map { Int($0) }
                tu.clampInPlace = clampInPlace
                tu.clampRepairs = clampRepairs
                tu.mtu = indexByName[t.device].flatMap { links[$0]?.mtu }.map { Int($0) } ?? 0
                ps.tunnel = tu
            }
            s.paths.append(ps)
        }
        let gs = decision.groupStates(now: now)
        for (gi, g) in effectiveConfig().groups.enumerated() {
            let st = gs[gi]
            var row = GroupStatus(name: g.name, active: st.active.map { config.paths[$0].name },
                                  prefixes: g.prefixes.prefix(GroupStatus.listed).map { $0.description }, nexthopID: g.nexthopID,
                                  holdDownMs: g.holdDownMs, switches: groups[gi].switches, lastSwitch: groups[gi].lastSwitch,
                                  stranded: st.stranded)
            row.prefixCount = g.prefixes.count
            row.inUse = config.pathNames(st.inUse)
            row.ecmp = g.ecmp
            row.noRedundancy = st.noRedundancy
            row.failovers = groups[gi].failovers
            row.failbacks = groups[gi].failbacks
            row.lastFailoverWallMs = groups[gi].lastFailoverWallMs
            row.lossWindowMs = groups[gi].lossWindowMs
            row.measure = measureStatus(group: gi)
            // Members come best first: a hold-down only matters for those better than the active one,
            // or of its priority and waiting to join the in-use set.
            var better = st.active != nil
            let tier = st.active.map { config.paths[$0].priority }
            for m in st.members {
                if m.path == st.active { better = false }
                let joining = g.ecmp && config.paths[m.path].priority == tier && !st.inUse.contains(m.path)
                row.members.append(MemberStatus(path: config.paths[m.path].name, suppressed: m.suppressed,
                                                penalty: m.penalty,
                                                holdDownRemainingMs: better || joining ? m.holdDownUntil.map { max(0, $0 - now) } : nil))
            }
            s.groups.append(row)
        }
        s.kernel.nexthopObjects = useNexthops
        s.kernel.protocolID = config.kernel.routeProtocol
        s.kernel.changes = kernel.changesSent
        s.kernel.resyncs = resyncs
        s.kernel.errors = errors
        s.kernel.netlinkErrors = netlinkErrors
        s.kernel.lastError = lastError
        s.lastDrill = lastDrill
        s.config.generation = configGeneration
        s.config.reloadsSucceeded = reloadsSucceeded
        s.config.reloadsFailed = reloadsFailed
        s.config.lastReloadWallMs = lastReloadWallMs
        s.config.lastReloadError = lastReloadError
        s.config.lastDrillSuccessWallMs = lastDrillSuccessWallMs
        s.events = eventsStatus()
        if let h = http {
            var st = HTTPServerStatus()
            st.connections = h.connectionCount; st.requests = h.requests; st.rejected = h.rejected
            st.evicted = h.evicted; st.timedOut = h.timedOut; st.headTimedOut = h.headTimedOut; st.refused = h.refused
            s.http = st
        }
        return s
    }
}
