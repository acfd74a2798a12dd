// Shared by HedgeCoreTests and HedgeLinuxTests (Tests/HedgeLinuxTests/RichStatusSnapshot.swift is a
// symlink to this file): a test target cannot import another's files. Public API only.
import HedgeCore

/// A router in the middle of a failover: ExpressRoute (BFD, BGP, probe) down, the VPN (IPsec,
/// reflect probe) carrying the traffic, a third path down with a reason full of characters that
/// need escaping. Every optional fact is set, so that every family appears.
enum RichStatusSnapshot {
    static let nowWallMs: Int64 = 1_795_714_801_234
    /// The third path's reason: a quote, a backslash and a line feed.
    static let nastyReason = "carrier lost: modem \"wwan0\" said C:\\dev\nno signal"

    static func make() -> StatusSnapshot {
        var s = StatusSnapshot(version: "1.4.0 (\"rc\\1\")", routerID: "192.0.2.1", localAS: 65010,
                               uptimeMs: 7_500_000, nowWallMs: nowWallMs)

        var er = PathStatus(name: "expressroute", priority: 10, device: "er0", gateway: "192.168.10.2",
                            health: .down, reason: "BFD: no control packet for 900000 µs (Control Detection Time Expired)",
                            forMs: 12_345, flaps: 4)
        er.changedWallMs = nowWallMs - 12_345
        er.signals = [SignalStatus(kind: "carrier", health: .up, reason: "carrier up", forMs: 7_000_000),
                      SignalStatus(kind: "bfd", health: .down, reason: "BFD: no control packet for 900000 µs (Control Detection Time Expired)",
                                   forMs: 12_345),
                      SignalStatus(kind: "bgp", health: .down, reason: "BGP: BFD down", forMs: 12_300),
                      SignalStatus(kind: "probe", health: .down, reason: "3 probes lost", forMs: 12_200)]
        var bfd = BFDStatus(neighbor: "192.168.10.2", state: .down, remoteState: .down,
                            diagnostic: .controlDetectionTimeExpired, transmitIntervalUs: 1_000_000,
                            detectionTimeUs: 900_000, detectMultiplier: 3, packetsSent: 25_000,
                            packetsAccepted: 24_990, packetsDiscarded: 2, forMs: 12_345)
        bfd.remoteDetectMultiplier = 3
        er.bfd = bfd
        var bgp = BGPStatus(neighbor: "192.168.10.2", remoteAS: 12076, state: "Active", upForMs: nil, holdMs: nil,
                            learned: 3, stale: 3, ignored: 1, announced: 2, announceWanted: 2,
                            lastDown: "BFD down: Cease / Administrative Reset")
        bgp.establishedTransitions = 3
        er.bgp = bgp
        er.probe = ProbeStatus(kind: "icmp", target: "10.200.0.4", intervalMs: 10, threshold: 3,
                               sent: 100_000, received: 99_950, lost: 50, rttUs: 1_234)

        var vpn = PathStatus(name: "vpn", priority: 20, device: "ipsec0", gateway: nil,
                             health: .up, reason: "", forMs: 7_400_000, flaps: 0)
        vpn.signals = [SignalStatus(kind: "carrier", health: .up, reason: "carrier up", forMs: 7_400_000),
                       SignalStatus(kind: "sa", health: .up, reason: "SAs installed", forMs: 7_300_000),
                       SignalStatus(kind: "probe", health: .up, reason: "replies", forMs: 7_200_000)]
        var tu = TunnelStatus(ifID: 42, local: "203.0.113.1", remote: "198.51.100.1", keying: "strongswan")
        tu.spiOut = 0xc0ff_ee01; tu.spiIn = 0x0bad_f00d
        tu.packetsOut = 123_456; tu.packetsIn = 120_000
        tu.bytesOut = 98_765_432_100; tu.bytesIn = 87_654_321
        tu.ike = "IKE_SA ESTABLISHED, CHILD_SA INSTALLED"
        tu.initiations = 2
        vpn.tunnel = tu
        var pr = ProbeStatus(kind: "reflect", target: "10.200.0.5", intervalMs: 5, threshold: 3,
                             sent: 200_000, received: 199_990, lost: 10, rttUs: 21_500)
        pr.forwardLoss = 6; pr.returnLoss = 4; pr.minRTTUs = 19_000; pr.avgRTTUs = 20_250; pr.rejected = 1
        vpn.probe = pr

        var lte = PathStatus(name: "lte", priority: 30, device: "wwan0", gateway: "100.64.0.1",
                             health: .down, reason: nastyReason, forMs: 60_000, flaps: 1)
        lte.changedWallMs = nowWallMs - 60_000
        lte.signals = [SignalStatus(kind: "carrier", health: .down, reason: nastyReason, forMs: 60_000)]

        s.paths = [er, vpn, lte]

        var g = GroupStatus(name: "azure", active: "vpn", prefixes: ["10.200.0.0/16", "10.201.0.0/16"],
                            nexthopID: 4800, holdDownMs: 30_000, switches: 3,
                            lastSwitch: SwitchEvent(kind: "failover", from: "expressroute", to: "vpn",
                                                    reason: "BFD down", wallMs: nowWallMs - 12_000),
                            stranded: nil)
        g.noRedundancy = "no redundancy: expressroute, lte are not usable (BFD down)"
        g.failovers = 2
        g.failbacks = 1
        g.lastFailoverWallMs = nowWallMs - 12_000
        g.lossWindowMs = 850
        var m = MeasureStatus(target: "10.200.0.4", source: "172.16.0.1", intervalMs: 10, sent: 90_000, received: 89_980,
                              forwardLoss: 5, returnLoss: 14, unanswered: 1)
        m.lastFailover = TransitionLossStatus(forwardMs: 50, returnMs: 140, settled: true, wallMs: nowWallMs - 12_000)
        m.lastFailback = TransitionLossStatus(forwardMs: 0, returnMs: 0, settled: false, wallMs: nowWallMs - 500)
        g.measure = m
        g.members = [MemberStatus(path: "expressroute", suppressed: true, penalty: 3_000, holdDownRemainingMs: nil),
                     MemberStatus(path: "vpn", suppressed: false, penalty: 0, holdDownRemainingMs: nil),
                     MemberStatus(path: "lte", suppressed: false, penalty: 1_000, holdDownRemainingMs: nil)]
        s.groups = [g]

        s.kernel.nexthopObjects = true
        s.kernel.protocolID = 88
        s.kernel.changes = 12
        s.kernel.resyncs = 1
        s.kernel.errors = 2
        s.kernel.netlinkErrors = 1
        s.lastDrill = "2026-11-26T15:00:00.000Z ok"

        s.config.generation = 3
        s.config.reloadsSucceeded = 2
        s.config.reloadsFailed = 1
        s.config.lastReloadWallMs = nowWallMs - 3_600_000
        s.config.lastReloadError = "hedge.conf:12: unknown keyword 'prioriti'"
        s.config.lastDrillSuccessWallMs = nowWallMs - 9_801_234

        s.events.queued = 2
        s.events.delivered = 40
        s.events.dropped = 1
        s.events.syslogSent = 45
        s.events.syslogErrors = 0
        s.events.pushErrors = 3
        s.events.pushTarget = "https://collector.example:8443/events"
        s.events.lastPushError = "connect: Connection refused"
        return s
    }
}
