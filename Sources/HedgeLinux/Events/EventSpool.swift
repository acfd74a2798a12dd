import CHedge
import HedgeCore

/// The on-disk queue of events for the HTTP collector: what was raised while the collector was
/// unreachable is delivered when it returns, after a restart of hedge too.
///
/// Two files in `directory` (created 0700):
/// - `queue`: `<seq> <json>\n` per event (EventSpoolFormat), appended and fsynced per event;
///   compacted (queue.tmp, fsync, rename) once more than half of its lines are done with.
/// - `state`: the instance id, the next seq, the last seq acknowledged (delivered or dropped), and
///   the counters; rewritten whole (state.tmp, fsync, rename) on every ack.
///
/// Ids are `"<instance>-<seq>"`, the instance 16 hex digits from getrandom when the spool is first
/// made, so they stay unique across restarts. Each stored line carries its id in its JSON, so a
/// crash between a delivery and the ack being written re-delivers the same id (the collector drops
/// the repeat), and never loses an event: the ack is the only thing that removes one.
public final class EventSpool {
    public let directory: String
    public let maxEvents: Int
    public private(set) var instanceID: String
    /// The `host` member of the JSON (set by EventLog).
    public var hostname: String
    /// Events acknowledged by the collector, since the spool was made (persisted).
    public private(set) var delivered: UInt64 = 0
    /// Events pushed out unsent by `maxEvents` (persisted).
    public private(set) var dropped: UInt64 = 0
    /// Failed writes and fsyncs (this run), and the last one's text.
    public private(set) var errors = 0
    public private(set) var lastError: String?
    /// What loading found: torn and garbage lines dropped from `queue`, and whether `state` was
    /// unreadable (then everything in `queue` is sent again).
    public private(set) var loadedTorn = 0
    public private(set) var loadedGarbage = 0
    public private(set) var stateRecovered = false

    private var nextSeq: UInt64 = 1
    /// Every seq up to this one is done with: delivered or dropped.
    public private(set) var acked: UInt64 = 0
    private var entries: [EventSpoolFormat.Entry] = []
    private var head = 0                // entries[..<head] are done with, still in memory
    private var linesInFile = 0
    private var doneInFile = 0
    private var queueFD: Int32 = -1

    private var queuePath: String { EventSpool.queuePath(in: directory) }
    private var statePath: String { EventSpool.statePath(in: directory) }
    public static func queuePath(in directory: String) -> String { directory + "/queue" }
    public static func statePath(in directory: String) -> String { directory + "/state" }
    /// Everything the spool writes in `directory`, the directory first: what a privilege drop hands over.
    public static func ownedPaths(in directory: String) -> [String] {
        [directory, queuePath(in: directory), statePath(in: directory)]
    }

    public init(directory: String, maxEvents: Int, hostname: String = EventLog.systemHostname()) throws(SystemError) {
        self.directory = directory
        self.maxEvents = max(1, maxEvents)
        self.hostname = hostname
        instanceID = ""
        try EventSpool.makeDirectory(directory)

        var haveState = false
        switch EventSpool.readIfPresent(statePath) {
        case .failure(let e): throw e
        case .success(nil): break
        case .success(let bytes?):
            if let s = EventSpool.parseState(bytes) {
                instanceID = s.instance; nextSeq = s.next; acked = s.acked
                delivered = s.delivered; dropped = s.dropped
                haveState = true
            } else {
                stateRecovered = true
            }
        }
        var rewrite = false
        switch EventSpool.readIfPresent(queuePath) {
        case .failure(let e): throw e
        case .success(nil): break
        case .success(let bytes?):
            let d = EventSpoolFormat.decode(bytes)
            loadedTorn = d.torn; loadedGarbage = d.garbage
            rewrite = !d.clean
            linesInFile = d.entries.count
            for e in d.entries {
                if e.seq > acked { entries.append(e) } else { doneInFile += 1 }
                if e.seq >= nextSeq { nextSeq = e.seq + 1 }
            }
        }
        if instanceID.isEmpty { instanceID = EventSpool.newInstanceID() }
        if !haveState { try writeState() }
        // The file is appended to: a torn tail would swallow the next line. Rewrite it clean.
        if rewrite || doneInFile * 2 > linesInFile { try compact() }
        try openQueue()
        trim()
    }

