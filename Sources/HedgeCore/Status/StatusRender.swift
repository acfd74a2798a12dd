/// `hedge status` as a table a network engineer reads like `birdc show protocols`, and as JSON.
public enum StatusRender {
    public static func table(_ s: StatusSnapshot) -> String {
        var out = "hedge \(s.version)"
        if let r = s.routerID { out += "  router-id \(r)" }
        if let a = s.localAS { out += "  AS\(a)" }
        out += "  up \(humanDuration(s.uptimeMs))  \(CivilTime(epochMs: s.nowWallMs).iso8601)\n\n"

        var rows = [["Path", "Prio", "Device", "State", "Since", "Info"]]
        for p in s.paths {
            var info: [String] = []
            for sig in p.signals {
                var t = "\(sig.kind) \(sig.health.rawValue)"
                if sig.health == .down && !sig.reason.isEmpty { t += " (\(sig.reason))" }
                if sig.kind == "probe", let pr = p.probe {
                    t += " \(pr.target)"
                    if let rtt = pr.rttUs { t += " rtt \(formatDecimal(rtt, decimals: 3))ms" }
                    t += " \(pr.received)/\(pr.sent)"
                    if let f = pr.forwardLoss, let r = pr.returnLoss { t += " loss out \(f) back \(r)" }
                    if let x = pr.rejected, x > 0 { t += " rejected \(x)" }
                }
                if sig.kind == "sa", let tu = p.tunnel {
                    t += " if_id \(tu.ifID) \(tu.keying) \(tu.local) -> \(tu.remote)"
                    if let o = tu.spiOut, let i = tu.spiIn {
                        t += " spi out 0x\(hex32(o)) in 0x\(hex32(i)) pkts \(tu.packetsOut)/\(tu.packetsIn)"
                    }
                    if let ike = tu.ike { t += " [\(ike)]" }
                    t += " mtu \(tu.mtu)" + (tu.mss.map { " mss \($0)" + (tu.clampInPlace ? "" : " (clamp NOT in place)") } ?? " mss off")
                }
                if sig.kind == "bfd", let b = p.bfd {
                    t += " \(b.neighbor) \(b.state.name)/\(b.remoteState.name)"
                    t += " tx \(humanDuration(b.transmitIntervalUs / 1000))"
                    if let d = b.detectionTimeUs { t += " detect \(humanDuration(d / 1000))" }
                    if b.state != .up && b.diagnostic != .none { t += " diag \(b.diagnostic.name)" }
                }
                if sig.kind == "bgp", let b = p.bgp {
                    t += " \(b.neighbor) AS\(b.remoteAS) \(b.state)"
                    if let u = b.upForMs { t += " \(humanDuration(u))" }
                    t += " rx \(b.learned)"
                    if b.stale > 0 { t += " (\(b.stale) stale)" }
                    t += " tx \(b.announced)"
                    if b.announceWanted > b.announced - b.moreSpecifics { t += " of \(b.announceWanted) (limit)" }
                    if b.returnSteering == "active" {
                        t += " steering return (\(b.moreSpecifics) more-specifics"
                        t += b.unsteered > 0 ? ", \(b.unsteered) prefixes not steered: limit)" : ")"
                    }
                    if b.establishedTransitions > 1 { t += " flaps \(b.establishedTransitions - 1)" }
                }
                info.append(t)
            }
            if p.flaps > 0 { info.append("flaps \(p.flaps)") }
            rows.append([p.name, "\(p.priority)", p.device, p.health.rawValue,
                         p.forMs.map(humanDuration) ?? "-", info.joined(separator: "; ")])
        }
        out += columns(rows)

        rows = [["Group", "Active", "Prefixes", "Nexthop", "Last change"]]
        for g in s.groups {
            var last = "-"
            if let e = g.lastSwitch {
                last = "\(CivilTime(epochMs: e.wallMs).timeOfDay) \(e.kind)"
                if let f = e.from { last += " \(f) -> \(e.to)" } else { last += " -> \(e.to)" }
                last += ": \(e.reason)"
            }
            if let st = g.stranded { last += " [\(st)]" }
            if let a = g.noRedundancy { last += " [ALARM \(a)]" }
            let prefixes = g.prefixCount == 1 && g.prefixes.count == 1 ? g.prefixes[0] : "\(g.prefixCount)"
            // Like `ip route`'s multipath: the hops that carry together.
            let active = g.inUse.count > 1 ? g.inUse.joined(separator: " + ") + " (ECMP)" : g.active ?? "none"
            rows.append([g.name, active, prefixes, "\(g.nexthopID)", last])
        }
        out += "\n" + columns(rows)
        for g in s.groups {
            for m in g.members {
                if m.suppressed { out += "  \(g.name): \(m.path) suppressed (damping penalty \(m.penalty))\n" }
                if let r = m.holdDownRemainingMs { out += "  \(g.name): \(m.path) in hold-down, \(humanDuration(r)) left\n" }
            }
            if g.failovers > 0 || g.failbacks > 0 {
                out += "  \(g.name): \(g.failovers) failovers, \(g.failbacks) failbacks"
                if let t = g.lastFailoverWallMs { out += ", last failover \(CivilTime(epochMs: t).iso8601)" }
                if let l = g.lossWindowMs { out += " (loss window \(humanDuration(l)))" }
                out += "\n"
            }
            if let m = g.measure { out += measureLine(g.name, m) }
        }
        let k = s.kernel
        out += "\nKernel: \(k.nexthopObjects ? "nexthop objects" : "per-route replace (no nexthop objects)"), "
        out += "proto \(k.protocolID), \(k.changes) changes, \(k.resyncs) resyncs, \(k.errors) errors\n"
        if let e = k.lastError { out += "Last error: \(e)\n" }
        if let d = s.lastDrill { out += "Last drill: \(d)\n" }
        let c = s.config
        if c.reloadsSucceeded + c.reloadsFailed > 0 {
            out += "Config: generation \(c.generation), reloads \(c.reloadsSucceeded) ok \(c.reloadsFailed) failed"
            if let t = c.lastReloadWallMs { out += ", last \(CivilTime(epochMs: t).iso8601)" }
            out += c.lastReloadError.map { " refused: \($0)" } ?? ""
            out += "\n"
        }
        let e = s.events
        if e.pushTarget != nil || e.queued + e.delivered + e.dropped + e.syslogSent + e.syslogErrors + e.pushErrors > 0 {
            out += "Events: \(e.delivered) delivered, \(e.queued) queued, \(e.dropped) dropped"
            out += ", syslog \(e.syslogSent) sent \(e.syslogErrors) errors"
            if let t = e.pushTarget { out += ", push to \(t) \(e.pushErrors) errors" }
            out += "\n"
            if let err = e.lastPushError { out += "Last push error: \(err)\n" }
        }
        return out
    }

