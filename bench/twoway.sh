# shellcheck shell=bash
# bench/twoway.sh — the twoway scenario of bench/failover (sourced by it; uses its agents, helpers and
# options). Both directions at once, in a lab whose Azure side routes as Azure does (lab/azure.sh):
# a 1 kHz stream on-prem LAN (172.16.0.1) → VNet host and one VNet host → LAN, plus a TCP flow of
# requests and replies at 100/s (bench/tcpflow.py) that runs across the failover and the failback.
#
#   failure far   the MSEE drops everything on its on-prem link (lab_fail_far): BFD sees it, the MSEE
#                 withdraws on-prem's prefixes from the VNet when its own BFD does.
#   failure gray  the MSEE keeps BGP and BFD with on-prem up but drops the traffic between on-prem and
#                 the VNet (lab_fail_gray): only an end-to-end probe can see it.
#
# One JSON line per (agent, timer, failure):
#   {"bench":"failover","scenario":"twoway","agent":..,"bfd_ms":..,"bfd_mult":..,"vpn":"static",
#    "azure_router":"frr","failure":"far","forward_loss_ms":..,"return_loss_ms":..,
#    "failback_forward_lost":..,"failback_return_lost":..,"steer_fib_ms":..,"tcp_survived":..,
#    "tcp_longest_stall_ms":..,"hedge_reported_forward_ms":..,"hedge_reported_return_ms":..,...}
# hedge_reported_*: what hedge's own `measure` (a reflect probe from the LAN's address, along the
# group's routes) reported for the failover and the failback: the field's figure beside the lab's.
# and with --repeat a summary line per (agent, timer, failure) with the medians.

TWOWAY_TCP_RATE=100
: "${twoway_vpn:=static}"

# tcpflow_start / tcpflow_stop: the TCP flow, LAN → VNet host port 9100, its JSON in $LAB_RUN/tcp.json.
tcpflow_start() {
    rm -f "$LAB_RUN/tcp.ready" "$LAB_RUN/tcp.stop" "$LAB_RUN/tcp.json"
    ip netns exec "$(lab_ns azure)" python3 "$HERE/bench/tcpflow.py" serve --bind "$(lab_target):9100" \
        --ready-file "$LAB_RUN/tcp.ready" 2>>"$LAB_RUN/tcp.err" &
    bg_pids+=($!)
    lab_wait_for 5 test -e "$LAB_RUN/tcp.ready" || { log "the TCP server did not start"; return 1; }
    ip netns exec "$(ON)" python3 "$HERE/bench/tcpflow.py" client --to "$(lab_target):9100" --from 172.16.0.1 \
        --rate "$TWOWAY_TCP_RATE" --stop-file "$LAB_RUN/tcp.stop" >"$LAB_RUN/tcp.json" 2>>"$LAB_RUN/tcp.err" &
    TCPFLOW_PID=$!
}
tcpflow_stop() {
    touch "$LAB_RUN/tcp.stop"
    wait_pid "$TCPFLOW_PID" 20 || true
    [ -s "$LAB_RUN/tcp.json" ] || echo '{"survived":false,"error":"no result"}' >"$LAB_RUN/tcp.json"
}

