/// XFRM (the kernel's IPsec SAD and SPD) as plain values, and the uapi numbers of <linux/xfrm.h>
/// that XfrmCodec needs. Core cannot import the C headers (the fuzzers compile it alone), so the
/// numbers and struct layouts are restated here; Tests/HedgeLinuxTests/XfrmLayoutTests.swift checks
/// every one against the imported headers.
///
/// Values carry key material (XfrmAlgorithm): nothing here renders a key, and callers must not
/// either (SPI only in logs and status).

/// nlmsg_type of NETLINK_XFRM (the header's enum starts at XFRM_MSG_BASE = 0x10).
public enum XfrmMessageType: UInt16, Sendable {
    case newSA = 16
    case delSA = 17
    case getSA = 18
    case newPolicy = 19
    case delPolicy = 20
    case getPolicy = 21
    case allocSPI = 22
    case acquire = 23
    case expire = 24
    case updPolicy = 25
    case updSA = 26
    case polExpire = 27
    case flushSA = 28
    case flushPolicy = 29
}

/// XFRMA_* attribute types (enum xfrm_attr_type_t).
public enum XfrmAttribute: UInt16, Sendable {
    case algAuth = 1            // struct xfrm_algo (no truncation length: the kernel's default)
    case algCrypt = 2           // struct xfrm_algo
    case algComp = 3
    case encap = 4
    case tmpl = 5               // xfrm_user_tmpl[]
    case sa = 6                 // xfrm_usersa_info (in DELSA events)
    case policy = 7             // xfrm_userpolicy_info (in DELPOLICY events)
    case secCtx = 8
    case ltimeVal = 9
    case replayVal = 10         // struct xfrm_replay_state
    case replayThresh = 11
    case etimerThresh = 12
    case srcAddr = 13           // xfrm_address_t
    case coAddr = 14
    case lastUsed = 15
    case policyType = 16        // struct xfrm_userpolicy_type
    case migrate = 17
    case algAEAD = 18           // struct xfrm_algo_aead
    case kmAddress = 19
    case algAuthTrunc = 20      // struct xfrm_algo_auth
    case mark = 21              // struct xfrm_mark
    case tfcPad = 22
    case replayESNVal = 23      // struct xfrm_replay_state_esn
    case saExtraFlags = 24      // u32
    case proto = 25             // u8
    case addressFilter = 26
    case pad = 27
    case offloadDev = 28
    case setMark = 29
    case setMarkMask = 30
    case ifID = 31              // u32
    case mtimerThresh = 32
}

/// Sizes and offsets of the uapi structs, identical on x86_64, aarch64 and armv7 EABI (u64 is
/// 8-aligned on all three; only i386 differs, and hedge does not build for it).
public enum XfrmLayout {
    public static let addressSize = 16
    public static let selectorSize = 56
    public static let idSize = 24
    public static let lifetimeCfgSize = 64
    public static let lifetimeCurSize = 32
    public static let replayStateSize = 12
    public static let replayStateESNSize = 24
    public static let statsSize = 12
    public static let usersaInfoSize = 224
    public static let usersaIDSize = 24
    public static let userpolicyInfoSize = 168
    public static let userpolicyIDSize = 64
    public static let userpolicyTypeSize = 6
    public static let userTmplSize = 64
    public static let userExpireSize = 232
    public static let userPolexpireSize = 176
    public static let algoSize = 68
    public static let algoAuthSize = 72
    public static let algoAEADSize = 72
    public static let algNameSize = 64
    public static let markSize = 8

