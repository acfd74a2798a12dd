import CHedge
import HedgeCore

/// A neighbour of the CE router whose health the station reports (the MSEE).
public struct BMPWatch: Sendable {
    public var neighbor: IPAddress
    /// The neighbour's AS (12076 for an MSEE); nil: any.
    public var peerAS: UInt32?

    public init(neighbor: IPAddress, peerAS: UInt32? = nil) { self.neighbor = neighbor; self.peerAS = peerAS }
}

public struct BMPStationConfig: Sendable {
    /// RFC 7854 assigns no port (§3.2: the router is configured with the station's address and
    /// port). 11019 is the one GoBGP's BMP documentation and several collectors use.
    public static let defaultPort: UInt16 = 11019
    /// A station serves a CE router or two; more connections than this are refused.
    public static let feedLimit = 4

    /// Listening address; nil: every address, IPv4 and IPv6 (`::` with IPV6_V6ONLY off).
    public var address: IPAddress?
    public var port: UInt16
    /// Routers allowed to connect; empty: any. Others are accepted and closed at once.
    public var allowedSources: [IPAddress]
    /// At most `feedLimit`.
    public var maxFeeds: Int
    public var watches: [BMPWatch]
    /// See `BMPNeighborTracker`: how long a feed may take to show the neighbour's Peer Up, and a
    /// Peer Up to be followed by routes.
    public var graceMs: Millis
    public var maxMessageLength: Int
    /// SO_BINDTODEVICE on the listening socket (a management interface or VRF).
    public var device: String?
    /// Also return every decoded message as `.message` (tests, debugging; a full table is many).
    public var reportMessages: Bool

    public init(address: IPAddress? = nil, port: UInt16 = BMPStationConfig.defaultPort, allowedSources: [IPAddress] = [],
                maxFeeds: Int = BMPStationConfig.feedLimit, watches: [BMPWatch],
                graceMs: Millis = BMPNeighborTracker.defaultGraceMs,
                maxMessageLength: Int = BMPFramer.defaultMaxMessageLength, device: String? = nil, reportMessages: Bool = false) {
        self.address = address; self.port = port; self.allowedSources = allowedSources
        self.maxFeeds = min(max(maxFeeds, 1), BMPStationConfig.feedLimit)
        self.watches = watches; self.graceMs = graceMs; self.maxMessageLength = maxMessageLength
        self.device = device; self.reportMessages = reportMessages
    }
}

/// What the station tells its owner.
public enum BMPStationEvent: Sendable {
    /// A router connected and its feed was taken.
    case feedUp(from: IPAddress, port: UInt16)
    /// A feed ended: the router closed it, sent a Termination, sent bytes hedge cannot read, or
    /// the station closed it (replaced by a newer connection from the same address, `close`).
    case feedDown(from: IPAddress, why: String)
    /// A connection closed at once: a source not allowed, or too many feeds.
    case refused(from: IPAddress?, why: String)
    /// A decoded message (only with `reportMessages`).
    case message(from: IPAddress, BMPMessage)
    /// The health of `watches[watch]`, merged over the feeds, changed.
    case healthChanged(watch: Int, Health, String)

    /// The health change for one watch, in the form `BFDRunner` returns it.
    public func health(watch w: Int = 0) -> (Health, String)? {
        if case .healthChanged(let i, let h, let r) = self, i == w { return (h, r) }
        return nil
    }
}

/// One connected feed, for status.
public struct BMPFeedStatus: Sendable {
    public var from: IPAddress
    public var port: UInt16
    /// Monotonic milliseconds of the connection.
    public var since: Millis
    public var sysName: String?
    public var sysDescr: String?
    public var messages: Int
    /// One per watch, in the order of `config.watches`.
    public var trackers: [BMPNeighborTracker]
}

