# shellcheck shell=bash
# lab/msee.sh — MSEE stand-ins: the Microsoft edge of an ExpressRoute private peering played by a real
# BGP speaker (FRR, BIRD 2 or GoBGP) in ${LAB}-edge (onprem0 192.168.10.2), AS 12076, announcing
# 10.200.0.0/16 to the on-prem side 192.168.10.1. Source it AFTER lab/netns.sh (it uses lab_ns,
# lab_log, lab_wait_for, lab_stop_pids, LAB_RUN); it loads lab/anchors.sh for the FRR launch helpers.
#
#   msee_start frr|bird|gobgp [--remote-as N] [--md5 KEY] [--bfd TX_MS RX_MS MULT]
#                             [--hold S --keepalive S] [--passive]
#       --remote-as  the on-prem AS (default 65010)
#       --md5        TCP MD5 signature (RFC 2385) with this password (letters, digits, ._~+=-)
#       --bfd        single-hop BFD (RFC 5881) tied to the session: FRR bfdd or BIRD; GoBGP has none
#       --hold/--keepalive  BGP timers offered (both or neither; default: the daemon's own, FRR
#                    180/60, BIRD 240/80, GoBGP 90/30)
#       --passive    never connects, only accepts 192.168.10.1's connection
#   msee_stop                  stops whichever stand-in runs; idempotent
#   msee_established           0 when the peer's own CLI says the session with 192.168.10.1 is Established
#   msee_received PREFIX       0 when the peer's own CLI shows PREFIX received from 192.168.10.1
#   msee_bfd_up                0 when the peer's BFD session with 192.168.10.1 is Up (FRR, BIRD)
#   msee_status                the peer's view (session, routes, BFD), for logs
#
# Each passes what it learns from on-prem on to the VNet's gateways (lab/azure.sh, 10.255.1.2 AS 65515),
# so Azure's return direction follows the session, as it does in the field.
# IPv4 only (the lab's links have no IPv6 addresses). FRR also sends the on-prem side its own prefixes
# back (AS_PATH 12076 65010); BIRD and GoBGP do not. Each sends a Cease when stopped.
# Neither side needs graceful restart, and the stand-ins do not offer it (BIRD and FRR would keep a
# lost peer's routes as stale). Connect retry is 1 s everywhere, so a session comes back quickly.
# Scratch (configs, pid files, logs, BIRD's control socket): $LAB_RUN/msee-<ns>/. FRR's vty sockets
# live in /var/run/frr/<ns>, shared with anchors_edge_start and lab_edge_bfd_start: run one of them
# at a time in a lab. The daemons run inside the namespace, so lab_down's kill ends them too.
# Functions return non-zero on failure and do not change the caller's shell options.

if ! declare -F _anchors_frr_launch >/dev/null; then
    # shellcheck source=lab/anchors.sh
    source "$(dirname "${BASH_SOURCE[0]}")/anchors.sh" || return 1
fi

MSEE_ASN=12076
MSEE_ADDR=192.168.10.2
MSEE_NEIGHBOR=192.168.10.1
MSEE_IFACE=onprem0
MSEE_PREFIX=10.200.0.0/16
MSEE_GOBGP_API=127.0.0.1:50051   # the edge namespace's own loopback

_msee_dir() { printf '%s/msee-%s\n' "$LAB_RUN" "$(lab_ns edge)"; }
_msee_impl() { cat "$(_msee_dir)/impl" 2>/dev/null; }

# ------------------------------------------------------------------------------------------ FRR
_msee_frr_start() { # dir ns remote_as md5 tx rx mult hold ka passive
    local dir=$1 ns=$2 ras=$3 md5=$4 tx=$5 rx=$6 mult=$7 hold=$8 ka=$9 passive=${10} bfd=0
    local daemons=(zebra)
    _anchors_frr_common "$dir" "$ns"
    if _anchors_is_on "$tx"; then
        bfd=1
        _anchors_frr_bfd_conf "$dir" "$ns" "$tx" "$rx" "$mult"
        daemons+=(bfdd)
    fi
    _anchors_frr_bgp_conf "$dir" "$ns" "$MSEE_ASN" "$MSEE_ADDR" "$MSEE_NEIGHBOR" "$ras" "$bfd" "$hold" "$ka" "$md5" "$MSEE_PREFIX"
    # FRR's configuration is a command sequence: entering the router again adds to it.
    if [ "$passive" = 1 ]; then printf 'router bgp %s\n neighbor %s passive\nexit\n!\n' "$MSEE_ASN" "$MSEE_NEIGHBOR" >>"$dir/bgpd.conf"; fi
    daemons+=(bgpd)
    _anchors_frr_launch "$ns" "$dir" "${daemons[@]}" || return 1
    lab_wait_for 5 _msee_frr_neighbor_json || { lab_log "msee: bgpd in $ns does not know $MSEE_NEIGHBOR"; return 1; }
}

