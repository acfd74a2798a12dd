import CHedge
import HedgeCore

/// One VPN path's route-based tunnel: its XFRM interface, and (static keying) the SAs and policies
/// hedge installs itself.
final class AgentTunnel {
    /// A reload that renumbers the paths moves it (its VICI handler reads it).
    var path: Int
    /// A reload that keeps the tunnel may change its MSS, MTU or underlay.
    var config: IPsecConfig
    let device: String
    /// Static keying: what the kernel must hold. nil in strongSwan mode (charon installs its own).
    var tunnel: XfrmTunnel?
    /// ESP SAs with this tunnel's if_id, as the kernel holds them (kept from dumps and events).
    var sa: SAHealth
    /// Puts back objects someone removed, but not in a loop against another daemon.
    var reassert = ReassertLimiter<Int>(windowMs: 10_000)
    var reassertNeeded = false
    /// strongSwan mode.
    var ike: AgentIKE?

    init(path: Int, config: IPsecConfig, device: String) {
        self.path = path; self.config = config; self.device = device
        sa = SAHealth(config)
    }

    var outbound: XfrmState? { sa.outbound }
    var inbound: XfrmState? { sa.inbound }
}

/// The VPN path's tunnel: created or adopted at start, kept as configured, followed through XFRM
/// events. Nothing here is opened unless a path has `ipsec` (an ARM build under qemu-user, or an
/// armv7 build on an arm64 kernel, has no NETLINK_XFRM at all).
extension Agent {
    /// The paths' tunnels, in path order (XFRM events and dumps are matched against each).
    var tunnels: [AgentTunnel] { runtimes.compactMap { $0.tunnel } }

    /// At start: the XFRM sockets and every path's tunnel. A key file that cannot be read leaves
    /// that tunnel's SAs as they are (and says so): the other paths must come up.
    func startIPsec(now: Millis) throws(SystemError) {
        guard config.paths.contains(where: { $0.ipsec != nil }) else { return }
        if xfrm == nil { installXfrm(try openXfrm()) }
        for r in runtimes {
            guard let c = config.paths[r.path].ipsec else { continue }
            let t = AgentTunnel(path: r.path, config: c, device: config.paths[r.path].device)
            do { t.tunnel = try readTunnelKeys(c) } catch {
                recordError("path \(config.paths[r.path].name): \(error); its SAs are left as they are")
            }
            r.tunnel = t
        }
        setUpTunnels(now: now)
        for t in tunnels { startIKE(t, now: now) }
    }

    /// NETLINK_XFRM: events first (subscribed before the first dump, as for routes), then requests.
    func openXfrm() throws(SystemError) -> (XfrmNetlink, XfrmEvents) {
        do {
            let ev = try XfrmEvents(receiveBuffer: config.kernel.netlinkReceiveBuffer)
            return (try XfrmNetlink(), ev)
        } catch {
            throw SystemError("NETLINK_XFRM: \(error.description)"
                              + (error.errno == EOPNOTSUPP || error.errno == EPROTONOSUPPORT
                                 ? " (a 32-bit hedge on a 64-bit ARM kernel cannot use XFRM: use the aarch64 build)" : ""),
                              errno: error.errno)
        }
    }

    func installXfrm(_ x: (XfrmNetlink, XfrmEvents)) {
        xfrm = x.0
        xfrmEvents = x.1
        do { try loop.add(x.1.fd) { _ in self.xfrmEventsArrived() } } catch { recordError("NETLINK_XFRM: \(error)") }
    }

    /// Static keying: the SAs the key file describes; nil for strongSwan keying.
    func readTunnelKeys(_ c: IPsecConfig) throws(SystemError) -> XfrmTunnel? {
        guard case .manual(let k) = c.keying else { return nil }
        let text = try SecretFile.readAll(k.keyFile, what: "ESP key file")
        let keys: (outbound: XfrmAlgorithm, inbound: XfrmAlgorithm)
        do throws(IPsecKeyFileError) { keys = try IPsecKeyFile.parse(text, cipher: k.cipher, file: k.keyFile) } catch {
            throw SystemError(error.description, errno: EINVAL, object: "ESP key file " + k.keyFile)
        }
        return XfrmTunnel(ifID: c.ifID, local: c.local, remote: c.remote, spiOut: k.spiOut, spiIn: k.spiIn,
                          outbound: keys.outbound, inbound: keys.inbound, replayWindow: k.replayWindow)
    }

