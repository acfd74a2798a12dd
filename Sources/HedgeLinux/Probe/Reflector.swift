import CHedge
import HedgeCore

/// The reflect probe's key file: a `SecretFile` (root-owned, mode 0600 or 0400), whose first line
/// is the key shared by the agent and `hedge-reflect`. 16 octets at least: HMAC is as strong as its
/// key (`openssl rand -hex 32` makes a good one).
public enum ReflectKeyFile {
    public static func read(_ path: String) throws(SystemError) -> ReflectKey {
        ReflectKey(secret: try SecretFile.read(path, what: "reflect key file", lengths: 16...1024,
                                               rule: "the reflect probe takes 16 to 1024"))
    }
}

/// `hedge-reflect`: the UDP reflector on a VM inside the VNet that hedge's `probe reflect` runs
/// against. One socket, one epoll loop; it answers authenticated requests only (see
/// `ReflectResponder`) and logs at most once a minute, so a flood of forged requests costs a
/// counter, not a disk.
///
/// Replies leave from the address the request was sent to (IP_PKTINFO / IPV6_PKTINFO): a VM with
/// several addresses would otherwise answer from its primary one, and the agent, which accepts
/// replies from its target only, would see a dead path.
public final class Reflector: LoopParticipant {
    public let listen: IPAddress
    public let port: UInt16
    public let keyFile: String
    public private(set) var responder: ReflectResponder
    public let fd: Int32
    private let v6: Bool
    private let loop: EventLoop
    private var rx = [UInt8](repeating: 0, count: 2048)
    /// Control buffer for recvmsg/sendmsg, 8-octet aligned.
    private let control: UnsafeMutableRawPointer
    private static let controlSize = 128
    public private(set) var sendFailures = 0

    // Rate-limited reporting: one line a minute at most, the first event of a quiet minute at once.
    private static let reportIntervalUs: Int64 = 60_000_000
    private var lastReportUs: Int64 = Int64.min / 2
    private var dirty = false
    private var lastDrop = ""

