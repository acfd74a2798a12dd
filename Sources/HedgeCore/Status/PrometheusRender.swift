/// `/metrics`: the status snapshot in Prometheus text format 0.0.4.
///
/// Conventions (prometheus.io/docs/practices/naming): prefix `hedge_`, base units (seconds, bytes),
/// counters end in `_total`, `_info` series carry text in labels with the value 1, and an enumerated
/// state is one series per possible state with 1 on the current one (node_exporter's state sets), so
/// that `== 1` selects it and a state that has no series never looks like a gap. Free text (reasons)
/// appears in one place only, `hedge_path_reason_info`, whose series changes when the reason does.
/// A value that is not known (no RTT yet, never failed over) has no series at all: no NaN.
public enum PrometheusRender {
    public static func text(_ s: StatusSnapshot) -> String {
        var w = PrometheusWriter()
        agent(s, &w)
        for p in s.paths { path(p, &w) }
        for p in s.paths {
            if let b = p.bfd { bfd(p.name, b, nowWallMs: s.nowWallMs, &w) }
        }
        for p in s.paths {
            if let b = p.bgp { bgp(p.name, b, &w) }
        }
        for p in s.paths {
            if let pr = p.probe { probe(p.name, pr, &w) }
        }
        for p in s.paths { ipsec(p, &w) }
        for g in s.groups { group(g, &w) }
        kernel(s.kernel, &w)
        config(s.config, &w)
        events(s.events, &w)
        if let h = s.http { http(h, &w) }
        return w.text
    }

    private typealias V = PrometheusWriter

    private static func agent(_ s: StatusSnapshot, _ w: inout PrometheusWriter) {
        w.gauge("hedge_build_info", "hedge's version, as a label; the value is always 1.",
                [("version", s.version)], "1")
        if s.routerID != nil || s.localAS != nil {
            w.gauge("hedge_router_info", "The configured router-id and local AS, as labels; the value is always 1.",
                    [("router_id", s.routerID ?? ""), ("local_as", s.localAS.map { "\($0)" } ?? "")], "1")
        }
        w.gauge("hedge_start_time_seconds", "Start time of the agent since the Unix epoch in seconds.",
                [], V.seconds(ms: s.startWallMs))
    }

    private static let healths: [Health] = [.up, .down, .unknown]

    private static func path(_ p: PathStatus, _ w: inout PrometheusWriter) {
        let l = [("path", p.name)]
        w.gauge("hedge_path_up", "1 while the path is healthy (every signal up), else 0.", l, V.value(p.health == .up))
        for h in healths {
            w.gauge("hedge_path_health", "The path's health: one series per state, 1 on the current one.",
                    l + [("health", h.rawValue)], V.value(p.health == h))
        }
        if !p.reason.isEmpty {
            w.gauge("hedge_path_reason_info", "Why the path is in its current health, as a label; the value is always 1.",
                    l + [("reason", p.reason)], "1")
        }
        for sig in p.signals {
            for h in healths {
                w.gauge("hedge_path_signal_health",
                        "Health of one signal of the path (carrier, bfd, bgp, bmp, routes, sa, probe, hold): one series per state.",
                        l + [("signal", sig.kind), ("health", h.rawValue)], V.value(sig.health == h))
            }
        }
        w.counter("hedge_path_flaps_total", "Down transitions of the path after it had been up.", l, V.value(p.flaps))
        if let t = p.changedWallMs {
            w.gauge("hedge_path_last_change_timestamp_seconds",
                    "Time of the path's last health change since the Unix epoch in seconds.", l, V.seconds(ms: t))
        }
        w.gauge("hedge_path_priority", "The path's configured priority; the lowest is preferred.", l, V.value(p.priority))
        var info = l + [("device", p.device)]
        if let g = p.gateway { info.append(("gateway", g)) }
        w.gauge("hedge_path_info", "The path's device and gateway, as labels; the value is always 1.", info, "1")
    }

