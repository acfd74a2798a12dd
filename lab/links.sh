# shellcheck shell=bash
# lab/links.sh — both links of an ExpressRoute circuit, and a VPN: the three-path lab.
#
#   ${LAB}-onprem  er0 192.168.10.1/30 ── onprem0 192.168.10.2  ${LAB}-msee1 (FRR bgpd+bfdd, AS 12076)
#                  er1 192.168.11.1/30 ── onprem0 192.168.11.2  ${LAB}-msee2 (FRR bgpd+bfdd, AS 12076)
#                  vpn0 192.168.20.1/30 ── onprem0 192.168.20.2 ${LAB}-vpngw (a veth stand-in; ESP is the VM lab's)
#   each of the three ── ${LAB}-vnet (10.200.0.4 on vnet0), which routes the on-prem /30s back the way they came.
#
# Both MSEE stand-ins announce the VNet 10.200.0.0/16 to on-prem (AS 65010) with BFD; hedge runs in
# ${LAB}-onprem with a BGP session and BFD to each. Source lab/netns.sh first (lab_ns, lab_wait_for,
# lab_log, lab_stop_pids, LAB_RUN; it loads lab/anchors.sh for the FRR helpers).
#
#   links_up TX_MS RX_MS MULT   namespaces, links, and both MSEEs with BFD at these timers
#   links_down                  everything of this lab, idempotent
#   links_fail N / links_restore N
#                               MSEE N (1 or 2) drops everything on its on-prem link (as lab_fail_far
#                               does): carrier and ARP stay up, BFD and BGP see the failure
#   links_established N         0 when MSEE N's FRR says the session with on-prem is Established
#   links_status                both MSEEs' view, for logs
# Functions return non-zero on failure and do not change the caller's shell options.

LINKS_NAMESPACES=(onprem msee1 msee2 vpngw vnet)

_links_dir() { printf '%s/links-msee%s\n' "$LAB_RUN" "$1"; }

