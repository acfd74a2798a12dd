/// The ARM template of the Azure half (deploymentTemplate.json, 2019-04-01): the VPN gateway beside
/// the quickstart's ExpressRoute gateway, the local network gateway, the connection and, when a path
/// probes a reflector, the reflector VM. The quickstart's VNet, GatewaySubnet and ExpressRoute
/// gateway are referenced by its own parameter names and defaults, never created.
public enum ARMTemplate {
    /// The API versions of Microsoft.Network and Microsoft.Compute whose resource models the tests
    /// validate against: those of the Azure SDK for Python releases scripts/install-azure-sdk pins
    /// (the last ones whose models carry a walkable attribute map).
    public static let networkAPI = "2025-05-01"
    public static let computeAPI = "2025-04-01"
    public static let schema = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
    public static let parametersSchema = "https://schema.management.azure.com/schemas/2015-01-01/deploymentParameters.json#"

    /// The quickstart's parameter names and defaults for what it creates and we reference.
    public static let quickstartVNet = "vnet1"
    public static let quickstartERGateway = "er-gw"
    public static let quickstartSubnet1 = "subnet1"

    /// The SKUs the VPN gateway may have: route-based, BGP-capable and able to sit beside an
    /// ExpressRoute gateway, hence never Basic.
    public static let vpnSKUs = ["VpnGw1AZ", "VpnGw2AZ", "VpnGw3AZ", "VpnGw4AZ", "VpnGw5AZ",
                                 "VpnGw1", "VpnGw2", "VpnGw3", "VpnGw4", "VpnGw5"]

    /// Names of the gateway's IP configurations, in instance order.
    public static let ipConfigurations = ["default", "activeActive"]
}

public func armTemplate(_ plan: AzurePlan) -> String {
    var w = JSONWriter()
    w.beginObject()
    w.string("$schema", ARMTemplate.schema)
    w.string("contentVersion", "1.0.0.0")
    w.beginObject("metadata")
    w.string("description", "The VPN half of the ExpressRoute/VPN reference architecture, written by hedge-azure template from the hedge configuration; deploy it into the resource group of the quickstart expressroute-private-peering-vnet.")
    w.endObject()
    armParameterDeclarations(&w, plan)
    armVariables(&w, plan)
    w.beginArray("resources")
    armGateway(&w, plan)
    armLocalGateway(&w, plan)
    armConnection(&w, plan)
    if let r = plan.reflector { armReflector(&w, r) }
    w.endArray()
    armOutputs(&w, plan)
    w.endObject()
    return prettyJSON(w.text)
}

private func param(_ w: inout JSONWriter, _ name: String, _ type: String, _ defaultValue: String?, _ description: String) {
    w.beginObject(name)
    w.string("type", type)
    if let d = defaultValue { w.string("defaultValue", d) }
    w.beginObject("metadata")
    w.string("description", description)
    w.endObject()
    w.endObject()
}

private func armParameterDeclarations(_ w: inout JSONWriter, _ plan: AzurePlan) {
    w.beginObject("parameters")
    param(&w, "location", "string", "[resourceGroup().location]", "Location of the new resources: the quickstart's")
    param(&w, "vnetName", "string", ARMTemplate.quickstartVNet, "The quickstart's VNet (parameter vnetName), holding the GatewaySubnet")
    param(&w, "gatewayName", "string", ARMTemplate.quickstartERGateway, "The quickstart's ExpressRoute gateway (parameter gatewayName): it must exist, this template checks so")
    param(&w, "vpnGatewayName", "string", "vpn-gw", "The VPN gateway this template creates in the GatewaySubnet")
    w.beginObject("vpnGatewaySku")
    w.string("type", "string")
    w.string("defaultValue", ARMTemplate.vpnSKUs[0])
    w.beginArray("allowedValues")
    for s in ARMTemplate.vpnSKUs { w.string(nil, s) }
    w.endArray()
    w.beginObject("metadata")
    w.string("description", "VPN gateway SKU: VpnGw1 or better (Basic can neither do BGP nor coexist with ExpressRoute)")
    w.endObject()
    w.endObject()
    param(&w, "localNetworkGatewayName", "string", "hedge", "The local network gateway: hedge's end of the tunnel")
    param(&w, "connectionName", "string", "vpn-gw-hedge", "The IPsec connection between the two")
    param(&w, "sharedKey", "securestring", nil, "The IKE pre-shared key: the one in charon's swanctl.conf secrets")
    if plan.reflector != nil {
        param(&w, "subnet1Name", "string", ARMTemplate.quickstartSubnet1, "The quickstart's subnet (parameter subnet1Name) the reflector VM joins")
        param(&w, "reflectorName", "string", "hedge-reflect", "The reflector VM, and the prefix of its NIC and NSG")
        param(&w, "reflectorVmSize", "string", "Standard_B1s", "A small x86-64 size: the package URL below must be of the amd64 build")
        param(&w, "adminUsername", "string", "hedge", "The reflector VM's administrator")
        param(&w, "adminSshPublicKey", "string", nil, "The administrator's SSH public key (password log-in is off)")
        param(&w, "sshSourcePrefix", "string", "VirtualNetwork", "Where SSH to the reflector may come from (an address prefix or a service tag)")
        param(&w, "hedgeReflectDebUrl", "string", nil, "Where the VM can fetch hedge-reflect_<version>-1_amd64.deb")
        param(&w, "hedgeReflectDebSha256", "string", nil, "That package's sha256sum: it is installed only if it matches")
        param(&w, "reflectKey", "securestring", nil, "The key in the routers' reflect key-file (16 octets at least; openssl rand -hex 32)")
    }
    w.endObject()
}

