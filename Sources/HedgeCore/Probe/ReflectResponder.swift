/// The logic of `hedge-reflect`, without the socket: authenticate a request, count it for its
/// sender, and build the reply — or say why not. Nothing unauthenticated is ever answered, so the
/// reflector cannot be used to reflect traffic at a third party, and a reply is never larger than
/// its request.
///
/// Counters are kept per (source address, session, path) in a bounded table; when it is full the
/// sender heard from least recently is forgotten (its next request starts a new epoch, which tells
/// the sender that the count restarted). Only authenticated requests create entries, so nobody
/// without the key can churn the table.
public struct ReflectResponder: Sendable {
    public struct Sender: Hashable, Sendable {
        public var address: IPAddress
        public var session: UInt32
        public var path: UInt32
        public init(address: IPAddress, session: UInt32, path: UInt32) {
            self.address = address; self.session = session; self.path = path
        }
    }

    public enum Outcome: Equatable, Sendable {
        /// Send this back to the source; `newSender`: the first request of this sender.
        case answer([UInt8], newSender: Bool)
        case drop(Drop)
    }

    public enum Drop: Equatable, Sendable {
        /// Wrong length, magic, version or type (a reply sent to the reflector is one too).
        case malformed
        /// Another key (key ids differ).
        case unknownKey
        /// Right key id, wrong MAC.
        case badMAC
        /// Authentic, but its sequence was answered already or is older than the replay window.
        case replayed
    }

    private struct Entry: Sendable {
        var epoch: UInt32
        var count: UInt32
        var highest: UInt32
        /// Bit i: sequence `highest - i` was seen (RFC 4303 §3.4.3's sliding window).
        var seen: UInt64
        var lastUs: Int64
    }

    public var key: ReflectKey
    public let capacity: Int
    public private(set) var answered = 0
    public private(set) var malformed = 0
    public private(set) var unknownKey = 0
    public private(set) var badMAC = 0
    public private(set) var replayed = 0
    public private(set) var evictions = 0
    private var table = HashMap<Sender, Entry>()

    /// Sequences further back than this behind the newest are refused as replays.
    public static let replayWindow: UInt32 = 64

    public init(key: ReflectKey, capacity: Int = 1024) {
        self.key = key
        self.capacity = max(capacity, 1)
    }

    /// Senders in the table.
    public var senders: Int { table.count }

    /// The requests counted so far for `sender` in its current epoch.
    public func count(for sender: Sender) -> UInt32? { table[sender]?.count }

    /// Handles one datagram from `from`. `random` seeds a new sender's epoch.
    public mutating func handle(_ b: UnsafeRawBufferPointer, from: IPAddress, receiveUs: Int64, sendUs: Int64,
                                random: UInt32) -> Outcome {
        let q: ReflectPacket
        do throws(ReflectCodec.Rejection) {
            q = try ReflectCodec.decode(b, key: key)
        } catch {
            switch error {
            case .malformed: malformed += 1; return .drop(.malformed)
            case .unknownKey: unknownKey += 1; return .drop(.unknownKey)
            case .badMAC: badMAC += 1; return .drop(.badMAC)
            }
        }
        guard q.kind == .request else { malformed += 1; return .drop(.malformed) }
        let sender = Sender(address: from, session: q.session, path: q.path)
        var newSender = false
        var e: Entry
        if var old = table[sender] {
            guard accept(q.sequence, &old) else { replayed += 1; return .drop(.replayed) }
            old.count &+= 1
            e = old
        } else {
            if table.count >= capacity { evictOldest() }
            e = Entry(epoch: random == 0 ? 1 : random, count: 1, highest: q.sequence, seen: 1, lastUs: receiveUs)
            newSender = true
        }
        e.lastUs = receiveUs
        table[sender] = e
        answered += 1
        let r = ReflectCodec.reply(to: q, epoch: e.epoch, count: e.count,
                                   receiveUs: UInt64(bitPattern: receiveUs), sendUs: UInt64(bitPattern: sendUs))
        return .answer(ReflectCodec.encode(r, key: key), newSender: newSender)
    }

    public mutating func handle(_ bytes: [UInt8], from: IPAddress, receiveUs: Int64, sendUs: Int64, random: UInt32) -> Outcome {
        bytes.withUnsafeBytes { handle($0, from: from, receiveUs: receiveUs, sendUs: sendUs, random: random) }
    }

    /// Anti-replay: a sequence newer than any seen slides the window; an older one passes once.
    private func accept(_ seq: UInt32, _ e: inout Entry) -> Bool {
        let ahead = Int32(bitPattern: seq &- e.highest)
        if ahead > 0 {
            e.seen = ahead >= 64 ? 1 : (e.seen << UInt64(ahead)) | 1
            e.highest = seq
            return true
        }
        let behind = UInt32(-Int64(ahead))
        guard behind < ReflectResponder.replayWindow else { return false }
        let bit = UInt64(1) << UInt64(behind)
        if e.seen & bit != 0 { return false }
        e.seen |= bit
        return true
    }

    private mutating func evictOldest() {
        var oldest: Sender?
        var oldestUs = Int64.max
        for (s, e) in table where e.lastUs < oldestUs { oldest = s; oldestUs = e.lastUs }
        if let oldest { table[oldest] = nil; evictions += 1 }
    }
}
