# shellcheck shell=bash
# lab/anchors.sh — reference routers ("anchors") for the namespace lab: the same ExpressRoute failure
# handled by FRR and BIRD 2 with BGP + BFD, the way an on-prem router does it in the field.
# Source it AFTER lab/netns.sh (uses lab_ns, lab_log, lab_wait_for, LAB_RUN).
#
# The MSEE stand-in, in ${LAB}-edge (onprem0 192.168.10.2): FRR zebra + bgpd + bfdd, AS 12076,
# announcing 10.200.0.0/16 to 192.168.10.1 (AS 65010) and passing what it learns from there on to the
# VNet's gateways (lab/azure.sh). Neither side advertises BGP graceful restart
# (`bgp graceful-restart-disable`), connect retry 1 s. The on-prem anchors announce the LAN
# (ANCHORS_LAN, 172.16.0.0/24) to it, as hedge does, so Azure's return direction follows ExpressRoute.
#
#   anchors_edge_start MODE TX_MS RX_MS MULT HOLD_S KEEPALIVE_S [MD5]
#       MODE  bgp-bfd   BGP with BFD (profile "anchors": TX/RX/MULT) on the neighbour
#             bgp       BGP only (no BFD; TX/RX/MULT ignored, give "-")
#             bfd-only  no BGP neighbour toward onprem, only a configured single-hop BFD peer
#                       192.168.10.1 on onprem0 — for an on-prem agent that speaks BFD but not BGP
#                       (hedge today; its BGP is being wired in parallel: switch it to bgp-bfd then)
#       HOLD_S KEEPALIVE_S  BGP timers on the neighbour ("-" = FRR defaults); MD5 = TCP MD5 password.
#   anchors_edge_stop
#
# The on-prem anchors, in ${LAB}-onprem (only one at a time owns the kernel FIB there):
#   anchors_frr_start TX_MS RX_MS MULT HOLD_S KEEPALIVE_S [MD5]
#       zebra + bgpd + bfdd + staticd: neighbor 192.168.10.2 remote-as 12076 with `bfd profile anchors`
#       (TX_MS "-" or 0 = no BFD), ER route from BGP (distance 20), VPN as the floating static
#       10.200.0.0/16 via 192.168.20.2 distance 250.
#   anchors_bird_start TX_MS RX_MS MULT HOLD_S KEEPALIVE_S [MD5]
#       BIRD 2: protocol bgp (bfd on) + bfd (interface er0 timers) + kernel (export all) + static VPN
#       route at preference 50 (BGP's default is 100).
#   ANCHORS_VPN=bgp: both also speak BGP over the tunnel to Azure's VPN gateway (lab/azure.sh),
#       announcing the LAN there, importing nothing. With ANCHORS_STEER=cond, FRR also steers the
#       return path with BGP conditional advertisement (the LAN's halves over the VPN while the VNet's
#       route from the MSEE is gone; scanner every 5 s, its minimum).
#   ANCHORS_FRR_MORE=FUNC: anchors_frr_start calls FUNC DIR BFD(0/1) once its configs are written,
#       before the daemons start, to add to them (lab/link2.sh: the second link's neighbour).
#   anchors_frr_stop / anchors_bird_stop
#   anchors_wait_er SECONDS        waits until onprem's kernel routes 10.200.0.4 via er0
#   anchors_status frr|bird|edge   daemon's own view (BGP/BFD state, route), for logs
#
# Scratch (configs, pid files, logs with ms timestamps, BIRD socket): $LAB_RUN/anchors-<ns>/.
# FRR vty sockets: /var/run/frr/<ns> (what `vtysh -N <ns>` uses). Daemons run inside the namespaces,
# so lab_down's kill of `ip netns pids` ends them too. Functions return non-zero on failure and do not
# change the caller's shell options.

: "${ANCHORS_FRR_LIBDIR:=/usr/lib/frr}"
ANCHORS_LAN=172.16.0.0/24          # what the on-prem anchors announce to the MSEE (hedge's lab configs too)
ANCHORS_AZURE_PEER=10.255.1.2      # the VNet's gateways (lab/azure.sh), seen from the MSEE

_anchors_dir() { printf '%s/anchors-%s\n' "$LAB_RUN" "$1"; }   # FULL_NS

