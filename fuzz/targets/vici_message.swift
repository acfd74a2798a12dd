// libFuzzer target: a VICI stream from charon (strongSwan vici plugin README) read the way
// HedgeLinux's VICIClient reads it, and the session trackers its events drive.
//
// Input: one control byte, then the stream of u32-length segments.
//   control bits 0..5  chunk size the stream is appended in (0 = all at once)
//   control bit 6      the events are a list-sas listing (beginListing before, endListing after)
//   control bit 7      decode with a depth limit of 3 instead of 16
// Every segment the framer cuts must be exactly what its length header said; every packet that
// decodes must re-encode (unless a lossy name grew past 255 bytes) to bytes that decode to the
// same packet, and to the very segment when its names were valid UTF-8. Each event goes to two
// trackers ("azure-s2s"/"s2s", as in the captured seeds, and the first connection name seen),
// whose view must stay consistent. The whole stream is also decoded as one message and one packet.
// Compiled into the HedgeCore module (fuzz/build), so internal API is visible; fuzz/dispatch.swift
// calls it when HEDGE_FUZZ_TARGET names this file.

public func fuzzVICIMessage(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let control = data[0]
    let stream = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let chunk = Int(control & 0x3F)
    let listing = control & 0x40 != 0
    let depth = control & 0x80 != 0 ? 3 : VICIMessage.defaultMaxDepth

    var framer = VICIFramer()
    var trackers = [VICISessionTracker(ike: "azure-s2s", child: "s2s")]
    if listing { trackers[0].beginListing() }
    var consumed = 0
    var i = 0
    feed: while i < stream.count {
        let end = chunk == 0 ? stream.count : min(i + chunk, stream.count)
        framer.append(stream[i..<end])
        i = end
        while true {
            let segment: [UInt8]
            do throws(VICIError) {
                guard let s = try framer.next() else { break }
                segment = s
            } catch {
                // Only a length over the cap ends a stream, and for good.
                guard case .segmentTooLong(let n) = error, n > VICIFramer.defaultMaxSegmentLength else {
                    preconditionFailure("framer: \(error)")
                }
                precondition(framer.failure == error)
                break feed
            }
            // The segment is the next length header's data, exactly.
            precondition(stream.count - consumed >= 4 + segment.count)
            var length = 0
            for k in 0..<4 { length = length << 8 | Int(stream[consumed + k]) }
            precondition(length == segment.count && stream[(consumed + 4)..<(consumed + 4 + length)].elementsEqual(segment))
            consumed += 4 + length
            packet(segment, depth, &trackers, listing)
        }
    }
    precondition(framer.failure != nil || framer.buffered == stream.count - consumed)
    for k in trackers.indices {
        if listing { trackers[k].endListing() }
        check(trackers[k])
    }

    // The stream as one message and as one packet: never a trap, and a message that decodes
    // re-encodes.
    if let m = try? VICIMessage.decode(stream[...], maxDepth: depth), let again = try? m.encode() {
        precondition((try? VICIMessage.decode(again[...])) == m)
    }
    if let p = try? VICIPacket.decode(stream[...], maxDepth: depth) { sink(p.type.description) }
    return 0
}

private func packet(_ segment: [UInt8], _ depth: Int, _ trackers: inout [VICISessionTracker], _ listing: Bool) {
    let p: VICIPacket
    do throws(VICIError) {
        p = try VICIPacket.decode(segment[...], maxDepth: depth)
    } catch {
        sink(error.description)
        return
    }
    precondition(p.type.isNamed == (p.name != nil))
    do throws(VICIError) {
        let again = try p.encode()
        precondition((try? VICIPacket.decode(again[...], maxDepth: depth)) == p)
        if lossless(p) { precondition(again == segment) }
    } catch {
        // Names are read leniently (invalid UTF-8 becomes U+FFFD, three bytes each): only such
        // a name can come out longer than the 255 bytes it went in as.
        guard case .nameTooLong = error, !lossless(p) else { preconditionFailure("re-encode: \(error)") }
    }
    guard p.type == .event, let name = p.name else { return }
    if trackers.count == 1, let first = p.message.sections.first(where: { $0.name != "azure-s2s" }) {
        let child = first.message.section("child-sas")?.sections.first?.message["name"] ?? "s2s"
        trackers.append(VICISessionTracker(ike: first.name, child: child))
        if listing { trackers[1].beginListing() }
    }
    for k in trackers.indices {
        let before = trackers[k]
        let changed = trackers[k].apply(event: name, p.message)
        let same = before.ikeUniqueID == trackers[k].ikeUniqueID && before.ikeState == trackers[k].ikeState
            && before.childUniqueID == trackers[k].childUniqueID && before.childState == trackers[k].childState
            && before.spiIn == trackers[k].spiIn && before.spiOut == trackers[k].spiOut
        precondition(changed == !same)
        precondition(trackers[k].changes == before.changes + (changed ? 1 : 0))
        if !changed { precondition(trackers[k].reason == before.reason) }
        check(trackers[k])
    }
}

private func check(_ t: VICISessionTracker) {
    precondition((t.ikeState == nil) == (t.ikeUniqueID == nil))
    precondition(t.ikeEstablished == (t.ikeState == "ESTABLISHED"))
    precondition((t.childState == nil) == (t.childUniqueID == nil))
    switch t.childStatus {
    case .absent: precondition(t.childState == nil && !t.childInstalled && t.spiIn == nil && t.spiOut == nil)
    case .installed: precondition(t.childInstalled && ["INSTALLED", "REKEYING", "UPDATING"].contains(t.childState!))
    case .other(let s): precondition(!t.childInstalled && s == t.childState)
    }
    if let id = t.ikeUniqueID { precondition(t.ikes[id] != nil) }
    if let id = t.childUniqueID { precondition(t.children[id] != nil) }
    precondition(!t.summary.isEmpty)
    sink(t.reason)
}

/// Every name in the packet came from valid UTF-8 (none holds U+FFFD), so re-encoding must give
/// back the very bytes.
private func lossless(_ p: VICIPacket) -> Bool {
    if let n = p.name, n.unicodeScalars.contains("\u{FFFD}") { return false }
    return lossless(p.message)
}

private func lossless(_ m: VICIMessage) -> Bool {
    for e in m.elements {
        switch e {
        case .keyValue(let k, _), .list(let k, _):
            if k.unicodeScalars.contains("\u{FFFD}") { return false }
        case .section(let k, let sub):
            if k.unicodeScalars.contains("\u{FFFD}") || !lossless(sub) { return false }
        }
    }
    return true
}

@inline(never) @_optimize(none)
private func sink<T>(_ value: T) { withExtendedLifetime(value) {} }