_links_up_body() {
    set -euo pipefail
    local on m1 m2 vg vn n
    on=$(lab_ns onprem); m1=$(lab_ns msee1); m2=$(lab_ns msee2); vg=$(lab_ns vpngw); vn=$(lab_ns vnet)
    for n in "$on" "$m1" "$m2" "$vg" "$vn"; do
        ip netns add "$n"
        ip -n "$n" link set lo up
        _lab_sysctls "$n"
    done
    # Distinct ifindexes on the two ends of each pair: see lab/netns.sh (linkwatch).
    ip -n "$on" link add er0 index 10 type veth peer name onprem0 index 11 netns "$m1"
    ip -n "$on" link add er1 index 30 type veth peer name onprem0 index 31 netns "$m2"
    ip -n "$on" link add vpn0 index 20 type veth peer name onprem0 index 21 netns "$vg"
    ip -n "$m1" link add azure0 index 12 type veth peer name msee1 index 13 netns "$vn"
    ip -n "$m2" link add azure0 index 32 type veth peer name msee2 index 33 netns "$vn"
    ip -n "$vg" link add azure0 index 22 type veth peer name vpngw index 23 netns "$vn"
    ip -n "$vn" link add vnet0 type veth peer name vnet0p

    ip -n "$on" addr add 192.168.10.1/30 dev er0
    ip -n "$on" addr add 192.168.11.1/30 dev er1
    ip -n "$on" addr add 192.168.20.1/30 dev vpn0
    ip -n "$m1" addr add 192.168.10.2/30 dev onprem0
    ip -n "$m1" addr add 10.255.1.1/30 dev azure0
    ip -n "$m2" addr add 192.168.11.2/30 dev onprem0
    ip -n "$m2" addr add 10.255.3.1/30 dev azure0
    ip -n "$vg" addr add 192.168.20.2/30 dev onprem0
    ip -n "$vg" addr add 10.255.2.1/30 dev azure0
    ip -n "$vn" addr add 10.255.1.2/30 dev msee1
    ip -n "$vn" addr add 10.255.3.2/30 dev msee2
    ip -n "$vn" addr add 10.255.2.2/30 dev vpngw
    ip -n "$vn" addr add 10.200.0.4/24 dev vnet0

    for n in "$on:er0 er1 vpn0" "$m1:onprem0 azure0" "$m2:onprem0 azure0" "$vg:onprem0 azure0" "$vn:msee1 msee2 vpngw vnet0 vnet0p"; do
        local ns=${n%%:*} dev
        for dev in ${n#*:}; do
            ip -n "$ns" link set "$dev" up
            ip netns exec "$ns" sysctl -qw "net.ipv4.conf.$dev.rp_filter=0" >/dev/null
        done
    done
    ip -n "$m1" route add 10.200.0.0/16 via 10.255.1.2 dev azure0
    ip -n "$m2" route add 10.200.0.0/16 via 10.255.3.2 dev azure0
    ip -n "$vg" route add 10.200.0.0/16 via 10.255.2.2 dev azure0
    ip -n "$vn" route add 192.168.10.0/30 via 10.255.1.1 dev msee1
    ip -n "$vn" route add 192.168.11.0/30 via 10.255.3.1 dev msee2
    ip -n "$vn" route add 192.168.20.0/30 via 10.255.2.1 dev vpngw
    mkdir -p "$LAB_RUN"
    ip netns exec "$on" ping -c1 -W1 -q 192.168.10.2 >/dev/null
    ip netns exec "$on" ping -c1 -W1 -q 192.168.11.2 >/dev/null
    ip netns exec "$on" ping -c1 -W1 -q 192.168.20.2 >/dev/null
}

# _links_msee_start N ADDR TX RX MULT: FRR (zebra, bfdd, bgpd) in msee N, AS 12076, peer ADDR's .1.
_links_msee_start() {
    local n=$1 addr=$2 tx=$3 rx=$4 mult=$5 ns dir nb
    ns=$(lab_ns "msee$n"); dir=$(_links_dir "$n"); nb=${addr%.*}.1
    mkdir -p "$dir" || return 1
    _anchors_frr_common "$dir" "$ns"
    _anchors_frr_bfd_conf "$dir" "$ns" "$tx" "$rx" "$mult"
    # Both links announce the same VNet prefix, as a circuit's two MSEEs do.
    _anchors_frr_bgp_conf "$dir" "$ns" 12076 "$addr" "$nb" 65010 1 - - '' 10.200.0.0/16
    _anchors_frr_launch "$ns" "$dir" zebra bfdd bgpd || return 1
}

links_up() {
    [ $# -eq 3 ] || { lab_log "usage: links_up TX_MS RX_MS MULT"; return 1; }
    links_down
    ( _links_up_body ) || { lab_log "links: building the namespaces failed"; links_down; return 1; }
    _links_msee_start 1 192.168.10.2 "$1" "$2" "$3" || { links_down; return 1; }
    _links_msee_start 2 192.168.11.2 "$1" "$2" "$3" || { links_down; return 1; }
}

links_down() {
    local n ns pids
    for n in "${LINKS_NAMESPACES[@]}"; do
        ns=$(lab_ns "$n")
        ip netns list 2>/dev/null | grep -qw "^$ns" || continue
        pids=$(ip netns pids "$ns" 2>/dev/null || true)
        # shellcheck disable=SC2086
        [ -z "$pids" ] || lab_stop_pids $pids
        ip netns del "$ns" 2>/dev/null || true
        rm -rf "/var/run/frr/${ns:?}"
    done
    case "$LAB_RUN" in /run/hedge-lab/*) rm -rf "$LAB_RUN" ;; esac
    return 0
}

links_fail() {
    ip netns exec "$(lab_ns "msee$1")" nft -f - <<'EOF'
table inet linkfail {
    chain drop_forward { type filter hook forward priority -300; iifname "onprem0" drop; oifname "onprem0" drop; }
    chain drop_input { type filter hook input priority -300; iifname "onprem0" drop; }
    chain drop_output { type filter hook output priority -300; oifname "onprem0" drop; }
}
EOF
}
links_restore() { ip netns exec "$(lab_ns "msee$1")" nft delete table inet linkfail 2>/dev/null || true; }

_links_frr() { local n=$1; shift; vtysh -N "$(lab_ns "msee$n")" "$@" 2> >(grep -v "^% Can't open configuration file" >&2); }

links_established() {
    local n=$1 nb
    nb=$([ "$n" = 1 ] && echo 192.168.10.1 || echo 192.168.11.1)
    _links_frr "$n" -c "show bgp neighbors $nb json" 2>/dev/null | jq -e --arg n "$nb" '.[$n].bgpState == "Established"' >/dev/null
}

links_status() {
    local n
    for n in 1 2; do
        echo "== msee$n"
        _links_frr "$n" -c "show bgp summary" -c "show bfd peers brief" 2>&1 || true
    done
}
