# shellcheck shell=bash
# lab/azure.sh — Azure's routing in the namespace lab: the VNet's side decides how traffic returns to
# on-prem the way Azure documents it (docs/azure-model.md), played by a real routing daemon (FRR:
# zebra + bgpd + staticd, AS 65515) in ${LAB}-azure. Source it after lab/netns.sh; lab_up starts it.
#
#   azure_start [static|bgp]   the VNet's gateways:
#       ExpressRoute  eBGP with the MSEE stand-in (edge azure0 10.255.1.1, AS 12076); what it passes on
#                     (on-prem's prefixes) gets local preference 200, so for equal prefixes ExpressRoute
#                     wins whatever the AS path says; routes inside the VNet's own space are refused.
#       VPN, static   the local network gateway's address prefixes (AZURE_LNG_PREFIXES, default the
#                     on-prem LAN 172.16.0.0/16) via the VPN gateway stand-in (vpn azure0 10.255.2.1),
#                     at distance 250: below any BGP route for the same prefix.
#       VPN, bgp      the VPN gateway's own BGP session with on-prem, from its APIPA address
#                     169.254.21.1 (in the VNet) to on-prem's 169.254.21.2 (AS 65010) through the
#                     tunnel stand-in (azure_vpngw_start), multihop; it announces the VNet
#                     10.200.0.0/16; what it learns gets local preference 100.
#       The longest prefix wins first, as in every FIB. AZURE_VPN=static|bgp sets lab_up's mode.
#   AZURE_ROUTER=bird plays the same model in BIRD 2 (see below).
#   azure_stop
#   azure_vpngw_start          the tunnel's APIPA ends (bgp mode; azure_start calls it)
#   azure_onprem_vpngw_route   on-prem's route to the gateway's APIPA (for routers other than hedge)
#   azure_vpngw_received PREFIX  0 when the VPN gateway holds PREFIX from on-prem
#   azure_route_of [ADDR]      which way the VNet sends traffic to ADDR (default the LAN's 172.16.0.1):
#                              expressroute, vpn or none
#   azure_wait_route WAY SECONDS
#   azure_status               FRR's view, for logs
#
# Simplified, and said so: the peering /30s (192.168.10.0/30, 192.168.20.0/30) are routed back the way
# they came by static kernel routes (lab/netns.sh), so each path's probe replies return over that path;
# in the field hedge's probes leave from addresses that path announces. Routes reach the VNet at
# once (no MRAI on the MSEE's side toward the VNet); Azure documents no propagation delay to model.

AZURE_ASN=65515
AZURE_VPNGW_APIPA=169.254.21.1      # the VPN gateway's BGP address (Azure's APIPA range 169.254.21.0–169.254.22.255)
AZURE_ONPREM_APIPA=169.254.21.2     # on-prem's end of the BGP session over the tunnel
AZURE_ER_PEER=10.255.1.1
AZURE_VPN_PEER=10.255.2.1
: "${AZURE_LNG_PREFIXES:=172.16.0.0/16}"
: "${AZURE_VPN:=static}"
# AZURE_ROUTER=bird: the same model played by BIRD 2, which acts on a route the moment it arrives
# (FRR holds received routes 50 ms first): to tell the stand-in's delay from the agent's.
: "${AZURE_ROUTER:=frr}"

_azure_dir() { printf '%s/azure-%s\n' "$LAB_RUN" "$(lab_ns azure)"; }

