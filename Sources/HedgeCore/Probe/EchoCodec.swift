/// ICMP/ICMPv6 echo (RFC 792, RFC 4443) and UDP echo (RFC 862) probe packets.
/// The identifier tells hedge's paths apart: every raw ICMP socket sees every reply.
public enum EchoCodec {
    public static let magic: [UInt8] = [0x68, 0x65, 0x64, 0x67]   // "hedg"

    /// ICMP echo request; for ICMPv6 the kernel fills the checksum (it needs the pseudo-header).
    public static func icmpRequest(v6: Bool, identifier: UInt16, sequence: UInt16) -> [UInt8] {
        var p: [UInt8] = [v6 ? 128 : 8, 0, 0, 0,
                          UInt8(identifier >> 8), UInt8(identifier & 0xff),
                          UInt8(sequence >> 8), UInt8(sequence & 0xff)]
        p += magic
        if !v6 {
            let c = internetChecksum(p)
            p[2] = UInt8(c >> 8); p[3] = UInt8(c & 0xff)
        }
        return p
    }

    /// The sequence number of an echo reply to `identifier`, or nil for anything else.
    /// IPv4 raw sockets deliver the IP header first; IPv6 ones do not.
    public static func icmpReply(_ b: UnsafeRawBufferPointer, v6: Bool, identifier: UInt16) -> UInt16? {
        var off = 0
        if !v6 {
            guard b.count >= 20, b[0] >> 4 == 4 else { return nil }
            off = Int(b[0] & 0x0f) * 4
        }
        guard b.count >= off + 8, b[off] == (v6 ? 129 : 0), b[off + 1] == 0 else { return nil }
        guard UInt16(b[off + 4]) << 8 | UInt16(b[off + 5]) == identifier else { return nil }
        return UInt16(b[off + 6]) << 8 | UInt16(b[off + 7])
    }

    public static func udpRequest(identifier: UInt16, sequence: UInt16) -> [UInt8] {
        magic + [UInt8(identifier >> 8), UInt8(identifier & 0xff), UInt8(sequence >> 8), UInt8(sequence & 0xff)]
    }

    public static func udpReply(_ b: UnsafeRawBufferPointer, identifier: UInt16) -> UInt16? {
        guard b.count >= 8, b[0] == magic[0], b[1] == magic[1], b[2] == magic[2], b[3] == magic[3],
              UInt16(b[4]) << 8 | UInt16(b[5]) == identifier else { return nil }
        return UInt16(b[6]) << 8 | UInt16(b[7])
    }
}

/// RFC 1071 one's-complement sum.
public func internetChecksum(_ bytes: [UInt8]) -> UInt16 {
    var sum: UInt32 = 0
    var i = 0
    while i + 1 < bytes.count { sum += UInt32(bytes[i]) << 8 | UInt32(bytes[i + 1]); i += 2 }
    if i < bytes.count { sum += UInt32(bytes[i]) << 8 }
    while sum >> 16 != 0 { sum = (sum & 0xffff) + (sum >> 16) }
    return ~UInt16(sum)
}
