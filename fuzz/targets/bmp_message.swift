// libFuzzer target: a BMP feed from a router (RFC 7854 §4) read the way hedge's station reads it
// (HedgeLinux BMPStation.receive/drain), and the neighbour trackers it drives.
//
// Input: one control byte, then the TCP byte stream from the router.
//   control bits 0..5  chunk size the stream is appended in (0 = all at once)
//   control bits 6..7  clock step between messages: 0, 1 ms, 1 s, 20 s (past the 10 s grace)
// A BMPFeed and a bare BMPFramer are fed the same chunks in lockstep: every message the feed
// returns must be the framer's next frame decoded with the widths the feed had learned, and every
// error must be the same. Each decoded message goes to trackers watching 192.168.10.2, 10.78.0.2
// (the golden FRR seeds' MSEE) with AS 12076, and 10.78.0.2 with another AS, as the station does;
// their timers run between messages. The whole stream is also decoded as one message.
// Compiled into the HedgeCore module (fuzz/build), so internal API is visible; fuzz/dispatch.swift
// calls it when HEDGE_FUZZ_TARGET names this file.

public func fuzzBMPMessage(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let control = data[0]
    let stream = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let chunk = Int(control & 0x3F)
    let step: Millis = [0, 1, 1_000, 20_000][Int(control >> 6)]

    var feed = BMPFeed()
    var framer = BMPFramer()
    var now: Millis = 1_000
    var trackers = [
        BMPNeighborTracker(neighbor: IPAddress("192.168.10.2")!),
        BMPNeighborTracker(neighbor: IPAddress("10.78.0.2")!, peerAS: 12076),
        BMPNeighborTracker(neighbor: IPAddress("10.78.0.2")!, peerAS: 65000, graceMs: 3_000),
    ]
    for i in trackers.indices { observe(&trackers[i], now) { $0.feedStarted(now: now) } }

    var decoded = 0, unknown = 0
    var i = 0
    feed: while i < stream.count {
        let end = chunk == 0 ? stream.count : min(i + chunk, stream.count)
        feed.append(stream[i..<end])
        framer.append(stream[i..<end])
        i = end
        precondition(feed.framer.buffered == framer.buffered)
        while true {
            let widths = feed.fourOctetAS
            let frame: Result<[UInt8]?, BMPError>
            do throws(BMPError) { frame = .success(try framer.next()) } catch { frame = .failure(error) }
            let message: Result<BMPMessage?, BMPError>
            do throws(BMPError) { message = .success(try feed.next()) } catch { message = .failure(error) }

            switch frame {
            case .failure(let e):
                // A framing error ends the feed with that very error.
                guard case .failure(let f) = message, f == e else { preconditionFailure("framer \(e), feed \(message)") }
                lost(&trackers, feed, e, now)
                break feed
            case .success(nil):
                guard case .success(nil) = message else { preconditionFailure("framer waits, feed \(message)") }
                continue feed
            case .success(let f?):
                checkFrame(f)
                let expected: Result<BMPMessage, BMPError>
                do throws(BMPError) { expected = .success(try BMPMessage.decode(f, fourOctetAS: widths)) } catch {
                    expected = .failure(error)
                }
                switch (expected, message) {
                case (.failure(let e), .failure(let g)):
                    precondition(e == g)
                    lost(&trackers, feed, e, now)
                    break feed
                case (.success(let m), .success(let n?)):
                    precondition(m == n)
                    decoded += 1
                    if case .unknown(let t) = m { precondition(t > 6); unknown += 1 }
                    precondition(feed.messages == decoded && feed.unknownMessages == unknown && feed.failure == nil)
                    exercise(m, f, widths)
                    learned(m, feed)
                    now += step
                    for j in trackers.indices {
                        observe(&trackers[j], now) { $0.tick(now: now) }
                        observe(&trackers[j], now) { $0.handle(m, now: now) }
                        check(trackers[j], after: m)
                    }
                    if case .termination = m { break feed }   // the station drops the feed
                default:
                    preconditionFailure("decode \(expected), feed \(message)")
                }
            }
        }
    }
    fuzzSink(feed.initiation?.sysName); fuzzSink(feed.initiation?.sysDescr)

    // The timers after the last message, then the connection closing.
    for _ in 0..<2 {
        now += 15_000
        for j in trackers.indices { observe(&trackers[j], now) { $0.tick(now: now) } }
    }
    for j in trackers.indices {
        observe(&trackers[j], now) { $0.feedLost("connection closed by the router", now: now) }
        precondition(trackers[j].health == .unknown && !trackers[j].established && trackers[j].nextDeadline == nil)
    }
    fuzzSink(BMPNeighborTracker.merge(trackers, none: "no feed"))

    // The whole stream taken as one message.
    for widths in [[:], allWidths(stream, false)] {
        do throws(BMPError) { fuzzSink(try BMPMessage.decode(stream, fourOctetAS: widths).name) } catch { fuzzSink(error.description) }
    }
    return 0
}

/// A frame is one whole message: version 3, exactly the length its header says.
private func checkFrame(_ f: [UInt8]) {
    precondition(f.count >= BMPMessage.commonHeaderLength && f.count <= BMPFramer.defaultMaxMessageLength)
    precondition(f[0] == BMPMessage.version)
    precondition(Int(f[1]) << 24 | Int(f[2]) << 16 | Int(f[3]) << 8 | Int(f[4]) == f.count)
}

