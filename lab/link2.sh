# shellcheck shell=bash
# lab/link2.sh — the circuit's second link for the namespace lab: an ExpressRoute circuit has two
# links (primary and secondary MSEE, one /30 and one BGP session each), and both carry traffic at once.
# Source it AFTER lab/netns.sh (uses lab_ns, lab_log, lab_wait_for, lab_target, LAB_RUN and the FRR
# helpers of lab/anchors.sh); call link2_up after lab_up.
#
#   ${LAB}-onprem  er0 192.168.10.1/30 ── ${LAB}-edge  onprem0 192.168.10.2/30   primary MSEE (netns.sh)
#                  er1 192.168.11.1/30 ── ${LAB}-edge2 onprem0 192.168.11.2/30   secondary MSEE
#   ${LAB}-edge2   azure0 10.255.3.1/30 ── ${LAB}-azure edge1 10.255.3.2/30
#
#   link2_up                 the second link, its MSEE namespace, and Azure's second peering (lab/azure.sh's
#                            FRR gains neighbour 10.255.3.1 AS 12076, same policy as the first, and
#                            `maximum-paths 2`: the VNet's way back to on-prem is ECMP over both MSEEs
#                            while both pass on the LAN, the surviving one when one withdraws it)
#   link2_msee_start TX RX MULT   both MSEE stand-ins (FRR bgpd + bfdd, AS 12076, announcing
#                            10.200.0.0/16 to on-prem, passing what on-prem announces on to Azure; each
#                            withdraws it there when its BFD with on-prem goes down); TX "-" = no BFD
#   link2_msee_stop
#   link2_msee_status        both MSEEs' view (BGP, BFD), for logs
#   link2_frr_start TX RX MULT    on-prem FRR: bgpd with both neighbours, `maximum-paths 2`, BFD on both,
#                            the LAN announced on both, VPN floating static 10.200.0.0/16 distance 250
#   link2_bird_start TX RX MULT   on-prem BIRD 2: two bgp protocols (bfd on), bfd on er0 and er1, kernel
#                            protocol with `merge paths on`, VPN static at preference 50
#   link2_frr_stop / link2_bird_stop
#   link2_fail_far er0|er1 / link2_restore_far er0|er1   lab_fail_far on that link's MSEE
#   link2_ways               devices onprem's kernel uses toward the VNet host over a spread of UDP
#                            source ports: "er0 er1" (ECMP), "er1", "vpn0", ... (sorted, space-separated)
#   link2_azure_ways         the same for the VNet host's way back to the LAN: "edge0 edge1", "edge1", "vpn0"
#   link2_flow_dev SPORT DPORT         the device onprem's kernel picks for the UDP flow 172.16.0.1:SPORT → VNet host:DPORT
#   link2_azure_flow_dev SPORT DPORT   the device Azure picks for VNet host:SPORT → 172.16.0.1:DPORT
#
# The kernels hash multipath routes on the 5-tuple (fib_multipath_hash_policy 1) in onprem and azure,
# as routers and Azure's edge do, so flows of one host pair spread over both links.
# Simplified, and said so: Azure's side is one router (FRR) doing ECMP from the two MSEEs' BGP; in the
# field each MSEE and the gateway instances hash on their own. The secondary's peering /30 is routed
# back the way it came by a static route, as netns.sh does for the primary's.

LINK2_NS=edge2
LAB_NAMESPACES+=("$LINK2_NS")   # lab_down removes it with the others
LINK2_PORTS=$(seq 40000 40031)  # the source ports link2_ways spreads over

_link2_on() { lab_ns onprem; }
_link2_ed() { lab_ns "$LINK2_NS"; }

