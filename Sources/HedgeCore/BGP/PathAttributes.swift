/// Path attributes of an UPDATE (RFC 4271 §4.3, §5), with COMMUNITIES (RFC 1997), MP_REACH_NLRI /
/// MP_UNREACH_NLRI (RFC 4760) and AS4_PATH / AS4_AGGREGATOR (RFC 6793), and the per-attribute error
/// handling of RFC 7606 §7 (what happens to the UPDATE is decided in `UpdateMessage.decode`).

public enum AttributeType: UInt8, Sendable {
    case origin = 1
    case asPath = 2
    case nextHop = 3
    case multiExitDisc = 4
    case localPref = 5
    case atomicAggregate = 6
    case aggregator = 7
    case communities = 8
    case mpReachNLRI = 14
    case mpUnreachNLRI = 15
    case as4Path = 17
    case as4Aggregator = 18

    public var name: String {
        switch self {
        case .origin: return "ORIGIN"
        case .asPath: return "AS_PATH"
        case .nextHop: return "NEXT_HOP"
        case .multiExitDisc: return "MULTI_EXIT_DISC"
        case .localPref: return "LOCAL_PREF"
        case .atomicAggregate: return "ATOMIC_AGGREGATE"
        case .aggregator: return "AGGREGATOR"
        case .communities: return "COMMUNITIES"
        case .mpReachNLRI: return "MP_REACH_NLRI"
        case .mpUnreachNLRI: return "MP_UNREACH_NLRI"
        case .as4Path: return "AS4_PATH"
        case .as4Aggregator: return "AS4_AGGREGATOR"
        }
    }

    /// The Optional and Transitive bits the attribute must carry (RFC 4271 §5, RFC 4760, RFC 6793).
    var requiredFlags: UInt8 {
        switch self {
        case .origin, .asPath, .nextHop, .localPref, .atomicAggregate: return AttributeFlags.transitive
        case .multiExitDisc, .mpReachNLRI, .mpUnreachNLRI: return AttributeFlags.optional
        case .aggregator, .communities, .as4Path, .as4Aggregator:
            return AttributeFlags.optional | AttributeFlags.transitive
        }
    }
}

public enum AttributeFlags {
    public static let optional: UInt8 = 0x80
    public static let transitive: UInt8 = 0x40
    public static let partial: UInt8 = 0x20
    public static let extendedLength: UInt8 = 0x10
}

public enum Origin: UInt8, Sendable {
    case igp = 0
    case egp = 1
    case incomplete = 2
}

public enum ASPathSegmentType: UInt8, Sendable {
    case asSet = 1
    case asSequence = 2
    case confedSequence = 3
    case confedSet = 4
}

public struct ASPathSegment: Equatable, Sendable {
    public var type: ASPathSegmentType
    public var asns: [UInt32]

    public init(_ type: ASPathSegmentType, _ asns: [UInt32]) { self.type = type; self.asns = asns }
    public static func sequence(_ asns: [UInt32]) -> ASPathSegment { ASPathSegment(.asSequence, asns) }
}

public struct Aggregator: Equatable, Sendable {
    public var asn: UInt32
    /// IPv4 (RFC 4271 §5.1.7).
    public var address: IPAddress

    public init(asn: UInt32, address: IPAddress) { self.asn = asn; self.address = address }
}

/// MP_REACH_NLRI for a supported family (RFC 4760 §3). IPv6 carries a global next hop and, when
/// the peer is on the same link, a link-local one (RFC 2545 §3: next hop length 32).
public struct MPReachNLRI: Equatable, Sendable {
    public var family: AFISAFI
    public var nextHop: IPAddress
    public var linkLocalNextHop: IPAddress?
    public var nlri: [IPPrefix]

    public init(family: AFISAFI, nextHop: IPAddress, linkLocalNextHop: IPAddress? = nil, nlri: [IPPrefix]) {
        self.family = family; self.nextHop = nextHop; self.linkLocalNextHop = linkLocalNextHop; self.nlri = nlri
    }
}

/// MP_UNREACH_NLRI for a supported family (RFC 4760 §4).
public struct MPUnreachNLRI: Equatable, Sendable {
    public var family: AFISAFI
    public var withdrawn: [IPPrefix]

    public init(family: AFISAFI, withdrawn: [IPPrefix]) { self.family = family; self.withdrawn = withdrawn }
}

/// An attribute kept as received: unrecognised optional ones, and MP_* of families hedge does not
/// parse. Re-encoded byte for byte.
public struct RawAttribute: Equatable, Sendable {
    public var flags: UInt8
    public var type: UInt8
    public var value: [UInt8]

