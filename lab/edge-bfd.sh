# shellcheck shell=bash
# lab/edge-bfd.sh — real BFD peers (FRR bfdd or BIRD 2) inside the lab's namespaces, without BGP.
# Source it after lab/netns.sh (it uses lab_ns, lab_log, lab_wait_for, LAB_RUN).
#
#   lab_edge_bfd_start frr|bird TX_MS MULT   the edge (${LAB}-edge, onprem0) runs a single-hop BFD
#                                            session toward hedge (192.168.10.1), tx = rx = TX_MS ms,
#                                            detect multiplier MULT. Active: it sends Down packets
#                                            (at the RFC 5880 slow rate, 1 s) until the peer answers.
#   lab_edge_bfd_state                       prints the edge's view: up, down, init or none
#   lab_edge_bfd_stop                        stops whichever daemon runs there (no-op if none)
#
# The same, for any namespace / interface / neighbour (used to stand in for hedge in onprem):
#   lab_bfd_start NS IFACE PEER_IP frr|bird TX_MS MULT
#   lab_bfd_state NS PEER_IP
#   lab_bfd_stop NS
#
# Daemons run inside the namespace (ip netns exec), so lab_down's kill of `ip netns pids` ends them.
# Scratch (configs, pid files, logs, BIRD control socket): $LAB_RUN/bfd-<ns>/.
# FRR's vty sockets live in /var/run/frr/<ns> (the -N pathspace, what `vtysh -N <ns>` looks for);
# lab_bfd_stop removes that directory; after a bare lab_down an empty-of-processes copy may remain
# (harmless: the daemons unlink stale sockets when they start again).
# Every function returns non-zero on failure; none of them changes the caller's shell options.

: "${LAB_FRR_LIBDIR:=/usr/lib/frr}"

_lab_bfd_dir() { printf '%s/bfd-%s\n' "$LAB_RUN" "$1"; }   # _lab_bfd_dir FULL_NS

# Alive = exists and is not a zombie: the daemons are reparented to pid 1, which may reap them late.
_lab_bfd_frr_start() { # ns iface peer tx mult dir
    local ns=$1 iface=$2 peer=$3 tx=$4 mult=$5 dir=$6
    local vdir=/var/run/frr/$ns
    mkdir -p "$vdir" || return 1
    chown frr:frr "$dir" "$vdir" || return 1
    chmod 755 "$vdir"
    # Logging: `log file` in the config (the daemons open it after dropping to user frr, hence the
    # chown). Do not also pass --log file:SAME: that opens it as root first and the config line then
    # fails ("Config Failed"); and a --log target ignores `log timestamp precision`.
    # `debug bfd peer` logs every state change ("state-change: ... up -> down reason:control-expired").
    cat >"$dir/zebra.conf" <<EOF
hostname $ns
log timestamp precision 3
log file $dir/zebra.log informational
!
EOF
    # Single-hop session bound to the interface; `minimum-ttl` is multihop-only, single hop always
    # sends TTL 255 and requires 255 on receipt (RFC 5881). Echo mode stays off (the default).
    cat >"$dir/bfdd.conf" <<EOF
hostname $ns
log timestamp precision 3
log file $dir/bfdd.log debugging
debug bfd peer
!
bfd
 peer $peer interface $iface
  detect-multiplier $mult
  receive-interval $tx
  transmit-interval $tx
  no shutdown
 exit
 !
exit
!
EOF
    chown frr:frr "$dir/zebra.conf" "$dir/bfdd.conf"
    echo frr >"$dir/impl"
    # -P 0: no TCP vty (vtysh uses the unix sockets under /var/run/frr/<ns>).
    ip netns exec "$ns" "$LAB_FRR_LIBDIR/zebra" -d -N "$ns" -f "$dir/zebra.conf" -i "$dir/zebra.pid" \
        -P 0 >>"$dir/start.err" 2>&1 || { lab_log "zebra failed in $ns"; return 1; }
    lab_wait_for 5 test -S "$vdir/zserv.api" || { lab_log "zebra in $ns: no zserv.api"; return 1; }
    ip netns exec "$ns" "$LAB_FRR_LIBDIR/bfdd" -d -N "$ns" -f "$dir/bfdd.conf" -i "$dir/bfdd.pid" \
        -P 0 >>"$dir/start.err" 2>&1 || { lab_log "bfdd failed in $ns"; return 1; }
    # Ready when bfdd answers and knows the peer.
    lab_wait_for 5 _lab_bfd_frr_has_peer "$ns" "$peer" || { lab_log "bfdd in $ns: peer $peer not configured"; return 1; }
}

_lab_bfd_frr_has_peer() { # ns peer
    vtysh -N "$1" -c 'show bfd peers json' 2>/dev/null | jq -e --arg p "$2" 'any(.[]; .peer == $p)' >/dev/null
}