    private static func bfd(_ path: String, _ b: BFDStatus, nowWallMs: Int64, _ w: inout PrometheusWriter) {
        let l = [("path", path), ("neighbor", b.neighbor)]
        for st in BFDState.allCases {
            w.gauge("hedge_bfd_session_state",
                    "Local state of the BFD session (RFC 5880: AdminDown, Down, Init, Up): one series per state.",
                    l + [("state", st.name)], V.value(b.state == st))
        }
        for st in BFDState.allCases {
            w.gauge("hedge_bfd_session_remote_state",
                    "The neighbour's BFD state as it last reported it: one series per state.",
                    l + [("state", st.name)], V.value(b.remoteState == st))
        }
        w.gauge("hedge_bfd_session_diagnostic",
                "bfd.LocalDiag (RFC 5880 section 4.1): why the session last went down; 0 No Diagnostic, "
                    + "1 Control Detection Time Expired, 3 Neighbor Signaled Session Down, 7 Administratively Down.",
                l, V.value(Int(b.diagnostic.rawValue)))
        w.gauge("hedge_bfd_session_last_change_timestamp_seconds",
                "Time the BFD session entered its current state since the Unix epoch in seconds.",
                l, V.seconds(ms: nowWallMs - b.forMs))
        w.gauge("hedge_bfd_transmit_interval_seconds",
                "Negotiated periodic transmit interval before jitter.", l, V.seconds(us: b.transmitIntervalUs))
        if let d = b.detectionTimeUs {
            w.gauge("hedge_bfd_detection_time_seconds",
                    "Detection Time: the neighbour's Detect Mult times the negotiated receive interval.",
                    l, V.seconds(us: d))
        }
        w.gauge("hedge_bfd_detect_multiplier", "Our Detect Mult.", l, V.value(b.detectMultiplier))
        w.counter("hedge_bfd_packets_sent_total", "BFD Control packets sent.", l, V.value(b.packetsSent))
        w.counter("hedge_bfd_packets_received_total", "BFD Control packets that passed every check and were acted on.",
                  l, V.value(b.packetsAccepted))
        w.counter("hedge_bfd_packets_discarded_total", "BFD Control packets discarded (RFC 5880 section 6.8.6 checks).",
                  l, V.value(b.packetsDiscarded))
    }

    private static let bgpStates: [SessionState] = [.idle, .connect, .active, .openSent, .openConfirm, .established]

    private static func bgp(_ path: String, _ b: BGPStatus, _ w: inout PrometheusWriter) {
        let l = [("path", path), ("neighbor", b.neighbor)]
        var known = false
        for st in bgpStates {
            known = known || b.state == st.name
            w.gauge("hedge_bgp_session_state",
                    "BGP session state (RFC 4271 section 8.2.2): one series per state, 1 on the current one.",
                    l + [("remote_as", "\(b.remoteAS)"), ("state", st.name)], V.value(b.state == st.name))
        }
        if !known {
            w.gauge("hedge_bgp_session_state", "", l + [("remote_as", "\(b.remoteAS)"), ("state", b.state)], "1")
        }
        if let u = b.upForMs {
            w.gauge("hedge_bgp_session_uptime_seconds", "Time the session has been Established.", l, V.seconds(ms: u))
        }
        if let h = b.holdMs {
            w.gauge("hedge_bgp_hold_time_seconds", "Negotiated hold time.", l, V.seconds(ms: h))
        }
        w.counter("hedge_bgp_established_transitions_total",
                  "Transitions into Established (RFC 4273 bgpPeerFsmEstablishedTransitions).",
                  l, V.value(b.establishedTransitions))
        w.gauge("hedge_bgp_prefixes_received", "Prefixes learned from the session (installed or stale).",
                l, V.value(b.learned))
        w.gauge("hedge_bgp_prefixes_stale",
                "Learned prefixes the current session has not confirmed (kept across a session's end).",
                l, V.value(b.stale))
        w.gauge("hedge_bgp_prefixes_ignored", "Prefixes received but not installed.", l, V.value(b.ignored))
        w.gauge("hedge_bgp_prefixes_sent", "Prefixes announced to the neighbour.", l, V.value(b.announced))
        w.gauge("hedge_bgp_prefixes_configured",
                "Prefixes the configuration asks to announce (more than sent when the private-peering limit cut the list).",
                l, V.value(b.announceWanted))
        w.gauge("hedge_bgp_return_steering",
                "1 while the session announces more-specific halves so that the far side's return traffic follows the failover.",
                l, V.value(b.returnSteering == "active" ? 1 : 0))
        w.gauge("hedge_bgp_prefixes_more_specific", "More-specific halves announced for return-path steering.",
                l, V.value(b.moreSpecifics))
    }