    public init(flags: UInt8, type: UInt8, value: [UInt8]) { self.flags = flags; self.type = type; self.value = value }
}

public struct PathAttributes: Equatable, Sendable {
    public var origin: Origin?
    /// In the 4-octet form whatever the session's width; a 2-octet session carries AS_TRANS here
    /// and the real numbers in `as4Path` (see `effectiveASPath`).
    public var asPath: [ASPathSegment]?
    /// IPv4 NEXT_HOP; IPv6 next hops live in `mpReach`.
    public var nextHop: IPAddress?
    public var med: UInt32?
    public var localPref: UInt32?
    public var atomicAggregate: Bool
    public var aggregator: Aggregator?
    public var communities: [UInt32]?
    public var mpReach: MPReachNLRI?
    public var mpUnreach: MPUnreachNLRI?
    public var as4Path: [ASPathSegment]?
    public var as4Aggregator: Aggregator?
    public var other: [RawAttribute]

    public init(origin: Origin? = nil, asPath: [ASPathSegment]? = nil, nextHop: IPAddress? = nil,
                med: UInt32? = nil, localPref: UInt32? = nil, atomicAggregate: Bool = false,
                aggregator: Aggregator? = nil, communities: [UInt32]? = nil, mpReach: MPReachNLRI? = nil,
                mpUnreach: MPUnreachNLRI? = nil, as4Path: [ASPathSegment]? = nil,
                as4Aggregator: Aggregator? = nil, other: [RawAttribute] = []) {
        self.origin = origin; self.asPath = asPath; self.nextHop = nextHop; self.med = med
        self.localPref = localPref; self.atomicAggregate = atomicAggregate; self.aggregator = aggregator
        self.communities = communities; self.mpReach = mpReach; self.mpUnreach = mpUnreach
        self.as4Path = as4Path; self.as4Aggregator = as4Aggregator; self.other = other
    }

    /// The AS path a 2-octet peer meant (RFC 6793 §4.2.3): AS_PATH's leading ASes that AS4_PATH
    /// does not cover, then AS4_PATH. AS4_PATH is ignored if it is longer than AS_PATH.
    public var effectiveASPath: [ASPathSegment]? {
        guard let asPath, let as4Path else { return asPath }
        func count(_ s: [ASPathSegment]) -> Int {
            var n = 0
            for seg in s where seg.type == .asSequence || seg.type == .asSet { n += seg.type == .asSet ? 1 : seg.asns.count }
            return n
        }
        var keep = count(asPath) - count(as4Path)
        if keep < 0 { return asPath }
        var out: [ASPathSegment] = []
        for seg in asPath where keep > 0 {
            if seg.type == .asSet {
                out.append(seg); keep -= 1
            } else if seg.type == .asSequence {
                let n = min(keep, seg.asns.count)
                out.append(.sequence(Array(seg.asns[0..<n]))); keep -= n
            } else {
                out.append(seg)
            }
        }
        return out + as4Path
    }

    /// The AS numbers in order (sets flattened), for display and loop checks.
    public var asns: [UInt32] {
        var out: [UInt32] = []
        for seg in effectiveASPath ?? [] { out += seg.asns }
        return out
    }

    // MARK: - Encoding

