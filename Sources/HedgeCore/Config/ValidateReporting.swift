/// The `reporting` block: listen address, syslog destination, push collector and its queue.
extension Validator {
    mutating func validateReporting(_ d: DraftConfig, into config: inout HedgeConfig) {
        guard let r = d.reporting else { return }
        var out = ReportingConfig()
        if r.httpOff {
            out.http = nil
        } else if let a = r.httpAddress {
            var h = HTTPListenConfig(address: a.value)
            if range(r.httpPort, 1, 65535, "http port must be 1–65535"), let p = r.httpPort { h.port = UInt16(p.value) }
            if !a.value.isLoopback {
                warning(a.at, "metrics and status on \(a.value), not loopback: they tell anyone who can reach it which path is down; firewall the port")
            }
            out.http = h
        }
        if let path = r.syslogPath, path.value.utf8.first != 47 {
            error(path.at, "syslog socket must be an absolute path")
        } else if let path = r.syslogPath, path.value.utf8.count > 107 {
            error(path.at, "syslog socket path is \(path.value.utf8.count) bytes; a unix socket path holds at most 107")
        }
        _ = range(r.syslogPort, 1, 65535, "syslog port must be 1–65535")
        out.syslog = r.syslog
        if let f = r.facility {
            if let fac = SyslogFacility(name: f.value) {
                out.syslogFacility = fac.code
            } else {
                error(f.at, "unknown syslog facility '\(f.value)'" + Suggest.hint(f.value, in: SyslogFacility.names.map { $0.0 }))
            }
            if r.syslog == nil { warning(f.at, "syslog-facility without a 'syslog' destination: no records are sent") }
        }
        if let p = r.push {
            var pc = PushConfig(url: p.url.value)
            do throws(CollectorURLError) { _ = try CollectorURL(p.url.value) } catch { self.error(p.url.at, error.message) }
            if let s = p.spool {
                if s.value.utf8.first != 47 { error(s.at, "spool must be an absolute directory path") } else { pc.spool = s.value }
            }
            if range(p.maxEvents, 1, 10_000_000, "max-events must be 1–10000000"), let m = p.maxEvents { pc.maxEvents = Int(m.value) }
            out.push = pc
        }
        config.reporting = out
    }
}