/// The BMP monitoring station (RFC 7854): a non-blocking TCP listener for the CE routers' feeds,
/// each read with `BMPFeed` and watched by one `BMPNeighborTracker` per configured neighbour.
/// The owner registers `fds` (input only; the station never writes, §3.3), calls `ready` for their
/// readiness and `tick` at `nextDeadline`, and acts on the returned events; `watchGeneration`
/// changes whenever a descriptor opens or closes (`BMPLoopBinding` follows it).
public final class BMPStation {
    public let config: BMPStationConfig
    public private(set) var listenFD: Int32 = -1
    public private(set) var watchGeneration = 0
    /// Connections taken, refused, and feeds ended by bytes hedge could not read.
    public private(set) var accepted = 0
    public private(set) var refused = 0
    public private(set) var feedErrors = 0

    private final class Feed {
        let fd: Int32
        let from: IPAddress
        let port: UInt16
        let since: Millis
        var decoder: BMPFeed
        var trackers: [BMPNeighborTracker]

        init(fd: Int32, from: IPAddress, port: UInt16, since: Millis, decoder: BMPFeed, trackers: [BMPNeighborTracker]) {
            self.fd = fd; self.from = from; self.port = port; self.since = since
            self.decoder = decoder; self.trackers = trackers
        }
    }

    private var feeds: [Feed] = []
    /// Last health reported per watch.
    private var reported: [(Health, String)]
    /// Why the last feed ended: the reason while no feed is connected.
    private var noFeedReason = "BMP: no feed from the CE router yet"
    private var rx = [UInt8].receiveBuffer(count: 65536)

    public init(config: BMPStationConfig) throws(SystemError) {
        self.config = config
        reported = config.watches.map { _ in (Health.unknown, "BMP: no feed from the CE router yet") }
        try openListener()
    }

    deinit {
        if listenFD >= 0 { CHedge.close(listenFD) }
        for f in feeds { CHedge.close(f.fd) }
    }

    /// Every descriptor to watch for input: the listener and the feeds.
    public var fds: [Int32] { (listenFD >= 0 ? [listenFD] : []) + feeds.map { $0.fd } }
    public var feedCount: Int { feeds.count }

    /// The merged health of one watch now (what the last `.healthChanged` for it said).
    public func health(watch: Int = 0) -> (Health, String) { reported[watch] }

    public var feedStatus: [BMPFeedStatus] {
        feeds.map { f in
            BMPFeedStatus(from: f.from, port: f.port, since: f.since, sysName: f.decoder.initiation?.sysName,
                          sysDescr: f.decoder.initiation?.sysDescr, messages: f.decoder.messages, trackers: f.trackers)
        }
    }

    /// The earliest grace period to end, for `tick`.
    public var nextDeadline: Millis? {
        var d: Millis? = nil
        for f in feeds {
            for t in f.trackers { if let x = t.nextDeadline, d == nil || x < d! { d = x } }
        }
        return d
    }

    // MARK: - Inputs

    /// Readiness of one of `fds`, `events` as epoll reports them.
    public func ready(fd: Int32, events: UInt32, now: Millis) -> [BMPStationEvent] {
        var out: [BMPStationEvent] = []
        if fd == listenFD && fd >= 0 {
            acceptPending(now, &out)
        } else if let f = feeds.first(where: { $0.fd == fd }) {
            receive(f, now, &out)
        }
        report(&out)
        return out
    }

    public func tick(now: Millis) -> [BMPStationEvent] {
        for f in feeds {
            for i in f.trackers.indices { _ = f.trackers[i].tick(now: now) }
        }
        var out: [BMPStationEvent] = []
        report(&out)
        return out
    }

    /// Closes every feed and the listener (detach a `BMPLoopBinding` first); the watches become
    /// unknown.
    public func close(now: Millis) -> [BMPStationEvent] {
        var out: [BMPStationEvent] = []
        while let f = feeds.first { drop(f, "station closed", now, &out) }
        if listenFD >= 0 { CHedge.close(listenFD); listenFD = -1; watchGeneration &+= 1 }
        report(&out)
        return out
    }

    // MARK: - Sockets

