import CHedge
import HedgeCore

/// What a path of the new configuration runs with: the parts that carry on from the running one
/// (`kept`) and those `prepare` opened for it.
struct PreparedPath {
    var probe: ProbeRunner?
    var bfd: BFDRunner?
    var bgp: AgentBGPPeer?
    var tunnel: AgentTunnel?
    /// Static keying: the SAs its key file describes.
    var tunnelKeys: XfrmTunnel?
    /// A tunnel that carries on and whose key file could not be read again (it keeps its keys).
    var keyProblem: String?
    /// strongSwan keying of a new or changed tunnel: charon, already connected.
    var ike: (AgentIKE, VICIClient)?
    var routeWatch: AgentRouteWatch?
    var probeKept = false, bfdKept = false, bgpKept = false, tunnelKept = false, routeWatchKept = false
    /// The session's listener clashes with the one it replaces: opened in `commit`, once that is
    /// closed (both cannot be bound at once; its key file was read in `prepare`).
    var bgpAfterClose = false
}

/// Everything the new configuration needs that can fail, opened and read, with nothing of the
/// running agent changed: `commit` only puts it in place.
struct PreparedReload {
    let config: HedgeConfig
    let plan: ReloadPlan
    var paths: [PreparedPath]
    /// Measures that carry on (by new group index), and those opened.
    var keptMeasures: [(Int, MeasureRunner)] = []
    var newMeasures: [MeasureRunner] = []
    var xfrm: (XfrmNetlink, XfrmEvents)?
    var nft: (NftNetlink, NftEvents)?
    /// nil: the station stays as it is (`plan.bmpUnchanged`).
    var bmp: BMPReplacement?
    var control: ControlServer?
    var reporting: ReportingReplacement?
}

enum BMPReplacement {
    /// No path watches a neighbour any more.
    case off
    case station(BMPStation, [Int])
    /// Same listener as the running station's: opened in `commit`, once that one is closed.
    case afterClose
}

/// The `reporting` block changed: its new parts. nil ones that are on carry on from the old.
struct ReportingReplacement {
    /// nil: `/metrics` stays as it is.
    var http: HTTPReplacement?
    var syslog: SyslogSink?
    var spool: EventSpool?
    var pusher: EventPusher?
    var keepSyslog = false, keepPush = false
}

enum HTTPReplacement {
    case off
    case server(HTTPServer)
    /// Same port as the running endpoint's, which holds it: bound in `commit`, once that one is closed.
    case afterClose
}

