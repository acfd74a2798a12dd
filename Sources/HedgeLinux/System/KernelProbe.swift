import CHedge
import HedgeCore

/// `hedge check --kernel`: asks the kernel for each KernelFeature the way the agent will, in a
/// private network namespace of this one-shot process, so that a board is judged by what its kernel
/// does (modules load on demand, as they do for `ip`), not by what its config says. Without the
/// right to make a namespace (not root) it reads the kernel's build configuration instead.
public enum KernelProbe {
    public static func run() -> KernelReport {
        var release = (try? FileIO.readText("/proc/sys/kernel/osrelease")) ?? "?"
        while release.hasSuffix("\n") { release.removeLast() }
        if unshare(CLONE_NEWNET) == 0 {
            return KernelReport(release: release, method: "probed in a private network namespace", findings: probeAll())
        }
        let e = hedge_errno()
        let why = e == EPERM ? "not root, so nothing can be probed (unshare(CLONE_NEWNET): EPERM)"
                             : "no private network namespace to probe in (unshare(CLONE_NEWNET): \(errnoName(e)); CONFIG_NET_NS?)"
        let boot = "/boot/config-\(release)"
        if let text = try? FileIO.readText(boot) {
            return KernelReport(release: release, method: why + "; read \(boot) instead",
                                findings: KernelReport.findings(config: text, release: release))
        }
        if let text = gunzip("/proc/config.gz") {
            return KernelReport(release: release, method: why + "; read /proc/config.gz instead",
                                findings: KernelReport.findings(config: text, release: release))
        }
        return KernelReport(release: release, method: why, findings: [],
                            failure: "no \(boot) and no readable /proc/config.gz (CONFIG_IKCONFIG_PROC); run it as root")
    }

