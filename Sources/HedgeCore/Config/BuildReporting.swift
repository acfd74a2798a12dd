/// The `reporting` block's statements, word by word (values are checked in `Validator`).
extension Builder {
    mutating func buildReporting(_ node: Node) {
        var r = DraftReporting(at: loc(node.keyword))
        for s in statements(node.body ?? [], in: .reporting, owner: "reporting") {
            let a = s.args
            switch s.keyword.text {
            case "http":
                if a.count == 1 && a[0].text == "off" { r.httpOff = true; continue }
                r.httpAddress = address(a[0], "http")
                if a.count == 3 && a[1].text == "port" {
                    r.httpPort = number(a[2], "http port")
                } else if a.count != 1 {
                    error(loc(a[1]), "expected 'port NUMBER' after the address (usage: \((BlockKind.reporting.keyword(s.keyword.text)?.usage ?? "")))")
                }
            case "syslog":
                buildSyslog(a, usage: (BlockKind.reporting.keyword(s.keyword.text)?.usage ?? ""), into: &r)
            case "syslog-facility":
                r.facility = Located(a[0].text, loc(a[0]))
            case "push":
                var p = DraftPush(at: loc(s.keyword), url: Located(a[0].text, loc(a[0])))
                for ps in statements(s.body ?? [], in: .push, owner: "push") {
                    let v = ps.args[0]
                    switch ps.keyword.text {
                    case "spool": p.spool = Located(v.text, loc(v))
                    case "max-events": p.maxEvents = number(v, "max-events")
                    default: break
                    }
                }
                r.push = p
            default: break
            }
        }
        draft.reporting = r
    }

    mutating func buildSyslog(_ a: [Token], usage: String, into r: inout DraftReporting) {
        r.syslogAt = loc(a[0])
        switch a[0].text {
        case "off":
            if a.count > 1 { error(loc(a[1]), "nothing follows 'syslog off'") }
        case "local":
            if a.count > 2 { error(loc(a[2]), "expected at most a socket path after 'local' (usage: \(usage))") }
            let path = a.count > 1 ? Located(a[1].text, loc(a[1])) : Located("/dev/log", loc(a[0]))
            r.syslogPath = path
            r.syslog = .local(path.value)
        case "udp":
            guard a.count >= 2, let host = address(a[1], "syslog udp") else {
                if a.count < 2 { error(loc(a[0]), "'syslog udp' needs the collector's address (usage: \(usage))") }
                return
            }
            var port: UInt64 = 514
            if a.count == 4 && a[2].text == "port" {
                if let p = number(a[3], "syslog port") { r.syslogPort = p; port = p.value }
            } else if a.count != 2 {
                error(loc(a[2]), "expected 'port NUMBER' after the address (usage: \(usage))")
            }
            r.syslog = .udp(host.value, UInt16(truncatingIfNeeded: port))
        default:
            error(loc(a[0]), "syslog takes 'local', 'udp' or 'off', not \(a[0].quoted)" + Suggest.hint(a[0].text, in: ["local", "udp", "off"]))
        }
    }
}