    deinit { if queueFD >= 0 { close(queueFD) } }

    /// Events not yet acknowledged.
    public var queued: Int { entries.count - head }
    /// The seq the next append gets.
    public var nextSequence: UInt64 { nextSeq }

    /// Gives `e` the next seq and its id, stores it and fsyncs. A failed write is counted and the
    /// event still kept in memory (delivered if hedge runs until the collector answers).
    public func append(_ e: inout HedgeEvent) {
        e.seq = nextSeq
        e.id = "\(instanceID)-\(nextSeq)"
        nextSeq += 1
        let json = EventJSON.object(e, host: hostname)
        let line = EventSpoolFormat.line(seq: e.seq, json: json)
        if writeLine(line) {
            linesInFile += 1
        } else {
            // The seq is handed out: persist `next` so that a restart cannot reuse the id.
            do throws(SystemError) { try writeState() } catch { fail(error) }
        }
        entries.append(EventSpoolFormat.Entry(seq: e.seq, json: json))
        trim()
    }

    /// The oldest unacknowledged events, at most `max`, in seq order.
    public func pending(max: Int) -> [(seq: UInt64, json: String)] {
        entries[head...].prefix(Swift.max(0, max)).map { (seq: $0.seq, json: $0.json) }
    }

    /// Everything up to `seq` reached the collector: persisted before anything is forgotten.
    public func ack(through seq: UInt64) {
        guard seq > acked else { return }
        var n = 0
        while head + n < entries.count && entries[head + n].seq <= seq { n += 1 }
        let before = acked
        acked = seq
        delivered += UInt64(n)
        do throws(SystemError) {
            try writeState()
        } catch {
            fail(error)
            // Not persisted: keep the events, so that the next ack tries again; a re-delivery
            // is harmless, a loss is not.
            acked = before; delivered -= UInt64(n)
            return
        }
        advance(n)
    }

    // MARK: - Internals

    /// Drops the oldest beyond `maxEvents`, counted, and persisted as done with.
    private func trim() {
        let over = queued - maxEvents
        guard over > 0 else { return }
        let through = entries[head + over - 1].seq
        acked = Swift.max(acked, through)
        dropped += UInt64(over)
        // Memory stays bounded even when the disk fails: they are forgotten either way, and the
        // next state write that succeeds covers them (acked only grows).
        do throws(SystemError) { try writeState() } catch { fail(error) }
        advance(over)
    }

    private func advance(_ n: Int) {
        guard n > 0 else { return }
        head += n
        doneInFile += n
        if head > 64 && head * 2 > entries.count { entries.removeFirst(head); head = 0 }
        if doneInFile * 2 > linesInFile {
            do throws(SystemError) { try compact(); try openQueue() } catch { fail(error) }
        }
    }

    private func fail(_ e: SystemError) {
        errors += 1
        lastError = e.description
    }

    private func writeLine(_ line: String) -> Bool {
        if queueFD < 0 {
            do throws(SystemError) { try openQueue() } catch { fail(error); return false }
        }
        var size = stat()
        let had = fstat(queueFD, &size) == 0 ? size.st_size : -1
        let ok = FileIO.writeAll(queueFD, line)
        if !ok {
            fail(SystemError("write", object: queuePath))
            // No half line in the middle of the file (the decoder would drop it, and the next).
            if had >= 0 { _ = ftruncate(queueFD, had) }
            return false
        }
        if fsync(queueFD) != 0 { fail(SystemError("fsync", object: queuePath)) }
        return true
    }