    // xfrm_selector
    public static let selDaddr = 0, selSaddr = 16, selDport = 32, selDportMask = 34, selSport = 36
    public static let selSportMask = 38, selFamily = 40, selPrefixlenD = 42, selPrefixlenS = 43
    public static let selProto = 44, selIfindex = 48, selUser = 52
    // xfrm_id
    public static let idDaddr = 0, idSpi = 16, idProto = 20
    // xfrm_usersa_info
    public static let saSel = 0, saID = 56, saSaddr = 80, saLft = 96, saCurlft = 160, saStats = 192
    public static let saSeq = 204, saReqid = 208, saFamily = 212, saMode = 214, saReplayWindow = 215
    public static let saFlags = 216
    // xfrm_usersa_id
    public static let saIDDaddr = 0, saIDSpi = 16, saIDFamily = 20, saIDProto = 22
    // xfrm_userpolicy_info
    public static let polSel = 0, polLft = 56, polCurlft = 120, polPriority = 152, polIndex = 156
    public static let polDir = 160, polAction = 161, polFlags = 162, polShare = 163
    // xfrm_userpolicy_id
    public static let polIDSel = 0, polIDIndex = 56, polIDDir = 60
    // xfrm_user_tmpl
    public static let tmplID = 0, tmplFamily = 24, tmplSaddr = 28, tmplReqid = 44, tmplMode = 48
    public static let tmplShare = 49, tmplOptional = 50, tmplAalgos = 52, tmplEalgos = 56, tmplCalgos = 60
    // xfrm_user_expire / xfrm_user_polexpire
    public static let expireHard = 224, polexpireHard = 168
}

/// IPPROTO_* of an SA or template (xfrm_id.proto).
public struct XfrmProto: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let esp = XfrmProto(rawValue: 50)
    public static let ah = XfrmProto(rawValue: 51)
    public static let comp = XfrmProto(rawValue: 108)
}

/// XFRM_MODE_*. A struct, not an enum: dumps may hold other daemons' SAs in modes hedge never uses.
public struct XfrmMode: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let transport = XfrmMode(rawValue: 0)
    public static let tunnel = XfrmMode(rawValue: 1)
    public static let beet = XfrmMode(rawValue: 4)
}

/// XFRM_POLICY_IN/OUT/FWD: the kernel dumps no other direction (socket policies stay out of dumps).
public enum XfrmPolicyDirection: UInt8, Hashable, Sendable {
    case `in` = 0
    case out = 1
    case fwd = 2
}

/// XFRM_POLICY_ALLOW/BLOCK: the only two the kernel accepts (verify_newpolicy_info).
public enum XfrmPolicyAction: UInt8, Hashable, Sendable {
    case allow = 0
    case block = 1
}

/// XFRM_STATE_* bits of xfrm_usersa_info.flags.
public enum XfrmStateFlag {
    public static let noECN: UInt8 = 1
    public static let decapDSCP: UInt8 = 2
    public static let noPMTUDisc: UInt8 = 4
    public static let wildRecv: UInt8 = 8
    public static let icmp: UInt8 = 16
    public static let afUnspec: UInt8 = 32
    public static let align4: UInt8 = 64
    public static let esn: UInt8 = 128
}

/// xfrm_selector: which packets a policy (or an SA's inner side) covers.
public struct XfrmSelector: Hashable, Sendable {
    /// nil is AF_UNSPEC, which iproute2 sends for an SA without `sel`; the addresses are then
    /// read and written as IPv4 (the kernel only looks at them under a real family).
    public var family: AddressFamily?
    public var destination: IPPrefix
    public var source: IPPrefix
    /// Host order here; network order on the wire.
    public var destinationPort: UInt16 = 0
    public var destinationPortMask: UInt16 = 0
    public var sourcePort: UInt16 = 0
    public var sourcePortMask: UInt16 = 0
    /// IPPROTO_*; 0 = any.
    public var proto: UInt8 = 0
    public var ifindex: Int32 = 0
    public var user: UInt32 = 0

    public init(family: AddressFamily?, destination: IPPrefix, source: IPPrefix) {
        self.family = family; self.destination = destination; self.source = source
    }

    /// 0.0.0.0/0 → 0.0.0.0/0 (or ::/0 → ::/0): what a route-based VPN's policies select.
    public static func any(_ family: AddressFamily) -> XfrmSelector {
        let zero: IPAddress = family == .v4 ? .v4(0) : .v6(0, 0)
        let p = IPPrefix(address: zero, length: 0)!
        return XfrmSelector(family: family, destination: p, source: p)
    }

    /// AF_UNSPEC and all zero: an SA's selector when the caller gives none.
    public static var unspecified: XfrmSelector {
        var s = XfrmSelector.any(.v4)
        s.family = nil
        return s
    }
}

