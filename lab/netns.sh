# shellcheck shell=bash
# lab/netns.sh — namespace lab for hedge (source it; needs root, iproute2, nftables).
#
#   LAB=hl  (name prefix; several labs can run side by side with different prefixes)
#
#   ${LAB}-onprem  er0 192.168.10.1/30 ── edge onprem0 192.168.10.2/30   (ExpressRoute / MSEE stand-in)
#                  vpn0 192.168.20.1/30 ── vpn onprem0 192.168.20.2/30    (VPN tunnel stand-in, plain veth)
#                  lan0 (dummy) 172.16.0.1/32: on-prem LAN address, the stream's source
#   ${LAB}-edge    azure0 10.255.1.1/30 ── azure edge0 10.255.1.2/30
#   ${LAB}-vpn     azure0 10.255.2.1/30 ── azure vpn0  10.255.2.2/30
#   ${LAB}-azure   vnet0 (dummy) 10.200.0.4/24: the VNet host, and Azure's routing (lab/azure.sh: FRR
#                  AS 65515 decides the way back to on-prem as Azure does: ExpressRoute's prefixes
#                  from the MSEE first, the VPN's local network gateway prefixes otherwise)
#
# Onprem has NO route to 10.200.0.0/16 after lab_up: installing it is the agent's job. Azure routes
# on-prem's LAN by the VPN until an agent announces it to the MSEE stand-in over ExpressRoute.
# Functions: lab_up, lab_down, lab_fail_carrier, lab_restore_carrier, lab_fail_far [NS], lab_restore_far [NS],
#            lab_fail_gray, lab_restore_gray,
#            lab_exec NS cmd..., lab_ns NS, lab_wait_for SECONDS cmd..., lab_now_ms, lab_path_of,
#            lab_stream_recv_start / lab_stream_recv_wait, lab_stream_send, and for the return
#            direction lab_stream_return_recv_start / lab_stream_return_send.
# Every function returns non-zero on failure; none of them changes the caller's shell options.

: "${LAB:=hl}"
: "${LAB_RUN:=/run/hedge-lab/${LAB}}"         # scratch files of this lab (removed by lab_down)
: "${LABSTREAM_BIN:=}"                          # set by the caller, or found below
# Scale: LAB_PREFIXES=N makes the VNet N /24s from 10.100.0.0/24 upward (what the MSEE stand-in of
# lab/anchors.sh then announces); the stream and lab_path_of aim at a host in the last of them, and
# the edge and VPN namespaces route the range (10.64.0.0/10, 10.128.0.0/12) on to azure.
: "${LAB_PREFIXES:=0}"
LAB_SCALE_AGGREGATES=(10.64.0.0/10 10.128.0.0/12)

# lab_scale_prefix I: the I-th (0-based) /24 of the scale range.
lab_scale_prefix() { local a=$(( (10 << 24) + (100 << 16) + $1 * 256 )); printf '%d.%d.%d.0/24\n' $((a >> 24)) $(((a >> 16) & 255)) $(((a >> 8) & 255)); }
# lab_scale_prefixes FORMAT: every scale prefix through printf's FORMAT (one %s), in one process.
lab_scale_prefixes() {
    awk -v n="$LAB_PREFIXES" -v f="$1" 'BEGIN { for (i = 0; i < n; i++) { a = 100 * 256 + i; printf f, sprintf("10.%d.%d.0/24", int(a / 256), a % 256) } }'
}
# lab_target: the stream's destination, the VNet host (in the last scale prefix when LAB_PREFIXES > 0).
lab_target() {
    if [ "$LAB_PREFIXES" -gt 0 ]; then local p; p=$(lab_scale_prefix $((LAB_PREFIXES - 1))); echo "${p%.0/24}.4"
    else echo 10.200.0.4; fi
}

LAB_NAMESPACES=(onprem edge vpn azure)

lab_ns() {   # lab_ns onprem -> hl-onprem (full names pass through)
    case "$1" in
        "${LAB}"-*) printf '%s\n' "$1" ;;
        *) printf '%s-%s\n' "$LAB" "$1" ;;
    esac
}

