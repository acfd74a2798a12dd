import CHedge
import HedgeCore

/// The kernel side of `RouteWatch`: route events from netlink multicast, plus full dumps when the
/// events alone cannot be trusted. No polling: the event loop drains `fd` when it is readable.
///
/// Two sockets. `events` joins the route groups (subscribed before the first dump, so that nothing
/// falls between); dumps go through a separate `command` socket, since a dump read on the event
/// socket would swallow the events that arrive meanwhile. Events queued behind a dump are replayed
/// on top of it, which `RouteWatch` makes harmless (adds and removes are idempotent).
///
/// A dump (reset + RTM_GETROUTE per family + dumpDone) is taken:
/// - first, on the first `drain`;
/// - after ENOBUFS: events were dropped;
/// - when a removal leaves a watched prefix without routes: the key (prefix, metric) cannot tell
///   some duplicates apart (see `RouteWatch`), so a loss is believed only once a dump confirms it;
/// - when the kernel may have removed routes without RTM_DELROUTE (checked on this kernel: IPv4
///   routes through a device set down, or losing its last address, and routes using a deleted
///   nexthop object vanish silently): a device going down or away (`LinkInfo.flushesNexthops`, also
///   carrier loss, which flushes nexthop objects), RTM_DELADDR, RTM_DELNEXTHOP — while some watched
///   route is present (a flush can only remove).
public final class RouteWatchSocket {
    public let events: NetlinkSocket
    let command: NetlinkSocket
    let builder = NetlinkBuilder()
    /// ENOBUFS seen on the event socket.
    public private(set) var overruns = 0
    /// Full dumps taken, the first one included.
    public private(set) var dumps = 0
    /// A dump is owed (also across a failed one: the next `drain` retries).
    public private(set) var needsDump = true

    /// `receiveBuffer`: the event socket's SO_RCVBUF(FORCE). A router taking a full table from its
    /// BGP peer sees route storms; an overrun costs one dump, a larger buffer avoids it.
    public init(receiveBuffer: Int = 1 << 20) throws(SystemError) {
        events = try NetlinkSocket(groups: [UInt32(RTNLGRP_IPV4_ROUTE.rawValue), UInt32(RTNLGRP_IPV6_ROUTE.rawValue),
                                            UInt32(RTNLGRP_LINK.rawValue), UInt32(RTNLGRP_IPV4_IFADDR.rawValue),
                                            UInt32(RTNLGRP_IPV6_IFADDR.rawValue), UInt32(RTNLGRP_NEXTHOP.rawValue)],
                                   receiveBuffer: receiveBuffer)
        command = try NetlinkSocket(strictDumps: true)
    }

    /// Readable when events are queued: register it with the event loop.
    public var fd: Int32 { events.fd }

    /// Call once right after creating the socket (it takes the first dump), then whenever `fd` is
    /// readable. Returns the watch's new health and reason if its health changed since the call began.
    public func drain(into w: inout RouteWatch) throws(NetlinkError) -> (Health, String)? {
        let before = w.health
        var rounds = 0
        repeat {
            if needsDump { try resync(&w) }
            readEvents(&w)
            rounds += 1
        } while needsDump && rounds < 4
        // Still owed after a burst that kept asking for dumps: end on a dump, not on stale events.
        if needsDump { try resync(&w) }
        return w.health == before ? nil : (w.health, w.reason)
    }

    /// A full dump now: reset, every route of the watched protocol and table, dumpDone.
    public func resync(_ w: inout RouteWatch) throws(NetlinkError) {
        needsDump = true
        w.reset()
        let proto = w.protocolID
        for family in w.families {
            builder.reset()
            let seq = command.nextSeq()
            RouteMessages.buildDump(builder, family: family, seq: seq, protocolID: proto, table: w.table)
            do {
                try command.dump(builder, seq: seq, request: "RTM_GETROUTE") { nlh in
                    if let r = RouteMessages.parse(nlh, protocolID: proto) {
                        _ = w.routeAdded(r.prefix, table: r.key.table, protocolID: r.protocolID, metric: r.key.metric)
                    }
                }
            } catch {
                // A filtered dump of a table that does not exist (yet): no routes.
                if error.errno != ENOENT { throw error }
            }
        }
        dumps += 1
        needsDump = false
        _ = w.dumpDone()
    }

    private func readEvents(_ w: inout RouteWatch) {
        let proto = w.protocolID
        var lost: [IPPrefix] = []
        var flushed = false
        let r = events.drainEvents { nlh in
            switch Int32(nlh.pointee.nlmsg_type) {
            case Int32(RTM_NEWROUTE):
                if let r = RouteMessages.parse(nlh, protocolID: proto) {
                    _ = w.routeAdded(r.prefix, table: r.key.table, protocolID: r.protocolID, metric: r.key.metric)
                }
            case Int32(RTM_DELROUTE):
                if let r = RouteMessages.parse(nlh, protocolID: proto) {
                    let had = w.isPresent(r.prefix)
                    _ = w.routeRemoved(r.prefix, table: r.key.table, protocolID: r.protocolID, metric: r.key.metric)
                    if had && !w.isPresent(r.prefix) { lost.append(r.prefix) }
                }
            case Int32(RTM_NEWLINK):
                if let l = LinkMessages.parse(nlh), l.flushesNexthops { flushed = true }
            case Int32(RTM_DELLINK), Int32(RTM_DELADDR), Int32(RTM_DELNEXTHOP):
                flushed = true
            default: break
            }
        }
        if r == .overrun { overruns += 1; needsDump = true }
        if flushed && !w.present.isEmpty { needsDump = true }
        // A loss undone later in the same batch (deleted, then added back) needs no confirmation.
        if lost.contains(where: { !w.isPresent($0) }) { needsDump = true }
    }
}
