import CHedge
import HedgeCore

/// The socket of one path's active probe. SO_MARK selects the path's own routing table (a
/// `fwmark lookup` rule), so probes cross that path whichever path the group's routes use.
public final class ProbeSocket {
    public let fd: Int32
    let kind: ProbeConfig.Kind
    let v6: Bool
    let identifier: UInt16
    private var target = sockaddr_storage()
    private var targetLen: socklen_t = 0
    private var rx = [UInt8](repeating: 0, count: 2048)

    public init(config p: ProbeConfig, mark: UInt32, identifier: UInt16) throws(SystemError) {
        kind = p.kind
        v6 = !p.target.isV4
        self.identifier = identifier
        let domain = v6 ? AF_INET6 : AF_INET
        let type = Int32(p.kind == .icmp ? SOCK_RAW.rawValue : SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue)
        let proto = p.kind == .icmp ? (v6 ? Int32(IPPROTO_ICMPV6) : Int32(IPPROTO_ICMP)) : 0
        fd = socket(domain, type, proto)
        if fd < 0 { throw SystemError("socket", object: "probe \(p.target)") }
        var m = mark
        if setsockopt(fd, SOL_SOCKET, SO_MARK, &m, 4) != 0 {
            let e = SystemError("setsockopt(SO_MARK)", object: "probe \(p.target)")
            close(fd); throw e
        }
        if p.kind == .icmp && !v6 {
            // Only echo replies reach this socket (ICMP_FILTER is a mask of types to drop).
            var filter = ~(UInt32(1) << UInt32(ICMP_ECHOREPLY))
            _ = setsockopt(fd, SOL_RAW, ICMP_FILTER, &filter, 4)
        }
        fillSockaddr(&target, &targetLen, p.target, port: p.kind == .icmp ? 0 : p.port)
        if let src = p.source {
            var s = sockaddr_storage(); var l: socklen_t = 0
            fillSockaddr(&s, &l, src, port: 0)
            let r = hedge_bind(fd, &s, l)
            if r != 0 { let e = SystemError("bind", object: "probe source \(src)"); close(fd); throw e }
        }
    }

    deinit { close(fd) }

    /// Sends echo probe `sequence` (icmp, udp); a failure (no route, device down) is the same as a
    /// lost probe.
    @discardableResult
    public func send(sequence: UInt16) -> Bool {
        send(bytes: kind == .icmp
            ? EchoCodec.icmpRequest(v6: v6, identifier: identifier, sequence: sequence)
            : EchoCodec.udpRequest(identifier: identifier, sequence: sequence))
    }

    /// Sends a ready-made probe (reflect requests).
    @discardableResult
    public func send(bytes pkt: [UInt8]) -> Bool {
        let n = pkt.withUnsafeBytes { b in
            hedge_sendto(fd, b.baseAddress, b.count, Int32(MSG_DONTWAIT), &target, targetLen)
        }
        return n == pkt.count
    }

    /// Sequence numbers of the echo replies queued now.
    public func receive(_ each: (UInt16) -> Void) {
        receiveDatagrams { got in
            let seq = kind == .icmp ? EchoCodec.icmpReply(got, v6: v6, identifier: identifier)
                                    : EchoCodec.udpReply(got, identifier: identifier)
            if let seq { each(seq) }
        }
    }

    /// Every datagram queued now from the target's address, as received.
    public func receiveDatagrams(_ each: (UnsafeRawBufferPointer) -> Void) {
        while true {
            var from = sockaddr_storage()
            var fromLen = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let n = rx.withUnsafeMutableBytes { b in
                hedge_recvfrom(fd, b.baseAddress, b.count, Int32(MSG_DONTWAIT), &from, &fromLen)
            }
            if n < 0 { return }
            guard sameAddress(&from, &target) else { continue }
            rx.withUnsafeBytes { b in each(UnsafeRawBufferPointer(rebasing: b[0..<n])) }
        }
    }
}

func fillSockaddr(_ ss: inout sockaddr_storage, _ len: inout socklen_t, _ a: IPAddress, port: UInt16) {
    let bytes = a.bytes
    withUnsafeMutableBytes(of: &ss) { raw in
        if a.isV4 {
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = port.bigEndian
            withUnsafeMutableBytes(of: &sin.sin_addr) { $0.copyBytes(from: bytes) }
            raw.storeBytes(of: sin, as: sockaddr_in.self)
            len = socklen_t(MemoryLayout<sockaddr_in>.size)
        } else {
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = port.bigEndian
            withUnsafeMutableBytes(of: &sin6.sin6_addr) { $0.copyBytes(from: bytes) }
            raw.storeBytes(of: sin6, as: sockaddr_in6.self)
            len = socklen_t(MemoryLayout<sockaddr_in6>.size)
        }
    }
}

/// Same host address (ports are not compared: an ICMP reply has none).
func sameAddress(_ a: inout sockaddr_storage, _ b: inout sockaddr_storage) -> Bool {
    guard a.ss_family == b.ss_family else { return false }
    let ra = withUnsafeBytes(of: &a) { [UInt8]($0) }
    let rb = withUnsafeBytes(of: &b) { [UInt8]($0) }
    if Int32(a.ss_family) == AF_INET { return ra[4..<8] == rb[4..<8] }
    return ra[8..<24] == rb[8..<24]
}

extension ProbeSocket {
    /// SO_BINDTODEVICE: even when the path's own table has no route (device gone), a probe never
    /// leaves through another path and reports it healthy.
    func bind(device: String) {
        var d = device
        d.withUTF8 { b in _ = setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, b.baseAddress, socklen_t(b.count)) }
    }
}
