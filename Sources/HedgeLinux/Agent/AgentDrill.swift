import CHedge
import HedgeCore

/// The agent's side of `hedge drill`: hold a path down on request, release it, and keep the result.
/// The drill itself (steps, timeline) runs in the client; the agent only makes sure a hold never
/// outlives its lease.
extension Agent {
    func hold(path: Int, seconds: Int, now: Millis) {
        holds[path] = now + Millis(seconds) * 1000
        Log.info("drill: holding \(config.paths[path].name) down for at most \(seconds) s")
        decision.signal(path: path, .hold, .down, reason: "held down by hedge drill", now: now)
        holdBGP(path: path, held: true, now: now)
        step(now: now)
    }

    func release(path: Int, now: Millis) {
        holds[path] = nil
        Log.info("drill: released \(config.paths[path].name)")
        decision.signal(path: path, .hold, .up, reason: "not held", now: now)
        holdBGP(path: path, held: false, now: now)
        step(now: now)
    }

    /// `hold PATH SECONDS`, `release PATH`, `drill-state`, `drill-done TEXT`.
    func answerDrill(_ words: [String]) -> String {
        let now = Clock.monotonicMs()
        switch words[0] {
        case "hold", "release":
            guard words.count >= 2, let p = config.pathIndex(named: words[1]) else {
                return "error: no such path '\(words.count > 1 ? words[1] : "")'\n"
            }
            if words[0] == "release" { release(path: p, now: now); return "ok\n" }
            let seconds = words.count > 2 ? Int(words[2]) ?? 120 : 120
            hold(path: p, seconds: min(max(seconds, 1), 3600), now: now)
            return "ok\n"
        case "drill-done":
            lastDrill = "\(CivilTime(epochMs: now + wallOffset).iso8601) " + words.dropFirst().joined(separator: " ")
            Log.info("drill: \(lastDrill ?? "")")
            let passed = words.count > 1 && words[1] == "ok:"
            if passed { lastDrillSuccessWallMs = now + wallOffset }
            emitEvent(type: "drill", severity: passed ? .notice : .warning, message: "drill " + words.dropFirst().joined(separator: " "),
                      fields: [EventField("result", passed ? "passed" : "failed")])
            return "ok\n"
        default:
            // One line per group and per path, space-separated: what the drill client polls.
            var out = ""
            for (gi, g) in config.groups.enumerated() {
                let active = decision.active(group: gi).map { config.paths[$0].name } ?? "none"
                let inUse = config.pathNames(decision.activeMembers(group: gi))
                out += "group \(g.name) active \(active) members \(g.paths.joined(separator: ","))"
                    + (inUse.count > 1 ? " in_use \(inUse.joined(separator: ","))" : "") + "\n"
            }
            for (i, p) in config.paths.enumerated() {
                let st = decision.paths[i]
                var line = "path \(p.name) \(st.health.rawValue) priority \(p.priority)"
                if let r = runtimes[i].probe {
                    line += " probe_sent \(r.tracker.sent) probe_received \(r.tracker.received) probe_lost \(r.tracker.lost)"
                    line += " rtt_us \(r.lastRTTUs ?? -1)"
                }
                out += line + "\n"
            }
            return out
        }
    }
}