/// A decoded message: the same from a slice that does not start at index 0; a byte more or less
/// than the header's length is refused; what it carries is readable.
private func exercise(_ m: BMPMessage, _ f: [UInt8], _ widths: HashMap<BMPPeerKey, Bool>) {
    let shifted = ([0xA5] + f + [0x5A])[1..<(f.count + 1)]
    precondition((try? BMPMessage.decode(shifted, fourOctetAS: widths)) == m)
    do throws(BMPError) { _ = try BMPMessage.decode(f + [0], fourOctetAS: widths); preconditionFailure("1 octet too many") } catch {
        precondition(error == .badLength(f.count + 1))
    }
    precondition((try? BMPMessage.decode(f.dropLast(), fourOctetAS: widths)) == nil)
    fuzzSink(m.name)
    if let p = m.peer { fuzzSink(p.key); fuzzSink(p.address.description) }
    switch m {
    case .routeMonitoring(let rm):
        precondition(rm.fourOctetAS == (rm.peer.isTwoOctetAS ? false : (widths[rm.peer.key] ?? true)))
        for issue in rm.update.issues { fuzzSink(issue.description) }
        if case .sessionReset(let n, _) = rm.update { fuzzSink(n.description); precondition(rm.update.message == nil) }
        if let u = rm.update.message {
            routes(u.announced); routes(u.allWithdrawn); fuzzSink(u.endOfRIB)
            fuzzSink(u.attributes.asns); fuzzSink(u.attributes.nextHop?.description)
        }
    case .statisticsReport(let s):
        fuzzSink(s.value(7))
    case .peerDown(let d):
        fuzzSink(d.reason.description); fuzzSink(d.reason.notification?.description)
    case .peerUp(let u):
        fuzzSink(u.holdTime); fuzzSink(u.fourOctetAS); fuzzSink(u.localAddress.description)
        fuzzSink(u.information.map { $0.text })
    case .initiation(let i):
        fuzzSink(i.sysName); fuzzSink(i.sysDescr); fuzzSink(i.strings)
    case .termination(let t):
        fuzzSink(t.description); fuzzSink(t.reason)
    case .routeMirroring, .unknown:
        break
    }
}

/// What the feed must have learned from a message it returned.
private func learned(_ m: BMPMessage, _ feed: BMPFeed) {
    switch m {
    case .peerUp(let u): precondition(feed.fourOctetAS[u.peer.key] == u.fourOctetAS)
    case .peerDown(let d): precondition(feed.fourOctetAS[d.peer.key] == nil)
    case .initiation(let i): precondition(feed.initiation == i)
    default: break
    }
}

private func lost(_ trackers: inout [BMPNeighborTracker], _ feed: BMPFeed, _ e: BMPError, _ now: Millis) {
    // The feed stays failed: the same error again, appends ignored.
    var again = feed
    again.append([3, 0, 0, 0, 6, 4])
    precondition(again.framer.buffered == 0 && again.failure == e)
    do throws(BMPError) { _ = try again.next(); preconditionFailure("a failed feed went on") } catch { precondition(error == e) }
    fuzzSink(e.description)
    for j in trackers.indices { observe(&trackers[j], now) { $0.feedLost(e.description, now: now) } }
}

/// A change a tracker reports is its new state, and it is a change.
private func observe(_ t: inout BMPNeighborTracker, _ now: Millis,
                     _ input: (inout BMPNeighborTracker) -> (Health, String)?) {
    let before = (t.health, t.reason)
    let change = input(&t)
    if let (h, r) = change {
        precondition(h == t.health && r == t.reason && t.since == now)
        precondition(h != before.0 || r != before.1)
    } else {
        precondition(t.health == before.0 && t.reason == before.1)
    }
    // Every input is preceded by a tick at the same time, so a deadline left is still ahead.
    if let d = t.nextDeadline { precondition(d > now) }
}

private func check(_ t: BMPNeighborTracker, after m: BMPMessage) {
    if t.health == .up { precondition(t.established) }
    if t.established { precondition(t.lastPeerUp != nil) }
    if case .peerDown(let d) = m, t.matches(d.peer) {
        precondition(t.health == .down && !t.established && !t.hasRoutes && t.lastPeerDown == d.reason)
    }
    if case .peerUp(let u) = m, t.matches(u.peer) { precondition(t.established && t.lastPeerUp == u) }
    routes(Array(t.prePolicy)); routes(Array(t.postPolicy))
    fuzzSink(t.reason); fuzzSink(t.prefixCount); fuzzSink(t.malformedUpdates); fuzzSink(t.otherAS)
}

/// Every 2-octet-AS session a Peer Up in the stream could name (for the whole-stream decode).
private func allWidths(_ stream: [UInt8], _ wide: Bool) -> HashMap<BMPPeerKey, Bool> {
    guard stream.count >= 48 else { return [:] }
    var r = BMPReader(stream[6...])
    guard let p = try? BMPPeerHeader.decode(&r) else { return [:] }
    return [p.key: wide]
}

private func routes(_ prefixes: [IPPrefix]) {
    for p in prefixes {
        precondition(p.length <= p.address.bitWidth)
        fuzzSink(p.description)
    }
}
