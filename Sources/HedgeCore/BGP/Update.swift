/// UPDATE (RFC 4271 §4.3) and its revised error handling (RFC 7606).

/// What the codec must know about the session to read or write an UPDATE.
public struct CodecOptions: Equatable, Sendable {
    /// Both sides sent the 4-octet AS capability (RFC 6793): AS_PATH and AGGREGATOR carry 4-octet
    /// numbers, and AS4_PATH / AS4_AGGREGATOR are not expected.
    public var fourOctetAS: Bool
    /// eBGP: LOCAL_PREF is discarded and confederation segments are malformed (RFC 7606 §7.2, §7.5).
    public var external: Bool

    public init(fourOctetAS: Bool = true, external: Bool = true) {
        self.fourOctetAS = fourOctetAS; self.external = external
    }
}

/// Prefix encoding of RFC 4271 §4.3 / RFC 4760 §5: a length in bits, then just enough octets.
public enum NLRI {
    public static func encode(_ p: IPPrefix, into w: inout ByteWriter) {
        w.u8(p.length)
        w.append(p.address.bytes.prefix((Int(p.length) + 7) / 8))
    }

    /// nil if a length exceeds `bits` or the octets run out (RFC 7606 §5.3: the NLRI is malformed).
    /// Bits past the length are ignored, as RFC 4271 §4.3 says they are.
    public static func decode(_ bytes: ArraySlice<UInt8>, bits: UInt8) -> [IPPrefix]? {
        var r = ByteReader(bytes)
        var out: [IPPrefix] = []
        while !r.isAtEnd {
            guard let len = try? r.u8(), len <= bits, let octets = try? r.take((Int(len) + 7) / 8) else { return nil }
            var full = [UInt8](repeating: 0, count: Int(bits) / 8)
            var i = 0
            for b in octets { full[i] = b; i += 1 }
            guard let a = IPAddress(bytes: full), let p = IPPrefix(address: a, length: len) else { return nil }
            out.append(p)
        }
        return out
    }
}

public struct UpdateMessage: Equatable, Sendable {
    /// IPv4 unicast withdrawals; IPv6 ones are in `attributes.mpUnreach`.
    public var withdrawn: [IPPrefix]
    public var attributes: PathAttributes
    /// IPv4 unicast announcements; IPv6 ones are in `attributes.mpReach`.
    public var nlri: [IPPrefix]

    public init(withdrawn: [IPPrefix] = [], attributes: PathAttributes = PathAttributes(), nlri: [IPPrefix] = []) {
        self.withdrawn = withdrawn; self.attributes = attributes; self.nlri = nlri
    }

    /// Every prefix announced, in the NLRI field or MP_REACH_NLRI.
    public var announced: [IPPrefix] { nlri + (attributes.mpReach?.nlri ?? []) }

    /// Every prefix withdrawn, in the Withdrawn Routes field or MP_UNREACH_NLRI.
    public var allWithdrawn: [IPPrefix] { withdrawn + (attributes.mpUnreach?.withdrawn ?? []) }

    /// End-of-RIB (RFC 4724 §2): an empty UPDATE for IPv4, an empty MP_UNREACH_NLRI for others.
    public var endOfRIB: AFISAFI? {
        if withdrawn.isEmpty && nlri.isEmpty && attributes == PathAttributes() { return .ipv4Unicast }
        if withdrawn.isEmpty && nlri.isEmpty, let u = attributes.mpUnreach, u.withdrawn.isEmpty {
            var rest = attributes
            rest.mpUnreach = nil
            if rest == PathAttributes() { return u.family }
        }
        return nil
    }

    public func encodeBody(into w: inout ByteWriter, options: CodecOptions) {
        let wStart = w.count
        w.u16(0)
        for p in withdrawn where p.isV4 { NLRI.encode(p, into: &w) }
        w.patch16(at: wStart, UInt16(truncatingIfNeeded: w.count - wStart - 2))
        let aStart = w.count
        w.u16(0)
        attributes.encode(into: &w, options: options)
        w.patch16(at: aStart, UInt16(truncatingIfNeeded: w.count - aStart - 2))
        for p in nlri where p.isV4 { NLRI.encode(p, into: &w) }
    }