# vtysh -N also looks for /etc/frr/<ns>/vtysh.conf and says so on stderr: not an error here.
_msee_frr() { vtysh -N "$(lab_ns edge)" "$@" 2> >(grep -v "^% Can't open configuration file" >&2); }
_msee_frr_neighbor_json() {
    _msee_frr -c "show bgp neighbors $MSEE_NEIGHBOR json" 2>/dev/null | jq -e --arg n "$MSEE_NEIGHBOR" '.[$n]'
}

# ------------------------------------------------------------------------------------------ BIRD
_msee_bird_start() { # dir ns remote_as md5 tx rx mult hold ka passive
    local dir=$1 ns=$2 ras=$3 md5=$4 tx=$5 rx=$6 mult=$7 hold=$8 ka=$9 passive=${10} bfd=0
    _anchors_is_on "$tx" && bfd=1
    {
        printf 'log "%s/bird.log" all;\ntimeformat log "%%F %%T.%%3f";\ntimeformat protocol "%%F %%T.%%3f";\n' "$dir"
        printf 'router id %s;\nprotocol device { scan time 10; }\n' "$MSEE_ADDR"
        # The VNet range toward Azure, as the edge's kernel routes it (no kernel protocol: BIRD
        # leaves the edge's FIB to netns.sh).
        printf 'protocol static vnet { ipv4; route %s via 10.255.1.2; }\n' "$MSEE_PREFIX"
        if [ "$bfd" = 1 ]; then
            printf 'protocol bfd {\n    debug { states, events };\n    interface "%s" { min rx interval %s ms; min tx interval %s ms; multiplier %s; };\n}\n' \
                "$MSEE_IFACE" "$rx" "$tx" "$mult"
        fi
        printf 'protocol bgp onprem {\n    debug { states, events };\n    local %s as %s;\n    neighbor %s as %s;\n' \
            "$MSEE_ADDR" "$MSEE_ASN" "$MSEE_NEIGHBOR" "$ras"
        printf '    connect retry time 1;\n    error wait time 1, 2;\n'
        printf '    graceful restart off;\n    long lived graceful restart off;\n'
        if _anchors_is_on "$hold"; then printf '    hold time %s;\n    keepalive time %s;\n' "$hold" "$ka"; fi
        [ "$bfd" = 1 ] && printf '    bfd on;\n'
        [ "$passive" = 1 ] && printf '    passive on;\n'
        [ -n "$md5" ] && printf '    password "%s";\n' "$md5"
        printf '    ipv4 { import all; export where proto = "vnet"; };\n}\n'
        # what on-prem announces, passed on to the VNet's gateways (lab/azure.sh)
        printf 'protocol bgp azure_gw {\n    local 10.255.1.1 as %s;\n    neighbor %s as 65515;\n' "$MSEE_ASN" "$ANCHORS_AZURE_PEER"
        printf '    connect retry time 1;\n    graceful restart off;\n    ipv4 { import none; export where proto = "onprem"; };\n}\n'
    } >"$dir/bird.conf"
    chmod 600 "$dir/bird.conf"
    ip netns exec "$ns" bird -c "$dir/bird.conf" -s "$dir/bird.ctl" -P "$dir/bird.pid" >>"$dir/start.err" 2>&1 \
        || { lab_log "msee: bird failed in $ns: $(cat "$dir/start.err")"; return 1; }
    lab_wait_for 5 _msee_birdc show protocols onprem || { lab_log "msee: bird in $ns does not answer"; return 1; }
}

_msee_birdc() { birdc -s "$(_msee_dir)/bird.ctl" "$@"; }

