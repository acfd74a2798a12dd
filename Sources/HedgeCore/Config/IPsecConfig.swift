/// `ipsec { ... }` inside a path: the path's device is a route-based IPsec tunnel, an XFRM
/// interface (IFLA_XFRM_IF_ID) whose SAs carry XFRMA_IF_ID, so routes pointing at the device are
/// encrypted toward `remote`. The SAs come either from hedge itself (`static`, manual keying) or
/// from strongSwan's charon (IKEv2), which hedge follows over VICI and netlink.

public struct IPsecConfig: Sendable, Equatable {
    /// XFRMA_IF_ID / IFLA_XFRM_IF_ID: ties the SAs and policies to the interface. Never 0: the
    /// kernel refuses an xfrm interface with if_id 0.
    public var ifID: UInt32
    /// Outer (tunnel) addresses, of one family.
    public var local: IPAddress
    public var remote: IPAddress
    /// IFLA_XFRM_LINK: the device the encrypted packets leave by; nil lets the route lookup decide.
    public var underlay: String?
    /// The underlay's next hop toward `remote`: with it hedge pins a host route to `remote` onto the
    /// underlay, so that a group carrying a prefix that covers `remote` (the default route) cannot
    /// pull the tunnel's own IKE and ESP packets into the tunnel.
    public var underlayGateway: IPAddress?
    public var keying: IPsecKeying
    /// The TCP MSS that SYNs entering or leaving by the tunnel are clamped to; nil: `mss off`. Azure
    /// asks for 1350 (and MTU 1400): where ICMP "fragmentation needed" is filtered on the way, TCP
    /// between 1500-byte hosts stalls after the handshake without it.
    public var mss: UInt16?
    /// The tunnel device's MTU, set on an interface hedge creates and on one it adopts.
    public var mtu: UInt32
    public var location: SourceLocation

    public static let azureMSS: UInt16 = 1350
    public static let azureMTU: UInt32 = 1400

    public init(ifID: UInt32, local: IPAddress, remote: IPAddress, underlay: String? = nil, underlayGateway: IPAddress? = nil,
                keying: IPsecKeying, mss: UInt16? = IPsecConfig.azureMSS, mtu: UInt32 = IPsecConfig.azureMTU,
                location: SourceLocation) {
        self.ifID = ifID; self.local = local; self.remote = remote; self.underlay = underlay
        self.underlayGateway = underlayGateway
        self.keying = keying; self.mss = mss; self.mtu = mtu; self.location = location
    }
}

/// `indirect`: a path's config (copied whole wherever it is read) carries one reference here, not
/// either keying's fields.
public indirect enum IPsecKeying: Sendable, Equatable {
    /// hedge installs both SAs from a key file.
    case manual(StaticKeyingConfig)
    /// charon negotiates the SAs; hedge watches the CHILD_SA and asks for it again when it is gone.
    case strongswan(StrongSwanKeyingConfig)
}

/// The two proposals hedge installs itself, named as strongSwan names them so that one word means
/// the same on both ends.
public enum IPsecCipher: String, Hashable, Sendable {
    /// rfc4106(gcm(aes)) with a 256-bit key and a 16-byte ICV.
    case aes256gcm16 = "aes256gcm16"
    /// cbc(aes) 256 + hmac(sha256) truncated to 128 bits (RFC 4868).
    case aes256sha256 = "aes256-sha256"

    public static let all: [IPsecCipher] = [.aes256gcm16, .aes256sha256]

    /// Key bytes of each key on a key-file line, in order: the AES key and its 4-byte salt as one
    /// (RFC 4106 §8.1: KEYMAT is the key followed by the salt); or the encryption key, then the
    /// authentication key.
    public var keyParts: [Int] {
        switch self {
        case .aes256gcm16: return [36]
        case .aes256sha256: return [32, 32]
        }
    }

    /// Key bytes per direction: 36 (32 + 4 salt) or 64 (32 + 32).
    public var keyBytes: Int { keyParts.reduce(0, +) }

    /// The kernel's transform for keys of the sizes `keyParts` gives.
    public func algorithm(keys: [[UInt8]]) -> XfrmAlgorithm {
        switch self {
        case .aes256gcm16:
            return .aead(name: "rfc4106(gcm(aes))", key: keys[0], icvBits: 128)
        case .aes256sha256:
            return .cbcHmac(encryption: "cbc(aes)", encKey: keys[0], authentication: "hmac(sha256)",
                            authKey: keys[1], truncBits: 128)
        }
    }
}