lab_exec() { # lab_exec NS cmd...
    local ns; ns=$(lab_ns "$1"); shift
    ip netns exec "$ns" "$@"
}

lab_now_ms() { local t; t=$(date +%s%N); printf '%s\n' $((t / 1000000)); }

lab_log() { printf '[lab %s] %s\n' "$LAB" "$*" >&2; }

# lab_wait_for SECONDS cmd... : polls cmd every 20 ms until it succeeds; fails after SECONDS.
lab_wait_for() {
    local limit=$1; shift
    local end=$(( $(date +%s%N) + limit * 1000000000 ))
    while ! "$@" >/dev/null 2>&1; do
        [ "$(date +%s%N)" -lt "$end" ] || return 1
        sleep 0.02
    done
}

_lab_sysctls() { # namespace: forwarding on, rp_filter off everywhere
    local ns=$1
    ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1 \
        net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 >/dev/null
}

_lab_up_body() {
    set -euo pipefail
    local n on ed vp az
    on=$(lab_ns onprem); ed=$(lab_ns edge); vp=$(lab_ns vpn); az=$(lab_ns azure)
    for n in "$on" "$ed" "$vp" "$az"; do
        ip netns add "$n"
        ip -n "$n" link set lo up
        _lab_sysctls "$n"
    done
    # Links are created inside the namespaces, so two labs never collide on names in the root namespace.
    # Each veth end gets its own ifindex: when both ends of a pair share one (easy across namespaces),
    # the kernel's linkwatch treats carrier changes as non-urgent and may hold them back for up to a
    # second after any other link event on the machine (as it does for physical NICs), which would
    # make the carrier scenario measure linkwatch instead of the agent.
    ip -n "$on" link add er0 index 10 type veth peer name onprem0 index 11 netns "$ed"
    ip -n "$on" link add vpn0 index 20 type veth peer name onprem0 index 21 netns "$vp"
    ip -n "$ed" link add azure0 index 12 type veth peer name edge0 index 13 netns "$az"
    ip -n "$vp" link add azure0 index 22 type veth peer name vpn0 index 23 netns "$az"
    # "dummy" interfaces: the kernel may lack the dummy driver, so a veth pair whose peer stays local.
    ip -n "$on" link add lan0 type veth peer name lan0p
    ip -n "$az" link add vnet0 type veth peer name vnet0p
    ip -n "$on" link set lan0p up
    ip -n "$az" link set vnet0p up

    ip -n "$on" addr add 192.168.10.1/30 dev er0
    ip -n "$on" addr add 192.168.20.1/30 dev vpn0
    ip -n "$on" addr add 172.16.0.1/32 dev lan0
    ip -n "$ed" addr add 192.168.10.2/30 dev onprem0
    ip -n "$ed" addr add 10.255.1.1/30 dev azure0
    ip -n "$vp" addr add 192.168.20.2/30 dev onprem0
    ip -n "$vp" addr add 10.255.2.1/30 dev azure0
    ip -n "$az" addr add 10.255.1.2/30 dev edge0
    ip -n "$az" addr add 10.255.2.2/30 dev vpn0
    ip -n "$az" addr add 10.200.0.4/24 dev vnet0

    for n in "$on:er0 vpn0 lan0" "$ed:onprem0 azure0" "$vp:onprem0 azure0" "$az:edge0 vpn0 vnet0"; do
        local ns=${n%%:*} dev
        for dev in ${n#*:}; do
            ip -n "$ns" link set "$dev" up
            ip netns exec "$ns" sysctl -qw "net.ipv4.conf.$dev.rp_filter=0" >/dev/null
        done
    done

    # Edge and VPN: VNet toward Azure, on-prem LAN back toward onprem (their /30 is connected).
    ip -n "$ed" route add 10.200.0.0/16 via 10.255.1.2 dev azure0
    ip -n "$ed" route add 172.16.0.0/16 via 192.168.10.1 dev onprem0
    ip -n "$vp" route add 10.200.0.0/16 via 10.255.2.2 dev azure0
    ip -n "$vp" route add 172.16.0.0/16 via 192.168.20.1 dev onprem0
    # Azure: each path's /30 back the way it came (probe replies). The LAN's way back is decided by
    # Azure's routing (lab/azure.sh), started by lab_up.
    ip -n "$az" route add 192.168.10.0/30 via 10.255.1.1 dev edge0
    ip -n "$az" route add 192.168.20.0/30 via 10.255.2.1 dev vpn0

    if [ "$LAB_PREFIXES" -gt 0 ]; then
        [ "$LAB_PREFIXES" -le 11264 ] || { echo "LAB_PREFIXES: at most 11264 /24s fit 10.100.0.0-10.143.255.0" >&2; return 1; }
        ip -n "$az" addr add "$(lab_target)/24" dev vnet0
        for p in "${LAB_SCALE_AGGREGATES[@]}"; do
            ip -n "$ed" route add "$p" via 10.255.1.2 dev azure0
            ip -n "$vp" route add "$p" via 10.255.2.2 dev azure0
        done
    fi

    mkdir -p "$LAB_RUN"
    # Resolve neighbours now so the first packet after a swap does not wait for ARP.
    ip netns exec "$on" ping -c1 -W1 -q 192.168.10.2 >/dev/null
    ip netns exec "$on" ping -c1 -W1 -q 192.168.20.2 >/dev/null
}

lab_up() {
    lab_down >/dev/null 2>&1 || true
    # The body runs in its own subshell with errexit; not as an `if` condition, where bash would
    # silently ignore errexit inside it.
    local rc=0
    ( _lab_up_body ) &
    wait $! || rc=$?
    if [ "$rc" -eq 0 ]; then lab_azure_routing || rc=$?; fi
    if [ "$rc" -ne 0 ]; then
        lab_log "lab_up failed; tearing down"
        lab_down
        return 1
    fi
    lab_log "up: $(lab_ns onprem) $(lab_ns edge) $(lab_ns vpn) $(lab_ns azure)"
}

# lab_azure_routing: Azure's return path as Azure decides it (lab/azure.sh, FRR). Without FRR the lab
# falls back to the old simplification and says so: static routes that always prefer ExpressRoute,
# so the return direction never fails over.
lab_azure_routing() {
    if [ -x "$ANCHORS_FRR_LIBDIR/bgpd" ]; then azure_start; return; fi
    [ "${CI:-}" != true ] || { lab_log "FRR is not installed: CI needs it for Azure's routing (lab/azure.sh)"; return 1; }
    lab_log "WARNING: FRR is not installed, so Azure's routing is SIMPLIFIED: static return routes via ExpressRoute (metric 10) and the VPN (metric 20); the return direction never fails over"
    ip -n "$(lab_ns azure)" route add 172.16.0.0/16 via 10.255.1.1 dev edge0 metric 10 &&
        ip -n "$(lab_ns azure)" route add 172.16.0.0/16 via 10.255.2.1 dev vpn0 metric 20
}

# Idempotent: kills whatever still runs inside the lab's namespaces, deletes them (their links and
# nftables tables go with them), removes the lab's scratch directory.
lab_down() {
    local n ns pids
    for n in "${LAB_NAMESPACES[@]}"; do
        ns=$(lab_ns "$n")
        ip netns list 2>/dev/null | grep -qw "^$ns" || continue
        pids=$(ip netns pids "$ns" 2>/dev/null || true)
        if [ -n "$pids" ]; then
            # shellcheck disable=SC2086
            kill $pids 2>/dev/null || true
            local i
            for i in $(seq 50); do
                [ -z "$(ip netns pids "$ns" 2>/dev/null)" ] && break
                sleep 0.02
            done
            pids=$(ip netns pids "$ns" 2>/dev/null || true)
            # shellcheck disable=SC2086
            [ -z "$pids" ] || kill -9 $pids 2>/dev/null || true
        fi
        ip netns del "$ns" 2>/dev/null || true
        rm -rf "/var/run/frr/${ns:?}"   # FRR's vty sockets of the namespace's daemons, gone with it
    done
    # /dev/shm/hedge-lab: the VM lab (lab/esp.sh), where charon's private /run would hide /run.
    case "$LAB_RUN" in /run/hedge-lab/*|/dev/shm/hedge-lab/*) rm -rf "$LAB_RUN" ;; esac
    return 0
}

# Carrier failure: the edge side of er0's veth goes down; onprem's er0 sees NO-CARRIER.
lab_fail_carrier()    { ip -n "$(lab_ns edge)" link set onprem0 down; }
lab_restore_carrier() { ip -n "$(lab_ns edge)" link set onprem0 up; }

# Far-end failure: the edge drops everything on its on-prem link, forwarded, received or sent;
# onprem's carrier (and ARP) stay up, so only an end-to-end probe or BFD can see it. The MSEE's own
# session toward the VNet stays up: it withdraws on-prem's prefixes there once it notices.
# NS: the MSEE's namespace (default edge; lab/link2.sh's secondary is edge2).
lab_fail_far() {
    ip netns exec "$(lab_ns "${1:-edge}")" nft -f - <<'EOF'
table inet labfail {
    chain drop_forward { type filter hook forward priority -300; iifname "onprem0" drop; oifname "onprem0" drop; }
    chain drop_input { type filter hook input priority -300; iifname "onprem0" drop; }
    chain drop_output { type filter hook output priority -300; oifname "onprem0" drop; }
}
EOF
}
lab_restore_far() { # [NS]
    ip netns exec "$(lab_ns "${1:-edge}")" nft delete table inet labfail 2>/dev/null || true
}

# Gray failure: the edge drops the traffic it forwards between on-prem and the VNet, both ways, but
# keeps its BGP and BFD with on-prem (and its session with the VNet) up: a failure inside the
# provider's or Microsoft's network, which BFD cannot see.
lab_fail_gray() {
    ip netns exec "$(lab_ns edge)" nft -f - <<'EOF'
table inet labfail {
    chain drop_forward { type filter hook forward priority -300; iifname "onprem0" oifname "azure0" drop; iifname "azure0" oifname "onprem0" drop; }
}
EOF
}
lab_restore_gray() { lab_restore_far; }

# Which path onprem's kernel uses for the stream right now: "expressroute", "vpn" or "none".
lab_path_of() {
    local r
    r=$(ip -n "$(lab_ns onprem)" route get "$(lab_target)" from 172.16.0.1 2>/dev/null || true)
    case "$r" in
        *" dev er0 "*) echo expressroute ;;
        *" dev vpn0 "*) echo vpn ;;
        *) echo none ;;
    esac
}

_lab_labstream() {
    if [ -z "$LABSTREAM_BIN" ]; then
        local here; here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
        for c in "$here/.build-lab/release/labstream" "$here/.build/release/labstream" \
                 "$here/.build-lab/debug/labstream" "$here/.build/debug/labstream"; do
            [ -x "$c" ] && { LABSTREAM_BIN=$c; break; }
        done
    fi
    [ -x "$LABSTREAM_BIN" ] || { lab_log "labstream binary not found (set LABSTREAM_BIN)"; return 1; }
}

# lab_stream_recv_start NAME [recv options...]: receiver in azure, in the background; waits (≤5 s,
# or LAB_READY_WAIT_S: an emulated VM loads the binary slowly) until it is bound. Its JSON goes to
# $LAB_RUN/NAME.json; its pid to $LAB_RUN/NAME.pid.
lab_stream_recv_start() {
    local name=$1; shift
    _lab_labstream || return 1
    mkdir -p "$LAB_RUN"
    rm -f "$LAB_RUN/$name.ready" "$LAB_RUN/$name.json"
    ip netns exec "$(lab_ns azure)" "$LABSTREAM_BIN" recv --bind "$(lab_target):9000" \
        --ready-file "$LAB_RUN/$name.ready" --json-out "$LAB_RUN/$name.json" "$@" \
        2>>"$LAB_RUN/$name.err" &
    echo $! >"$LAB_RUN/$name.pid"
    lab_wait_for "${LAB_READY_WAIT_S:-5}" test -e "$LAB_RUN/$name.ready" || { lab_log "receiver $name did not get ready"; return 1; }
}

# lab_stream_recv_wait NAME SECONDS: waits for the receiver to finish (SIGTERM after SECONDS), prints its JSON.
lab_stream_recv_wait() {
    local name=$1 limit=$2 pid
    pid=$(cat "$LAB_RUN/$name.pid")
    if ! lab_wait_for "$limit" test -e "$LAB_RUN/$name.json"; then
        kill -TERM "$pid" 2>/dev/null || true
        lab_wait_for 3 test -e "$LAB_RUN/$name.json" || { lab_log "receiver $name produced no result"; return 1; }
    fi
    wait "$pid" 2>/dev/null || true
    cat "$LAB_RUN/$name.json"
}

# lab_stream_send [send options...]: onprem (source 172.16.0.1) → lab_target port 9000, in the foreground;
# prints the sender's JSON summary line.
lab_stream_send() {
    _lab_labstream || return 1
    ip netns exec "$(lab_ns onprem)" "$LABSTREAM_BIN" send --to "$(lab_target):9000" --from 172.16.0.1 "$@"
}

# The return direction: a receiver on the on-prem LAN (172.16.0.1 port 9001), a sender on the VNet host.
# lab_stream_return_recv_start NAME [recv options...] / lab_stream_return_send [send options...]
lab_stream_return_recv_start() {
    local name=$1; shift
    _lab_labstream || return 1
    mkdir -p "$LAB_RUN"
    rm -f "$LAB_RUN/$name.ready" "$LAB_RUN/$name.json"
    ip netns exec "$(lab_ns onprem)" "$LABSTREAM_BIN" recv --bind 172.16.0.1:9001 \
        --ready-file "$LAB_RUN/$name.ready" --json-out "$LAB_RUN/$name.json" "$@" \
        2>>"$LAB_RUN/$name.err" &
    echo $! >"$LAB_RUN/$name.pid"
    lab_wait_for "${LAB_READY_WAIT_S:-5}" test -e "$LAB_RUN/$name.ready" || { lab_log "receiver $name did not get ready"; return 1; }
}
lab_stream_return_send() {
    _lab_labstream || return 1
    ip netns exec "$(lab_ns azure)" "$LABSTREAM_BIN" send --to 172.16.0.1:9001 --from "$(lab_target)" "$@"
}

# ------------------------------------------------------------------------------------------ processes
# lab_pid_alive PID: the process exists and is not a zombie (this machine's pid 1 reaps late).
lab_pid_alive() {
    local st
    [ -n "$1" ] && st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    st=${st##*) }
    [ "${st%% *}" != Z ]
}

# lab_stop_pids PID...: TERM, wait up to 2 s, then KILL whatever is left.
lab_stop_pids() {
    local p _ alive
    [ $# -gt 0 ] || return 0
    for p in "$@"; do kill -TERM "$p" 2>/dev/null || true; done
    for _ in $(seq 100); do
        alive=''
        for p in "$@"; do lab_pid_alive "$p" && alive=1; done
        [ -z "$alive" ] && break
        sleep 0.02
    done
    for p in "$@"; do lab_pid_alive "$p" && kill -KILL "$p" 2>/dev/null; done
    return 0
}

# Azure's routing (lab_up starts it) uses the FRR launch helpers of lab/anchors.sh.
if ! declare -F _anchors_frr_launch >/dev/null; then
    # shellcheck source=lab/anchors.sh
    source "$(dirname "${BASH_SOURCE[0]}")/anchors.sh" || return 1
fi
# shellcheck source=lab/azure.sh
source "$(dirname "${BASH_SOURCE[0]}")/azure.sh" || return 1
