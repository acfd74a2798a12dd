/// A path's `probe` and a group's `measure`.
extension Validator {
    mutating func validateProbe(_ pr: DraftProbe, path p: DraftPath) -> ProbeConfig? {
        var ok = true
        let defaults = ProbeConfig(kind: pr.kind, target: pr.target.value, location: pr.at)
        if !isUnicast(pr.target.value) {
            error(pr.target.at, "probe target must be a unicast address, not \(pr.target.value)"); ok = false
        }
        let fam = families(p)
        if pr.target.value.isV4 ? !fam.v4 : !fam.v6 {
            let which = pr.target.value.isV4 ? "IPv4" : "IPv6"
            let fix = pr.target.value.isV4 ? "an IPv4 'gateway'" : "'gateway6'"
            error(pr.target.at, "probe target is \(which) but path '\(p.name.value)' has no \(which) gateway; add \(fix)")
            ok = false
        }
        if let s = pr.source, s.value.isV4 != pr.target.value.isV4 {
            error(s.at, "probe source \(s.value) and target \(pr.target.value) are of different address families"); ok = false
        }
        if let port = pr.port {
            if pr.kind == .icmp {
                error(port.at, "'port' applies to udp and reflect probes only"); ok = false
            } else if !range(port, 1, 65535, "port must be 1–65535") { ok = false }
        }
        if pr.kind == .reflect && pr.keyFile == nil {
            error(pr.at, "a reflect probe needs 'key-file \"PATH\";' (the key shared with hedge-reflect)"); ok = false
        }
        if let k = pr.keyFile, pr.kind != .reflect {
            error(k.at, "'key-file' applies to reflect probes only"); ok = false
        }
        if !range(pr.interval, 1, 60_000, "probe interval must be 1ms–60s") { ok = false }
        if !range(pr.threshold, 1, 255, "threshold must be 1–255") { ok = false }
        if !range(pr.recover, 1, 255, "recover must be 1–255") { ok = false }
        guard ok else { return nil }
        let interval = pr.interval?.value ?? defaults.intervalMs
        let threshold = Int(pr.threshold?.value ?? UInt64(defaults.threshold))
        let detection = interval * Millis(threshold)
        if detection < 3 {
            error(pr.interval?.at ?? pr.threshold?.at ?? pr.at,
                  "probe detection time \(detection)ms (threshold \(threshold) × interval \(interval)ms) is under 3ms; too fast to be meaningful")
            return nil
        }
        let port = pr.port.map { UInt16($0.value) } ?? (pr.kind == .reflect ? ProbeConfig.reflectPort : 7)
        return ProbeConfig(kind: pr.kind, target: pr.target.value, port: port, keyFile: pr.keyFile?.value,
                           source: pr.source?.value, intervalMs: interval, threshold: threshold,
                           recover: Int(pr.recover?.value ?? UInt64(defaults.recover)), location: pr.at)
    }

    /// A group's `measure reflect`: a reflect probe with a LAN source; it reports, so the path
    /// probe's detection settings have no meaning here.
    mutating func validateMeasure(_ m: DraftProbe, group: String, members: [DraftPath]) -> ProbeConfig? {
        var ok = true
        if m.kind != .reflect {
            error(m.at, "'measure' takes reflect only (usage: measure reflect ADDRESS { source ADDRESS; key-file \"PATH\"; }): telling forward from return loss needs the reflector's count")
            ok = false
        }
        if !isUnicast(m.target.value) {
            error(m.target.at, "measure target must be a unicast address, not \(m.target.value)"); ok = false
        }
        if let t = m.threshold ?? m.recover {
            error(t.at, "'threshold' and 'recover' apply to a path's probe; a group's measure decides nothing"); ok = false
        }
        if m.keyFile == nil {
            error(m.at, "a measure needs 'key-file \"PATH\";' (the key shared with hedge-reflect)"); ok = false
        }
        if let port = m.port, !range(port, 1, 65535, "port must be 1–65535") { ok = false }
        if !range(m.interval, 1, 60_000, "measure interval must be 1ms–60s") { ok = false }
        guard let source = m.source else {
            error(m.at, "a measure needs 'source ADDRESS;': an on-prem LAN address of this router, so that Azure routes its replies as it routes the LAN's traffic")
            return nil
        }
        if source.value.isV4 != m.target.value.isV4 {
            error(source.at, "measure source \(source.value) and target \(m.target.value) are of different address families"); ok = false
        }
        guard ok else { return nil }
        let announced = members.flatMap { $0.announce.map { $0.value } }
        if !announced.isEmpty && !announced.contains(where: { $0.contains(source.value) }) {
            warning(source.at, "measure source \(source.value) is in no prefix the paths of group '\(group)' announce; Azure may not route its replies back to it")
        }
        return ProbeConfig(kind: .reflect, target: m.target.value, port: m.port.map { UInt16($0.value) } ?? ProbeConfig.reflectPort,
                           keyFile: m.keyFile?.value, source: source.value, intervalMs: m.interval?.value ?? 10,
                           threshold: 1, recover: 1, location: m.at)
    }
}
