/// The messages without a monitored session: Initiation (RFC 7854 §4.3), Termination (§4.5);
/// and the Statistics Report (§4.8), kept for status only.

/// An information TLV (§4.4) as received.
public struct BMPTLV: Equatable, Sendable {
    public var type: UInt16
    public var value: [UInt8]

    public init(type: UInt16, value: [UInt8]) { self.type = type; self.value = value }

    /// The value as text (§4.4: UTF-8, not NUL-terminated).
    public var text: String { String(decoding: value, as: UTF8.self) }
}

/// Initiation: who the router is.
public struct BMPInformation: Equatable, Sendable {
    public static let stringType: UInt16 = 0
    public static let sysDescrType: UInt16 = 1
    public static let sysNameType: UInt16 = 2

    public var tlvs: [BMPTLV]

    public init(tlvs: [BMPTLV]) { self.tlvs = tlvs }

    public var sysName: String? { first(BMPInformation.sysNameType) }
    public var sysDescr: String? { first(BMPInformation.sysDescrType) }
    /// Free-form strings (type 0), in order.
    public var strings: [String] { tlvs.filter { $0.type == BMPInformation.stringType }.map { $0.text } }

    private func first(_ type: UInt16) -> String? {
        for t in tlvs where t.type == type { return t.text }
        return nil
    }

    static func decode(_ r: inout BMPReader) throws(BMPError) -> BMPInformation {
        var out: [BMPTLV] = []
        for t in try r.tlvs("Initiation") { out.append(BMPTLV(type: t.type, value: Array(t.value))) }
        return BMPInformation(tlvs: out)
    }
}

/// Termination: the router is closing the feed, and why.
public struct BMPTermination: Equatable, Sendable {
    public static let stringType: UInt16 = 0
    public static let reasonType: UInt16 = 1

    public var tlvs: [BMPTLV]

    public init(tlvs: [BMPTLV]) { self.tlvs = tlvs }

    /// §4.5 reason code (type 1, two octets).
    public var reason: UInt16? {
        for t in tlvs where t.type == BMPTermination.reasonType && t.value.count == 2 {
            return UInt16(t.value[0]) << 8 | UInt16(t.value[1])
        }
        return nil
    }

    public var strings: [String] { tlvs.filter { $0.type == BMPTermination.stringType }.map { $0.text } }

    /// "session administratively closed: maintenance"
    public var description: String {
        var s: String
        switch reason {
        case 0?: s = "session administratively closed"
        case 1?: s = "unspecified reason"
        case 2?: s = "out of resources"
        case 3?: s = "redundant connection"
        case 4?: s = "session permanently administratively closed"
        case let r?: s = "reason \(r)"
        case nil: s = "no reason given"
        }
        for t in strings where !t.isEmpty { s += ": " + t }
        return s
    }

    static func decode(_ r: inout BMPReader) throws(BMPError) -> BMPTermination {
        var out: [BMPTLV] = []
        for t in try r.tlvs("Termination") { out.append(BMPTLV(type: t.type, value: Array(t.value))) }
        return BMPTermination(tlvs: out)
    }
}

/// Statistics Report: counters of one monitored session (§4.8). Counted, not acted on.
public struct BMPStatisticsReport: Equatable, Sendable {
    public var peer: BMPPeerHeader
    public var statistics: [BMPTLV]

    public init(peer: BMPPeerHeader, statistics: [BMPTLV]) { self.peer = peer; self.statistics = statistics }

    /// A 32-bit counter or 64-bit gauge of one type (§4.8: 7 = routes in Adj-RIB-In).
    public func value(_ type: UInt16) -> UInt64? {
        for s in statistics where s.type == type && (s.value.count == 4 || s.value.count == 8) {
            var v: UInt64 = 0
            for b in s.value { v = v << 8 | UInt64(b) }
            return v
        }
        return nil
    }

    static func decode(peer: BMPPeerHeader, _ r: inout BMPReader) throws(BMPError) -> BMPStatisticsReport {
        let count = try r.u32()
        var out: [BMPTLV] = []
        for t in try r.tlvs("Statistics Report") { out.append(BMPTLV(type: t.type, value: Array(t.value))) }
        guard out.count == Int(count) else {
            throw .malformed("Statistics Report: count \(count), \(out.count) statistics")
        }
        return BMPStatisticsReport(peer: peer, statistics: out)
    }
}