    private func openListener() throws(SystemError) {
        let any = config.address == nil
        let v6 = any || config.address!.isV6
        let what = "BMP station"
        let fd = socket(v6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        if fd < 0 { throw SystemError("socket(tcp)", object: what) }
        var one: Int32 = 1, zero: Int32 = 0
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, 4)
        if v6 { _ = setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &zero, 4) }
        if let device = config.device {
            var d = device
            let r = d.withUTF8 { setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, $0.baseAddress, socklen_t($0.count)) }
            if r != 0 { let e = SystemError("setsockopt(SO_BINDTODEVICE)", object: what + " on " + device); CHedge.close(fd); throw e }
        }
        var sa = sockaddr_storage(); var len: socklen_t = 0
        fillSockaddr(&sa, &len, config.address ?? IPAddress("::")!, port: config.port)
        if hedge_bind(fd, &sa, len) != 0 {
            let e = SystemError("bind(tcp/\(config.port))", object: what); CHedge.close(fd); throw e
        }
        if listen(fd, 8) != 0 { let e = SystemError("listen", object: what); CHedge.close(fd); throw e }
        listenFD = fd
        watchGeneration &+= 1
    }

    private func acceptPending(_ now: Millis, _ out: inout [BMPStationEvent]) {
        while true {
            let fd = hedge_accept(listenFD)
            if fd < 0 { return }
            var sa = sockaddr_storage(); var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
            guard hedge_getpeername(fd, &sa, &len) == 0, let (addr, port) = bmpEndpoint(sa) else {
                CHedge.close(fd)
                refused += 1
                out.append(.refused(from: nil, why: "no peer address"))
                continue
            }
            let from = addr.mappedV4 ?? addr
            if !config.allowedSources.isEmpty && !config.allowedSources.contains(from) {
                CHedge.close(fd)
                refused += 1
                Log.warn("bmp: refused a connection from \(from): not an allowed source")
                out.append(.refused(from: from, why: "not an allowed source"))
                continue
            }
            // A router reconnecting from the same address: its old connection is dead (it would
            // not open a second one), so the new one replaces it.
            if let old = feeds.first(where: { $0.from == from }) { drop(old, "replaced by a new connection", now, &out) }
            if feeds.count >= config.maxFeeds {
                CHedge.close(fd)
                refused += 1
                Log.warn("bmp: refused a connection from \(from): \(feeds.count) feeds already")
                out.append(.refused(from: from, why: "\(feeds.count) feeds already"))
                continue
            }
            keepalive(fd)
            var trackers = config.watches.map { BMPNeighborTracker(neighbor: $0.neighbor, peerAS: $0.peerAS, graceMs: config.graceMs) }
            for i in trackers.indices { _ = trackers[i].feedStarted(now: now) }
            feeds.append(Feed(fd: fd, from: from, port: port, since: now,
                              decoder: BMPFeed(maxMessageLength: config.maxMessageLength), trackers: trackers))
            accepted += 1
            watchGeneration &+= 1
            Log.info("bmp: feed from \(from) port \(port)")
            out.append(.feedUp(from: from, port: port))
        }
    }

    /// A router that loses power sends nothing; keepalives end its feed within about a minute.
    private func keepalive(_ fd: Int32) {
        var one: Int32 = 1, idle: Int32 = 30, intvl: Int32 = 10, count: Int32 = 3
        _ = setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, 4)
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_KEEPIDLE, &idle, 4)
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_KEEPINTVL, &intvl, 4)
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_KEEPCNT, &count, 4)
    }

    /// Reads what is queued (at most 1 MiB a call: the loop is level-triggered and comes back),
    /// decoding as it goes so the buffer stays about one message long.
    private func receive(_ f: Feed, _ now: Millis, _ out: inout [BMPStationEvent]) {
        var budget = 16
        while budget > 0 {
            budget -= 1
            let fd = f.fd
            let n = rx.withUnsafeMutableBytes { b in retryingEINTR { recv(fd, b.baseAddress, b.count, Int32(MSG_DONTWAIT)) } }
            if n > 0 {
                f.decoder.append(rx[0..<n])
                if !drain(f, now, &out) { return }
                continue
            }
            if n == 0 { drop(f, "connection closed by the router", now, &out); return }
            let e = hedge_errno()
            if e == EAGAIN || e == EWOULDBLOCK { return }
            drop(f, "recv: " + errnoString(e), now, &out)
            return
        }
    }

    /// Decodes and hands out every whole message; false when the feed ended.
    private func drain(_ f: Feed, _ now: Millis, _ out: inout [BMPStationEvent]) -> Bool {
        while true {
            let m: BMPMessage
            do throws(BMPError) {
                guard let next = try f.decoder.next() else { return true }
                m = next
            } catch {
                feedErrors += 1
                drop(f, "\(error)", now, &out)
                return false
            }
            if config.reportMessages { out.append(.message(from: f.from, m)) }
            for i in f.trackers.indices { _ = f.trackers[i].handle(m, now: now) }
            if case .termination(let t) = m {
                drop(f, "Termination: " + t.description, now, &out)
                return false
            }
        }
    }

    private func drop(_ f: Feed, _ why: String, _ now: Millis, _ out: inout [BMPStationEvent]) {
        guard let i = feeds.firstIndex(where: { $0 === f }) else { return }
        CHedge.close(f.fd)
        feeds.remove(at: i)
        watchGeneration &+= 1
        noFeedReason = "BMP feed lost: " + why
        Log.info("bmp: feed from \(f.from) ended: \(why)")
        out.append(.feedDown(from: f.from, why: why))
    }

    /// Appends a `.healthChanged` for every watch whose merged health or reason changed.
    private func report(_ out: inout [BMPStationEvent]) {
        for w in config.watches.indices {
            let merged = BMPNeighborTracker.merge(feeds.map { $0.trackers[w] }, none: noFeedReason)
            if merged.0 != reported[w].0 || merged.1 != reported[w].1 {
                reported[w] = merged
                out.append(.healthChanged(watch: w, merged.0, merged.1))
            }
        }
    }
}