/// SIGHUP in two phases. `prepare` reads and validates the file, works out what changed
/// (`ReloadPlan`), and opens everything the new configuration needs: probe, BFD, BGP, route-watch
/// and BMP sockets, the control socket and `/metrics` if they move, syslog and the event queue,
/// XFRM and nftables, charon's VICI socket; and it reads every key file. It changes nothing. Any
/// failure refuses the reload: the running configuration stays whole, its listeners still serve,
/// and the log, `reloads_failed`, `/metrics` and the event stream say why. `commit` swaps it all
/// in and cannot fail. Only a listener that takes over the very address of the one it replaces is
/// bound in `commit`, right after that one closes (the two cannot be bound at once).
/// Unchanged paths keep their BFD and BGP sessions, probe counters and health; unchanged groups
/// keep their active path, hold-down and damping; every group keeps its counters, by name.
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
        let prepared: PreparedReload
        do {
            prepared = try prepare(c)
        } catch {
            reloadRefused("\(error)")   // what was opened closes as it goes out of scope
            return
        }
        commit(prepared)
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

    // MARK: prepare

    /// Opens and reads everything `c` needs; changes nothing. Throws what would refuse the reload.
    func prepare(_ c: HedgeConfig) throws(SystemError) -> PreparedReload {
        let plan = ReloadPlan(old: config, new: c)
        var out = PreparedReload(config: c, plan: plan, paths: [PreparedPath](repeating: PreparedPath(), count: c.paths.count))
        // A probe's fwmark and table follow its path's index.
        let keepMarks = c.kernel.probeTableBase == config.kernel.probeTableBase
        for (n, p) in c.paths.enumerated() {
            var pp = PreparedPath()
            let unchanged = plan.paths[n]
            let same = config.pathIndex(named: p.name).map { runtimes[$0] }
            if let o = unchanged, o == n && keepMarks, let probe = runtimes[o].probe {
                pp.probe = probe; pp.probeKept = true
            } else {
                pp.probe = try openProbe(path: n, in: c)
            }
            if let o = unchanged, let b = runtimes[o].bfd {
                pp.bfd = b; pp.bfdKept = true
            } else {
                pp.bfd = try openBFD(path: n, in: c)
            }
            // The same session (by what would need a new one) carries on, with the peer's routes.
            if p.bgp != nil {
                if let o = same, let peer = o.bgp, peer.signature == bgpSignature(p, in: c) {
                    pp.bgp = peer; pp.bgpKept = true
                } else {
                    do { pp.bgp = try makeBGPPeer(path: n, in: c) } catch {
                        // The session it replaces holds the listener: the key is read now, the socket opened in commit.
                        guard error.errno == EADDRINUSE, let o = same?.bgp, o.runner.transport.config.device == p.device else { throw error }
                        if let f = p.bgp?.md5KeyFile { _ = try BGPKeyFile.read(f) }
                        pp.bgpAfterClose = true
                    }
                }
            }
            if let ipsec = p.ipsec {
                // The same tunnel (SAs and keying; its MSS or MTU may change) carries on with its
                // charon connection. Its key file is read again (a rotated key goes in); if that
                // fails it keeps the keys it has, as at start (after `--user` the agent may no longer
                // read root's key files).
                if let o = same, let t = o.tunnel, t.device == p.device,
                   ReloadPlan.keepsTunnel(t.config, ipsec) {
                    pp.tunnel = t; pp.tunnelKept = true; pp.tunnelKeys = t.tunnel
                    do { pp.tunnelKeys = try readTunnelKeys(ipsec) } catch { pp.keyProblem = "\(error)" }
                } else {
                    pp.tunnel = AgentTunnel(path: n, config: ipsec, device: p.device)
                    pp.tunnelKeys = try readTunnelKeys(ipsec)
                    pp.ike = try openIKE(ipsec)
                }
            }
            if let o = unchanged, let w = runtimes[o].routeWatch {
                pp.routeWatch = w; pp.routeWatchKept = true
            } else {
                pp.routeWatch = try openRouteWatch(path: n, in: c)
            }
            out.paths[n] = pp
        }
        // A group's measure carries on (with its counters) while the group and its measure are the same.
        let now = Clock.monotonicMs()
        for (gi, g) in c.groups.enumerated() {
            guard let mc = g.measure else { continue }
            if let m = measures.first(where: { $0.groupName == g.name }), m.config.withoutLocation == mc.withoutLocation {
                out.keptMeasures.append((gi, m))
            } else {
                out.newMeasures.append(try MeasureRunner(group: gi, groupName: g.name, config: mc, now: now))
            }
        }
        if xfrm == nil && c.paths.contains(where: { $0.ipsec != nil }) { out.xfrm = try openXfrm() }
        if nft == nil && NftClamp.wanted(c) { out.nft = try openNft() }
        if !plan.bmpUnchanged {
            do {
                if let (s, paths) = try openBMP(in: c) { out.bmp = .station(s, paths) } else { out.bmp = .off }
            } catch {
                guard error.errno == EADDRINUSE, bmp != nil, config.bmp.port == c.bmp.port else { throw error }
                out.bmp = .afterClose
            }
        }
        if c.reporting != config.reporting { out.reporting = try prepareReporting(c.reporting) }
        // Last: a bound control socket that is dropped would leave its file behind.
        if c.control.socketPath != config.control.socketPath { out.control = try ControlServer(path: c.control.socketPath) }
        return out
    }

    /// The new `reporting` block's parts that differ from the running ones, opened.
    private func prepareReporting(_ r: ReportingConfig) throws(SystemError) -> ReportingReplacement {
        let old = config.reporting
        var out = ReportingReplacement()
        if r.http != old.http {
            if let h = r.http {
                do { out.http = .server(try HTTPServer(address: h.address, port: h.port)) } catch {
                    guard error.errno == EADDRINUSE, http != nil, old.http?.port == h.port else { throw error }
                    out.http = .afterClose
                }
            } else {
                out.http = .off
            }
        }
        let host = EventLog.systemHostname()
        if r.syslog == old.syslog && r.syslogFacility == old.syslogFacility {
            out.keepSyslog = true
        } else if let d = r.syslog {
            out.syslog = try SyslogSink(target: d, facility: SyslogFacility(code: r.syslogFacility) ?? .daemon, hostname: host)
        }
        if r.push == old.push {
            out.keepPush = true
        } else if let p = r.push {
            let s = try EventSpool(directory: p.spool, maxEvents: p.maxEvents, hostname: host)
            out.spool = s
            // Validated with the file: a URL that does not parse never gets here.
            if let u = try? CollectorURL(p.url) { out.pusher = EventPusher(url: u, spool: s) }
        }
        return out
    }

    // MARK: commit

    /// Puts a prepared configuration in place. Nothing here throws: what could fail was opened in
    /// `prepare`; what the kernel refuses afterwards is logged and counted as at any other time.
    func commit(_ p: PreparedReload) {
        let now = Clock.monotonicMs()
        let c = p.config, plan = p.plan
        let old = config
        let oldDecision = decision
        // Events first: nothing may be written to the old queue once the new one has read it.
        if let r = p.reporting { swapEvents(r, now: now) }
        // The running parts that do not carry on close; those that do leave the loop for their new runtime.
        for r in runtimes {
            detach(r)
            if let peer = r.bgp, !p.paths.contains(where: { $0.bgpKept && $0.bgp === peer }) {
                peer.binding.detach()
                _ = peer.runner.close(now: now)
            }
            if let t = r.tunnel, !p.paths.contains(where: { $0.tunnelKept && $0.tunnel === t }) { stopIKE(t) }
            if let w = r.routeWatch, !p.paths.contains(where: { $0.routeWatchKept && $0.routeWatch === w }) { loop.remove(w.socket.fd) }
        }
        for m in measures where !p.keptMeasures.contains(where: { $0.1 === m }) { loop.remove(m.socket.fd) }

        config = c
        effective = nil
        decision = Decision(config: c)
        decision.inherit(from: oldDecision, plan: plan)
        // Per-group counters follow the group's name.
        groups = c.groups.map { g in old.groups.firstIndex(where: { $0.name == g.name }).map { groups[$0] } ?? GroupRuntime() }
        var rh = [Health](repeating: .unknown, count: c.paths.count)
        var rs = [HashMap<SignalKind, Health>](repeating: HashMap(), count: c.paths.count)
        for (n, o) in plan.paths where o < reportedHealth.count { rh[n] = reportedHealth[o]; rs[n] = reportedSignals[o] }
        reportedHealth = rh
        reportedSignals = rs
        // A drill's hold on a path that is still there stays (its lease still runs out by itself).
        var newHolds = HashMap<Int, Millis>()
        for (path, until) in holds {
            if let n = c.pathIndex(named: old.paths[path].name) {
                newHolds[n] = until
                decision.signal(path: n, .hold, .down, reason: "held down by hedge drill", now: now)
            }
        }
        holds = newHolds

        // The new runtimes, by new path index; parts that carry on are renumbered.
        runtimes = c.paths.indices.map { PathRuntime(path: $0, agent: self) }
        for (n, pp) in p.paths.enumerated() {
            let r = runtimes[n]
            r.probe = pp.probe
            r.bfd = pp.bfd
            pp.bfd?.path = n
            r.bgp = pp.bgp
            pp.bgp?.ref.path = n
            r.tunnel = pp.tunnel
            pp.tunnel?.path = n
            if let ipsec = c.paths[n].ipsec { pp.tunnel?.config = ipsec }
            r.routeWatch = pp.routeWatch
            pp.routeWatch?.path = n
            if pp.bgpAfterClose {
                do { r.bgp = try makeBGPPeer(path: n, in: c) } catch { recordError("reload: BGP: \(error)") }
            }
        }
        for (n, pp) in p.paths.enumerated() {
            if let b = pp.bfd, !pp.bfdKept { addBFD(b) }
            do { try attach(runtimes[n]) } catch { recordError("reload: \(error)") }
        }
        measures = []
        for (gi, m) in p.keptMeasures { m.group = gi; measures.append(m) }
        for m in p.newMeasures { do { try addMeasure(m) } catch { recordError("reload: measure: \(error)") } }

        // IPsec: the tunnels' keys, interfaces and SAs, then charon for the new ones.
        if let x = p.xfrm { installXfrm(x) }
        for (n, pp) in p.paths.enumerated() {
            runtimes[n].tunnel?.tunnel = pp.tunnelKeys
            if let why = pp.keyProblem { recordError("path \(c.paths[n].name): \(why); keeping the keys it has") }
        }
        setUpTunnels(now: now)
        for (n, pp) in p.paths.enumerated() {
            guard let t = runtimes[n].tunnel, !pp.tunnelKept else { continue }
            if let (ike, client) = pp.ike { installIKE(t, ike, client, now: now) }
        }
        if let n = p.nft { installNft(n) }
        startClamp(now: now)
        resync(now: now, why: "reload")
        adoptFromKernel(now: now, except: HashSet(plan.groups.keys))

        for (n, pp) in p.paths.enumerated() {
            guard let peer = runtimes[n].bgp, let b = c.paths[n].bgp else { continue }
            if pp.bgpKept {
                let up = peer.runner.state == .established
                decision.signal(path: n, .bgp, up ? .up : .unknown,
                                reason: up ? "BGP Established (kept across reload)" : "BGP: \(peer.runner.state.name)", now: now)
            } else {
                decision.signal(path: n, .bgp, .unknown, reason: "BGP: connecting to \(b.neighbor)", now: now)
            }
        }
        startPeers(now: now)
        for (n, pp) in p.paths.enumerated() where !pp.routeWatchKept {
            guard let w = pp.routeWatch else { continue }
            do { try installRouteWatch(w, now: now) } catch { recordError("reload: route-watch on \(c.paths[n].name): \(error)") }
        }
        switch p.bmp {
        case nil:
            if let b = bmp {
                var paths: [Int] = []
                for o in b.paths { if let n = plan.newIndex(ofOld: o) { paths.append(n) } }
                b.paths = paths
            }
        case .off?:
            stopBMP(now: now)
        case .station(let s, let paths)?:
            stopBMP(now: now)
            installBMP(s, paths: paths, now: now)
        case .afterClose?:
            stopBMP(now: now)
            do { try startBMP(now: now) } catch { recordError("reload: BMP: \(error)") }
        }
        if let ctl = p.control {
            control?.shutdown()
            control = nil
            installControl(ctl)
        }
        if let r = p.reporting, let h = r.http { swapHTTP(h, now: now) }

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
}
