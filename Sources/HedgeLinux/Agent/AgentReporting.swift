import CHedge
import HedgeCore

/// Reporting: the HTTP endpoint, syslog and the event push. None of it may ever stop a failover:
/// a failure here is logged and counted, never thrown up into the decision path.
extension Agent {
    func startReporting(now: Millis) {
        startHTTP(now: now)
        startEvents(now: now)
    }

    func stopReporting() {
        http?.shutdown()
        http = nil
        httpRetryAt = nil
        eventLog?.pusher?.detach()
        eventLog = nil
    }

    /// Reload: syslog and the event queue as `prepare` opened them (the parts unchanged carry on).
    /// A new spool keeps what is queued in its directory: the new pusher delivers it.
    func swapEvents(_ r: ReportingReplacement, now: Millis) {
        if r.keepSyslog && r.keepPush { return }
        let old = eventLog
        if !r.keepPush { old?.pusher?.detach() }
        let pusher = r.keepPush ? old?.pusher : r.pusher
        eventLog = EventLog(hostname: old?.hostname ?? EventLog.systemHostname(), syslog: r.keepSyslog ? old?.syslog : r.syslog,
                            spool: r.keepPush ? old?.spool : r.spool, pusher: pusher)
        if !r.keepPush {
            pusher?.attach(to: loop)
            pusher?.kick(now: now)
        }
    }

    /// Reload: `/metrics` as `prepare` bound it.
    func swapHTTP(_ h: HTTPReplacement, now: Millis) {
        http?.shutdown()
        http = nil
        httpRetryAt = nil
        switch h {
        case .off: break
        case .server(let s): installHTTP(s, now: now)
        case .afterClose: startHTTP(now: now)
        }
    }

    func tickReporting(now: Millis) {
        http?.tick(now: now)
        if let t = httpRetryAt, now >= t { startHTTP(now: now) }
        eventLog?.pusher?.tick(now: now)
    }

    func nextReportingDeadline() -> Millis? {
        var next = httpRetryAt
        if let d = http?.nextDeadline { next = min(next ?? d, d) }
        if let d = eventLog?.pusher?.nextDeadline { next = min(next ?? d, d) }
        return next
    }

    // MARK: HTTP

    func startHTTP(now: Millis) {
        httpRetryAt = nil
        guard let h = config.reporting.http else { return }
        do { installHTTP(try HTTPServer(address: h.address, port: h.port), now: now) } catch {
            // Metrics are not worth an agent that does not start: say so, try again later.
            httpRetryAt = now + 30_000
            recordError("metrics endpoint: \(error); retrying in 30 s")
        }
    }

    func installHTTP(_ s: HTTPServer, now: Millis) {
        s.handler = { req in self.serveHTTP(req) }
        do { try s.attach(to: loop) } catch {
            httpRetryAt = now + 30_000
            recordError("metrics endpoint: \(error); retrying in 30 s")
            return
        }
        http = s
    }

    func serveHTTP(_ req: HTTPRequest) -> HTTPResponse {
        switch req.path {
        case "/metrics":
            return HTTPResponse(status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8",
                                body: Array(PrometheusRender.text(snapshot()).utf8))
        case "/status":
            return HTTPResponse(status: 200, contentType: "application/json", body: Array(StatusRender.json(snapshot()).utf8))
        case "/":
            return .text(200, "hedge \(HedgeVersion.string)\n/metrics  Prometheus text format\n/status   JSON status\n")
        default:
            return .text(404, "not found: \(req.path) (try /metrics or /status)\n")
        }
    }

    // MARK: events

    func startEvents(now: Millis) {
        let r = config.reporting
        let host = EventLog.systemHostname()
        var syslog: SyslogSink?
        if let d = r.syslog {
            do { syslog = try SyslogSink(target: d, facility: SyslogFacility(code: r.syslogFacility) ?? .daemon, hostname: host) } catch {
                recordError("syslog: \(error); events go to the push queue and the log only")
            }
        }
        var spool: EventSpool?
        var pusher: EventPusher?
        if let p = r.push {
            do {
                let s = try EventSpool(directory: p.spool, maxEvents: p.maxEvents, hostname: host)
                spool = s
                do throws(CollectorURLError) {
                    let u = try CollectorURL(p.url)
                    let ps = EventPusher(url: u, spool: s)
                    ps.attach(to: loop)
                    pusher = ps
                } catch {
                    recordError("push: \(error)")
                }
            } catch {
                recordError("event spool: \(error); events are not queued for the collector")
            }
        }
        eventLog = EventLog(hostname: host, syslog: syslog, spool: spool, pusher: pusher)
        // What was queued before this start goes out now.
        pusher?.kick(now: now)
    }

    /// Raises one event (state change) to syslog and the push queue.
    func emitEvent(type: String, severity: SyslogSeverity, message: String, fields: [EventField] = []) {
        let now = Clock.monotonicMs()
        eventLog?.emit(type: type, severity: severity, message: message, fields: fields, wallMs: now + wallOffset, now: now)
        // The push may now have something to send, whoever emitted the event.
        loop.reschedule(reportingSlot)
    }

    /// The events part of the status snapshot.
    func eventsStatus() -> EventsStatus {
        var s = EventsStatus()
        guard let e = eventLog else { return s }
        if let sp = e.spool {
            s.queued = sp.queued; s.delivered = Int(sp.delivered); s.dropped = Int(sp.dropped)
        }
        if let sy = e.syslog { s.syslogSent = sy.sent; s.syslogErrors = sy.errors }
        if let p = e.pusher { s.pushErrors = p.errors; s.lastPushError = p.lastError; s.pushTarget = p.url.description }
        return s
    }
}

extension Agent {
    /// One event per change of a path's health or of one of its signals (carrier, BFD, BGP, SA,
    /// probe, ...), up or down: unknown is the absence of news and is not reported.
    func reportChanges(now: Millis) {
        let paths = decision.paths
        if reportedHealth.count != paths.count {
            reportedHealth = [Health](repeating: .unknown, count: paths.count)
            reportedSignals = [HashMap<SignalKind, Health>](repeating: HashMap(), count: paths.count)
        }
        for (i, st) in paths.enumerated() {
            let name = config.paths[i].name
            for sig in st.signals where sig.health != .unknown && reportedSignals[i][sig.kind] != sig.health {
                reportedSignals[i][sig.kind] = sig.health
                if sig.kind == .hold && sig.health == .up && reportedHealth[i] == .unknown { continue }
                emitEvent(type: "\(sig.kind.rawValue)_\(sig.health.rawValue)", severity: sig.health == .up ? .informational : .warning,
                          message: "path \(name): \(sig.kind.rawValue) \(sig.health.rawValue): \(sig.reason)",
                          fields: [EventField("path", name), EventField("signal", sig.kind.rawValue), EventField("reason", sig.reason)])
            }
            if st.health != .unknown && st.health != reportedHealth[i] {
                reportedHealth[i] = st.health
                emitEvent(type: "path_\(st.health.rawValue)", severity: st.health == .up ? .notice : .warning,
                          message: "path \(name) \(st.health.rawValue): \(st.reason)",
                          fields: [EventField("path", name), EventField("reason", st.reason)])
            }
        }
    }
}