    private static func probe(_ path: String, _ pr: ProbeStatus, _ w: inout PrometheusWriter) {
        let l = [("path", path), ("target", pr.target)]
        w.counter("hedge_probe_sent_total", "Probes sent through the path.", l, V.value(pr.sent))
        w.counter("hedge_probe_received_total", "Probe replies accepted.", l, V.value(pr.received))
        w.counter("hedge_probe_lost_total", "Probes given up as lost.", l, V.value(pr.lost))
        if let r = pr.rttUs {
            w.gauge("hedge_probe_rtt_seconds", "Round-trip time of the last reply.", l, V.seconds(us: r))
        }
        if let r = pr.minRTTUs {
            w.gauge("hedge_probe_rtt_min_seconds", "Smallest round-trip time seen (reflect probes).", l, V.seconds(us: r))
        }
        if let r = pr.avgRTTUs {
            w.gauge("hedge_probe_rtt_avg_seconds", "Mean round-trip time (reflect probes).", l, V.seconds(us: r))
        }
        // Gauges, not counters: the split by direction is settled only by the next reply and may move back.
        if let f = pr.forwardLoss {
            w.gauge("hedge_probe_forward_lost", "Requests the reflector did not receive (one-way loss towards it).",
                    l, V.value(f))
        }
        if let r = pr.returnLoss {
            w.gauge("hedge_probe_return_lost", "Replies lost on the way back from the reflector.", l, V.value(r))
        }
        if let x = pr.rejected {
            w.counter("hedge_probe_rejected_total", "Replies that failed authentication or matched no request.",
                      l, V.value(x))
        }
    }

    private static func ipsec(_ p: PathStatus, _ w: inout PrometheusWriter) {
        let l = [("path", p.name)]
        if let sa = p.signals.first(where: { $0.kind == "sa" }) {
            w.gauge("hedge_ipsec_sa_up", "1 while both ESP SAs of the path's tunnel are in the kernel, else 0.",
                    l, V.value(sa.health == .up))
        }
        guard let t = p.tunnel else { return }
        w.gauge("hedge_ipsec_tunnel_info", "The tunnel's XFRM interface id, endpoints and keying, as labels; the value is always 1.",
                l + [("if_id", "\(t.ifID)"), ("local", t.local), ("remote", t.remote), ("keying", t.keying)], "1")
        let dirs: [(String, UInt32?, UInt64, UInt64)] = [("out", t.spiOut, t.packetsOut, t.bytesOut),
                                                         ("in", t.spiIn, t.packetsIn, t.bytesIn)]
        for (dir, spi, _, _) in dirs {
            guard let spi else { continue }
            w.gauge("hedge_ipsec_spi_info", "SPI of the current ESP SA per direction, as a label; the value is always 1.",
                    l + [("direction", dir), ("spi", "0x" + hex32(spi))], "1")
        }
        // Counters of the current SA: a rekey starts them again, which rate() reads as a reset.
        for (dir, spi, packets, _) in dirs where spi != nil {
            w.counter("hedge_ipsec_sa_packets_total", "Packets through the current ESP SA.",
                      l + [("direction", dir)], V.value(packets))
        }
        for (dir, spi, _, bytes) in dirs where spi != nil {
            w.counter("hedge_ipsec_sa_bytes_total", "Bytes through the current ESP SA.",
                      l + [("direction", dir)], V.value(bytes))
        }
        w.counter("hedge_ipsec_initiations_total", "IKE initiations asked of strongSwan for the tunnel.",
                  l, V.value(t.initiations))
        if let mss = t.mss {
            w.gauge("hedge_ipsec_mss_clamp", "The TCP MSS that SYNs through the tunnel are clamped to.", l, V.value(mss))
            w.gauge("hedge_ipsec_mss_clamp_in_place", "1 while hedge's nftables table holds the tunnel's MSS clamp, else 0.",
                    l, V.value(t.clampInPlace))
        }
        w.counter("hedge_ipsec_mss_clamp_restored_total", "Times hedge put its nftables table back after another program changed it.",
                  l, V.value(t.clampRepairs))
    }

