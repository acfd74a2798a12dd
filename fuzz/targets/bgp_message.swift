// libFuzzer target: BGP framing and decoding of arbitrary bytes (RFC 4271 §4, §6; RFC 7606).
//
// Input: one control byte, then a TCP byte stream.
//   control bit 0      0 = eBGP, 1 = iBGP (CodecOptions.external)
//   control bits 1..7  chunk size the stream is fed to MessageFramer in (0 = all at once)
// Every message the framer cuts, and the whole stream taken as a single message, is decoded with
// both the 4-octet and the 2-octet AS codec; an UPDATE's verdict is acted on the way
// BGPSession.update/apply act on it, and whatever decoded is encoded again.
// Compiled into the HedgeCore module (fuzz/build), so internal API is visible; fuzz/dispatch.swift
// calls it when HEDGE_FUZZ_TARGET names this file.

public func fuzzBGPMessage(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let control = data[0]
    let stream = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let external = control & 1 == 0
    let chunk = Int(control >> 1)

    // 1. The framer, fed in chunks, as the session reads the socket.
    var frames: [[UInt8]] = []
    var framer = MessageFramer()
    var i = 0
    feed: while i < stream.count {
        let end = chunk == 0 ? stream.count : min(i + chunk, stream.count)
        framer.append(stream[i..<end])
        i = end
        while true {
            let next: [UInt8]?
            do throws(BGPError) { next = try framer.next() } catch {
                fuzzSink(notificationOf(error))
                break feed   // header error: the stream cannot be resynchronised (RFC 4271 §6.1)
            }
            guard let frame = next else { break }
            // A frame is exactly one whole message of the length its header says.
            precondition(frame.count >= BGPMessage.headerLength && frame.count <= BGPMessage.maxMessageLength)
            precondition(Int(frame[16]) << 8 | Int(frame[17]) == frame.count)
            frames.append(frame)
        }
    }
    fuzzSink(framer.buffered)

    // 2. Each frame, and the raw stream as one message, through the decoder.
    for fourOctetAS in [true, false] {
        let options = CodecOptions(fourOctetAS: fourOctetAS, external: external)
        for f in frames { exercise(f[...], options) }
        exercise(stream[...], options)
    }
    return 0
}

private func notificationOf(_ e: BGPError) -> String {
    switch e {
    case .notify(let n):
        fuzzSink(try? BGPMessage.notification(n).encode())
        return n.description
    case .truncated: return "truncated"
    case .tooLong(let n): return "too long \(n)"
    }
}

private func exercise(_ bytes: ArraySlice<UInt8>, _ options: CodecOptions) {
    let received: ReceivedMessage
    do throws(BGPError) { received = try BGPMessage.decode(bytes, options: options) } catch {
        fuzzSink(notificationOf(error))
        return
    }
    switch received {
    case .open(let o):
        fuzzSink(o.asNumber); fuzzSink(o.families); fuzzSink(o.supportsFourOctetAS); fuzzSink(o.supportsRouteRefresh)
        fuzzSink(o.check(expectedAS: nil)?.description); fuzzSink(o.check(expectedAS: 12076)?.description)
        fuzzSink(o.check(expectedAS: o.asNumber)?.description)
        fuzzSink(try? BGPMessage.open(o).encode())
    case .notification(let n):
        fuzzSink(n.description); fuzzSink(n.shutdownCommunication); fuzzSink(n.prefixLimit?.limit)
        fuzzSink(n.isPrefixLimit); fuzzSink(n.errorCode); fuzzSink(n.ceaseSubcode)
        fuzzSink(try? BGPMessage.notification(n).encode())
    case .keepalive:
        break
    case .routeRefresh(let r):
        fuzzSink(try? BGPMessage.routeRefresh(r).encode())
    case .update(let verdict):
        act(on: verdict, options)
    }
}

/// What BGPSession does with a verdict (Session.swift update/apply), minus the RIB bookkeeping.
private func act(on verdict: UpdateVerdict, _ options: CodecOptions) {
    for issue in verdict.issues { fuzzSink(issue.description) }
    switch verdict {
    case .sessionReset(let n, _):
        fuzzSink(n.description)
        fuzzSink(try? BGPMessage.notification(n).encode())
        precondition(verdict.message == nil)
    case .treatAsWithdraw(let m, let issues):
        precondition(!issues.isEmpty)
        routes(m.allWithdrawn + m.announced)
    case .attributeDiscard(let m, let issues):
        precondition(!issues.isEmpty)
        apply(m, options)
    case .accept(let m):
        apply(m, options)
    }
}

private func apply(_ m: UpdateMessage, _ options: CodecOptions) {
    if let f = m.endOfRIB { fuzzSink(f); return }
    routes(m.allWithdrawn)
    routes(m.nlri)
    let a = m.attributes
    fuzzSink(a.asns)
    fuzzSink(a.nextHop?.description)
    if let r = a.mpReach {
        routes(r.nlri)
        fuzzSink(r.nextHop.description); fuzzSink(r.linkLocalNextHop?.description)
    }
    fuzzSink(try? BGPMessage.update(m).encode(options: options))
}

private func routes(_ prefixes: [IPPrefix]) {
    var set = Set<IPPrefix>()
    for p in prefixes {
        precondition(p.length <= p.address.bitWidth)
        set.insert(p)
        fuzzSink(p.description)
    }
    fuzzSink(set.count)
}
