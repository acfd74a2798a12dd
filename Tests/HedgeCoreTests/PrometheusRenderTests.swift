import XCTest
import Foundation
@testable import HedgeCore

final class PrometheusRenderTests: XCTestCase {

    var text: String { PrometheusRender.text(RichStatusSnapshot.make()) }
    var lines: [String] { text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }

    func assertLines(_ expected: [String], in text: String, file: StaticString = #filePath, line: UInt = #line) {
        let have = Set(text.split(separator: "\n").map(String.init))
        for e in expected where !have.contains(e) {
            XCTFail("missing line: \(e)\n--- in ---\n\(text)", file: file, line: line)
        }
    }

    // MARK: writer

    func testLabelValuesEscapeBackslashQuoteAndLineFeedOnly() {
        XCTAssertEqual(PrometheusWriter.escapeLabelValue(#"a\b"c"#), #"a\\b\"c"#)
        XCTAssertEqual(PrometheusWriter.escapeLabelValue("one\ntwo"), #"one\ntwo"#)
        XCTAssertEqual(PrometheusWriter.escapeLabelValue("tab\there é ✓"), "tab\there é ✓")
    }

    func testHelpEscapesBackslashAndLineFeedButNotQuotes() {
        XCTAssertEqual(PrometheusWriter.escapeHelp("say \"hi\" \\ now\nthen"), #"say "hi" \\ now\nthen"#)
    }

    func testWriterGroupsInterleavedSamplesByFamilyInFirstSeenOrder() {
        var w = PrometheusWriter()
        w.gauge("b_up", "B.", [("path", "x")], "1")
        w.counter("a_total", "A.", [], "3")
        w.gauge("b_up", "ignored: the first help stays", [("path", "y")], "0")
        XCTAssertEqual(w.text, """
            # HELP b_up B.
            # TYPE b_up gauge
            b_up{path="x"} 1
            b_up{path="y"} 0
            # HELP a_total A.
            # TYPE a_total counter
            a_total 3

            """)
    }

    func testEmptyWriterWritesNothing() {
        XCTAssertEqual(PrometheusWriter().text, "")
    }

    func testSecondsKeepMillisecondsAndMicroseconds() {
        XCTAssertEqual(PrometheusWriter.seconds(ms: 1_764_213_000_123), "1764213000.123")
        XCTAssertEqual(PrometheusWriter.seconds(ms: 850), "0.850")
        XCTAssertEqual(PrometheusWriter.seconds(us: 300_000), "0.300000")
        XCTAssertEqual(PrometheusWriter.seconds(us: 1_234), "0.001234")
    }

    // MARK: the rich snapshot

    func testAgentAndPathSeries() {
        assertLines([
            #"hedge_build_info{version="1.4.0 (\"rc\\1\")"} 1"#,
            #"hedge_router_info{router_id="192.0.2.1",local_as="65010"} 1"#,
            "hedge_start_time_seconds 1795707301.234",
            #"hedge_path_up{path="expressroute"} 0"#,
            #"hedge_path_up{path="vpn"} 1"#,
            #"hedge_path_health{path="expressroute",health="up"} 0"#,
            #"hedge_path_health{path="expressroute",health="down"} 1"#,
            #"hedge_path_health{path="expressroute",health="unknown"} 0"#,
            #"hedge_path_health{path="vpn",health="up"} 1"#,
            #"hedge_path_reason_info{path="expressroute",reason="BFD: no control packet for 900000 µs (Control Detection Time Expired)"} 1"#,
            #"hedge_path_signal_health{path="expressroute",signal="carrier",health="up"} 1"#,
            #"hedge_path_signal_health{path="expressroute",signal="bfd",health="down"} 1"#,
            #"hedge_path_signal_health{path="vpn",signal="sa",health="up"} 1"#,
            #"hedge_path_flaps_total{path="expressroute"} 4"#,
            #"hedge_path_flaps_total{path="vpn"} 0"#,
            #"hedge_path_last_change_timestamp_seconds{path="expressroute"} 1795714788.889"#,
            #"hedge_path_priority{path="expressroute"} 10"#,
            #"hedge_path_priority{path="lte"} 30"#,
            #"hedge_path_info{path="expressroute",device="er0",gateway="192.168.10.2"} 1"#,
            #"hedge_path_info{path="vpn",device="ipsec0"} 1"#,
        ], in: text)
        // An up path has no reason to show, and a path that never changed has no change time.
        XCTAssertFalse(text.contains(#"hedge_path_reason_info{path="vpn""#))
        XCTAssertFalse(text.contains(#"hedge_path_last_change_timestamp_seconds{path="vpn"}"#))
    }

    /// The endpoint's own defences show on it, and only while it is on.
    func testHTTPServerCountersWhenTheEndpointIsOn() {
        var s = RichStatusSnapshot.make()
        XCTAssertFalse(PrometheusRender.text(s).contains("hedge_http_"))
        var h = HTTPServerStatus()
        h.connections = 3; h.requests = 40; h.rejected = 1; h.evicted = 97; h.timedOut = 12; h.headTimedOut = 11; h.refused = 5
        s.http = h
        assertLines([
            "# TYPE hedge_http_evicted_total counter",
            "hedge_http_connections 3", "hedge_http_requests_total 40", "hedge_http_rejected_total 1",
            "hedge_http_evicted_total 97", "hedge_http_timed_out_total 12", "hedge_http_head_timed_out_total 11",
            "hedge_http_refused_total 5",
        ], in: PrometheusRender.text(s))
    }

    func testReasonWithQuoteBackslashAndLineFeedIsEscaped() {
        let expected = #"hedge_path_reason_info{path="lte",reason="carrier lost: modem \"wwan0\" said C:\\dev\nno signal"} 1"#
        assertLines([expected], in: text)
        // Escaped, the sample stays on one line: no line starts with the reason's second half.
        XCTAssertFalse(lines.contains { $0.hasPrefix("no signal") })
    }

    func testBFDSeries() {
        let l = #"path="expressroute",neighbor="192.168.10.2""#
        assertLines([
            "hedge_bfd_session_state{\(l),state=\"AdminDown\"} 0",
            "hedge_bfd_session_state{\(l),state=\"Down\"} 1",
            "hedge_bfd_session_state{\(l),state=\"Init\"} 0",
            "hedge_bfd_session_state{\(l),state=\"Up\"} 0",
            "hedge_bfd_session_remote_state{\(l),state=\"Down\"} 1",
            "hedge_bfd_session_diagnostic{\(l)} 1",
            "hedge_bfd_session_last_change_timestamp_seconds{\(l)} 1795714788.889",
            "hedge_bfd_transmit_interval_seconds{\(l)} 1.000000",
            "hedge_bfd_detection_time_seconds{\(l)} 0.900000",
            "hedge_bfd_detect_multiplier{\(l)} 3",
            "hedge_bfd_packets_sent_total{\(l)} 25000",
            "hedge_bfd_packets_received_total{\(l)} 24990",
            "hedge_bfd_packets_discarded_total{\(l)} 2",
        ], in: text)
        XCTAssertFalse(text.contains(#"hedge_bfd_session_state{path="vpn""#), "no BFD on the VPN path")
    }

    func testBGPSeries() {
        let l = #"path="expressroute",neighbor="192.168.10.2""#
        var expected: [String] = []
        for st in ["Idle", "Connect", "Active", "OpenSent", "OpenConfirm", "Established"] {
            expected.append("hedge_bgp_session_state{\(l),remote_as=\"12076\",state=\"\(st)\"} \(st == "Active" ? 1 : 0)")
        }
        expected += [
            "hedge_bgp_established_transitions_total{\(l)} 3",
            "hedge_bgp_prefixes_received{\(l)} 3",
            "hedge_bgp_prefixes_stale{\(l)} 3",
            "hedge_bgp_prefixes_ignored{\(l)} 1",
            "hedge_bgp_prefixes_sent{\(l)} 2",
            "hedge_bgp_prefixes_configured{\(l)} 2",
        ]
        assertLines(expected, in: text)
        XCTAssertFalse(text.contains("hedge_bgp_session_uptime_seconds{"), "not Established: no uptime")
        XCTAssertFalse(text.contains("hedge_bgp_hold_time_seconds{"), "nothing negotiated: no hold time")
    }

    func testBGPUptimeAndHoldWhenEstablished() {
        var s = RichStatusSnapshot.make()
        s.paths[0].bgp?.state = "Established"
        s.paths[0].bgp?.upForMs = 86_400_250
        s.paths[0].bgp?.holdMs = 90_000
        let t = PrometheusRender.text(s)
        assertLines([
            #"hedge_bgp_session_state{path="expressroute",neighbor="192.168.10.2",remote_as="12076",state="Established"} 1"#,
            #"hedge_bgp_session_uptime_seconds{path="expressroute",neighbor="192.168.10.2"} 86400.250"#,
            #"hedge_bgp_hold_time_seconds{path="expressroute",neighbor="192.168.10.2"} 90.000"#,
        ], in: t)
    }

    func testProbeSeries() {
        assertLines([
            #"hedge_probe_sent_total{path="expressroute",target="10.200.0.4"} 100000"#,
            #"hedge_probe_received_total{path="expressroute",target="10.200.0.4"} 99950"#,
            #"hedge_probe_lost_total{path="expressroute",target="10.200.0.4"} 50"#,
            #"hedge_probe_rtt_seconds{path="expressroute",target="10.200.0.4"} 0.001234"#,
            #"hedge_probe_rtt_seconds{path="vpn",target="10.200.0.5"} 0.021500"#,
            #"hedge_probe_rtt_min_seconds{path="vpn",target="10.200.0.5"} 0.019000"#,
            #"hedge_probe_rtt_avg_seconds{path="vpn",target="10.200.0.5"} 0.020250"#,
            #"hedge_probe_forward_lost{path="vpn",target="10.200.0.5"} 6"#,
            #"hedge_probe_return_lost{path="vpn",target="10.200.0.5"} 4"#,
            #"hedge_probe_rejected_total{path="vpn",target="10.200.0.5"} 1"#,
        ], in: text)
        XCTAssertFalse(text.contains(#"hedge_probe_forward_lost{path="expressroute""#), "ICMP has no one-way loss")
    }

    func testIPsecSeries() {
        assertLines([
            #"hedge_ipsec_sa_up{path="vpn"} 1"#,
            #"hedge_ipsec_tunnel_info{path="vpn",if_id="42",local="203.0.113.1",remote="198.51.100.1",keying="strongswan"} 1"#,
            #"hedge_ipsec_spi_info{path="vpn",direction="out",spi="0xc0ffee01"} 1"#,
            #"hedge_ipsec_spi_info{path="vpn",direction="in",spi="0x0badf00d"} 1"#,
            #"hedge_ipsec_sa_packets_total{path="vpn",direction="out"} 123456"#,
            #"hedge_ipsec_sa_packets_total{path="vpn",direction="in"} 120000"#,
            #"hedge_ipsec_sa_bytes_total{path="vpn",direction="out"} 98765432100"#,
            #"hedge_ipsec_sa_bytes_total{path="vpn",direction="in"} 87654321"#,
            #"hedge_ipsec_initiations_total{path="vpn"} 2"#,
        ], in: text)
        XCTAssertFalse(text.contains(#"hedge_ipsec_sa_up{path="expressroute"}"#))
    }

    func testIPsecWithoutSAsHasNoSPIOrCounters() {
        var s = RichStatusSnapshot.make()
        s.paths[1].tunnel?.spiOut = nil
        s.paths[1].tunnel?.spiIn = nil
        s.paths[1].signals[1].health = .down
        let t = PrometheusRender.text(s)
        assertLines([#"hedge_ipsec_sa_up{path="vpn"} 0"#, #"hedge_ipsec_initiations_total{path="vpn"} 2"#], in: t)
        for name in ["hedge_ipsec_spi_info", "hedge_ipsec_sa_packets_total", "hedge_ipsec_sa_bytes_total"] {
            XCTAssertFalse(t.contains(name), name)
        }
    }

    func testGroupSeries() {
        let g = #"group="azure""#
        assertLines([
            "hedge_group_active{\(g),path=\"expressroute\"} 0",
            "hedge_group_active{\(g),path=\"vpn\"} 1",
            "hedge_group_active{\(g),path=\"lte\"} 0",
            "hedge_group_switches_total{\(g)} 3",
            "hedge_group_failovers_total{\(g)} 2",
            "hedge_group_failbacks_total{\(g)} 1",
            "hedge_group_last_switch_timestamp_seconds{\(g)} 1795714789.234",
            "hedge_group_last_failover_timestamp_seconds{\(g)} 1795714789.234",
            "hedge_group_last_failover_loss_window_seconds{\(g)} 0.850",
            "hedge_group_no_redundancy{\(g)} 1",
            "hedge_group_stranded{\(g)} 0",
            "hedge_group_prefixes{\(g)} 2",
            "hedge_group_member_suppressed{\(g),path=\"expressroute\"} 1",
            "hedge_group_member_suppressed{\(g),path=\"vpn\"} 0",
            "hedge_group_member_damping_penalty{\(g),path=\"expressroute\"} 3000",
            "hedge_group_measure_sent_total{\(g)} 90000",
            "hedge_group_measure_lost_total{\(g),direction=\"forward\"} 5",
            "hedge_group_measure_lost_total{\(g),direction=\"return\"} 14",
            "hedge_group_last_transition_loss_seconds{\(g),kind=\"failover\",direction=\"forward\"} 0.050",
            "hedge_group_last_transition_loss_seconds{\(g),kind=\"failover\",direction=\"return\"} 0.140",
            "hedge_group_last_transition_loss_seconds{\(g),kind=\"failback\",direction=\"return\"} 0.000",
            "hedge_group_last_transition_loss_settled{\(g),kind=\"failover\"} 1",
            "hedge_group_last_transition_loss_settled{\(g),kind=\"failback\"} 0",
        ], in: text)
    }

    func testGroupWithoutFailoverHasNoFailoverTimes() {
        var s = RichStatusSnapshot.make()
        s.groups[0].lastFailoverWallMs = nil
        s.groups[0].lossWindowMs = nil
        s.groups[0].lastSwitch = nil
        s.groups[0].members[0].holdDownRemainingMs = 17_655
        let t = PrometheusRender.text(s)
        XCTAssertFalse(t.contains("hedge_group_last_failover_timestamp_seconds"))
        XCTAssertFalse(t.contains("hedge_group_last_failover_loss_window_seconds"))
        XCTAssertFalse(t.contains("hedge_group_last_switch_timestamp_seconds"))
        assertLines([#"hedge_group_member_hold_down_remaining_seconds{group="azure",path="expressroute"} 17.655"#], in: t)
    }

    func testKernelConfigAndEventSeries() {
        assertLines([
            "hedge_netlink_nexthop_objects 1",
            "hedge_netlink_changes_total 12",
            "hedge_netlink_errors_total 1",
            "hedge_errors_total 2",
            "hedge_netlink_resyncs_total 1",
            "hedge_config_generation 3",
            #"hedge_config_reloads_total{result="success"} 2"#,
            #"hedge_config_reloads_total{result="failure"} 1"#,
            "hedge_config_last_reload_success 0",
            "hedge_config_last_reload_timestamp_seconds 1795711201.234",
            "hedge_drill_last_success_timestamp_seconds 1795705000.000",
            "hedge_events_queued 2",
            "hedge_events_delivered_total 40",
            "hedge_events_dropped_total 1",
            "hedge_syslog_messages_total 45",
            "hedge_syslog_errors_total 0",
            "hedge_push_errors_total 3",
            #"hedge_push_target_info{target="https://collector.example:8443/events"} 1"#,
        ], in: text)
    }

    /// Each enumerated state is a state set: exactly one series at 1 per subject.
    func testStateSetsHaveExactlyOneCurrentState() {
        var ones: [String: Int] = [:]
        for l in lines {
            for family in ["hedge_path_health{", "hedge_path_signal_health{", "hedge_bfd_session_state{",
                           "hedge_bfd_session_remote_state{", "hedge_bgp_session_state{"] where l.hasPrefix(family) {
                // The subject is everything but the state label.
                let subject = l.replacingOccurrences(of: #",(health|state)="[A-Za-z]+"\} [01]$"#, with: "",
                                                     options: .regularExpression)
                ones[subject, default: 0] += l.hasSuffix(" 1") ? 1 : 0
            }
        }
        XCTAssertEqual(ones.count, 3 + 8 + 1 + 1 + 1, "\(ones.keys.sorted())")
        for (subject, n) in ones { XCTAssertEqual(n, 1, subject) }
    }

    // MARK: format rules

    /// Parses the exposition loosely: every sample's family has one HELP and one TYPE before its
    /// first sample, families are contiguous, counters end in _total, values are numbers.
    func testFamiliesAreContiguousWithHelpAndType() throws {
        var help: [String: Int] = [:], type: [String: String] = [:]
        var finished = Set<String>()
        var current: String?
        var samples = 0
        for l in lines where !l.isEmpty {
            if l.hasPrefix("# HELP ") || l.hasPrefix("# TYPE ") {
                let parts = l.split(separator: " ", maxSplits: 3).map(String.init)
                let name = parts[2]
                if name != current {
                    if let c = current { finished.insert(c) }
                    XCTAssertFalse(finished.contains(name), "family \(name) appears twice")
                    current = name
                }
                if parts[1] == "HELP" { help[name, default: 0] += 1 } else {
                    XCTAssertNil(type[name], "second TYPE for \(name)")
                    type[name] = parts[3]
                }
                continue
            }
            XCTAssertFalse(l.hasPrefix("#"), l)
            samples += 1
            let name = String(l.prefix { $0 != "{" && $0 != " " })
            XCTAssertEqual(name, current, "sample outside its family block: \(l)")
            XCTAssertEqual(help[name], 1, "HELP for \(name)")
            XCTAssertNotNil(type[name], "TYPE for \(name)")
            if type[name] == "counter" { XCTAssertTrue(name.hasSuffix("_total"), name) }
            else { XCTAssertFalse(name.hasSuffix("_total"), name) }
            XCTAssertTrue(name.hasPrefix("hedge_"), name)
            let value = String(l[l.index(after: try XCTUnwrap(l.lastIndex(of: " ")))...])
            XCTAssertNotNil(Double(value), "value of \(l)")
            XCTAssertFalse(value.lowercased().contains("nan"), l)
        }
        XCTAssertGreaterThan(samples, 100)
        XCTAssertTrue(text.hasSuffix("\n"))
        // Every family the brief asks for is present in the rich snapshot.
        for name in ["hedge_build_info", "hedge_start_time_seconds", "hedge_path_up", "hedge_path_health",
                     "hedge_path_reason_info", "hedge_path_signal_health", "hedge_path_flaps_total",
                     "hedge_path_last_change_timestamp_seconds", "hedge_path_priority", "hedge_group_active",
                     "hedge_group_failovers_total", "hedge_group_failbacks_total", "hedge_group_switches_total",
                     "hedge_group_last_failover_timestamp_seconds", "hedge_group_last_failover_loss_window_seconds",
                     "hedge_group_no_redundancy", "hedge_group_prefixes", "hedge_group_member_suppressed",
                     "hedge_group_member_damping_penalty", "hedge_bfd_session_state", "hedge_bfd_transmit_interval_seconds",
                     "hedge_bfd_detection_time_seconds", "hedge_bfd_detect_multiplier", "hedge_bfd_packets_sent_total",
                     "hedge_bfd_packets_received_total", "hedge_bfd_packets_discarded_total", "hedge_bgp_session_state",
                     "hedge_bgp_prefixes_received", "hedge_bgp_prefixes_stale", "hedge_bgp_prefixes_sent",
                     "hedge_probe_sent_total", "hedge_probe_received_total", "hedge_probe_lost_total",
                     "hedge_probe_rtt_seconds", "hedge_ipsec_sa_up", "hedge_ipsec_sa_packets_total",
                     "hedge_ipsec_sa_bytes_total", "hedge_ipsec_spi_info", "hedge_ipsec_initiations_total",
                     "hedge_netlink_changes_total", "hedge_netlink_errors_total", "hedge_errors_total", "hedge_netlink_resyncs_total",
                     "hedge_config_generation", "hedge_config_reloads_total", "hedge_config_last_reload_success",
                     "hedge_config_last_reload_timestamp_seconds", "hedge_drill_last_success_timestamp_seconds",
                     "hedge_events_queued", "hedge_events_delivered_total", "hedge_events_dropped_total",
                     "hedge_syslog_messages_total", "hedge_syslog_errors_total", "hedge_push_errors_total"] {
            XCTAssertNotNil(type[name], "family \(name) missing")
        }
    }

    func testEmptySnapshotHasTheAgentFamiliesAndNoPathFamilies() {
        let t = PrometheusRender.text(StatusSnapshot(version: "x", routerID: nil, localAS: nil, uptimeMs: 1_000,
                                                     nowWallMs: 1_000_000))
        assertLines([#"hedge_build_info{version="x"} 1"#, "hedge_start_time_seconds 999.000",
                     "hedge_config_last_reload_success 1", "hedge_config_generation 1",
                     #"hedge_config_reloads_total{result="failure"} 0"#, "hedge_events_queued 0"], in: t)
        for name in ["hedge_router_info", "hedge_path_", "hedge_group_", "hedge_bfd_", "hedge_bgp_", "hedge_probe_",
                     "hedge_ipsec_", "hedge_config_last_reload_timestamp_seconds", "hedge_push_target_info", "NaN"] {
            XCTAssertFalse(t.contains(name), name)
        }
    }

    // MARK: the same facts in /status (JSON) and the table

    func testJSONCarriesTheNewFacts() throws {
        let obj = try JSONSerialization.jsonObject(with: Data(StatusRender.json(RichStatusSnapshot.make()).utf8))
        let d = try XCTUnwrap(obj as? [String: Any])
        XCTAssertEqual(d["start_time_ms"] as? Int, 1_795_707_301_234)
        let paths = try XCTUnwrap(d["paths"] as? [[String: Any]])
        XCTAssertEqual(paths[0]["changed_time_ms"] as? Int, 1_795_714_788_889)
        XCTAssertTrue(paths[1]["changed_time_ms"] is NSNull)
        let bfd = try XCTUnwrap(paths[0]["bfd"] as? [String: Any])
        XCTAssertEqual(bfd["neighbor"] as? String, "192.168.10.2")
        XCTAssertEqual(bfd["state"] as? String, "Down")
        XCTAssertEqual(bfd["remote_state"] as? String, "Down")
        XCTAssertEqual(bfd["diagnostic"] as? String, "Control Detection Time Expired")
        XCTAssertEqual(bfd["diagnostic_code"] as? Int, 1)
        XCTAssertEqual(bfd["transmit_interval_us"] as? Int, 1_000_000)
        XCTAssertEqual(bfd["detection_time_us"] as? Int, 900_000)
        XCTAssertEqual(bfd["detect_multiplier"] as? Int, 3)
        XCTAssertEqual(bfd["packets_sent"] as? Int, 25_000)
        XCTAssertEqual(bfd["packets_accepted"] as? Int, 24_990)
        XCTAssertEqual(bfd["packets_discarded"] as? Int, 2)
        XCTAssertEqual(bfd["since_ms_ago"] as? Int, 12_345)
        XCTAssertNil(paths[1]["bfd"])
        XCTAssertEqual((paths[0]["bgp"] as? [String: Any])?["established_transitions"] as? Int, 3)
        let g = try XCTUnwrap((d["groups"] as? [[String: Any]])?.first)
        XCTAssertEqual(g["failovers"] as? Int, 2)
        XCTAssertEqual(g["failbacks"] as? Int, 1)
        XCTAssertEqual(g["last_failover_time_ms"] as? Int, 1_795_714_789_234)
        XCTAssertEqual(g["loss_window_ms"] as? Int, 850)
        let m = try XCTUnwrap(g["measure"] as? [String: Any])
        XCTAssertEqual(m["source"] as? String, "172.16.0.1")
        XCTAssertEqual(m["forward_lost"] as? Int, 5)
        XCTAssertEqual(m["return_lost"] as? Int, 14)
        XCTAssertEqual((m["last_failover"] as? [String: Any])?["return_loss_ms"] as? Int, 140)
        XCTAssertEqual((m["last_failover"] as? [String: Any])?["settled"] as? Bool, true)
        XCTAssertEqual((m["last_failback"] as? [String: Any])?["settled"] as? Bool, false)
        let c = try XCTUnwrap(d["config"] as? [String: Any])
        XCTAssertEqual(c["generation"] as? Int, 3)
        XCTAssertEqual(c["reloads_succeeded"] as? Int, 2)
        XCTAssertEqual(c["reloads_failed"] as? Int, 1)
        XCTAssertEqual(c["last_reload_time_ms"] as? Int, 1_795_711_201_234)
        XCTAssertEqual(c["last_reload_error"] as? String, "hedge.conf:12: unknown keyword 'prioriti'")
        XCTAssertEqual(c["last_drill_success_time_ms"] as? Int, 1_795_705_000_000)
        let e = try XCTUnwrap(d["events"] as? [String: Any])
        XCTAssertEqual(e["queued"] as? Int, 2)
        XCTAssertEqual(e["delivered"] as? Int, 40)
        XCTAssertEqual(e["dropped"] as? Int, 1)
        XCTAssertEqual(e["syslog_sent"] as? Int, 45)
        XCTAssertEqual(e["syslog_errors"] as? Int, 0)
        XCTAssertEqual(e["push_errors"] as? Int, 3)
        XCTAssertEqual(e["push_target"] as? String, "https://collector.example:8443/events")
        XCTAssertEqual(e["last_push_error"] as? String, "connect: Connection refused")
    }

    func testJSONOfAFreshSnapshotHasDefaultConfigAndEvents() throws {
        let obj = try JSONSerialization.jsonObject(with: Data(StatusRender.json(
            StatusSnapshot(version: "x", routerID: nil, localAS: nil, uptimeMs: 5, nowWallMs: 10)).utf8))
        let d = try XCTUnwrap(obj as? [String: Any])
        XCTAssertEqual(d["start_time_ms"] as? Int, 5)
        XCTAssertEqual((d["config"] as? [String: Any])?["generation"] as? Int, 1)
        XCTAssertTrue((d["config"] as? [String: Any])?["last_reload_error"] is NSNull)
        XCTAssertTrue((d["events"] as? [String: Any])?["push_target"] is NSNull)
    }

    func testTableShowsTheNewFactsBriefly() {
        let t = StatusRender.table(RichStatusSnapshot.make())
        XCTAssertTrue(t.contains("bfd down (BFD: no control packet for 900000 µs (Control Detection Time Expired)) "
                                 + "192.168.10.2 Down/Down tx 1.000s detect 900ms diag Control Detection Time Expired;"), t)
        XCTAssertTrue(t.contains(" 192.168.10.2 AS12076 Active rx 3 (3 stale) tx 2 flaps 2;"), t)
        XCTAssertTrue(t.contains("  azure: 2 failovers, 1 failbacks, last failover 2026-11-26T17:39:49.234Z (loss window 850ms)\n"), t)
        XCTAssertTrue(t.contains("  azure: measure 10.200.0.4 from 172.16.0.1 every 10ms: 90000 sent, lost 5 out, 14 back; "
                                 + "last failover 50 ms out, 140 ms back; failback 0 ms out, 0 ms back (still measuring)\n"), t)
        XCTAssertTrue(t.contains("Config: generation 3, reloads 2 ok 1 failed, last 2026-11-26T16:40:01.234Z "
                                 + "refused: hedge.conf:12: unknown keyword 'prioriti'\n"), t)
        XCTAssertTrue(t.contains("Events: 40 delivered, 2 queued, 1 dropped, syslog 45 sent 0 errors, "
                                 + "push to https://collector.example:8443/events 3 errors\n"), t)
        XCTAssertTrue(t.hasSuffix("Last push error: connect: Connection refused\n"), t)
        for line in t.split(separator: "\n") { XCTAssertFalse(line.hasSuffix(" "), "trailing space: \(line)") }
    }
}