# ------------------------------------------------------------------------------------------ GoBGP
_msee_gobgp_start() { # dir ns remote_as md5 tx rx mult hold ka passive
    local dir=$1 ns=$2 ras=$3 md5=$4 tx=$5 rx=$6 mult=$7 hold=$8 ka=$9 passive=${10}
    if _anchors_is_on "$tx"; then lab_log "msee: GoBGP has no BFD"; return 1; fi
    {
        printf '[global.config]\n  as = %s\n  router-id = "%s"\n  local-address-list = ["%s"]\n' "$MSEE_ASN" "$MSEE_ADDR" "$MSEE_ADDR"
        printf '[[neighbors]]\n  [neighbors.config]\n    neighbor-address = "%s"\n    peer-as = %s\n' "$MSEE_NEIGHBOR" "$ras"
        [ -n "$md5" ] && printf '    auth-password = "%s"\n' "$md5"
        printf '  [neighbors.timers.config]\n    connect-retry = 1\n'
        if _anchors_is_on "$hold"; then printf '    hold-time = %s\n    keepalive-interval = %s\n' "$hold" "$ka"; fi
        [ "$passive" = 1 ] && printf '  [neighbors.transport.config]\n    passive-mode = true\n'
        printf '  [[neighbors.afi-safis]]\n    [neighbors.afi-safis.config]\n      afi-safi-name = "ipv4-unicast"\n'
        # the VNet's gateways (lab/azure.sh): GoBGP passes on what on-prem announces (and its own
        # VNet route, which Azure refuses as its own address space)
        printf '[[neighbors]]\n  [neighbors.config]\n    neighbor-address = "%s"\n    peer-as = 65515\n' "$ANCHORS_AZURE_PEER"
        printf '  [neighbors.timers.config]\n    connect-retry = 1\n'
        printf '  [[neighbors.afi-safis]]\n    [neighbors.afi-safis.config]\n      afi-safi-name = "ipv4-unicast"\n'
    } >"$dir/gobgpd.toml"
    chmod 600 "$dir/gobgpd.toml"
    # gobgpd stays in the foreground: started in the background, its pid (ip netns exec execs it).
    ip netns exec "$ns" gobgpd -f "$dir/gobgpd.toml" --api-hosts "$MSEE_GOBGP_API" --pprof-disable -p \
        >>"$dir/gobgpd.log" 2>&1 </dev/null &
    echo $! >"$dir/gobgpd.pid"
    lab_wait_for 10 _msee_gobgp global || { lab_log "msee: gobgpd in $ns does not answer: $(tail -3 "$dir/gobgpd.log")"; return 1; }
    _msee_gobgp global rib add "$MSEE_PREFIX" origin igp -a ipv4 >>"$dir/start.err" 2>&1 \
        || { lab_log "msee: gobgp could not add $MSEE_PREFIX: $(tail -3 "$dir/start.err")"; return 1; }
}

_msee_gobgp() { ip netns exec "$(lab_ns edge)" gobgp -u "${MSEE_GOBGP_API%:*}" -p "${MSEE_GOBGP_API##*:}" "$@"; }

# ------------------------------------------------------------------------------------------ start/stop
msee_start() {
    local usage="usage: msee_start frr|bird|gobgp [--remote-as N] [--md5 KEY] [--bfd TX RX MULT] [--hold S --keepalive S] [--passive]"
    [ $# -ge 1 ] || { lab_log "$usage"; return 1; }
    local impl=$1 ras=65010 md5='' tx=- rx=- mult=- hold=- ka=- passive=0 ns dir rc=0
    shift
    case "$impl" in frr|bird|gobgp) ;; *) lab_log "$usage"; return 1 ;; esac
    while [ $# -gt 0 ]; do
        case "$1" in
            --remote-as) [ $# -ge 2 ] || { lab_log "$usage"; return 1; }; ras=$2; shift 2 ;;
            --md5)       [ $# -ge 2 ] || { lab_log "$usage"; return 1; }; md5=$2; shift 2 ;;
            --bfd)       [ $# -ge 4 ] || { lab_log "$usage"; return 1; }; tx=$2 rx=$3 mult=$4; shift 4 ;;
            --hold)      [ $# -ge 2 ] || { lab_log "$usage"; return 1; }; hold=$2; shift 2 ;;
            --keepalive) [ $# -ge 2 ] || { lab_log "$usage"; return 1; }; ka=$2; shift 2 ;;
            --passive)   passive=1; shift ;;
            *) lab_log "$usage"; return 1 ;;
        esac
    done
    [[ "$ras" =~ ^[0-9]+$ ]] || { lab_log "msee: remote AS '$ras' is not a number"; return 1; }
    _anchors_check_timers "$tx" "$rx" "$mult" "$hold" "$ka" || return 1
    if { [ "$hold" = - ] && [ "$ka" != - ]; } || { [ "$hold" != - ] && [ "$ka" = - ]; }; then
        lab_log "msee: give --hold and --keepalive together"; return 1
    fi
    # Passwords go into config files unquoted (FRR) or in double quotes (BIRD, TOML).
    [[ "$md5" =~ ^[A-Za-z0-9._~+=-]*$ ]] || { lab_log "msee: MD5 key: letters, digits and ._~+=- only"; return 1; }
    ns=$(lab_ns edge)
    ip netns list 2>/dev/null | grep -qw "^$ns" || { lab_log "msee: namespace $ns does not exist (lab_up?)"; return 1; }
    if [ -d "$(_anchors_dir "$ns")" ] || [ -d "$LAB_RUN/bfd-$ns" ]; then
        lab_log "msee: $ns already runs the anchors' edge or a BFD peer (anchors_edge_stop / lab_edge_bfd_stop first)"
        return 1
    fi
    msee_stop
    dir=$(_msee_dir)
    mkdir -p "$dir" || return 1
    echo "$impl" >"$dir/impl"
    "_msee_${impl}_start" "$dir" "$ns" "$ras" "$md5" "$tx" "$rx" "$mult" "$hold" "$ka" "$passive" || rc=$?
    if [ "$rc" -ne 0 ]; then msee_stop; return 1; fi
    lab_log "msee: $impl AS $MSEE_ASN in $ns → $MSEE_NEIGHBOR AS $ras$( [ -n "$md5" ] && printf ', MD5')$(_anchors_is_on "$tx" && printf ', BFD %s/%s ms × %s' "$tx" "$rx" "$mult")$(_anchors_is_on "$hold" && printf ', hold %s s keepalive %s s' "$hold" "$ka")$( [ "$passive" = 1 ] && printf ', passive')"
}

