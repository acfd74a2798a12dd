#!/usr/bin/env bash
# Tests/vm/guest.sh OUT — runs INSIDE the VM that Tests/vm/run boots (Debian's 6.1 kernel under
# emulation, this machine's userland read-only, OUT the only writable shared directory). Proves ESP
# failover: for each scenario (static keys, then IKEv2) it brings up the ESP lab (lab/esp.sh), keys the
# Azure VPN gateway stand-in, starts the on-prem side, waits for the SAs, runs a stream
# 172.16.0.1 -> 10.200.0.4, fails ExpressRoute at the far end and checks that the stream goes on
# through the tunnel (SA counters, ESP on the Internet link and no plaintext), restores ExpressRoute
# and checks the failback.
# Azure's side routes as Azure does (lab/esp.sh ESP_AZURE_ROUTING=model: FRR for the VNet's gateways,
# an FRR MSEE stand-in), so with hedge on-prem the same scenario also checks both directions
# (twoway-*): hedge's BGP with the VPN gateway inside the tunnel, a return stream 10.200.0.4 ->
# 172.16.0.1 beside the forward one, Azure's return moved onto the tunnel by hedge's more-specifics
# at the failover and back onto ExpressRoute at the failback. ONPREM=ip has no BGP speaker on-prem
# and checks the forward direction only.
# With hedge owning the tunnel (ONPREM=hedge), mss-clamp fails over once more and moves real TCP
# between two 1500-byte hosts, the LAN host behind onprem and 10.200.0.4, through the lab's path-MTU
# black hole (lab/esp.sh): a transfer each way completes with hedge's MSS clamp, and stalls after
# the handshake with hedge frozen and its table deleted; woken, hedge puts the table back.
# default-route then gives on-prem an ISP default (metric 100) in place of the lab's route to the VPN
# gateway, reloads hedge with 0.0.0.0/0 over both paths (metric 10), and fails over once more: an
# Internet host behind Azure (192.0.2.80) is reached over er0, then vpn0, then er0 again, while
# hedge's pin keeps IKE (a CHILD_SA re-key, ikev2) and ESP to 203.0.113.2 on wan0 and leaves the
# ISP's default alone; underlay-pin-first checks that the pin reached the kernel before hedge's
# default did. Last in the scenario: it leaves the lab's routing changed.
#
# Settings come from OUT/env (written by Tests/vm/run), or the environment:
#   ONPREM     hedge        hedge owns vpn0, the SAs/policies (static) or follows charon (ikev2), and
#                           the routes (lab/hedge-esp-{static,ikev2}.conf)
#              hedge-routes the harness keys the tunnel as in "ip"; hedge only routes over vpn0 (the
#                           configs without their ipsec block)
#              ip           no hedge: the harness makes vpn0, keys it (ip xfrm or charon) and fails over
#                           with a ping loop (esp_shell_failover_start)
#   SCENARIOS  "static ikev2" (either or both, in that order)
#   RATE       stream rate, pps (default 300: TCG runs 10x+ slower than hardware)
#   HEDGE_BIN, LABSTREAM_BIN   binaries (default: the repo's .build/debug/)
#   ESP_AZURE_ROUTING  model (default) | manual: lab/esp.sh's old static return routes, no two-way checks
# Output: one JSON line per step in OUT/results.jsonl, a PASS/FAIL line per step on stdout,
# OUT/<scenario>-*.{txt,log,pcap,json}, OUT/rc (0 when every step passed). Keys are never written out.
set -uo pipefail
OUT=${1:?usage: guest.sh OUT_DIR}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck disable=SC1091
[ -f "$OUT/env" ] && . "$OUT/env"
: "${ONPREM:=hedge}" "${SCENARIOS:=static ikev2}" "${RATE:=300}"
: "${HEDGE_BIN:=$REPO/.build/debug/hedge}" "${LABSTREAM_BIN:=$REPO/.build/debug/labstream}"
export LABSTREAM_BIN
RESULTS=$OUT/results.jsonl
echo 1 >"$OUT/rc"
: >"$RESULTS"
echo "vm-guest: booted: kernel $(uname -r), uptime $(cut -d' ' -f1 /proc/uptime) s, $(nproc) CPUs, clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource), ONPREM=$ONPREM SCENARIOS='$SCENARIOS' RATE=$RATE"
if [ "${VM_FAKE_LOCKUP:-}" = 1 ]; then
    # Proves Tests/vm/run's lockup handling: the console line a frozen kernel prints, then nothing.
    echo "vm-guest: VM_FAKE_LOCKUP=1: watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [VM_FAKE_LOCKUP]"
    sleep 100000
fi
if [ "${VM_DIAG:-0}" = 1 ]; then   # where the emulated CPUs go: a process snapshot every 5 s
    ( while :; do { date +%T; top -b -n1 -w 160 | sed -n '1,5p;7,22p'; } >>"$OUT/top.log" 2>&1; sleep 5; done & )
fi

case "$ONPREM" in hedge|hedge-routes|ip) ;; *) echo "vm-guest: ONPREM must be hedge, hedge-routes or ip" >&2; exit 2 ;; esac

ip link set lo up
mkdir -p /dev/shm
# Every binary comes over 9p into an emulated CPU: read the big ones once, in the background, while
# the lab comes up (the Swift runtime and Foundation that labstream loads are ~100 MB).
( for b in "$HEDGE_BIN" "$LABSTREAM_BIN" /usr/lib/ipsec/charon /usr/lib/frr/zebra /usr/lib/frr/bgpd /usr/lib/frr/staticd /usr/bin/vtysh; do [ -x "$b" ] && echo "$b" && ldd "$b"; done 2>/dev/null |
      awk '$2 == "=>" && $3 ~ /^\// { print $3 } /^\// { print $1 }' | sort -u | xargs cat >/dev/null 2>&1 & )
export LAB=esp LAB_RUN=/dev/shm/hedge-lab/esp
export LAB_READY_WAIT_S=90     # labstream's receiver: first start loads Foundation over 9p
# Azure's routing (lab/esp.sh): FRR in the azure namespace decides the way back to the LAN, the MSEE
# stand-in speaks BGP with on-prem. ESP_AZURE_ROUTING=manual only to tell a model fault from hedge's.
: "${ESP_AZURE_ROUTING:=model}"
export ESP_AZURE_ROUTING
# The two-way checks need Azure's routing and an on-prem BGP speaker (hedge): not with ONPREM=ip.
TWOWAY=0
[ "$ESP_AZURE_ROUTING" = model ] && [ "$ONPREM" != ip ] && TWOWAY=1
# hedge owning the tunnel puts its APIPA source on vpn0 itself (lab/esp.sh).
ESP_ONPREM_APIPA_LO=1
[ "$ONPREM" != hedge ] || ESP_ONPREM_APIPA_LO=0
export ESP_ONPREM_APIPA_LO
# shellcheck source=../../lab/netns.sh
. "$REPO/lab/netns.sh"
# shellcheck source=../../lab/esp.sh
. "$REPO/lab/esp.sh"
ON=$(lab_ns onprem)
SOCK=/dev/shm/hedge-esp.sock

now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }       # no fork of date(1)
unix_ns() { local t=${EPOCHREALTIME/./}; echo $((t * 1000)); }
jstr() { local s=$1; s=${s//\\/\\\\}; s=${s//\"/\\\"}; s=${s//$'\t'/ }; s=${s//$'\n'/ | }; printf '"%s"' "$s"; }
SCEN=- STEP=- STEP_T=0
# The step in progress, for the watchdog (a builtin write to tmpfs: no fork).
STEP_FILE=/dev/shm/vm-guest-step
step() {
    STEP=$1; STEP_T=$(now_ms); printf '%s %s %s\n' "$SCEN" "$STEP" "$STEP_T" >"$STEP_FILE"; echo "vm-guest: [$SCEN] $STEP ..."
    if [ "$STEP" = "${VM_HANG_AT:-}" ] && mkdir /dev/shm/vm-guest-hung-once 2>/dev/null; then
        echo "vm-guest: [$SCEN] VM_HANG_AT=$STEP: hanging here once, for the watchdog"; sleep 100000
    fi
}
record() { # ok(true|false) detail
    local took=$(( $(now_ms) - STEP_T ))
    local ok=$1; [ "$ok" = warn ] && ok='true,"warn":true'
    printf '{"scenario":%s,"onprem":%s,"step":%s,"ok":%s,"ms":%s,"detail":%s}\n' "$(jstr "$SCEN")" \
        "$(jstr "$ONPREM")" "$(jstr "$STEP")" "$ok" "$took" "$(jstr "$2")" >>"$RESULTS"
    case "$1" in true) echo "PASS  $SCEN  $STEP  ($took ms) $2" ;; warn) echo "WARN  $SCEN  $STEP  ($took ms) $2" ;;
                 *) echo "FAIL  $SCEN  $STEP  ($took ms) $2" ;; esac
}
pass() { record true "$*"; }
check() { if [ "$1" = 0 ]; then pass "$2"; else record false "$2"; fi; }   # RC DETAIL: continue either way
die() { record false "$*"; exit 1; }     # fatal inside a scenario (its subshell)

