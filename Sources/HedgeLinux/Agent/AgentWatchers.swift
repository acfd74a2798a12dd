import CHedge
import HedgeCore

/// One path's route-watch: the on-box routing daemon's routes as the kernel holds them.
final class AgentRouteWatch {
    var path: Int
    var watch: RouteWatch
    let socket: RouteWatchSocket
    init(path: Int, watch: RouteWatch, socket: RouteWatchSocket) {
        self.path = path; self.watch = watch; self.socket = socket
    }
}

/// The BMP station and its watched neighbours (watch index → path).
final class AgentBMP {
    let station: BMPStation
    let binding: BMPLoopBinding
    var paths: [Int]
    init(station: BMPStation, binding: BMPLoopBinding, paths: [Int]) {
        self.station = station; self.binding = binding; self.paths = paths
    }
}

/// Signals that come from other routers' views of the edge: a CE router's BMP feed, and the routes
/// an on-box FRR/BIRD installs (route-watch).
extension Agent {
    func startRouteWatches(now: Millis) throws(SystemError) {
        for r in runtimes {
            guard let w = try openRouteWatch(path: r.path, in: config) else { continue }
            r.routeWatch = w
            try installRouteWatch(w, now: now)
        }
    }

    /// The path's route-watch socket, nil without `watch-routes`.
    func openRouteWatch(path i: Int, in c: HedgeConfig) throws(SystemError) -> AgentRouteWatch? {
        guard let w = c.paths[i].watchRoutes else { return nil }
        return AgentRouteWatch(path: i, watch: RouteWatch(prefixes: w.prefixes, protocolID: w.protocolID, table: w.table,
                                                          mode: w.all ? .all : .any),
                               socket: try RouteWatchSocket())
    }

    /// Reads what the kernel has now, then follows it on the loop.
    func installRouteWatch(_ w: AgentRouteWatch, now: Millis) throws(SystemError) {
        decision.signal(path: w.path, .routes, .unknown, reason: "route-watch: reading the kernel's routes", now: now)
        drainRouteWatch(w, now: now)
        try loop.add(w.socket.fd) { _ in
            let now = Clock.monotonicMs()
            self.drainRouteWatch(w, now: now)
            self.step(now: now)
        }
    }

    func drainRouteWatch(_ w: AgentRouteWatch, now: Millis) {
        do {
            if let (h, why) = try w.socket.drain(into: &w.watch) {
                decision.signal(path: w.path, .routes, h, reason: why, now: now)
            }
        } catch {
            recordError("route-watch on \(config.paths[w.path].name): \(error)")
        }
    }

    func startBMP(now: Millis) throws(SystemError) {
        if let (station, paths) = try openBMP(in: config) { installBMP(station, paths: paths, now: now) }
    }

    /// The BMP station's listener, with the paths its watches stand for; nil when no path has a
    /// `bmp-neighbor`.
    func openBMP(in c: HedgeConfig) throws(SystemError) -> (BMPStation, [Int])? {
        var watches: [BMPWatch] = []
        var paths: [Int] = []
        for (i, p) in c.paths.enumerated() {
            guard let n = p.bmpNeighbor else { continue }
            watches.append(BMPWatch(neighbor: n.neighbor, peerAS: n.peerAS))
            paths.append(i)
        }
        guard !watches.isEmpty else { return nil }
        let s = c.bmp
        return (try BMPStation(config: BMPStationConfig(address: s.listen, port: s.port, allowedSources: s.allow,
                                                        watches: watches, graceMs: s.graceMs)), paths)
    }

    func installBMP(_ station: BMPStation, paths: [Int], now: Millis) {
        for i in paths {
            if let n = config.paths[i].bmpNeighbor {
                decision.signal(path: i, .bmp, .unknown, reason: "BMP: waiting for a feed showing \(n.neighbor)", now: now)
            }
        }
        let binding = BMPLoopBinding(station: station, loop: loop) { fd, events in
            guard let b = self.bmp else { return }
            let now = Clock.monotonicMs()
            self.handleBMP(b, b.station.ready(fd: fd, events: events, now: now), now: now)
            self.step(now: now)
        }
        let b = AgentBMP(station: station, binding: binding, paths: paths)
        bmp = b
        binding.sync()
    }

    func handleBMP(_ b: AgentBMP, _ events: [BMPStationEvent], now: Millis) {
        for e in events {
            for (wi, path) in b.paths.enumerated() {
                if let (h, why) = e.health(watch: wi) { decision.signal(path: path, .bmp, h, reason: why, now: now) }
            }
        }
        b.binding.sync()
    }

    func tickBMP(now: Millis) {
        guard let b = bmp, let d = b.station.nextDeadline, d <= now else { return }
        handleBMP(b, b.station.tick(now: now), now: now)
    }

    func stopBMP(now: Millis) {
        guard let b = bmp else { return }
        b.binding.detach()
        _ = b.station.close(now: now)
        bmp = nil
    }
}