/// xfrm_lifetime_cfg. Byte and packet limits of XFRM_INF (all ones) and expiry times of 0 mean no
/// limit, which is what iproute2 sends by default.
public struct XfrmLifetimeConfig: Hashable, Sendable {
    public static let infinity = UInt64.max
    public var softByteLimit = infinity
    public var hardByteLimit = infinity
    public var softPacketLimit = infinity
    public var hardPacketLimit = infinity
    public var softAddExpiresSeconds: UInt64 = 0
    public var hardAddExpiresSeconds: UInt64 = 0
    public var softUseExpiresSeconds: UInt64 = 0
    public var hardUseExpiresSeconds: UInt64 = 0
    public init() {}
    public static var unlimited: XfrmLifetimeConfig { XfrmLifetimeConfig() }
}

/// xfrm_lifetime_cur: the kernel's counters (ignored by the kernel on input).
public struct XfrmLifetimeCurrent: Hashable, Sendable {
    public var bytes: UInt64 = 0
    public var packets: UInt64 = 0
    /// Seconds since the epoch, set by the kernel.
    public var addTime: UInt64 = 0
    public var useTime: UInt64 = 0
    public init() {}
}

/// xfrm_user_tmpl: the SA a policy needs (the outer addresses of the tunnel).
public struct XfrmTemplate: Hashable, Sendable {
    public var family: AddressFamily
    /// xfrm_id.daddr: the tunnel's remote end for "out", the local end for "in"/"fwd".
    public var destination: IPAddress
    public var source: IPAddress
    /// 0 = any SA with the right addresses.
    public var spi: UInt32 = 0
    public var proto: XfrmProto = .esp
    public var reqid: UInt32 = 0
    public var mode: XfrmMode = .tunnel
    public var share: UInt8 = 0
    public var optional: Bool = false
    /// Bitmaps of allowed algorithms; all ones = any.
    public var authAlgorithms: UInt32 = .max
    public var encryptionAlgorithms: UInt32 = .max
    public var compressionAlgorithms: UInt32 = .max

    public init(family: AddressFamily, source: IPAddress, destination: IPAddress,
                proto: XfrmProto = .esp, mode: XfrmMode = .tunnel, reqid: UInt32 = 0) {
        self.family = family; self.source = source; self.destination = destination
        self.proto = proto; self.mode = mode; self.reqid = reqid
    }
}

/// xfrm_mark (XFRMA_MARK): value and mask.
public struct XfrmMark: Hashable, Sendable {
    public var value: UInt32
    public var mask: UInt32
    public init(value: UInt32, mask: UInt32) { self.value = value; self.mask = mask }
}

/// An SPD entry: xfrm_userpolicy_info + XFRMA_TMPL + XFRMA_IF_ID (+ what dumps add).
public struct XfrmPolicy: Hashable, Sendable {
    public var selector: XfrmSelector
    public var direction: XfrmPolicyDirection
    public var priority: UInt32 = 0
    /// Chosen by the kernel when 0 on input; dumps carry the real one.
    public var index: UInt32 = 0
    public var action: XfrmPolicyAction = .allow
    public var flags: UInt8 = 0
    public var share: UInt8 = 0
    /// XFRMA_IF_ID; 0 = none (the attribute is left out, as the kernel does in dumps).
    public var ifID: UInt32 = 0
    public var templates: [XfrmTemplate] = []
    public var lifetime = XfrmLifetimeConfig.unlimited
    public var current = XfrmLifetimeCurrent()
    /// XFRMA_POLICY_TYPE's type: 0 = XFRM_POLICY_TYPE_MAIN (sent only when not main; dumps always carry it).
    public var policyType: UInt8 = 0
    public var mark: XfrmMark?

    public init(selector: XfrmSelector, direction: XfrmPolicyDirection, priority: UInt32 = 0,
                action: XfrmPolicyAction = .allow, ifID: UInt32 = 0, templates: [XfrmTemplate] = []) {
        self.selector = selector; self.direction = direction; self.priority = priority
        self.action = action; self.ifID = ifID; self.templates = templates
    }

    public var id: XfrmPolicyID {
        XfrmPolicyID(selector: selector, direction: direction, index: index, ifID: ifID, policyType: policyType,
                     mark: mark)
    }
}