# steer_fib_ms: from hedge's log line saying it announces the more-specifics to the first of them in
# Azure's FIB (the stand-in's own processing: FRR holds received routes 50 ms before it decides);
# null where hedge did not steer.
steer_fib_ms() {
    python3 - "$LAB_RUN/hedge.log" "$LAB_RUN/azure.monitor" <<'PY' 2>/dev/null || echo null
import datetime, re, sys
steer = None
for line in open(sys.argv[1], errors="replace"):
    if "steering the return path" in line:
        steer = datetime.datetime.strptime(line.split()[0], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp()
        break
fib = None
for line in open(sys.argv[2], errors="replace"):
    m = re.match(r"\[(\S+)\] (172\.16\.\d+\.\d+/(\d+)) ", line)
    if m and int(m.group(3)) > 24 and not line.startswith("[%s] Deleted" % m.group(1)):
        t = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f").timestamp()
        if steer is not None and t >= steer - 0.001:
            fib = t
            break
print("null" if steer is None or fib is None else round((fib - steer) * 1000))
PY
}

# Ready: on ExpressRoute both ways, and (BGP on the VPN) the VPN gateway holds the LAN to fall back on.
twoway_ready() {
    [ "$(lab_path_of)" = expressroute ] && [ "$(azure_route_of)" = expressroute ] &&
        { [ "$twoway_vpn" != bgp ] || azure_vpngw_received "$ANCHORS_LAN"; }
}

# hedge_measured failover|failback: "FORWARD_MS RETURN_MS" as hedge's `measure` reported that
# transition once settled ("null null" before, or for another agent). It waits up to 3 s for it.
hedge_measured() {
    local i out
    for i in $(seq 30); do
        out=$(ip netns exec "$(ON)" "$HEDGE_BIN" status --json -s "$HEDGE_SOCK" 2>/dev/null |
            jq -r --arg k "last_$1" '.groups[0].measure[$k] // empty | select(.settled) | "\(.forward_loss_ms) \(.return_loss_ms)"' 2>/dev/null)
        [ -z "$out" ] || { echo "$out"; return 0; }
        sleep 0.1
    done
    echo "null null"
}

# run_twoway AGENT TXxMULT far|gray: one lab, one agent, failure + failback; one JSON line.
run_twoway() {
    local agent=$1 timer=$2 failure=$3 err='' note=''
    local steer_ms=null fwd=null ret=null fb_fwd=null fb_ret=null path_fwd=null path_ret=null tcp_ok=null tcp_stall=null tcp_err=null
    local rep_fo='null null' rep_fb='null null' 
    SCEN=twoway BFD_TX=${timer%x*} BFD_MULT=${timer#*x}
    HEDGE_CONF=$HERE/lab/hedge-lab.conf HEDGE_SOCK=/run/hedge-lab.sock
    local dur=$(( fail_at_ms + BFD_TX * BFD_MULT * 4 + 2000 )) fb_ms=12000
    (( dur >= duration_ms )) || dur=$duration_ms
    local hedge_agent=''
    case "$agent" in hedge|hedge-bgp) hedge_agent=1 ;; esac
    if [ -n "$hedge_agent" ]; then
        HEDGE_CONF=$out_dir/data/hedge-twoway.conf HEDGE_SOCK=/run/hedge-lab-$LAB.sock
        HEDGE_NO_PROBE=$([ "$agent" = hedge-bgp ] && echo 1 || true) hedge_scenario_conf "$HEDGE_CONF" ||
            err="hedge check rejects the twoway configuration"
    fi
    log "=== $agent / twoway $timer, $failure failure, VPN $twoway_vpn: lab up"
    ANCHORS_VPN=$twoway_vpn   # lab/anchors.sh: the on-prem anchors speak BGP over the tunnel too
    [ -n "$err" ] || AZURE_VPN=$twoway_vpn lab_up || err="the lab did not come up"
    if [ -z "$err" ]; then
        rm -f "$LAB_RUN"/*.json
        if ! "agent_start_$agent"; then err="agent did not start"
        elif ! lab_wait_for 25 twoway_ready; then
            err="not on ExpressRoute both ways within 25 s (on-prem: $(lab_path_of), Azure: $(azure_route_of))"
        fi
    fi
    if [ -z "$err" ]; then
        sleep 1   # BFD / BGP settle (fast timers negotiated) before the failure
        tcpflow_start || err="the TCP flow did not start"
        # Azure's FIB, timestamped: when its return route moved (steer_fib_ms below)
        ip -ts -n "$(lab_ns azure)" monitor route >"$LAB_RUN/azure.monitor" 2>&1 &
        bg_pids+=($!)
    fi
    if [ -z "$err" ]; then
        fail2() { log "failure ($failure) at $(date +%H:%M:%S.%3N)"; "lab_fail_$failure"; }
        restore2() { log "restore at $(date +%H:%M:%S.%3N)"; "lab_restore_$failure"; }
        if stream2 failover "$dur" "$fail_at_ms" fail2; then
            fwd=$(jget "$LAB_RUN/failover-fwd.json" loss_ms) ret=$(jget "$LAB_RUN/failover-ret.json" loss_ms)
            path_fwd="\"$(lab_path_of)\"" path_ret="\"$(azure_route_of)\""
            log "after the failure: on-prem → $path_fwd, Azure → $path_ret; loss forward $fwd ms, return $ret ms"
            agent_status "$agent"
            azure_status | sed 's/^/  azure| /' >&2
            [ -z "$hedge_agent" ] || rep_fo=$(hedge_measured failover)
            if stream2 failback "$fb_ms" 500 restore2; then
                fb_fwd=$(jget "$LAB_RUN/failback-fwd.json" lost) fb_ret=$(jget "$LAB_RUN/failback-ret.json" lost)
                # A direction that never left ExpressRoute has no failback: its "loss" there is the
                # failure still going on until the restore.
                [ "$path_fwd" != '"expressroute"' ] || { fb_fwd=null; note+="forward never failed over (no failback to measure); "; }
                [ "$path_ret" != '"expressroute"' ] || { fb_ret=null; note+="return never failed over (no failback to measure); "; }
                log "after the restore: on-prem → $(lab_path_of), Azure → $(azure_route_of); lost forward $fb_fwd, return $fb_ret"
                [ -z "$hedge_agent" ] || rep_fb=$(hedge_measured failback)
                twoway_ready || note+="not back on ExpressRoute both ways $((fb_ms - 500)) ms after the restore (on-prem: $(lab_path_of), Azure: $(azure_route_of)); "
            else
                err="failback streams failed"
            fi
        else
            err="failover streams failed"
        fi
        tcpflow_stop
        steer_ms=$(steer_fib_ms)
        tcp_ok=$(jget "$LAB_RUN/tcp.json" survived) tcp_stall=$(jget "$LAB_RUN/tcp.json" longest_stall_ms)
        tcp_err=$(jget "$LAB_RUN/tcp.json" error)
        log "TCP: $(cat "$LAB_RUN/tcp.json")"
    fi
    local frrv; frrv=$(/usr/lib/frr/zebra --version 2>/dev/null | head -1 | awk '{print $3}')
    case "$agent" in
        hedge) note+="hedge: its own eBGP + BFD to the MSEE, probe reflect ${REFLECT_MS} ms x ${REFLECT_THRESHOLD} against hedge-reflect on the VNet host; " ;;
        hedge-bgp) note+="hedge: its own eBGP + BFD to the MSEE only (no reflect probe on the paths; its group measure runs); " ;;
        frr) note+="FRR $frrv on-prem: bgpd + bfdd, VPN floating static; " ;;
        frr-cond) note+="FRR $frrv on-prem as frr, plus BGP conditional advertisement of the LAN's halves over the VPN while the MSEE's VNet route is gone (scanner every 5 s, its minimum); " ;;
        bird) note+="$(bird --version 2>&1 | head -1) on-prem: bgp + bfd, VPN static preference 50; " ;;
    esac
    note+="MSEE stand-in FRR $frrv AS 12076 passing on-prem's prefixes to Azure's routing (lab/azure.sh: $AZURE_ROUTER AS 65515, ExpressRoute local-pref 200, VPN $twoway_vpn); BFD ${BFD_TX} ms x ${BFD_MULT} on both sides of the MSEE link; $failure failure at ${fail_at_ms} ms of ${dur} ms; TCP flow ${TWOWAY_TCP_RATE} requests/s from before the failure to after the failback"
    local extra=()
    [ -z "$err" ] || { log "ERROR $agent/twoway: $err"; failures=$((failures + 1)); extra=(error="$(jstr "$err")"); }
    json_line bench='"failover"' scenario='"twoway"' agent="\"$agent\"" bfd_ms="$BFD_TX" bfd_mult="$BFD_MULT" \
        vpn="\"$twoway_vpn\"" azure_router="\"$AZURE_ROUTER\"" failure="\"$failure\"" forward_loss_ms="$fwd" return_loss_ms="$ret" \
        failback_forward_lost="$fb_fwd" failback_return_lost="$fb_ret" \
        forward_path_after_failure="$path_fwd" return_path_after_failure="$path_ret" \
        steer_fib_ms="$steer_ms" hedge_reported_forward_ms="${rep_fo% *}" hedge_reported_return_ms="${rep_fo#* }" \
        hedge_reported_failback_forward_ms="${rep_fb% *}" hedge_reported_failback_return_ms="${rep_fb#* }" \
        tcp_survived="$tcp_ok" tcp_longest_stall_ms="$tcp_stall" tcp_error="$tcp_err" rate_pps="$rate" \
        kernel="\"$KERNEL\"" note="$(jstr "$note")" "${extra[@]}"
    keep_lab_logs "twoway-$timer-$failure-$agent"
    "agent_stop_$agent" || true
    lab_down
    ANCHORS_VPN=static
}

# run_twoway_set: every timer × failure, --repeat rounds of every agent, then the summaries.
run_twoway_set() {
    local t f r a dir
    for t in "${timer_list[@]}"; do
        for f in far gray; do
            dir=$(mktemp -d)
            for ((r = 1; r <= repeat; r++)); do
                for a in "${agent_list[@]}"; do
                    [ "$a" != manual-floor ] || continue
                    [ "$a" != frr-cond ] || [ "$twoway_vpn" = bgp ] || continue   # steering needs BGP on the VPN
                    run_twoway "$a" "$t" "$f" | tee -a "$dir/$a"
                done
            done
            if [ "$repeat" -gt 1 ]; then
                for a in "${agent_list[@]}"; do
                    [ -s "$dir/$a" ] || continue
                    summarize_runs "$dir/$a" "$repeat" "bench scenario agent bfd_ms bfd_mult vpn azure_router failure" \
                        "forward_loss_ms return_loss_ms failback_forward_lost failback_return_lost tcp_longest_stall_ms steer_fib_ms hedge_reported_forward_ms hedge_reported_return_ms" \
                        tcp_survived
                done
            fi
            rm -rf "$dir"
        done
    done
}
