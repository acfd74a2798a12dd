/// The `azure` block: what hedge is told about the VNet and its GatewaySubnet.
extension Validator {
    mutating func validateAzure(_ d: DraftConfig, into config: inout HedgeConfig) {
        guard let az = d.azure else { return }
        var settings = AzureSettings(location: az.at)
        settings.vnet = az.vnet.map { $0.value }
        if let gs = az.gatewaySubnet {
            if !gs.value.isV4 {
                error(gs.at, "gateway-subnet must be an IPv4 prefix")
            } else if gs.value.length > 27 {
                error(gs.at, "GatewaySubnet must be /27 or larger for ExpressRoute/VPN coexistence (got /\(gs.value.length))")
            } else if !az.vnet.isEmpty && !az.vnet.contains(where: { $0.value.contains(gs.value) }) {
                error(gs.at, "gateway-subnet \(gs.value) is not inside any vnet")
            }
            settings.gatewaySubnet = gs.value
        }
        var seen: HashSet<IPPrefix> = []
        for v in az.vnet where !seen.insert(v.value).inserted {
            warning(v.at, "duplicate vnet \(v.value)")
        }
        if let l = az.privatePeeringLimit {
            if range(l, 1, 10_000, "private-peering-limit must be 1–10000 (4000; 10000 with ExpressRoute Premium)") {
                settings.privatePeeringLimit = Int(l.value)
            }
        }
        config.azure = settings
    }
}
