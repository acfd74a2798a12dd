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

/// The policy a path's `ipsec` block asks of Azure; nil when the block does not state a whole
/// proposal (both `proposals` and `esp-proposals`), or states one Azure cannot take (`hedge check`
/// says why). Lifetimes not stated are Azure's defaults.
public func azureIPsecPolicy(_ x: IPsecConfig) -> AzureIPsecPolicy? {
    guard case .strongswan(let s) = x.keying, let p = s.proposal else { return nil }
    let ike = ProposalParts(p.ike), esp = ProposalParts(p.esp)
    guard let ikeEnc = ike.encryption?.ike, let ikeInteg = (ike.integrity ?? ike.prf)?.ike,
          let dh = ike.keyExchange?.ike, let enc = esp.encryption, let espEnc = enc.esp else { return nil }
    let espInteg: String
    if enc.kind == .aead {
        // Azure: a GCM cipher names itself as the integrity too (ipsecIntegrity == ipsecEncryption).
        guard esp.integrity == nil else { return nil }
        espInteg = espEnc
    } else {
        guard let i = esp.integrity?.esp else { return nil }
        espInteg = i
    }
    var pfs = AzureIPsecLimits.noPFS
    if let g = esp.keyExchange {
        guard let name = g.esp else { return nil }
        pfs = name
    }
    return AzureIPsecPolicy(ikeEncryption: ikeEnc, ikeIntegrity: ikeInteg, dhGroup: dh, ipsecEncryption: espEnc,
                            ipsecIntegrity: espInteg, pfsGroup: pfs,
                            saLifeTimeSeconds: Int(p.childLifetime?.value ?? AzureIPsecLimits.defaultChildSeconds),
                            saDataSizeKilobytes: Int(p.childKilobytes?.value ?? AzureIPsecLimits.defaultChildKilobytes))
}

/// The first keyword of each kind in one proposal, aliases resolved; keywords hedge does not know are
/// left out (`hedge check` reports them).
struct ProposalParts {
    var encryption: IPsecAlgorithm?
    var integrity: IPsecAlgorithm?
    var prf: IPsecAlgorithm?
    var keyExchange: IPsecAlgorithm?

    init(_ keywords: [ProposalKeyword]) {
        for k in keywords {
            guard let a = IPsecAlgorithm.named(k.text) else { continue }
            switch a.kind {
            case .encryption, .aead: if encryption == nil { encryption = a }
            case .integrity: if integrity == nil { integrity = a }
            case .prf: if prf == nil { prf = a }
            case .keyExchange: if keyExchange == nil { keyExchange = a }
            case .esn: break
            }
        }
    }
}

/// What Azure's VPN gateway allows of a custom policy's lifetimes.
public enum AzureIPsecLimits {
    /// saLifeTimeSeconds: the docs give the minimum and the default; the maximum is Azure
    /// PowerShell's (New-AzIpsecPolicy validates 300–172799).
    public static let childSecondsMin: UInt64 = 300
    public static let childSecondsMax: UInt64 = 172_799
    public static let defaultChildSeconds: UInt64 = 27_000
    /// saDataSizeKilobytes: minimum and default from the docs; the property is an int32.
    public static let childKilobytesMin: UInt64 = 1024
    public static let childKilobytesMax: UInt64 = 2_147_483_647
    public static let defaultChildKilobytes: UInt64 = 102_400_000
    /// The connection has no property for the IKE SA's lifetime: Azure's gateway rekeys its IKE SA
    /// after this many seconds, whatever the other end does.
    public static let ikeSeconds: UInt64 = 28_800
    public static let noPFS = "None"
}

/// One algorithm keyword of strongSwan's proposal syntax, what it means, and what Azure calls it
/// where Azure accepts it. The one table the proposal checks and the template writer read.
public struct IPsecAlgorithm: Sendable {
    public enum Kind: Sendable, Equatable {
        /// An encryption algorithm that needs an integrity algorithm beside it.
        case encryption
        /// Authenticated encryption (AEAD): its own integrity; in IKE it still needs a PRF.
        case aead
        case integrity
        /// IKE only: the pseudo-random function (without one, strongSwan uses the integrity
        /// algorithm's; an AEAD IKE proposal needs one).
        case prf
        /// A Diffie-Hellman group: in IKE the key exchange, in ESP the PFS group.
        case keyExchange
        /// ESP's extended sequence numbers switch (`esn`, `noesn`): nothing Azure's policy names.
        case esn
    }