    private func openQueue() throws(SystemError) {
        if queueFD >= 0 { close(queueFD) }
        queueFD = hedge_open(queuePath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        if queueFD < 0 { throw SystemError("open", object: queuePath) }
    }

    /// The queue file holds exactly the pending events.
    private func compact() throws(SystemError) {
        var text = ""
        for e in entries[head...] { text += EventSpoolFormat.line(seq: e.seq, json: e.json) }
        try EventSpool.replace(queuePath, with: text, directory: directory)
        linesInFile = queued
        doneInFile = 0
    }

    private func writeState() throws(SystemError) {
        let text = "hedge-event-spool 1\ninstance \(instanceID)\nnext \(nextSeq)\nacked \(acked)\n"
            + "delivered \(delivered)\ndropped \(dropped)\n"
        try EventSpool.replace(statePath, with: text, directory: directory)
    }

    struct State { var instance: String; var next: UInt64; var acked: UInt64; var delivered: UInt64; var dropped: UInt64 }

    static func parseState(_ bytes: [UInt8]) -> State? {
        var s = State(instance: "", next: 1, acked: 0, delivered: 0, dropped: 0)
        var magic = false
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            let kv = line.split(separator: " ")
            guard kv.count == 2 else { return nil }
            let k = kv[0], v = kv[1]
            if k == "hedge-event-spool" { magic = v == "1"; continue }
            if k == "instance" {
                guard v.utf8.count == 16, v.utf8.allSatisfy(isHexDigit) else { return nil }
                s.instance = String(v)
                continue
            }
            guard let n = UInt64(v) else { return nil }
            switch k {
            case "next": s.next = n
            case "acked": s.acked = n
            case "delivered": s.delivered = n
            case "dropped": s.dropped = n
            default: break      // a later version's key
            }
        }
        guard magic, !s.instance.isEmpty, s.next > s.acked else { return nil }
        return s
    }

    static func isHexDigit(_ c: UInt8) -> Bool { (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) }

    static func newInstanceID() -> String {
        var r: UInt64 = 0
        if hedge_getrandom(&r, 8) != 0 {
            // No entropy source: time and pid still differ between two spools made on one box.
            r = UInt64(bitPattern: Clock.realtimeMs()) &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(getpid())
        }
        return hex64(r)
    }

    static func hex64(_ v: UInt64) -> String {
        let digits: [Character] = ["0","1","2","3","4","5","6","7","8","9","a","b","c","d","e","f"]
        var s = ""
        var shift: UInt64 = 60
        while true {
            s.append(digits[Int((v >> shift) & 15)])
            if shift == 0 { break }
            shift -= 4
        }
        return s
    }

    /// mkdir -p, the last component 0700.
    static func makeDirectory(_ path: String) throws(SystemError) {
        var prefix = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            prefix += "/" + part
            if mkdir(prefix, 0o700) != 0 && hedge_errno() != EEXIST { throw SystemError("mkdir", object: prefix) }
        }
        let fd = hedge_open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0)
        if fd < 0 { throw SystemError("open", object: path) }
        close(fd)
    }

    /// The file's bytes, nil if it does not exist.
    static func readIfPresent(_ path: String) -> Result<[UInt8]?, SystemError> {
        do throws(SystemError) {
            return .success(try FileIO.readBytes(path))
        } catch {
            return error.errno == ENOENT ? .success(nil) : .failure(error)
        }
    }

    /// Write `path.tmp`, fsync, rename over `path`, fsync the directory: the file is the old one or
    /// the new one after a crash, never a mix.
    static func replace(_ path: String, with text: String, directory: String) throws(SystemError) {
        let tmp = path + ".tmp"
        let fd = hedge_open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        if fd < 0 { throw SystemError("open", object: tmp) }
        let ok = FileIO.writeAll(fd, text)
        if !ok { let e = SystemError("write", object: tmp); close(fd); throw e }
        if fsync(fd) != 0 { let e = SystemError("fsync", object: tmp); close(fd); throw e }
        close(fd)
        if rename(tmp, path) != 0 { throw SystemError("rename", object: tmp) }
        let dfd = hedge_open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0)
        if dfd >= 0 { _ = fsync(dfd); close(dfd) }
    }
}
