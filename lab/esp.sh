# shellcheck shell=bash
# lab/esp.sh — the ESP lab: the namespace lab with a real IPsec tunnel as the VPN path. Needs a kernel
# with ESP, XFRM interfaces and GCM (the VM of Tests/vm/run; the CI host kernel has none of them).
# Source it AFTER lab/netns.sh (it uses lab_ns, lab_log, lab_wait_for, lab_down, lab_stop_pids,
# lab_fail_far/lab_restore_far, lab_path_of, the lab_stream_* helpers, and lab/azure.sh and
# lab/anchors.sh, which netns.sh sources: all work unchanged here, but for azure_vpngw_start, which
# this file replaces with the same APIPA plumbing through this lab's namespaces).
#
#   ${LAB}-onprem   er0 192.168.10.1/30 ── edge onprem0 192.168.10.2/30     (ExpressRoute, as netns.sh)
#                   wan0 198.51.100.1/30 ── internet onprem0 198.51.100.2/30 (the Internet underlay)
#                   vpn0: xfrm interface if_id 42 over wan0, MTU 1400 (made by hedge, or esp_onprem_xfrmi)
#                   169.254.21.2/32 (model mode): on-prem's end of the VPN gateway's BGP session: hedge
#                   puts it on the vpn0 it makes (ESP_ONPREM_APIPA_LO=0), else it is on lo; hedge also
#                   pins a route to the gateway's 169.254.21.1 through vpn0
#                   lan0 172.16.0.1/32: the on-prem LAN address, the stream's source;
#                   172.16.255.1/32: the VPN probe's source, which Azure routes over the VPN gateway
#                   only (in Azure: a /32 in the local network gateway's prefixes, never announced
#                   over ExpressRoute), so its replies come back through the tunnel while ER is up
#                   host0 172.16.0.17/28 ── lanhost onprem0 172.16.0.20/28 (ESP_LANHOST)
#   ${LAB}-lanhost  a host on the LAN behind the on-prem router, MTU 1500, default route via onprem:
#                   the TCP endpoint of the MSS clamp's test. The router's own TCP (172.16.0.1) takes
#                   vpn0's MTU and never needs the clamp; a host behind it sends full 1500-byte
#                   segments. Inside the LAN hedge announces (172.16.0.0/24), so Azure's return
#                   reaches it over either path
#   ${LAB}-edge     the MSEE stand-in; azure0 10.255.1.1/30 ── azure edge0 10.255.1.2/30
#   ${LAB}-internet vpngw0 203.0.113.1/30 ── vpngw wan0 203.0.113.2/30
#   ${LAB}-vpngw    the Azure VPN gateway's IPsec end: ipsec0 (xfrm, if_id 42, over wan0); azure0
#                   10.255.2.1/30 ── azure vpn0 10.255.2.2/30 (named as in netns.sh: azure_route_of
#                   tells the VPN by it)
#   ${LAB}-azure    vnet0 10.200.0.4/24: the VNet host; Azure's routing and, in model mode, the VPN
#                   gateway's BGP address 169.254.21.1; 192.0.2.80/32 (ESP_INET_HOST): an Internet
#                   host as forced tunnelling reaches it, through the VNet's firewall, so the edge
#                   and the gateway route 192.0.2.0/24 into Azure as they route the VNet
#
# onprem reaches 203.0.113.0/30 over wan0 and nothing else of the Internet: with no route to
# 10.200.0.0/16 (after esp_lab_up) the LAN's packets are dropped on-prem, never sent in the clear.
# esp_isp_default swaps that route for what an ISP's DHCP leaves, a default via 198.51.100.2 at metric
# 100, for the default-route test: then only hedge's pin keeps IKE and ESP off hedge's own default.
# The internet namespace routes nothing beyond its two links, so what onprem sends it in the clear
# ends there.
#
# A path-MTU black hole, as where ICMP is filtered on the way: the hosts on both sides (lanhost,
# the VNet's 10.200.0.4) keep MTU 1500; the tunnel's ends (onprem vpn0, vpngw ipsec0) carry 1400; and
# onprem and vpngw drop the ICMP "fragmentation needed" they would send back (table inet lab), so
# TCP between the hosts carries full-sized segments only with an MSS clamp (hedge's, on vpn0). Only
# those two forward onto a smaller MTU: the Internet carries the ESP packets, under its 1500.
#
# How Azure sends replies to the LAN back (ESP_AZURE_ROUTING):
#   model   as the namespace lab does (lab/azure.sh, docs/azure-model.md): FRR AS 65515 in the azure
#           namespace plays both of the VNet's gateways, with the VPN gateway in BGP mode. The MSEE
#           stand-in in the edge namespace (lab/anchors.sh: FRR AS 12076, BGP without BFD, short
#           hold timer ESP_MSEE_HOLD_S) takes the LAN from on-prem and passes it to the VNet, and
#           withdraws it when its on-prem session dies. The VPN gateway's session with on-prem runs
#           inside the ESP tunnel: 169.254.21.2 (vpn0) <-> vpngw ipsec0 <-> 169.254.21.1 (VNet). A
#           far-end failure (esp_fail_er) is only the edge dropping everything on its on-prem link;
#           Azure converges by BGP: the on-prem agent's announcements over the VPN, the MSEE's
#           withdrawal. With no on-prem BGP speaker (ONPREM=ip in the VM lab) Azure learns no way back
#           to the LAN but the VPN probe's /32: only the forward direction is tested then.
#   manual  (default; bench/failover --path esp uses it) SIMPLIFIED, and esp_lab_up says so: two static
#           routes (ExpressRoute metric 10, VPN metric 20), no BGP at the edge or the gateway;
#           esp_fail_er / esp_restore_er move Azure's route by hand after the edge's drop
#           (instantly, or after ESP_AZURE_CONVERGE_MS).
# Why the gateway's BGP address is in the azure namespace, not vpngw: one FRR decides for both
# gateways, as in the namespace lab (a second FRR in vpngw would have to hand its routes on to the
# VNet's, and costs another start under emulation); vpngw stays what the kernel does, ESP.
#
# Keys (static keying): esp_keys_write FILE writes fresh random keys in hedge's key-file format
# (lab/esp/static.keys: "out 0x<72 hex>" / "in 0x<72 hex>", rfc4106(gcm(aes)) = 32-byte key + 4-byte
# salt), mode 0600. onprem sends with "out" on SPI 0x1001 and receives with "in" on SPI 0x2001; the
# vpngw uses the same keys the other way round. Key material never reaches a log: commands that carry
# keys are not traced, and esp_strip_keys filters `ip xfrm state` output.
#
# Functions (each returns non-zero on failure and does not change the caller's shell options):
#   esp_lab_up / lab_down          namespaces, links, addresses, routes (no vpn0, no 10.200 route on-prem);
#                                  model mode: Azure's FRR and the MSEE stand-in (esp_azure_model_start)
#   esp_keys_write FILE            random keys, hedge's format, 0600
#   esp_vpngw_static KEYFILE       vpngw: ipsec0 + policies + SAs (mirror of onprem)
#   esp_onprem_xfrmi               onprem: vpn0 (xfrm, if_id 42, over wan0, MTU 1400)
#   esp_onprem_static KEYFILE      onprem: policies + SAs (what hedge does for `ipsec { static {...} }`)
#   esp_vpngw_xfrmi                vpngw: ipsec0 + its routes to the LAN and 169.254.21.2 (IKEv2 keying)
#   esp_charon_start NS [START]    a charon in NS (onprem|vpngw) from lab/esp/NS/*, START = start|none
#   esp_charon_stop NS             esp_swanctl NS COMMAND [ARGS...]   esp_vici NS (socket path)
#   esp_sa_present [NS]            an inbound and an outbound ESP SA with if_id 42 exist in NS (onprem)
#   esp_sa_packets NS SRC DST      packets counted by the SAs SRC -> DST (sum; 0 if none)
#   esp_fail_er / esp_restore_er   far-end ExpressRoute failure and repair (manual mode: Azure's route too)
#   esp_isp_default                onprem: the ISP's default (metric 100) in place of the route to 203.0.113.0/30
#   esp_shell_failover_start / _stop   ONPREM=ip: the smallest agent that fails over (a ping loop)
#   esp_show NS                    xfrm state (keys stripped), policies, vpn0/ipsec0 details, routes
#   esp_strip_keys                 filter: replaces key hex of enc/auth/auth-trunc/aead/comp lines