    /// The tunnels' interfaces and SAs as the configuration says (nothing here fails: what the
    /// kernel refuses is logged and counted).
    func setUpTunnels(now: Millis) {
        if tunnels.isEmpty { return }
        // Runs before the first full resync: the underlay and an existing interface must be known.
        do {
            for l in try kernel.links() { links[l.index] = l; indexByName[l.name] = l.index }
        } catch {
            recordError("RTM_GETLINK: \(error)")
        }
        for t in tunnels {
            decision.signal(path: t.path, .sa, .unknown, reason: "ipsec: reading the kernel's SAs", now: now)
            ensureInterface(t)
        }
        reconcileIPsec(now: now)
    }

    /// The XFRM interface named by the path's `device`: adopted when it is there with the right
    /// if_id, created otherwise. A device of that name that is not ours is reported, never touched.
    func ensureInterface(_ t: AgentTunnel) {
        ensureLink(t)
        ensureSourceAddress(t)
    }

    /// The BGP session's APIPA source on the tunnel (`tunnelSourceAddress`), unless a device has it.
    private func ensureSourceAddress(_ t: AgentTunnel) {
        let p = config.paths[t.path]
        guard let a = tunnelSourceAddress(p) else { return }
        let index: Int32?
        let present: Bool
        do throws(NetlinkError) {
            index = try kernel.xfrmInterfaces().first(where: { $0.1.name == t.device })?.0
            present = try kernel.addresses().contains { $0.1 == a }
        } catch {
            recordNetlinkError("path \(p.name): RTM_GETADDR: \(error)")
            return
        }
        guard let idx = index, !present else { return }
        do throws(SystemError) {
            if let refusal = try kernel.addAddress(a, index: idx, device: t.device) {
                recordNetlinkError("path \(p.name): \(refusal)")
            } else {
                Log.info("path \(p.name): added \(a) to \(t.device) (the BGP session's source)")
            }
        } catch {
            recordError("path \(p.name): \(error)")
        }
    }

    private func ensureLink(_ t: AgentTunnel) {
        guard let k = xfrmKernelLinks() else { return }
        let name = config.paths[t.path].name
        if let (idx, x) = k.first(where: { $0.1.name == t.device }) {
            if x.ifID != t.config.ifID {
                recordError("path \(name): \(t.device) is an XFRM interface with if_id \(x.ifID), the configuration says \(t.config.ifID); leaving it alone")
                return
            }
            if let l = links[idx], !l.adminUp { setUp(idx, t.device) }
            Log.info("path \(name): adopting \(x)")
            if let l = links[idx], l.mtu != 0, l.mtu != t.config.mtu { setMTU(idx, t.device, from: l.mtu, to: t.config.mtu) }
            return
        }
        if indexByName[t.device] != nil {
            recordError("path \(name): \(t.device) exists and is not an XFRM interface; leaving it alone")
            return
        }
        var x = XfrmInterface(name: t.device, ifID: t.config.ifID, mtu: t.config.mtu)
        if let u = t.config.underlay {
            guard let idx = indexByName[u] else {
                recordError("path \(name): underlay device \(u) not present; creating \(t.device) without it")
                return createInterface(x, t)
            }
            x.link = idx
        }
        createInterface(x, t)
    }

    private func createInterface(_ x: XfrmInterface, _ t: AgentTunnel) {
        let name = config.paths[t.path].name
        do {
            if let refusal = try kernel.createXfrmInterface(x) {
                recordNetlinkError("path \(name): \(refusal)")
                return
            }
            Log.info("path \(name): created \(x)")
            if let (idx, _) = xfrmKernelLinks()?.first(where: { $0.1.name == x.name }) { setUp(idx, x.name) }
        } catch {
            recordError("path \(name): \(error)")
        }
    }

    private func setMTU(_ idx: Int32, _ dev: String, from old: UInt32, to mtu: UInt32) {
        do {
            if let e = try kernel.setLinkMTU(index: idx, name: dev, mtu: mtu) { recordNetlinkError(e.description); return }
            Log.info("\(dev): MTU \(old) -> \(mtu), as the configuration says")
        } catch {
            recordError("\(error)")
        }
    }

