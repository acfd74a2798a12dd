/// RFC 5424 records:
///
///     <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA [MSG]
///     <28>1 2026-11-26T17:40:01.234Z ce1 hedge 812 failover [hedge@32473 id="…" seq="42" path="vpn"] BOMER down
///
/// MSGID is the event type, so a receiver can filter on it without parsing MSG. Every header field
/// is made to fit its ABNF (printable US-ASCII, length) rather than refused: an event is not worth
/// losing for a hostname with a space in it.
public enum SyslogFormat {
    /// The SD-ID's enterprise number. 32473 is the documentation PEN of RFC 5612 §2: hedge has no
    /// Private Enterprise Number of its own, and a made-up one could be someone else's.
    public static let enterpriseNumber = 32473
    public static let sdID = "hedge@32473"
    /// RFC 5424 §6.2: header field limits.
    public static let maxHostname = 255, maxAppName = 48, maxProcID = 128, maxMsgID = 32, maxSDName = 32
    /// A datagram bigger than this is cut in MSG (at a character boundary). RFC 5426 §3.2 asks
    /// receivers for 2048 octets at least; 8 KiB is what rsyslog and syslog-ng take by default.
    public static let defaultMaxLength = 8192

    public static func record(_ e: HedgeEvent, facility: SyslogFacility = .daemon, hostname: String,
                              appName: String = "hedge", procID: String = "", maxLength: Int = defaultMaxLength) -> String {
        var head = "<\(facility.code * 8 + e.severity.rawValue)>1 "
        head += timestamp(e.wallMs) + " "
        head += headerField(hostname, max: maxHostname) + " "
        head += headerField(appName, max: maxAppName) + " "
        head += headerField(procID, max: maxProcID) + " "
        head += headerField(e.type, max: maxMsgID) + " "
        head += structuredData(e)
        if e.message.isEmpty { return head }
        let budget = maxLength - head.utf8.count - 1
        var msg = e.message
        let ascii = msg.utf8.allSatisfy { $0 < 0x80 }
        // §6.4: MSG is UTF-8 only when it starts with the BOM; ASCII needs none and reads as
        // MSG-ANY, which is what most receivers show untouched.
        if !ascii { msg = "\u{FEFF}" + msg }
        if budget < 4 { return head }
        if msg.utf8.count > budget { msg = prefix(msg, utf8Bytes: budget) }
        return head + " " + msg
    }

    /// FULL-DATE "T" PARTIAL-TIME "Z", milliseconds (§6.2.3); NILVALUE for a clock before 1970 or
    /// past 9999.
    public static func timestamp(_ wallMs: Int64) -> String {
        let t = CivilTime(epochMs: wallMs)
        guard wallMs >= 0, t.year <= 9999 else { return "-" }
        return t.iso8601
    }

    /// PRINTUSASCII (%d33-126) up to `max`, other characters as "_"; NILVALUE when empty.
    public static func headerField(_ s: String, max: Int) -> String {
        var out = ""
        var n = 0
        for u in s.unicodeScalars {
            if n == max { break }
            out.unicodeScalars.append(u.value >= 33 && u.value <= 126 ? u : "_")
            n += 1
        }
        return out.isEmpty ? "-" : out
    }

    /// SD-NAME (§6.3.2): PRINTUSASCII except '=', SP, ']', '"', at most 32; others become "_".
    public static func sdName(_ s: String) -> String {
        var out = ""
        var n = 0
        for u in s.unicodeScalars {
            if n == maxSDName { break }
            let ok = u.value >= 33 && u.value <= 126 && u != "=" && u != "]" && u != "\""
            out.unicodeScalars.append(ok ? u : "_")
            n += 1
        }
        return out.isEmpty ? "_" : out
    }

    /// PARAM-VALUE (§6.3.3): '"', '\' and ']' escaped with a backslash; the rest is UTF-8 as is.
    public static func paramValue(_ s: String) -> String {
        var out = ""
        for u in s.unicodeScalars {
            if u == "\"" || u == "\\" || u == "]" { out += "\\" }
            out.unicodeScalars.append(u)
        }
        return out
    }

    /// `[hedge@32473 id="…" seq="…" name="value" …]`, or NILVALUE with nothing to say.
    public static func structuredData(_ e: HedgeEvent) -> String {
        var params: [(String, String)] = []
        if !e.id.isEmpty { params.append(("id", e.id)) }
        if e.seq > 0 { params.append(("seq", "\(e.seq)")) }
        for f in e.fields { params.append((sdName(f.name), f.value)) }
        if params.isEmpty { return "-" }
        var sd = "[" + sdID
        for (k, v) in params { sd += " \(k)=\"\(paramValue(v))\"" }
        return sd + "]"
    }

    /// The longest prefix of whole characters (scalars) within `utf8Bytes`.
    static func prefix(_ s: String, utf8Bytes: Int) -> String {
        var out = ""
        var n = 0
        for u in s.unicodeScalars {
            let w = u.value < 0x80 ? 1 : u.value < 0x800 ? 2 : u.value < 0x10000 ? 3 : 4
            if n + w > utf8Bytes { break }
            out.unicodeScalars.append(u)
            n += w
        }
        return out
    }
}
