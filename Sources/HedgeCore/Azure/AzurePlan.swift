/// What `hedge-azure template` writes, decided from the configuration before a byte of JSON: the
/// Azure half of the reference architecture (VPN gateway, local network gateway, connection,
/// reflector VM) beside what the quickstart `expressroute-private-peering-vnet` created (VNet,
/// GatewaySubnet, ExpressRoute gateway). A configuration the Azure half cannot be written from is
/// refused with its diagnostics, each at file:line:column.
public struct AzurePlan: Sendable {
    /// The VPN paths (those with an `ipsec` block), in file order: one makes an active-standby
    /// gateway; two, an active-active one whose instance i is path i's `remote`.
    public var vpnPaths: [PathConfig]
    public var activeActive: Bool { vpnPaths.count == 2 }
    /// Our public address: the local network gateway's gatewayIpAddress.
    public var local: IPAddress
    public var policy: AzureIPsecPolicy
    /// BGP over the tunnel (the VPN paths' `bgp`): nil is static mode.
    public var bgp: BGP?
    /// The local network gateway's address space: the VPN paths' announce (static mode), nothing
    /// (BGP from an APIPA address) or our BGP address's host prefix (BGP from any other address).
    public var localNetworkPrefixes: [IPPrefix]
    public var reflector: Reflector?
    public var vnet: IPPrefix
    public var gatewaySubnet: IPPrefix
    /// The quickstart's subnet1: the reflector's subnet.
    public var subnet1: IPPrefix
    /// What hedge announces over ExpressRoute (the paths whose BGP neighbour is AS 12076).
    public var expressRouteAnnounce: [IPPrefix]
    /// The private peering's /30s, from those paths' BGP neighbours (the quickstart's primary and
    /// secondary peer address prefixes).
    public var peerPrefixes: [IPPrefix]
    public var localAS: UInt32

    public struct BGP: Sendable {
        /// Azure's BGP address on each gateway instance (the paths' `bgp` neighbours), in instance order.
        public var azure: [IPAddress]
        /// Ours (the `bgp` blocks' `source`): the local network gateway's bgpPeeringAddress.
        public var source: IPAddress
        /// Azure's addresses are APIPA ones (customBgpIpAddresses); otherwise they are the gateway's
        /// own in the GatewaySubnet.
        public var apipa: Bool
    }

    public struct Reflector: Sendable {
        /// The probe's target: the VM's static private address.
        public var address: IPAddress
        public var port: UInt16
        /// Who may reach the reflector's UDP port: what the paths announce (the probes' sources are
        /// inside it).
        public var allowFrom: [IPPrefix]
    }

    /// The VPN gateway's ASN beside an ExpressRoute gateway: Azure's, and not to be changed.
    public static let azureVPNAS: UInt32 = 65515
    /// Microsoft's ASN on private peering: the paths that peer with it are ExpressRoute.
    public static let microsoftAS: UInt32 = 12076
}

public enum AzurePlanResult: Sendable {
    case plan(AzurePlan)
    case refused([Diagnostic])
}

/// The APIPA range Azure takes for a VPN gateway's custom BGP addresses: 169.254.21.0–169.254.22.255.
public let azureAPIPA = IPPrefix("169.254.21.0/24")!
public let azureAPIPA2 = IPPrefix("169.254.22.0/24")!