azure_start() {
    local mode=${1:-$AZURE_VPN} ns dir p
    case "$mode" in static|bgp) ;; *) lab_log "usage: azure_start [static|bgp]"; return 1 ;; esac
    ns=$(lab_ns azure); dir=$(_azure_dir)
    azure_stop
    mkdir -p "$dir" && chmod 755 "$LAB_RUN" "$dir" || return 1
    echo "$mode" >"$dir/mode"
    if [ "$mode" = bgp ]; then azure_vpngw_start || { azure_stop; return 1; }; fi
    if [ "$AZURE_ROUTER" = bird ]; then _azure_bird_start "$mode" "$ns" "$dir" || { azure_stop; return 1; }; return; fi
    _anchors_frr_common "$dir" "$ns"
    {
        printf 'frr defaults traditional\nhostname %s\nlog timestamp precision 3\n' "$ns"
        printf 'log file %s/bgpd.log informational\n!\n' "$dir"
        printf 'router bgp %s\n bgp router-id 10.255.1.2\n no bgp ebgp-requires-policy\n no bgp network import-check\n' "$AZURE_ASN"
        printf ' bgp graceful-restart-disable\n bgp log-neighbor-changes\n'
        printf ' neighbor %s remote-as 12076\n neighbor %s description ExpressRoute-MSEE\n neighbor %s timers connect 1\n' \
            "$AZURE_ER_PEER" "$AZURE_ER_PEER" "$AZURE_ER_PEER"
        if [ "$mode" = bgp ]; then
            # the VPN gateway's session with on-prem, from its APIPA address through the tunnel
            printf ' neighbor %s remote-as 65010\n neighbor %s description VPN-on-prem\n neighbor %s update-source %s\n' \
                "$AZURE_ONPREM_APIPA" "$AZURE_ONPREM_APIPA" "$AZURE_ONPREM_APIPA" "$AZURE_VPNGW_APIPA"
            printf ' neighbor %s ebgp-multihop 2\n neighbor %s timers connect 1\n neighbor %s advertisement-interval 0\n' \
                "$AZURE_ONPREM_APIPA" "$AZURE_ONPREM_APIPA" "$AZURE_ONPREM_APIPA"
            # On-prem opens the session. When both sides connect at once, FRR 8.4 against FRR on-prem
            # sometimes kept the session whose first UPDATE was lost to the collision (seen: the
            # on-prem side counted the LAN sent, the gateway never held it).
            printf ' neighbor %s passive\n' "$AZURE_ONPREM_APIPA"
        fi
        printf ' address-family ipv4 unicast\n'
        printf '  neighbor %s route-map AZURE-FROM-ER in\n  neighbor %s route-map AZURE-NOTHING out\n' "$AZURE_ER_PEER" "$AZURE_ER_PEER"
        if [ "$mode" = bgp ]; then
            # the VNet's address space to on-prem over the VPN, as the gateway announces it
            printf '  network 10.200.0.0/16\n'
            printf '  neighbor %s route-map AZURE-FROM-VPN in\n  neighbor %s prefix-list AZURE-VNET-ONLY out\n' "$AZURE_ONPREM_APIPA" "$AZURE_ONPREM_APIPA"
        fi
        printf ' exit-address-family\nexit\n!\n'
        # The VNet's own address space (and the scale range) is never learned from outside.
        printf 'ip prefix-list AZURE-VNET seq 5 permit 10.200.0.0/16 le 32\n'
        local seq=10
        for p in "${LAB_SCALE_AGGREGATES[@]}"; do printf 'ip prefix-list AZURE-VNET seq %d permit %s le 32\n' "$seq" "$p"; seq=$((seq + 5)); done
        printf 'ip prefix-list AZURE-VNET-ONLY seq 5 permit 10.200.0.0/16\n'
        printf 'route-map AZURE-FROM-ER deny 5\n match ip address prefix-list AZURE-VNET\nexit\n'
        printf 'route-map AZURE-FROM-ER permit 10\n set local-preference 200\nexit\n'
        printf 'route-map AZURE-FROM-VPN deny 5\n match ip address prefix-list AZURE-VNET\nexit\n'
        printf 'route-map AZURE-FROM-VPN permit 10\n set local-preference 100\nexit\n'
        printf 'route-map AZURE-NOTHING deny 10\nexit\n!\n'
    } >"$dir/bgpd.conf"
    {
        printf 'hostname %s\nlog timestamp precision 3\nlog file %s/staticd.log informational\n!\n' "$ns" "$dir"
        if [ "$mode" = static ]; then
            for p in $AZURE_LNG_PREFIXES; do printf 'ip route %s %s 250\n' "$p" "$AZURE_VPN_PEER"; done
        fi
        printf '!\n'
    } >"$dir/staticd.conf"
    _anchors_frr_launch "$ns" "$dir" zebra staticd bgpd || { azure_stop; return 1; }

    lab_log "azure: FRR AS $AZURE_ASN in $ns: ExpressRoute from the MSEE ($AZURE_ER_PEER, local-pref 200), VPN $mode$( [ "$mode" = static ] && printf ' (LNG %s, distance 250)' "$AZURE_LNG_PREFIXES")"
}

# _azure_bird_start MODE NS DIR: the model in BIRD 2 (AZURE_ROUTER=bird).
_azure_bird_start() {
    local mode=$1 ns=$2 dir=$3 p
    {
        printf 'log "%s/bird.log" all;\ntimeformat log "%%F %%T.%%3f";\nrouter id 10.255.1.2;\n' "$dir"
        printf 'protocol device { scan time 10; }\n'
        printf 'define VNET = [ 10.200.0.0/16+'
        for p in "${LAB_SCALE_AGGREGATES[@]}"; do printf ', %s+' "$p"; done
        printf ' ];\n'
        printf 'protocol bgp msee {\n    local 10.255.1.2 as %s;\n    neighbor %s as 12076;\n    connect retry time 1;\n' "$AZURE_ASN" "$AZURE_ER_PEER"
        printf '    graceful restart off;\n    ipv4 { import filter { if net ~ VNET then reject; bgp_local_pref = 200; accept; }; export none; };\n}\n'
        if [ "$mode" = static ]; then
            # below BGP (100) for the same prefix, as Azure prefers ExpressRoute's
            printf 'protocol static lng { ipv4 { preference 50; };'
            for p in $AZURE_LNG_PREFIXES; do printf ' route %s via %s;' "$p" "$AZURE_VPN_PEER"; done
            printf ' }\n'
        else
            printf 'protocol static vnet { ipv4; route 10.200.0.0/16 unreachable; route %s/32 via 10.255.2.1; }\n' "$AZURE_ONPREM_APIPA"
            printf 'protocol bgp vpngw {\n    local %s as %s;\n    neighbor %s as 65010;\n    multihop 2;\n    passive on;\n' \
                "$AZURE_VPNGW_APIPA" "$AZURE_ASN" "$AZURE_ONPREM_APIPA"
            printf '    graceful restart off;\n    ipv4 { import filter { if net ~ VNET then reject; bgp_local_pref = 100; accept; }; export where net = 10.200.0.0/16; };\n}\n'
        fi
        printf 'protocol kernel { ipv4 { import none; export where proto != "vnet"; }; scan time 10; }\n'
    } >"$dir/bird.conf"
    ip netns exec "$ns" bird -c "$dir/bird.conf" -s "$dir/bird.ctl" -P "$dir/bird.pid" >>"$dir/start.err" 2>&1 ||
        { lab_log "azure: bird failed in $ns: $(cat "$dir/start.err")"; return 1; }
    lab_log "azure: BIRD AS $AZURE_ASN in $ns (AZURE_ROUTER=bird): ExpressRoute from the MSEE (local-pref 200), VPN $mode"
}