    /// Every feature, tried in order on the namespace's loopback device. Nothing is cleaned up: the
    /// namespace and all in it go when the process exits.
    static func probeAll() -> [KernelFinding] {
        var out: [KernelFinding] = []
        let rt: RouteNetlink
        do { rt = try RouteNetlink(protocolID: KernelConfig().routeProtocol) } catch {
            return KernelFeature.allCases.map { KernelFinding($0, present: false, detail: describe(error)) }
        }
        var lo: Int32 = 1
        if let l = (try? rt.links())?.first(where: { $0.name == "lo" }) { lo = l.index }
        _ = try? rt.setLinkUp(index: lo, name: "lo")
        let a1 = IPAddress.v4(0xc000_0201), a2 = IPAddress.v4(0xc000_0202)           // 192.0.2.1, .2
        let b1 = IPAddress.v6(0x2001_0db8 << 32, 1), b2 = IPAddress.v6(0x2001_0db8 << 32, 2)

        func kernel(_ f: KernelFeature, _ ops: [KernelOp]) {
            do { out.append(finding(f, try rt.apply(ops).first)) } catch { out.append(KernelFinding(f, present: false, detail: describe(error))) }
        }
        func route(_ p: IPAddress, _ len: UInt8, _ target: RouteTarget) -> KernelOp {
            .replaceRoute(RouteSpec(prefix: IPPrefix(address: p, length: len)!, table: 254, metric: 0, target: target,
                                    protocolID: rt.protocolID))
        }
        kernel(.routes, [route(a1, 24, .via(gateway: nil, ifindex: lo))])
        kernel(.rules, [.addRule(RuleSpec(family: .v4, fwmark: 0x6b63, table: 100, priority: 100))])
        kernel(.nexthops, [.replaceNexthop(NexthopSpec(id: 1, family: .v4, gateway: nil, ifindex: lo)),
                           route(.v4(0xc633_6400), 24, .nexthop(1))])            // 198.51.100.0/24
        do {
            out.append(finding(.xfrmInterfaces, try rt.createXfrmInterface(XfrmInterface(name: "hedgecheck0", ifID: 42))))
        } catch { out.append(KernelFinding(.xfrmInterfaces, present: false, detail: describe(error))) }

        do throws(SystemError) {
            let x = try XfrmNetlink()
            func sa(_ spi: UInt32, _ v6: Bool, _ alg: XfrmAlgorithm) throws(SystemError) -> NetlinkError? {
                try x.apply([.addState(XfrmState(family: v6 ? .v6 : .v4, source: v6 ? b1 : a1, destination: v6 ? b2 : a2,
                                                 spi: spi, ifID: 42, algorithm: alg))]).first
            }
            let tmpl = XfrmTemplate(family: .v4, source: a1, destination: a2)
            let refused = try x.apply([.updatePolicy(XfrmPolicy(selector: .any(.v4), direction: .out, ifID: 42,
                                                                templates: [tmpl]))]).first
            var policy = finding(.xfrmPolicies, refused)
            // The kernel translates 32-bit XFRM messages only on x86 (CONFIG_XFRM_USER_COMPAT).
            if refused?.errno == EOPNOTSUPP && MemoryLayout<Int>.size == 4 {
                policy.detail += "; a 32-bit hedge on a 64-bit kernel cannot use XFRM: use the aarch64 build"
            }
            out.append(policy)
            // The kernel looks the algorithms up before the protocol: ENOSYS is a missing cipher,
            // EPROTONOSUPPORT a missing ESP with the cipher there.
            let gcmAlg = XfrmAlgorithm.aead(key: [UInt8](repeating: 0, count: 36))
            let cbcAlg = XfrmAlgorithm.cbcHmac(encKey: [UInt8](repeating: 0, count: 32), authKey: [UInt8](repeating: 0, count: 32))
            let gcm = try sa(0x100, false, gcmAlg)
            let cbc = try sa(0x101, false, cbcAlg)
            if gcm == nil || cbc == nil {
                out.append(KernelFinding(.esp, present: true))
            } else if let e = [gcm, cbc].compactMap({ $0 }).first(where: { $0.errno == EPROTONOSUPPORT }) {
                out.append(finding(.esp, e))
            } else {
                out.append(KernelFinding(.esp, present: false, detail: "untested, no cipher to test it with: " + describe(gcm!)))
            }
            out.append(cipher(.aesGCM, gcm))
            out.append(cipher(.aesCBC, cbc))
            out.append(finding(.esp6, try sa(0x102, true, gcm == nil ? gcmAlg : cbcAlg)))
        } catch {
            for f in [KernelFeature.xfrmPolicies, .esp, .aesGCM, .aesCBC, .esp6] {
                out.append(KernelFinding(f, present: false, detail: describe(error)))
            }
        }

        out.append(socketFinding(.icmpProbes, "socket(AF_INET, SOCK_RAW, IPPROTO_ICMP)", AF_INET, Int32(SOCK_RAW.rawValue), Int32(IPPROTO_ICMP)) { fd in
            var mark: UInt32 = 0x6b63
            return setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, 4) == 0 ? nil : "setsockopt(SO_MARK)"
        })
        out.append(socketFinding(.bfd, "socket(AF_INET, SOCK_DGRAM)", AF_INET, Int32(SOCK_DGRAM.rawValue), 0) { fd in
            var one: Int32 = 1
            if setsockopt(fd, Int32(IPPROTO_IP), IP_RECVTTL, &one, 4) != 0 { return "setsockopt(IP_RECVTTL)" }
            return hedge_gtsm(fd, 0, 255) == 0 ? nil : "setsockopt(IP_TTL, IP_MINTTL)"
        })
        kernel(.ipv6, [route(b1, 32, .via(gateway: nil, ifindex: lo)),
                       .addRule(RuleSpec(family: .v6, fwmark: 0x6b63, table: 100, priority: 100))])
        out.append(socketFinding(.tcpMD5, "socket(AF_INET, SOCK_STREAM)", AF_INET, Int32(SOCK_STREAM.rawValue), 0) { fd in
            var peer = sockaddr_storage(); var len: socklen_t = 0
            fillSockaddr(&peer, &len, a2, port: 179)
            let key: [UInt8] = [104, 101, 100, 103, 101]
            let r = key.withUnsafeBufferPointer { hedge_tcp_md5sig(fd, &peer, len, $0.baseAddress, Int32($0.count)) }
            return r == 0 ? nil : "setsockopt(TCP_MD5SIG)"
        })
        do throws(SystemError) {
            let n = try NftNetlink()
            let r = ClampRule(device: "hedgecheck0", direction: .outbound, mss: IPsecConfig.azureMSS)
            out.append(finding(.mssClamp, try n.apply(nftClampPlan(desired: [r], actual: nil)).first))
        } catch { out.append(KernelFinding(.mssClamp, present: false, detail: describe(error))) }
        // Table order, whatever order they were tried in.
        return KernelFeature.allCases.compactMap { f in out.first { $0.feature == f } }
    }

    static func finding(_ f: KernelFeature, _ e: NetlinkError?) -> KernelFinding {
        guard let e else { return KernelFinding(f, present: true) }
        return KernelFinding(f, present: false, detail: describe(e))
    }

    /// A cipher that got past the algorithm lookup to the missing ESP is there.
    static func cipher(_ f: KernelFeature, _ e: NetlinkError?) -> KernelFinding {
        guard let e, e.errno != EPROTONOSUPPORT else {
            return KernelFinding(f, present: true, detail: e == nil ? "" : "the kernel has the algorithms (not tried in an SA: no ESP)")
        }
        return finding(f, e)
    }

    /// Opens a socket of `type` and runs `setup` on it; `setup` names the call that failed, or nil.
    static func socketFinding(_ f: KernelFeature, _ call: String, _ domain: Int32, _ type: Int32, _ proto: Int32,
                              _ setup: (Int32) -> String?) -> KernelFinding {
        let fd = socket(domain, type | Int32(SOCK_CLOEXEC.rawValue), proto)
        if fd < 0 { return KernelFinding(f, present: false, detail: describe(call, hedge_errno())) }
        defer { close(fd) }
        guard let failed = setup(fd) else { return KernelFinding(f, present: true) }
        return KernelFinding(f, present: false, detail: describe(failed, hedge_errno()))
    }

    static func describe(_ e: NetlinkError) -> String {
        var s = describe(e.request, e.errno)
        if let m = e.kernelMessage, !m.isEmpty { s += ", kernel says \"\(m)\"" }
        return s
    }

    static func describe(_ e: SystemError) -> String { describe(e.call, e.errno) }

    static func describe(_ call: String, _ e: Int32) -> String {
        "\(call): \(errnoName(e)) (" + (strerror(e).map { String(cString: $0) } ?? "errno \(e)") + ")"
    }

    /// The symbolic names of the errors a missing feature gives (engineers search for these).
    static func errnoName(_ e: Int32) -> String {
        switch e {
        case EPERM: return "EPERM"
        case ENOENT: return "ENOENT"
        case EINVAL: return "EINVAL"
        case ENODEV: return "ENODEV"
        case ENOSYS: return "ENOSYS"
        case ENOPROTOOPT: return "ENOPROTOOPT"
        case EPROTONOSUPPORT: return "EPROTONOSUPPORT"
        case EOPNOTSUPP: return "EOPNOTSUPP"
        case EAFNOSUPPORT: return "EAFNOSUPPORT"
        case EEXIST: return "EEXIST"
        default: return "errno \(e)"
        }
    }

    /// /proc/config.gz through gzip(1), which every Debian and busybox system has.
    static func gunzip(_ path: String) -> String? {
        guard let f = popen("gzip -dc \(path) 2>/dev/null", "r") else { return nil }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, f) }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        guard pclose(f) == 0, !bytes.isEmpty else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }
}