    private func setUp(_ idx: Int32, _ dev: String) {
        do {
            if let e = try kernel.setLinkUp(index: idx, name: dev) { recordNetlinkError(e.description) }
        } catch {
            recordError("\(error)")
        }
    }

    private func xfrmKernelLinks() -> [(Int32, XfrmInterface)]? {
        do { return try kernel.xfrmInterfaces() } catch {
            recordNetlinkError("RTM_GETLINK: \(error)")
            return nil
        }
    }

    /// Dumps the SAD and SPD, puts back what static keying wants (adopting what matches), and feeds
    /// every tunnel's SA signal.
    func reconcileIPsec(now: Millis) {
        guard let x = xfrm, !tunnels.isEmpty else { return }
        var policies: [XfrmPolicy]
        var states: [XfrmState]
        do {
            policies = try x.policies()
            states = try x.states()
        } catch {
            // A 32-bit task on a 64-bit kernel: the kernel translates XFRM messages only on x86
            // (xfrm_compat), elsewhere every request is refused.
            recordNetlinkError("\(error)" + (error.errno == EOPNOTSUPP && MemoryLayout<Int>.size == 4
                ? " (a 32-bit hedge on a 64-bit kernel cannot use XFRM: use the aarch64 build)" : ""))
            return
        }
        var changed = false
        for t in tunnels {
            guard let want = t.tunnel else { continue }
            let ops = XfrmReconcile.plan(tunnel: want, policies: policies, states: states)
            if ops.isEmpty { continue }
            for op in ops { Log.info("path \(config.paths[t.path].name): xfrm: \(op)") }
            do {
                for e in try x.apply(ops) { recordNetlinkError(e.description) }
            } catch {
                recordNetlinkError("NETLINK_XFRM: \(error)")
            }
            changed = true
        }
        if changed {
            do {
                policies = try x.policies()
                states = try x.states()
            } catch {
                recordError("\(error)")
            }
        }
        for t in tunnels {
            t.sa.replace(with: states)
            feedSA(t, now: now)
        }
    }

    func feedSA(_ t: AgentTunnel, now: Millis) {
        let (h, why) = t.sa.judge(charon: t.ike?.summary)
        decision.signal(path: t.path, .sa, h, reason: why, now: now)
        ikeSAChanged(t, up: h == .up, now: now)
    }

    func xfrmEventsArrived() {
        guard let ev = xfrmEvents else { return }
        let now = Clock.monotonicMs()
        var touched = HashSet<Int>()
        var redump = false
        let ok = ev.drain { m in
            switch m {
            case .newSA(let s), .updSA(let s):
                for t in tunnels where t.sa.update(s) { touched.insert(t.path) }
            case .delSA(let id, _):
                for t in tunnels where t.sa.deleted(id) {
                    touched.insert(t.path)
                    if t.tunnel != nil { t.reassertNeeded = true }
                }
            case .expire(let s, let hard):
                guard hard else { break }
                for t in tunnels where t.sa.expired(s) { touched.insert(t.path) }
            case .flushSA:
                redump = true
                for t in tunnels where t.tunnel != nil { t.reassertNeeded = true }
            case .delPolicy(let id, _):
                for t in tunnels where t.tunnel != nil && id.ifID == t.config.ifID { t.reassertNeeded = true }
            case .flushPolicy:
                for t in tunnels where t.tunnel != nil { t.reassertNeeded = true }
            case .newPolicy, .updPolicy, .polExpire:
                break
            }
        }
        if !ok {
            resyncs += 1
            Log.warn("XFRM event socket overrun (ENOBUFS): re-reading the SAD and SPD")
            redump = true
        }
        var reassert = false
        for t in tunnels where t.reassertNeeded {
            t.reassertNeeded = false
            // Put back what someone removed, but not in a loop against a daemon that keeps removing it.
            guard t.reassert.allow(t.path, now: now) else {
                recordError("path \(config.paths[t.path].name): its SAs or policies were removed again; not re-installing them within 10 s")
                continue
            }
            recordError("path \(config.paths[t.path].name): its SAs or policies were removed by someone else; re-installing them")
            reassert = true
        }
        if redump || reassert {
            reconcileIPsec(now: now)
        } else {
            for t in tunnels where touched.contains(t.path) { feedSA(t, now: now) }
        }
        step(now: now)
    }
}