azure_stop() {
    local ns dir; ns=$(lab_ns azure); dir=$(_azure_dir)
    azure_vpngw_stop
    [ -d "$dir" ] || return 0
    _anchors_kill_dir "$dir"
    rm -rf "/var/run/frr/${ns:?}" "${dir:?}"
    return 0
}

# azure_vpngw_start: the tunnel's APIPA ends, as on a route-based VPN: on-prem's 169.254.21.2/32 on
# vpn0 with a host route to the gateway's 169.254.21.1 through it; the gateway's address lives in
# the VNet (the azure namespace, where Azure's VPN gateway is), routed through the tunnel stand-in.
azure_vpngw_start() {
    local on vp az; on=$(lab_ns onprem); vp=$(lab_ns vpn); az=$(lab_ns azure)
    ip -n "$az" addr replace "$AZURE_VPNGW_APIPA/32" dev vnet0 &&
        ip -n "$az" route replace "$AZURE_ONPREM_APIPA/32" via 10.255.2.1 dev vpn0 src "$AZURE_VPNGW_APIPA" &&
        ip -n "$vp" route replace "$AZURE_VPNGW_APIPA/32" via 10.255.2.2 dev azure0 &&
        ip -n "$vp" route replace "$AZURE_ONPREM_APIPA/32" via 192.168.20.1 dev onprem0 &&
        ip -n "$on" addr replace "$AZURE_ONPREM_APIPA/32" dev vpn0
}

# azure_onprem_vpngw_route: on-prem's route to the gateway's BGP address through the tunnel, for an
# on-prem router that does not make it itself (the anchors); hedge pins it, and would refuse to
# replace one that is not its own.
azure_onprem_vpngw_route() {
    ip -n "$(lab_ns onprem)" route replace "$AZURE_VPNGW_APIPA/32" via 192.168.20.2 dev vpn0 src "$AZURE_ONPREM_APIPA"
}

azure_vpngw_stop() { :; }   # the addresses and routes go with the namespaces

# azure_vpngw_received PREFIX: 0 when the VPN gateway holds PREFIX from on-prem.
azure_vpngw_received() {
    if [ "$AZURE_ROUTER" = bird ]; then
        birdc -s "$(_azure_dir)/bird.ctl" show route "$1" protocol vpngw 2>/dev/null | awk -v p="$1" '$1 == p { f = 1 } END { exit !f }'
        return
    fi
    vtysh -N "$(lab_ns azure)" -c "show bgp ipv4 unicast neighbors $AZURE_ONPREM_APIPA routes json" 2>/dev/null \
        | jq -e --arg p "$1" '.routes | has($p)' >/dev/null
}

azure_route_of() {
    local r
    r=$(ip -n "$(lab_ns azure)" route get "${1:-172.16.0.1}" from "$(lab_target)" 2>/dev/null || true)
    case "$r" in
        *" dev edge0 "*) echo expressroute ;;
        *" dev vpn0 "*) echo vpn ;;
        *) echo none ;;
    esac
}
_azure_route_is() { [ "$(azure_route_of)" = "$1" ]; }
azure_wait_route() { lab_wait_for "${2:-15}" _azure_route_is "$1"; }

azure_status() {
    printf '[azure %s: VPN %s]\n' "$(lab_ns azure)" "$(cat "$(_azure_dir)/mode" 2>/dev/null || echo 'not running')"
    if [ "$AZURE_ROUTER" = bird ]; then
        birdc -s "$(_azure_dir)/bird.ctl" show protocols 2>&1
        birdc -s "$(_azure_dir)/bird.ctl" show route 2>&1
        return 0
    fi
    vtysh -N "$(lab_ns azure)" -c 'show bgp summary' -c 'show ip route 172.16.0.0/16 longer-prefixes' 2>&1 \
        | grep -v "^% Can't open configuration file"
    return 0
}