    /// Reads an UPDATE body (after the header) and says what RFC 7606 makes of it. Never throws:
    /// even the worst input is a verdict, `sessionReset` with the NOTIFICATION to send.
    public static func decode(_ body: ArraySlice<UInt8>, options: CodecOptions) -> UpdateVerdict {
        func reset(_ n: NotificationMessage, _ why: String) -> UpdateVerdict {
            .sessionReset(n, AttributeIssue(type: 0, action: .sessionReset(n), why: why))
        }
        var r = ByteReader(body)
        // RFC 4271 §6.3 / RFC 7606 §4: lengths that do not add up leave nothing to trust.
        guard let wLen = try? r.u16(), let wBytes = try? r.take(Int(wLen)) else {
            return reset(.update(.malformedAttributeList), "withdrawn routes length exceeds the message")
        }
        guard let withdrawn = NLRI.decode(wBytes, bits: 32) else {
            return reset(.update(.invalidNetworkField), "malformed withdrawn routes")
        }
        guard let aLen = try? r.u16(), var attrs = try? r.sub(Int(aLen)) else {
            return reset(.update(.malformedAttributeList), "total path attribute length exceeds the message")
        }
        guard let nlri = NLRI.decode(r.rest(), bits: 32) else {
            return reset(.update(.invalidNetworkField), "malformed NLRI")
        }

        var pa = PathAttributes()
        var issues: [AttributeIssue] = []
        var seen = HashSet<UInt8>()
        while !attrs.isAtEnd {
            let start = attrs.offset
            // RFC 7606 §4: an attribute that does not fit in what is left of the attribute field.
            // The Total Path Attribute Length still locates the NLRI, so the routes are withdrawn.
            guard let flags = try? attrs.u8(), let code = try? attrs.u8(),
                  let len = try? attrs.length(wide: flags & AttributeFlags.extendedLength != 0),
                  let value = try? attrs.take(len) else {
                issues.append(AttributeIssue(type: 0, action: .treatAsWithdraw, why: "attribute overruns the attribute field"))
                break
            }
            let raw = Array(attrs.bytes[start..<attrs.offset])
            if seen.contains(code) {
                // RFC 7606 §3(g): a repeated MP_* is Malformed Attribute List; any other repeat is
                // dropped, the first occurrence kept.
                if code == AttributeType.mpReachNLRI.rawValue || code == AttributeType.mpUnreachNLRI.rawValue {
                    let n = NotificationMessage.update(.malformedAttributeList)
                    issues.append(AttributeIssue(type: code, action: .sessionReset(n), why: "appears twice"))
                } else {
                    issues.append(AttributeIssue(type: code, action: .attributeDiscard, why: "appears twice"))
                }
                continue
            }
            seen.insert(code)
            if let i = pa.decode(flags: flags, type: code, value: value, raw: raw, options: options) { issues.append(i) }
        }

        let msg = UpdateMessage(withdrawn: withdrawn, attributes: pa, nlri: nlri)
        // RFC 7606 §3(d): a missing well-known mandatory attribute; only routes need them. NEXT_HOP
        // is needed by the NLRI field only (RFC 4760 §3: MP_REACH carries its own).
        if !msg.announced.isEmpty {
            var missing: [AttributeType] = []
            if pa.origin == nil && !seen.contains(AttributeType.origin.rawValue) { missing.append(.origin) }
            if pa.asPath == nil && !seen.contains(AttributeType.asPath.rawValue) { missing.append(.asPath) }
            if !nlri.isEmpty && pa.nextHop == nil && !seen.contains(AttributeType.nextHop.rawValue) { missing.append(.nextHop) }
            for t in missing { issues.append(AttributeIssue(type: t.rawValue, action: .treatAsWithdraw, why: "missing")) }
        }

        var worst: AttributeIssue? = nil
        for i in issues where worst == nil || i.action.severity > worst!.action.severity { worst = i }
        guard let worst else { return .accept(msg) }
        switch worst.action {
        case .sessionReset(let n): return .sessionReset(n, worst)
        case .treatAsWithdraw: return .treatAsWithdraw(msg, issues)
        case .attributeDiscard: return .attributeDiscard(msg, issues)
        }
    }
}

/// An UPDATE as RFC 7606 leaves it; the FSM acts on the case. `indirect`: the verdict, and the
/// `ReceivedMessage` and `SessionEvent` carrying it, copy as one reference, not a whole UPDATE.
public indirect enum UpdateVerdict: Equatable, Sendable {
    /// Well-formed.
    case accept(UpdateMessage)
    /// Usable after dropping the malformed attributes listed (they are absent from the message).
    case attributeDiscard(UpdateMessage, [AttributeIssue])
    /// Every prefix in it (`announced` and `allWithdrawn`) is to be treated as withdrawn; the
    /// session stays up.
    case treatAsWithdraw(UpdateMessage, [AttributeIssue])
    /// Unreadable: send the NOTIFICATION (UPDATE Message Error) and close.
    case sessionReset(NotificationMessage, AttributeIssue)

    /// The message, unless the verdict is a reset.
    public var message: UpdateMessage? {
        switch self {
        case .accept(let m), .attributeDiscard(let m, _), .treatAsWithdraw(let m, _): return m
        case .sessionReset: return nil
        }
    }

    public var issues: [AttributeIssue] {
        switch self {
        case .accept: return []
        case .attributeDiscard(_, let i), .treatAsWithdraw(_, let i): return i
        case .sessionReset(_, let i): return [i]
        }
    }
}