ESP_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ESP_IF_ID=42
ESP_ONPREM_WAN=198.51.100.1
ESP_VPNGW_WAN=203.0.113.2
ESP_SPI_OUT=0x1001            # onprem -> vpngw
ESP_SPI_IN=0x2001             # vpngw -> onprem
ESP_AEAD='rfc4106(gcm(aes))'
ESP_MTU=1400                  # Azure: MTU 1400 and MSS 1350 inside the tunnel
ESP_LANHOST=172.16.0.20       # the LAN host behind onprem (lanhost)
ESP_INET_HOST=192.0.2.80      # the Internet host behind Azure's firewall (forced tunnelling)
ESP_ISP_METRIC=100            # the ISP default's metric (esp_isp_default), as DHCP clients set it
: "${ESP_AZURE_CONVERGE_MS:=0}"     # manual mode only: Azure's convergence after the edge drops
: "${ESP_AZURE_ROUTING:=manual}"   # model | manual: see the top
# The MSEE stand-in's BGP timers toward on-prem (model mode): short enough that a far-end failure ends
# its session, and so its withdrawal, within the failure the VM lab holds.
: "${ESP_MSEE_HOLD_S:=3}" "${ESP_MSEE_KEEPALIVE_S:=1}"
# ONPREM=ip's failover: the ER probe's own table and rule (ping from er0's address goes out er0).
ESP_PROBE_TABLE=110

