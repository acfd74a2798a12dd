import CHedge
import HedgeCore

/// SIGHUP: read and validate the file, work out what changed (`ReloadPlan`), open everything the
/// new configuration needs, and only then switch over. A file with errors, a key file that cannot
/// be read, a socket that cannot be opened: the running configuration stays, whole, and the log,
/// `/metrics` and the event stream say why. Unchanged paths keep their BFD and BGP sessions, probe
/// counters and health; unchanged groups keep their active path, hold-down and damping.
extension Agent {
    func reload() {
        notify?.reloading(nowUs: Clock.monotonicUs())
        defer { notify?.ready(status: serviceStatus()) }
        let r: ConfigResult
        do {
            r = ConfigLoader.parse(try FileIO.readText(configPath), file: configPath)
        } catch {
            reloadRefused("\(error)")
            return
        }
        for d in r.diagnostics { Log.warn("reload: \(d)") }
        guard let c = r.config else {
            reloadRefused("\(configPath) has \(r.errors.count) error(s), first: \(r.errors.first?.description ?? "?")")
            return
        }
        let plan = ReloadPlan(old: config, new: c)
        let keepMarks = c.kernel.probeTableBase == config.kernel.probeTableBase
        // Old runners that carry on, by new path index.
        var keptProbes = HashMap<Int, ProbeRunner>()
        var keptBFDs = HashMap<Int, BFDRunner>()
        for (n, o) in plan.paths {
            // A probe's fwmark and table follow its path's index.
            if n == o && keepMarks, let p = probes.first(where: { $0.path == o }) { keptProbes[n] = p }
            if let b = bfds.first(where: { $0.path == o }) { keptBFDs[n] = b }
        }
        // A group's measure carries on (with its counters) while the group and its measure are the same.
        var keptMeasures = HashMap<Int, MeasureRunner>()
        for (gi, g) in c.groups.enumerated() {
            if let m = measures.first(where: { $0.groupName == g.name }), m.config.withoutLocation == g.measure?.withoutLocation { keptMeasures[gi] = m }
        }
        // Everything that can fail, before anything changes.
        var newProbes: [ProbeRunner] = []
        var newBFDs: [BFDRunner] = []
        var newMeasures: [MeasureRunner] = []
        do throws(SystemError) {
            try checkSecrets(c, plan: plan)
            let now = Clock.monotonicMs()
            for (gi, g) in c.groups.enumerated() where keptMeasures[gi] == nil {
                if let m = g.measure { newMeasures.append(try MeasureRunner(group: gi, groupName: g.name, config: m, now: now)) }
            }
            for (i, p) in c.paths.enumerated() {
                if let pc = p.probe, keptProbes[i] == nil {
                    let mark = ProbePinning.table(base: c.kernel.probeTableBase, path: i)
                    newProbes.append(try ProbeRunner(path: i, config: pc, mark: mark, device: p.device))
                }
                if let b = p.bfd, keptBFDs[i] == nil {
                    newBFDs.append(try BFDRunner(path: i, config: b, device: p.device, jitter: &jitter))
                }
            }
        } catch {
            reloadRefused("\(error)")   // the prepared sockets close as they go out of scope
            return
        }
        // By the new group indices, before the switch-over's first step can report on them.
        for m in measures where !keptMeasures.values.contains(where: { $0 === m }) { loop.remove(m.socket.fd) }
        measures = []
        for (gi, m) in keptMeasures.stableSorted(by: { $0.key < $1.key }) { m.group = gi; measures.append(m) }
        for m in newMeasures { do { try addMeasure(m) } catch { recordError("reload: measure: \(error)") } }
        commit(c, plan: plan, keptProbes: keptProbes, keptBFDs: keptBFDs, newProbes: newProbes, newBFDs: newBFDs)
    }

    /// Key files the new configuration reads and the old one did not (or that changed): one that
    /// is missing, too open or unreadable refuses the whole reload.
    func checkSecrets(_ c: HedgeConfig, plan: ReloadPlan) throws(SystemError) {
        for (i, p) in c.paths.enumerated() where plan.paths[i] == nil {
            if let f = p.bgp?.md5KeyFile { _ = try BGPKeyFile.read(f) }
            if p.probe?.kind == .reflect, let f = p.probe?.keyFile { _ = try ReflectKeyFile.read(f) }
            if case .manual(let k)? = p.ipsec?.keying {
                let text = try SecretFile.readAll(k.keyFile, what: "ESP key file")
                do throws(IPsecKeyFileError) { _ = try IPsecKeyFile.parse(text, cipher: k.cipher, file: k.keyFile) } catch {
                    throw SystemError(error.description, errno: EINVAL, object: "ESP key file " + k.keyFile)
                }
            }
        }
    }

    func reloadRefused(_ why: String) {
        reloadsFailed += 1
        lastReloadWallMs = Clock.realtimeMs()
        lastReloadError = why
        // Not an agent error (hedge_errors_total): the reload counters and the event say it.
        Log.error("reload: \(why); keeping the running configuration (generation \(configGeneration))")
        emitEvent(type: "config_reload_failed", severity: .error, message: "reload refused: \(why)",
                  fields: [EventField(name: "generation", value: "\(configGeneration)")])
    }