    private static func group(_ g: GroupStatus, _ w: inout PrometheusWriter) {
        let l = [("group", g.name)]
        var members = g.members.map { $0.path }
        if let a = g.active, !members.contains(a) { members.append(a) }
        for m in members {
            w.gauge("hedge_group_active", "1 on the group members that carry the traffic (several when their priorities tie: ECMP), 0 on the others.",
                    l + [("path", m)], V.value(g.active == m || g.inUse.contains(m)))
        }
        w.counter("hedge_group_switches_total", "Changes of the group's active path, of any kind.", l, V.value(g.switches))
        w.counter("hedge_group_failovers_total", "Switches away from a failed path.", l, V.value(g.failovers))
        w.counter("hedge_group_failbacks_total", "Switches back to a preferred path after it recovered.",
                  l, V.value(g.failbacks))
        if let e = g.lastSwitch {
            w.gauge("hedge_group_last_switch_timestamp_seconds",
                    "Time of the group's last switch since the Unix epoch in seconds.", l, V.seconds(ms: e.wallMs))
        }
        if let t = g.lastFailoverWallMs {
            w.gauge("hedge_group_last_failover_timestamp_seconds",
                    "Time of the group's last failover since the Unix epoch in seconds.", l, V.seconds(ms: t))
        }
        if let d = g.lossWindowMs {
            w.gauge("hedge_group_last_failover_loss_window_seconds",
                    "The last failover's loss window: from the failed path's last sign of life to the kernel's acknowledgement of the switch.",
                    l, V.seconds(ms: d))
        }
        if let m = g.measure {
            w.counter("hedge_group_measure_sent_total", "Requests of the group's measure probe.", l, V.value(m.sent))
            for (dir, n) in [("forward", m.forwardLoss), ("return", m.returnLoss)] {
                w.counter("hedge_group_measure_lost_total",
                          "Measure requests lost, by direction: forward never reached the reflector, return was counted there but its reply never came back.",
                          l + [("direction", dir)], V.value(n))
            }
            for (kind, t) in [("failover", m.lastFailover), ("failback", m.lastFailback)] {
                guard let t else { continue }
                for (dir, ms) in [("forward", t.forwardMs), ("return", t.returnMs)] {
                    w.gauge("hedge_group_last_transition_loss_seconds",
                            "What the group's last failover or failback cost the LAN's traffic in each direction, as its measure probe saw it (still growing while settled is 0).",
                            l + [("kind", kind), ("direction", dir)], V.seconds(ms: ms))
                }
                w.gauge("hedge_group_last_transition_loss_settled", "1 once the transition's loss figures are final, else 0.",
                        l + [("kind", kind)], V.value(t.settled))
            }
        }
        w.gauge("hedge_group_no_redundancy",
                "1 while traffic flows on a healthy path and no other member could take over, else 0.",
                l, V.value(g.noRedundancy != nil))
        w.gauge("hedge_group_stranded", "1 while no member of the group is usable, else 0.", l, V.value(g.stranded != nil))
        w.gauge("hedge_group_prefixes", "Prefixes the group routes (configured and learned).", l, V.value(g.prefixCount))
        for m in g.members {
            w.gauge("hedge_group_member_suppressed", "1 while route-flap damping suppresses the member, else 0.",
                    l + [("path", m.path)], V.value(m.suppressed))
        }
        for m in g.members {
            w.gauge("hedge_group_member_damping_penalty", "The member's route-flap damping penalty (RFC 2439 figure of merit).",
                    l + [("path", m.path)], V.value(m.penalty))
        }
        for m in g.members {
            guard let r = m.holdDownRemainingMs else { continue }
            w.gauge("hedge_group_member_hold_down_remaining_seconds",
                    "Time left before a recovered preferred member may take the traffic back.",
                    l + [("path", m.path)], V.seconds(ms: r))
        }
    }