link2_up() {
    local on az e2; on=$(lab_ns onprem); az=$(lab_ns azure); e2=$(_link2_ed)
    [ "$LAB_PREFIXES" = 0 ] || { lab_log "link2: LAB_PREFIXES is not supported with the second link"; return 1; }
    (
        set -euo pipefail
        ip netns add "$e2"
        ip -n "$e2" link set lo up
        ip netns exec "$e2" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
        # own ifindexes on both ends, as netns.sh does (linkwatch would otherwise hold carrier changes back)
        ip -n "$on" link add er1 index 30 type veth peer name onprem0 index 31 netns "$e2"
        ip -n "$e2" link add azure0 index 32 type veth peer name edge1 index 33 netns "$az"
        ip -n "$on" addr add 192.168.11.1/30 dev er1
        ip -n "$e2" addr add 192.168.11.2/30 dev onprem0
        ip -n "$e2" addr add 10.255.3.1/30 dev azure0
        ip -n "$az" addr add 10.255.3.2/30 dev edge1
        local n
        for n in "$on:er1" "$e2:onprem0 azure0" "$az:edge1"; do
            local ns=${n%%:*} dev
            for dev in ${n#*:}; do
                ip -n "$ns" link set "$dev" up
                ip netns exec "$ns" sysctl -qw "net.ipv4.conf.$dev.rp_filter=0"
            done
        done
        ip -n "$e2" route add 10.200.0.0/16 via 10.255.3.2 dev azure0
        ip -n "$e2" route add 172.16.0.0/16 via 192.168.11.1 dev onprem0
        ip -n "$az" route add 192.168.11.0/30 via 10.255.3.1 dev edge1
        ip netns exec "$on" sysctl -qw net.ipv4.fib_multipath_hash_policy=1
        ip netns exec "$az" sysctl -qw net.ipv4.fib_multipath_hash_policy=1
        ip netns exec "$on" ping -c1 -W1 -q 192.168.11.2 >/dev/null
    ) >/dev/null || { lab_log "link2: the second link did not come up"; return 1; }
    _link2_azure_peer || return 1
    lab_log "link2: up: er1 ── $e2 ── azure edge1; multipath hash on the 5-tuple"
}

# Azure's second ExpressRoute peering, added to lab/azure.sh's running FRR (its configuration is a
# command sequence: entering the router again adds to it).
_link2_azure_peer() {
    [ "$AZURE_ROUTER" = frr ] || { lab_log "link2: Azure's second peering is modelled in FRR only (AZURE_ROUTER=frr)"; return 1; }
    [ -d "$(_azure_dir)" ] || { lab_log "link2: Azure's routing (lab/azure.sh) is not running"; return 1; }
    vtysh -N "$(lab_ns azure)" -c 'configure terminal' -c "router bgp $AZURE_ASN" \
        -c 'neighbor 10.255.3.1 remote-as 12076' -c 'neighbor 10.255.3.1 description ExpressRoute-MSEE-secondary' \
        -c 'neighbor 10.255.3.1 timers connect 1' -c 'address-family ipv4 unicast' -c 'maximum-paths 2' \
        -c 'neighbor 10.255.3.1 route-map AZURE-FROM-ER in' -c 'neighbor 10.255.3.1 route-map AZURE-NOTHING out' \
        2> >(grep -v "^% Can't open configuration file" >&2) >/dev/null ||
        { lab_log "link2: vtysh refused Azure's second peering"; return 1; }
}

# ------------------------------------------------------------------------------------------ MSEEs
link2_msee_start() {
    [ $# -eq 3 ] || { lab_log "usage: link2_msee_start TX RX MULT"; return 1; }
    local tx=$1 rx=$2 mult=$3 ns dir
    if _anchors_is_on "$tx"; then anchors_edge_start bgp-bfd "$tx" "$rx" "$mult" - - || return 1
    else anchors_edge_start bgp - - - - - || return 1; fi
    ns=$(_link2_ed); dir=$(_anchors_dir "$ns")
    _link2_msee2_stop
    mkdir -p "$dir" || return 1
    _anchors_frr_common "$dir" "$ns"
    local daemons=(zebra) bfd=0
    if _anchors_is_on "$tx"; then
        bfd=1
        _anchors_frr_bfd_conf "$dir" "$ns" "$tx" "$rx" "$mult"
        daemons+=(bfdd)
    fi
    # the primary's configuration with the secondary's addresses; its Azure side is 10.255.3.2
    ANCHORS_AZURE_PEER=10.255.3.2 _anchors_frr_bgp_conf "$dir" "$ns" 12076 192.168.11.2 192.168.11.1 65010 "$bfd" - - "" 10.200.0.0/16
    daemons+=(bgpd)
    _anchors_frr_launch "$ns" "$dir" "${daemons[@]}" || { link2_msee_stop; return 1; }
    lab_log "link2: secondary MSEE stand-in (FRR AS 12076) in $ns$(_anchors_is_on "$tx" && printf ', BFD %s/%s ms × %s' "$tx" "$rx" "$mult")"
}
_link2_msee2_stop() {
    local ns dir; ns=$(_link2_ed); dir=$(_anchors_dir "$ns")
    _anchors_kill_dir "$dir"
    rm -rf "/var/run/frr/${ns:?}" "${dir:?}"
}
link2_msee_stop() { anchors_edge_stop; _link2_msee2_stop; return 0; }
link2_msee_status() {
    local ns
    for ns in "$(lab_ns edge)" "$(_link2_ed)"; do
        echo "== $ns"
        vtysh -N "$ns" -c 'show bgp summary' -c 'show bfd peers brief' 2>&1 | grep -v "^% Can't open configuration file"
    done
    return 0
}

# ------------------------------------------------------------------------------------------ on-prem FRR
link2_frr_start() {
    [ $# -eq 3 ] || { lab_log "usage: link2_frr_start TX RX MULT"; return 1; }
    ANCHORS_FRR_MORE=_link2_frr_secondary anchors_frr_start "$1" "$2" "$3" - - || return 1
    lab_log "link2: onprem FRR also with the secondary MSEE, maximum-paths 2"
}
# _link2_frr_secondary DIR BFD: anchors_frr_start's configuration gains the same session to the
# secondary MSEE, and eBGP multipath over both.
_link2_frr_secondary() {
    {
        printf 'router bgp 65010\n neighbor 192.168.11.2 remote-as 12076\n neighbor 192.168.11.2 timers connect 1\n'
        if [ "$2" = 1 ]; then printf ' neighbor 192.168.11.2 bfd\n neighbor 192.168.11.2 bfd profile anchors\n'; fi
        printf ' address-family ipv4 unicast\n  maximum-paths 2\n  neighbor 192.168.11.2 prefix-list ANCHORS-LAN out\n exit-address-family\nexit\n!\n'
    } >>"$1/bgpd.conf"
}
link2_frr_stop() { anchors_frr_stop; }

# ------------------------------------------------------------------------------------------ on-prem BIRD
link2_bird_start() {
    [ $# -eq 3 ] || { lab_log "usage: link2_bird_start TX RX MULT"; return 1; }
    local tx=$1 rx=$2 mult=$3 ns dir bfd=0 n
    ns=$(_link2_on); dir=$(_anchors_dir "$ns")
    anchors_bird_stop
    mkdir -p "$dir" || return 1
    _anchors_is_on "$tx" && bfd=1
    {
        printf 'log "%s/bird.log" all;\ntimeformat log "%%F %%T.%%3f";\ntimeformat protocol "%%F %%T.%%3f";\n' "$dir"
        printf 'router id 192.168.10.1;\nprotocol device { scan time 10; }\n'
        if [ "$bfd" = 1 ]; then
            printf 'protocol bfd {\n    debug { states, events };\n'
            for n in er0 er1; do
                printf '    interface "%s" { min rx interval %s ms; min tx interval %s ms; multiplier %s; };\n' "$n" "$rx" "$tx" "$mult"
            done
            printf '}\n'
        fi
        printf '# VPN: the floating route (BGP routes have preference 100).\n'
        printf 'protocol static static_vpn { ipv4 { preference 50; }; route 10.200.0.0/16 via 192.168.20.2; }\n'
        for n in "msee1 192.168.10.1 192.168.10.2" "msee2 192.168.11.1 192.168.11.2"; do
            set -- $n
            printf 'protocol bgp %s {\n    debug { states, events };\n    local %s as 65010;\n    neighbor %s as 12076;\n' "$1" "$2" "$3"
            printf '    connect retry time 1;\n    error wait time 1, 2;\n'
            [ "$bfd" = 1 ] && printf '    bfd on;\n'
            printf '    ipv4 { import all; export where proto = "lan"; };\n}\n'
        done
        printf '# the LAN, announced to both MSEEs (never into the kernel: it is connected on-prem)\n'
        printf 'protocol static lan { ipv4; route %s unreachable; }\n' "$ANCHORS_LAN"
        printf '# ECMP: the best route and the equal ones of the other session become one multipath route\n'
        printf 'protocol kernel { ipv4 { import none; export where proto != "lan"; }; merge paths on; scan time 10; }\n'
    } >"$dir/bird.conf"
    chmod 644 "$dir/bird.conf"
    echo bird >"$dir/impl"
    ip netns exec "$ns" bird -c "$dir/bird.conf" -s "$dir/bird.ctl" -P "$dir/bird.pid" >>"$dir/start.err" 2>&1 \
        || { lab_log "link2: bird failed in $ns: $(cat "$dir/start.err")"; anchors_bird_stop; return 1; }
    lab_log "link2: onprem BIRD (AS 65010) bgp to both MSEEs, merge paths$( [ "$bfd" = 1 ] && printf ' + BFD %s/%s ms × %s' "$tx" "$rx" "$mult"), static VPN preference 50"
}
link2_bird_stop() { anchors_bird_stop; }

# ------------------------------------------------------------------------------------------ failures
link2_fail_far() {
    case "$1" in
        er0) lab_fail_far ;;
        er1) lab_fail_far "$LINK2_NS" ;;
        *) lab_log "usage: link2_fail_far er0|er1"; return 1 ;;
    esac
}
link2_restore_far() {
    case "$1" in
        er0) lab_restore_far ;;
        er1) lab_restore_far "$LINK2_NS" ;;
        *) lab_log "usage: link2_restore_far er0|er1"; return 1 ;;
    esac
}

