import CHedge
import HedgeCore

/// Single-hop BFD transport (RFC 5881): control packets to UDP 3784 from a source port in
/// 49152–65535, sent with TTL 255; received on 3784 with the TTL reported, so that the session can
/// drop anything that crossed a router (GTSM, RFC 5082). Both sockets are bound to the path's device.
public final class BFDSocket {
    public let rx: Int32
    let tx: Int32
    let neighbor: IPAddress
    /// The receive buffer, the socket's own for its life (an array would be checked for
    /// uniqueness and retained on every packet).
    private let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: 256, alignment: 8)
    /// The neighbour as the kernel writes it into a sockaddr_in (network order), and its address
    /// for sending: both worked out once, as they are needed for every packet.
    private let neighborWire: UInt32
    private var to = sockaddr_storage()
    private var toLength: socklen_t = 0

    public init(device: String, neighbor: IPAddress, sourcePortSeed: UInt16) throws(SystemError) {
        self.neighbor = neighbor
        if case .v4(let v) = neighbor { neighborWire = v.bigEndian } else { neighborWire = 0 }
        fillSockaddr(&to, &toLength, neighbor, port: 3784)
        let flags = Int32(SOCK_DGRAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue)
        rx = socket(AF_INET, flags, 0)
        tx = socket(AF_INET, flags, 0)
        if rx < 0 || tx < 0 { throw SystemError("socket(BFD)", object: device) }
        var one: Int32 = 1
        var ttl: Int32 = 255
        _ = setsockopt(rx, SOL_SOCKET, SO_REUSEADDR, &one, 4)
        _ = setsockopt(rx, Int32(IPPROTO_IP), IP_RECVTTL, &one, 4)
        _ = setsockopt(tx, Int32(IPPROTO_IP), IP_TTL, &ttl, 4)
        for fd in [rx, tx] {
            var d = device
            let r = d.withUTF8 { setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, $0.baseAddress, socklen_t($0.count)) }
            if r != 0 { let e = SystemError("setsockopt(SO_BINDTODEVICE)", object: "BFD on \(device)"); close(rx); close(tx); throw e }
        }
        var any = sockaddr_storage(); var len: socklen_t = 0
        fillSockaddr(&any, &len, .v4(0), port: 3784)
        if hedge_bind(rx, &any, len) != 0 {
            let e = SystemError("bind(udp/3784)", object: "BFD on \(device)"); close(rx); close(tx); throw e
        }
        // A source port of our own in 49152–65535; try a few from the seed if one is taken.
        var bound = false
        for i in 0..<64 {
            let port = 49152 &+ (sourcePortSeed &+ UInt16(i * 97)) % 16384
            fillSockaddr(&any, &len, .v4(0), port: port)
            if hedge_bind(tx, &any, len) == 0 { bound = true; break }
        }
        if !bound { let e = SystemError("bind(udp/49152-65535)", object: "BFD on \(device)"); close(rx); close(tx); throw e }
    }

    deinit { close(rx); close(tx); buf.deallocate() }

    public func send(_ packet: [UInt8]) {
        _ = packet.withUnsafeBytes { hedge_sendto(tx, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT), &to, toLength) }
    }

    /// Sends a packet without an authentication section, encoded on the stack.
    public func send(_ packet: BFDControlPacket) {
        guard packet.authentication == nil else { send(packet.encode()); return }
        var wire: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &wire) { b in
            packet.encodeMandatory(into: b.baseAddress!)
            _ = hedge_sendto(tx, b.baseAddress, BFDControlPacket.mandatoryLength, Int32(MSG_DONTWAIT), &to, toLength)
        }
    }

    /// Each queued packet from the neighbour, with its TTL; at most `limit` packets (the loop's
    /// handler takes one per wakeup: epoll is level-triggered, so more queued come at once, and the
    /// read that would only say EAGAIN is saved).
    public func receive(limit: Int = .max, _ each: (UnsafeRawBufferPointer, UInt8) -> Void) {
        var taken = 0
        while taken < limit {
            taken += 1
            var from = sockaddr_in()
            var ttl: Int32 = -1
            let n = hedge_recv_ttl(rx, buf.baseAddress, buf.count, &ttl, &from)
            if n < 0 { return }
            // Only the configured neighbour speaks to this session.
            guard from.sin_addr.s_addr == neighborWire else { continue }
            each(UnsafeRawBufferPointer(rebasing: buf[0..<n]), UInt8(clamping: ttl < 0 ? 0 : ttl))
        }
    }
}

/// xorshift64* seeded from the kernel's entropy: BFD jitter and discriminators need spread, not secrecy.
public struct Jitter {
    private var state: UInt64
    public init() {
        var seed: UInt64 = 0
        _ = hedge_getrandom(&seed, 8)
        state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed
    }
    public mutating func next() -> UInt32 {
        state ^= state >> 12; state ^= state << 25; state ^= state >> 27
        return UInt32(truncatingIfNeeded: (state &* 0x2545_F491_4F6C_DD1D) >> 32)
    }
}