    /// Binds `listen`:`port`. `::` takes IPv4 too (IPV6_V6ONLY off).
    public init(listen: IPAddress, port: UInt16, keyFile: String) throws(SystemError) {
        self.listen = listen
        self.port = port
        self.keyFile = keyFile
        responder = ReflectResponder(key: try ReflectKeyFile.read(keyFile))
        v6 = !listen.isV4
        let what = "reflector [\(listen)]:\(port)"
        fd = socket(v6 ? AF_INET6 : AF_INET, Int32(SOCK_DGRAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        if fd < 0 { throw SystemError("socket", object: what) }
        control = UnsafeMutableRawPointer.allocate(byteCount: Reflector.controlSize, alignment: 8)
        var one: Int32 = 1, zero: Int32 = 0
        if v6 {
            _ = setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &zero, 4)
            _ = setsockopt(fd, Int32(IPPROTO_IPV6), Reflector.ipv6RecvPktinfo, &one, 4)
        } else {
            _ = setsockopt(fd, Int32(IPPROTO_IP), Reflector.ipPktinfo, &one, 4)
        }
        var sa = sockaddr_storage(); var len: socklen_t = 0
        fillSockaddr(&sa, &len, listen, port: port)
        if hedge_bind(fd, &sa, len) != 0 {
            let e = SystemError("bind(udp/\(port))", object: what)
            close(fd); control.deallocate()
            throw e
        }
        do throws(SystemError) {
            loop = try EventLoop(signals: [SIGTERM, SIGINT, SIGHUP])
        } catch {
            close(fd); control.deallocate()
            throw error
        }
    }

    deinit {
        close(fd)
        control.deallocate()
    }

    /// Serves until SIGTERM or SIGINT; SIGHUP re-reads the key file (a bad file keeps the old key).
    public func run() -> Int32 {
        do throws(SystemError) {
            let slot = loop.register(self)
            try loop.add(fd, owner: slot) { _ in self.readable() }
        } catch {
            Log.error("\(error)")
            return 1
        }
        loop.onSignal = { sig in
            if sig == SIGHUP { self.reloadKey(); return }
            self.loop.stop()
        }
        Log.info("reflect: listening on " + (v6 ? "[\(listen)]" : "\(listen)") + ":\(port), key id 0x" + hex32(responder.key.id))
        loop.run()
        report(final: true)
        return 0
    }

    private func reloadKey() {
        do throws(SystemError) {
            let key = try ReflectKeyFile.read(keyFile)
            responder.key = key
            Log.info("reflect: key reloaded, key id 0x" + hex32(key.id))
        } catch {
            Log.error("reflect: key not reloaded, keeping key id 0x\(hex32(responder.key.id)): \(error)")
        }
    }

    // MARK: datagrams

    private func readable() {
        while true {
            var from = sockaddr_storage()
            var dst: [UInt8] = []
            let n = receive(&from, &dst)
            if n < 0 { return }
            let receiveUs = Clock.monotonicUs()
            guard var source = bgpAddress(from) else { continue }
            if let m = source.mappedV4 { source = m }
            var random: UInt32 = 0
            _ = hedge_getrandom(&random, 4)
            let outcome = rx.withUnsafeBytes { b in
                responder.handle(UnsafeRawBufferPointer(rebasing: b[0..<n]), from: source, receiveUs: receiveUs,
                                 sendUs: Clock.monotonicUs(), random: random)
            }
            switch outcome {
            case .answer(let reply, let newSender):
                if !sendReply(reply, to: &from, source: dst) { sendFailures += 1 }
                if newSender {
                    Log.debug("reflect: new sender \(source), " + sessionDescription(rx))
                    event(receiveUs)
                }
            case .drop(let why):
                lastDrop = "last from \(source): " + dropDescription(why)
                Log.debug("reflect: dropped a datagram from \(source): " + dropDescription(why))
                event(receiveUs)
            }
        }
    }

    /// recvmsg with the datagram's destination address (the reply's source).
    private func receive(_ from: inout sockaddr_storage, _ dst: inout [UInt8]) -> Int {
        var n = -1
        let c = control
        withUnsafeMutablePointer(to: &from) { fromPtr in
            rx.withUnsafeMutableBytes { b in
                var iov = iovec(iov_base: b.baseAddress, iov_len: b.count)
                withUnsafeMutablePointer(to: &iov) { iovPtr in
                    var m = msghdr()
                    m.msg_name = UnsafeMutableRawPointer(fromPtr)
                    m.msg_namelen = socklen_t(MemoryLayout<sockaddr_storage>.size)
                    m.msg_iov = iovPtr
                    m.msg_iovlen = 1
                    m.msg_control = c
                    m.msg_controllen = numericCast(Reflector.controlSize)
                    n = retryingEINTR { recvmsg(fd, &m, Int32(MSG_DONTWAIT)) }
                    if n >= 0 { parseControl(Int(m.msg_controllen), &dst) }
                }
            }
        }
        return n
    }

    private func parseControl(_ length: Int, _ dst: inout [UInt8]) {
        let word = MemoryLayout<Int>.size
        let header = MemoryLayout<cmsghdr>.size
        var off = 0
        while off + header <= length {
            let len = control.load(fromByteOffset: off, as: Int.self)   // size_t cmsg_len
            let level = control.load(fromByteOffset: off + word, as: Int32.self)
            let type = control.load(fromByteOffset: off + word + 4, as: Int32.self)
            let data = off + Reflector.align(header)
            if len < header || off + len > length { return }
            let bytes = UnsafeRawBufferPointer(start: control + data, count: len - Reflector.align(header))
            if level == Int32(IPPROTO_IPV6) && type == Reflector.ipv6Pktinfo && bytes.count >= 20 {
                // struct in6_pktinfo { struct in6_addr ipi6_addr; unsigned ipi6_ifindex; }
                dst = Array(bytes[0..<16])
            } else if level == Int32(IPPROTO_IP) && type == Reflector.ipPktinfo && bytes.count >= 12 {
                // struct in_pktinfo { int ipi_ifindex; struct in_addr ipi_spec_dst, ipi_addr; }
                dst = Array(bytes[8..<12])
            }
            off += Reflector.align(len)
        }
    }

    /// sendmsg from `source` (the request's destination); without it if the kernel refuses that.
    private func sendReply(_ reply: [UInt8], to: inout sockaddr_storage, source: [UInt8]) -> Bool {
        let toLen = socklen_t(Int32(to.ss_family) == AF_INET6 ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size)
        var controlLen = 0
        if source.count == 16 || source.count == 4, !(IPAddress(bytes: source)?.isMulticast ?? true) {
            controlLen = buildControl(source)
        }
        var n = sendmsgTo(reply, &to, toLen, controlLen)
        if n < 0 && controlLen > 0 { n = sendmsgTo(reply, &to, toLen, 0) }
        return n == reply.count
    }

    /// One IPV6_PKTINFO or IP_PKTINFO message naming the source (interface 0: routing decides).
    private func buildControl(_ source: [UInt8]) -> Int {
        let word = MemoryLayout<Int>.size
        let header = Reflector.align(MemoryLayout<cmsghdr>.size)
        let payload = source.count == 16 ? 20 : 12
        let total = Reflector.align(header + payload)
        guard total <= Reflector.controlSize else { return 0 }
        control.initializeMemory(as: UInt8.self, repeating: 0, count: total)
        control.storeBytes(of: header + payload, toByteOffset: 0, as: Int.self)
        if source.count == 16 {
            control.storeBytes(of: Int32(IPPROTO_IPV6), toByteOffset: word, as: Int32.self)
            control.storeBytes(of: Reflector.ipv6Pktinfo, toByteOffset: word + 4, as: Int32.self)
            for i in 0..<16 { control.storeBytes(of: source[i], toByteOffset: header + i, as: UInt8.self) }
        } else {
            control.storeBytes(of: Int32(IPPROTO_IP), toByteOffset: word, as: Int32.self)
            control.storeBytes(of: Reflector.ipPktinfo, toByteOffset: word + 4, as: Int32.self)
            // ipi_spec_dst: the source address to use.
            for i in 0..<4 { control.storeBytes(of: source[i], toByteOffset: header + 4 + i, as: UInt8.self) }
        }
        return total
    }

    private func sendmsgTo(_ reply: [UInt8], _ to: inout sockaddr_storage, _ toLen: socklen_t, _ controlLen: Int) -> Int {
        var n = -1
        let c = control
        withUnsafeMutablePointer(to: &to) { toPtr in
            var bytes = reply
            bytes.withUnsafeMutableBytes { b in
                var iov = iovec(iov_base: b.baseAddress, iov_len: b.count)
                withUnsafeMutablePointer(to: &iov) { iovPtr in
                    var m = msghdr()
                    m.msg_name = UnsafeMutableRawPointer(toPtr)
                    m.msg_namelen = toLen
                    m.msg_iov = iovPtr
                    m.msg_iovlen = 1
                    m.msg_control = controlLen > 0 ? c : nil
                    m.msg_controllen = numericCast(controlLen)
                    n = retryingEINTR { sendmsg(fd, &m, Int32(MSG_DONTWAIT)) }
                }
            }
        }
        return n
    }

    private static func align(_ n: Int) -> Int {
        let w = MemoryLayout<Int>.size
        return (n + w - 1) & ~(w - 1)
    }

    // Linux uapi values (<linux/in.h>, <linux/in6.h>); glibc declares the structs only for _GNU_SOURCE.
    static let ipPktinfo: Int32 = 8          // IP_PKTINFO
    static let ipv6RecvPktinfo: Int32 = 49   // IPV6_RECVPKTINFO
    static let ipv6Pktinfo: Int32 = 50       // IPV6_PKTINFO

    // MARK: reporting

    private func event(_ nowUs: Int64) {
        dirty = true
        if nowUs - lastReportUs >= Reflector.reportIntervalUs { report(final: false) }
    }

    /// What is left to log waits for the next report time (the loop asks after each read).
    public func nextDeadline(nowUs: Int64) -> Int64? { dirty ? lastReportUs + Reflector.reportIntervalUs : nil }

    public func fire(nowUs: Int64) {
        if dirty { report(final: false) }
    }

    private func report(final: Bool) {
        let r = responder
        var line = final ? "reflect: stopped: " : "reflect: "
        line += "answered \(r.answered), senders \(r.senders), bad MAC \(r.badMAC), other key \(r.unknownKey), "
            + "malformed \(r.malformed), replayed \(r.replayed)"
        if r.evictions > 0 { line += ", evicted \(r.evictions)" }
        if sendFailures > 0 { line += ", send failures \(sendFailures)" }
        if !lastDrop.isEmpty { line += " (" + lastDrop + ")" }
        if r.badMAC + r.unknownKey + r.malformed + r.replayed > 0 { Log.warn(line) } else { Log.info(line) }
        lastReportUs = Clock.monotonicUs()
        dirty = false
        lastDrop = ""
    }

    private func sessionDescription(_ b: [UInt8]) -> String {
        guard b.count >= 20 else { return "" }
        let session = UInt32(b[12]) << 24 | UInt32(b[13]) << 16 | UInt32(b[14]) << 8 | UInt32(b[15])
        let path = UInt32(b[16]) << 24 | UInt32(b[17]) << 16 | UInt32(b[18]) << 8 | UInt32(b[19])
        return "session 0x" + hex32(session) + " path \(path)"
    }

    private func dropDescription(_ d: ReflectResponder.Drop) -> String {
        switch d {
        case .malformed: return "malformed"
        case .unknownKey: return "another key"
        case .badMAC: return "bad MAC"
        case .replayed: return "replayed"
        }
    }
}