LAB_NAMESPACES=(onprem edge internet vpngw azure lanhost)

esp_strip_keys() {
    sed -E 's/^([[:space:]]*(enc|auth|auth-trunc|aead|comp)[[:space:]]+[^[:space:]]+[[:space:]]+)0x[0-9a-fA-F]+/\1<key stripped>/'
}

# Under emulation every process start costs (binaries come over 9p): one `ip -batch` per namespace.
_esp_up_body() {
    set -euo pipefail
    local on ed it vg az lh n
    on=$(lab_ns onprem); ed=$(lab_ns edge); it=$(lab_ns internet); vg=$(lab_ns vpngw); az=$(lab_ns azure); lh=$(lab_ns lanhost)
    printf 'netns add %s\n' "$on" "$ed" "$it" "$vg" "$az" "$lh" | ip -batch -
    # Distinct ifindexes on both ends of each veth (see netns.sh: linkwatch and carrier events). The
    # "dummy" LAN and VNet interfaces are veth pairs whose peer stays local (no dummy driver needed).
    ip -n "$on" -batch - <<EOB
link set lo up
link add er0 index 10 type veth peer name onprem0 index 11 netns $ed
link add wan0 index 20 type veth peer name onprem0 index 21 netns $it
link add lan0 type veth peer name lan0p
link add host0 index 40 type veth peer name onprem0 index 41 netns $lh
addr add 192.168.10.1/30 dev er0
addr add 198.51.100.1/30 dev wan0
addr add 172.16.0.1/32 dev lan0
addr add 172.16.255.1/32 dev lan0
addr add 172.16.0.17/28 dev host0
link set er0 up
link set wan0 up
link set lan0 up
link set lan0p up
link set host0 up
route add 203.0.113.0/30 via 198.51.100.2 dev wan0
EOB
    ip -n "$lh" -batch - <<EOB
link set lo up
addr add $ESP_LANHOST/28 dev onprem0
link set onprem0 up
route add default via 172.16.0.17 dev onprem0
EOB
    ip -n "$ed" -batch - <<EOB
link set lo up
link add azure0 index 12 type veth peer name edge0 index 13 netns $az
addr add 192.168.10.2/30 dev onprem0
addr add 10.255.1.1/30 dev azure0
link set onprem0 up
link set azure0 up
route add 10.200.0.0/16 via 10.255.1.2 dev azure0
route add 192.0.2.0/24 via 10.255.1.2 dev azure0
route add 172.16.0.0/16 via 192.168.10.1 dev onprem0
EOB
    ip -n "$it" -batch - <<EOB
link set lo up
link add vpngw0 index 30 type veth peer name wan0 index 31 netns $vg
addr add 198.51.100.2/30 dev onprem0
addr add 203.0.113.1/30 dev vpngw0
link set onprem0 up
link set vpngw0 up
EOB
    ip -n "$vg" -batch - <<EOB
link set lo up
link add azure0 index 22 type veth peer name vpn0 index 23 netns $az
addr add 203.0.113.2/30 dev wan0
addr add 10.255.2.1/30 dev azure0
link set wan0 up
link set azure0 up
route add 198.51.100.0/30 via 203.0.113.1 dev wan0
route add 10.200.0.0/16 via 10.255.2.2 dev azure0
route add 192.0.2.0/24 via 10.255.2.2 dev azure0
EOB
    # Azure: ER's /30 back over ER (the ER probe's replies) and the VPN probe's source over the VPN
    # gateway only. The LAN's way back: see ESP_AZURE_ROUTING.
    ip -n "$az" -batch - <<EOB
link set lo up
link add vnet0 type veth peer name vnet0p
addr add 10.255.1.2/30 dev edge0
addr add 10.255.2.2/30 dev vpn0
addr add 10.200.0.4/24 dev vnet0
addr add $ESP_INET_HOST/32 dev vnet0
link set edge0 up
link set vpn0 up
link set vnet0 up
link set vnet0p up
route add 192.168.10.0/30 via 10.255.1.1 dev edge0
route add 172.16.255.1/32 via 10.255.2.1 dev vpn0
EOB
    if [ "$ESP_AZURE_ROUTING" = model ]; then
        # hedge puts its APIPA source on the vpn0 it makes; where it does not own the tunnel
        # (ESP_ONPREM_APIPA_LO=1), the address waits on lo for whoever speaks BGP.
        [ "${ESP_ONPREM_APIPA_LO:-1}" != 1 ] || ip -n "$on" addr add "$AZURE_ONPREM_APIPA/32" dev lo
    else
        ip -n "$az" -batch - <<EOB
route add 172.16.0.0/16 via 10.255.1.1 dev edge0 metric 10
route add 172.16.0.0/16 via 10.255.2.1 dev vpn0 metric 20
EOB
    fi
    # Forwarding on, rp_filter off (all, default and each interface: the effective value is the max).
    for n in "$on:er0 wan0 lan0 host0" "$ed:onprem0 azure0" "$it:onprem0 vpngw0" "$vg:wan0 azure0" "$az:edge0 vpn0 vnet0"; do
        local ns=${n%%:*} dev keys=(net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0)
        for dev in ${n#*:}; do keys+=("net.ipv4.conf.$dev.rp_filter=0"); done
        ip netns exec "$ns" sysctl -qw "${keys[@]}" >/dev/null
    done

    # The black hole (see the top): the tunnel's ends say nothing of their smaller MTU.
    for n in "$on" "$vg"; do
        ip netns exec "$n" nft -f - <<'EOF'
table inet lab {
    chain pmtu-out { type filter hook output priority 0; icmp type destination-unreachable icmp code frag-needed drop; }
    chain pmtu-fwd { type filter hook forward priority 0; icmp type destination-unreachable icmp code frag-needed drop; }
}
EOF
    done

    mkdir -p "$LAB_RUN"
    chmod 700 "$LAB_RUN"
    ip netns exec "$on" ping -c1 -W2 -q 192.168.10.2 >/dev/null
    ip netns exec "$on" ping -c1 -W2 -q 198.51.100.2 >/dev/null
    ip netns exec "$vg" ping -c1 -W2 -q 203.0.113.1 >/dev/null
    ip netns exec "$lh" ping -c1 -W2 -q 172.16.0.17 >/dev/null
}

esp_lab_up() {
    lab_down >/dev/null 2>&1 || true
    case "$ESP_AZURE_ROUTING" in model|manual) ;; *) lab_log "ESP_AZURE_ROUTING must be model or manual"; return 1 ;; esac
    local rc=0
    ( _esp_up_body ) &
    wait $! || rc=$?
    if [ "$rc" -eq 0 ] && [ "$ESP_AZURE_ROUTING" = model ]; then esp_azure_model_start || rc=1; fi
    if [ "$rc" -ne 0 ]; then
        lab_log "esp_lab_up failed; tearing down"
        lab_down
        return 1
    fi
    lab_log "esp up: $(for n in "${LAB_NAMESPACES[@]}"; do printf '%s ' "$(lab_ns "$n")"; done)"
    if [ "$ESP_AZURE_ROUTING" = manual ]; then
        lab_log "SIMPLIFIED (ESP_AZURE_ROUTING=manual): Azure's way back to the LAN is two static routes (ExpressRoute metric 10, VPN metric 20) that esp_fail_er / esp_restore_er move by hand; no BGP with the MSEE or the VPN gateway (ESP_AZURE_ROUTING=model runs Azure's routing)"
    fi
}