    /// MP_* first (RFC 7606 §5.1, so that a receiver can always find the NLRI), then ascending
    /// type codes (RFC 4271 §5).
    public func encode(into w: inout ByteWriter, options: CodecOptions) {
        var list: [RawAttribute] = []
        func add(_ type: AttributeType, _ v: [UInt8]) {
            list.append(RawAttribute(flags: type.requiredFlags, type: type.rawValue, value: v))
        }
        if let m = mpReach {
            var b = ByteWriter()
            b.u16(m.family.afi); b.u8(m.family.safi)
            let nh = m.nextHop.bytes + (m.linkLocalNextHop?.bytes ?? [])
            b.u8(UInt8(truncatingIfNeeded: nh.count)); b.append(nh)
            b.u8(0)
            for p in m.nlri { NLRI.encode(p, into: &b) }
            add(.mpReachNLRI, b.bytes)
        }
        if let m = mpUnreach {
            var b = ByteWriter()
            b.u16(m.family.afi); b.u8(m.family.safi)
            for p in m.withdrawn { NLRI.encode(p, into: &b) }
            add(.mpUnreachNLRI, b.bytes)
        }
        if let origin { add(.origin, [origin.rawValue]) }
        if let asPath { add(.asPath, PathAttributes.encodeSegments(asPath, wide: options.fourOctetAS)) }
        if let nextHop, nextHop.isV4 { add(.nextHop, nextHop.bytes) }
        if let med { add(.multiExitDisc, PathAttributes.u32(med)) }
        if let localPref { add(.localPref, PathAttributes.u32(localPref)) }
        if atomicAggregate { add(.atomicAggregate, []) }
        if let a = aggregator {
            let asn: [UInt8] = options.fourOctetAS ? PathAttributes.u32(a.asn)
                : PathAttributes.u16(a.asn > 0xFFFF ? OpenMessage.asTrans : UInt16(a.asn))
            add(.aggregator, asn + a.address.bytes)
        }
        if let communities {
            var v: [UInt8] = []
            for c in communities { v += PathAttributes.u32(c) }
            add(.communities, v)
        }
        if let as4Path { add(.as4Path, PathAttributes.encodeSegments(as4Path, wide: true)) }
        if let a = as4Aggregator { add(.as4Aggregator, PathAttributes.u32(a.asn) + a.address.bytes) }
        list += other
        var order: [(Int, RawAttribute)] = []
        for a in list {
            let mp = a.type == AttributeType.mpReachNLRI.rawValue || a.type == AttributeType.mpUnreachNLRI.rawValue
            order.append((mp ? -1 : Int(a.type), a))
        }
        // Stable: equal keys keep the order above.
        var indexed: [(Int, Int, RawAttribute)] = []
        for (i, e) in order.enumerated() { indexed.append((e.0, i, e.1)) }
        indexed.stableSort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
        for (_, _, a) in indexed {
            let wide = a.value.count > 255
            w.u8(wide ? a.flags | AttributeFlags.extendedLength : a.flags & ~AttributeFlags.extendedLength)
            w.u8(a.type)
            if wide { w.u16(UInt16(truncatingIfNeeded: a.value.count)) } else { w.u8(UInt8(a.value.count)) }
            w.append(a.value)
        }
    }

    /// Segments longer than 255 ASes are split (RFC 4271 §5.1.2: the count is one octet). In a
    /// 2-octet encoding an AS above 65535 becomes AS_TRANS (RFC 6793 §4.2.2).
    static func encodeSegments(_ segs: [ASPathSegment], wide: Bool) -> [UInt8] {
        var w = ByteWriter()
        for seg in segs {
            var rest = seg.asns[...]
            repeat {
                let chunk = rest.prefix(255)
                rest = rest.dropFirst(chunk.count)
                w.u8(seg.type.rawValue); w.u8(UInt8(chunk.count))
                for asn in chunk {
                    if wide { w.u32(asn) } else { w.u16(asn > 0xFFFF ? OpenMessage.asTrans : UInt16(asn)) }
                }
            } while !rest.isEmpty
        }
        return w.bytes
    }

    static func u32(_ v: UInt32) -> [UInt8] { var w = ByteWriter(); w.u32(v); return w.bytes }
    static func u16(_ v: UInt16) -> [UInt8] { var w = ByteWriter(); w.u16(v); return w.bytes }

    // MARK: - Decoding one attribute

