import CHedge
import HedgeCore

/// The TCP MSS clamp: hedge's nftables table (`NftClamp`), reconciled like its routes. At start and
/// reload the table is read back and only the difference is sent (a restart sends nothing); when
/// another program changes the table, hedge puts it back and says so.
extension Agent {
    func startClamp(now: Millis) {
        guard NftClamp.wanted(config) || nft != nil else { return }
        if nft == nil {
            do { installNft(try openNft()) } catch {
                recordError("nftables (NETLINK_NETFILTER): \(error); no TCP MSS clamp")
                return
            }
        }
        reconcileClamp(why: nil)
    }

    /// Subscribes before the first dump, as for routes.
    func openNft() throws(SystemError) -> (NftNetlink, NftEvents) {
        let ev = try NftEvents()
        return (try NftNetlink(), ev)
    }

    func installNft(_ n: (NftNetlink, NftEvents)) {
        nft = n.0
        nftEvents = n.1
        do { try loop.add(n.1.fd) { _ in self.nftEventsArrived() } } catch { recordError("nftables: \(error)") }
    }

    func nftEventsArrived() {
        guard let ev = nftEvents, let n = nft else { return }
        let what = ev.drain(ownPort: n.portID)
        if what.isEmpty { return }
        reconcileClamp(why: "table inet \(NftClamp.table) changed by another program (\(what.joined(separator: ", ")))")
    }

    /// Reads the table back and sends the one batch that makes it what the configuration says.
    /// `why`: someone else changed it; what hedge puts back is then counted and reported.
    func reconcileClamp(why: String?) {
        guard let n = nft else { return }
        let ops: [NftOp]
        do throws(NetlinkError) {
            ops = nftClampPlan(desired: NftClamp.desired(config), actual: try n.table())
        } catch {
            recordNetlinkError("nftables: \(error)")
            return
        }
        if ops.isEmpty { clampInPlace = true; return }
        if let why {
            clampRepairs += 1
            Log.warn("nftables: \(why); putting back: \(ops.map { $0.description }.joined(separator: "; "))")
            emitEvent(type: "clamp_restored", severity: .warning, message: "nftables: \(why); hedge put its MSS clamp back",
                      fields: [EventField("table", "inet \(NftClamp.table)")])
        }
        for op in ops { Log.debug("nftables: \(op)") }
        do throws(SystemError) {
            let refused = try n.apply(ops)
            for e in refused { recordNetlinkError("nftables: \(e)") }
            clampInPlace = refused.isEmpty
            if refused.isEmpty && why == nil { Log.info("nftables: \(ops.count) changes to table inet \(NftClamp.table)") }
        } catch {
            // Replies lost: the next event or reload reads the table back.
            clampInPlace = false
            recordNetlinkError("nftables: \(error)")
        }
    }
}