# Packets in a capture that match a filter (--count: no per-packet formatting, which TCG feels).
pcount() { tcpdump -n --count -r "$1" "$2" 2>&1 | awk '/packets? received|^[0-9]+ packets?$/ { n = $1 } END { print n + 0 }'; }
# A sleep without a fork (every process start costs under emulation): read with a timeout on a fifo
# nobody writes.
mkfifo /dev/shm/vm-guest-nap 2>/dev/null; exec {NAP}<>/dev/shm/vm-guest-nap
nap() { read -r -t "$1" -u "$NAP" _ || true; }
counter() { ip -n "$ON" -s link show dev "$1" 2>/dev/null | awk '/TX:/ { getline; print $2; f = 1; exit } END { if (!f) print 0 }'; }
sa_out() { esp_sa_packets onprem "$ESP_ONPREM_WAN" "$ESP_VPNGW_WAN"; }
sa_in() { esp_sa_packets onprem "$ESP_VPNGW_WAN" "$ESP_ONPREM_WAN"; }
# tw_vpn_quiet MS: the most vpn0 may receive in MS when the return stream is not on it: the VPN probe's
# replies (every 50 ms, lab/hedge-esp-*.conf) and BGP, with slack.
tw_vpn_quiet() { echo $(( $1 * 25 / 1000 + 10 )); }
# link_counts: "ER0_TX VPN0_TX ER0_RX VPN0_RX" (packets) of onprem's links, in one ip(8) call.
link_counts() {
    ip -n "$ON" -s link show 2>/dev/null | awk '/^[0-9]+: / { d = $2; sub(/@.*/, "", d); sub(/:$/, "", d) }
        /RX:/ { getline; rx[d] = $2 } /TX:/ { getline; tx[d] = $2 }
        END { print tx["er0"] + 0, tx["vpn0"] + 0, rx["er0"] + 0, rx["vpn0"] + 0 }'
}
# sa_at PREFIX: the outbound SA's packet count (PREFIX) and when it was read, bracketed: the kernel
# answered between PREFIX_a and PREFIX_b (ns; a process start takes 0.1-0.5 s under emulation, so
# the checks below count what may have happened in the bracket, never a guessed instant).
sa_at() { local _a _c; _a=$(unix_ns); _c=$(sa_out); printf -v "$1" %s "$_c"; printf -v "${1}_a" %s "$_a"; printf -v "${1}_b" %s "$(unix_ns)"; }
wait_path() { # PATH SECONDS: prints ms taken
    local want=$1 limit=$2 t; t=$(now_ms)
    while [ "$(lab_path_of)" != "$want" ]; do
        [ $(( $(now_ms) - t )) -lt $((limit * 1000)) ] || return 1
        nap 0.02
    done
    echo $(( $(now_ms) - t ))
}
wait_ok() { # SECONDS CMD... : prints ms taken until CMD succeeded; fails after SECONDS
    local limit=$1 t; shift; t=$(now_ms)
    until "$@" >/dev/null 2>&1; do
        [ $(( $(now_ms) - t )) -lt $((limit * 1000)) ] || return 1
        nap 0.05
    done
    echo $(( $(now_ms) - t ))
}
# The MSS clamp's transfers (mss-clamp): bytes each way, and how long each may take: the stall's
# is short, the clamped transfer's only bounds a hang.
MSS_BYTES=$((20 * 1024 * 1024)) MSS_XFER_S=150 MSS_STALL_S=3
# ------------------------------------------------------------------------------------------ two-way
# What the VNet's FRR (lab/azure.sh) holds and does, for the two-way checks.
TW_LAN=172.16.0.0/24                       # what hedge announces (lab/hedge-esp-*.conf)
TW_HALVES="172.16.0.0/25 172.16.0.128/25"  # its more-specifics over the VPN while failed over
tw_vpn_bgp_state() {
    vtysh -N "$(lab_ns azure)" -c "show bgp neighbors $AZURE_ONPREM_APIPA json" 2>/dev/null |
        jq -r --arg n "$AZURE_ONPREM_APIPA" '.[$n].bgpState // "none"' 2>/dev/null
}
# tw_msee_has PREFIX: the VNet holds PREFIX from the MSEE stand-in (ExpressRoute).
tw_msee_has() {
    vtysh -N "$(lab_ns azure)" -c "show bgp ipv4 unicast neighbors $AZURE_ER_PEER routes json" 2>/dev/null |
        jq -e --arg p "$1" '(.routes // {}) | has($p)' >/dev/null 2>&1
}
# tw_fib_halves: how many of the halves the VNet's FIB routes via the VPN gateway (FRR installed).
tw_fib_halves() {
    ip -n "$(lab_ns azure)" route show root "$TW_LAN" 2>/dev/null |
        awk -v h="$TW_HALVES" 'BEGIN { split(h, a, " "); for (i in a) want[a[i]] = 1 }
            ($1 in want) && / via 10\.255\.2\.1 dev vpn0 / && / proto bgp / { n++ } END { print n + 0 }'
}
tw_steady() { # ExpressRoute both ways, the VPN gateway's session up and holding the LAN to fall back on
    [ "$(tw_vpn_bgp_state)" = Established ] && azure_vpngw_received "$TW_LAN" && [ "$(azure_route_of)" = expressroute ]
}
tw_steered() { [ "$(tw_fib_halves)" = 2 ] && [ "$(azure_route_of)" = vpn ]; }
tw_unsteered() {
    [ "$(tw_fib_halves)" = 0 ] && [ "$(azure_route_of)" = expressroute ] && ! azure_vpngw_received "${TW_HALVES%% *}" &&
        ! azure_vpngw_received "${TW_HALVES##* }"
}
tw_steering() { # hedge's own view of the return-path steering (status JSON)
    timeout 10 "$HEDGE_BIN" status --json -s "$SOCK" 2>/dev/null |
        jq -r '(.paths[]? | select(.name == "vpn") | .bgp.return_steering) // "?"' 2>/dev/null | head -1
}
# tw_loss ARRIVALS T_FAIL_MS T_RESTORE_MS -> "BEFORE FAILOVER FAILBACK GOT_FAILOVER GOT_FAILBACK": ms of
# the stream lost, by when the lost datagrams were sent (after the last one that arrived before them):
# before the failure, from the failure to the restore, after the restore; then how many datagrams
# sent in the last two windows arrived.
tw_loss() {
    awk -v f="$2" -v r="$3" 'NR == 1 { split($0, h, "start_unix_ns="); split(h[2], h2, " "); st = h2[1]
                split($0, q, "rate_pps="); rate = q[2] + 0; fl = (f * 1e6 - st) / 1000; rl = (r * 1e6 - st) / 1000; next }
        { sent[$1] = $3; if ($1 > max) max = $1; if ($3 >= rl) gk++; else if ($3 >= fl) go++ }
        END {
            if (rate <= 0) { print "-1 -1 -1 0 0"; exit }
            t = -1e18
            for (i = 0; i <= max; i++) {
                if (i in sent) { t = sent[i]; continue }
                if (t < fl) b++; else if (t < rl) o++; else k++
            }
            printf "%d %d %d %d %d\n", b * 1000 / rate, o * 1000 / rate, k * 1000 / rate, go, gk
        }' "$1" 2>/dev/null || echo "-1 -1 -1 0 0"
}

hedge_status() { # LABEL
    case "$ONPREM" in hedge*) ;; *) return 0 ;; esac
    echo "--- hedge status ($1)"
    timeout 10 "$HEDGE_BIN" status -s "$SOCK" 2>&1 | sed 's/^/    | /'
}
save_show() { # FILE
    { esp_show onprem; esp_show vpngw; } >"$1" 2>&1
}