_anchors_kill_dir() {  # dir: TERM every *.pid in it, wait ≤ 2 s, KILL the rest
    local dir=$1 f p pids=''
    for f in "$dir"/*.pid; do [ -s "$f" ] && pids="$pids $(cat "$f")"; done
    # shellcheck disable=SC2086
    lab_stop_pids $pids
}

_anchors_is_on() { case "$1" in ''|-|0) return 1 ;; *) return 0 ;; esac; }

_anchors_check_timers() { # tx rx mult hold ka: each an integer or "-"
    local v
    for v in "$@"; do
        [ "$v" = - ] || [[ "$v" =~ ^[0-9]+$ ]] || { lab_log "anchors: timer '$v' is not an integer or -"; return 1; }
    done
}

# _anchors_frr_launch NS DIR DAEMON...: starts the FRR daemons of DIR/<daemon>.conf in NS (zebra first).
_anchors_frr_launch() {
    local ns=$1 dir=$2 d; shift 2
    local vdir=/var/run/frr/$ns
    mkdir -p "$vdir" || return 1
    chown frr:frr "$dir" "$vdir" "$dir"/*.conf || return 1
    chmod 755 "$vdir"
    for d in "$@"; do
        # -P 0: no TCP vty. Logging is `log file` in each config (opened after dropping to user frr).
        ip netns exec "$ns" "$ANCHORS_FRR_LIBDIR/$d" -d -N "$ns" -f "$dir/$d.conf" -i "$dir/$d.pid" \
            -P 0 >>"$dir/start.err" 2>&1 || { lab_log "anchors: $d failed in $ns: $(tail -3 "$dir/start.err")"; return 1; }
        if [ "$d" = zebra ]; then
            lab_wait_for 5 test -S "$vdir/zserv.api" || { lab_log "anchors: zebra in $ns opened no zserv.api"; return 1; }
        fi
    done
}

_anchors_frr_common() { # dir ns : zebra.conf (+ log header helper)
    local dir=$1 ns=$2
    cat >"$dir/zebra.conf" <<EOF
hostname $ns
log timestamp precision 3
log file $dir/zebra.log informational
!
EOF
}

_anchors_frr_bfd_conf() { # dir ns tx rx mult [static-peer iface]
    local dir=$1 ns=$2 tx=$3 rx=$4 mult=$5 peer=${6:-} iface=${7:-}
    {
        printf 'hostname %s\nlog timestamp precision 3\nlog file %s/bfdd.log debugging\ndebug bfd peer\n!\n' "$ns" "$dir"
        printf 'bfd\n profile anchors\n  detect-multiplier %s\n  receive-interval %s\n  transmit-interval %s\n exit\n' \
            "$mult" "$rx" "$tx"
        if [ -n "$peer" ]; then
            printf ' peer %s interface %s\n  profile anchors\n  no shutdown\n exit\n' "$peer" "$iface"
        fi
        printf 'exit\n!\n'
    } >"$dir/bfdd.conf"
}

# _anchors_frr_bgp_conf DIR NS ASN ROUTER_ID NEIGHBOR PEER_AS BFD(0/1) HOLD KA MD5 NETWORK
_anchors_frr_bgp_conf() {
    local dir=$1 ns=$2 asn=$3 rid=$4 nb=$5 pas=$6 bfd=$7 hold=$8 ka=$9 md5=${10} net=${11}
    {
        printf 'frr defaults traditional\nhostname %s\nlog timestamp precision 3\n' "$ns"
        printf 'log file %s/bgpd.log informational\ndebug bgp neighbor-events\ndebug bgp bfd\n!\n' "$dir"
        printf 'router bgp %s\n bgp router-id %s\n no bgp ebgp-requires-policy\n no bgp network import-check\n' "$asn" "$rid"
        printf ' bgp log-neighbor-changes\n'   # "%%ADJCHANGE ... Up": bench/failover's scale scenario times learning from it
        # No graceful-restart capability: with it, a BGP speaker that loses the session by hold-timer
        # expiry may keep the peer's routes as stale for the restart time (BIRD does, 120 s), so
        # bgp-hold would measure GR, not the hold timer.
        printf ' bgp graceful-restart-disable\n'
        printf ' neighbor %s remote-as %s\n neighbor %s timers connect 1\n' "$nb" "$pas" "$nb"
        if _anchors_is_on "$hold"; then printf ' neighbor %s timers %s %s\n' "$nb" "$ka" "$hold"; fi
        if [ "$bfd" = 1 ]; then printf ' neighbor %s bfd\n neighbor %s bfd profile anchors\n' "$nb" "$nb"; fi
        if [ -n "$md5" ]; then printf ' neighbor %s password %s\n' "$nb" "$md5"; fi
        if [ -n "$net" ]; then
            # The MSEE passes what it learns from on-prem to the VNet's gateways (lab/azure.sh), at
            # once (no advertisement interval), and withdraws it there when the on-prem session dies.
            printf ' neighbor %s remote-as 65515\n neighbor %s timers connect 1\n neighbor %s advertisement-interval 0\n' \
                "$ANCHORS_AZURE_PEER" "$ANCHORS_AZURE_PEER" "$ANCHORS_AZURE_PEER"
        fi
        printf ' address-family ipv4 unicast\n'
        if [ -n "$net" ]; then
            printf '  network %s\n' "$net"
            # LAB_PREFIXES (lab/netns.sh): the MSEE also announces the scale range, one /24 each.
            if [ "${LAB_PREFIXES:-0}" -gt 0 ]; then
                lab_scale_prefixes '  network %s\n'
            fi
            printf '  neighbor %s route-map MSEE-TO-VNET out\n' "$ANCHORS_AZURE_PEER"
        else
            # on-prem: its LAN, as an on-prem router announces it to the MSEE (Azure routes the
            # return direction by it)
            printf '  network %s\n  neighbor %s prefix-list ANCHORS-LAN out\n' "$ANCHORS_LAN" "$nb"
        fi
        printf ' exit-address-family\nexit\n!\n'
        if [ -n "$net" ]; then
            printf 'bgp as-path access-list MSEE-OWN seq 5 permit ^$\n'
            printf 'route-map MSEE-TO-VNET deny 10\n match as-path MSEE-OWN\nexit\nroute-map MSEE-TO-VNET permit 20\nexit\n!\n'
        else
            printf 'ip prefix-list ANCHORS-LAN seq 5 permit %s\n!\n' "$ANCHORS_LAN"
        fi
    } >"$dir/bgpd.conf"
}

# ------------------------------------------------------------------------------------------ edge (MSEE)
anchors_edge_start() {
    [ $# -ge 6 ] || { lab_log "usage: anchors_edge_start bgp-bfd|bgp|bfd-only TX_MS RX_MS MULT HOLD_S KEEPALIVE_S [MD5]"; return 1; }
    local mode=$1 tx=$2 rx=$3 mult=$4 hold=$5 ka=$6 md5=${7:-} ns dir bfd=0
    _anchors_check_timers "$tx" "$rx" "$mult" "$hold" "$ka" || return 1
    ns=$(lab_ns edge); dir=$(_anchors_dir "$ns")
    anchors_edge_stop
    mkdir -p "$dir" || return 1
    _anchors_frr_common "$dir" "$ns"
    local daemons=(zebra)
    case "$mode" in
        bgp-bfd)
            bfd=1
            _anchors_frr_bfd_conf "$dir" "$ns" "$tx" "$rx" "$mult"
            _anchors_frr_bgp_conf "$dir" "$ns" 12076 192.168.10.2 192.168.10.1 65010 1 "$hold" "$ka" "$md5" 10.200.0.0/16
            daemons+=(bfdd bgpd) ;;
        bgp)
            _anchors_frr_bgp_conf "$dir" "$ns" 12076 192.168.10.2 192.168.10.1 65010 0 "$hold" "$ka" "$md5" 10.200.0.0/16
            daemons+=(bgpd) ;;
        bfd-only)
            bfd=1
            _anchors_frr_bfd_conf "$dir" "$ns" "$tx" "$rx" "$mult" 192.168.10.1 onprem0
            daemons+=(bfdd) ;;
        *) lab_log "anchors_edge_start: mode must be bgp-bfd, bgp or bfd-only"; return 1 ;;
    esac
    echo "$mode" >"$dir/mode"
    _anchors_frr_launch "$ns" "$dir" "${daemons[@]}" || { anchors_edge_stop; return 1; }
    lab_log "anchors: edge (MSEE stand-in, FRR AS 12076) $mode$( [ "$bfd" = 1 ] && printf ', BFD %s/%s ms × %s' "$tx" "$rx" "$mult")$(_anchors_is_on "$hold" && printf ', hold %s s keepalive %s s' "$hold" "$ka")"
}
anchors_edge_stop() {
    local ns dir; ns=$(lab_ns edge); dir=$(_anchors_dir "$ns")
    _anchors_kill_dir "$dir"
    rm -rf "/var/run/frr/${ns:?}" "${dir:?}"
    return 0
}

# ------------------------------------------------------------------------------------------ onprem FRR
anchors_frr_start() {
    [ $# -ge 5 ] || { lab_log "usage: anchors_frr_start TX_MS RX_MS MULT HOLD_S KEEPALIVE_S [MD5]"; return 1; }
    local tx=$1 rx=$2 mult=$3 hold=$4 ka=$5 md5=${6:-} ns dir bfd=0
    _anchors_check_timers "$tx" "$rx" "$mult" "$hold" "$ka" || return 1
    ns=$(lab_ns onprem); dir=$(_anchors_dir "$ns")
    anchors_frr_stop
    if [ "${ANCHORS_VPN:-static}" = bgp ]; then azure_onprem_vpngw_route || return 1; fi
    mkdir -p "$dir" || return 1
    _anchors_frr_common "$dir" "$ns"
    local daemons=(zebra)
    if _anchors_is_on "$tx"; then
        bfd=1
        _anchors_frr_bfd_conf "$dir" "$ns" "$tx" "$rx" "$mult"
        daemons+=(bfdd)
    fi
    _anchors_frr_bgp_conf "$dir" "$ns" 65010 192.168.10.1 192.168.10.2 12076 "$bfd" "$hold" "$ka" "$md5" ""
    if [ "${ANCHORS_VPN:-static}" = bgp ]; then
        # BGP over the tunnel to Azure's VPN gateway (lab/azure.sh), as Azure configures it: the LAN
        # announced there too, so the VNet's return falls back to the VPN; nothing imported (the VNet's
        # route over the VPN stays the floating static).
        printf 'router bgp 65010\n neighbor %s remote-as 65515\n neighbor %s update-source %s\n neighbor %s ebgp-multihop 2\n neighbor %s timers connect 1\n address-family ipv4 unicast\n  neighbor %s prefix-list ANCHORS-LAN out\n  neighbor %s route-map ANCHORS-NONE in\n exit-address-family\nexit\nroute-map ANCHORS-NONE deny 10\nexit\n!\n' \
            "$AZURE_VPNGW_APIPA" "$AZURE_VPNGW_APIPA" "$AZURE_ONPREM_APIPA" "$AZURE_VPNGW_APIPA" "$AZURE_VPNGW_APIPA" "$AZURE_VPNGW_APIPA" "$AZURE_VPNGW_APIPA" >>"$dir/bgpd.conf"
        if [ "${ANCHORS_STEER:-}" = cond ]; then
            # FRR's own return-path steering, at its best: BGP conditional advertisement announces the
            # LAN's halves over the VPN while the VNet's route from the MSEE is missing, checked by
            # the scanner at its shortest period (5 s; the default is 60).
            cat >>"$dir/bgpd.conf" <<EOF
router bgp 65010
 bgp conditional-advertisement timer 5
 address-family ipv4 unicast
  network 172.16.0.0/25
  network 172.16.0.128/25
  neighbor $AZURE_VPNGW_APIPA prefix-list ANCHORS-LAN-HALVES out
  neighbor $AZURE_VPNGW_APIPA advertise-map ANCHORS-HALVES non-exist-map ANCHORS-ER-UP
 exit-address-family
exit
ip prefix-list ANCHORS-LAN-HALVES seq 5 permit $ANCHORS_LAN le 25
ip prefix-list ANCHORS-HALVES-ONLY seq 5 permit $ANCHORS_LAN ge 25 le 25
ip prefix-list ANCHORS-VNET seq 5 permit 10.200.0.0/16
bgp as-path access-list ANCHORS-FROM-MSEE seq 5 permit ^12076_
route-map ANCHORS-HALVES permit 10
 match ip address prefix-list ANCHORS-HALVES-ONLY
exit
route-map ANCHORS-ER-UP permit 10
 match ip address prefix-list ANCHORS-VNET
 match as-path ANCHORS-FROM-MSEE
exit
!
EOF
        fi
    fi
    {
        printf 'hostname %s\nlog timestamp precision 3\nlog file %s/staticd.log informational\n!\nip route 10.200.0.0/16 192.168.20.2 250\n' "$ns" "$dir"
        # the scale range's VPN fallback: its aggregates (the learned /24s are more specific)
        if [ "${LAB_PREFIXES:-0}" -gt 0 ]; then local p; for p in "${LAB_SCALE_AGGREGATES[@]}"; do printf 'ip route %s 192.168.20.2 250\n' "$p"; done; fi
        printf '!\n'
    } >"$dir/staticd.conf"
    daemons+=(staticd bgpd)
    if [ -n "${ANCHORS_FRR_MORE:-}" ]; then "$ANCHORS_FRR_MORE" "$dir" "$bfd" || return 1; fi
    echo frr >"$dir/impl"
    _anchors_frr_launch "$ns" "$dir" "${daemons[@]}" || { anchors_frr_stop; return 1; }
    if [ "${ANCHORS_VPN:-static}" = bgp ]; then
        # FRR 8.4 started with its daemons at once sometimes counts the LAN as sent to the VPN gateway
        # while the gateway never receives it (seen in the lab; a bgpd restarted alone does not do
        # it). A soft resend then delivers it: what an operator would do on seeing it.
        if ! lab_wait_for 8 azure_vpngw_received "$ANCHORS_LAN"; then
            lab_log "anchors: the VPN gateway has not got $ANCHORS_LAN from FRR: clear bgp $AZURE_VPNGW_APIPA soft out"
            vtysh -N "$ns" -c "clear bgp $AZURE_VPNGW_APIPA soft out" >/dev/null 2>&1
        fi
    fi
    lab_log "anchors: onprem FRR (AS 65010) bgp$( [ "$bfd" = 1 ] && printf ' + BFD %s/%s ms × %s' "$tx" "$rx" "$mult")$(_anchors_is_on "$hold" && printf ', hold %s s keepalive %s s' "$hold" "$ka"), static VPN distance 250"
}
anchors_frr_stop() {
    local ns dir; ns=$(lab_ns onprem); dir=$(_anchors_dir "$ns")
    [ "$(cat "$dir/impl" 2>/dev/null)" = frr ] || [ ! -e "$dir/impl" ] || return 0
    _anchors_kill_dir "$dir"
    rm -rf "/var/run/frr/${ns:?}" "${dir:?}"
    return 0
}

# ------------------------------------------------------------------------------------------ onprem BIRD
anchors_bird_start() {
    [ $# -ge 5 ] || { lab_log "usage: anchors_bird_start TX_MS RX_MS MULT HOLD_S KEEPALIVE_S [MD5]"; return 1; }
    local tx=$1 rx=$2 mult=$3 hold=$4 ka=$5 md5=${6:-} ns dir bfd=0
    _anchors_check_timers "$tx" "$rx" "$mult" "$hold" "$ka" || return 1
    ns=$(lab_ns onprem); dir=$(_anchors_dir "$ns")
    anchors_bird_stop
    if [ "${ANCHORS_VPN:-static}" = bgp ]; then azure_onprem_vpngw_route || return 1; fi
    mkdir -p "$dir" || return 1
    _anchors_is_on "$tx" && bfd=1
    {
        printf 'log "%s/bird.log" all;\ntimeformat log "%%F %%T.%%3f";\ntimeformat protocol "%%F %%T.%%3f";\n' "$dir"
        printf 'router id 192.168.10.1;\n'
        printf 'protocol device { scan time 10; }\n'
        if [ "$bfd" = 1 ]; then
            printf 'protocol bfd {\n    debug { states, events };\n    interface "er0" { min rx interval %s ms; min tx interval %s ms; multiplier %s; };\n}\n' \
                "$rx" "$tx" "$mult"
        fi
        printf '# VPN: the floating route (BGP routes have preference 100).\n'
        printf 'protocol static static_vpn { ipv4 { preference 50; }; route 10.200.0.0/16 via 192.168.20.2;'
        if [ "${LAB_PREFIXES:-0}" -gt 0 ]; then local p; for p in "${LAB_SCALE_AGGREGATES[@]}"; do printf ' route %s via 192.168.20.2;' "$p"; done; fi
        printf ' }\n'
        printf 'protocol bgp msee {\n    debug { states, events };\n    local 192.168.10.1 as 65010;\n    neighbor 192.168.10.2 as 12076;\n'
        printf '    connect retry time 1;\n    error wait time 1, 2;\n'
        if _anchors_is_on "$hold"; then printf '    hold time %s;\n    keepalive time %s;\n' "$hold" "$ka"; fi
        [ "$bfd" = 1 ] && printf '    bfd on;\n'
        [ -n "$md5" ] && printf '    password "%s";\n' "$md5"
        printf '    ipv4 { import all; export where proto = "lan"; };\n}\n'
        printf '# the LAN, announced to the MSEE (never into the kernel: it is connected on-prem)\n'
        printf 'protocol static lan { ipv4; route %s unreachable; }\n' "$ANCHORS_LAN"
        printf 'protocol kernel { ipv4 { import none; export where proto != "lan"; }; scan time 10; }\n'
        if [ "${ANCHORS_VPN:-static}" = bgp ]; then
            printf '# BGP over the tunnel to the VPN gateway: the LAN announced there too, nothing imported\n'
            printf 'protocol bgp vpngw {\n    local %s as 65010;\n    neighbor %s as 65515;\n    multihop 2;\n' "$AZURE_ONPREM_APIPA" "$AZURE_VPNGW_APIPA"
            printf '    connect retry time 1;\n    graceful restart off;\n    ipv4 { import none; export where proto = "lan"; };\n}\n'
        fi
    } >"$dir/bird.conf"
    chmod 644 "$dir/bird.conf"
    echo bird >"$dir/impl"
    ip netns exec "$ns" bird -c "$dir/bird.conf" -s "$dir/bird.ctl" -P "$dir/bird.pid" >>"$dir/start.err" 2>&1 \
        || { lab_log "anchors: bird failed in $ns: $(cat "$dir/start.err")"; anchors_bird_stop; return 1; }
    lab_log "anchors: onprem BIRD (AS 65010) bgp$( [ "$bfd" = 1 ] && printf ' + BFD %s/%s ms × %s' "$tx" "$rx" "$mult")$(_anchors_is_on "$hold" && printf ', hold %s s keepalive %s s' "$hold" "$ka"), static VPN preference 50"
}
anchors_bird_stop() {
    local ns dir; ns=$(lab_ns onprem); dir=$(_anchors_dir "$ns")
    [ "$(cat "$dir/impl" 2>/dev/null)" = bird ] || [ ! -e "$dir/impl" ] || return 0
    _anchors_kill_dir "$dir"
    rm -rf "${dir:?}"
    return 0
}

# ------------------------------------------------------------------------------------------ checks
_anchors_er_now() {
    case "$(ip -n "$(lab_ns onprem)" route get "$(lab_target)" from 172.16.0.1 2>/dev/null)" in
        *" dev er0 "*) return 0 ;;
        *) return 1 ;;
    esac
}
# anchors_wait_er SECONDS: onprem's kernel routes 10.200.0.0/16 (10.200.0.4) via er0.
anchors_wait_er() { lab_wait_for "${1:-15}" _anchors_er_now; }

anchors_status() { # frr|bird|edge
    local ns dir
    case "$1" in
        frr|edge)
            ns=$(lab_ns "$( [ "$1" = edge ] && echo edge || echo onprem)")
            vtysh -N "$ns" -c 'show bgp summary' -c 'show bfd peers brief' -c 'show ip route 10.200.0.0/16' 2>&1 ;;
        bird)
            ns=$(lab_ns onprem); dir=$(_anchors_dir "$ns")
            birdc -s "$dir/bird.ctl" show protocols 2>&1
            birdc -s "$dir/bird.ctl" show bfd sessions 2>&1
            birdc -s "$dir/bird.ctl" show route 10.200.0.0/16 all 2>&1 | head -20 ;;
        *) lab_log "usage: anchors_status frr|bird|edge"; return 1 ;;
    esac
}
