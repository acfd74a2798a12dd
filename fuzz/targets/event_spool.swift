// libFuzzer target: the event spool's queue file decoder, on arbitrary bytes (what a disk hands
// back after a crash or worse); the same bytes also go through the HTTP response head parser (the
// collector's answer, bytes hedge does not control) and, as text, through CollectorURL.
//
// Input: the queue file's bytes, read whole the way EventSpool reads them (FileIO.readBytes).
// Compiled into the HedgeCore module (fuzz/build), so internal API is visible; fuzz/dispatch.swift
// calls it when HEDGE_FUZZ_TARGET names this file.

public func fuzzEventSpool(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let d = EventSpoolFormat.decode(bytes)

    // Every complete line is either kept or counted; only a final line without its newline is torn.
    let newlines = bytes.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
    precondition(d.entries.count + d.garbage == newlines, "lines kept + garbage == complete lines")
    precondition(d.torn == (bytes.last.map { $0 != 0x0A } ?? false ? 1 : 0), "torn iff no final newline")
    // The queue is in seq order, seq 0 is never handed out.
    var last: UInt64 = 0
    for e in d.entries {
        precondition(e.seq > last, "seq strictly increasing")
        precondition(e.json.utf8.first == 0x7B && e.json.utf8.last == 0x7D, "a JSON object")
        last = e.seq
    }
    // What was kept re-encodes to a clean file that decodes to the same entries.
    var again: [UInt8] = []
    for e in d.entries { again += Array(EventSpoolFormat.line(seq: e.seq, json: e.json).utf8) }
    let d2 = EventSpoolFormat.decode(again)
    precondition(d2.clean && d2.entries == d.entries, "re-encode round trip")

    switch HTTPResponseHead.parse(bytes) {
    case .complete(let status, let headerLength, let contentLength):
        precondition(headerLength > 0 && headerLength <= bytes.count, "head within the input")
        precondition((100...999).contains(status), "three-digit status")
        precondition(contentLength.map { $0 >= 0 } ?? true, "no negative length")
        // The head alone parses the same (the body never changes it).
        precondition(HTTPResponseHead.parse(Array(bytes[..<headerLength])) == .complete(status: status, headerLength: headerLength, contentLength: contentLength))
    case .incomplete, .malformed:
        break
    }

    let text = String(decoding: bytes.prefix(512), as: UTF8.self)
    do {
        let u = try CollectorURL(text)
        precondition(u.port > 0 && u.path.hasPrefix("/"), "a usable URL")
        // What it prints parses back to itself.
        precondition((try? CollectorURL(u.description)) == u, "description round trip")
    } catch {
        fuzzSink(error.message)
    }
    return 0
}
