/// The event spool's queue file: one line per event, `<seq> <json>\n`, appended in seq order.
///
/// A crash can leave the last line torn (no newline: the write or the fsync did not complete), and
/// a disk can hand back anything; the decoder keeps every well-formed line and counts the rest.
/// A torn line was never acknowledged to anyone (append returns after the fsync), so dropping it
/// loses nothing that was promised.
public enum EventSpoolFormat {
    /// The decimal seq, one space, the JSON object, a newline.
    public static func line(seq: UInt64, json: String) -> String { "\(seq) \(json)\n" }

    public struct Entry: Sendable, Equatable {
        public var seq: UInt64
        public var json: String
        public init(seq: UInt64, json: String) { self.seq = seq; self.json = json }
    }

    public struct Decoded: Sendable, Equatable {
        /// Well-formed lines, seq strictly increasing.
        public var entries: [Entry] = []
        /// A final line without its newline (0 or 1).
        public var torn = 0
        /// Complete lines that are not `<seq> <json>`, or whose seq does not follow the previous one's.
        public var garbage = 0
        public var clean: Bool { torn == 0 && garbage == 0 }
    }

    /// JSON lines longer than this are garbage: an event is a few hundred octets.
    public static let maxLine = 1 << 20

    public static func decode(_ bytes: [UInt8]) -> Decoded {
        var d = Decoded()
        var start = 0
        var last: UInt64? = nil
        while start < bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != 0x0A { end += 1 }
            if end == bytes.count { d.torn = 1; break }
            if let e = entry(bytes[start..<end]), last == nil || e.seq > last! {
                d.entries.append(e)
                last = e.seq
            } else {
                d.garbage += 1
            }
            start = end + 1
        }
        return d
    }

    /// One line without its newline; nil if it is not `<seq> <json object>` in valid UTF-8.
    static func entry(_ line: ArraySlice<UInt8>) -> Entry? {
        guard line.count <= maxLine else { return nil }
        var i = line.startIndex
        var seq: UInt64 = 0
        var digits = 0
        while i < line.endIndex, line[i] >= 0x30, line[i] <= 0x39 {
            let (m, o1) = seq.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(UInt64(line[i] - 0x30))
            if o1 || o2 { return nil }
            seq = s
            digits += 1
            i += 1
        }
        // seq 0 is never handed out; a leading zero would give one seq two spellings.
        guard digits > 0, seq > 0, line[line.startIndex] != 0x30 else { return nil }
        guard i < line.endIndex, line[i] == 0x20 else { return nil }
        let body = line[(i + 1)...]
        guard body.count >= 2, body.first == 0x7B, body.last == 0x7D else { return nil }
        // Control characters never appear in what JSONWriter writes (it escapes them).
        if body.contains(where: { $0 < 0x20 || $0 == 0x7F }) { return nil }
        let json = String(decoding: body, as: UTF8.self)
        // Invalid UTF-8 decodes with replacement characters, which changes the bytes.
        guard json.utf8.elementsEqual(body) else { return nil }
        return Entry(seq: seq, json: json)
    }
}