    private func commit(_ c: HedgeConfig, plan: ReloadPlan, keptProbes: HashMap<Int, ProbeRunner>, keptBFDs: HashMap<Int, BFDRunner>,
                        newProbes: [ProbeRunner], newBFDs: [BFDRunner]) {
        let now = Clock.monotonicMs()
        let old = config
        let oldDecision = decision
        for p in probes where !keptProbes.values.contains(where: { $0 === p }) { loop.remove(p.socket.fd) }
        for b in bfds where !keptBFDs.values.contains(where: { $0 === b }) { loop.remove(b.socket.rx) }
        let oldPeers = bgpPeers
        bgpPeers = []
        config = c
        effective = nil
        decision = Decision(config: c)
        decision.inherit(from: oldDecision, plan: plan)
        carryGroupCounters(from: old)
        var rh = [Health](repeating: .unknown, count: c.paths.count)
        var rs = [HashMap<SignalKind, Health>](repeating: HashMap(), count: c.paths.count)
        for (n, o) in plan.paths where o < reportedHealth.count { rh[n] = reportedHealth[o]; rs[n] = reportedSignals[o] }
        reportedHealth = rh
        reportedSignals = rs
        // A drill's hold on a path that is still there stays (its lease still runs out by itself).
        var newHolds = HashMap<Int, Millis>()
        for (p, until) in holds {
            if let n = c.pathIndex(named: old.paths[p].name) {
                newHolds[n] = until
                decision.signal(path: n, .hold, .down, reason: "held down by hedge drill", now: now)
            }
        }
        holds = newHolds
        probes = keptProbes.stableSorted { $0.key < $1.key }.map { $0.value }
        for p in newProbes { addProbe(p) }
        bfds = []
        for (n, b) in keptBFDs.stableSorted(by: { $0.key < $1.key }) { b.path = n; bfds.append(b) }
        for b in newBFDs { addBFD(b) }
        do { try rebuildPathRuntimes() } catch { recordError("reload: \(error)") }
        do { try startIPsec(now: now) } catch { recordError("reload: ipsec: \(error)") }
        startClamp(now: now)
        resync(now: now, why: "reload")
        adoptFromKernel(now: now, except: HashSet(plan.groups.keys))
        do { try startBGP(now: now, keep: oldPeers) } catch { recordError("reload: BGP: \(error)") }
        reloadRouteWatches(plan: plan, now: now)
        if plan.bmpUnchanged, let b = bmp {
            var paths: [Int] = []
            for p in b.paths { if let n = plan.newIndex(ofOld: p) { paths.append(n) } }
            b.paths = paths
        } else {
            do { try startBMP(now: now) } catch { recordError("reload: BMP: \(error)") }
        }
        if old.control.socketPath != c.control.socketPath {
            control?.shutdown()
            control = nil
            do { try startControl() } catch { recordError("reload: control socket: \(error)") }
        }
        if old.reporting != c.reporting { restartReporting() }
        configGeneration += 1
        reloadsSucceeded += 1
        lastReloadWallMs = Clock.realtimeMs()
        lastReloadError = nil
        let what = plan.changes.isEmpty ? "no changes" : plan.changes.joined(separator: "; ")
        Log.info("reload: applied \(configPath) as generation \(configGeneration): \(what)")
        emitEvent(type: "config_reload", severity: .notice, message: "configuration generation \(configGeneration) applied: \(what)",
                  fields: [EventField(name: "generation", value: "\(configGeneration)")])
        needsReconcile = true
        step(now: now, due: true)
        loop.rescheduleAll()
    }

    /// Per-group counters follow the group's name across a reload.
    private func carryGroupCounters(from old: HedgeConfig) {
        let n = config.groups.count
        var sw = [Int](repeating: 0, count: n), last = [SwitchEvent?](repeating: nil, count: n)
        var fo = sw, fb = sw
        var lf = [Int64?](repeating: nil, count: n), lw = lf
        for (gi, g) in config.groups.enumerated() {
            guard let o = old.groups.firstIndex(where: { $0.name == g.name }) else { continue }
            sw[gi] = switches[o]; last[gi] = lastSwitch[o]; fo[gi] = failovers[o]; fb[gi] = failbacks[o]
            lf[gi] = lastFailoverWallMs[o]; lw[gi] = lossWindowMs[o]
        }
        switches = sw; lastSwitch = last; failovers = fo; failbacks = fb; lastFailoverWallMs = lf; lossWindowMs = lw
    }

    /// Unchanged paths keep their route-watch (and what it has seen); the others start over.
    private func reloadRouteWatches(plan: ReloadPlan, now: Millis) {
        var kept: [AgentRouteWatch] = []
        for w in routeWatches {
            if let n = plan.newIndex(ofOld: w.path) {
                w.path = n
                kept.append(w)
            } else {
                loop.remove(w.socket.fd)
            }
        }
        routeWatches = kept
        for (i, p) in config.paths.enumerated() where p.watchRoutes != nil && !kept.contains(where: { $0.path == i }) {
            do { try startRouteWatch(path: i, now: now) } catch { recordError("reload: route-watch: \(error)") }
        }
    }
}