msee_stop() {
    local ns dir; ns=$(lab_ns edge); dir=$(_msee_dir)
    [ -d "$dir" ] || return 0
    _anchors_kill_dir "$dir"
    [ "$(_msee_impl)" = frr ] && rm -rf "/var/run/frr/${ns:?}"
    rm -rf "${dir:?}"
    return 0
}

# ------------------------------------------------------------------------------------------ checks
msee_established() {
    case "$(_msee_impl)" in
        frr)   _msee_frr_neighbor_json | jq -e '.bgpState == "Established"' >/dev/null ;;
        # "onprem  BGP  ---  up  <since>  Established"
        bird)  _msee_birdc show protocols onprem 2>/dev/null | awk '$1 == "onprem" && $NF == "Established" { f = 1 } END { exit !f }' ;;
        gobgp) _msee_gobgp neighbor "$MSEE_NEIGHBOR" 2>/dev/null | grep -qi 'BGP state = established' ;;
        *) return 1 ;;
    esac
}

# msee_received PREFIX: an IPv4 prefix the stand-in holds from 192.168.10.1.
msee_received() {
    [ $# -eq 1 ] || { lab_log "usage: msee_received PREFIX"; return 1; }
    local p=$1
    case "$(_msee_impl)" in
        frr)
            _msee_frr -c "show bgp ipv4 unicast neighbors $MSEE_NEIGHBOR routes json" 2>/dev/null \
                | jq -e --arg p "$p" '.routes | has($p)' >/dev/null ;;
        bird)
            # "172.16.0.0/24  unicast [onprem 12:00:00.000] * (100) [AS65010i]"
            _msee_birdc show route "$p" protocol onprem 2>/dev/null | awk -v p="$p" '$1 == p { f = 1 } END { exit !f }' ;;
        gobgp)
            # "   Network              Next Hop             AS_PATH ..."; the prefix is the first
            # field, after a status column of "*>" or "*" (fields 1 or 2).
            _msee_gobgp neighbor "$MSEE_NEIGHBOR" adj-in -a ipv4 2>/dev/null \
                | awk -v p="$p" '$1 == p || $2 == p { f = 1 } END { exit !f }' ;;
        *) return 1 ;;
    esac
}

msee_bfd_up() {
    case "$(_msee_impl)" in
        frr)
            _msee_frr -c 'show bfd peers json' 2>/dev/null \
                | jq -e --arg p "$MSEE_NEIGHBOR" 'any(.[]; .peer == $p and .status == "up")' >/dev/null ;;
        # "IP address  Interface  State  Since  Interval  Timeout"
        bird) _msee_birdc show bfd sessions 2>/dev/null | awk -v p="$MSEE_NEIGHBOR" '$1 == p && $3 == "Up" { f = 1 } END { exit !f }' ;;
        *) return 1 ;;
    esac
}

msee_status() {
    local impl; impl=$(_msee_impl)
    printf '[msee %s: %s]\n' "$(lab_ns edge)" "${impl:-not running}"
    case "$impl" in
        frr)
            _msee_frr -c "show bgp neighbors $MSEE_NEIGHBOR" -c 'show bgp ipv4 unicast' -c 'show bfd peers brief' 2>&1 ;;
        bird)
            _msee_birdc show protocols all onprem 2>&1
            _msee_birdc show route 2>&1
            _msee_birdc show bfd sessions 2>&1 ;;
        gobgp)
            _msee_gobgp neighbor "$MSEE_NEIGHBOR" 2>&1
            _msee_gobgp global rib -a ipv4 2>&1
            tail -20 "$(_msee_dir)/gobgpd.log" 2>&1 ;;
    esac
    return 0
}
