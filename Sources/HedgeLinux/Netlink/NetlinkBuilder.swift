import CHedge
import HedgeCore

/// Builds netlink messages attribute by attribute, the libmnl way, into one buffer that can hold a
/// batch of messages (the per-route fallback sends all its replaces in one sendto).
/// Every message hedge sends is made here; nothing builds bytes by hand elsewhere.
public final class NetlinkBuilder {
    public static let capacity = 1 << 16
    let buffer: UnsafeMutableRawPointer
    private(set) var used = 0
    private var current: UnsafeMutablePointer<nlmsghdr>?
    /// Bytes from `used` up to here are zero (libmnl leaves attribute padding as it finds it). The
    /// rest is zeroed as the messages reach it, not all at once: a batch rarely fills more than a
    /// page of the buffer, and a page never written is never resident.
    private var zeroed = 0

    public init() {
        buffer = UnsafeMutableRawPointer.allocate(byteCount: NetlinkBuilder.capacity, alignment: 8)
    }
    deinit { buffer.deallocate() }

    public func reset() {
        finish()
        buffer.initializeMemory(as: UInt8.self, repeating: 0, count: used)
        used = 0
        current = nil
    }

    /// NLA_ALIGN / NLMSG_ALIGN: netlink pads everything to 4 bytes.
    static func align(_ n: Int) -> Int { (n + 3) & ~3 }

    /// Zeroes what the messages are about to grow into: the next `bytes`.
    private func room(_ bytes: Int) {
        let end = min(NetlinkBuilder.capacity, used + Int(current?.pointee.nlmsg_len ?? 0) + bytes)
        guard end > zeroed else { return }
        (buffer + zeroed).initializeMemory(as: UInt8.self, repeating: 0, count: end - zeroed)
        zeroed = end
    }

    /// Room left for another message of about `bytes` (a batch flushes before it overflows).
    public func hasRoom(_ bytes: Int) -> Bool { NetlinkBuilder.capacity - used >= bytes }

    /// Starts a message; `family` is the fixed header that follows nlmsghdr (rtmsg, nhmsg, ...).
    @discardableResult
    public func begin<Header>(type: UInt16, flags: Int32, seq: UInt32, family: Header) -> UnsafeMutablePointer<nlmsghdr> {
        finish()
        room(NetlinkBuilder.align(MemoryLayout<nlmsghdr>.size) + NetlinkBuilder.align(MemoryLayout<Header>.size))
        let nlh = mnl_nlmsg_put_header(buffer + used)!
        nlh.pointee.nlmsg_type = type
        nlh.pointee.nlmsg_flags = UInt16(truncatingIfNeeded: flags)
        nlh.pointee.nlmsg_seq = seq
        let extra = mnl_nlmsg_put_extra_header(nlh, MemoryLayout<Header>.size)!
        extra.storeBytes(of: family, as: Header.self)
        current = nlh
        return nlh
    }

    /// Starts a message whose fixed header Core encoded (XFRM's structs; none for an XFRM dump).
    @discardableResult
    public func begin(type: UInt16, flags: Int32, seq: UInt32, header: [UInt8]) -> UnsafeMutablePointer<nlmsghdr> {
        finish()
        room(NetlinkBuilder.align(MemoryLayout<nlmsghdr>.size) + NetlinkBuilder.align(header.count))
        let nlh = mnl_nlmsg_put_header(buffer + used)!
        nlh.pointee.nlmsg_type = type
        nlh.pointee.nlmsg_flags = UInt16(truncatingIfNeeded: flags)
        nlh.pointee.nlmsg_seq = seq
        if !header.isEmpty {
            let extra = mnl_nlmsg_put_extra_header(nlh, header.count)!
            header.withUnsafeBytes { extra.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        }
        current = nlh
        return nlh
    }

    /// Closes the current message so that the next one starts after it.
    public func finish() {
        guard let nlh = current else { return }
        used += Int(nlh.pointee.nlmsg_len)
        current = nil
    }

    private var nlh: UnsafeMutablePointer<nlmsghdr> { current! }

    /// An attribute's header and its payload, padded.
    private func attribute(_ payload: Int) -> UnsafeMutablePointer<nlmsghdr> {
        room(4 + NetlinkBuilder.align(payload))
        return nlh
    }

    // Out of line: inlined, every message builder carried the zeroing check of each attribute.
    @inline(never) public func put(_ type: UInt16, u8 v: UInt8) { mnl_attr_put_u8(attribute(1), type, v) }
    @inline(never) public func put(_ type: UInt16, u16 v: UInt16) { mnl_attr_put_u16(attribute(2), type, v) }
    @inline(never) public func put(_ type: UInt16, u32 v: UInt32) { mnl_attr_put_u32(attribute(4), type, v) }
    /// nftables' integers are big-endian on the wire.
    @inline(never) public func put(_ type: UInt16, be32 v: UInt32) { mnl_attr_put_u32(attribute(4), type, v.bigEndian) }
    @inline(never) public func put(_ type: UInt16, be64 v: UInt64) { mnl_attr_put_u64(attribute(8), type, v.bigEndian) }
    public func put(_ type: UInt16, string: String) {
        var s = string
        s.withUTF8 { b in
            var z = [UInt8](b); z.append(0)
            z.withUnsafeBytes { mnl_attr_put(attribute($0.count), type, $0.count, $0.baseAddress) }
        }
    }
    public func put(_ type: UInt16, bytes: [UInt8]) {
        bytes.withUnsafeBytes { mnl_attr_put(attribute($0.count), type, $0.count, $0.baseAddress) }
    }
    /// An address attribute: 4 or 16 bytes in network order.
    public func put(_ type: UInt16, address: IPAddress) { put(type, bytes: address.bytes) }

    public func nest(_ type: UInt16, _ body: () -> Void) {
        let start = mnl_attr_nest_start(attribute(0), type)
        body()
        mnl_attr_nest_end(nlh, start)
    }

    /// The finished messages: pointer and length for sendto.
    public func bytes() -> (UnsafeRawPointer, Int) {
        finish()
        return (UnsafeRawPointer(buffer), used)
    }

    /// Makes the messages from byte `offset` on, at most `limit` of them, one window acked on error
    /// only: NLM_F_ACK stays on the last (its ack synchronises the window) and leaves the others.
    /// The kernel acks a refused message whatever its flags, so no refusal goes unreported.
    func ackOnError(from offset: Int, limit: Int) -> (end: Int, count: Int, sync: UInt32) {
        finish()
        var end = offset, count = 0
        var last: UnsafeMutablePointer<nlmsghdr>?
        while end < used && count < limit {
            let nlh = (buffer + end).assumingMemoryBound(to: nlmsghdr.self)
            last?.pointee.nlmsg_flags &= ~UInt16(NLM_F_ACK)
            nlh.pointee.nlmsg_flags |= UInt16(NLM_F_ACK)
            last = nlh
            end += Int(nlh.pointee.nlmsg_len)
            count += 1
        }
        return (end, count, last?.pointee.nlmsg_seq ?? 0)
    }
}