    /// Reads one attribute into `self`; returns what RFC 7606 says to do when it is malformed, nil
    /// when it is fine. `raw` is the whole attribute (flags, type, length, value): the data of a
    /// NOTIFICATION about it (RFC 4271 §6.3).
    mutating func decode(flags: UInt8, type code: UInt8, value: ArraySlice<UInt8>, raw: [UInt8],
                         options: CodecOptions) -> AttributeIssue? {
        guard let type = AttributeType(rawValue: code) else {
            // RFC 4271 §6.3: an unrecognised well-known attribute ends the session; an unrecognised
            // optional one is kept (and passed on with Partial set, if transitive, by whoever relays).
            if flags & AttributeFlags.optional == 0 {
                return AttributeIssue(type: code, action: .sessionReset(.update(.unrecognizedWellKnownAttribute, data: raw)),
                                      why: "unrecognised well-known attribute")
            }
            other.append(RawAttribute(flags: flags & ~AttributeFlags.extendedLength, type: code, value: Array(value)))
            return nil
        }
        func issue(_ action: ErrorAction, _ why: String) -> AttributeIssue {
            AttributeIssue(type: code, action: action, why: why)
        }
        // RFC 7606 §3(c): wrong Optional/Transitive bits make the attribute malformed; its own
        // section below says what that costs. MP_* with wrong flags can still be parsed, and must be,
        // for treat-as-withdraw to know the prefixes.
        let flagsWrong = flags & (AttributeFlags.optional | AttributeFlags.transitive) != type.requiredFlags
        var r = ByteReader(value)
        switch type {
        case .origin:
            // §7.1
            if flagsWrong { return issue(.treatAsWithdraw, "attribute flags") }
            guard value.count == 1, let o = Origin(rawValue: value[value.startIndex]) else {
                return issue(.treatAsWithdraw, value.count == 1 ? "undefined value" : "length \(value.count)")
            }
            origin = o
        case .asPath:
            // §7.2
            if flagsWrong { return issue(.treatAsWithdraw, "attribute flags") }
            guard let segs = PathAttributes.decodeSegments(value, wide: options.fourOctetAS) else {
                return issue(.treatAsWithdraw, "malformed segment")
            }
            // RFC 5065 §5.1 / RFC 7606 §7.2: confederation segments from outside the confederation.
            if options.external, segs.contains(where: { $0.type == .confedSequence || $0.type == .confedSet }) {
                return issue(.treatAsWithdraw, "confederation segment from an external peer")
            }
            asPath = segs
        case .nextHop:
            // §7.3; RFC 4271 §6.3: an unusable address is semantically wrong, not a reason to reset.
            if flagsWrong { return issue(.treatAsWithdraw, "attribute flags") }
            guard value.count == 4, let a = IPAddress(bytes: value) else {
                return issue(.treatAsWithdraw, "length \(value.count)")
            }
            if a.isUnspecified || a.isMulticast || a == .v4(0xFFFF_FFFF) {
                return issue(.treatAsWithdraw, "unusable address \(a)")
            }
            nextHop = a
        case .multiExitDisc:
            // §7.4
            if flagsWrong { return issue(.treatAsWithdraw, "attribute flags") }
            guard value.count == 4, let v = try? r.u32() else { return issue(.treatAsWithdraw, "length \(value.count)") }
            med = v
        case .localPref:
            // §7.5: meaningless from an external peer, so dropped whatever its shape.
            if options.external { return issue(.attributeDiscard, "from an external peer") }
            if flagsWrong { return issue(.treatAsWithdraw, "attribute flags") }
            guard value.count == 4, let v = try? r.u32() else { return issue(.treatAsWithdraw, "length \(value.count)") }
            localPref = v
        case .atomicAggregate:
            // §7.6
            if flagsWrong { return issue(.attributeDiscard, "attribute flags") }
            guard value.isEmpty else { return issue(.attributeDiscard, "length \(value.count)") }
            atomicAggregate = true
        case .aggregator:
            // §7.7
            if flagsWrong { return issue(.attributeDiscard, "attribute flags") }
            let width = options.fourOctetAS ? 4 : 2
            guard value.count == width + 4, let a = PathAttributes.decodeAggregator(&r, wide: options.fourOctetAS) else {
                return issue(.attributeDiscard, "length \(value.count)")
            }
            aggregator = a
        case .communities:
            // §7.8
            if flagsWrong { return issue(.treatAsWithdraw, "attribute flags") }
            guard !value.isEmpty, value.count % 4 == 0 else { return issue(.treatAsWithdraw, "length \(value.count)") }
            var list: [UInt32] = []
            while let c = try? r.u32() { list.append(c) }
            communities = list
        case .mpReachNLRI, .mpUnreachNLRI:
            // §7.11, §5.3; RFC 4760 §7: an MP_* hedge cannot parse leaves it unable to tell which
            // routes the peer meant, so the session goes (AFI/SAFI disable is not implemented).
            let reset = issue(.sessionReset(.update(.optionalAttributeError, data: raw)), "malformed")
            let reach = type == .mpReachNLRI
            guard let afi = try? r.u16(), let safi = try? r.u8() else { return reset }
            let family = AFISAFI(afi: afi, safi: safi)
            guard let bits = family.addressBits else {
                other.append(RawAttribute(flags: flags & ~AttributeFlags.extendedLength, type: code, value: Array(value)))
                return nil
            }
            if reach {
                guard let nhLen = try? r.u8(), let nh = try? r.take(Int(nhLen)), (try? r.u8()) != nil else { return reset }
                var global: IPAddress? = nil, linkLocal: IPAddress? = nil
                switch (bits, nh.count) {
                case (32, 4), (32, 16), (128, 16):       // (32, 16): RFC 8950 IPv4 over an IPv6 next hop
                    global = IPAddress(bytes: nh)
                case (32, 32), (128, 32):
                    global = IPAddress(bytes: nh.prefix(16)); linkLocal = IPAddress(bytes: nh.suffix(16))
                default:
                    return issue(.sessionReset(.update(.optionalAttributeError, data: raw)), "next hop length \(nh.count)")
                }
                guard let nlri = NLRI.decode(r.rest(), bits: bits), let global else {
                    return issue(.sessionReset(.update(.optionalAttributeError, data: raw)), "malformed NLRI")
                }
                mpReach = MPReachNLRI(family: family, nextHop: global, linkLocalNextHop: linkLocal, nlri: nlri)
            } else {
                guard let withdrawn = NLRI.decode(r.rest(), bits: bits) else {
                    return issue(.sessionReset(.update(.optionalAttributeError, data: raw)), "malformed withdrawn routes")
                }
                mpUnreach = MPUnreachNLRI(family: family, withdrawn: withdrawn)
            }
            if flagsWrong { return issue(.treatAsWithdraw, "attribute flags") }
        case .as4Path:
            // RFC 6793 §4.1: a 4-octet speaker ignores AS4_PATH from another; §6: malformed is discarded.
            if options.fourOctetAS { return issue(.attributeDiscard, "from a 4-octet AS speaker") }
            if flagsWrong { return issue(.attributeDiscard, "attribute flags") }
            guard let segs = PathAttributes.decodeSegments(value, wide: true),
                  !segs.contains(where: { $0.type == .confedSequence || $0.type == .confedSet }) else {
                return issue(.attributeDiscard, "malformed segment")
            }
            as4Path = segs
        case .as4Aggregator:
            if options.fourOctetAS { return issue(.attributeDiscard, "from a 4-octet AS speaker") }
            if flagsWrong { return issue(.attributeDiscard, "attribute flags") }
            guard value.count == 8, let a = PathAttributes.decodeAggregator(&r, wide: true) else {
                return issue(.attributeDiscard, "length \(value.count)")
            }
            as4Aggregator = a
        }
        return nil
    }