/// `static { ... }`: manual keying.
public struct StaticKeyingConfig: Sendable, Equatable {
    /// SPIs of the outbound SA (the peer's inbound) and of the inbound one; 256 and up (RFC 4303
    /// §2.1: 1–255 are reserved by IANA, 0 is for local use only).
    public var spiOut: UInt32
    public var spiIn: UInt32
    public var cipher: IPsecCipher
    /// Read by the agent (root-owned, mode 0600), parsed by `IPsecKeyFile.parse`; `hedge check`
    /// does not open it.
    public var keyFile: String
    /// The legacy replay window (xfrm_usersa_info.replay_window), in packets; 0 turns the check off.
    public var replayWindow: UInt8
    public var location: SourceLocation

    public init(spiOut: UInt32, spiIn: UInt32, cipher: IPsecCipher, keyFile: String, replayWindow: UInt8 = 32,
                location: SourceLocation) {
        self.spiOut = spiOut; self.spiIn = spiIn; self.cipher = cipher; self.keyFile = keyFile
        self.replayWindow = replayWindow; self.location = location
    }
}

/// `strongswan { ... }`: IKEv2 keying by charon, configured in swanctl.conf.
public struct StrongSwanKeyingConfig: Sendable, Equatable {
    /// The IKE connection's name in swanctl.conf.
    public var connection: String
    /// The CHILD_SA's name; the file's default is the connection's name.
    public var child: String
    /// Path of charon's VICI socket (a `unix://` scheme is taken off).
    public var vici: String
    /// Ask charon to initiate the CHILD_SA when it is missing.
    public var initiate: Bool
    /// The proposal charon is configured with, as far as the file states it: what the Azure side's
    /// custom IPsec/IKE policy is written from and held to. nil when the block states none.
    public var proposal: StrongSwanProposal?
    public var location: SourceLocation

    public static let defaultVici = "/var/run/charon.vici"

    public init(connection: String, child: String? = nil, vici: String = StrongSwanKeyingConfig.defaultVici,
                initiate: Bool = true, proposal: StrongSwanProposal? = nil, location: SourceLocation) {
        self.connection = connection; self.child = child ?? connection; self.vici = vici
        self.initiate = initiate; self.proposal = proposal; self.location = location
    }
}

/// One algorithm keyword of a proposal as swanctl.conf writes it (`aes256`, `sha256`, `modp2048`),
/// with the place it was written, so that a check can point at the one keyword it refuses.
public struct ProposalKeyword: Sendable, Equatable {
    public var text: String
    public var location: SourceLocation
    public init(_ text: String, _ location: SourceLocation) { self.text = text; self.location = location }
}

/// A count with the place it was written.
public struct PlacedCount: Sendable, Equatable {
    public var value: UInt64
    public var location: SourceLocation
    public init(_ value: UInt64, _ location: SourceLocation) { self.value = value; self.location = location }
}

/// `proposals`, `esp-proposals`, `ike-lifetime`, `child-lifetime`, `child-bytes` of a `strongswan`
/// block: swanctl.conf's `proposals`, `esp_proposals`, the IKE SA's `rekey_time`, the CHILD_SA's
/// `rekey_time` and its volume limit. One combination, one keyword of each kind: Azure's custom
/// policy holds exactly one.
public struct StrongSwanProposal: Sendable, Equatable {
    /// The IKE proposal's keywords in the order written; empty when not given.
    public var ike: [ProposalKeyword]
    /// The ESP proposal's; a key exchange method among them asks for PFS.
    public var esp: [ProposalKeyword]
    public var ikeLocation: SourceLocation?
    public var espLocation: SourceLocation?
    /// Seconds.
    public var ikeLifetime: PlacedCount?
    public var childLifetime: PlacedCount?
    /// Kilobytes, as Azure's saDataSizeKilobytes counts them.
    public var childKilobytes: PlacedCount?

    public init(ike: [ProposalKeyword] = [], esp: [ProposalKeyword] = [], ikeLocation: SourceLocation? = nil,
                espLocation: SourceLocation? = nil, ikeLifetime: PlacedCount? = nil, childLifetime: PlacedCount? = nil,
                childKilobytes: PlacedCount? = nil) {
        self.ike = ike; self.esp = esp; self.ikeLocation = ikeLocation; self.espLocation = espLocation
        self.ikeLifetime = ikeLifetime; self.childLifetime = childLifetime; self.childKilobytes = childKilobytes
    }
}