private let gatewaySubnetID = "resourceId('Microsoft.Network/virtualNetworks/subnets', parameters('vnetName'), 'GatewaySubnet')"
private let vpnGatewayID = "resourceId('Microsoft.Network/virtualNetworkGateways', parameters('vpnGatewayName'))"
private let erGatewayID = "resourceId('Microsoft.Network/virtualNetworkGateways', parameters('gatewayName'))"
private let localGatewayID = "resourceId('Microsoft.Network/localNetworkGateways', parameters('localNetworkGatewayName'))"

private func publicIPName(_ i: Int) -> String { "[format('{0}-pip\(i + 1)', parameters('vpnGatewayName'))]" }
private func publicIPID(_ i: Int) -> String {
    "resourceId('Microsoft.Network/publicIPAddresses', format('{0}-pip\(i + 1)', parameters('vpnGatewayName')))"
}

/// The guard: the GatewaySubnet and the ExpressRoute gateway exist already, so no parameter can
/// hold them to what the architecture needs; reading them at deployment time can (in the resource
/// itself: ARM takes no reference() among the variables). A failed check leaves a subnet ID that
/// names the problem, and the VPN gateway's creation fails on it before anything is built.
private var checkedGatewaySubnetID: String {
    let prefixLength = "int(last(split(reference(\(gatewaySubnetID), '\(ARMTemplate.networkAPI)').addressPrefix, '/')))"
    let erType = "reference(\(erGatewayID), '\(ARMTemplate.networkAPI)').gatewayType"
    return "if(greater(\(prefixLength), 27), 'GatewaySubnet-is-smaller-than-/27:ExpressRoute-and-VPN-gateways-cannot-coexist-in-it', "
        + "if(not(equals(\(erType), 'ExpressRoute')), 'no-ExpressRoute-gateway-of-that-name:deploy-the-quickstart-first', \(gatewaySubnetID)))"
}

private func armVariables(_ w: inout JSONWriter, _ plan: AzurePlan) {
    w.beginObject("variables")
    if plan.reflector != nil { w.string("reflectorCloudInit", ReflectorCloudInit.text) }
    w.endObject()
}

private func resourceHead(_ w: inout JSONWriter, _ type: String, _ api: String, _ name: String) {
    w.beginObject()
    w.string("type", type)
    w.string("apiVersion", api)
    w.string("name", name)
    w.string("location", "[parameters('location')]")
}

private func ref(_ w: inout JSONWriter, _ key: String, _ idExpression: String, properties: Bool = false) {
    w.beginObject(key)
    w.string("id", "[\(idExpression)]")
    if properties { w.beginObject("properties"); w.endObject() }
    w.endObject()
}

private func armGateway(_ w: inout JSONWriter, _ plan: AzurePlan) {
    let n = plan.activeActive ? 2 : 1
    for i in 0..<n {
        resourceHead(&w, "Microsoft.Network/publicIPAddresses", ARMTemplate.networkAPI, publicIPName(i))
        w.beginObject("sku"); w.string("name", "Standard"); w.string("tier", "Regional"); w.endObject()
        w.beginObject("properties")
        w.string("publicIPAllocationMethod", "Static")
        w.string("publicIPAddressVersion", "IPv4")
        w.endObject()
        w.endObject()
    }
    resourceHead(&w, "Microsoft.Network/virtualNetworkGateways", ARMTemplate.networkAPI, "[parameters('vpnGatewayName')]")
    w.beginArray("dependsOn")
    for i in 0..<n { w.string(nil, "[\(publicIPID(i))]") }
    w.endArray()
    w.beginObject("properties")
    w.string("gatewayType", "Vpn")
    w.string("vpnType", "RouteBased")
    w.beginObject("sku")
    w.string("name", "[parameters('vpnGatewaySku')]")
    w.string("tier", "[parameters('vpnGatewaySku')]")
    w.endObject()
    w.bool("activeActive", plan.activeActive)
    w.bool("enableBgp", plan.bgp != nil)
    w.beginArray("ipConfigurations")
    for i in 0..<n {
        w.beginObject()
        w.string("name", ARMTemplate.ipConfigurations[i])
        w.beginObject("properties")
        w.string("privateIPAllocationMethod", "Dynamic")
        ref(&w, "subnet", checkedGatewaySubnetID)
        ref(&w, "publicIPAddress", publicIPID(i))
        w.endObject()
        w.endObject()
    }
    w.endArray()
    if let b = plan.bgp {
        w.beginObject("bgpSettings")
        w.int("asn", Int64(AzurePlan.azureVPNAS))
        if b.apipa {
            w.beginArray("bgpPeeringAddresses")
            for (i, a) in b.azure.enumerated() {
                w.beginObject()
                w.string("ipconfigurationId", "[concat(\(vpnGatewayID), '/ipConfigurations/\(ARMTemplate.ipConfigurations[i])')]")
                w.beginArray("customBgpIpAddresses"); w.string(nil, "\(a)"); w.endArray()
                w.endObject()
            }
            w.endArray()
        }
        w.endObject()
    }
    w.endObject()
    w.endObject()
}