# ------------------------------------------------------------------------------------------ scenario
scenario() { # static|ikev2 — runs in a subshell; `die` ends it, the EXIT trap tears down
    SCEN=$1
    local keys=$LAB_RUN/static.keys conf=$LAB_RUN/hedge.conf hedge_pid='' send_pid='' tcpdump_pid='' inner_pid=''
    # The two-way check: the return stream's sender, and BGP as the gateway's ipsec0 sees it.
    local ret_send_pid='' bgp_pid='' bgpcap=$LAB_RUN/$SCEN-vpngw-bgp.pcap
    # The capture goes to tmpfs (a 9p write per packet costs an emulated round trip) and is copied out.
    local pcap=$LAB_RUN/$SCEN-internet.pcap t_scen; t_scen=$(now_ms)
    # What the VPN gateway decrypted (ipsec0, inbound): accounts for every packet the outbound SA counts.
    local inner=$LAB_RUN/$SCEN-vpngw-inner.pcap
    # shellcheck disable=SC2329
    teardown() {
        [ -n "$send_pid" ] && lab_stop_pids "$send_pid"
        [ -n "$tcpdump_pid" ] && lab_stop_pids "$tcpdump_pid"
        [ -n "$inner_pid" ] && lab_stop_pids "$inner_pid"
        [ -n "$ret_send_pid" ] && lab_stop_pids "$ret_send_pid"
        [ -n "$bgp_pid" ] && lab_stop_pids "$bgp_pid"
        [ -f "$bgpcap" ] && cp "$bgpcap" "$OUT/"
        if [ "$ESP_AZURE_ROUTING" = model ]; then
            { azure_status; echo "--- the MSEE stand-in"; anchors_status edge; } >"$OUT/$SCEN-azure.txt" 2>&1
            for f in "$LAB_RUN"/azure-*/*.log "$LAB_RUN"/anchors-*/*.log; do [ -f "$f" ] && cp "$f" "$OUT/$SCEN-$(basename "$(dirname "$f")")-${f##*/}"; done
        fi
        if [ -n "$hedge_pid" ]; then
            kill -CONT "$hedge_pid" 2>/dev/null   # frozen by mss-clamp if that step was cut short
            hedge_status "end of $SCEN"
            lab_stop_pids "$hedge_pid"
            esp_strip_keys <"$LAB_RUN/hedge.log" >"$OUT/$SCEN-hedge.log" 2>/dev/null
            echo "--- hedge log (last 25 lines; all in $OUT/$SCEN-hedge.log)"; tail -25 "$OUT/$SCEN-hedge.log" | sed 's/^/    | /'
        fi
        esp_shell_failover_stop
        [ -f "$LAB_RUN/failover/log" ] && cp "$LAB_RUN/failover/log" "$OUT/$SCEN-shell-failover.log"
        for r in onprem vpngw; do
            if [ -f "$LAB_RUN/charon-$r/charon.log" ]; then
                esp_swanctl "$r" --list-sas >"$OUT/$SCEN-swanctl-$r.txt" 2>&1
                esp_charon_stop "$r"
                esp_strip_keys <"$LAB_RUN/charon-$r/charon.log" >"$OUT/$SCEN-charon-$r.log"
            fi
        done
        for f in "$LAB_RUN"/*.json "$LAB_RUN"/*.err "$LAB_RUN"/*.arrivals; do [ -f "$f" ] && cp "$f" "$OUT/$SCEN-${f##*/}"; done
        [ -f "$pcap" ] && cp "$pcap" "$OUT/"
        [ -f "$inner" ] && cp "$inner" "$OUT/"
        lab_restore_far 2>/dev/null
        lab_down
        echo "vm-guest: [$SCEN] done in $(( $(now_ms) - t_scen )) ms"
    }
    trap teardown EXIT
    # The watchdog's TERM (see watch_scenario): leave through the EXIT trap, which tears down.
    trap 'exit 1' TERM

    step lab-up
    esp_lab_up >"$OUT/$SCEN-lab.log" 2>&1 || die "esp_lab_up failed: $(tail -3 "$OUT/$SCEN-lab.log")"
    pass "namespaces $(for n in "${LAB_NAMESPACES[@]}"; do printf '%s ' "$(lab_ns "$n")"; done); Azure's return: $ESP_AZURE_ROUTING$(sed -n 's/.*(FRR) started in \([0-9]*\) ms.*/, its FRR and the MSEE'"'"'s started in \1 ms/p' "$OUT/$SCEN-lab.log" | head -1)"

    step keying
    local harness_keys=1; [ "$ONPREM" = hedge ] && harness_keys=0
    case "$SCEN" in
        static)
            esp_keys_write "$keys" || die "could not write the key file"
            esp_vpngw_static "$keys" || die "vpngw: ip xfrm failed"
            if [ "$harness_keys" = 1 ]; then
                esp_onprem_xfrmi && esp_onprem_static "$keys" || die "onprem: ip xfrm failed"
                pass "static SAs (SPI out $ESP_SPI_OUT, in $ESP_SPI_IN, $ESP_AEAD) on both sides by ip xfrm"
            else
                pass "vpngw keyed by ip xfrm; onprem left to hedge (key file $keys, 0600)"
            fi ;;
        ikev2)
            esp_vpngw_xfrmi || die "vpngw: no xfrm interface"
            esp_charon_start vpngw none || die "vpngw charon did not start"
            if [ "$harness_keys" = 1 ]; then
                esp_onprem_xfrmi || die "onprem: no xfrm interface"
                esp_charon_start onprem start || die "onprem charon did not start"
                pass "two charons (onprem initiates: start_action start; vpngw responds)"
            else
                esp_charon_start onprem none || die "onprem charon did not start"
                pass "two charons (onprem start_action none: hedge initiates over VICI $(esp_vici onprem))"
            fi ;;
    esac

    if [ "$TWOWAY" = 1 ]; then
        # BGP as the gateway's ipsec0 sees it: that interface carries only what the SAs decrypt and
        # what they will encrypt.
        ip netns exec "$(lab_ns vpngw)" tcpdump -n -U -s 128 -Z root -i ipsec0 -w "$bgpcap" 'tcp port 179' \
            >"$LAB_RUN/tcpdump-bgp.err" 2>&1 &
        bgp_pid=$!
        lab_wait_for 15 grep -q 'listening on' "$LAB_RUN/tcpdump-bgp.err" || echo "vm-guest: tcpdump (BGP on ipsec0) not ready: $(cat "$LAB_RUN/tcpdump-bgp.err")"
    fi

    step onprem-start
    case "$ONPREM" in
        ip)
            esp_shell_failover_start || die "shell failover did not start"
            pass "shell failover: ping from 192.168.10.1 every 50 ms, 3 misses -> vpn0, 3 replies -> er0" ;;
        hedge|hedge-routes)
            [ -x "$HEDGE_BIN" ] || die "no hedge binary at $HEDGE_BIN"
            sed -e "s#@KEYFILE@#$keys#g" -e "s#@SOCKET@#$SOCK#g" -e "s#@VICI@#$(esp_vici onprem)#g" \
                "$REPO/lab/hedge-esp-$SCEN.conf" >"$conf.full" || die "no lab/hedge-esp-$SCEN.conf"
            if [ "$ONPREM" = hedge-routes ]; then
                sed '/^[[:space:]]*# >>> ipsec[[:space:]]*$/,/^[[:space:]]*# <<< ipsec[[:space:]]*$/d' "$conf.full" >"$conf"
            else
                cp "$conf.full" "$conf"
            fi
            cp "$conf" "$OUT/$SCEN-hedge.conf"
            "$HEDGE_BIN" check -c "$conf" >"$LAB_RUN/check.txt" 2>&1 || die "hedge check rejects $conf: $(head -3 "$LAB_RUN/check.txt")"
            rm -f "$SOCK"
            ip netns exec "$ON" "$HEDGE_BIN" run -c "$conf" >"$LAB_RUN/hedge.log" 2>&1 </dev/null &
            hedge_pid=$!
            lab_wait_for 30 test -S "$SOCK" ||
                die "hedge opened no control socket $SOCK$(lab_pid_alive "$hedge_pid" || echo ' (it exited)'): $(tail -3 "$LAB_RUN/hedge.log")"
            pass "$($HEDGE_BIN version 2>&1) running (pid $hedge_pid), control socket $SOCK; $(head -1 "$LAB_RUN/check.txt")" ;;
    esac

    [ "$TWOWAY" = 1 ] || echo "vm-guest: [$SCEN] no two-way checks: $( [ "$ESP_AZURE_ROUTING" = model ] && echo "ONPREM=ip has no BGP speaker on-prem, so Azure knows no way back to the LAN" || echo "ESP_AZURE_ROUTING=$ESP_AZURE_ROUTING: Azure's return is moved by hand (SIMPLIFIED)")"

    step tunnel-up
    local limit=30; [ "$SCEN" = ikev2 ] && limit=120
    lab_wait_for "$limit" esp_sa_present onprem || { save_show "$OUT/$SCEN-xfrm.txt"; die "no ESP SA pair with if_id 42 in $ON after $limit s"; }
    pass "$(ip -n "$ON" xfrm state | awk '/^src/ {s=$2" -> "$4} /proto esp spi/ {printf "%s spi %s; ", s, $4}')"
    save_show "$OUT/$SCEN-xfrm.txt"
    echo "--- $OUT/$SCEN-xfrm.txt"; sed 's/^/    | /' "$OUT/$SCEN-xfrm.txt"
    if [ "$SCEN" = ikev2 ]; then
        echo "--- swanctl --list-sas (onprem)"; esp_swanctl onprem --list-sas 2>&1 | sed 's/^/    | /'
    fi

    step vpn0-xfrm
    local link; link=$(ip -n "$ON" -d link show vpn0 2>&1)
    grep -q 'xfrm if_id 0x2a' <<<"$link"; check $? "$(tr -s ' \n' ' ' <<<"$link" | grep -o 'vpn0@[^:]*: <[^>]*> mtu [0-9]*') $(grep -o 'xfrm if_id 0x[0-9a-f]*' <<<"$link")"
    # The VPN gateway's BGP session through the tunnel: hedge pins the route to its address on the
    # VPN path (proto 88), and, owning vpn0, puts its own APIPA source there.
    if [ "$TWOWAY" = 1 ]; then
        step twoway-apipa
        local pin addr
        lab_wait_for 10 sh -c "ip -n '$ON' route show '$AZURE_VPNGW_APIPA/32' | grep -q 'dev vpn0 proto 88'"
        pin=$(ip -n "$ON" route show "$AZURE_VPNGW_APIPA/32"); addr=$(ip -n "$ON" -br addr show dev vpn0)
        if [ "$ONPREM" = hedge ]; then
            grep -q "dev vpn0 proto 88" <<<"$pin" && grep -q "$AZURE_ONPREM_APIPA/32" <<<"$addr"
            check $? "hedge's route: ${pin:-none}; vpn0: $addr"
        else
            grep -q "dev vpn0 proto 88" <<<"$pin"; check $? "hedge's route: ${pin:-none}; $AZURE_ONPREM_APIPA on lo (hedge does not own the tunnel here)"
        fi
    fi

    if [ "$SCEN" = ikev2 ]; then
        step charon-no-routes
        local rules t220; rules=$(ip -n "$ON" rule); t220=$(ip -n "$ON" route show table 220 2>/dev/null)
        ! grep -qE '^220:|lookup 220' <<<"$rules" && [ -z "$t220" ]
        check $? "ip rule: $(tr '\n' ';' <<<"$rules") table 220: ${t220:-empty}"
    fi

    step er-active
    local took; took=$(wait_path expressroute 30) || { hedge_status "er-active failed"; die "10.200.0.4 not routed over er0 after 30 s: $(ip -n "$ON" route show 10.200.0.0/16)"; }
    pass "10.200.0.0/16 via er0 after $took ms: $(ip -n "$ON" route show 10.200.0.0/16 | head -1)"
    hedge_status "ExpressRoute up"

    if [ "$TWOWAY" = 1 ]; then
        step twoway-bgp-session
        # hedge announces the LAN to the MSEE, which passes it to the VNet, and to the VPN gateway
        # through the tunnel: Azure returns over ExpressRoute and holds the VPN's route to fall back on.
        local tw_ms tw_bo tw_bi tw_so tw_si tw_get
        tw_ms=$(wait_ok 90 tw_steady) || tw_ms=-1
        tw_bo=$(pcount "$bgpcap" "src host $AZURE_ONPREM_APIPA and dst host $AZURE_VPNGW_APIPA")
        tw_bi=$(pcount "$bgpcap" "src host $AZURE_VPNGW_APIPA and dst host $AZURE_ONPREM_APIPA")
        tw_so=$(sa_out); tw_si=$(sa_in); tw_get=$(ip -n "$ON" route get "$AZURE_VPNGW_APIPA" 2>&1 | head -1)
        [ "$tw_ms" -ge 0 ] && [ "$tw_bo" -gt 0 ] && [ "$tw_bi" -gt 0 ] && [ "$tw_so" -gt 0 ] && [ "$tw_si" -gt 0 ] &&
            [[ "$tw_get" == *" dev vpn0 "* ]]
        check $? "VPN gateway BGP $AZURE_ONPREM_APIPA -> $AZURE_VPNGW_APIPA (AS $AZURE_ASN): $(tw_vpn_bgp_state)$( [ "$tw_ms" -ge 0 ] && echo " (steady after $tw_ms ms)"); through the tunnel: $tw_bo BGP packets on-prem -> gateway and $tw_bi back on the gateway's ipsec0, SAs out $tw_so / in $tw_si packets; on-prem: $tw_get; the gateway holds $TW_LAN: $(azure_vpngw_received "$TW_LAN" && echo yes || echo no); Azure -> LAN: $(azure_route_of); hedge's steering: $(tw_steering)"
        [ "$tw_ms" -ge 0 ] || { echo "--- azure"; azure_status 2>&1 | sed 's/^/    | /'; }
    fi

    # The Internet link, seen from the internet namespace (both directions of onprem's wan0).
    tcpdump_pid=''
    ip netns exec "$(lab_ns internet)" tcpdump -n -s 128 -Z root -i onprem0 -w "$pcap" >"$LAB_RUN/tcpdump.err" 2>&1 &
    tcpdump_pid=$!
    ip netns exec "$(lab_ns vpngw)" tcpdump -n -s 96 -Z root -Q in -i ipsec0 -w "$inner" >"$LAB_RUN/tcpdump-inner.err" 2>&1 &
    inner_pid=$!
    lab_wait_for 15 grep -q 'listening on' "$LAB_RUN/tcpdump.err" || echo "vm-guest: tcpdump not ready: $(cat "$LAB_RUN/tcpdump.err")"
    lab_wait_for 15 grep -q 'listening on' "$LAB_RUN/tcpdump-inner.err" || echo "vm-guest: tcpdump (ipsec0) not ready: $(cat "$LAB_RUN/tcpdump-inner.err")"

    step stream-on-er
    lab_stream_recv_start "$SCEN" --until-idle-ms 4000 --max-wait-ms 240000 --arrivals-out "$LAB_RUN/$SCEN.arrivals" ||
        die "stream receiver did not start: $(cat "$LAB_RUN/$SCEN.err" 2>/dev/null)"
    ip netns exec "$ON" "$LABSTREAM_BIN" send --to 10.200.0.4:9000 --from 172.16.0.1 --rate "$RATE" \
        --count $((RATE * 200)) >"$LAB_RUN/$SCEN.send.json" 2>>"$LAB_RUN/$SCEN.send.err" &
    send_pid=$!
    if [ "$TWOWAY" = 1 ]; then
        lab_stream_return_recv_start "$SCEN-ret" --until-idle-ms 4000 --max-wait-ms 240000 --arrivals-out "$LAB_RUN/$SCEN-ret.arrivals" ||
            die "return stream receiver did not start: $(cat "$LAB_RUN/$SCEN-ret.err" 2>/dev/null)"
        ip netns exec "$(lab_ns azure)" "$LABSTREAM_BIN" send --to 172.16.0.1:9001 --from 10.200.0.4 --rate "$RATE" \
            --count $((RATE * 200)) >"$LAB_RUN/$SCEN-ret.send.json" 2>>"$LAB_RUN/$SCEN-ret.send.err" &
        ret_send_pid=$!
    fi
    nap 1.5
    # shellcheck disable=SC2034  # set by sa_at (printf -v)
    local e0 e1 v0 v1 s0 s1 s0_a s0_b s1_a s1_b ms
    # tw_*: the return direction's packets into onprem (er0 / vpn0 received), for the two-way checks.
    local tw_a tw_b tw_t0 tw_t1 tw_e1 tw_v1
    tw_a=$(link_counts); tw_t0=$(now_ms)
    e0=$(counter er0); v0=$(counter vpn0); sa_at s0; nap 1; e1=$(counter er0); v1=$(counter vpn0); sa_at s1
    tw_b=$(link_counts); tw_t1=$(now_ms)
    ms=$(( (s1_b - s0_a) / 1000000 ))
    # The stream over er0; the tunnel carries the VPN path's probes only (far below the stream's rate).
    [ $((e1 - e0)) -ge $((RATE / 2)) ] && [ $(( (s1 - s0) * 1000 / ms )) -lt $((RATE / 4)) ]
    check $? "in $ms ms: er0 +$((e1 - e0)) packets, vpn0 +$((v1 - v0)), outbound SA +$((s1 - s0)) (stream $RATE pps)"
    if [ "$TWOWAY" = 1 ]; then
        step twoway-on-er
        # The return stream (VNet host -> LAN, $RATE pps) comes in over er0, none of it through the tunnel.
        local tw_er tw_vp
        read -r _ _ tw_er tw_vp <<<"$tw_a"; read -r _ _ tw_e1 tw_v1 <<<"$tw_b"
        tw_er=$((tw_e1 - tw_er)); tw_vp=$((tw_v1 - tw_vp))
        [ "$tw_er" -ge $((RATE * (tw_t1 - tw_t0) / 2000)) ] && [ "$tw_vp" -le "$(tw_vpn_quiet $((tw_t1 - tw_t0)))" ]
        check $? "in $((tw_t1 - tw_t0)) ms into onprem: er0 +$tw_er packets, vpn0 +$tw_vp (return stream $RATE pps); Azure -> LAN: $(azure_route_of)"
    fi

    step failover
    # shellcheck disable=SC2034  # set by sa_at (printf -v)
    local t_fail c0 c1 c0_a c0_b c1_a c1_b
    t_fail=$(now_ms)
    esp_fail_er || die "esp_fail_er failed"
    took=$(wait_path vpn 20) || { hedge_status "failover failed"; die "10.200.0.0/16 not moved to vpn0 within 20 s: $(ip -n "$ON" route show 10.200.0.0/16)"; }
    sa_at c0
    pass "ExpressRoute failed at the far end; route on vpn0 after $took ms: $(ip -n "$ON" route show 10.200.0.0/16 | head -1)"
    hedge_status "ExpressRoute down"

    step stream-on-vpn
    nap 1
    tw_a=$(link_counts); tw_t0=$(now_ms)
    v0=$(counter vpn0); e0=$(counter er0); nap 1; v1=$(counter vpn0); e1=$(counter er0)
    tw_b=$(link_counts); tw_t1=$(now_ms)
    [ $((v1 - v0)) -ge $((RATE / 2)) ]
    check $? "in 1 s: vpn0 +$((v1 - v0)) packets, er0 +$((e1 - e0))"
    # twoway-failover: what held while ExpressRoute was down, recorded with the streams' losses once
    # they have ended.
    local tw_fo_ok=1 tw_fo_detail='' tw_fo_ms=0 tw_fb_ok=1 tw_fb_detail='' tw_fb_ms=0 tw_st
    if [ "$TWOWAY" = 1 ]; then
        step twoway-failover
        local tw_steer_ms tw_msee_ms tw_rx_er tw_rx_vp tw_fib
        # hedge's halves over the VPN's BGP move Azure's return at once; the MSEE's session dies on
        # its hold timer and it withdraws the LAN.
        tw_steer_ms=$(wait_ok 20 tw_steered) || { tw_steer_ms=-1; tw_fo_ok=0; }
        tw_st=$(tw_steering)
        tw_msee_ms=$(wait_ok $((ESP_MSEE_HOLD_S + 15)) eval '! tw_msee_has "$TW_LAN"') || { tw_msee_ms=-1; tw_fo_ok=0; }
        read -r _ _ tw_rx_er tw_rx_vp <<<"$tw_a"; read -r _ _ tw_e1 tw_v1 <<<"$tw_b"
        tw_rx_er=$((tw_e1 - tw_rx_er)); tw_rx_vp=$((tw_v1 - tw_rx_vp))
        [ "$tw_rx_vp" -ge $((RATE * (tw_t1 - tw_t0) / 2000)) ] || tw_fo_ok=0
        tw_fib=$(ip -n "$(lab_ns azure)" route show root "$TW_LAN" 2>/dev/null | sed -E 's/ nhid [0-9]+//; s/ metric [0-9]+//; s/ +$//' | paste -sd';' -)
        tw_fo_detail="Azure -> LAN: $(azure_route_of) ($( [ "$tw_steer_ms" -ge 0 ] || echo 'NOT ')by the halves in its FIB via the VPN gateway; FIB: $tw_fib); hedge's steering: $tw_st; the MSEE withdrew $TW_LAN: $( [ "$tw_msee_ms" -ge 0 ] && echo yes || echo NO); in $((tw_t1 - tw_t0)) ms into onprem over vpn0 +$tw_rx_vp packets, er0 +$tw_rx_er (return stream)"
        tw_fo_ms=$(( $(now_ms) - STEP_T ))
        [ "$tw_fo_ok" = 1 ] || { echo "--- azure (twoway-failover)"; azure_status 2>&1 | sed 's/^/    | /'; }
    fi
    nap 2
    sa_at c1
    esp_restore_er || die "esp_restore_er failed"
    local t_restore; t_restore=$(now_ms)

    step failback
    took=$(wait_path expressroute 30) || { hedge_status "failback failed"; die "10.200.0.0/16 not back on er0 within 30 s of the restore"; }
    pass "ExpressRoute restored; route back on er0 after $took ms: $(ip -n "$ON" route show 10.200.0.0/16 | head -1)"
    hedge_status "after failback"
    if [ "$TWOWAY" = 1 ]; then
        step twoway-failback
        # hedge withdrew the halves as it switched back; Azure returns over ExpressRoute (the MSEE's
        # session is back and passes the LAN again).
        local tw_back_ms
        tw_back_ms=$(wait_ok 30 tw_unsteered) || { tw_back_ms=-1; tw_fb_ok=0; }
        tw_st=$(tw_steering)
        tw_fb_detail="Azure -> LAN: $(azure_route_of), the halves withdrawn from its FIB and the gateway: $( [ "$tw_back_ms" -ge 0 ] && echo yes || echo NO); the MSEE passes $TW_LAN again: $(tw_msee_has "$TW_LAN" && echo yes || echo no); hedge's steering: $tw_st"
        tw_fb_ms=$(( $(now_ms) - STEP_T ))
        [ "$tw_fb_ok" = 1 ] || { echo "--- azure (twoway-failback)"; azure_status 2>&1 | sed 's/^/    | /'; }
    fi

    echo "vm-guest: [$SCEN] 3 s after failback: counting ..."
    nap 0.5
    # shellcheck disable=SC2034  # set by sa_at (printf -v)
    local c2 c3 c2_a c2_b c3_a c3_b
    tw_a=$(link_counts); tw_t0=$(now_ms)
    sa_at c2; e0=$(counter er0); nap 3; sa_at c3; e1=$(counter er0)
    tw_b=$(link_counts); tw_t1=$(now_ms)

    # Stop the stream (the sender sends its end marker on SIGTERM), then the capture.
    kill -TERM "$send_pid" 2>/dev/null
    [ -n "$ret_send_pid" ] && kill -TERM "$ret_send_pid" 2>/dev/null
    wait "$send_pid" 2>/dev/null; send_pid=''
    if [ -n "$ret_send_pid" ]; then wait "$ret_send_pid" 2>/dev/null; ret_send_pid=''; fi
    local rj sj; rj=$(lab_stream_recv_wait "$SCEN" 30) || rj='{}'; sj=$(cat "$LAB_RUN/$SCEN.send.json" 2>/dev/null) || sj='{}'
    if [ "$TWOWAY" = 1 ]; then
        lab_stream_recv_wait "$SCEN-ret" 30 >/dev/null
        # Both directions' losses, by when the lost datagrams were sent: from the failure to the
        # restore (failover) and after it (failback). The PASS needs the behaviour: each direction
        # carried datagrams sent in each window.
        local l_b l_fo l_fb r_fo r_fb rl_b rl_fo rl_fb rr_fo rr_fb tw_rx_er tw_rx_vp
        read -r l_b l_fo l_fb r_fo r_fb <<<"$(tw_loss "$LAB_RUN/$SCEN.arrivals" "$t_fail" "$t_restore")"
        read -r rl_b rl_fo rl_fb rr_fo rr_fb <<<"$(tw_loss "$LAB_RUN/$SCEN-ret.arrivals" "$t_fail" "$t_restore")"
        SCEN=$SCEN STEP=twoway-failover STEP_T=$(( $(now_ms) - tw_fo_ms ))
        [ "${r_fo:-0}" -gt 0 ] && [ "${rr_fo:-0}" -gt 0 ] || tw_fo_ok=0
        record "$( [ "$tw_fo_ok" = 1 ] && echo true || echo false)" "forward loss ${l_fo} ms, return loss ${rl_fo} ms (datagrams sent from the failure to the restore: $r_fo forward and $rr_fo return arrived); $tw_fo_detail"
        read -r _ _ tw_rx_er tw_rx_vp <<<"$tw_a"; read -r _ _ tw_e1 tw_v1 <<<"$tw_b"
        tw_rx_er=$((tw_e1 - tw_rx_er)); tw_rx_vp=$((tw_v1 - tw_rx_vp))
        [ "$tw_rx_er" -ge $((RATE * (tw_t1 - tw_t0) / 2000)) ] && [ "$tw_rx_vp" -le "$(tw_vpn_quiet $((tw_t1 - tw_t0)))" ] || tw_fb_ok=0
        [ "${r_fb:-0}" -gt 0 ] && [ "${rr_fb:-0}" -gt 0 ] || tw_fb_ok=0
        STEP=twoway-failback STEP_T=$(( $(now_ms) - tw_fb_ms ))
        record "$( [ "$tw_fb_ok" = 1 ] && echo true || echo false)" "forward loss ${l_fb} ms, return loss ${rl_fb} ms (datagrams sent after the restore: $r_fb forward and $rr_fb return arrived); $tw_fb_detail; in $((tw_t1 - tw_t0)) ms into onprem over er0 +$tw_rx_er packets, vpn0 +$tw_rx_vp (return stream); lost before the failure: forward $l_b ms, return $rl_b ms"
    fi
    [ -n "$sj" ] || sj='{}'; [ -n "$rj" ] || rj='{}'
    nap 0.5
    lab_stop_pids "$tcpdump_pid" "$inner_pid"; tcpdump_pid='' inner_pid=''
    # The tunnel's inner packets with their times: the stream's datagrams and everything else (probes).
    tcpdump -tt -n -q -r "$inner" 2>/dev/null >"$LAB_RUN/inner.txt"
    inner_count() { # FROM_NS TO_NS -> "STREAM OTHER" decrypted at the gateway in that time
        awk -v a="$1" -v b="$2" 'BEGIN { a /= 1e9; b /= 1e9 } $1 >= a && $1 <= b { if (/ > 10\.200\.0\.4\.9000: UDP/) s++; else o++ }
            END { print s + 0, o + 0 }' "$LAB_RUN/inner.txt"
    }
    sent_between() { # FROM_NS TO_NS -> "ARRIVED SPAN": the stream's datagrams SENT in that time (the
        # sender's own clock, from the receiver's arrival list) that arrived, and the span of their
        # sequence numbers (which also counts any lost in between)
        awk -v a="$1" -v b="$2" 'NR == 1 { split($0, h, "start_unix_ns="); split(h[2], h2, " "); st = h2[1]; lo = (a - st) / 1000; hi = (b - st) / 1000; next }
            $3 >= lo && $3 <= hi { n++; if (min == "" || $1 < min) min = $1; if ($1 > max) max = $1 }
            END { print n + 0, (n ? max - min + 1 : 0) }' "$LAB_RUN/$SCEN.arrivals" 2>/dev/null
    }

    step esp-quiet-after-failback
    # After failback the stream leaves the tunnel; what the SA still counts is the VPN path's probes
    # (hedge probes vpn0 every 50 ms), seen decrypted at the gateway.
    local q_ms=$(( (c3_b - c2_a) / 1000000 )) qs qo dq
    read -r qs qo <<<"$(inner_count "$c2_a" $((c3_b + 300000000)))"
    dq=$((c3 - c2))
    [ "$qs" -le $((RATE / 10)) ] && [ "$dq" -le $((qs + qo + 10)) ] && [ $((e1 - e0)) -ge $((RATE * q_ms / 1000 / 2)) ]
    check $? "in $q_ms ms: outbound SA +$dq; inside the tunnel $qs stream datagrams and $qo other packets (probes); er0 +$((e1 - e0)) (stream back via the edge)"

    step stream-continuity
    local sent recv lost maxs gap note=''
    sent=$(jq -r '.sent // 0' <<<"$sj"); recv=$(jq -r '.received // 0' <<<"$rj"); lost=$(jq -r '.lost // -1' <<<"$rj")
    maxs=$(jq -r '.max_seq // -1' <<<"$rj"); gap=$(jq -r '.longest_gap_ms // -1' <<<"$rj")
    if [ "$sent" -eq 0 ] && [ "$maxs" -ge 0 ]; then
        # The sender died on its SIGTERM before its summary (labstream's stop flag can trip Swift's
        # exclusivity check): the stream itself had run; count it up to the last datagram received.
        sent=$((maxs + 1))
        note="; the sender left no summary ($(grep -m1 -oE 'Fatal access conflict|Simultaneous accesses|Program crashed[^*]*' "$LAB_RUN/$SCEN.send.err" 2>/dev/null || echo 'no output')), counted to the last datagram received"
    fi
    # It went on through the failure and the failback: the last datagrams arrived, the last of them
    # sent after the failback, and it lost at most a fifth.
    local after; after=$(sent_between "$c2_a" 9999999999999999999 | cut -d' ' -f1)
    [ "$sent" -gt 0 ] && [ "$maxs" -eq $((sent - 1)) ] && [ "$lost" -ge 0 ] && [ $((lost * 5)) -le "$sent" ] && [ "${after:-0}" -gt 0 ]
    check $? "sent $sent, received $recv, lost $lost ($(jq -r '.loss_ms' <<<"$rj") ms; longest gap $gap ms, $(jq -r '.gap_count' <<<"$rj") gaps); $after received were sent after the failback$note"

    step esp-counters
    # While the route was on vpn0 (between the reads c0 and c1) the outbound SA must have carried what the
    # gateway decrypted: the stream's datagrams (cross-checked with the receiver's arrival list, by send
    # time) and the probes.
    local win_ms=$(( (c1_a - c0_b) / 1000000 )) d smin smax omin omax lo hi
    read -r smin _ <<<"$(sent_between "$c0_b" "$c1_a")"
    read -r _ smax <<<"$(sent_between "$c0_a" "$c1_b")"
    read -r _ omin <<<"$(inner_count "$c0_b" "$c1_a")"
    # The gateway sees a packet a little after onprem encrypts it: 300 ms of grace at the end.
    read -r _ omax <<<"$(inner_count "$c0_a" $((c1_b + 300000000)))"
    d=$((c1 - c0)); lo=$((smin + omin - 10)); hi=$((smax + omax + 10))
    [ "$smin" -ge $((RATE * win_ms / 1000 / 2)) ] && [ "$d" -ge "$lo" ] && [ "$d" -le "$hi" ]
    check $? "outbound SA +$d packets in the ~${win_ms} ms on vpn0; expected $lo..$hi: the stream sent $smin..$smax then (its own send times, bracketing the counter reads), $omin..$omax other packets (probes) decrypted at the gateway"

    step esp-on-wire
    local esp plain plain_any
    esp=$(pcount "$pcap" 'ip proto 50')
    plain=$(pcount "$pcap" 'udp and host 10.200.0.4')
    # BGP too: the VPN gateway's session runs inside the tunnel only.
    plain_any=$(pcount "$pcap" 'host 10.200.0.4 or host 172.16.0.1 or net 169.254.0.0/16 or tcp port 179')
    [ "$esp" -ge "$d" ] && [ "$d" -gt 0 ]
    check $? "capture on the Internet link ($(basename "$pcap")): $esp ESP packets (>= the SA's $d)"
    step no-plaintext
    [ "$plain" -eq 0 ] && [ "$plain_any" -eq 0 ]
    check $? "'udp and host 10.200.0.4': $plain packets; any packet of 10.200.0.4, 172.16.0.1, APIPA or BGP: $plain_any"
    echo "--- capture sample"; tcpdump -n -c 400 -r "$pcap" 2>/dev/null | awk 'NR <= 3 || /ESP/ && ++e <= 3' | sed 's/^/    | /'

    if [ "$SCEN" = ikev2 ] && [ "$ONPREM" = hedge ]; then
        # hedge follows charon: when the CHILD_SA goes away it initiates it again (initiate on).
        step hedge-reinitiates
        local spis_before spis_after
        spis_before=$(ip -n "$ON" xfrm state | awk '/proto esp spi/ { print $4 }' | sort | tr '\n' ' ')
        esp_swanctl onprem --terminate --child azure --timeout 20 >"$LAB_RUN/terminate.txt" 2>&1
        lab_wait_for 60 sh -c "[ \"\$(ip -n $ON xfrm state | awk '/proto esp spi/ { print \$4 }' | sort | tr '\n' ' ')\" != '$spis_before' ]"
        lab_wait_for 60 esp_sa_present onprem
        spis_after=$(ip -n "$ON" xfrm state | awk '/proto esp spi/ { print $4 }' | sort | tr '\n' ' ')
        esp_sa_present onprem && [ "$spis_after" != "$spis_before" ]
        check $? "swanctl --terminate --child azure; SPIs before: ${spis_before}after: $spis_after"
        hedge_status "after the CHILD_SA was terminated"
    fi

    if [ "$ONPREM" = hedge ]; then
        # hedge owns vpn0, (static) the SAs and policies, the nexthop and the routes: a restart must
        # adopt all of it and change none of it. `ip monitor` prints every change the kernel notifies.
        step restart-changes-nothing
        local mon=$LAB_RUN/restart-monitor.txt xmon=$LAB_RUN/restart-xfrm-monitor.txt mon_pid xmon_pid n before after
        before=$(ip -n "$ON" xfrm state | awk '/proto esp spi/ {printf "%s ", $4}')
        ip -n "$ON" monitor link route nexthop >"$mon" 2>&1 &
        mon_pid=$!
        ip -n "$ON" xfrm monitor >"$xmon" 2>&1 &
        xmon_pid=$!
        nap 0.5
        # A crash, not a clean stop: SIGKILL gives hedge no chance to tidy anything up.
        kill -KILL "$hedge_pid" 2>/dev/null
        wait "$hedge_pid" 2>/dev/null || true
        rm -f "$SOCK"   # left behind by the killed agent; the new one must make its own
        ip netns exec "$ON" "$HEDGE_BIN" run -c "$conf" >>"$LAB_RUN/hedge.log" 2>&1 </dev/null &
        hedge_pid=$!
        lab_wait_for 30 test -S "$SOCK" || die "hedge did not come back after the restart: $(tail -3 "$LAB_RUN/hedge.log")"
        nap 3       # its probes, the first decision and any reconcile happen in here
        lab_stop_pids "$mon_pid" "$xmon_pid"
        after=$(ip -n "$ON" xfrm state | awk '/proto esp spi/ {printf "%s ", $4}')
        # xfrm monitor prints SAs with their keys: keep only the stripped text.
        esp_strip_keys <"$xmon" >"$OUT/$SCEN-restart-xfrm-monitor.txt"; rm -f "$xmon"
        cp "$mon" "$OUT/$SCEN-restart-monitor.txt"
        local bad=0
        grep -qiE 'unknown|usage|error' "$mon" "$OUT/$SCEN-restart-xfrm-monitor.txt" && bad=1
        n=$(grep -cE 'if_id 0x2a|vpn0|proto 88|nhid 4800|id 4800|10\.200\.0\.0/16' "$mon" || true)
        n=$((n + $(grep -cE '^(src|dir|Deleted|Flushed|Updated|Expired)' "$OUT/$SCEN-restart-xfrm-monitor.txt" || true)))
        [ "$bad" -eq 0 ] && [ "$n" -eq 0 ] && [ "$before" = "$after" ] && [ -n "$after" ]
        check $? "hedge killed with SIGKILL and restarted (pid $hedge_pid): $n kernel notifications (ip monitor link route nexthop; ip xfrm monitor) about vpn0, the SAs and policies, nexthop 4800 or the routes ($(cat "$mon" "$OUT/$SCEN-restart-xfrm-monitor.txt" | grep -c .) lines in all); SPIs before [$before] after [$after]"
        hedge_status "after the restart"

        # hedge's MSS clamp with real TCP through the path-MTU black hole of lab/esp.sh: while failed
        # over, a transfer each way between the LAN host and the VNet host completes with the clamp,
        # and stalls after the handshake without it. A failover of its own: bulk TCP inside the first
        # one would swamp the streams that window measures.
        step mss-clamp
        local xfer=(python3 "$REPO/lab/esp/tcp-transfer.py") lh az mss_st with without back ok=1 so0 si0 so1 si1
        lh=$(lab_ns lanhost); az=$(lab_ns azure)
        # Azure's host sends to the LAN host, then the other way; -> "SECONDS SECONDS" or why not.
        local pairs=("$az:10.200.0.4" "$lh:$ESP_LANHOST" "$lh:$ESP_LANHOST" "$az:10.200.0.4")
        xfer_ok() { awk -v b="$MSS_BYTES" '/connected=1/ && $4 == "bytes=" b { n++; sub(/seconds=/, "", $5); s = s $5 " " }
            END { if (n == 2) print s; else exit 1 }' <<<"$1"; }
        # Stalled: the handshake went through, less than a tenth of the bytes did.
        xfer_stalled() { awk -v b="$MSS_BYTES" '/connected=1/ { sub(/bytes=/, "", $4); if ($4 * 10 < b) n++ } END { exit n != 2 }' <<<"$1"; }
        esp_fail_er || die "esp_fail_er failed"
        { wait_path vpn 20 && wait_ok 30 eval '[ "$(azure_route_of "$ESP_LANHOST")" = vpn ]'; } >/dev/null || ok=0
        mss_st=$(timeout 10 "$HEDGE_BIN" status --json -s "$SOCK" 2>/dev/null |
            jq -r '.paths[]? | select(.name == "vpn") | "mss \(.ipsec.mss), clamp in place: \(.ipsec.mss_clamp_in_place)"' 2>/dev/null)
        so0=$(sa_out); si0=$(sa_in)
        with=$("${xfer[@]}" "$MSS_BYTES" "$MSS_XFER_S" "${pairs[@]}" 2>&1)
        so1=$(sa_out); si1=$(sa_in)
        # The clamp off and nothing else: hedge frozen, its table deleted. SIGTERM or a reload with
        # `mss off` would end hedge's BGP session with the VPN gateway, and with ExpressRoute down
        # Azure would have no way back to the LAN: the stall would be routing's, not the MSS's.
        # Frozen, hedge keeps its routes, SAs and sessions (BGP's hold time outlasts the freeze).
        kill -STOP "$hedge_pid"
        ip netns exec "$ON" nft delete table inet hedge
        without=$("${xfer[@]}" --parallel "$MSS_BYTES" "$MSS_STALL_S" "${pairs[@]}" 2>&1)
        kill -CONT "$hedge_pid"
        # Woken, it finds its table gone and puts it back.
        back=$(wait_ok 15 sh -c "ip netns exec '$ON' nft list table inet hedge | grep -q 'maxseg size set'") || { back=-1; ok=0; }
        # The failback is the first failover's to check; this one only puts ExpressRoute back.
        esp_restore_er || die "esp_restore_er failed"
        local times t_down t_up; times=$(xfer_ok "$with") || ok=0
        xfer_stalled "$without" || ok=0
        [[ "$mss_st" == *"clamp in place: true"* ]] || ok=0
        # Both transfers went through the tunnel: each way the SAs carried at least the bytes in 1400-byte packets.
        [ $((so1 - so0)) -ge $((MSS_BYTES / 1400)) ] && [ $((si1 - si0)) -ge $((MSS_BYTES / 1400)) ] || ok=0
        read -r t_down t_up <<<"$times"
        record "$( [ "$ok" = 1 ] && echo true || echo false)" "hedge: ${mss_st:-no status}; $MSS_BYTES bytes Azure -> LAN host in ${t_down:-?} s, LAN host -> Azure in ${t_up:-?} s with the clamp (SAs +$((so1 - so0)) out, +$((si1 - si0)) in); without it (hedge frozen, its table deleted) in $MSS_STALL_S s: $(awk '{ printf "%s%s -> %s %s %s", (NR > 1 ? ", " : ""), $1, $2, $3, $4 }' <<<"$without" | sed "s/$LAB-//g"); table put back after $back ms$( [ "$ok" = 1 ] || printf '; with: %s' "$with")"
        hedge_status "after mss-clamp"
    fi

    if [ "$ONPREM" = hedge ]; then
        # The default route (forced tunnelling: Azure's firewall is the way out). hedge reloads with a
        # group carrying 0.0.0.0/0 over both paths, beside an ISP default (metric 100) that replaces
        # the lab's route to the VPN gateway: only hedge's pin keeps IKE and ESP on wan0 once its own
        # default (metric 10) points into er0 or vpn0. The Internet host 192.0.2.80 sits behind Azure
        # (lab/esp.sh). Only where hedge owns the tunnel: without its ipsec block it cannot pin.
        step default-route
        local dr_ok=1 dr_why='' dr_tables=$OUT/$SCEN-default-route-tables.txt dr_mon=$LAB_RUN/default-route-monitor.txt dr_mon_pid
        local isp isp_end pin pin_get pin_at def_at spis0 spis1 ike_note='' dr_st
        local p_er p_vpn p_back
        dr_bad() { dr_ok=0; dr_why="$dr_why; NOT: $*"; }
        # dr_dev: the device of hedge's default (proto 88), or none.
        dr_dev() { ip -n "$ON" route show default proto 88 2>/dev/null | grep -o ' dev [a-z0-9]*' | head -1 | cut -c6-; }
        dr_table() { { echo "=== $1"; ip -n "$ON" route show; } >>"$dr_tables"; }
        # Where the echoes to the Internet host and the packets to the VPN gateway's public address
        # leave onprem (postrouting: for ESP, the outer packet): counters of the lab's own table.
        ip netns exec "$ON" nft -f - <<EOF || die "nft: no counters table"
table inet labdr {
    counter er0 {}
    counter vpn0 {}
    counter under {}
    counter ike {}
    counter astray {}
    chain post {
        type filter hook postrouting priority 0;
        ip daddr $ESP_INET_HOST oifname "er0" counter name "er0" accept
        ip daddr $ESP_INET_HOST oifname "vpn0" counter name "vpn0" accept
        ip daddr $ESP_VPNGW_WAN oifname != "wan0" counter name "astray" accept
        ip daddr $ESP_VPNGW_WAN udp dport { 500, 4500 } counter name "ike"
        ip daddr $ESP_VPNGW_WAN counter name "under"
    }
}
EOF
        dr_counts() { ip netns exec "$ON" nft -j list counters table inet labdr 2>/dev/null |
            jq -r '[.nftables[] | select(.counter) | .counter | {(.name): .packets}] | add | "\(.er0) \(.vpn0) \(.under) \(.ike) \(.astray)"'; }
        # dr_ping: 5 echoes from the LAN address to the Internet host -> "ANSWERED ER0 VPN0" (echoes out each)
        dr_ping() {
            local a b n
            read -r -a a <<<"$(dr_counts)"
            n=$(ip netns exec "$ON" ping -n -q -c 5 -i 0.1 -W 2 -I 172.16.0.1 "$ESP_INET_HOST" 2>&1 | sed -n 's/.* \([0-9]*\) received.*/\1/p')
            read -r -a b <<<"$(dr_counts)"
            echo "${n:-0} $((b[0] - a[0])) $((b[1] - a[1]))"
        }
        # A path carried it: at least 3 of 5 answered, every echo left by that device and none by the other.
        dr_took() { # "ANSWERED ER0 VPN0" er0|vpn0
            local n e v; read -r n e v <<<"$1"
            case "$2" in er0) [ "$n" -ge 3 ] && [ "$e" -ge 5 ] && [ "$v" -eq 0 ] ;; vpn0) [ "$n" -ge 3 ] && [ "$v" -ge 5 ] && [ "$e" -eq 0 ] ;; esac
        }
        : >"$dr_tables"
        wait_path expressroute 30 >/dev/null || dr_bad "10.200.0.0/16 back on er0 after mss-clamp"
        esp_isp_default || die "esp_isp_default failed"
        isp=$(ip -n "$ON" route show default metric "$ESP_ISP_METRIC")
        dr_table "onprem before the reload: the ISP's default, hedge routes 10.200.0.0/16"
        sed '/^# >>> default-route$/,/^# <<< default-route$/s/^# \(group\|kernel\) /\1 /' "$conf" >"$conf.dr" &&
            "$HEDGE_BIN" check -c "$conf.dr" >"$LAB_RUN/check-dr.txt" 2>&1 || die "hedge check rejects the default-route config: $(grep -m3 -i error "$LAB_RUN/check-dr.txt")"
        mv "$conf.dr" "$conf"; cp "$conf" "$OUT/$SCEN-hedge-default-route.conf"
        ip -n "$ON" monitor route >"$dr_mon" 2>&1 &
        dr_mon_pid=$!
        nap 0.3
        kill -HUP "$hedge_pid"
        wait_ok 20 eval '[ "$(dr_dev)" = er0 ] && ip -n "$ON" route show "$ESP_VPNGW_WAN" | grep -q " proto 88 "' >/dev/null ||
            dr_bad "hedge's default on er0 and its pin after the reload: $(ip -n "$ON" route show default | paste -sd';' -)"
        nap 0.3
        lab_stop_pids "$dr_mon_pid"
        cp "$dr_mon" "$OUT/$SCEN-default-route-monitor.txt"
        # The order the kernel announced them in, for underlay-pin-first below.
        pin_at=$(grep -n "^$ESP_VPNGW_WAN via 198\.51\.100\.2 dev wan0 proto 88" "$dr_mon" | head -1 | cut -d: -f1)
        def_at=$(grep -n '^default .* proto 88 ' "$dr_mon" | head -1 | cut -d: -f1)
        pin=$(ip -n "$ON" route show "$ESP_VPNGW_WAN" | xargs)
        [[ "$pin" == "$ESP_VPNGW_WAN via 198.51.100.2 dev wan0 proto 88 "* ]] || dr_bad "pin: ${pin:-none}"
        dr_table "onprem with ExpressRoute up: hedge's default (metric 10) via er0, its pin, the ISP's default untouched"
        p_er=$(dr_ping)
        dr_took "$p_er" er0 || dr_bad "the Internet host over er0: $p_er"

        esp_fail_er || die "esp_fail_er failed"
        wait_ok 20 eval '[ "$(dr_dev)" = vpn0 ]' >/dev/null || dr_bad "hedge's default on vpn0 after the failure: $(ip -n "$ON" route show default | paste -sd';' -)"
        # The echoes' replies come back by Azure's route to the LAN, which hedge moves onto the tunnel.
        wait_ok 30 eval '[ "$(azure_route_of)" = vpn ]' >/dev/null || dr_bad "Azure -> LAN on the VPN"
        dr_table "onprem failed over: hedge's default via vpn0, the pin keeps 203.0.113.2 on wan0"
        pin_get=$(ip -n "$ON" route get "$ESP_VPNGW_WAN" | head -1 | xargs)
        [[ "$pin_get" == *" via 198.51.100.2 dev wan0 "* ]] || dr_bad "route get $ESP_VPNGW_WAN: $pin_get"
        local so0 si0 so1 si1 c_a c_b c_e
        read -r -a c_a <<<"$(dr_counts)"
        so0=$(sa_out); si0=$(sa_in)
        p_vpn=$(dr_ping)
        so1=$(sa_out); si1=$(sa_in)
        dr_took "$p_vpn" vpn0 && [ $((so1 - so0)) -ge 5 ] && [ $((si1 - si0)) -ge 3 ] || dr_bad "the Internet host over vpn0: $p_vpn, SAs +$((so1 - so0)) out +$((si1 - si0)) in"
        if [ "$SCEN" = ikev2 ]; then
            # IKE through the pinned underlay while the default points into the tunnel: charon
            # re-keys the CHILD_SA (new SPIs only if the gateway answered), and the new SAs carry on.
            spis0=$(ip -n "$ON" xfrm state | awk '/proto esp spi/ { print $4 }' | sort | tr '\n' ' ')
            esp_swanctl onprem --rekey --child azure >"$LAB_RUN/rekey.txt" 2>&1 || dr_bad "swanctl --rekey: $(tail -1 "$LAB_RUN/rekey.txt")"
            lab_wait_for 30 sh -c "ip -n $ON xfrm state | awk '/proto esp spi/ { print \$4 }' | sort | tr '\n' ' ' | grep -qvxF '$spis0'"
            lab_wait_for 30 esp_sa_present onprem
            spis1=$(ip -n "$ON" xfrm state | awk '/proto esp spi/ { print $4 }' | sort | tr '\n' ' ')
            local p_rk; p_rk=$(dr_ping)
            [ "$spis1" != "$spis0" ] && dr_took "$p_rk" vpn0 || dr_bad "CHILD_SA re-keyed and used: SPIs [$spis0] -> [$spis1], $p_rk"
            ike_note="; swanctl --rekey --child azure while failed over: SPIs [${spis0% }] -> [${spis1% }], then $(cut -d' ' -f1 <<<"$p_rk")/5 answered over vpn0"
        fi
        read -r -a c_b <<<"$(dr_counts)"
        [ $((c_b[2] - c_a[2])) -ge 5 ] || dr_bad "ESP out of wan0 while failed over: +$((c_b[2] - c_a[2]))"
        [ "$SCEN" != ikev2 ] || [ $((c_b[3] - c_a[3])) -gt 0 ] || dr_bad "IKE out of wan0 during the re-key"
        hedge_status "default route, failed over"

        esp_restore_er || die "esp_restore_er failed"
        wait_ok 30 eval '[ "$(dr_dev)" = er0 ]' >/dev/null || dr_bad "hedge's default back on er0: $(ip -n "$ON" route show default | paste -sd';' -)"
        dr_table "onprem after the failback: hedge's default via er0 again"
        p_back=$(dr_ping)
        dr_took "$p_back" er0 || dr_bad "the Internet host back over er0: $p_back"
        isp_end=$(ip -n "$ON" route show default metric "$ESP_ISP_METRIC")
        [ -n "$isp" ] && [ "$isp" = "$isp_end" ] || dr_bad "the ISP's default unchanged: [$isp] -> [$isp_end]"
        read -r -a c_e <<<"$(dr_counts)"
        [ "${c_e[4]}" -eq 0 ] || dr_bad "${c_e[4]} packets to $ESP_VPNGW_WAN left by another device than wan0"
        dr_st=$(timeout 10 "$HEDGE_BIN" status -s "$SOCK" 2>&1 | grep -ci 'does not own')
        [ "$dr_st" -eq 0 ] || dr_bad "hedge status names a foreign route"
        echo "--- default route: onprem's main table ($(basename "$dr_tables"))"; sed 's/^/    | /' "$dr_tables"
        # "ANSWERED ER0 VPN0" -> "n/5 answered, echoes er0 +E vpn0 +V"
        dr_fmt() { awk '{ printf "%s/5 answered, echoes out er0 +%s vpn0 +%s", $1, $2, $3 }' <<<"$1"; }
        record "$( [ "$dr_ok" = 1 ] && echo true || echo false)" "hedge reloaded with 0.0.0.0/0 over both paths (metric 10) beside the ISP's default (metric $ESP_ISP_METRIC, left alone: ${isp_end:-gone}); pin: $pin; to $ESP_INET_HOST with ER up: $(dr_fmt "$p_er"); failed over: $(dr_fmt "$p_vpn"), SAs +$((so1 - so0)) out +$((si1 - si0)) in, route get $ESP_VPNGW_WAN: $pin_get, out of wan0 to it +$((c_b[2] - c_a[2])) (IKE +$((c_b[3] - c_a[3])))$ike_note; after the failback: $(dr_fmt "$p_back"); packets to $ESP_VPNGW_WAN by another device: ${c_e[4]}; tables in $(basename "$dr_tables")$dr_why"

        # The issue's "pins the underlay first": the pin is in the kernel before any route of hedge's
        # that covers the gateway's address, or IKE and ESP follow that route until the pin comes (and
        # for good if the pin is refused, say by a foreign route with its key).
        step underlay-pin-first
        [ -n "$pin_at" ] && [ -n "$def_at" ] && [ "$pin_at" -lt "$def_at" ]
        check $? "ip monitor route during the reload ($SCEN-default-route-monitor.txt): hedge's pin of $ESP_VPNGW_WAN at line ${pin_at:-none}, its default at line ${def_at:-none}"
    fi

    step ipsec-summary
    save_show "$OUT/$SCEN-xfrm-end.txt"
    pass "fail at +$((t_fail - t_scen)) ms, restore at +$((t_restore - t_scen)) ms; xfrm state/policy in $SCEN-xfrm-end.txt"
    echo "--- ip -s xfrm state (onprem, keys stripped)"; ip -n "$ON" -s xfrm state | esp_strip_keys | sed 's/^/    | /'
    echo "--- ip xfrm policy (onprem)"; ip -n "$ON" xfrm policy | sed 's/^/    | /'
    echo "--- ip -d link show vpn0 (onprem)"; ip -n "$ON" -d link show vpn0 | sed 's/^/    | /'
    trap - EXIT
    teardown
}

