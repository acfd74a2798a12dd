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

    /// Its row of `table`, read where a field is asked for: an entry is a pointer to constant bytes.
    let row: StaticString

    /// As swanctl.conf writes it.
    public var keyword: String { Self.column(row, 0) ?? "" }
    public var kind: Kind {
        switch Self.column(row, 1)?.utf8.first {
        case UInt8(ascii: "a"): return .aead
        case UInt8(ascii: "i"): return .integrity
        case UInt8(ascii: "p"): return .prf
        case UInt8(ascii: "k"): return .keyExchange
        case UInt8(ascii: "s"): return .esn
        default: return .encryption
        }
    }
    /// Azure's name in an IKE slot (ikeEncryption, ikeIntegrity, dhGroup); nil where Azure refuses it.
    public var ike: String? { Self.column(row, 2) }
    /// Azure's name in an ESP slot (ipsecEncryption, ipsecIntegrity, pfsGroup).
    public var esp: String? { Self.column(row, 3) }
    /// For a second spelling of the same algorithm: the keyword it stands for (not listed as accepted).
    public var aliasOf: String? { Self.column(row, 4) }

    /// The entry for a keyword; an alias answers with its own entry (Azure's names copied).
    public static func named(_ keyword: String) -> IPsecAlgorithm? {
        for row in table where column(row, 0) == keyword { return IPsecAlgorithm(row: row) }
        return nil
    }

    /// Every entry, in the table's order.
    public static var all: [IPsecAlgorithm] { table.map { IPsecAlgorithm(row: $0) } }

    /// Field `i` of a row: "keyword kind ike esp [=alias]", `-` where Azure has no name (nil), the
    /// alias without its `=`; nil past the last field.
    @inline(never) static func column(_ row: StaticString, _ i: Int) -> String? {
        var k = 0
        var word: [UInt8] = []
        for c in UnsafeBufferPointer(start: row.utf8Start, count: row.utf8CodeUnitCount) {
            if c == UInt8(ascii: " ") {
                if k == i { break }
                k += 1
            } else if k == i && !(word.isEmpty && c == UInt8(ascii: "=")) {
                word.append(c)
            }
        }
        guard k == i, !word.isEmpty, word != [UInt8(ascii: "-")] else { return nil }
        return String(decoding: word, as: UTF8.self)
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
    //
    // One row per keyword: "keyword kind ike esp [=alias]"; kind e encryption, a AEAD, i integrity,
    // p PRF, k key exchange (DH group), s ESP sequence numbers. Text rather than a literal of structs,
    // and static strings (a pointer and a length each): the router's binary carries the rows as
    // constant bytes, not as code that builds them.
    static let table: [StaticString] = [
        // Encryption (IANA ENCR_*; the kernel's cbc(aes), rfc4106(gcm(aes)), ...).
        "aes128 e AES128 AES128",              // ENCR_AES_CBC, 128-bit key: cbc(aes)
        "aes192 e AES192 AES192",              // ENCR_AES_CBC, 192-bit key: cbc(aes)
        "aes256 e AES256 AES256",              // ENCR_AES_CBC, 256-bit key: cbc(aes)
        "aes e AES128 AES128 =aes128",         // ENCR_AES_CBC, 128-bit key
        "3des e - DES3",                       // ENCR_3DES: cbc(des3_ede)
        "des e - DES",                         // ENCR_DES: cbc(des)
        "null e - None",                       // ENCR_NULL: ecb(cipher_null), no encryption
        "aes128ctr e - -",                     // ENCR_AES_CTR, 128-bit key: rfc3686(ctr(aes))
        "aes192ctr e - -",                     // ENCR_AES_CTR, 192-bit key
        "aes256ctr e - -",                     // ENCR_AES_CTR, 256-bit key
        "camellia128 e - -",                   // ENCR_CAMELLIA_CBC, 128-bit key
        "camellia192 e - -",                   // ENCR_CAMELLIA_CBC, 192-bit key
        "camellia256 e - -",                   // ENCR_CAMELLIA_CBC, 256-bit key
        "cast128 e - -",                       // ENCR_CAST
        "blowfish128 e - -",                   // ENCR_BLOWFISH, 128-bit key
        "blowfish256 e - -",                   // ENCR_BLOWFISH, 256-bit key
        // AEAD. Azure takes GCM with the 16-byte ICV only; AES-192-GCM in ESP only.
        "aes128gcm16 a GCMAES128 GCMAES128",   // ENCR_AES_GCM_16, 128-bit key: rfc4106(gcm(aes))
        "aes192gcm16 a - GCMAES192",           // ENCR_AES_GCM_16, 192-bit key: rfc4106(gcm(aes))
        "aes256gcm16 a GCMAES256 GCMAES256",   // ENCR_AES_GCM_16, 256-bit key: rfc4106(gcm(aes))
        "aes128gcm128 a GCMAES128 GCMAES128 =aes128gcm16", // ENCR_AES_GCM_16, 128-bit key
        "aes192gcm128 a - GCMAES192 =aes192gcm16", // ENCR_AES_GCM_16, 192-bit key
        "aes256gcm128 a GCMAES256 GCMAES256 =aes256gcm16", // ENCR_AES_GCM_16, 256-bit key
        "aes128gcm8 a - -",                    // ENCR_AES_GCM_8, 128-bit key
        "aes128gcm12 a - -",                   // ENCR_AES_GCM_12, 128-bit key
        "aes192gcm8 a - -",                    // ENCR_AES_GCM_8, 192-bit key
        "aes192gcm12 a - -",                   // ENCR_AES_GCM_12, 192-bit key
        "aes256gcm8 a - -",                    // ENCR_AES_GCM_8, 256-bit key
        "aes256gcm12 a - -",                   // ENCR_AES_GCM_12, 256-bit key
        "aes128ccm16 a - -",                   // ENCR_AES_CCM_16, 128-bit key: rfc4309(ccm(aes))
        "aes192ccm16 a - -",                   // ENCR_AES_CCM_16, 192-bit key
        "aes256ccm16 a - -",                   // ENCR_AES_CCM_16, 256-bit key
        "chacha20poly1305 a - -",              // ENCR_CHACHA20_POLY1305: rfc7539esp(chacha20,poly1305)
        // Integrity (IANA AUTH_*; the kernel's hmac(...) truncated as RFC 4868 says). Azure's ESP takes
        // no SHA-384.
        "md5 i MD5 MD5",                       // AUTH_HMAC_MD5_96: hmac(md5)
        "sha1 i SHA1 SHA1",                    // AUTH_HMAC_SHA1_96: hmac(sha1)
        "sha i SHA1 SHA1 =sha1",               // AUTH_HMAC_SHA1_96
        "sha256 i SHA256 SHA256",              // AUTH_HMAC_SHA2_256_128: hmac(sha256)
        "sha2_256 i SHA256 SHA256 =sha256",    // AUTH_HMAC_SHA2_256_128
        "sha384 i SHA384 -",                   // AUTH_HMAC_SHA2_384_192: hmac(sha384)
        "sha2_384 i SHA384 - =sha384",         // AUTH_HMAC_SHA2_384_192
        "sha512 i - -",                        // AUTH_HMAC_SHA2_512_256: hmac(sha512)
        "sha2_512 i - - =sha512",              // AUTH_HMAC_SHA2_512_256
        "aesxcbc i - -",                       // AUTH_AES_XCBC_96: xcbc(aes)
        "aescmac i - -",                       // AUTH_AES_CMAC_96: cmac(aes)
        "sha256_96 i - -",                     // AUTH_HMAC_SHA2_256_96 (the pre-RFC 4868 truncation)
        // PRF (IKE only). Azure's one IKE integrity setting is its PRF as well.
        "prfmd5 p MD5 -",                      // PRF_HMAC_MD5
        "prfsha1 p SHA1 -",                    // PRF_HMAC_SHA1
        "prfsha256 p SHA256 -",                // PRF_HMAC_SHA2_256
        "prfsha384 p SHA384 -",                // PRF_HMAC_SHA2_384
        "prfsha512 p - -",                     // PRF_HMAC_SHA2_512
        "prfaesxcbc p - -",                    // PRF_AES128_XCBC
        "prfaescmac p - -",                    // PRF_AES128_CMAC
        // Diffie-Hellman groups (IANA transform type 4). Group 14 is DHGroup14 or DHGroup2048 to Azure
        // (one group, two names; hedge writes DHGroup14) and PFS2048 in ESP.
        "modp768 k DHGroup1 PFS1",             // group 1: 768-bit MODP (RFC 2409)
        "modp1024 k DHGroup2 PFS2",            // group 2: 1024-bit MODP (RFC 2409)
        "modp1536 k - -",                      // group 5: 1536-bit MODP (RFC 3526)
        "modp2048 k DHGroup14 PFS2048",        // group 14: 2048-bit MODP (RFC 3526)
        "modp3072 k - -",                      // group 15: 3072-bit MODP (RFC 3526)
        "modp4096 k - -",                      // group 16: 4096-bit MODP (RFC 3526)
        "modp6144 k - -",                      // group 17: 6144-bit MODP (RFC 3526)
        "modp8192 k - -",                      // group 18: 8192-bit MODP (RFC 3526)
        "modp1024s160 k - -",                  // group 22: 1024-bit MODP, 160-bit subgroup (RFC 5114)
        "modp2048s224 k - -",                  // group 23: 2048-bit MODP, 224-bit subgroup (RFC 5114)
        "modp2048s256 k DHGroup24 PFS24",      // group 24: 2048-bit MODP, 256-bit subgroup (RFC 5114)
        "ecp192 k - -",                        // group 25: 192-bit random ECP (RFC 5114)
        "ecp224 k - -",                        // group 26: 224-bit random ECP (RFC 5114)
        "ecp256 k ECP256 ECP256",              // group 19: 256-bit random ECP (RFC 5903)
        "ecp384 k ECP384 ECP384",              // group 20: 384-bit random ECP (RFC 5903)
        "ecp521 k - -",                        // group 21: 521-bit random ECP (RFC 5903)
        "ecp224bp k - -",                      // group 27: brainpoolP224r1 (RFC 6954)
        "ecp256bp k - -",                      // group 28: brainpoolP256r1 (RFC 6954)
        "ecp384bp k - -",                      // group 29: brainpoolP384r1 (RFC 6954)
        "ecp512bp k - -",                      // group 30: brainpoolP512r1 (RFC 6954)
        "curve25519 k - -",                    // group 31: Curve25519 (RFC 8031)
        "x25519 k - - =curve25519",            // group 31: Curve25519 (RFC 8031)
        "curve448 k - -",                      // group 32: Curve448 (RFC 8031)
        "x448 k - - =curve448",                // group 32: Curve448 (RFC 8031)
        "mlkem512 k - -",                      // ML-KEM-512 (RFC 9370 additional key exchange)
        "mlkem768 k - -",                      // ML-KEM-768
        "mlkem1024 k - -",                     // ML-KEM-1024
        // ESP's sequence numbers.
        "esn s - -",                           // extended sequence numbers (ESN)
        "noesn s - -",                         // 32-bit sequence numbers
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
