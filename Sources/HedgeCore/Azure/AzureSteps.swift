/// `hedge-azure steps`: the same Azure half as the template, as az CLI commands an operator can read
/// and run one by one, then the reference architecture's four-step test done with `hedge drill`.
public func azureSteps(_ plan: AzurePlan, configPath: String) -> String {
    let n = plan.activeActive ? 2 : 1
    let gs = plan.gatewaySubnet
    var s = """
    # The Azure half of \(configPath), as az CLI commands (bash). hedge-azure template -c \(configPath)
    # writes the same as azure-vpn.json; names are the template's parameter defaults.
    set -eu
    RG=${RG:?the resource group of the quickstart deployment}

    # 0. The quickstart expressroute-private-peering-vnet (circuit, private peering, VNet, GatewaySubnet,
    #    ExpressRoute gateway), with the VNet and peering of this configuration (azure-er.parameters.json):
    az deployment group create -g "$RG" --parameters @azure-er.parameters.json \\
      --template-uri https://raw.githubusercontent.com/Azure/azure-quickstart-templates/master/quickstarts/microsoft.network/expressroute-private-peering-vnet/azuredeploy.json

    # 1. The VPN half in one deployment (the template checks the GatewaySubnet and the ExpressRoute gateway itself):
    az deployment group create -g "$RG" --template-file azure-vpn.json --parameters @azure-vpn.parameters.json \\
      sharedKey="$SHARED_KEY"\(plan.reflector == nil ? "" : " reflectKey=\"$REFLECT_KEY\" adminSshPublicKey=\"$(cat ~/.ssh/id_ed25519.pub)\" \\\n  hedgeReflectDebUrl=\"$DEB_URL\" hedgeReflectDebSha256=\"$DEB_SHA256\"")

    # 1'. Or the same, resource by resource:
    # The GatewaySubnet must be /27 or larger for the two gateways to coexist (hedge's: \(gs)).
    len=$(az network vnet subnet show -g "$RG" --vnet-name \(ARMTemplate.quickstartVNet) -n GatewaySubnet --query addressPrefix -o tsv | cut -d/ -f2)
    [ "$len" -le 27 ] || { echo "GatewaySubnet is /$len: ExpressRoute and VPN gateways need /27 or larger" >&2; exit 1; }
    [ "$(az network vnet-gateway show -g "$RG" -n \(ARMTemplate.quickstartERGateway) --query gatewayType -o tsv)" = ExpressRoute ]

    """
    var ips: [String] = []
    for i in 0..<n {
        ips.append("vpn-gw-pip\(i + 1)")
        s += "az network public-ip create -g \"$RG\" -n vpn-gw-pip\(i + 1) --sku Standard --allocation-method Static --version IPv4\n"
    }
    // Two public IPs make the gateway active-active.
    s += "az network vnet-gateway create -g \"$RG\" -n vpn-gw --vnet \(ARMTemplate.quickstartVNet) --gateway-type Vpn --vpn-type RouteBased \\\n"
    s += "  --sku \(ARMTemplate.vpnSKUs[0]) --public-ip-addresses \(ips.joined(separator: " "))"
    s += plan.bgp == nil ? "\n" : " --asn \(AzurePlan.azureVPNAS)\n"
    if let b = plan.bgp, b.apipa {
        for (i, a) in b.azure.enumerated() {
            s += "az network vnet-gateway update -g \"$RG\" -n vpn-gw --set 'bgpSettings.bgpPeeringAddresses[\(i)].customBgpIpAddresses=[\"\(a)\"]'\n"
        }
    }
    s += "az network local-gateway create -g \"$RG\" -n hedge --gateway-ip-address \(plan.local)"
    if !plan.localNetworkPrefixes.isEmpty {
        s += " --local-address-prefixes " + plan.localNetworkPrefixes.map { "\($0)" }.joined(separator: " ")
    }
    if let b = plan.bgp { s += " --asn \(plan.localAS) --bgp-peering-address \(b.source)" }
    s += "\n"
    s += "az network vpn-connection create -g \"$RG\" -n vpn-gw-hedge --vnet-gateway1 vpn-gw --local-gateway2 hedge --shared-key \"$SHARED_KEY\""
    s += plan.bgp == nil ? "\n" : " --enable-bgp\n"
    let p = plan.policy
    s += "az network vpn-connection ipsec-policy add -g \"$RG\" --connection-name vpn-gw-hedge \\\n"
    s += "  --ike-encryption \(p.ikeEncryption) --ike-integrity \(p.ikeIntegrity) --dh-group \(p.dhGroup) \\\n"
    s += "  --ipsec-encryption \(p.ipsecEncryption) --ipsec-integrity \(p.ipsecIntegrity) --pfs-group \(p.pfsGroup) \\\n"
    s += "  --sa-lifetime \(p.saLifeTimeSeconds) --sa-max-size \(p.saDataSizeKilobytes)\n"
    s += "az network vpn-connection update -g \"$RG\" -n vpn-gw-hedge --use-policy-based-traffic-selectors false\n"
    if let r = plan.reflector {
        s += """

        # The reflector: hedge-reflect on a small Debian 12 VM at the probe's target, admitting its UDP
        # port from what the paths announce only.
        az network nsg create -g "$RG" -n hedge-reflect-nsg
        az network nsg rule create -g "$RG" --nsg-name hedge-reflect-nsg -n hedge-reflect --priority 100 --protocol Udp \\
          --source-address-prefixes \(r.allowFrom.map { "\($0)" }.joined(separator: " ")) --destination-address-prefixes \(r.address)/32 --destination-port-ranges \(r.port)
        az network nsg rule create -g "$RG" --nsg-name hedge-reflect-nsg -n ssh --priority 110 --protocol Tcp \\
          --source-address-prefixes VirtualNetwork --destination-address-prefixes \(r.address)/32 --destination-port-ranges 22
        az network nic create -g "$RG" -n hedge-reflect-nic --vnet-name \(ARMTemplate.quickstartVNet) --subnet \(ARMTemplate.quickstartSubnet1) \\
          --private-ip-address \(r.address) --network-security-group hedge-reflect-nsg
        sed -e "s|\(ReflectorCloudInit.debURLPlaceholder)|$DEB_URL|" -e "s|\(ReflectorCloudInit.debSHA256Placeholder)|$DEB_SHA256|" -e "s|\(ReflectorCloudInit.keyPlaceholder)|$REFLECT_KEY|" \\
          deploy/azure/reflector-cloud-init.yaml > reflector-cloud-init.yaml   # from hedge's source tree
        az vm create -g "$RG" -n hedge-reflect --nics hedge-reflect-nic --image Debian:debian-12:12-gen2:latest --size Standard_B1s \\
          --admin-username hedge --ssh-key-values ~/.ssh/id_ed25519.pub --custom-data reflector-cloud-init.yaml

        """
    }
    s += """

    # What the VPN gateway got, for hedge's ipsec { remote } (and charon's remote_addrs) and bgp blocks:
    az network public-ip show -g "$RG" -n vpn-gw-pip1 --query ipAddress -o tsv
    az network vnet-gateway show -g "$RG" -n vpn-gw --query bgpSettings

    # The reference architecture's four-step test, on the router, with hedge running this configuration:
    hedge check -c \(configPath)
    hedge status -c \(configPath)   # 1. the VNet is reached over ExpressRoute; the VPN is healthy, standing by
    hedge drill -c \(configPath)    # 2. ExpressRoute is held down (locally; the circuit is untouched),
                                    # 3. the VNet is reached over the VPN, 4. it is released and traffic moves back

    """
    return s
}