    private static func kernel(_ k: KernelStatus, _ w: inout PrometheusWriter) {
        w.gauge("hedge_netlink_nexthop_objects", "1 when routes go through nexthop objects, 0 for per-route replace.",
                [], V.value(k.nexthopObjects))
        w.counter("hedge_netlink_changes_total", "Route and nexthop changes sent to the kernel.", [], V.value(k.changes))
        w.counter("hedge_netlink_errors_total", "Kernel changes refused and other netlink errors.", [], V.value(k.netlinkErrors))
        w.counter("hedge_errors_total", "Errors the agent logged: netlink, sockets, sessions, reporting, reloads.", [], V.value(k.errors))
        w.counter("hedge_netlink_resyncs_total", "Full re-reads of kernel state after the event socket overran (ENOBUFS).",
                  [], V.value(k.resyncs))
    }

    private static func config(_ c: ConfigStatus, _ w: inout PrometheusWriter) {
        w.gauge("hedge_config_generation", "Configuration generation: 1 at start, +1 per applied reload.",
                [], V.value(c.generation))
        w.counter("hedge_config_reloads_total", "Configuration reloads (SIGHUP) by result.",
                  [("result", "success")], V.value(c.reloadsSucceeded))
        w.counter("hedge_config_reloads_total", "", [("result", "failure")], V.value(c.reloadsFailed))
        w.gauge("hedge_config_last_reload_success", "0 while the last reload was refused (the previous configuration runs), else 1.",
                [], V.value(c.lastReloadError == nil))
        if let t = c.lastReloadWallMs {
            w.gauge("hedge_config_last_reload_timestamp_seconds", "Time of the last reload since the Unix epoch in seconds.",
                    [], V.seconds(ms: t))
        }
        if let t = c.lastDrillSuccessWallMs {
            w.gauge("hedge_drill_last_success_timestamp_seconds",
                    "Time of the last drill that ended in success since the Unix epoch in seconds.", [], V.seconds(ms: t))
        }
    }

    private static func http(_ h: HTTPServerStatus, _ w: inout PrometheusWriter) {
        w.gauge("hedge_http_connections", "Open connections to the metrics endpoint.", [], V.value(h.connections))
        w.counter("hedge_http_requests_total", "Requests answered by the metrics endpoint.", [], V.value(h.requests))
        w.counter("hedge_http_rejected_total", "Requests the endpoint refused itself (malformed, too large, not GET or HEAD).", [], V.value(h.rejected))
        w.counter("hedge_http_evicted_total", "Connections closed to make room for a newer one.", [], V.value(h.evicted))
        w.counter("hedge_http_timed_out_total", "Connections closed for lack of progress.", [], V.value(h.timedOut))
        w.counter("hedge_http_head_timed_out_total", "Connections whose request head did not arrive in time.", [], V.value(h.headTimedOut))
        w.counter("hedge_http_refused_total", "Connections refused: their source address had too many open.", [], V.value(h.refused))
    }

    private static func events(_ e: EventsStatus, _ w: inout PrometheusWriter) {
        w.gauge("hedge_events_queued", "Events waiting to be delivered.", [], V.value(e.queued))
        w.counter("hedge_events_delivered_total", "Events delivered to the collector.", [], V.value(e.delivered))
        w.counter("hedge_events_dropped_total", "Events dropped (queue full).", [], V.value(e.dropped))
        w.counter("hedge_syslog_messages_total", "Messages sent to syslog.", [], V.value(e.syslogSent))
        w.counter("hedge_syslog_errors_total", "Messages syslog did not take.", [], V.value(e.syslogErrors))
        w.counter("hedge_push_errors_total", "Failed pushes of events to the collector.", [], V.value(e.pushErrors))
        if let t = e.pushTarget {
            w.gauge("hedge_push_target_info", "The event collector, as a label; the value is always 1.", [("target", t)], "1")
        }
    }
}