    /// As swanctl.conf writes it.
    public var keyword: String
    public var kind: Kind
    /// Azure's name in an IKE slot (ikeEncryption, ikeIntegrity, dhGroup); nil where Azure refuses it.
    public var ike: String?
    /// Azure's name in an ESP slot (ipsecEncryption, ipsecIntegrity, pfsGroup).
    public var esp: String?
    /// The IANA transform, group or kernel algorithm.
    public var meaning: String
    /// For a second spelling of the same algorithm: the keyword it stands for (not listed as accepted).
    public var aliasOf: String?

    init(_ keyword: String, _ kind: Kind, ike: String? = nil, esp: String? = nil, _ meaning: String, aliasOf: String? = nil) {
        self.keyword = keyword; self.kind = kind; self.ike = ike; self.esp = esp; self.meaning = meaning
        self.aliasOf = aliasOf
    }

    /// The entry for a keyword; an alias answers with its own entry (Azure's names copied).
    public static func named(_ keyword: String) -> IPsecAlgorithm? {
        all.first { $0.keyword == keyword }
    }

    // Azure's accepted values, from:
    //   https://learn.microsoft.com/azure/vpn-gateway/ipsec-ike-policy-howto (the tables it includes:
    //     MicrosoftDocs/azure-docs includes/vpn-gateway-ipsec-ike-algorithm-include.md,
    //     -requirements-include.md, -diffie-hellman-include.md)
    //   https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-about-compliance-crypto
    //   https://learn.microsoft.com/rest/api/virtualnetwork/virtual-network-gateway-connections
    //     (IpsecPolicy: ikeEncryption, ikeIntegrity, dhGroup, ipsecEncryption, ipsecIntegrity, pfsGroup)
    //   Azure PowerShell New-AzIpsecPolicy (Azure/azure-powershell, NewAzureRmIpsecPolicyCommand.cs):
    //     the lifetime ranges and the GCM rule (ipsecIntegrity must be the same GCMAES).
    // Where the API's enums carry more than the documented table (IKE DES/DES3, PFS14, PFSMM), the
    // table is followed. strongSwan's keywords: https://docs.strongswan.org/docs/latest/config/proposals.html
    public static let all: [IPsecAlgorithm] = [
        // Encryption (IANA ENCR_*; the kernel's cbc(aes), rfc4106(gcm(aes)), ...).
        .init("aes128", .encryption, ike: "AES128", esp: "AES128", "ENCR_AES_CBC, 128-bit key: cbc(aes)"),
        .init("aes192", .encryption, ike: "AES192", esp: "AES192", "ENCR_AES_CBC, 192-bit key: cbc(aes)"),
        .init("aes256", .encryption, ike: "AES256", esp: "AES256", "ENCR_AES_CBC, 256-bit key: cbc(aes)"),
        .init("aes", .encryption, ike: "AES128", esp: "AES128", "ENCR_AES_CBC, 128-bit key", aliasOf: "aes128"),
        .init("3des", .encryption, esp: "DES3", "ENCR_3DES: cbc(des3_ede)"),
        .init("des", .encryption, esp: "DES", "ENCR_DES: cbc(des)"),
        .init("null", .encryption, esp: "None", "ENCR_NULL: ecb(cipher_null), no encryption"),
        .init("aes128ctr", .encryption, "ENCR_AES_CTR, 128-bit key: rfc3686(ctr(aes))"),
        .init("aes192ctr", .encryption, "ENCR_AES_CTR, 192-bit key"),
        .init("aes256ctr", .encryption, "ENCR_AES_CTR, 256-bit key"),
        .init("camellia128", .encryption, "ENCR_CAMELLIA_CBC, 128-bit key"),
        .init("camellia192", .encryption, "ENCR_CAMELLIA_CBC, 192-bit key"),
        .init("camellia256", .encryption, "ENCR_CAMELLIA_CBC, 256-bit key"),
        .init("cast128", .encryption, "ENCR_CAST"),
        .init("blowfish128", .encryption, "ENCR_BLOWFISH, 128-bit key"),
        .init("blowfish256", .encryption, "ENCR_BLOWFISH, 256-bit key"),
        // AEAD. Azure takes GCM with the 16-byte ICV only; AES-192-GCM in ESP only.
        .init("aes128gcm16", .aead, ike: "GCMAES128", esp: "GCMAES128", "ENCR_AES_GCM_16, 128-bit key: rfc4106(gcm(aes))"),
        .init("aes192gcm16", .aead, esp: "GCMAES192", "ENCR_AES_GCM_16, 192-bit key: rfc4106(gcm(aes))"),
        .init("aes256gcm16", .aead, ike: "GCMAES256", esp: "GCMAES256", "ENCR_AES_GCM_16, 256-bit key: rfc4106(gcm(aes))"),
        .init("aes128gcm128", .aead, ike: "GCMAES128", esp: "GCMAES128", "ENCR_AES_GCM_16, 128-bit key", aliasOf: "aes128gcm16"),
        .init("aes192gcm128", .aead, esp: "GCMAES192", "ENCR_AES_GCM_16, 192-bit key", aliasOf: "aes192gcm16"),
        .init("aes256gcm128", .aead, ike: "GCMAES256", esp: "GCMAES256", "ENCR_AES_GCM_16, 256-bit key", aliasOf: "aes256gcm16"),
        .init("aes128gcm8", .aead, "ENCR_AES_GCM_8, 128-bit key"),
        .init("aes128gcm12", .aead, "ENCR_AES_GCM_12, 128-bit key"),
        .init("aes192gcm8", .aead, "ENCR_AES_GCM_8, 192-bit key"),
        .init("aes192gcm12", .aead, "ENCR_AES_GCM_12, 192-bit key"),
        .init("aes256gcm8", .aead, "ENCR_AES_GCM_8, 256-bit key"),
        .init("aes256gcm12", .aead, "ENCR_AES_GCM_12, 256-bit key"),
        .init("aes128ccm16", .aead, "ENCR_AES_CCM_16, 128-bit key: rfc4309(ccm(aes))"),
        .init("aes192ccm16", .aead, "ENCR_AES_CCM_16, 192-bit key"),
        .init("aes256ccm16", .aead, "ENCR_AES_CCM_16, 256-bit key"),
        .init("chacha20poly1305", .aead, "ENCR_CHACHA20_POLY1305: rfc7539esp(chacha20,poly1305)"),
        // Integrity (IANA AUTH_*; the kernel's hmac(...) truncated as RFC 4868 says). Azure's ESP takes
        // no SHA-384.
        .init("md5", .integrity, ike: "MD5", esp: "MD5", "AUTH_HMAC_MD5_96: hmac(md5)"),
        .init("sha1", .integrity, ike: "SHA1", esp: "SHA1", "AUTH_HMAC_SHA1_96: hmac(sha1)"),
        .init("sha", .integrity, ike: "SHA1", esp: "SHA1", "AUTH_HMAC_SHA1_96", aliasOf: "sha1"),
        .init("sha256", .integrity, ike: "SHA256", esp: "SHA256", "AUTH_HMAC_SHA2_256_128: hmac(sha256)"),
        .init("sha2_256", .integrity, ike: "SHA256", esp: "SHA256", "AUTH_HMAC_SHA2_256_128", aliasOf: "sha256"),
        .init("sha384", .integrity, ike: "SHA384", "AUTH_HMAC_SHA2_384_192: hmac(sha384)"),
        .init("sha2_384", .integrity, ike: "SHA384", "AUTH_HMAC_SHA2_384_192", aliasOf: "sha384"),
        .init("sha512", .integrity, "AUTH_HMAC_SHA2_512_256: hmac(sha512)"),
        .init("sha2_512", .integrity, "AUTH_HMAC_SHA2_512_256", aliasOf: "sha512"),
        .init("aesxcbc", .integrity, "AUTH_AES_XCBC_96: xcbc(aes)"),
        .init("aescmac", .integrity, "AUTH_AES_CMAC_96: cmac(aes)"),
        .init("sha256_96", .integrity, "AUTH_HMAC_SHA2_256_96 (the pre-RFC 4868 truncation)"),
        // PRF (IKE only). Azure's one IKE integrity setting is its PRF as well.
        .init("prfmd5", .prf, ike: "MD5", "PRF_HMAC_MD5"),
        .init("prfsha1", .prf, ike: "SHA1", "PRF_HMAC_SHA1"),
        .init("prfsha256", .prf, ike: "SHA256", "PRF_HMAC_SHA2_256"),
        .init("prfsha384", .prf, ike: "SHA384", "PRF_HMAC_SHA2_384"),
        .init("prfsha512", .prf, "PRF_HMAC_SHA2_512"),
        .init("prfaesxcbc", .prf, "PRF_AES128_XCBC"),
        .init("prfaescmac", .prf, "PRF_AES128_CMAC"),
        // Diffie-Hellman groups (IANA transform type 4). Group 14 is DHGroup14 or DHGroup2048 to Azure
        // (one group, two names; hedge writes DHGroup14) and PFS2048 in ESP.
        .init("modp768", .keyExchange, ike: "DHGroup1", esp: "PFS1", "group 1: 768-bit MODP (RFC 2409)"),
        .init("modp1024", .keyExchange, ike: "DHGroup2", esp: "PFS2", "group 2: 1024-bit MODP (RFC 2409)"),
        .init("modp1536", .keyExchange, "group 5: 1536-bit MODP (RFC 3526)"),
        .init("modp2048", .keyExchange, ike: "DHGroup14", esp: "PFS2048", "group 14: 2048-bit MODP (RFC 3526)"),
        .init("modp3072", .keyExchange, "group 15: 3072-bit MODP (RFC 3526)"),
        .init("modp4096", .keyExchange, "group 16: 4096-bit MODP (RFC 3526)"),
        .init("modp6144", .keyExchange, "group 17: 6144-bit MODP (RFC 3526)"),
        .init("modp8192", .keyExchange, "group 18: 8192-bit MODP (RFC 3526)"),
        .init("modp1024s160", .keyExchange, "group 22: 1024-bit MODP, 160-bit subgroup (RFC 5114)"),
        .init("modp2048s224", .keyExchange, "group 23: 2048-bit MODP, 224-bit subgroup (RFC 5114)"),
        .init("modp2048s256", .keyExchange, ike: "DHGroup24", esp: "PFS24", "group 24: 2048-bit MODP, 256-bit subgroup (RFC 5114)"),
        .init("ecp192", .keyExchange, "group 25: 192-bit random ECP (RFC 5114)"),
        .init("ecp224", .keyExchange, "group 26: 224-bit random ECP (RFC 5114)"),
        .init("ecp256", .keyExchange, ike: "ECP256", esp: "ECP256", "group 19: 256-bit random ECP (RFC 5903)"),
        .init("ecp384", .keyExchange, ike: "ECP384", esp: "ECP384", "group 20: 384-bit random ECP (RFC 5903)"),
        .init("ecp521", .keyExchange, "group 21: 521-bit random ECP (RFC 5903)"),
        .init("ecp224bp", .keyExchange, "group 27: brainpoolP224r1 (RFC 6954)"),
        .init("ecp256bp", .keyExchange, "group 28: brainpoolP256r1 (RFC 6954)"),
        .init("ecp384bp", .keyExchange, "group 29: brainpoolP384r1 (RFC 6954)"),
        .init("ecp512bp", .keyExchange, "group 30: brainpoolP512r1 (RFC 6954)"),
        .init("curve25519", .keyExchange, "group 31: Curve25519 (RFC 8031)"),
        .init("x25519", .keyExchange, "group 31: Curve25519 (RFC 8031)", aliasOf: "curve25519"),
        .init("curve448", .keyExchange, "group 32: Curve448 (RFC 8031)"),
        .init("x448", .keyExchange, "group 32: Curve448 (RFC 8031)", aliasOf: "curve448"),
        .init("mlkem512", .keyExchange, "ML-KEM-512 (RFC 9370 additional key exchange)"),
        .init("mlkem768", .keyExchange, "ML-KEM-768"),
        .init("mlkem1024", .keyExchange, "ML-KEM-1024"),
        // ESP's sequence numbers.
        .init("esn", .esn, "extended sequence numbers (ESN)"),
        .init("noesn", .esn, "32-bit sequence numbers"),
    ]
}

