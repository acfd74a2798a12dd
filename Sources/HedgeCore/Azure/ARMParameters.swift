/// The parameters files (deploymentParameters.json, 2015-01-01) for the two deployments: ours, and
/// the quickstart's, so that the VNet, its GatewaySubnet and the private peering come out as the
/// hedge configuration describes them. Only values that are not secret and that the configuration
/// decides are written; the secure ones (the shared key, the reflect key) and the operator's own
/// (SSH key, package URL and checksum) are asked for at deployment.

private func parametersHead(_ w: inout JSONWriter) {
    w.beginObject()
    w.string("$schema", ARMTemplate.parametersSchema)
    w.string("contentVersion", "1.0.0.0")
    w.beginObject("parameters")
}

private func value(_ w: inout JSONWriter, _ name: String, _ v: String) {
    w.beginObject(name); w.string("value", v); w.endObject()
}

/// azure-vpn.parameters.json: the names that tie our template to the quickstart's resources.
public func armParameters(_ plan: AzurePlan) -> String {
    var w = JSONWriter()
    parametersHead(&w)
    value(&w, "vnetName", ARMTemplate.quickstartVNet)
    value(&w, "gatewayName", ARMTemplate.quickstartERGateway)
    value(&w, "vpnGatewaySku", ARMTemplate.vpnSKUs[0])
    if plan.reflector != nil { value(&w, "subnet1Name", ARMTemplate.quickstartSubnet1) }
    w.endObject()
    w.endObject()
    return prettyJSON(w.text)
}

/// azure-er.parameters.json, for the quickstart expressroute-private-peering-vnet: the VNet, the
/// GatewaySubnet, the reflector's subnet and the private peering as hedge's configuration has them.
public func quickstartParameters(_ plan: AzurePlan) -> String {
    var w = JSONWriter()
    parametersHead(&w)
    value(&w, "vnetName", ARMTemplate.quickstartVNet)
    value(&w, "gatewayName", ARMTemplate.quickstartERGateway)
    value(&w, "subnet1Name", ARMTemplate.quickstartSubnet1)
    value(&w, "vnetAddressSpace", "\(plan.vnet)")
    value(&w, "gatewaySubnetPrefix", "\(plan.gatewaySubnet)")
    value(&w, "subnet1Prefix", "\(plan.subnet1)")
    w.beginObject("peerASN"); w.int("value", Int64(plan.localAS)); w.endObject()
    // The MSEE's address ends each /30 (.2), ours is the first host (.1): the quickstart's names.
    if plan.peerPrefixes.count > 0 { value(&w, "primaryPeerAddressPrefix", "\(plan.peerPrefixes[0])") }
    if plan.peerPrefixes.count > 1 { value(&w, "secondaryPeerAddressPrefix", "\(plan.peerPrefixes[1])") }
    w.endObject()
    w.endObject()
    return prettyJSON(w.text)
}
