import Foundation
import XCTest
import CHedge
@testable import HedgeCore
@testable import HedgeLinux

/// The event spool and pusher against a real HTTP collector: Python's http.server on 127.0.0.1,
/// started and stopped by the tests, recording every event id it accepts (and every repeat).
final class EventDeliveryTests: XCTestCase {
    var dir = ""
    var port: UInt16 = 0
    var loop: EventLoop!
    var pusher: EventPusher?

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "hedge-events-\(getpid())-\(UInt32.random(in: 0..<UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                port = try freeLoopbackPort(SOCK_STREAM)
        loop = try EventLoop(signals: [])
    }

    override func tearDown() {
        pusher?.detach()
        pusher = nil
        stopCollector()
        try? FileManager.default.removeItem(atPath: dir)
    }

    var spoolDir: String { dir + "/spool" }
    var url: CollectorURL { try! CollectorURL("http://127.0.0.1:\(port)/hedge/events") }

    func startCollector(fail: Int = 0) {
        sh("""
        rm -f \(dir)/ids.log.ready
        /usr/bin/python3 \(packageRoot)/lab/collector.py \(port) \(dir)/ids.log \(fail) > \(dir)/collector.out 2>&1 &
        echo $! > \(dir)/collector.pid
        for i in $(seq 200); do [ -f \(dir)/ids.log.ready ] && exit 0; sleep 0.05; done
        cat \(dir)/collector.out; exit 1
        """)
    }

    func stopCollector() {
        // SIGKILL: the collector writes each line as it goes, and needs no goodbye.
        sh("""
        [ -f \(dir)/collector.pid ] || exit 0
        pid=$(cat \(dir)/collector.pid); kill -9 $pid 2>/dev/null
        for i in $(seq 100); do kill -0 $pid 2>/dev/null || break; sleep 0.02; done
        rm -f \(dir)/collector.pid
        """, check: false)
    }

    /// The collector's log lines.
    var collectorLog: [String] {
        ((try? String(contentsOfFile: dir + "/ids.log", encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }
    var receivedIDs: [String] { collectorLog.filter { $0.hasPrefix("ID ") }.map { String($0.split(separator: " ")[1]) } }
    var duplicates: [String] { collectorLog.filter { $0.hasPrefix("DUP ") } }
    var problems: [String] { collectorLog.filter { $0.hasPrefix("BAD ") } }


    /// Runs the loop (the pusher's deadlines, its socket) until `cond` holds or `timeoutMs` passes.
    @discardableResult
    func pump(_ timeoutMs: Millis, until cond: @escaping () -> Bool = { false }) -> Bool {
        let end = Clock.monotonicMs() + timeoutMs
        var met = false
        let slot = loop.register(LoopTimer("pusher", deadline: { [unowned self] _ in
            let slice = Clock.monotonicMs() + 20
            return min(self.pusher?.nextDeadline ?? .max, slice) * 1000
        }, fire: { [unowned self] _ in
            let now = Clock.monotonicMs()
            self.pusher?.tick(now: now)
            if cond() { met = true; self.loop.stop() } else if now >= end { self.loop.stop() }
        }))
        loop.run()
        loop.unregister(slot)
        return met
    }

    /// A spool, a pusher on the loop and the facade, as the agent will hold them.
    func open(maxEvents: Int = 1000) throws -> (EventSpool, EventLog) {
        let spool = try EventSpool(directory: spoolDir, maxEvents: maxEvents)
        let p = EventPusher(url: url, spool: spool)
        p.attach(to: loop)
        pusher = p
        let log = EventLog(hostname: "ce-test", syslog: nil, spool: spool, pusher: p)
        return (spool, log)
    }

    func emit(_ log: EventLog, _ n: Int, from: Int = 1) {
        for i in from..<(from + n) {
            log.emit(type: i % 2 == 0 ? "path_up" : "path_down", severity: .warning, message: "event \(i)",
                     fields: [EventField("path", "er"), EventField("n", "\(i)")],
                     wallMs: Clock.realtimeMs(), now: Clock.monotonicMs())
        }
    }

    func ids(_ instance: String, _ seqs: ClosedRange<Int>) -> [String] { seqs.map { "\(instance)-\($0)" } }

    // (a)
    func testCollectorUpEventsDeliveredOnce() throws {
        startCollector()
        let (spool, log) = try open()
        emit(log, 5)
        XCTAssertTrue(pump(5_000) { spool.queued == 0 && self.receivedIDs.count == 5 }, collectorLog.joined(separator: "\n"))
        pump(300)   // nothing more arrives
        XCTAssertEqual(receivedIDs, ids(spool.instanceID, 1...5))
        XCTAssertEqual(duplicates, [])
        XCTAssertEqual(problems, [])
        XCTAssertEqual(spool.delivered, 5)
        XCTAssertEqual(pusher?.errors, 0)
        XCTAssertEqual(spool.instanceID.count, 16)
    }

    // (b)
    func testEventsRaisedWhileDownSurviveARestartAndArriveOnceInOrder() throws {
        var (spool, log) = try open()
        let instance = spool.instanceID
        emit(log, 20)
        pump(300)
        XCTAssertGreaterThanOrEqual(pusher!.errors, 1)
        XCTAssertTrue(pusher!.lastError?.contains("refused") ?? false, pusher!.lastError ?? "-")
        XCTAssertEqual(spool.queued, 20)

        // A restart: every object gone, new ones from the same directory.
        pusher?.detach(); pusher = nil
        (spool, log) = try open()
        XCTAssertEqual(spool.instanceID, instance)
        XCTAssertEqual(spool.queued, 20)
        XCTAssertEqual(spool.loadedTorn + spool.loadedGarbage, 0)
        pusher?.kick(now: Clock.monotonicMs())      // what the agent does after start
        emit(log, 5, from: 21)
        pump(200)
        XCTAssertEqual(spool.queued, 25)

        startCollector()
        XCTAssertTrue(pump(10_000) { spool.queued == 0 && self.receivedIDs.count == 25 }, collectorLog.joined(separator: "\n"))
        pump(300)
        XCTAssertEqual(receivedIDs, ids(instance, 1...25), "every id once, in seq order")
        XCTAssertEqual(duplicates, [])
        XCTAssertEqual(problems, [])

        // And after a further restart nothing is sent again.
        pusher?.detach(); pusher = nil
        (spool, log) = try open()
        XCTAssertEqual(spool.queued, 0)
        XCTAssertEqual(spool.delivered, 25)
        emit(log, 1, from: 26)
        XCTAssertTrue(pump(5_000) { self.receivedIDs.count == 26 })
        XCTAssertEqual(receivedIDs.last, "\(instance)-26")
        XCTAssertEqual(duplicates, [])
    }

    // (c)
    func testBoundedQueueDropsTheOldestAndCountsThem() throws {
        var (spool, log) = try open(maxEvents: 10)
        emit(log, 25)
        XCTAssertEqual(spool.queued, 10)
        XCTAssertEqual(spool.dropped, 15)
        pusher?.detach(); pusher = nil
        (spool, log) = try open(maxEvents: 10)
        XCTAssertEqual(spool.dropped, 15, "persisted")
        XCTAssertEqual(spool.queued, 10)
        startCollector()
        pusher?.kick(now: Clock.monotonicMs())
        XCTAssertTrue(pump(5_000) { spool.queued == 0 && self.receivedIDs.count == 10 }, collectorLog.joined(separator: "\n"))
        pump(300)
        XCTAssertEqual(receivedIDs, ids(spool.instanceID, 16...25), "the newest 10")
        XCTAssertEqual(duplicates, [])
        XCTAssertEqual(spool.delivered, 10)
        XCTAssertEqual(spool.dropped, 15)
    }

    // (d)
    func testServerErrorIsRetriedAndTheBatchDeliveredOnce() throws {
        startCollector(fail: 1)
        let (spool, log) = try open()
        let t0 = Clock.monotonicMs()
        emit(log, 3)
        XCTAssertTrue(pump(6_000) { spool.queued == 0 && self.receivedIDs.count == 3 }, collectorLog.joined(separator: "\n"))
        let took = Clock.monotonicMs() - t0
        pump(300)
        XCTAssertEqual(collectorLog.filter { $0.hasPrefix("FAIL") }, ["FAIL 1"])
        XCTAssertEqual(receivedIDs, ids(spool.instanceID, 1...3))
        XCTAssertEqual(duplicates, [])
        XCTAssertEqual(pusher?.errors, 1)
        XCTAssertTrue(pusher?.lastError?.contains("HTTP 500") ?? false, pusher?.lastError ?? "-")
        XCTAssertGreaterThanOrEqual(took, 900, "retried after the 1 s back-off")
    }

    /// A crash after the collector took a batch but before the ack reached the disk: the same ids
    /// again, never a loss, and the collector sees repeats it can drop.
    func testCrashBeforeTheAckRedeliversTheSameIds() throws {
        var (spool, log) = try open()
        emit(log, 3)
        let queue = try Data(contentsOf: URL(fileURLWithPath: spoolDir + "/queue"))
        let state = try Data(contentsOf: URL(fileURLWithPath: spoolDir + "/state"))
        startCollector()
        pusher?.kick(now: Clock.monotonicMs())
        XCTAssertTrue(pump(5_000) { spool.queued == 0 && self.receivedIDs.count == 3 })
        pusher?.detach(); pusher = nil
        // The disk as it was before the ack.
        try queue.write(to: URL(fileURLWithPath: spoolDir + "/queue"))
        try state.write(to: URL(fileURLWithPath: spoolDir + "/state"))
        (spool, log) = try open()
        XCTAssertEqual(spool.pending(max: 10).map { $0.seq }, [1, 2, 3])
        pusher?.kick(now: Clock.monotonicMs())
        XCTAssertTrue(pump(5_000) { spool.queued == 0 && self.duplicates.count == 3 }, collectorLog.joined(separator: "\n"))
        XCTAssertEqual(receivedIDs, ids(spool.instanceID, 1...3))
        XCTAssertEqual(duplicates, ids(spool.instanceID, 1...3).map { "DUP " + $0 })
        // New events continue after the last seq handed out, not after the last acked one.
        XCTAssertEqual(log.emit(type: "stop", severity: .notice, message: "bye", wallMs: 0, now: Clock.monotonicMs()).seq, 4)
    }

    /// A power cut in the middle of an append: the torn line is dropped and counted, the rest
    /// kept, and the file is clean again for the next append.
    func testTornQueueLineIsDroppedAndAppendsContinue() throws {
        var (spool, log) = try open()
        emit(log, 2)
        pusher?.detach(); pusher = nil
        let h = try XCTUnwrap(FileHandle(forWritingAtPath: spoolDir + "/queue"))
        h.seekToEndOfFile(); h.write(Data("3 {\"id\":\"x-3\",\"se".utf8)); h.closeFile()
        (spool, log) = try open()
        XCTAssertEqual(spool.loadedTorn, 1)
        XCTAssertEqual(spool.queued, 2)
        let e = log.emit(type: "start", severity: .notice, message: "again", wallMs: 0, now: Clock.monotonicMs())
        XCTAssertEqual(e.seq, 3)
        let bytes = try XCTUnwrap(FileManager.default.contents(atPath: spoolDir + "/queue"))
        let d = EventSpoolFormat.decode([UInt8](bytes))
        XCTAssertTrue(d.clean)
        XCTAssertEqual(d.entries.map(\.seq), [1, 2, 3])
        XCTAssertTrue(d.entries[2].json.contains("\"id\":\"\(spool.instanceID)-3\""))
        // The directory is private.
        let mode = try FileManager.default.attributesOfItem(atPath: spoolDir)[.posixPermissions] as? Int
        XCTAssertEqual(mode, 0o700)
    }

    /// A collector that takes the connection and never answers: the request is abandoned after
    /// 5 s and retried, nothing acked.
    func testNoAnswerTimesOut() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, 4)
        var sa = sockaddr_in()
        sa.sin_family = sa_family_t(AF_INET)
        sa.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        sa.sin_port = port.bigEndian
        XCTAssertEqual(hedge_bind(fd, &sa, socklen_t(MemoryLayout<sockaddr_in>.size)), 0)
        XCTAssertEqual(listen(fd, 4), 0)    // never accepted: the kernel completes the handshake
        let (spool, log) = try open()
        emit(log, 1)
        XCTAssertTrue(pusher!.busy)
        XCTAssertTrue(pump(7_000) { self.pusher!.errors == 1 })
        XCTAssertTrue(pusher!.lastError?.contains("no answer within 5 s") ?? false, pusher!.lastError ?? "-")
        XCTAssertEqual(spool.queued, 1)
        XCTAssertNotNil(pusher!.nextDeadline)
    }

    /// Without a spool, events still get ids (unique per run).
    func testEventLogWithoutSpoolStillGivesIds() {
        let log = EventLog(hostname: "h", syslog: nil, spool: nil, pusher: nil)
        let a = log.emit(type: "start", severity: .notice, message: "", wallMs: 0, now: 0)
        let b = log.emit(type: "stop", severity: .notice, message: "", wallMs: 0, now: 0)
        XCTAssertEqual(a.id, "\(log.instanceID)-1")
        XCTAssertEqual(b.id, "\(log.instanceID)-2")
        XCTAssertEqual(log.instanceID.count, 16)
        XCTAssertNotEqual(EventLog(hostname: "h", syslog: nil, spool: nil, pusher: nil).instanceID, log.instanceID)
    }
}
