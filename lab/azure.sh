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
#       VPN, bgp      iBGP with the VPN gateway stand-in (${LAB}-vpn, 10.255.2.1, AS 65515), which
#                     peers with on-prem over the tunnel (lab_vpngw_start); local preference 100.
#       The longest prefix wins first, as in every FIB. AZURE_VPN=static|bgp sets lab_up's mode.
#   azure_stop
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
AZURE_ER_PEER=10.255.1.1
AZURE_VPN_PEER=10.255.2.1
: "${AZURE_LNG_PREFIXES:=172.16.0.0/16}"
: "${AZURE_VPN:=static}"

_azure_dir() { printf '%s/azure-%s\n' "$LAB_RUN" "$(lab_ns azure)"; }

azure_start() {
    local mode=${1:-$AZURE_VPN} ns dir p
    case "$mode" in static|bgp) ;; *) lab_log "usage: azure_start [static|bgp]"; return 1 ;; esac
    ns=$(lab_ns azure); dir=$(_azure_dir)
    azure_stop
    mkdir -p "$dir" && chmod 755 "$LAB_RUN" "$dir" || return 1
    _anchors_frr_common "$dir" "$ns"
    {
        printf 'frr defaults traditional\nhostname %s\nlog timestamp precision 3\n' "$ns"
        printf 'log file %s/bgpd.log informational\n!\n' "$dir"
        printf 'router bgp %s\n bgp router-id 10.255.1.2\n no bgp ebgp-requires-policy\n' "$AZURE_ASN"
        printf ' bgp graceful-restart-disable\n bgp log-neighbor-changes\n'
        printf ' neighbor %s remote-as 12076\n neighbor %s description ExpressRoute-MSEE\n neighbor %s timers connect 1\n' \
            "$AZURE_ER_PEER" "$AZURE_ER_PEER" "$AZURE_ER_PEER"
        if [ "$mode" = bgp ]; then
            printf ' neighbor %s remote-as %s\n neighbor %s description VPN-gateway\n neighbor %s timers connect 1\n' \
                "$AZURE_VPN_PEER" "$AZURE_ASN" "$AZURE_VPN_PEER" "$AZURE_VPN_PEER"
        fi
        printf ' address-family ipv4 unicast\n'
        printf '  neighbor %s route-map AZURE-FROM-ER in\n  neighbor %s route-map AZURE-NOTHING out\n' "$AZURE_ER_PEER" "$AZURE_ER_PEER"
        if [ "$mode" = bgp ]; then
            printf '  neighbor %s route-map AZURE-FROM-VPN in\n  neighbor %s route-map AZURE-NOTHING out\n' "$AZURE_VPN_PEER" "$AZURE_VPN_PEER"
        fi
        printf ' exit-address-family\nexit\n!\n'
        # The VNet's own address space (and the scale range) is never learned from outside.
        printf 'ip prefix-list AZURE-VNET seq 5 permit 10.200.0.0/16 le 32\n'
        local seq=10
        for p in "${LAB_SCALE_AGGREGATES[@]}"; do printf 'ip prefix-list AZURE-VNET seq %d permit %s le 32\n' "$seq" "$p"; seq=$((seq + 5)); done
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
    echo "$mode" >"$dir/mode"
    _anchors_frr_launch "$ns" "$dir" zebra staticd bgpd || { azure_stop; return 1; }
    lab_log "azure: FRR AS $AZURE_ASN in $ns: ExpressRoute from the MSEE ($AZURE_ER_PEER, local-pref 200), VPN $mode$( [ "$mode" = static ] && printf ' (LNG %s, distance 250)' "$AZURE_LNG_PREFIXES")"
}

azure_stop() {
    local ns dir; ns=$(lab_ns azure); dir=$(_azure_dir)
    [ -d "$dir" ] || return 0
    _anchors_kill_dir "$dir"
    rm -rf "/var/run/frr/${ns:?}" "${dir:?}"
    return 0
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
    vtysh -N "$(lab_ns azure)" -c 'show bgp summary' -c 'show ip route 172.16.0.0/16 longer-prefixes' 2>&1 \
        | grep -v "^% Can't open configuration file"
    return 0
}
