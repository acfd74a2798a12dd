/// The connection's custom IPsec/IKE policy as Azure names it (`ipsecPolicies` of
/// Microsoft.Network/connections): the one combination Azure accepts for a connection, written from
/// the proposal the on-prem side (hedge, or charon for it) offers, so that both ends agree.
public struct AzureIPsecPolicy: Sendable, Equatable {
    /// IKE (phase 1): e.g. "AES256", "GCMAES256"; "SHA256"; "DHGroup14", "ECP256".
    public var ikeEncryption: String
    public var ikeIntegrity: String
    public var dhGroup: String
    /// ESP (phase 2, quick mode): e.g. "GCMAES256" with integrity "GCMAES256"; "PFS2048", "None".
    public var ipsecEncryption: String
    public var ipsecIntegrity: String
    public var pfsGroup: String
    /// The CHILD_SA's lifetime in seconds and kilobytes.
    public var saLifeTimeSeconds: Int
    public var saDataSizeKilobytes: Int

    public init(ikeEncryption: String, ikeIntegrity: String, dhGroup: String, ipsecEncryption: String,
                ipsecIntegrity: String, pfsGroup: String, saLifeTimeSeconds: Int, saDataSizeKilobytes: Int) {
        self.ikeEncryption = ikeEncryption; self.ikeIntegrity = ikeIntegrity; self.dhGroup = dhGroup
        self.ipsecEncryption = ipsecEncryption; self.ipsecIntegrity = ipsecIntegrity; self.pfsGroup = pfsGroup
        self.saLifeTimeSeconds = saLifeTimeSeconds; self.saDataSizeKilobytes = saDataSizeKilobytes
    }
}

/// The policy a path's `ipsec` block asks of Azure; nil when the block names no proposal (the
/// proposal statements and their checks fill this in).
public func azureIPsecPolicy(_ x: IPsecConfig) -> AzureIPsecPolicy? { nil }