private func armLocalGateway(_ w: inout JSONWriter, _ plan: AzurePlan) {
    resourceHead(&w, "Microsoft.Network/localNetworkGateways", ARMTemplate.networkAPI, "[parameters('localNetworkGatewayName')]")
    w.beginObject("properties")
    w.string("gatewayIpAddress", "\(plan.local)")
    w.beginObject("localNetworkAddressSpace")
    w.beginArray("addressPrefixes")
    for p in plan.localNetworkPrefixes { w.string(nil, "\(p)") }
    w.endArray()
    w.endObject()
    if let b = plan.bgp {
        w.beginObject("bgpSettings")
        w.int("asn", Int64(plan.localAS))
        w.string("bgpPeeringAddress", "\(b.source)")
        w.endObject()
    }
    w.endObject()
    w.endObject()
}

private func armConnection(_ w: inout JSONWriter, _ plan: AzurePlan) {
    resourceHead(&w, "Microsoft.Network/connections", ARMTemplate.networkAPI, "[parameters('connectionName')]")
    w.beginArray("dependsOn")
    w.string(nil, "[\(vpnGatewayID)]")
    w.string(nil, "[\(localGatewayID)]")
    w.endArray()
    w.beginObject("properties")
    w.string("connectionType", "IPsec")
    w.string("connectionProtocol", "IKEv2")
    ref(&w, "virtualNetworkGateway1", vpnGatewayID, properties: true)
    ref(&w, "localNetworkGateway2", localGatewayID, properties: true)
    w.string("sharedKey", "[parameters('sharedKey')]")
    w.bool("enableBgp", plan.bgp != nil)
    w.bool("usePolicyBasedTrafficSelectors", false)
    let p = plan.policy
    w.beginArray("ipsecPolicies")
    w.beginObject()
    w.int("saLifeTimeSeconds", p.saLifeTimeSeconds)
    w.int("saDataSizeKilobytes", p.saDataSizeKilobytes)
    w.string("ipsecEncryption", p.ipsecEncryption)
    w.string("ipsecIntegrity", p.ipsecIntegrity)
    w.string("ikeEncryption", p.ikeEncryption)
    w.string("ikeIntegrity", p.ikeIntegrity)
    w.string("dhGroup", p.dhGroup)
    w.string("pfsGroup", p.pfsGroup)
    w.endObject()
    w.endArray()
    w.endObject()
    w.endObject()
}

private let subnet1ID = "resourceId('Microsoft.Network/virtualNetworks/subnets', parameters('vnetName'), parameters('subnet1Name'))"
private let nsgID = "resourceId('Microsoft.Network/networkSecurityGroups', format('{0}-nsg', parameters('reflectorName')))"
private let nicID = "resourceId('Microsoft.Network/networkInterfaces', format('{0}-nic', parameters('reflectorName')))"

private func rule(_ w: inout JSONWriter, _ name: String, _ proto: String, _ port: String, priority: Int,
                  from: [String]?, fromParameter: String?, to: String) {
    w.beginObject()
    w.string("name", name)
    w.beginObject("properties")
    w.string("protocol", proto)
    w.string("sourcePortRange", "*")
    if let from {
        w.beginArray("sourceAddressPrefixes")
        for f in from { w.string(nil, f) }
        w.endArray()
    }
    if let fromParameter { w.string("sourceAddressPrefix", fromParameter) }
    w.string("destinationAddressPrefix", to)
    w.string("destinationPortRange", port)
    w.string("access", "Allow")
    w.int("priority", priority)
    w.string("direction", "Inbound")
    w.endObject()
    w.endObject()
}

