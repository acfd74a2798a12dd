/// The `reporting` block's statements, word by word (values are checked in `Validator`).
extension Grammar {
    static let reporting: [Statement<DraftReporting>] = [
        .init("http", 1, 3, usage: "http ADDRESS [port NUMBER]; | http off;") { b, s, r in
            let a = s.args
            if a.count == 1 && a[0].text == "off" { r.httpOff = true; return }
            r.httpAddress = b.address(a[0], "http")
            if a.count == 3 && a[1].text == "port" {
                r.httpPort = b.number(a[2], "http port")
            } else if a.count != 1 {
                b.error(b.loc(a[1]), "expected 'port NUMBER' after the address (usage: \(b.usage(s, in: .reporting)))")
            }
        },
        .init("syslog", 1, 4, usage: "syslog local [\"PATH\"]; | syslog udp ADDRESS [port NUMBER]; | syslog off;") { b, s, r in
            b.buildSyslog(s.args, usage: b.usage(s, in: .reporting), into: &r)
        },
        .init("syslog-facility", 1, 1, usage: "syslog-facility daemon|local0..local7|...;") { b, s, r in r.facility = b.text(s) },
        .init("push", 1, 1, .optional, usage: "push \"http://ADDRESS[:PORT]/PATH\" { spool \"DIR\"; max-events NUMBER; }") { b, s, r in
            var p = DraftPush(at: b.loc(s.keyword), url: b.text(s))
            b.read(s.body, .push, push, owner: "push", into: &p)
            r.push = p
        },
    ]

    static let push: [Statement<DraftPush>] = [
        .init("spool", 1, 1, usage: "spool \"DIRECTORY\";") { b, s, p in p.spool = b.text(s) },
        .init("max-events", 1, 1, usage: "max-events NUMBER;") { b, s, p in p.maxEvents = b.number(s, "max-events") },
    ]
}

extension Builder {
    mutating func buildReporting(_ node: Node) -> DraftReporting {
        var r = DraftReporting(at: loc(node.keyword))
        read(node.body, .reporting, Grammar.reporting, owner: "reporting", into: &r)
        return r
    }

    /// The form of a statement, for a message about its values.
    func usage(_ s: Node, in kind: BlockKind) -> String { kind.keyword(s.keyword.text)?.usage ?? "" }

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