/// Keeps an `EventLoop`'s registrations in step with a station's descriptors: call `sync` after
/// every call into the station.
public final class BMPLoopBinding {
    public let station: BMPStation
    private let loop: EventLoop
    private let handler: (Int32, UInt32) -> Void
    private var registered: [Int32] = []
    private var generation = -1

    /// `handler` gets readiness of the station's descriptors; it should call `station.ready`, act
    /// on the events, and call `sync`.
    public init(station: BMPStation, loop: EventLoop, handler: @escaping (Int32, UInt32) -> Void) {
        self.station = station; self.loop = loop; self.handler = handler
    }

    public func detach() {
        for fd in registered { loop.remove(fd) }
        registered = []
        generation = -1
    }

    public func sync() {
        guard generation != station.watchGeneration else { return }
        // A descriptor was closed or opened (its number may be reused): start over.
        detach()
        generation = station.watchGeneration
        let h = handler
        for fd in station.fds {
            registered.append(fd)
            try? loop.add(fd, events: UInt32(EPOLLIN.rawValue | EPOLLRDHUP.rawValue)) { h(fd, $0) }
        }
    }
}

/// Address and port of a peer's sockaddr.
func bmpEndpoint(_ ss: sockaddr_storage) -> (IPAddress, UInt16)? {
    let family = Int32(ss.ss_family)
    return withUnsafeBytes(of: ss) { raw -> (IPAddress, UInt16)? in
        if family == AF_INET {
            let sin = raw.load(as: sockaddr_in.self)
            guard let a = IPAddress(bytes: withUnsafeBytes(of: sin.sin_addr) { [UInt8]($0) }) else { return nil }
            return (a, UInt16(bigEndian: sin.sin_port))
        }
        if family == AF_INET6 {
            let sin6 = raw.load(as: sockaddr_in6.self)
            guard let a = IPAddress(bytes: withUnsafeBytes(of: sin6.sin6_addr) { [UInt8]($0) }) else { return nil }
            return (a, UInt16(bigEndian: sin6.sin6_port))
        }
        return nil
    }
}