/// A place of Azure's policy that a proposal keyword fills.
public enum AzureIPsecSlot: Sendable, CaseIterable {
    case ikeEncryption, ikeIntegrity, dhGroup, ipsecEncryption, ipsecIntegrity, pfsGroup

    /// How messages name it.
    public var title: String {
        switch self {
        case .ikeEncryption: return "IKE encryption"
        case .ikeIntegrity: return "IKE integrity"
        case .dhGroup: return "the IKE DH group"
        case .ipsecEncryption: return "ESP encryption"
        case .ipsecIntegrity: return "ESP integrity"
        case .pfsGroup: return "the ESP PFS group"
        }
    }

    var isIKE: Bool { self == .ikeEncryption || self == .ikeIntegrity || self == .dhGroup }

    func fits(_ k: IPsecAlgorithm.Kind) -> Bool {
        switch self {
        case .ikeEncryption, .ipsecEncryption: return k == .encryption || k == .aead
        case .ikeIntegrity: return k == .integrity || k == .prf
        case .ipsecIntegrity: return k == .integrity
        case .dhGroup, .pfsGroup: return k == .keyExchange
        }
    }

    /// Azure's name for the algorithm in this slot, nil if Azure refuses it there.
    public func azureName(_ a: IPsecAlgorithm) -> String? {
        guard fits(a.kind) else { return nil }
        return isIKE ? a.ike : a.esp
    }

    /// What Azure accepts here, in strongSwan's keywords (PRFs left out: each has the integrity
    /// algorithm's name with `prf` before it).
    public var accepted: [IPsecAlgorithm] {
        IPsecAlgorithm.all.filter { $0.aliasOf == nil && $0.kind != .prf && azureName($0) != nil }
    }

    /// "aes128 (AES128), aes192 (AES192), ..."
    public var acceptedList: String {
        var s = ""
        for a in accepted {
            if !s.isEmpty { s += ", " }
            s += "\(a.keyword) (\(azureName(a) ?? ""))"
        }
        return s
    }
}
