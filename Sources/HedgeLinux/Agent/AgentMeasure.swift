import HedgeCore

/// Groups' `measure reflect` probes: what each failover and failback cost the LAN's traffic, per
/// direction, reported once the figures settle (the log, the event, status and `/metrics`).
extension Agent {
    func startMeasures(now: Millis) throws(SystemError) {
        measures = []
        for (gi, g) in config.groups.enumerated() {
            guard let m = g.measure else { continue }
            try addMeasure(try MeasureRunner(group: gi, groupName: g.name, config: m, now: now))
        }
    }

    func addMeasure(_ m: MeasureRunner) throws(SystemError) {
        measures.append(m)
        try loop.add(m.socket.fd, owner: measureSlot) { _ in
            if let t = m.receive(now: Clock.monotonicMs()) { self.reportTransitionLoss(t, group: m.group) }
        }
    }

    func tickMeasures(now: Millis) {
        for m in measures {
            if let t = m.receive(now: now) { reportTransitionLoss(t, group: m.group) }
            m.sendIfDue(now: now)
        }
    }

    func nextMeasureDeadline() -> Millis? { measures.map { $0.nextDeadline() }.min() }

    /// A switch starts the group's measurement of it; one still open is reported as it stands.
    func measureSwitch(_ s: Switch) {
        guard let m = measures.first(where: { $0.group == s.group }),
              let cut = m.transition(s.kind, at: s.at) else { return }
        reportTransitionLoss(cut, group: s.group)
    }

    func reportTransitionLoss(_ t: TransitionLoss, group gi: Int) {
        let g = config.groups[gi].name
        let how = t.settled ? "" : " (cut short by the next switch)"
        let text = "group \(g): \(t.kind.rawValue) cost the LAN \(t.forwardMs) ms outbound, \(t.returnMs) ms on the return\(how)"
        Log.info(text)
        emitEvent(type: "\(t.kind.rawValue)_loss", severity: .notice, message: text,
                  fields: [EventField("group", g), EventField("forward_loss_ms", "\(t.forwardMs)"),
                           EventField("return_loss_ms", "\(t.returnMs)"), EventField("settled", t.settled ? "true" : "false"),
                           EventField("switch_time_ms", "\(t.at + wallOffset)")])
    }

    /// Status of the group's measure, nil without one.
    func measureStatus(group gi: Int) -> MeasureStatus? {
        guard let m = measures.first(where: { $0.group == gi }) else { return nil }
        let st = m.sender.stats
        var ms = MeasureStatus(target: m.config.target.description, source: m.config.source?.description ?? "",
                               intervalMs: m.config.intervalMs, sent: st.sent, received: st.received,
                               forwardLoss: st.forwardLoss, returnLoss: st.returnLoss, unanswered: st.unanswered)
        ms.lastFailover = m.meter.latestFailover.map { transitionStatus($0) }
        ms.lastFailback = m.meter.latestFailback.map { transitionStatus($0) }
        return ms
    }

    private func transitionStatus(_ t: TransitionLoss) -> TransitionLossStatus {
        TransitionLossStatus(forwardMs: t.forwardMs, returnMs: t.returnMs, settled: t.settled, wallMs: t.at + wallOffset)
    }
}