    /// `  azure: measure 10.200.0.4 from 172.16.0.1: failover 12 ms out, 14 ms back; failback 0 ms, 0 ms`
    private static func measureLine(_ group: String, _ m: MeasureStatus) -> String {
        func one(_ kind: String, _ t: TransitionLossStatus?) -> String? {
            guard let t else { return nil }
            return "\(kind) \(t.forwardMs) ms out, \(t.returnMs) ms back" + (t.settled ? "" : " (still measuring)")
        }
        var out = "  \(group): measure \(m.target) from \(m.source) every \(humanDuration(m.intervalMs)): "
        out += "\(m.sent) sent, lost \(m.forwardLoss) out, \(m.returnLoss) back"
        if m.unanswered > 1 { out += ", \(m.unanswered) unanswered" }
        let last = [one("failover", m.lastFailover), one("failback", m.lastFailback)].compactMap { $0 }
        if !last.isEmpty { out += "; last " + last.joined(separator: "; ") }
        return out + "\n"
    }

    private static func columns(_ rows: [[String]]) -> String {
        var widths = [Int](repeating: 0, count: rows[0].count)
        for r in rows { for (i, c) in r.enumerated() where i < r.count - 1 { widths[i] = max(widths[i], c.count) } }
        var out = ""
        for r in rows {
            var line = ""
            for (i, c) in r.enumerated() {
                line += c
                if i < r.count - 1 { line += String(repeating: " ", count: widths[i] - c.count + 2) }
            }
            while line.hasSuffix(" ") { line.removeLast() }
            out += line + "\n"
        }
        return out
    }