# esp_azure_model_start: Azure's routing (lab/azure.sh, VPN gateway in BGP mode) in the azure
# namespace and the MSEE stand-in (lab/anchors.sh, BGP only) in the edge namespace, as the namespace
# lab runs them. One FRR plays both of the VNet's gateways, so the VPN gateway's BGP endpoint
# (169.254.21.1) is in the azure namespace; the vpngw namespace only terminates ESP, and routes the
# APIPA pair between the tunnel and the VNet.
esp_azure_model_start() {
    [ -x "$ANCHORS_FRR_LIBDIR/bgpd" ] || { lab_log "esp: ESP_AZURE_ROUTING=model needs FRR ($ANCHORS_FRR_LIBDIR/bgpd)"; return 1; }
    # FRR's daemons start slowly under emulation: the log says how long they took.
    local t; t=$(lab_now_ms)
    azure_start bgp || return 1
    anchors_edge_start bgp - - - "$ESP_MSEE_HOLD_S" "$ESP_MSEE_KEEPALIVE_S" || return 1
    lab_log "esp: Azure's routing and the MSEE stand-in (FRR) started in $(( $(lab_now_ms) - t )) ms"
}

# azure_vpngw_start, lab/azure.sh's, for this lab's namespaces (azure_start calls it): the gateway's
# APIPA address in the VNet, reached from the tunnel through the vpngw namespace. On-prem's end is
# hedge's business (see the top); esp_vpngw_xfrmi routes it into ipsec0.
azure_vpngw_start() {
    local az vg; az=$(lab_ns azure); vg=$(lab_ns vpngw)
    ip -n "$az" addr replace "$AZURE_VPNGW_APIPA/32" dev vnet0 &&
        ip -n "$az" route replace "$AZURE_ONPREM_APIPA/32" via 10.255.2.1 dev vpn0 src "$AZURE_VPNGW_APIPA" &&
        ip -n "$vg" route replace "$AZURE_VPNGW_APIPA/32" via 10.255.2.2 dev azure0
}