# ------------------------------------------------------------------------------------------ where flows go
# _link2_gets NS DST SRC DPORT: "route get" for each of LINK2_PORTS as source port, in one `ip -batch`.
_link2_gets() {
    local p
    for p in $LINK2_PORTS; do printf 'route get %s from %s ipproto udp sport %s dport %s\n' "$2" "$3" "$p" "$4"; done |
        ip -n "$(lab_ns "$1")" -batch - 2>/dev/null | grep -o ' dev [^ ]*' | awk '{ print $2 }' | sort -u | paste -sd' '
}
link2_ways() { _link2_gets onprem "$(lab_target)" 172.16.0.1 9000; }
link2_azure_ways() { _link2_gets azure 172.16.0.1 "$(lab_target)" 9001; }
_link2_dev_of() { grep -o ' dev [^ ]*' | awk '{ print $2; exit }'; }
link2_flow_dev() {
    ip -n "$(_link2_on)" route get "$(lab_target)" from 172.16.0.1 ipproto udp sport "$1" dport "$2" 2>/dev/null | _link2_dev_of
}
link2_azure_flow_dev() {
    ip -n "$(lab_ns azure)" route get 172.16.0.1 from "$(lab_target)" ipproto udp sport "$1" dport "$2" 2>/dev/null | _link2_dev_of
}