/// xfrm_userpolicy_id (+ XFRMA_IF_ID, XFRMA_POLICY_TYPE, XFRMA_MARK): what DELPOLICY names. The
/// kernel looks a policy up by index when it is non-zero, else by selector + direction + if_id.
public struct XfrmPolicyID: Hashable, Sendable {
    public var selector: XfrmSelector
    public var direction: XfrmPolicyDirection
    public var index: UInt32 = 0
    public var ifID: UInt32 = 0
    public var policyType: UInt8 = 0
    public var mark: XfrmMark?
    public init(selector: XfrmSelector, direction: XfrmPolicyDirection, index: UInt32 = 0, ifID: UInt32 = 0,
                policyType: UInt8 = 0, mark: XfrmMark? = nil) {
        self.selector = selector; self.direction = direction; self.index = index; self.ifID = ifID
        self.policyType = policyType; self.mark = mark
    }
}

/// The transforms of an SA. Key bytes are secret: `description` names algorithms and sizes only.
public enum XfrmAlgorithm: Hashable, Sendable, CustomStringConvertible {
    /// XFRMA_ALG_AEAD. rfc4106(gcm(aes)): key = AES key + 4-byte salt (36 bytes for AES-256).
    case aead(name: String = "rfc4106(gcm(aes))", key: [UInt8], icvBits: UInt32 = 128)
    /// XFRMA_ALG_CRYPT + XFRMA_ALG_AUTH_TRUNC. hmac(sha256) must be sent with trunc 128 (RFC 4868):
    /// the kernel's default for it is 96.
    case cbcHmac(encryption: String = "cbc(aes)", encKey: [UInt8],
                 authentication: String = "hmac(sha256)", authKey: [UInt8], truncBits: UInt32 = 128)
    /// Anything else a dump may hold (auth only, compression, XFRMA_ALG_AUTH without a length):
    /// hedge never installs it and never equals it to one of its own.
    case unsupported

    public var description: String {
        switch self {
        case .aead(let name, let key, let icv):
            return "\(name) \(key.count * 8)-bit key icv \(icv)"
        case .cbcHmac(let e, let ek, let a, let ak, let t):
            return "\(e) \(ek.count * 8)-bit key, \(a) \(ak.count * 8)-bit key trunc \(t)"
        case .unsupported:
            return "unsupported algorithms"
        }
    }
}

/// xfrm_replay_state (XFRMA_REPLAY_VAL): the kernel's sequence counters without ESN.
public struct XfrmReplayState: Hashable, Sendable {
    public var oseq: UInt32
    public var seq: UInt32
    public var bitmap: UInt32
    public init(oseq: UInt32, seq: UInt32, bitmap: UInt32) { self.oseq = oseq; self.seq = seq; self.bitmap = bitmap }
}

/// xfrm_replay_state_esn (XFRMA_REPLAY_ESN_VAL). With it, usersa_info.replay_window must be 0.
public struct XfrmReplayStateESN: Hashable, Sendable {
    public var oseq: UInt32 = 0
    public var seq: UInt32 = 0
    public var oseqHi: UInt32 = 0
    public var seqHi: UInt32 = 0
    public var replayWindow: UInt32
    /// bmp_len words; the kernel wants replay_window ≤ 32 · bmp_len.
    public var bitmap: [UInt32]
    public init(replayWindow: UInt32) {
        self.replayWindow = replayWindow
        // Rounded up without `+ 31`, which overflows for a window near UInt32.max.
        bitmap = Array(repeating: 0, count: Int(replayWindow / 32) + (replayWindow % 32 == 0 ? 0 : 1))
    }
}

/// An SAD entry: xfrm_usersa_info + algorithm attributes + XFRMA_IF_ID (+ what dumps add).
public struct XfrmState: Hashable, Sendable {
    public var selector = XfrmSelector.unspecified
    /// xfrm_id.daddr: the outer destination.
    public var destination: IPAddress
    /// Host order here; network order on the wire.
    public var spi: UInt32
    public var proto: XfrmProto = .esp
    public var source: IPAddress
    public var family: AddressFamily
    public var mode: XfrmMode = .tunnel
    public var reqid: UInt32 = 0
    /// The legacy u8 window; 0 when `replayESN` carries it.
    public var replayWindow: UInt8 = 0
    /// XfrmStateFlag bits.
    public var flags: UInt8 = 0
    /// XFRMA_IF_ID; 0 = none.
    public var ifID: UInt32 = 0
    public var algorithm: XfrmAlgorithm
    public var lifetime = XfrmLifetimeConfig.unlimited
    public var current = XfrmLifetimeCurrent()
    /// xfrm_stats: replay_window, replay, integrity_failed (kernel counters).
    public var statsReplayWindow: UInt32 = 0
    public var statsReplay: UInt32 = 0
    public var statsIntegrityFailed: UInt32 = 0
    public var seq: UInt32 = 0
    public var replay: XfrmReplayState?
    public var replayESN: XfrmReplayStateESN?
    /// XFRMA_SA_EXTRA_FLAGS (XFRM_SA_XFLAG_*); 0 = left out.
    public var extraFlags: UInt32 = 0
    public var mark: XfrmMark?