/// Plans the Azure half. `policy` stands in for what the VPN path's `ipsec` block asks of Azure
/// (`azureIPsecPolicy`), for callers that hold one already; nil takes the block's own.
public func azurePlan(_ c: HedgeConfig, file: String, policy given: AzureIPsecPolicy? = nil) -> AzurePlanResult {
    var errors: [Diagnostic] = []
    let top = SourceLocation(line: 1, column: 1)
    func refuse(_ at: SourceLocation, _ message: String) { errors.append(Diagnostic(.error, file, at, message)) }

    guard let az = c.azure, let vnet = az.vnet.first, let gs = az.gatewaySubnet else {
        refuse(c.azure?.location ?? top, "hedge-azure needs an azure block with vnet and gateway-subnet")
        return .refused(errors)
    }
    // `hedge check` refuses these already; the writer must not depend on who called it.
    if gs.length > 27 || !gs.isV4 {
        refuse(az.location, "GatewaySubnet must be an IPv4 /27 or larger for ExpressRoute/VPN coexistence (got \(gs))")
    }
    if !vnet.contains(gs) { refuse(az.location, "gateway-subnet \(gs) is not inside vnet \(vnet)") }
    if az.vnet.count > 1 {
        refuse(az.location, "hedge-azure writes for one vnet prefix, as the quickstart's VNet has (got \(az.vnet.count))")
    }

    var vpn: [PathConfig] = []
    var erAnnounce: [IPPrefix] = []
    for p in c.paths {
        if p.ipsec != nil { vpn.append(p) }
        if let b = p.bgp, b.remoteAS == AzurePlan.microsoftAS {
            for a in p.announce where !erAnnounce.contains(a) { erAnnounce.append(a) }
        }
    }
    let peer = peeringPrefixes(c, refuse: refuse)
    guard let first = vpn.first, let ipsec = first.ipsec else {
        refuse(top, "no path has an ipsec block: hedge-azure writes the VPN half of the architecture")
        return .refused(errors)
    }
    if vpn.count > 2 {
        refuse(vpn[2].location, "path \(vpn[2].name): an Azure VPN gateway has two instances, so at most two ipsec paths")
    }

    var policy = given
    for p in vpn.prefix(2) {
        guard let x = p.ipsec else { continue }
        if case .manual = x.keying {
            refuse(x.location, "path \(p.name): Azure's VPN gateway keys with IKEv2 only: use strongswan, not static")
        }
        if !x.local.isV4 || !x.remote.isV4 {
            refuse(x.location, "path \(p.name): Azure's site-to-site VPN takes IPv4 outer addresses")
        }
        if x.local != ipsec.local {
            refuse(x.location, "path \(p.name): both ipsec paths must leave from one local address (one local network gateway, two tunnels to the active-active gateway)")
        }
        let own = given ?? azureIPsecPolicy(x)
        if own == nil {
            refuse(x.location, "path \(p.name): the ipsec block names no IKE/ESP proposal Azure accepts, so the connection's ipsecPolicies cannot match it")
        } else if policy == nil {
            policy = own
        } else if own != policy {
            refuse(x.location, "path \(p.name): both ipsec paths must offer the same proposal (one connection, one ipsecPolicies entry)")
        }
    }

    // BGP over the tunnel: all VPN paths or none.
    var bgp: AzurePlan.BGP?
    var lng: [IPPrefix] = []
    let withBGP = vpn.prefix(2).filter { $0.bgp != nil }
    if !withBGP.isEmpty {
        if withBGP.count != min(vpn.count, 2) {
            refuse(vpn[0].location, "either every ipsec path speaks BGP with the VPN gateway or none does")
        }
        var azure: [IPAddress] = []
        var source: IPAddress?
        var apipa = true
        for p in withBGP {
            guard let b = p.bgp else { continue }
            if b.remoteAS != AzurePlan.azureVPNAS {
                refuse(b.location, "path \(p.name): the VPN gateway beside an ExpressRoute gateway speaks from AS 65515 (got remote-as \(b.remoteAS))")
            }
            let isAPIPA = azureAPIPA.contains(b.neighbor) || azureAPIPA2.contains(b.neighbor)
            if !isAPIPA && !gs.contains(b.neighbor) {
                refuse(b.location, "path \(p.name): the VPN gateway's BGP address \(b.neighbor) must be an APIPA address (169.254.21.0–169.254.22.255) or one in the GatewaySubnet \(gs)")
            }
            if !isAPIPA { apipa = false }
            if azure.contains(b.neighbor) {
                refuse(b.location, "path \(p.name): each gateway instance needs a BGP address of its own (\(b.neighbor) is taken)")
            }
            azure.append(b.neighbor)
            guard let s = b.source else {
                refuse(b.location, "path \(p.name): bgp needs a source: it is the local network gateway's BGP peering address")
                continue
            }
            if let prior = source, prior != s {
                refuse(b.location, "path \(p.name): both ipsec paths must peer from one source (the local network gateway has one BGP address)")
            }
            source = s
        }
        if c.localAS == nil { refuse(top, "BGP over the VPN needs local-as: the local network gateway's ASN") }
        if let s = source {
            bgp = AzurePlan.BGP(azure: azure, source: s, apipa: apipa)
            // Azure reaches an APIPA peer through the tunnel without a route; any other address
            // needs its host prefix in the local network gateway.
            if !(azureAPIPA.contains(s) || azureAPIPA2.contains(s)), let h = IPPrefix(address: s, length: s.bitWidth) {
                lng = [h]
            }
        }
    } else {
        for p in vpn.prefix(2) { for a in p.announce where !lng.contains(a) { lng.append(a) } }
        if lng.isEmpty {
            refuse(first.location, "path \(first.name): without BGP the local network gateway takes the path's announce prefixes, and it has none")
        }
    }
    // Azure prefers the longer prefix whatever the path: one longer than what ExpressRoute carries
    // would pull Azure's traffic onto the VPN while ExpressRoute is up.
    for l in lng {
        if let e = erAnnounce.first(where: { $0.contains(l) && $0.length < l.length }) {
            refuse(first.location, "the local network gateway would carry \(l), longer than \(e) announced over ExpressRoute: Azure would prefer the VPN for it")
        }
    }

    // The reflector: the first reflect probe or measure target.
    var reflector: AzurePlan.Reflector?
    var probeAt = top
    for p in c.paths {
        if let pr = p.probe, pr.kind == .reflect {
            var allow: [IPPrefix] = []
            for q in c.paths { for a in q.announce where !allow.contains(a) { allow.append(a) } }
            reflector = AzurePlan.Reflector(address: pr.target, port: pr.port, allowFrom: allow)
            probeAt = pr.location
            break
        }
    }
    let subnet1: IPPrefix
    if let r = reflector {
        if !vnet.contains(r.address) { refuse(probeAt, "the reflector \(r.address) must be inside the vnet \(vnet)") }
        if gs.contains(r.address) { refuse(probeAt, "the reflector \(r.address) cannot sit in the GatewaySubnet \(gs)") }
        if r.allowFrom.isEmpty { refuse(probeAt, "no path announces a prefix: the reflector's NSG would admit nobody") }
        subnet1 = IPPrefix(address: r.address, length: max(vnet.length, 24)) ?? vnet
    } else {
        subnet1 = IPPrefix(address: vnet.address, length: max(vnet.length, 24)) ?? vnet
    }
    if subnet1.overlaps(gs) { refuse(reflector == nil ? az.location : probeAt, "subnet1 \(subnet1) would overlap the GatewaySubnet \(gs)") }

    guard errors.isEmpty, let policy, let localAS = c.localAS ?? (bgp == nil ? 0 : nil) else { return .refused(errors) }
    return .plan(AzurePlan(vpnPaths: Array(vpn.prefix(2)), local: ipsec.local, policy: policy, bgp: bgp,
                           localNetworkPrefixes: lng, reflector: reflector, vnet: vnet, gatewaySubnet: gs,
                           subnet1: subnet1, expressRouteAnnounce: erAnnounce, peerPrefixes: peer, localAS: localAS))
}