# ------------------------------------------------------------------------------------------ watchdog
# A step that runs for STEP_LIMIT_S is a hang in the harness or the kernel (the longest step waits
# 2 x 60 s): the watchdog says where every process of the scenario waits, ends the scenario through
# its teardown, and runs it once more. Without it, the VM's overall limit ended the run with nothing
# to say what had hung.
STEP_LIMIT_S=${VM_STEP_LIMIT_S:-240}
descendants() { # PID -> every process below it, one pid per line
    ps -e -o pid=,ppid= | awk -v root="$1" '{ up[$1] = $2 }
        END { for (c in up) { x = c; while ((x in up) && x != root && x > 1) x = up[x]; if (x == root && c != root) print c } }'
}
# One line per process: what it runs, its state and where the kernel has it waiting.
stuck_summary() { # PIDS...
    local p
    for p in "$@"; do
        [ -r "/proc/$p/stat" ] || continue
        printf '%s' "pid $p '$(tr '\0' ' ' <"/proc/$p/cmdline" | cut -c1-80)' $(ps -o stat=,wchan:32= -p "$p" | xargs)"
        [ -r "/proc/$p/stack" ] && printf ' [%s]' "$(awk '{ print $2 }' "/proc/$p/stack" | head -4 | paste -sd'<')"
        printf '; '
    done
}
report_hang() { # SPID SCEN STEP AGE_S
    local spid=$1 age=$4 pids young=() p e
    mapfile -t pids < <(descendants "$spid")
    # What started in the hung step: the stuck command and the shells waiting on it (ps counts whole
    # seconds from another clock than the step's: a few seconds' slack).
    for p in "${pids[@]}"; do
        e=$(ps -o etimes= -p "$p" 2>/dev/null | tr -d ' ')
        [ -n "$e" ] && [ "$e" -le $((age + 5)) ] && young+=("$p")
    done
    echo "vm-guest: [$2] HANG: step $3 has run for $age s (limit $STEP_LIMIT_S s); the scenario's processes:"
    ps -o pid,ppid,stat,wchan:32,etimes,args -p "$(printf '%s,' "$spid" "${pids[@]}" | sed 's/,$//')" 2>&1 | cut -c1-200 | sed 's/^/    | /'
    for p in "${pids[@]}"; do
        [ -r "/proc/$p/stack" ] || continue
        echo "--- /proc/$p/stack ($(cat "/proc/$p/comm" 2>/dev/null))"; sed 's/^/    | /' "/proc/$p/stack"
    done
    echo "--- kernel: blocked tasks (sysrq w) and the log's tail"
    echo w >/proc/sysrq-trigger 2>/dev/null; dmesg 2>/dev/null | tail -25 | sed 's/^/    | /'
    local stuck; stuck=$(stuck_summary "${young[@]}")
    SCEN=$2 STEP=$3 STEP_T=$(( $(now_ms) - age * 1000 ))
    hedge_status "at the hang"
    record false "hung: no progress for $age s; started in this step: ${stuck:-nothing} (the console has ps, stacks and dmesg)"
    # TERM first (queued until the stuck command is gone, then the scenario leaves through teardown),
    # then KILL to the stuck command and the shells waiting on it.
    kill -TERM "$spid" 2>/dev/null
    [ ${#young[@]} -eq 0 ] || kill -KILL "${young[@]}" 2>/dev/null
    local t; t=$(now_ms)
    while kill -0 "$spid" 2>/dev/null && [ $(( $(now_ms) - t )) -lt 90000 ]; do nap 1; done
    if kill -0 "$spid" 2>/dev/null; then
        echo "vm-guest: [$2] teardown did not finish in 90 s: killing every process of the scenario"
        mapfile -t pids < <(descendants "$spid")
        kill -KILL "$spid" "${pids[@]}" 2>/dev/null
    fi
}
watch_scenario() { # SPID -> 0 done, 1 hung (reported and ended)
    local spid=$1 s st t
    while kill -0 "$spid" 2>/dev/null; do
        nap 2
        read -r s st t <"$STEP_FILE" 2>/dev/null || continue
        [ $(( $(now_ms) - t )) -ge $((STEP_LIMIT_S * 1000)) ] || continue
        report_hang "$spid" "$s" "$st" $(( ($(now_ms) - t) / 1000 ))
        wait "$spid" 2>/dev/null
        return 1
    done
    wait "$spid" 2>/dev/null
    return 0
}

# ------------------------------------------------------------------------------------------ main
for s in $SCENARIOS; do
    case "$s" in static|ikev2) ;; *) echo "vm-guest: unknown scenario $s" >&2; continue ;; esac
    for attempt in 1 2; do
        t=$(now_ms)
        printf '%s %s %s\n' "$s" start "$t" >"$STEP_FILE"
        ( scenario "$s" ) &
        watch_scenario $! && break
        [ "$attempt" = 1 ] || break
        # The hung attempt's records (its FAIL among them) go to results-hung.jsonl, which Tests/vm/run
        # prints as HUNG lines; the second attempt's records are the scenario's.
        grep -F "\"scenario\":\"$s\"" "$RESULTS" >>"$OUT/results-hung.jsonl"
        grep -vF "\"scenario\":\"$s\"" "$RESULTS" >"$RESULTS.new"; cat "$RESULTS.new" >"$RESULTS"; rm -f "$RESULTS.new"
        SCEN=$s STEP=retry STEP_T=$t
        record warn "RETRY: the first attempt hung (results-hung.jsonl; ps, stacks and dmesg on the console); running $s once more"
    done
    SCEN=$s STEP=duration STEP_T=$t
    record true "scenario $s took $(( $(now_ms) - t )) ms"
done
fails=$(grep -c '"ok":false' "$RESULTS")
passes=$(grep -c '"ok":true' "$RESULTS")
echo "vm-guest: $passes passed, $fails failed (uptime $(cut -d' ' -f1 /proc/uptime) s)"
touch "$OUT/finished"   # Tests/vm/run: the guest got to its end (a kernel lockup stops it before)
if [ "$fails" -eq 0 ] && [ "$passes" -gt 0 ]; then echo 0 >"$OUT/rc"; exit 0; fi
echo 1 >"$OUT/rc"; exit 1
