/// One event as the JSON object the HTTP collector receives (and the spool stores):
///
///     {"id":"0123456789abcdef-42","seq":42,"time":"2026-11-26T17:40:01.234Z","type":"failover",
///      "severity":"warning","message":"…","host":"ce1","path":"vpn","from":"er"}
///
/// Fields become string members after the fixed ones. A field whose name is taken (a fixed member
/// or an earlier field) is written as "field_<name>" instead: a JSON object with a repeated name is
/// read differently by different parsers (RFC 8259 §4), and dropping the fact would lose it.
public enum EventJSON {
    public static let fixedMembers = ["id", "seq", "time", "type", "severity", "message", "host"]

    public static func object(_ e: HedgeEvent, host: String) -> String {
        var w = JSONWriter()
        write(e, host: host, into: &w)
        return w.text
    }

    /// As one element of an array or a member of an object being written.
    public static func write(_ e: HedgeEvent, host: String, key: String? = nil, into w: inout JSONWriter) {
        w.beginObject(key)
        w.string("id", e.id)
        w.int("seq", Int64(clamping: e.seq))
        w.string("time", CivilTime(epochMs: e.wallMs).iso8601)
        w.string("type", e.type)
        w.string("severity", e.severity.name)
        w.string("message", e.message)
        w.string("host", host)
        var used = HashSet(fixedMembers)
        for f in e.fields {
            var name = f.name
            while used.contains(name) { name = "field_" + name }
            used.insert(name)
            w.string(name, f.value)
        }
        w.endObject()
    }
}