_lab_bfd_bird_start() { # ns iface peer tx mult dir
    local ns=$1 iface=$2 peer=$3 tx=$4 mult=$5 dir=$6 rid
    rid=$(ip -n "$ns" -4 -o addr show dev "$iface" 2>/dev/null | awk '{ split($4, a, "/"); print a[1]; exit }')
    [ -n "$rid" ] || { lab_log "no IPv4 address on $iface in $ns"; return 1; }
    # `protocol device` is required: without it BIRD knows no interfaces and the static neighbour,
    # bound to a `dev`, never gets a session. `idle tx interval` (the rate while not Up) stays at its
    # 1 s default, as RFC 5880 §6.8.3 asks.
    cat >"$dir/bird.conf" <<EOF
log "$dir/bird.log" all;
timeformat log "%F %T.%3f";
router id $rid;
protocol device { scan time 10; }
protocol bfd {
    debug { states, events };   # logs "Session to X changed state from Up to Down" (ms timestamps)
    interface "$iface" {
        interval $tx ms;
        multiplier $mult;
    };
    neighbor $peer dev "$iface";
}
EOF
    echo bird >"$dir/impl"
    ip netns exec "$ns" bird -c "$dir/bird.conf" -s "$dir/bird.ctl" -P "$dir/bird.pid" >>"$dir/start.err" 2>&1 \
        || { lab_log "bird failed in $ns: $(cat "$dir/start.err")"; return 1; }
    lab_wait_for 5 _lab_bfd_bird_has_peer "$dir" "$peer" || { lab_log "bird in $ns: no session for $peer"; return 1; }
}

_lab_bfd_bird_sessions() { birdc -s "$1/bird.ctl" show bfd sessions 2>/dev/null; }   # dir
_lab_bfd_bird_has_peer() { _lab_bfd_bird_sessions "$1" | awk -v p="$2" '$1 == p { f = 1 } END { exit !f }'; }

# lab_bfd_start NS IFACE PEER_IP frr|bird TX_MS MULT
lab_bfd_start() {
    [ $# -eq 6 ] || { lab_log "usage: lab_bfd_start NS IFACE PEER_IP frr|bird TX_MS MULT"; return 1; }
    local ns iface=$2 peer=$3 impl=$4 tx=$5 mult=$6 dir rc=0
    ns=$(lab_ns "$1")
    case "$impl" in frr|bird) ;; *) lab_log "lab_bfd_start: implementation must be frr or bird"; return 1 ;; esac
    case "$tx$mult" in ''|*[!0-9]*) lab_log "lab_bfd_start: TX_MS and MULT must be integers"; return 1 ;; esac
    ip netns list 2>/dev/null | grep -qw "^$ns" || { lab_log "namespace $ns does not exist (lab_up?)"; return 1; }
    lab_bfd_stop "$ns" || return 1
    dir=$(_lab_bfd_dir "$ns")
    mkdir -p "$dir" || return 1
    "_lab_bfd_${impl}_start" "$ns" "$iface" "$peer" "$tx" "$mult" "$dir" || rc=$?
    if [ "$rc" -ne 0 ]; then lab_bfd_stop "$ns"; return 1; fi
    lab_log "bfd: $impl in $ns ($iface) → $peer, ${tx} ms × $mult"
}

# lab_bfd_state NS PEER_IP: up | down | init | none
lab_bfd_state() {
    [ $# -eq 2 ] || { lab_log "usage: lab_bfd_state NS PEER_IP"; return 1; }
    local ns peer=$2 dir impl s=''
    ns=$(lab_ns "$1"); dir=$(_lab_bfd_dir "$ns")
    impl=$(cat "$dir/impl" 2>/dev/null || true)
    case "$impl" in
        frr)
            s=$(vtysh -N "$ns" -c 'show bfd peers json' 2>/dev/null \
                | jq -r --arg p "$peer" 'first(.[] | select(.peer == $p) | .status) // empty' 2>/dev/null) ;;
        bird)
            # "IP address  Interface  State  Since  Interval  Timeout"; State: Up, Down, Init, AdminDown
            s=$(_lab_bfd_bird_sessions "$dir" | awk -v p="$peer" '$1 == p { print $3; exit }') ;;
    esac
    case "$s" in
        [Uu]p) echo up ;;
        [Ii]nit) echo init ;;
        [Dd]own|AdminDown|shutdown) echo down ;;
        *) echo none ;;
    esac
}

# lab_bfd_stop NS: stops the BFD daemon(s) this file started there; idempotent.
lab_bfd_stop() {
    [ $# -eq 1 ] || { lab_log "usage: lab_bfd_stop NS"; return 1; }
    local ns dir p pids=''
    ns=$(lab_ns "$1"); dir=$(_lab_bfd_dir "$ns")
    for p in bfdd zebra bird; do
        [ -s "$dir/$p.pid" ] && pids="$pids $(cat "$dir/$p.pid")"
    done
    # shellcheck disable=SC2086
    lab_stop_pids $pids
    [ -d "/var/run/frr/$ns" ] && rm -rf "/var/run/frr/${ns:?}"
    rm -rf "${dir:?}"
    return 0
}

lab_edge_bfd_start() { # frr|bird TX_MS MULT
    [ $# -eq 3 ] || { lab_log "usage: lab_edge_bfd_start frr|bird TX_MS MULT"; return 1; }
    lab_bfd_start edge onprem0 192.168.10.1 "$1" "$2" "$3"
}
lab_edge_bfd_state() { lab_bfd_state edge 192.168.10.1; }
lab_edge_bfd_stop()  { lab_bfd_stop edge; }
