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
                }
                if sig.kind == "bgp", let b = p.bgp {
                    t += " \(b.neighbor) AS\(b.remoteAS) \(b.state)"
                    if let u = b.upForMs { t += " \(humanDuration(u))" }
                    t += " rx \(b.learned)"
                    if b.stale > 0 { t += " (\(b.stale) stale)" }
                    t += " tx \(b.announced)"
                    if b.announceWanted > b.announced { t += " of \(b.announceWanted) (limit)" }
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
            let prefixes = g.prefixes.count == 1 ? g.prefixes[0] : "\(g.prefixes.count)"
            rows.append([g.name, g.active ?? "none", prefixes, "\(g.nexthopID)", last])
        }
        out += "\n" + columns(rows)
        for g in s.groups {
            for m in g.members {
                if m.suppressed { out += "  \(g.name): \(m.path) suppressed (damping penalty \(m.penalty))\n" }
                if let r = m.holdDownRemainingMs { out += "  \(g.name): \(m.path) in hold-down, \(humanDuration(r)) left\n" }
            }
        }
        let k = s.kernel
        out += "\nKernel: \(k.nexthopObjects ? "nexthop objects" : "per-route replace (no nexthop objects)"), "
        out += "proto \(k.protocolID), \(k.changes) changes, \(k.resyncs) resyncs, \(k.errors) errors\n"
        if let e = k.lastError { out += "Last error: \(e)\n" }
        if let d = s.lastDrill { out += "Last drill: \(d)\n" }
        return out
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
        w.beginArray("paths")
        for p in s.paths {
            w.beginObject()
            w.string("name", p.name); w.int("priority", p.priority); w.string("device", p.device)
            w.string("gateway", p.gateway); w.string("state", p.health.rawValue); w.string("reason", p.reason)
            w.int("since_ms_ago", p.forMs); w.int("flaps", p.flaps)
            w.beginArray("signals")
            for sig in p.signals {
                w.beginObject()
                w.string("kind", sig.kind); w.string("state", sig.health.rawValue); w.string("reason", sig.reason)
                w.int("since_ms_ago", sig.forMs)
                w.endObject()
            }
            w.endArray()
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
                w.endObject()
            }
            if let b = p.bgp {
                w.beginObject("bgp")
                w.string("neighbor", b.neighbor); w.int("remote_as", Int64(b.remoteAS)); w.string("state", b.state)
                w.int("up_for_ms", b.upForMs); w.int("hold_ms", b.holdMs)
                w.int("prefixes_learned", b.learned); w.int("prefixes_stale", b.stale)
                w.int("prefixes_ignored", b.ignored); w.int("prefixes_announced", b.announced)
                w.int("prefixes_announce_configured", b.announceWanted); w.string("last_down", b.lastDown)
                w.endObject()
            }
            w.endObject()
        }
        w.endArray()
        w.beginArray("groups")
        for g in s.groups {
            w.beginObject()
            w.string("name", g.name); w.string("active", g.active)
            w.beginArray("prefixes"); for p in g.prefixes { w.string(nil, p) }; w.endArray()
            w.int("nexthop_id", Int64(g.nexthopID)); w.int("hold_down_ms", g.holdDownMs)
            w.int("switches", g.switches); w.string("stranded", g.stranded)
            w.bool("redundant", g.noRedundancy == nil); w.string("no_redundancy", g.noRedundancy)
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
        w.string("last_error", k.lastError)
        w.endObject()
        w.string("last_drill", s.lastDrill)
        w.endObject()
        return w.text + "\n"
    }
}