    /// nil when malformed (RFC 7606 §7.2): an unknown segment type, an empty segment, or one that
    /// runs past the attribute.
    static func decodeSegments(_ value: ArraySlice<UInt8>, wide: Bool) -> [ASPathSegment]? {
        var r = ByteReader(value)
        var out: [ASPathSegment] = []
        while !r.isAtEnd {
            guard let t = try? r.u8(), let type = ASPathSegmentType(rawValue: t), let n = try? r.u8(), n > 0 else { return nil }
            var asns: [UInt32] = []
            asns.reserveCapacity(Int(n))
            for _ in 0..<n {
                if wide {
                    guard let a = try? r.u32() else { return nil }
                    asns.append(a)
                } else {
                    guard let a = try? r.u16() else { return nil }
                    asns.append(UInt32(a))
                }
            }
            out.append(ASPathSegment(type, asns))
        }
        return out
    }

    static func decodeAggregator(_ r: inout ByteReader, wide: Bool) -> Aggregator? {
        let asn: UInt32
        if wide {
            guard let a = try? r.u32() else { return nil }
            asn = a
        } else {
            guard let a = try? r.u16() else { return nil }
            asn = UInt32(a)
        }
        guard let addr = try? r.u32() else { return nil }
        return Aggregator(asn: asn, address: .v4(addr))
    }
}

/// What RFC 7606 makes of a malformed UPDATE, mildest first.
public enum ErrorAction: Equatable, Sendable {
    /// §2: drop the attribute, keep the routes.
    case attributeDiscard
    /// §2: keep the session, withdraw every prefix the UPDATE carries.
    case treatAsWithdraw
    /// RFC 4271 §6: send this NOTIFICATION and close.
    case sessionReset(NotificationMessage)

    var severity: Int {
        switch self {
        case .attributeDiscard: return 1
        case .treatAsWithdraw: return 2
        case .sessionReset: return 3
        }
    }
}

/// One malformed thing found in an UPDATE, for the log.
public struct AttributeIssue: Equatable, Sendable, CustomStringConvertible {
    /// Attribute type code, or 0 for the message structure itself.
    public var type: UInt8
    public var action: ErrorAction
    public var why: String

    public init(type: UInt8, action: ErrorAction, why: String) { self.type = type; self.action = action; self.why = why }

    public var description: String {
        let name = type == 0 ? "UPDATE" : (AttributeType(rawValue: type)?.name ?? "attribute \(type)")
        return name + ": " + why
    }
}

extension PathAttributes {
    /// Whether `asn` appears anywhere in the AS path (AS_PATH or, for a 2-octet session, AS4_PATH).
    public func containsAS(_ asn: UInt32) -> Bool {
        for s in (asPath ?? []) + (as4Path ?? []) where s.asns.contains(asn) { return true }
        return false
    }
}