# ------------------------------------------------------------------------------------------ keys
esp_keys_write() { # FILE
    local f=$1 out in
    out=$(od -An -tx1 -N36 /dev/urandom | tr -d ' \n')
    in=$(od -An -tx1 -N36 /dev/urandom | tr -d ' \n')
    [ ${#out} -eq 72 ] && [ ${#in} -eq 72 ] || { lab_log "esp: could not read 36 random bytes"; return 1; }
    ( umask 077; sed -e "s/@OUT_KEY@/$out/" -e "s/@IN_KEY@/$in/" "$ESP_HERE/esp/static.keys" >"$f" ) || return 1
    chmod 600 "$f"
}

_esp_key() { # FILE out|in : the 0x... key of that line
    awk -v d="$2" '$1 == d { print $2; exit }' "$1"
}

# ------------------------------------------------------------------------------------------ XFRM
_esp_xfrmi() { # NS DEV LINK
    printf 'link add %s type xfrm dev %s if_id %s\nlink set %s mtu %s up\n' "$2" "$3" "$ESP_IF_ID" "$2" "$ESP_MTU" |
        ip -n "$1" -batch -
}

# _esp_keyed NS LOCAL REMOTE OUT_SPI OUT_KEY IN_SPI IN_KEY: the route-based set strongSwan installs, in
# one `ip -batch` (the keys go over stdin, never onto a command line):
#  - policies out, in and fwd, any-to-any, with if_id. Without fwd, decapsulated packets that are
#    forwarded on (the vpngw toward the VNet) are dropped.
#  - two tunnel-mode ESP SAs, AES-256-GCM (ICV 128), replay window 32, if_id.
_esp_keyed() {
    local ns=$1 l=$2 r=$3 x='' rc
    case $- in *x*) x=1; set +x ;; esac
    {
        printf 'xfrm policy add src 0.0.0.0/0 dst 0.0.0.0/0 dir out if_id %s tmpl src %s dst %s proto esp reqid 1 mode tunnel\n' "$ESP_IF_ID" "$l" "$r"
        printf 'xfrm policy add src 0.0.0.0/0 dst 0.0.0.0/0 dir %s if_id %s tmpl src %s dst %s proto esp reqid 1 mode tunnel\n' \
            in "$ESP_IF_ID" "$r" "$l" fwd "$ESP_IF_ID" "$r" "$l"
        printf 'xfrm state add src %s dst %s proto esp spi %s mode tunnel reqid 1 replay-window 32 if_id %s aead %s %s 128\n' \
            "$l" "$r" "$4" "$ESP_IF_ID" "$ESP_AEAD" "$5" "$r" "$l" "$6" "$ESP_IF_ID" "$ESP_AEAD" "$7"
    } | ip -n "$ns" -batch - 2>&1 | esp_strip_keys >&2
    rc=${PIPESTATUS[1]}
    [ -z "$x" ] || set -x
    return "$rc"
}

esp_vpngw_xfrmi() {
    local vg; vg=$(lab_ns vpngw)
    # The LAN, and on-prem's BGP address (the local network gateway's BGP peer), through the tunnel.
    _esp_xfrmi "$vg" ipsec0 wan0 && ip -n "$vg" route add 172.16.0.0/16 dev ipsec0 &&
        ip -n "$vg" route add "$AZURE_ONPREM_APIPA/32" dev ipsec0
}

esp_onprem_xfrmi() { _esp_xfrmi "$(lab_ns onprem)" vpn0 wan0; }

esp_vpngw_static() { # KEYFILE (onprem's view: vpngw sends with our "in" key, receives with "out")
    local f=$1 out in
    out=$(_esp_key "$f" out); in=$(_esp_key "$f" in)
    [ -n "$out" ] && [ -n "$in" ] || { lab_log "esp: $f lacks an out or in key"; return 1; }
    esp_vpngw_xfrmi || return 1
    _esp_keyed "$(lab_ns vpngw)" "$ESP_VPNGW_WAN" "$ESP_ONPREM_WAN" "$ESP_SPI_IN" "$in" "$ESP_SPI_OUT" "$out"
}

esp_onprem_static() { # KEYFILE
    local f=$1 out in
    out=$(_esp_key "$f" out); in=$(_esp_key "$f" in)
    [ -n "$out" ] && [ -n "$in" ] || { lab_log "esp: $f lacks an out or in key"; return 1; }
    _esp_keyed "$(lab_ns onprem)" "$ESP_ONPREM_WAN" "$ESP_VPNGW_WAN" "$ESP_SPI_OUT" "$out" "$ESP_SPI_IN" "$in"
}

# esp_sa_present [NS]: an ESP SA out (onprem -> vpngw) and one in, both with if_id 42.
esp_sa_present() {
    local ns; ns=$(lab_ns "${1:-onprem}")
    ip -n "$ns" xfrm state list src "$ESP_ONPREM_WAN" dst "$ESP_VPNGW_WAN" proto esp 2>/dev/null | grep -q 'if_id 0x2a' &&
        ip -n "$ns" xfrm state list src "$ESP_VPNGW_WAN" dst "$ESP_ONPREM_WAN" proto esp 2>/dev/null | grep -q 'if_id 0x2a'
}

# esp_sa_packets NS SRC DST: the "lifetime current" packet counts of the SAs SRC -> DST, summed (a
# rekey leaves two for a while).
esp_sa_packets() {
    ip -n "$(lab_ns "$1")" -s xfrm state list src "$2" dst "$3" proto esp 2>/dev/null |
        awk '/lifetime current:/ { getline; sub(/\(packets\).*/, ""); sub(/.*, /, ""); n += $1 } END { print n + 0 }'
}

# ------------------------------------------------------------------------------------------ charon
_esp_charon_dir() { printf '%s/charon-%s\n' "$LAB_RUN" "$1"; }
esp_vici() { printf '%s/charon-%s.vici\n' "$LAB_RUN" "$1"; }

# esp_charon_start onprem|vpngw [start|none]: charon in its own mount namespace with a private /run
# (two charons on one host clash on /run/charon.pid); configs and the VICI socket in $LAB_RUN, which
# must not be under /run (the private /run hides it) nor on a 9p share (no unix sockets there).
esp_charon_start() {
    local role=$1 start=${2:-none} dir ns vici
    case "$role" in onprem|vpngw) ;; *) lab_log "esp_charon_start onprem|vpngw [start|none]"; return 1 ;; esac
    case "$LAB_RUN" in /run/*|/var/run/*) lab_log "esp: LAB_RUN under /run is hidden from charon; use /dev/shm/hedge-lab/..."; return 1 ;; esac
    [ -x /usr/lib/ipsec/charon ] || { lab_log "esp: /usr/lib/ipsec/charon missing (scripts/install-vm-deps)"; return 1; }
    dir=$(_esp_charon_dir "$role"); ns=$(lab_ns "$role"); vici=$(esp_vici "$role")
    mkdir -p "$dir" && chmod 700 "$dir" || return 1
    sed -e "s#@VICI@#$vici#g" "$ESP_HERE/esp/$role/strongswan.conf" >"$dir/strongswan.conf" || return 1
    sed -e "s#@START_ACTION@#$start#g" "$ESP_HERE/esp/$role/swanctl.conf" >"$dir/swanctl.conf" || return 1
    chmod 600 "$dir/swanctl.conf"
    rm -f "$vici"
    STRONGSWAN_CONF=$dir/strongswan.conf ip netns exec "$ns" unshare -m sh -c \
        'mount -t tmpfs none /run && exec /usr/lib/ipsec/charon' >>"$dir/charon.log" 2>&1 </dev/null &
    echo $! >"$dir/charon.pid"
    lab_wait_for 30 test -S "$vici" || { lab_log "esp: charon in $ns opened no VICI socket: $(tail -3 "$dir/charon.log")"; return 1; }
    lab_wait_for 10 esp_swanctl "$role" --stats || { lab_log "esp: charon in $ns does not answer"; return 1; }
    esp_swanctl "$role" --load-all --file "$dir/swanctl.conf" >>"$dir/swanctl.log" 2>&1 ||
        { lab_log "esp: swanctl --load-all failed in $ns: $(tail -3 "$dir/swanctl.log")"; return 1; }
    lab_log "esp: charon in $ns (start_action $start), VICI $vici"
}

esp_swanctl() { # ROLE COMMAND [ARGS...]   (swanctl takes --uri only after its command)
    local role=$1 cmd=$2; shift 2
    STRONGSWAN_CONF=$(_esp_charon_dir "$role")/strongswan.conf \
        ip netns exec "$(lab_ns "$role")" swanctl "$cmd" --uri "unix://$(esp_vici "$role")" "$@"
}

esp_charon_stop() {
    local dir; dir=$(_esp_charon_dir "$1")
    [ -s "$dir/charon.pid" ] || return 0
    # The pid is unshare's, which exec'd sh, which exec'd charon: one process.
    lab_stop_pids "$(cat "$dir/charon.pid")"
    rm -f "$dir/charon.pid"
}

# ------------------------------------------------------------------------------------------ failures
# Model mode: only the edge's side; Azure follows by BGP (the MSEE's session dies, and whatever the
# on-prem agent announces over the VPN). Manual mode: the edge, then Azure's routes by hand.
esp_fail_er() {
    lab_fail_far || return 1
    [ "$ESP_AZURE_ROUTING" = manual ] || return 0
    if [ "$ESP_AZURE_CONVERGE_MS" -gt 0 ]; then sleep "$(awk "BEGIN{print $ESP_AZURE_CONVERGE_MS / 1000}")"; fi
    ip -n "$(lab_ns azure)" route del 172.16.0.0/16 via 10.255.1.1 dev edge0 metric 10 2>/dev/null || true
}

esp_restore_er() {
    lab_restore_far || return 1
    [ "$ESP_AZURE_ROUTING" = manual ] || return 0
    ip -n "$(lab_ns azure)" route replace 172.16.0.0/16 via 10.255.1.1 dev edge0 metric 10
}

# esp_isp_default: onprem's Internet as an ISP leaves it, a default route of its own (foreign to hedge,
# which must leave it alone) and no route to the VPN gateway's /30: IKE and ESP reach 203.0.113.2
# by the ISP's default, or by hedge's pin once hedge carries a default of its own at a lower metric.
esp_isp_default() {
    ip -n "$(lab_ns onprem)" -batch - <<EOB
route add default via 198.51.100.2 dev wan0 metric $ESP_ISP_METRIC
route del 203.0.113.0/30 via 198.51.100.2 dev wan0
EOB
}

# ------------------------------------------------------------------------------------------ ONPREM=ip
# esp_shell_failover_start: stands in for hedge. One ping every 50 ms from er0's address (its own table
# sends it out er0, whatever the main table says); 3 missed replies put 10.200.0.0/16 on vpn0, 3
# answered ones put it back via the edge. Transitions go to $LAB_RUN/failover/log with ms timestamps.
esp_shell_failover_start() {
    local on dir; on=$(lab_ns onprem); dir=$LAB_RUN/failover
    mkdir -p "$dir" || return 1
    ip -n "$on" route replace 10.200.0.0/16 via 192.168.10.2 dev er0 table "$ESP_PROBE_TABLE" || return 1
    ip -n "$on" rule add from 192.168.10.1 lookup "$ESP_PROBE_TABLE" pref 100 2>/dev/null || true
    # awk, not a `while read` loop: bash reads a pipe one byte per system call, which an emulated CPU
    # feels (mawk needs -W interactive to act on each line as it comes). -O: "no answer yet" when the
    # next probe goes out without a reply to the previous one.
    local awk_lines=(awk); command -v mawk >/dev/null && awk_lines=(mawk -W interactive)
    (
        exec </dev/null
        ip netns exec "$on" sh -c 'echo $$ >"$1"; exec stdbuf -oL ping -n -O -i 0.05 -W 1 -I 192.168.10.1 10.200.0.4' \
            sh "$dir/ping.pid" 2>&1 |
        "${awk_lines[@]}" -v ns="$on" -v logf="$dir/log" '
            function go(name, cmd) {
                if (system("ip -n " ns " route replace 10.200.0.0/16 " cmd) == 0) state = name
                system("echo $(date +%s%3N) " name " >>" logf)
            }
            /bytes from/    { ok++; miss = 0 }
            /no answer yet/ { miss++; ok = 0 }
            ok >= 3 && state != "expressroute" { go("expressroute", "via 192.168.10.2 dev er0") }
            miss >= 3 && state != "vpn"         { go("vpn", "dev vpn0") }'
    ) &
    echo $! >"$dir/pid"
}

esp_shell_failover_stop() {
    local dir=$LAB_RUN/failover
    # ping first: the loop then reads EOF and ends by itself.
    [ -s "$dir/ping.pid" ] && lab_stop_pids "$(cat "$dir/ping.pid")"
    [ -s "$dir/pid" ] && lab_stop_pids "$(cat "$dir/pid")"
    rm -f "$dir/pid" "$dir/ping.pid"
    return 0
}

# ------------------------------------------------------------------------------------------ show
esp_show() { # NS (onprem|vpngw)
    local ns; ns=$(lab_ns "$1")
    echo "--- $ns: ip -s xfrm state (keys stripped)"
    ip -n "$ns" -s xfrm state 2>&1 | esp_strip_keys
    echo "--- $ns: ip xfrm policy"
    ip -n "$ns" xfrm policy 2>&1
    echo "--- $ns: ip -d link show type xfrm"
    ip -n "$ns" -d link show type xfrm 2>&1
    echo "--- $ns: ip route; ip rule"
    ip -n "$ns" route 2>&1
    ip -n "$ns" rule 2>&1
    return 0
}