    public static func json(_ s: StatusSnapshot) -> String {
        var w = JSONWriter()
        w.beginObject()
        w.string("version", s.version)
        w.string("router_id", s.routerID)
        w.int("local_as", s.localAS.map { Int64($0) })
        w.int("uptime_ms", s.uptimeMs)
        w.int("time_ms", s.nowWallMs)
        w.int("start_time_ms", s.startWallMs)
        w.beginArray("paths")
        for p in s.paths {
            w.beginObject()
            w.string("name", p.name); w.int("priority", p.priority); w.string("device", p.device)
            w.string("gateway", p.gateway); w.string("state", p.health.rawValue); w.string("reason", p.reason)
            w.int("since_ms_ago", p.forMs); w.int("flaps", p.flaps); w.int("changed_time_ms", p.changedWallMs)
            w.beginArray("signals")
            for sig in p.signals {
                w.beginObject()
                w.string("kind", sig.kind); w.string("state", sig.health.rawValue); w.string("reason", sig.reason)
                w.int("since_ms_ago", sig.forMs)
                w.endObject()
            }
            w.endArray()
            if let b = p.bfd {
                w.beginObject("bfd")
                w.string("neighbor", b.neighbor); w.string("state", b.state.name)
                w.string("remote_state", b.remoteState.name)
                w.string("diagnostic", b.diagnostic.name); w.int("diagnostic_code", Int(b.diagnostic.rawValue))
                w.int("transmit_interval_us", b.transmitIntervalUs); w.int("detection_time_us", b.detectionTimeUs)
                w.int("detect_multiplier", b.detectMultiplier); w.int("remote_detect_multiplier", b.remoteDetectMultiplier)
                w.int("packets_sent", b.packetsSent); w.int("packets_accepted", b.packetsAccepted)
                w.int("packets_discarded", b.packetsDiscarded); w.int("since_ms_ago", b.forMs)
                w.endObject()
            }
            if let pr = p.probe {
                w.beginObject("probe")
                w.string("kind", pr.kind); w.string("target", pr.target); w.int("interval_ms", pr.intervalMs)
                w.int("threshold", pr.threshold); w.int("sent", pr.sent); w.int("received", pr.received)
                w.int("lost", pr.lost); w.decimal("rtt_ms", pr.rttUs, decimals: 3)
                if pr.kind == "reflect" {
                    w.int("forward_loss", pr.forwardLoss); w.int("return_loss", pr.returnLoss)
                    w.decimal("rtt_min_ms", pr.minRTTUs, decimals: 3); w.decimal("rtt_avg_ms", pr.avgRTTUs, decimals: 3)
                    w.int("rejected", pr.rejected)
                }
                w.endObject()
            }
            if let tu = p.tunnel {
                w.beginObject("ipsec")
                w.int("if_id", Int64(tu.ifID)); w.string("local", tu.local); w.string("remote", tu.remote)
                w.string("keying", tu.keying)
                w.int("spi_out", tu.spiOut.map { Int64($0) }); w.int("spi_in", tu.spiIn.map { Int64($0) })
                w.int("packets_out", Int64(clamping: tu.packetsOut)); w.int("packets_in", Int64(clamping: tu.packetsIn))
                w.int("bytes_out", Int64(clamping: tu.bytesOut)); w.int("bytes_in", Int64(clamping: tu.bytesIn))
                w.string("ike", tu.ike); w.int("initiations", tu.initiations)
                w.int("mtu", tu.mtu); w.int("mss", tu.mss); w.bool("mss_clamp_in_place", tu.mss != nil && tu.clampInPlace)
                w.int("mss_clamp_restored", tu.clampRepairs)
                w.endObject()
            }
            if let b = p.bgp {
                w.beginObject("bgp")
                w.string("neighbor", b.neighbor); w.int("remote_as", Int64(b.remoteAS)); w.string("state", b.state)
                w.int("up_for_ms", b.upForMs); w.int("hold_ms", b.holdMs)
                w.int("prefixes_learned", b.learned); w.int("prefixes_stale", b.stale)
                w.int("prefixes_ignored", b.ignored); w.int("prefixes_announced", b.announced)
                w.int("prefixes_announce_configured", b.announceWanted); w.string("last_down", b.lastDown)
                w.int("established_transitions", b.establishedTransitions)
                w.string("return_steering", b.returnSteering); w.int("prefixes_more_specific", b.moreSpecifics)
                w.int("prefixes_unsteered", b.unsteered)
                w.endObject()
            }
            w.endObject()
        }
        w.endArray()
        w.beginArray("groups")
        for g in s.groups {
            w.beginObject()
            w.string("name", g.name); w.string("active", g.active)
            w.beginArray("in_use"); for p in g.inUse { w.string(nil, p) }; w.endArray()
            w.bool("ecmp", g.ecmp)
            w.beginArray("prefixes"); for p in g.prefixes { w.string(nil, p) }; w.endArray()
            w.int("prefix_count", g.prefixCount)
            w.int("nexthop_id", Int64(g.nexthopID)); w.int("hold_down_ms", g.holdDownMs)
            w.int("switches", g.switches); w.string("stranded", g.stranded)
            w.bool("redundant", g.noRedundancy == nil); w.string("no_redundancy", g.noRedundancy)
            w.int("failovers", g.failovers); w.int("failbacks", g.failbacks)
            w.int("last_failover_time_ms", g.lastFailoverWallMs); w.int("loss_window_ms", g.lossWindowMs)
            if let m = g.measure {
                w.beginObject("measure")
                w.string("target", m.target); w.string("source", m.source); w.int("interval_ms", m.intervalMs)
                w.int("sent", m.sent); w.int("received", m.received); w.int("forward_lost", m.forwardLoss)
                w.int("return_lost", m.returnLoss); w.int("unanswered", m.unanswered)
                for (name, t) in [("last_failover", m.lastFailover), ("last_failback", m.lastFailback)] {
                    guard let t else { continue }
                    w.beginObject(name)
                    w.int("forward_loss_ms", t.forwardMs); w.int("return_loss_ms", t.returnMs)
                    w.bool("settled", t.settled); w.int("time_ms", t.wallMs)
                    w.endObject()
                }
                w.endObject()
            }
            if let e = g.lastSwitch {
                w.beginObject("last_switch")
                w.string("kind", e.kind); w.string("from", e.from); w.string("to", e.to)
                w.string("reason", e.reason); w.int("time_ms", e.wallMs)
                w.endObject()
            }
            w.beginArray("members")
            for m in g.members {
                w.beginObject()
                w.string("path", m.path); w.bool("suppressed", m.suppressed); w.int("penalty", m.penalty)
                w.int("hold_down_remaining_ms", m.holdDownRemainingMs)
                w.endObject()
            }
            w.endArray()
            w.endObject()
        }
        w.endArray()
        let k = s.kernel
        w.beginObject("kernel")
        w.bool("nexthop_objects", k.nexthopObjects); w.int("protocol", Int(k.protocolID))
        w.int("changes", k.changes); w.int("resyncs", k.resyncs); w.int("errors", k.errors)
        w.int("netlink_errors", k.netlinkErrors)
        w.string("last_error", k.lastError)
        w.endObject()
        w.string("last_drill", s.lastDrill)
        let c = s.config
        w.beginObject("config")
        w.int("generation", c.generation); w.int("reloads_succeeded", c.reloadsSucceeded)
        w.int("reloads_failed", c.reloadsFailed); w.int("last_reload_time_ms", c.lastReloadWallMs)
        w.string("last_reload_error", c.lastReloadError)
        w.int("last_drill_success_time_ms", c.lastDrillSuccessWallMs)
        w.endObject()
        let e = s.events
        w.beginObject("events")
        w.int("queued", e.queued); w.int("delivered", e.delivered); w.int("dropped", e.dropped)
        w.int("syslog_sent", e.syslogSent); w.int("syslog_errors", e.syslogErrors)
        w.int("push_errors", e.pushErrors); w.string("push_target", e.pushTarget)
        w.string("last_push_error", e.lastPushError)
        w.endObject()
        w.endObject()
        return w.text + "\n"
    }
}