/// The private peering's primary and secondary /30s: the ExpressRoute paths (BGP with AS 12076) by
/// priority, ties in their group's order (a circuit's two links are two equal-priority paths), so
/// the first is the primary link. Azure takes the /30's second address for the MSEE and leaves the
/// first to the customer's router, so each path's neighbour must be that second address.
private func peeringPrefixes(_ c: HedgeConfig, refuse: (SourceLocation, String) -> Void) -> [IPPrefix] {
    var order: [Int] = []
    for g in c.groups {
        for name in g.paths {
            if let i = c.paths.firstIndex(where: { $0.name == name }), !order.contains(i) { order.append(i) }
        }
    }
    for i in c.paths.indices where !order.contains(i) { order.append(i) }
    var er: [PathConfig] = []
    for i in order { if let b = c.paths[i].bgp, b.remoteAS == AzurePlan.microsoftAS { er.append(c.paths[i]) } }
    // Stable by priority: the group's order stays among equals.
    var sorted: [PathConfig] = []
    for p in er {
        let at = sorted.firstIndex(where: { $0.priority > p.priority }) ?? sorted.count
        sorted.insert(p, at: at)
    }
    var peer: [IPPrefix] = []
    for p in sorted {
        guard let b = p.bgp else { continue }
        guard b.neighbor.isV4, let s = IPPrefix(address: b.neighbor, length: 30) else {
            refuse(b.location, "path \(p.name): the private peering's MSEE address must be IPv4 (got \(b.neighbor))")
            continue
        }
        if (b.neighbor.bytes.last ?? 0) & 3 != 2 {
            refuse(b.location, "path \(p.name): the MSEE takes the second address of its /30 (\(s)), and \(b.neighbor) is not it")
        } else if peer.contains(s) {
            refuse(b.location, "path \(p.name): \(s) is the other link's /30 already: the primary and secondary links need one each")
        } else if peer.count == 2 {
            refuse(b.location, "path \(p.name): a circuit's private peering has two links, and this would be a third ExpressRoute path")
        } else {
            peer.append(s)
        }
    }
    return peer
}