    public init(family: AddressFamily, source: IPAddress, destination: IPAddress, spi: UInt32,
                reqid: UInt32 = 0, replayWindow: UInt8 = 0, ifID: UInt32 = 0, algorithm: XfrmAlgorithm) {
        self.family = family; self.source = source; self.destination = destination; self.spi = spi
        self.reqid = reqid; self.replayWindow = replayWindow; self.ifID = ifID; self.algorithm = algorithm
    }

    public var id: XfrmSAID { XfrmSAID(family: family, destination: destination, spi: spi, proto: proto) }
}

/// xfrm_usersa_id (+ XFRMA_SRCADDR, XFRMA_MARK): what DELSA names.
public struct XfrmSAID: Hashable, Sendable {
    public var family: AddressFamily
    public var destination: IPAddress
    public var spi: UInt32
    public var proto: XfrmProto = .esp
    /// XFRMA_SRCADDR, as iproute2 sends it (the kernel needs it only for IPcomp lookups).
    public var source: IPAddress?
    public var mark: XfrmMark?
    public init(family: AddressFamily, destination: IPAddress, spi: UInt32, proto: XfrmProto = .esp,
                source: IPAddress? = nil) {
        self.family = family; self.destination = destination; self.spi = spi; self.proto = proto
        self.source = source
    }
}

/// A decoded XFRM message body (after the nlmsghdr). `indirect` as `XfrmOp` is: its copies move one
/// reference, not a whole `XfrmState` or `XfrmPolicy`.
public indirect enum XfrmMessage: Hashable, Sendable {
    case newSA(XfrmState)
    case updSA(XfrmState)
    /// Events carry the whole SA in XFRMA_SA; a request carries only the id.
    case delSA(XfrmSAID, XfrmState?)
    case expire(XfrmState, hard: Bool)
    case newPolicy(XfrmPolicy)
    case updPolicy(XfrmPolicy)
    /// Events carry the whole policy in XFRMA_POLICY.
    case delPolicy(XfrmPolicyID, XfrmPolicy?)
    case polExpire(XfrmPolicy, hard: Bool)
    /// xfrm_usersa_flush.proto (0 = all).
    case flushSA(proto: UInt8)
    case flushPolicy
}

/// Why XFRM bytes could not be read or written. Never a trap: every length is checked.
public enum XfrmError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A struct or attribute runs past the end of its container.
    case truncated(String)
    /// An attribute's length is below its own header or past the message.
    case badAttribute(type: UInt16, length: Int)
    case badFamily(UInt16)
    case badPrefixLength(UInt8)
    case badDirection(UInt8)
    case badAction(UInt8)
    /// An algorithm name longer than 63 bytes or without its NUL.
    case badAlgorithmName
    /// A key longer than its length field can say, or not as long as the field says.
    case badKeyLength(Int)
    /// An address whose family differs from the one the struct declares.
    case familyMismatch
    case unsupportedMessage(UInt16)

    public var description: String {
        switch self {
        case .truncated(let what): return "truncated \(what)"
        case .badAttribute(let t, let l): return "bad XFRM attribute \(t) length \(l)"
        case .badFamily(let f): return "bad address family \(f)"
        case .badPrefixLength(let l): return "bad prefix length \(l)"
        case .badDirection(let d): return "bad policy direction \(d)"
        case .badAction(let a): return "bad policy action \(a)"
        case .badAlgorithmName: return "bad algorithm name"
        case .badKeyLength(let n): return "bad key length \(n)"
        case .familyMismatch: return "address family mismatch"
        case .unsupportedMessage(let t): return "unsupported XFRM message type \(t)"
        }
    }
}