private func armReflector(_ w: inout JSONWriter, _ r: AzurePlan.Reflector) {
    resourceHead(&w, "Microsoft.Network/networkSecurityGroups", ARMTemplate.networkAPI, "[format('{0}-nsg', parameters('reflectorName'))]")
    w.beginObject("properties")
    w.beginArray("securityRules")
    // The reflector answers only what the routers send from on-prem; everything else inbound
    // falls to the NSG's default rules and, behind them, the VM's own nftables.
    rule(&w, "hedge-reflect", "Udp", "\(r.port)", priority: 100, from: r.allowFrom.map { "\($0)" }, fromParameter: nil, to: "\(r.address)/32")
    rule(&w, "ssh", "Tcp", "22", priority: 110, from: nil, fromParameter: "[parameters('sshSourcePrefix')]", to: "\(r.address)/32")
    w.endArray()
    w.endObject()
    w.endObject()

    resourceHead(&w, "Microsoft.Network/networkInterfaces", ARMTemplate.networkAPI, "[format('{0}-nic', parameters('reflectorName'))]")
    w.beginArray("dependsOn"); w.string(nil, "[\(nsgID)]"); w.endArray()
    w.beginObject("properties")
    w.beginArray("ipConfigurations")
    w.beginObject()
    w.string("name", "ipconfig1")
    w.beginObject("properties")
    w.string("privateIPAllocationMethod", "Static")
    w.string("privateIPAddress", "\(r.address)")
    ref(&w, "subnet", subnet1ID)
    w.endObject()
    w.endObject()
    w.endArray()
    ref(&w, "networkSecurityGroup", nsgID)
    w.endObject()
    w.endObject()

    resourceHead(&w, "Microsoft.Compute/virtualMachines", ARMTemplate.computeAPI, "[parameters('reflectorName')]")
    w.beginArray("dependsOn"); w.string(nil, "[\(nicID)]"); w.endArray()
    w.beginObject("properties")
    w.beginObject("hardwareProfile"); w.string("vmSize", "[parameters('reflectorVmSize')]"); w.endObject()
    w.beginObject("osProfile")
    w.string("computerName", "[parameters('reflectorName')]")
    w.string("adminUsername", "[parameters('adminUsername')]")
    w.string("customData", "[base64(replace(replace(replace(variables('reflectorCloudInit'), "
             + "'\(ReflectorCloudInit.debURLPlaceholder)', parameters('hedgeReflectDebUrl')), "
             + "'\(ReflectorCloudInit.debSHA256Placeholder)', parameters('hedgeReflectDebSha256')), "
             + "'\(ReflectorCloudInit.keyPlaceholder)', parameters('reflectKey')))]")
    w.beginObject("linuxConfiguration")
    w.bool("disablePasswordAuthentication", true)
    w.beginObject("ssh")
    w.beginArray("publicKeys")
    w.beginObject()
    w.string("path", "[format('/home/{0}/.ssh/authorized_keys', parameters('adminUsername'))]")
    w.string("keyData", "[parameters('adminSshPublicKey')]")
    w.endObject()
    w.endArray()
    w.endObject()
    w.endObject()
    w.endObject()
    w.beginObject("storageProfile")
    w.beginObject("imageReference")
    w.string("publisher", "Debian"); w.string("offer", "debian-12"); w.string("sku", "12-gen2"); w.string("version", "latest")
    w.endObject()
    w.beginObject("osDisk")
    w.string("createOption", "FromImage")
    w.beginObject("managedDisk"); w.string("storageAccountType", "Standard_LRS"); w.endObject()
    w.endObject()
    w.endObject()
    w.beginObject("networkProfile")
    w.beginArray("networkInterfaces")
    w.beginObject(); w.string("id", "[\(nicID)]"); w.endObject()
    w.endArray()
    w.endObject()
    w.endObject()
    w.endObject()
}

private func output(_ w: inout JSONWriter, _ name: String, _ type: String, _ value: String) {
    w.beginObject(name)
    w.string("type", type)
    w.string("value", value)
    w.endObject()
}

private func armOutputs(_ w: inout JSONWriter, _ plan: AzurePlan) {
    w.beginObject("outputs")
    for i in 0..<(plan.activeActive ? 2 : 1) {
        // What hedge's `ipsec { remote }` (and charon's remote_addrs) must say, per instance.
        output(&w, "vpnGatewayPublicIp\(i + 1)", "string", "[reference(\(publicIPID(i)), '\(ARMTemplate.networkAPI)').ipAddress]")
    }
    if plan.bgp != nil {
        output(&w, "vpnGatewayBgpSettings", "object", "[reference(\(vpnGatewayID), '\(ARMTemplate.networkAPI)').bgpSettings]")
    }
    output(&w, "gatewaySubnetPrefix", "string", "[reference(\(gatewaySubnetID), '\(ARMTemplate.networkAPI)').addressPrefix]")
    w.endObject()
}
